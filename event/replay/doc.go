// Package replay folds a trace, event by event, into the state of the world
// it describes: nodes and the VMs on them, VMs with their VNF, role and
// rotation, VNFs with their declared limits and service books, the
// maintenance notices open per VM and each notification's replies.
//
// It is the one projection of a trace that the checks, the IFA 011 limits,
// the metrics and the HTML report share, so they cannot disagree about
// where a VM was or what state a node was in. A consumer interleaves its
// own judgement with the replay (New, then Apply each event in order and
// read the world just after it). It imports only the root package and the
// event vocabulary, so the reports can use it without the simulator.
package replay
