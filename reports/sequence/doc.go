// Package sequence maps a trace event to an arrow of a sequence diagram:
// which lifeline it leaves, which it reaches, what it says and how it
// reads (an answer, something gone wrong, an injected fault). The HTML
// report and the live dashboard both draw their diagrams from Of, so the
// two show the same arrows between the same lifelines, those of the
// Escalator design: the Upgrade Manager, the Cloud Manager, the VNFM and
// the VNFs. How an arrow is drawn is left to each of them.
//
// It reads events through their types in package event and imports
// nothing else of ours but the root package: a report must not need the
// orchestrator or the simulator to draw a trace.
package sequence
