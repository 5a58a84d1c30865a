// Package orchestrator is the VIM's Upgrade Manager: it rolls a new software
// version over compute nodes without losing service, following the two flows
// of the OPNFV Escalator design (F1, "VIM as a whole", in batches with a
// business check and fallback migration; F2, "inside the VIM", one node at a
// time on the VNFM's reply or a timeout).
//
// It is an event-driven state machine. Every entry point (CreateSession,
// Reply, a port's completion callback, a timer) runs to completion on the
// caller's goroutine and reacts by calling ports and arming timers; nothing
// sleeps and nothing runs in the background. The world is reached only
// through the ports in ports.go, so the package imports nothing from the
// simulated NFVI: a real cloud could implement the same ports.
package orchestrator
