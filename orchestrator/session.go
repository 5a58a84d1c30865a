package orchestrator

import (
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// Flows (strategies) the Manager can run; flow.go says what each does.
const (
	FlowF1    = event.FlowF1    // VIM as a whole: batches, business check, fallback migration
	FlowF2    = event.FlowF2    // inside the VIM: one node, reply or timeout, upgrade, available
	FlowNaive = event.FlowNaive // negative control: no maintenance mode, no notification
)

// NACK policies.
const (
	OnNackFail = "fail" // a NACK ends the session (Fenix's behaviour)
	OnNackSkip = "skip" // a NACK leaves the refused nodes out and goes on
)

// Defects are deliberate orchestrator bugs. They exist only so that
// negative-control scenarios can prove each check is able to fail;
// defect.go makes each one out of a production flow.
const (
	DefectIgnoreReply       = "ignore-reply"        // upgrade without waiting for replies
	DefectIgnoreMaxParallel = "ignore-max-parallel" // batches twice as large as allowed
	DefectIgnoreVNFGroups   = "ignore-vnf-groups"   // plan batches without instance-group limits
	DefectIgnoreVNFLimits   = "ignore-vnf-limits"   // no IFA 011 lead time, recovery time or migration types
	DefectForgetOnRestart   = "forget-on-restart"   // a restart does not resume the session (as without a state store)
)

// Session states; the trace carries them, so package event, its
// vocabulary, spells them.
const (
	SessionRunning     = event.SessionRunning
	SessionPaused      = event.SessionPaused
	SessionRollingBack = event.SessionRollingBack
	SessionCompleted   = event.SessionCompleted
	SessionRolledBack  = event.SessionRolledBack
	SessionFailed      = event.SessionFailed
	SessionAborted     = event.SessionAborted
)

// Node statuses in a session's status table, spelled in package event
// too.
const (
	StatusPending     = event.StatusPending
	StatusMaintenance = event.StatusMaintenance
	StatusMigrating   = event.StatusMigrating
	StatusUpgrading   = event.StatusUpgrading
	StatusVerifying   = event.StatusVerifying
	StatusDone        = event.StatusDone
	StatusSkipped     = event.StatusSkipped
	StatusFailed      = event.StatusFailed
	StatusRolledBack  = event.StatusRolledBack
)

// Config is an operator's upgrade request.
type Config struct {
	Flow          string
	TargetVersion string
	// Nodes to upgrade, in order; empty means every node the cloud manager
	// reports, in its order.
	Nodes       []string
	MaxParallel int
	// ReplyTimeout is how long VNFMs get to answer a maintenance
	// notification (the replyBy deadline).
	ReplyTimeout time.Duration
	// UpgradeTimeout is the expected duration of one node's upgrade plus
	// verification; past it the step is a hang and fails (Escalator R27e).
	UpgradeTimeout time.Duration
	OnNack         string
	Rollback       bool
	// GroupLimits caps the instances of one instance group that may be
	// impacted at once (IFA 011 maxImpacted); absent groups get 1.
	GroupLimits map[string]int
	// GroupLeadTime is the least time between notifying a group's VNFM and
	// the first impact on its instances (IFA 011 lead time).
	GroupLeadTime map[string]time.Duration
	// GroupRecovery is the least time between the end of one impact on a
	// group and the start of the next (IFA 011 minRecoveryTime).
	GroupRecovery map[string]time.Duration
	// GroupMigration lists how a group's VMs may be moved: "live",
	// "cold", or "none"; absent groups allow both.
	GroupMigration map[string][]string
	// BatchByZone fills each batch from one zone.
	BatchByZone bool
	// ReplyDeadlines overrides ReplyTimeout per maintenance state.
	ReplyDeadlines map[string]time.Duration
	// CheckCapacity refuses to start when the VMs of a batch could not be
	// moved elsewhere (Escalator UC1's pre-check).
	CheckCapacity bool
	// ScaleIn, when the capacity check fails, asks the VNFMs to scale in
	// (Fenix SCALE_IN) and to scale back out at the end.
	ScaleIn bool
	Defects []string
}

func (c *Config) replyTimeout(state string) time.Duration {
	if d, ok := c.ReplyDeadlines[state]; ok && d > 0 {
		return d
	}
	return c.ReplyTimeout
}

// NodeStatus is one row of the session's status table.
type NodeStatus struct {
	Node        string `json:"node"`
	Status      string `json:"status"`
	FromVersion string `json:"fromVersion"`
	ToVersion   string `json:"toVersion"`
	Reason      string `json:"reason,omitempty"`
}

// SessionStatus is a snapshot of a session.
type SessionStatus struct {
	ID            string       `json:"id"`
	State         string       `json:"state"`
	Flow          string       `json:"flow"`
	TargetVersion string       `json:"targetVersion"`
	Reason        string       `json:"reason,omitempty"`
	Nodes         []NodeStatus `json:"nodes"`
}

// Terminal reports whether a session state is final.
func Terminal(state string) bool { return event.Terminal(state) }

func (c *Config) validate() error {
	if _, ok := flows[c.Flow]; !ok {
		return escalator.Errorf(escalator.EINVALID, "unknown flow %q (want %s)", c.Flow, oneOf(flows))
	}
	if c.TargetVersion == "" {
		return escalator.Errorf(escalator.EINVALID, "targetVersion is required")
	}
	if c.MaxParallel < 1 {
		return escalator.Errorf(escalator.EINVALID, "maxParallel must be at least 1, got %d", c.MaxParallel)
	}
	if c.ReplyTimeout <= 0 || c.UpgradeTimeout <= 0 {
		return escalator.Errorf(escalator.EINVALID, "replyTimeout and upgradeTimeout must be positive")
	}
	switch c.OnNack {
	case OnNackFail, OnNackSkip:
	default:
		return escalator.Errorf(escalator.EINVALID, "unknown NACK policy %q (want fail or skip)", c.OnNack)
	}
	for g, types := range c.GroupMigration {
		for _, t := range types {
			if t != "live" && t != "cold" && t != "none" {
				return escalator.Errorf(escalator.EINVALID, "group %s: unknown migration type %q (want live, cold or none)", g, t)
			}
		}
	}
	for st := range c.ReplyDeadlines {
		switch st {
		case StatePlannedMaintenance, StateScaleIn, StateMaintenanceComplete:
		default:
			return escalator.Errorf(escalator.EINVALID, "reply deadline for unknown maintenance state %q", st)
		}
	}
	for _, d := range c.Defects {
		if _, ok := defects[d]; !ok {
			return escalator.Errorf(escalator.EINVALID, "unknown defect %q", d)
		}
	}
	return nil
}

func (c *Config) groupLimit(g string) int {
	if n, ok := c.GroupLimits[g]; ok && n > 0 {
		return n
	}
	return 1
}

// nodeRun is the Manager's private record of one node in a session.
type nodeRun struct {
	NodeStatus
	original string
	// broken: the node failed and has not been reinstalled yet; it must
	// not be announced as available.
	broken bool
	// op increments at every step so that a late callback from an earlier
	// step (a hung upgrade finishing after its timeout) is recognised and
	// dropped.
	op          int
	cancelTimer func()
	// step, since, final and finalReason are the effect in flight, as the
	// store records it (NodeRecord); seq orders the upgraded nodes.
	step        string
	since       time.Time
	final       string
	finalReason string
	seq         int
	// batchGen and batchPos place the node in the batch numbered
	// batchGen; settledGen is the batch in which it settled.
	batchGen, batchPos, settledGen int
	// dirty: changed since the last commit.
	dirty bool
}

// batch is the unit of work in flight: nodes in maintenance together.
type batch struct {
	nodes    []string
	state    string    // the maintenance state notified: PLANNED_MAINTENANCE, SCALE_IN, MAINTENANCE_COMPLETE
	notified time.Time // when the notifications went out
	rollback bool
	phase    string
	vnfms    map[string][]string // node → VNFMs told about it
	pending  map[string]string   // VNFM → notification id awaiting a reply
	notes    map[string]*Notification
	migrate  map[string]string // VM → MIGRATE or LIVE_MIGRATE, as a VNFM asked
	// onReplies runs when every VNFM answered or the deadline passed.
	onReplies func()
	leadDone  bool // the IFA 011 lead time has been waited for
	// groups are the instance groups each node hosted when the batch
	// began, for the IFA 011 recovery time.
	groups   map[string][]string
	inflight int
	settled  map[string]bool
	cancel   func()
	// started: every node entered maintenance and every notification
	// went out. noteOrder is the notifications in the order sent.
	started   bool
	noteOrder []string
	// gen numbers the batch within its session; noteVNFM says which VNFM
	// each of its notifications went to.
	gen      int
	noteVNFM map[string]string
}

const (
	phaseNotify  = "notify"
	phaseMigrate = "migrate"
	phaseUpgrade = "upgrade"
)

type session struct {
	id       string
	cfg      Config
	flow     flow     // the strategy, with the session's defects
	chain    []filter // the planner's filters, from the flow
	state    string
	reason   string
	order    []string
	nodes    map[string]*nodeRun
	pending  []string // forward work not yet started
	upgraded []string // nodes at the target version, in completion order
	back     []string // rollback work not yet started
	failed   []string // nodes whose step failed in the current batch
	batch    *batch
	vnfms    []string // every VNFM told anything, in first-told order
	paused   bool
	abort    bool
	failure  string // set when the session must end FAILED at the batch boundary
	// rollingBack is the session's mode once a node failed; the reported
	// state may still be PAUSED. cause is the failure that started it,
	// which the ROLLED_BACK state keeps as its reason.
	rollingBack bool
	cause       string
	// impactEnd is when each instance group's last impact ended, for the
	// IFA 011 recovery time.
	impactEnd map[string]time.Time
	// scaledIn: the VNFMs were asked to scale in and must be told to
	// scale back out at the end.
	scaledIn     bool
	needScaleIn  bool
	completeSent bool
	scaleVNFMs   []string // the VNFMs asked to scale in
	// upgrades counts the nodes ever upgraded (nodeRun.seq); batches
	// the batches begun (batch.gen).
	upgrades int
	batches  int
	// What the next commit to the store carries: the spec once, the
	// notifications about to go out, the replies taken; lastHeader is the
	// header last committed, so an unchanged session is not written again.
	created    time.Time
	stored     bool
	dirtyNodes []string
	unsent     []Notification
	replies    []Reply
	lastHeader []byte
	outbox     []OutboxEntry
}

// stopTimer cancels the node's expected-duration timer, if one runs.
func (n *nodeRun) stopTimer() {
	if n.cancelTimer != nil {
		n.cancelTimer()
		n.cancelTimer = nil
	}
}

func (s *session) status() SessionStatus {
	st := SessionStatus{ID: s.id, State: s.state, Flow: s.cfg.Flow, TargetVersion: s.cfg.TargetVersion, Reason: s.reason}
	for _, id := range s.order {
		st.Nodes = append(st.Nodes, s.nodes[id].NodeStatus)
	}
	return st
}

func (s *session) rememberVNFM(v string) {
	for _, x := range s.vnfms {
		if x == v {
			return
		}
	}
	s.vnfms = append(s.vnfms, v)
}

func describeNodes(ids []string) string {
	if len(ids) == 1 {
		return "node " + ids[0]
	}
	return fmt.Sprintf("nodes %v", ids)
}
