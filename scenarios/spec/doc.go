// Package spec is the scenario language: the Scenario a YAML file
// describes and every part of it, its named values and its defaults. It
// parses nothing and runs nothing (it imports neither YAML nor the
// simulator nor the orchestrator), so the judge and the reports can read a
// scenario without pulling in what loads or runs one.
package spec
