package scenarios

import "github.com/escalator-testbed/escalator/scenarios/spec"

// faultActions is what a fault kind does when it becomes active, for the
// timed kinds (and an occasion kind that acts at once): the part of the
// fault registry (spec.FaultKinds) that acts on a world, so it stays with
// the testbed. TestFaultActionsMatchTheRegistry holds the two together.
var faultActions = map[string]func(fs *faults, f *fault){
	spec.FaultNodeFails: (*faults).nodeFails,
	spec.FaultBootVM:    (*faults).bootVM,
	spec.FaultVNFMCrash: (*faults).vnfmCrash,
	spec.FaultNotify5xx: (*faults).notify5xx,
	spec.FaultVIMDown:   (*faults).vimDown,
	spec.FaultOrchCrash: (*faults).orchestratorCrash,
}
