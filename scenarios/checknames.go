package scenarios

// CheckNames lists the built-in checks a scenario can tune or switch off
// under checks: and expect to fail under expect.violations.
var CheckNames = []string{
	"zero-loss",                     // no service loses a request
	"max-interruption",              // every service interruption is shorter than the bound (default 1s)
	"no-placement-in-maintenance",   // no VM is placed or migrated onto a node in maintenance
	"notify-before-touch",           // a VNFM is notified about a VM before that VM is migrated or its node upgraded
	"upgrade-after-reply",           // a node hosting a VNFM's VMs is upgraded only after that VNFM replied or its reply deadline passed
	"business-moved-before-upgrade", // no VM carries business when its node's upgrade starts
	"pair-redundancy",               // never are both members of an active-standby pair impacted at once
	"max-parallel",                  // never are more nodes out of service at once than maxParallel
	"final-state",                   // at the end every selected node is at the target version (or its original one after a rollback) and none is in maintenance
	"ifa011-limits",                 // a VNF's declared IFA 011 limits held: impacted/preserved instances, lead time, recovery time, migration types
	"spec-conformance",              // every HTTP request and response on every interface matched its OpenAPI spec
}
