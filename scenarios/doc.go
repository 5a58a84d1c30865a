// Package scenarios is the testbed, the composition root of a run: it
// builds a simulated world, an orchestrator and a VNFM from a scenario
// (Build), arms the scenario's faults, runs it (Run, or Conformer against
// an external VNFM), probes the VNFM's endpoint for the conformance cases,
// and has the judge decide the trace. The language is scenarios/spec, the
// loader scenarios/load, the checks and the Result scenarios/judge; the
// bundled suite lives beside it as YAML, with the schema editors read.
//
// A real-time build may put a real cloud behind the orchestrator instead of
// the simulated NFVI (BuildOptions.Cloud): the simulated VNFs, their
// traffic model and the VNF control API stay, bound to the cloud's servers
// by VM ID, so the same VNFMs move the business and the same checks judge
// a real upgrade. The package names no cloud; cmd/escalator plugs
// orchestrator/openstack in.
package scenarios
