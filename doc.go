// Package escalator holds the vocabulary every other package shares: the
// error type with its codes, and the typed event trace.
//
// It imports nothing from the rest of the module, so the orchestrator, the
// simulated world, the scenario runner and the reports can all depend on it
// without depending on each other (the benbjohnson/wtf "root package" layout).
package escalator
