// Package scenarios is the scenario language: the YAML loader with positioned
// errors, the runner that builds a simulated world and an orchestrator from a
// scenario, and the checks that judge a run from its event trace.
package scenarios
