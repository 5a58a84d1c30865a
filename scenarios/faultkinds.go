package scenarios

import "strings"

// faultActions is what a fault kind does when it becomes active, for the
// timed kinds (and an occasion kind that acts at once): the part of the
// fault registry (spec.FaultKinds) that acts on a world, so it stays with
// the testbed. TestFaultActionsMatchTheRegistry holds the two together.
var faultActions = map[string]func(fs *faults, f *fault){
	FaultNodeFails: (*faults).nodeFails,
	FaultBootVM:    (*faults).bootVM,
	FaultVNFMCrash: (*faults).vnfmCrash,
	FaultNotify5xx: (*faults).notify5xx,
	FaultVIMDown:   (*faults).vimDown,
}

// loadAnd joins names the way a sentence lists them: "a, b and c".
func loadAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
