// Package sim is the simulated world the orchestrator upgrades: the event
// loop and its clocks, compute nodes and VMs with placement and migration,
// the node agent that installs software, the VNFs with a traffic model that
// counts every lost request, and the reference VNFM with its misbehaviour
// profiles.
//
// The world implements the orchestrator's ports (CloudManager,
// SystemSupport); it never calls the orchestrator except through the
// messages a VNFM sends. Everything runs on one Loop, so no state here needs
// a lock, and everything random draws from one seeded Rand.
package sim
