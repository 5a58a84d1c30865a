package sim

import (
	"slices"

	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// VNFM behaviours: the reference and the misbehaviour profiles, each
// breaking one rule a conforming VNFM keeps, so the conformance suite can
// show that each of its cases fails when that rule is broken. What each one
// does, and where it departs from the reference, is its entry in Profiles.
// The names are trace values, spelled in package event.
const (
	BehaviorReference      = event.BehaviorReference
	BehaviorSilent         = event.BehaviorSilent
	BehaviorLate           = event.BehaviorLate
	BehaviorNack           = event.BehaviorNack
	BehaviorAckWithoutMove = event.BehaviorAckWithoutMove
	BehaviorMalformed      = event.BehaviorMalformed
	BehaviorDuplicate      = event.BehaviorDuplicate
	BehaviorWrongState     = event.BehaviorWrongState
	BehaviorNoSwitchover   = event.BehaviorNoSwitchover
	BehaviorNoDrain        = event.BehaviorNoDrain
	BehaviorMisreport      = event.BehaviorMisreport
	BehaviorNoRestore      = event.BehaviorNoRestore
	BehaviorFirstSwitch    = event.BehaviorFirstSwitch
	BehaviorFirstPool      = event.BehaviorFirstPool
	BehaviorRestoresAtEnd  = event.BehaviorRestoresAtEnd
	BehaviorFirstNode      = event.BehaviorFirstNode
	BehaviorLazyRestore    = event.BehaviorLazyRestore
	BehaviorNackLeaves     = event.BehaviorNackLeaves
	BehaviorNotIdempotent  = event.BehaviorNotIdempotent
	BehaviorIgnoresLimits  = event.BehaviorIgnoresLimits
	BehaviorAnyMethod      = event.BehaviorAnyMethod
	BehaviorStrictTypes    = event.BehaviorStrictTypes
	BehaviorIgnoresVersion = event.BehaviorIgnoresVersion
	BehaviorAcceptsBadAuth = event.BehaviorAcceptsBadAuth
	BehaviorNoVersionOut   = event.BehaviorNoVersionOut
	BehaviorNarrowFilter   = event.BehaviorNarrowFilter
	BehaviorDoubleSub      = event.BehaviorDoubleSub
)

// Profile layers: where a profile acts. Maintenance profiles act in the
// VNFM's handling of notifications (this package, through their hooks),
// endpoint profiles in its notification endpoint (sim/vnfmhttp's server),
// subscription profiles in its subscription (sim/vnfmhttp's client).
const (
	LayerMaintenance  = "maintenance"
	LayerEndpoint     = "endpoint"
	LayerSubscription = "subscription"
)

// Profile is one VNFM behaviour: the reference, or a misbehaviour.
type Profile struct {
	Name    string
	Layer   string
	Summary string // one line, for docs, help and validation messages
	// hooks are where a maintenance profile departs from the reference.
	hooks hooks
}

// hooks are the points where a profile's handling of maintenance departs
// from the reference VNFM's. The zero value of each is the reference's
// way, so the reference (and every endpoint or subscription profile) has
// none set.
type hooks struct {
	// answer is how a maintenance notification is answered at all.
	answer answer
	// nodes, switchovers and pools are how far one notification's moves
	// reach: the nodes it names, the switch-overs and the pools (the
	// load-balanced VNFs whose members are drained) the plan holds.
	nodes, switchovers, pools reach
	// movesThenRefuses: when the plan must be refused, first carry out
	// what can be done without the VIM and refuse without undoing it.
	movesThenRefuses bool
	// claim rewrites the action a reply claims for an instance the VNFM
	// acted on.
	claim func(action string) string
	// word rewrites the reply word (ACK_<state> or NACK_<state>).
	word func(n orchestrator.Notification, word string) string
	// copies is how many times each reply is sent; 0 means once.
	copies int
	// late: having moved, acknowledge VNFMConfig.LateBy after replyBy.
	late bool
	// restore is when the instances moved off a node come back.
	restore restore
	// ignoresLimits: scale in below the minPreserved the VNF declared.
	ignoresLimits bool
	// repeats: act on every delivery of a notification, not the first
	// only.
	repeats bool
}

// answer is how the VNFM answers a maintenance notification.
type answer int

const (
	answerMove    answer = iota // plan, move the business, then reply
	answerIgnore                // never reply (vnfm.ignored)
	answerRefuse                // refuse every maintenance
	answerAckOnly               // acknowledge, having moved nothing
)

// reach limits what a notification's moves cover.
type reach int

const (
	reachAll   reach = iota // everything the notification names
	reachNone               // nothing
	reachFirst              // only the first one
)

// admits reports whether r lets the VNFM act on an item; first says the
// item is the first of its kind the notification gets acted on.
func (r reach) admits(first bool) bool {
	return r == reachAll || r == reachFirst && first
}

// restore is when the VNFM brings back what it moved off a node.
type restore int

const (
	restoreOnAvailable       restore = iota // at the node's "node available"
	restoreNever                            // never: redundancy stays reduced
	restoreAtEnd                            // when the session ends
	restoreAtNextMaintenance                // when the next maintenance notification arrives
)

// Profiles lists every behaviour `escalator vnfm --behavior` and a
// scenario's vnfm.behavior accept, the reference first: each one's name,
// layer, summary and, for the maintenance layer, its hooks. Adding a
// maintenance profile is one entry here (and its case in
// TestProfileHooks); an endpoint or subscription profile also needs its
// code in sim/vnfmhttp.
var Profiles = []Profile{
	{Name: BehaviorReference, Layer: LayerMaintenance,
		Summary: "the reference VNFM: conforms to every case"},
	{Name: BehaviorSilent, Layer: LayerMaintenance,
		Summary: "never replies to a maintenance notification and ignores \"node available\"",
		hooks:   hooks{answer: answerIgnore, restore: restoreNever}},
	{Name: BehaviorLate, Layer: LayerMaintenance,
		Summary: "moves the business, then replies after replyBy",
		hooks:   hooks{late: true}},
	{Name: BehaviorNack, Layer: LayerMaintenance,
		Summary: "refuses every maintenance",
		hooks:   hooks{answer: answerRefuse}},
	{Name: BehaviorAckWithoutMove, Layer: LayerMaintenance,
		Summary: "acknowledges every maintenance and moves nothing",
		hooks:   hooks{answer: answerAckOnly}},
	{Name: BehaviorMalformed, Layer: LayerMaintenance,
		Summary: "moves, then sends a reply that breaks the API spec",
		hooks: hooks{word: func(orchestrator.Notification, string) string {
			return "ACK" // no state: the spec's pattern refuses it
		}}},
	{Name: BehaviorDuplicate, Layer: LayerMaintenance,
		Summary: "moves, then sends its reply twice",
		hooks:   hooks{copies: 2}},
	{Name: BehaviorWrongState, Layer: LayerMaintenance,
		Summary: "moves, then replies for another maintenance state",
		hooks: hooks{word: func(n orchestrator.Notification, _ string) string {
			if n.State == orchestrator.StateScaleIn {
				return "ACK_" + orchestrator.StatePlannedMaintenance
			}
			return "ACK_" + orchestrator.StateScaleIn
		}}},
	{Name: BehaviorNoSwitchover, Layer: LayerMaintenance,
		Summary: "acknowledges without switching active instances over",
		hooks:   hooks{switchovers: reachNone}},
	{Name: BehaviorNoDrain, Layer: LayerMaintenance,
		Summary: "acknowledges without draining load-balanced members",
		hooks:   hooks{pools: reachNone}},
	{Name: BehaviorMisreport, Layer: LayerMaintenance,
		Summary: "moves the business, but claims SWITCHED_OVER for every instance it acted on",
		hooks: hooks{claim: func(action string) string {
			if action == orchestrator.ActionDrained || action == orchestrator.ActionOwnAction {
				return orchestrator.ActionSwitchedOver
			}
			return action
		}}},
	{Name: BehaviorNoRestore, Layer: LayerMaintenance,
		Summary: "ignores \"node available\": moved instances never come back",
		hooks:   hooks{restore: restoreNever}},
	{Name: BehaviorFirstSwitch, Layer: LayerMaintenance,
		Summary: "switches over only the first active instance a notification names and acknowledges the rest unmoved",
		hooks:   hooks{switchovers: reachFirst}},
	{Name: BehaviorFirstPool, Layer: LayerMaintenance,
		Summary: "drains the members of only the first load-balanced VNF a notification names and acknowledges the other pools' in rotation",
		hooks:   hooks{pools: reachFirst}},
	{Name: BehaviorRestoresAtEnd, Layer: LayerMaintenance,
		Summary: "restores what it moved only when the session ends, so each next node finds the VNF still short of what the last one took",
		hooks:   hooks{restore: restoreAtEnd}},
	{Name: BehaviorFirstNode, Layer: LayerMaintenance,
		Summary: "moves the business off only the first node a notification names, as if the VIM took one node at a time",
		hooks:   hooks{nodes: reachFirst}},
	{Name: BehaviorLazyRestore, Layer: LayerMaintenance,
		Summary: "restores a node's instances only when the next maintenance notification arrives, so the last node's stay out",
		hooks:   hooks{restore: restoreAtNextMaintenance}},
	{Name: BehaviorNackLeaves, Layer: LayerMaintenance,
		Summary: "when it must refuse, first moves what it can and refuses without undoing it",
		hooks:   hooks{movesThenRefuses: true}},
	{Name: BehaviorNotIdempotent, Layer: LayerMaintenance,
		Summary: "acts on, and replies to, every delivery of a notification",
		hooks:   hooks{repeats: true}},
	{Name: BehaviorIgnoresLimits, Layer: LayerMaintenance,
		Summary: "scales in below the minPreserved its VNF declared",
		hooks:   hooks{ignoresLimits: true}},
	{Name: BehaviorAnyMethod, Layer: LayerEndpoint,
		Summary: "its notification endpoint answers 204 to PUT, PATCH and DELETE"},
	{Name: BehaviorStrictTypes, Layer: LayerEndpoint,
		Summary: "its notification endpoint answers 400 to a notification type it does not know"},
	{Name: BehaviorIgnoresVersion, Layer: LayerEndpoint,
		Summary: "its notification endpoint accepts requests without a valid Version header"},
	{Name: BehaviorAcceptsBadAuth, Layer: LayerEndpoint,
		Summary: "its notification endpoint accepts wrong or missing credentials"},
	{Name: BehaviorNoVersionOut, Layer: LayerEndpoint,
		Summary: "its notification endpoint leaves the Version header out of its answers (a spec violation the VIM sees, nothing else)"},
	{Name: BehaviorNarrowFilter, Layer: LayerSubscription,
		Summary: "subscribes without SessionStatusNotification, so it never learns how a session ended"},
	{Name: BehaviorDoubleSub, Layer: LayerSubscription,
		Summary: "creates a second subscription for itself with another callback URI"},
}

// BehaviorNames lists the profile names, the reference first.
func BehaviorNames() []string {
	out := make([]string, len(Profiles))
	for i, p := range Profiles {
		out[i] = p.Name
	}
	return out
}

// KnownBehavior reports whether name is a profile.
func KnownBehavior(name string) bool {
	return slices.ContainsFunc(Profiles, func(p Profile) bool { return p.Name == name })
}

// hooksOf returns the hooks of the profile called name: none, the
// reference's way, for a name that is no profile.
func hooksOf(name string) hooks {
	if i := slices.IndexFunc(Profiles, func(p Profile) bool { return p.Name == name }); i >= 0 {
		return Profiles[i].hooks
	}
	return hooks{}
}
