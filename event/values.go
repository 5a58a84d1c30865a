package event

// Values some fields take, declared here so that a reader of the trace
// (a report drawing it) can compare against them without importing the
// orchestrator that writes them; the orchestrator's constants refer to
// these, so each value is spelled once.

// Statuses of a node in an upgrade session (NodeStatus.Status).
const (
	StatusPending     = "pending"
	StatusMaintenance = "maintenance"
	StatusMigrating   = "migrating"
	StatusUpgrading   = "upgrading"
	StatusVerifying   = "verifying"
	StatusDone        = "done"
	StatusSkipped     = "skipped"
	StatusFailed      = "failed"
	StatusRolledBack  = "rolled-back"
)

// States of an upgrade session (SessionState.State).
const (
	SessionRunning     = "RUNNING"
	SessionPaused      = "PAUSED"
	SessionRollingBack = "ROLLING_BACK"
	SessionCompleted   = "COMPLETED"
	SessionRolledBack  = "ROLLED_BACK"
	SessionFailed      = "FAILED"
	SessionAborted     = "ABORTED"
)

// Terminal reports whether a session state is final: the session will
// change no node any more.
func Terminal(state string) bool {
	switch state {
	case SessionCompleted, SessionRolledBack, SessionFailed, SessionAborted:
		return true
	}
	return false
}

// Notification types the VIM sends a VNFM (VNFMNotify.Type, VNFMReceived.Type).
const (
	TypeMaintenance   = "MaintenanceNotification"
	TypeNodeAvailable = "NodeAvailableNotification"
	TypeSessionStatus = "SessionStatusNotification"
)

// Upgrade flows (SessionCreated.Flow, SessionRefused.Flow): the seed's F1
// "VIM as a whole" and F2 "inside the VIM", and the naive negative
// control. A scenario names them too (upgrade.flow).
const (
	FlowF1    = "F1"
	FlowF2    = "F2"
	FlowNaive = "naive"
)

// VNF redundancy modes (VNFDeployed.Mode), as a scenario names them too.
const (
	ModeActiveStandby = "active-standby"
	ModeLoadBalanced  = "load-balanced"
)

// States of a compute node (NodeState.From and To), as the cloud manager
// reports them.
const (
	NodeNormal      = "normal"
	NodeMaintenance = "maintenance"
	NodeUpgrading   = "upgrading"
	NodeVerifying   = "verifying"
	NodeFailed      = "failed"
)

// Per-instance actions a VNFM reports (or requests) in a reply
// (VNFMReply.Actions), which the conformance checks compare.
const (
	ActionSwitchedOver = "SWITCHED_OVER"
	ActionDrained      = "DRAINED"
	ActionOwnAction    = "OWN_ACTION"
	ActionMigrate      = "MIGRATE"
	ActionLiveMigrate  = "LIVE_MIGRATE"
)

// Authentication a subscription asks for on its notifications
// (SubscriptionCreated.Auth, SubscriptionHeld.Auth), which the conformance
// checks compare.
const (
	AuthBasic  = "BASIC"
	AuthOAuth2 = "OAUTH2_CLIENT_CREDENTIALS"
)

// VNFM behaviours: the reference and the misbehaviour profiles of the
// reference VNFM (sim/profiles.go says what each does). A scenario names
// one (vnfm.behavior, conformance.failedBy) and the trace carries them
// (VNFMIgnored.Behavior, FaultVNFM.Behavior).
const (
	BehaviorReference      = "reference"
	BehaviorSilent         = "silent"
	BehaviorLate           = "late"
	BehaviorNack           = "nack"
	BehaviorAckWithoutMove = "ack-without-moving"
	BehaviorMalformed      = "malformed-reply"
	BehaviorDuplicate      = "duplicate-reply"
	BehaviorWrongState     = "wrong-state-reply"
	BehaviorNoSwitchover   = "no-switchover"
	BehaviorNoDrain        = "no-drain"
	BehaviorMisreport      = "misreports-actions"
	BehaviorNoRestore      = "no-restore"
	BehaviorFirstSwitch    = "first-switchover-only"
	BehaviorFirstPool      = "first-pool-only"
	BehaviorRestoresAtEnd  = "restores-at-end"
	BehaviorFirstNode      = "first-node-only"
	BehaviorLazyRestore    = "lazy-restore"
	BehaviorNackLeaves     = "nack-leaves-state"
	BehaviorNotIdempotent  = "not-idempotent"
	BehaviorIgnoresLimits  = "ignores-own-limits"
	BehaviorAnyMethod      = "accepts-any-method"
	BehaviorStrictTypes    = "rejects-unknown-types"
	BehaviorIgnoresVersion = "ignores-version"
	BehaviorAcceptsBadAuth = "accepts-bad-credentials"
	BehaviorNoVersionOut   = "answers-without-version"
	BehaviorNarrowFilter   = "narrow-filter"
	BehaviorDoubleSub      = "double-subscribe"
)
