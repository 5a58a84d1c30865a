// Package dashboard is the live web dashboard of `escalator demo`: one
// page that shows an upgrade as it runs, for people watching a laptop's
// screen or a projector.
//
// A Hub holds the current run: the trace as the run's loop records it,
// each event annotated once (Stepper: the one line a person reads, the
// arrow it draws between the Upgrade Manager, the Cloud Manager, the VNFM
// and the VNFs, which is the HTML report's from package sequence, the step
// of the seed flow it belongs to), and the latest
// Snapshot of the world (FromWorld: nodes, their VMs, each service's live
// loss). Handler serves the page and its assets (embedded: nothing is
// fetched from the network), the configuration and state as JSON, the
// controls (a Controller the command implements: start, pause, resume,
// speed, restart, inject a fault) and the live stream as server-sent
// events, whose ids let a reconnecting browser catch up from the trace.
//
// The package reads the world but never drives it: the command owns the
// run, its loops and its lifecycle.
package dashboard
