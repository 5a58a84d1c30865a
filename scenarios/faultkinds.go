package scenarios

import (
	"strings"

	"github.com/escalator-testbed/escalator/sim"
)

// faultClass is when a fault kind strikes.
type faultClass int

const (
	// faultNode: at the node's first upgrade attempt, through the node
	// agent; it takes a node and neither at nor when.
	faultNode faultClass = iota
	// faultTimed: once, at at and/or when (count at most 1).
	faultTimed
	// faultOccasion: the next count occasions once active.
	faultOccasion
)

// faultFor is how a fault kind reads the for key.
type faultFor int

const (
	forNone     faultFor = iota // for: is refused
	forOptional                 // for: may be given
	forRequired                 // for: must be a positive duration
)

// faultKind is one fault kind: the only place a kind is described. The
// loader's validation, the schema's rules, the fault tables of
// docs/SCENARIOS.md and the arming in faults.go are derived from it.
type faultKind struct {
	Name  string
	Class faultClass
	// Doc says in one line what goes wrong, for the schema.
	Doc string
	// Occasion is what an occasion fault hits, and What what happens,
	// for the tables of docs/SCENARIOS.md (Markdown).
	Occasion, What string

	// NeedsNode: node is required (node faults need it anyway).
	NeedsNode bool
	For       faultFor
	// Factor: the kind takes factor.
	Factor bool
	// EveryOccasion: count defaults to every occasion, not 1.
	EveryOccasion bool

	// activate runs when a timed fault (or one that acts at once) becomes
	// active; nil leaves an occasion fault waiting for its occasions.
	activate func(fs *faults, f *fault)
	// behavior is what the VNFM's Override returns at a notification the
	// fault hits (the VNFM misbehaviour faults).
	behavior string
}

// faultKinds is the registry of fault kinds, in the order the schema and
// the docs list them. Adding one: an entry here (with its constant above),
// its arming (activate, or behavior for a VNFM misbehaviour; a new kind of
// occasion needs a hook in faults.go), and a scenario under faults/ that
// uses it; then regenerate the schema (go generate ./scenarios/) and the
// docs (go test ./scenarios/ -run DocRegistries -update).
var faultKinds = []faultKind{
	{Name: FaultUpgradeFails, Class: faultNode, NeedsNode: true,
		Doc:  "the node's installation fails",
		What: "the node's installation fails: the node fails, and the session rolls back (or fails with `rollback: false`)"},
	{Name: FaultUpgradeHangs, Class: faultNode, NeedsNode: true,
		Doc:  "the installation never ends",
		What: "the installation never ends; `upgradeTimeout` declares it hung"},
	{Name: FaultVerifyFails, Class: faultNode, NeedsNode: true,
		Doc:  "the post-upgrade health test fails",
		What: "the post-upgrade health test fails"},
	{Name: FaultNodeCrash, Class: faultNode, NeedsNode: true,
		Doc:  "the node crashes halfway through its upgrade",
		What: "the node crashes halfway through its upgrade"},
	{Name: FaultNodeFails, Class: faultTimed, NeedsNode: true, For: forOptional, activate: (*faults).nodeFails,
		Doc:  "a node fails unplanned (for: how long until repaired; 0: for good)",
		What: "`node` fails unplanned (its VMs go down; the VNFs fail over), repaired after `for`, or never"},
	{Name: FaultBootVM, Class: faultTimed, activate: (*faults).bootVM,
		Doc:  "a VM with no VNF boots (ignoreMaintenance: a broken scheduler)",
		What: "a VM with no VNF boots through the scheduler; with `ignoreMaintenance: true` the scheduler is broken and may place it on a node in maintenance"},

	{Name: FaultMigrationFails, Class: faultOccasion,
		Doc:      "the next migrations fail",
		Occasion: "a migration",
		What:     "it fails at the end and the VM stays where it was; F1 does not upgrade a node whose business it could not move"},
	{Name: FaultMigrationSlow, Class: faultOccasion, Factor: true, EveryOccasion: true,
		Doc:      "migrations take factor times longer",
		Occasion: "a migration",
		What:     "it takes `factor` times longer (every migration, unless `count` is given)"},

	{Name: FaultVNFMSilent, Class: faultOccasion, behavior: sim.BehaviorSilent,
		Doc:      "the VNFM ignores a maintenance notification",
		Occasion: "a notification to the VNFM",
		What:     "it ignores it"},
	{Name: FaultVNFMLate, Class: faultOccasion, behavior: sim.BehaviorLate,
		Doc:      "it replies after replyBy",
		Occasion: "a notification",
		What:     "it replies after the deadline"},
	{Name: FaultVNFMNack, Class: faultOccasion, behavior: sim.BehaviorNack,
		Doc:      "it refuses",
		Occasion: "a notification",
		What:     "it refuses"},
	{Name: FaultVNFMAckNoMove, Class: faultOccasion, behavior: sim.BehaviorAckWithoutMove,
		Doc:      "it says yes and moves nothing",
		Occasion: "a notification",
		What:     "it says yes and moves nothing"},
	{Name: FaultVNFMDuplicate, Class: faultOccasion, behavior: sim.BehaviorDuplicate,
		Doc:      "it replies twice",
		Occasion: "a notification",
		What:     "it replies twice"},
	{Name: FaultVNFMWrongState, Class: faultOccasion, behavior: sim.BehaviorWrongState,
		Doc:      "it replies for another state",
		Occasion: "a notification",
		What:     "it replies for another maintenance state"},
	{Name: FaultVNFMCrash, Class: faultTimed, For: forRequired, activate: (*faults).vnfmCrash,
		Doc:  "it is down for a while, then restarts",
		What: "the VNFM is down for `for` (what it was handling dies with it), then restarts with an empty memory"},
	{Name: FaultNotify5xx, Class: faultOccasion, activate: (*faults).notify5xx,
		Doc:      "its endpoint answers 503 to deliveries",
		Occasion: "a delivery to the VNFM",
		What:     "its endpoint answers 503; the VIM retries with backoff"},
	{Name: FaultNotifyTwice, Class: faultOccasion,
		Doc:      "the VIM delivers a notification twice (a retry after a lost 204)",
		Occasion: "a notification to the VNFM",
		What:     "the VIM delivers it a second time after the VNFM took it (a retry after a lost 204); works with any VNFM"},
	{Name: FaultVIMDown, Class: faultTimed, For: forRequired, activate: (*faults).vimDown,
		Doc:  "the orchestrator is unavailable for a while",
		What: "the orchestrator is unavailable for `for`: its API answers 503 and it does nothing, while the NFVI and the VNFs go on; it picks up where it left off"},
}

// faultKindOf is the registry entry of a kind; ok is false for an unknown one.
func faultKindOf(name string) (faultKind, bool) {
	for _, k := range faultKinds {
		if k.Name == name {
			return k, true
		}
	}
	return faultKind{}, false
}

// faultNames lists the kinds that have a property, in registry order.
func faultNames(has func(k faultKind) bool) []string {
	var out []string
	for _, k := range faultKinds {
		if has(k) {
			out = append(out, k.Name)
		}
	}
	return out
}

// loadAnd joins names the way a sentence lists them: "a, b and c".
func loadAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
