package scenarios

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
