// Package judge decides a run from its event trace alone: the built-in
// checks (one registry, checknames.go), the conformance checks, the
// scenario's assertions and thresholds on the metrics of the trace, and
// the Result with its verdict. It imports the trace (the root package,
// event, event/replay) and the language (scenarios/spec), never the
// simulator, the orchestrator or YAML, so that the reports can read a
// Result without what produced it.
package judge
