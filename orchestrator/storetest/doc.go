// Package storetest is the conformance suite of orchestrator.Store: Run
// holds an implementation to the behaviour the Manager relies on (a
// commit is whole or absent, the header's last write wins, node rows keep
// their first-written order, notifications and replies accumulate in
// order, sessions come back in creation order) and to giving back exactly
// what orchestrator.MemoryStore gives back for the same commits, so that a
// session resumed from a file is the session a virtual-time crash test
// resumed from memory.
//
// It is test support: it imports testing and testify, and only tests
// import it.
package storetest
