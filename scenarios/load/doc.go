// Package load reads scenario files: YAML into a spec.Scenario, every
// problem of a file reported at once as FILE:LINE:COL, then validated
// against the language (scenarios/spec) and the judge's names of checks
// and metrics, and defaulted. Its tests generate the scenario schema
// (scenarios/scenario.schema.json). It imports no simulator and no
// orchestrator: validating a scenario runs nothing.
package load
