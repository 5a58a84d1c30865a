package spec

import "github.com/escalator-testbed/escalator/event"

// Fault kinds. Node faults hit a node's first upgrade attempt; timed faults
// happen once; the others hit occasions (notifications, deliveries,
// migrations) once active. FaultKinds says what each takes and does.
const (
	FaultUpgradeFails = "upgrade-fails"
	FaultUpgradeHangs = "upgrade-hangs"
	FaultVerifyFails  = "verify-fails"
	FaultNodeCrash    = "node-crash"
	FaultNodeFails    = "node-fails"
	FaultBootVM       = "boot-vm"

	FaultMigrationFails = "migration-fails"
	FaultMigrationSlow  = "migration-slow"

	FaultVNFMSilent     = "vnfm-silent"
	FaultVNFMLate       = "vnfm-late"
	FaultVNFMNack       = "vnfm-nack"
	FaultVNFMAckNoMove  = "vnfm-ack-without-moving"
	FaultVNFMDuplicate  = "vnfm-duplicate-reply"
	FaultVNFMWrongState = "vnfm-wrong-state-reply"
	FaultVNFMCrash      = "vnfm-crash"
	FaultNotify5xx      = "notify-5xx"
	FaultNotifyTwice    = "notify-duplicate"
	FaultVIMDown        = "vim-down"
	FaultOrchCrash      = "orchestrator-crash"
)

// FaultClass is when a fault kind strikes.
type FaultClass int

const (
	// FaultNode: at the node's first upgrade attempt, through the node
	// agent; it takes a node and neither at nor when.
	FaultNode FaultClass = iota
	// FaultTimed: once, at at and/or when (count at most 1).
	FaultTimed
	// FaultOccasion: the next count occasions once active.
	FaultOccasion
)

// FaultFor is how a fault kind reads the for key.
type FaultFor int

const (
	ForNone     FaultFor = iota // for: is refused
	ForOptional                 // for: may be given
	ForRequired                 // for: must be a positive duration
)

// FaultKind is one fault kind: the only place a kind is described. The
// loader's validation, the schema's rules, the fault tables of
// docs/SCENARIOS.md and the arming in scenarios/faults.go are derived from
// it; what a timed fault does when it fires is the testbed's
// (faultActions in scenarios/faultkinds.go), since it acts on a world.
type FaultKind struct {
	Name  string
	Class FaultClass
	// Doc says in one line what goes wrong, for the schema.
	Doc string
	// Occasion is what an occasion fault hits, and What what happens,
	// for the tables of docs/SCENARIOS.md (Markdown).
	Occasion, What string

	// NeedsNode: node is required (node faults need it anyway).
	NeedsNode bool
	For       FaultFor
	// Factor: the kind takes factor.
	Factor bool
	// EveryOccasion: count defaults to every occasion, not 1.
	EveryOccasion bool

	// Behavior is what the VNFM's Override returns at a notification the
	// fault hits (the VNFM misbehaviour faults).
	Behavior string
}

// FaultKinds is the registry of fault kinds, in the order the schema and
// the docs list them. Adding one: an entry here (with its constant above),
// its arming (an entry of faultActions in scenarios/faultkinds.go, or
// Behavior for a VNFM misbehaviour; a new kind of occasion needs a hook in
// scenarios/faults.go), and a scenario under scenarios/faults/ that
// uses it; then regenerate the schema (go generate ./scenarios/) and the
// docs (go test ./scenarios/ -run DocRegistries -update).
var FaultKinds = []FaultKind{
	{Name: FaultUpgradeFails, Class: FaultNode, NeedsNode: true,
		Doc:  "the node's installation fails",
		What: "the node's installation fails: the node fails, and the session rolls back (or fails with `rollback: false`)"},
	{Name: FaultUpgradeHangs, Class: FaultNode, NeedsNode: true,
		Doc:  "the installation never ends",
		What: "the installation never ends; `upgradeTimeout` declares it hung"},
	{Name: FaultVerifyFails, Class: FaultNode, NeedsNode: true,
		Doc:  "the post-upgrade health test fails",
		What: "the post-upgrade health test fails"},
	{Name: FaultNodeCrash, Class: FaultNode, NeedsNode: true,
		Doc:  "the node crashes halfway through its upgrade",
		What: "the node crashes halfway through its upgrade"},
	{Name: FaultNodeFails, Class: FaultTimed, NeedsNode: true, For: ForOptional,
		Doc:  "a node fails unplanned (for: how long until repaired; 0: for good)",
		What: "`node` fails unplanned (its VMs go down; the VNFs fail over), repaired after `for`, or never"},
	{Name: FaultBootVM, Class: FaultTimed,
		Doc:  "a VM with no VNF boots (ignoreMaintenance: a broken scheduler)",
		What: "a VM with no VNF boots through the scheduler; with `ignoreMaintenance: true` the scheduler is broken and may place it on a node in maintenance"},

	{Name: FaultMigrationFails, Class: FaultOccasion,
		Doc:      "the next migrations fail",
		Occasion: "a migration",
		What:     "it fails at the end and the VM stays where it was; F1 does not upgrade a node whose business it could not move"},
	{Name: FaultMigrationSlow, Class: FaultOccasion, Factor: true, EveryOccasion: true,
		Doc:      "migrations take factor times longer",
		Occasion: "a migration",
		What:     "it takes `factor` times longer (every migration, unless `count` is given)"},

	{Name: FaultVNFMSilent, Class: FaultOccasion, Behavior: event.BehaviorSilent,
		Doc:      "the VNFM ignores a maintenance notification",
		Occasion: "a notification to the VNFM",
		What:     "it ignores it"},
	{Name: FaultVNFMLate, Class: FaultOccasion, Behavior: event.BehaviorLate,
		Doc:      "it replies after replyBy",
		Occasion: "a notification",
		What:     "it replies after the deadline"},
	{Name: FaultVNFMNack, Class: FaultOccasion, Behavior: event.BehaviorNack,
		Doc:      "it refuses",
		Occasion: "a notification",
		What:     "it refuses"},
	{Name: FaultVNFMAckNoMove, Class: FaultOccasion, Behavior: event.BehaviorAckWithoutMove,
		Doc:      "it says yes and moves nothing",
		Occasion: "a notification",
		What:     "it says yes and moves nothing"},
	{Name: FaultVNFMDuplicate, Class: FaultOccasion, Behavior: event.BehaviorDuplicate,
		Doc:      "it replies twice",
		Occasion: "a notification",
		What:     "it replies twice"},
	{Name: FaultVNFMWrongState, Class: FaultOccasion, Behavior: event.BehaviorWrongState,
		Doc:      "it replies for another state",
		Occasion: "a notification",
		What:     "it replies for another maintenance state"},
	{Name: FaultVNFMCrash, Class: FaultTimed, For: ForRequired,
		Doc:  "it is down for a while, then restarts",
		What: "the VNFM is down for `for` (what it was handling dies with it), then restarts with an empty memory"},
	{Name: FaultNotify5xx, Class: FaultOccasion,
		Doc:      "its endpoint answers 503 to deliveries",
		Occasion: "a delivery to the VNFM",
		What:     "its endpoint answers 503; the VIM retries with backoff"},
	{Name: FaultNotifyTwice, Class: FaultOccasion,
		Doc:      "the VIM delivers a notification twice (a retry after a lost 204)",
		Occasion: "a notification to the VNFM",
		What:     "the VIM delivers it a second time after the VNFM took it (a retry after a lost 204); works with any VNFM"},
	{Name: FaultVIMDown, Class: FaultTimed, For: ForRequired,
		Doc:  "the orchestrator is unavailable for a while",
		What: "the orchestrator is unavailable for `for`: its API answers 503 and it does nothing, while the NFVI and the VNFs go on; it picks up where it left off"},
	{Name: FaultOrchCrash, Class: FaultTimed, For: ForRequired,
		Doc:  "the orchestrator's process is killed (kill -9) and restarted after for",
		What: "the Upgrade Manager's process dies on the spot, losing its memory, timers and whatever it had not committed to its state store; its API answers 503; after `for` a new process loads the store, reconciles it with the world and resumes the session"},
}

// FaultKindOf is the registry entry of a kind; ok is false for an unknown one.
func FaultKindOf(name string) (FaultKind, bool) {
	for _, k := range FaultKinds {
		if k.Name == name {
			return k, true
		}
	}
	return FaultKind{}, false
}

// FaultNames lists the kinds that have a property, in registry order.
func FaultNames(has func(k FaultKind) bool) []string {
	var out []string
	for _, k := range FaultKinds {
		if has(k) {
			out = append(out, k.Name)
		}
	}
	return out
}
