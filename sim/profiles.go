package sim

import "slices"

// More misbehaviour profiles, each breaking one rule a conforming VNFM
// keeps, so the conformance suite can show that each of its cases fails
// when that rule is broken. Where a profile acts is its Layer: the VNFM's
// handling of maintenance (this package), its notification endpoint
// (sim/vnfmhttp's server) or its subscription (sim/vnfmhttp's client).
const (
	BehaviorNoSwitchover   = "no-switchover"         // acknowledges without switching the active over
	BehaviorNoDrain        = "no-drain"              // acknowledges without draining load-balanced members
	BehaviorMisreport      = "misreports-actions"    // moves, but claims SWITCHED_OVER for every instance it acted on
	BehaviorNoRestore      = "no-restore"            // ignores "node available": redundancy stays reduced
	BehaviorFirstSwitch    = "first-switchover-only" // switches over only the first active a notification names
	BehaviorFirstPool      = "first-pool-only"       // drains only the first load-balanced VNF a notification names
	BehaviorRestoresAtEnd  = "restores-at-end"       // restores what it moved only when the session ends
	BehaviorLazyRestore    = "lazy-restore"          // restores a node's instances only when the next maintenance arrives
	BehaviorFirstNode      = "first-node-only"       // moves business off only the first node a notification names
	BehaviorNackLeaves     = "nack-leaves-state"     // moves what it can, then refuses, leaving it moved
	BehaviorNotIdempotent  = "not-idempotent"        // acts on every delivery of a notification
	BehaviorIgnoresLimits  = "ignores-own-limits"    // scales in below the VNF's declared minPreserved
	BehaviorAnyMethod      = "accepts-any-method"    // endpoint answers 204 to PUT, PATCH and DELETE
	BehaviorStrictTypes    = "rejects-unknown-types"
	BehaviorIgnoresVersion = "ignores-version"         // endpoint accepts requests without a valid Version header
	BehaviorAcceptsBadAuth = "accepts-bad-credentials" // endpoint accepts wrong or missing credentials
	BehaviorNoVersionOut   = "answers-without-version" // endpoint leaves the Version header out of its answers
	BehaviorNarrowFilter   = "narrow-filter"           // filters out session status notifications
	BehaviorDoubleSub      = "double-subscribe"        // holds two subscriptions for one VNFM
)

// Profile layers.
const (
	LayerMaintenance  = "maintenance"
	LayerEndpoint     = "endpoint"
	LayerSubscription = "subscription"
)

// Profile is one VNFM behaviour: the reference, or a misbehaviour.
type Profile struct {
	Name    string
	Layer   string
	Summary string
}

// Profiles lists every behaviour `escalator vnfm --behavior` and a
// scenario's vnfm.behavior accept, the reference first.
var Profiles = []Profile{
	{BehaviorReference, LayerMaintenance, "the reference VNFM: conforms to every case"},
	{BehaviorSilent, LayerMaintenance, "never replies to a maintenance notification and ignores \"node available\""},
	{BehaviorLate, LayerMaintenance, "moves the business, then replies after replyBy"},
	{BehaviorNack, LayerMaintenance, "refuses every maintenance"},
	{BehaviorAckWithoutMove, LayerMaintenance, "acknowledges every maintenance and moves nothing"},
	{BehaviorMalformed, LayerMaintenance, "moves, then sends a reply that breaks the API spec"},
	{BehaviorDuplicate, LayerMaintenance, "moves, then sends its reply twice"},
	{BehaviorWrongState, LayerMaintenance, "moves, then replies for another maintenance state"},
	{BehaviorNoSwitchover, LayerMaintenance, "acknowledges without switching active instances over"},
	{BehaviorNoDrain, LayerMaintenance, "acknowledges without draining load-balanced members"},
	{BehaviorMisreport, LayerMaintenance, "moves the business, but claims SWITCHED_OVER for every instance it acted on"},
	{BehaviorNoRestore, LayerMaintenance, "ignores \"node available\": moved instances never come back"},
	{BehaviorFirstSwitch, LayerMaintenance, "switches over only the first active instance a notification names and acknowledges the rest unmoved"},
	{BehaviorFirstPool, LayerMaintenance, "drains the members of only the first load-balanced VNF a notification names and acknowledges the other pools' in rotation"},
	{BehaviorRestoresAtEnd, LayerMaintenance, "restores what it moved only when the session ends, so each next node finds the VNF still short of what the last one took"},
	{BehaviorFirstNode, LayerMaintenance, "moves the business off only the first node a notification names, as if the VIM took one node at a time"},
	{BehaviorLazyRestore, LayerMaintenance, "restores a node's instances only when the next maintenance notification arrives, so the last node's stay out"},
	{BehaviorNackLeaves, LayerMaintenance, "when it must refuse, first moves what it can and refuses without undoing it"},
	{BehaviorNotIdempotent, LayerMaintenance, "acts on, and replies to, every delivery of a notification"},
	{BehaviorIgnoresLimits, LayerMaintenance, "scales in below the minPreserved its VNF declared"},
	{BehaviorAnyMethod, LayerEndpoint, "its notification endpoint answers 204 to PUT, PATCH and DELETE"},
	{BehaviorStrictTypes, LayerEndpoint, "its notification endpoint answers 400 to a notification type it does not know"},
	{BehaviorIgnoresVersion, LayerEndpoint, "its notification endpoint accepts requests without a valid Version header"},
	{BehaviorAcceptsBadAuth, LayerEndpoint, "its notification endpoint accepts wrong or missing credentials"},
	{BehaviorNoVersionOut, LayerEndpoint, "its notification endpoint leaves the Version header out of its answers (a spec violation the VIM sees, nothing else)"},
	{BehaviorNarrowFilter, LayerSubscription, "subscribes without SessionStatusNotification, so it never learns how a session ended"},
	{BehaviorDoubleSub, LayerSubscription, "creates a second subscription for itself with another callback URI"},
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
