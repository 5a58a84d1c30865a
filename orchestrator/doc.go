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
//
// What differs between F1, F2 and the naive negative control is one
// interface, flow (flow.go), picked once per session from a registry by
// name. The planner (plan.go) runs each pending node through the flow's
// chain of filters, nomad-style; a filter that defers a node says why, and
// testdata/plan pins the plans and reasons of small worlds. The deliberate
// defects of the negative controls are wrappers around a flow that leave
// one filter or wait out (defect.go); the production path checks none.
package orchestrator
