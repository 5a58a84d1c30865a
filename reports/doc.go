// Package reports turns scenario results into what people and CI systems
// read. For now: the terminal summary, written as each scenario ends and
// once more at the end with the gates first.
package reports
