package sim

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

const actorVNFM = "vnfm"

// VNFMConfig configures the reference VNFM.
type VNFMConfig struct {
	Name string
	// Behavior names the VNFM's profile (Profiles); a name that is none
	// behaves as the reference.
	Behavior string
	// ReplyAfter is the VNFM's reaction time before it starts moving.
	ReplyAfter time.Duration
	// LateBy: behaviour late replies this long after the deadline.
	LateBy time.Duration
	// RestoreTime is how long bringing an instance back takes after "node
	// available" (resync a standby, warm a member).
	RestoreTime time.Duration
}

// ReplyFunc carries a reply to the VIM and returns its verdict.
type ReplyFunc func(orchestrator.Reply) error

// VNFM is the reference VNFM. It handles one notification at a time, in
// arrival order, as a VNFM with one worker per VIM would.
type VNFM struct {
	cfg VNFMConfig
	// own is the hooks of the configured profile; one notification may
	// be handled with another's (Override).
	own   hooks
	loop  *Loop
	tr    escalator.Emitter
	ctl   VNFControl
	reply ReplyFunc
	queue []func(done func())
	busy  bool
	// affected remembers, per node, the instances a maintenance
	// notification named there, so "node available" touches only those.
	affected map[string][]orchestrator.AffectedInstance
	// seen holds the notification ids already handled: a VIM may deliver
	// one twice (a retry whose first attempt did arrive), and the second
	// must change nothing.
	seen map[string]bool
	// Override, when set, may give one notification another behaviour:
	// the fault injection point for misbehaving on some occasions only.
	Override func(n orchestrator.Notification) string
	// down and epoch model a crash: while down nothing is handled, and
	// work begun before the crash is dropped when it comes due.
	down  bool
	epoch int
	// scaled remembers the VNFs scaled in for maintenance and their size
	// before, to scale back at MAINTENANCE_COMPLETE.
	scaled map[string]int
	order  []string
	// pools are the VNFs a view showed load-balanced. A VNF keeps its
	// mode, so the wait for resyncing standbys need not read a pool again
	// to learn it has none: those reads of 100-member pools were a sixth
	// of a large run (bench/PROFILE.md). Forgotten with the session, as
	// the next session's VNFs may bear the same names.
	pools map[string]bool
	// lazy holds the nodes whose "node available" the lazy-restore
	// misbehaviour has put off until the next maintenance notification.
	lazy []string
}

// scaleIn shrinks each load-balanced VNF named in a SCALE_IN notification
// to the fewest instances that carry its load plus one spare, so a member
// can still be drained for each node's maintenance (Fenix SCALE_IN), to
// free room for the upgrade.
func (m *VNFM) scaleIn(n orchestrator.Notification) []orchestrator.InstanceAction {
	var actions []orchestrator.InstanceAction
	for _, name := range affectedVNFs(n) {
		view, err := m.ctl.GetVNF(name)
		if err != nil || view.Mode != ModeLoadBalanced || view.CapacityPerInstance <= 0 {
			continue
		}
		need := int(math.Ceil(view.Load / view.CapacityPerInstance))
		// The VNF's own limit binds the VNFM as much as the VIM: keep
		// minPreserved in service even while one member is impacted.
		if mv := view.Maintenance; mv != nil && mv.MinPreserved > need && !m.own.ignoresLimits {
			need = mv.MinPreserved
		}
		need++
		if need >= len(view.Instances) {
			continue
		}
		if err := m.ctl.Scale(view.Name, need); err != nil {
			event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMError{VNF: view.Name, Error: err.Error()})
			continue
		}
		if m.scaled == nil {
			m.scaled = map[string]int{}
		}
		m.scaled[view.Name] = len(view.Instances)
		m.order = append(m.order, view.Name)
		m.action(view.Name, "", fmt.Sprintf("SCALED_IN %d->%d", len(view.Instances), need))
		for _, i := range view.Instances[need:] {
			for _, x := range n.AffectedInstances {
				if x.InstanceID == i.InstanceID {
					actions = append(actions, orchestrator.InstanceAction{InstanceID: i.InstanceID, Action: orchestrator.ActionOwnAction})
				}
			}
		}
	}
	return actions
}

// scaleBack restores the sizes scaleIn took away.
func (m *VNFM) scaleBack() {
	for _, name := range m.order {
		if err := m.ctl.Scale(name, m.scaled[name]); err != nil {
			event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMError{VNF: name, Error: err.Error()})
			continue
		}
		m.action(name, "", fmt.Sprintf("SCALED_OUT to %d", m.scaled[name]))
	}
	m.scaled, m.order = nil, nil
}

// Crash stops the VNFM: it forgets its queue and what it was told, and
// work already under way is dropped.
func (m *VNFM) Crash() {
	m.down = true
	m.epoch++
	m.queue, m.busy = nil, false
	m.affected = map[string][]orchestrator.AffectedInstance{}
	m.seen = nil
	m.pools = nil
	event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMCrashed{})
}

// Resubscribed tells the VNFM it holds a new subscription, perhaps at a
// VIM that restarted: the notification ids it saw under the old one may
// come again meaning something new (a restarted VIM running the same
// scenario numbers its notifications from the same seed), so it forgets
// them; without this it took the new VIM's every notification for a repeat
// and ignored it. Call it on the loop.
func (m *VNFM) Resubscribed() { m.seen = nil }

// Restart brings a crashed VNFM back with empty memory.
func (m *VNFM) Restart() {
	m.down = false
	event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMRestarted{})
}

// after runs fn d from now unless the VNFM crashed meanwhile.
func (m *VNFM) after(d time.Duration, fn func()) {
	e := m.epoch
	m.loop.AfterFunc(d, func() {
		if m.epoch == e {
			fn()
		}
	})
}

// NewVNFM returns a VNFM that moves business through ctl and answers
// through reply.
func NewVNFM(cfg VNFMConfig, loop *Loop, tr escalator.Emitter, ctl VNFControl, reply ReplyFunc) *VNFM {
	return &VNFM{cfg: cfg, own: hooksOf(cfg.Behavior), loop: loop, tr: tr, ctl: ctl, reply: reply, affected: map[string][]orchestrator.AffectedInstance{}}
}

// Name is the VNFM's identifier.
func (m *VNFM) Name() string { return m.cfg.Name }

// Behavior is the VNFM's profile.
func (m *VNFM) Behavior() string { return m.cfg.Behavior }

// Deliver hands the VNFM a notification.
func (m *VNFM) Deliver(n orchestrator.Notification) {
	if m.down {
		return
	}
	event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMReceived{NotificationID: n.ID, Type: n.NotificationType, State: n.State})
	if m.seen[n.ID] && !m.own.repeats {
		event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMDuplicate{NotificationID: n.ID})
		return
	}
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	m.seen[n.ID] = true
	switch n.NotificationType {
	case orchestrator.TypeMaintenance:
		if len(m.lazy) > 0 {
			nodes := m.lazy
			m.lazy = nil
			m.enqueue(func(done func()) { m.restore(nodes, done) })
		}
		for _, a := range n.AffectedInstances {
			if !slices.Contains(m.affected[a.NodeID], a) {
				m.affected[a.NodeID] = append(m.affected[a.NodeID], a)
			}
		}
		m.enqueue(func(done func()) { m.maintenance(n, done) })
	case orchestrator.TypeNodeAvailable:
		switch m.own.restore {
		case restoreOnAvailable:
			m.enqueue(func(done func()) { m.restore(n.AffectedNodes, done) })
		case restoreAtNextMaintenance:
			m.lazy = append(m.lazy, n.AffectedNodes...)
		}
	case orchestrator.TypeSessionStatus:
		if m.own.restore == restoreAtEnd && len(m.affected) > 0 {
			nodes := slices.Sorted(maps.Keys(m.affected))
			m.enqueue(func(done func()) { m.restore(nodes, done) })
		}
		// A session that ends without MAINTENANCE_COMPLETE (failed,
		// aborted) still gives back what was scaled in.
		if len(m.order) > 0 {
			m.enqueue(func(done func()) { m.scaleBack(); done() })
		}
		// The session is over once the work queued before this
		// notification is done: what it noted about nodes must not reach
		// into the next session, whose instances may bear the same names.
		// (lazy-restore loses here the restores it put off.)
		m.enqueue(func(done func()) {
			m.affected = map[string][]orchestrator.AffectedInstance{}
			m.lazy = nil
			m.pools = nil
			done()
		})
	}
}

func (m *VNFM) enqueue(task func(done func())) {
	m.queue = append(m.queue, task)
	m.runNext()
}

func (m *VNFM) runNext() {
	if m.busy || len(m.queue) == 0 {
		return
	}
	task := m.queue[0]
	m.queue = m.queue[1:]
	m.busy = true
	task(func() {
		m.busy = false
		m.runNext()
	})
}

func (m *VNFM) action(vnf, instance, action string) {
	event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMAction{VNF: vnf, Instance: instance, Action: action})
}

func (m *VNFM) send(n orchestrator.Notification, h hooks, ack bool, actions []orchestrator.InstanceAction, reason string) {
	word := "ACK_" + n.State
	if !ack {
		word = "NACK_" + n.State
	}
	if h.word != nil {
		word = h.word(n, word)
	}
	r := orchestrator.Reply{SessionID: n.SessionID, NotificationID: n.ID, VnfmID: m.cfg.Name, Reply: word, InstanceActions: actions, Reason: reason}
	for range max(h.copies, 1) {
		m.deliverReply(n, r)
	}
}

// deliverReply sends a reply, retrying while the VIM is unavailable and
// the deadline has not passed: a VIM outage must not lose an answer.
func (m *VNFM) deliverReply(n orchestrator.Notification, r orchestrator.Reply) {
	err := m.reply(r)
	if err == nil {
		return
	}
	p := event.VNFMReplyRejected{NotificationID: n.ID, Error: err.Error()}
	if escalator.ErrorCode(err) == escalator.EUNAVAILABLE && n.ReplyBy != nil && m.loop.Now().Add(2*time.Second).Before(*n.ReplyBy) {
		p.RetryIn = "2s"
		event.Emit(m.tr, actorVNFM, m.cfg.Name, p)
		m.after(2*time.Second, func() { m.deliverReply(n, r) })
		return
	}
	event.Emit(m.tr, actorVNFM, m.cfg.Name, p)
}

// maintenance moves the business off the affected instances: switch-over
// for an active, drain for a load-balanced member when the others can carry
// the load, and otherwise asks the VIM to migrate. Then it replies.
func (m *VNFM) maintenance(n orchestrator.Notification, done func()) {
	behavior := m.cfg.Behavior
	if m.Override != nil {
		if b := m.Override(n); b != "" {
			behavior = b
			event.Emit(m.tr, "fault", m.cfg.Name, event.FaultVNFM{NotificationID: n.ID, Behavior: b})
		}
	}
	h := hooksOf(behavior)
	if h.answer == answerIgnore {
		event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMIgnored{NotificationID: n.ID, Behavior: BehaviorSilent})
		done()
		return
	}
	e := m.epoch
	m.after(m.cfg.ReplyAfter, func() {
		switch {
		case h.answer == answerRefuse:
			m.send(n, h, false, nil, "the VNFM refuses maintenance (behavior "+behavior+")")
			done()
			return
		case h.answer == answerAckOnly:
			m.send(n, h, true, nil, "")
			done()
			return
		case n.State == orchestrator.StateScaleIn:
			m.send(n, h, true, m.scaleIn(n), "")
			done()
			return
		case n.State == orchestrator.StateMaintenanceComplete:
			m.scaleBack()
			m.send(n, h, true, nil, "")
			done()
			return
		}
		var act func(views map[string]VNFView)
		// again looks once more in two seconds, when the VNF control API
		// was away: as deliverReply does for the VIM, rather than reply
		// having moved nothing, or asking the VIM to migrate what a drain
		// would have moved.
		again := func() {
			event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMWaiting{NotificationID: n.ID, For: "the VNF control API"})
			m.after(2*time.Second, func() {
				if m.epoch == e {
					m.whenStandbysReady(n, e, act)
				}
			})
		}
		act = func(views map[string]VNFView) {
			steps, refusal, away := m.plan(n, h, views)
			if away {
				again()
				return
			}
			if refusal != "" && !h.movesThenRefuses {
				m.send(n, h, false, nil, refusal)
				done()
				return
			}
			if refusal != "" {
				// The misbehaviour: act first, then find out it must refuse.
				steps = slices.DeleteFunc(steps, func(st step) bool { return st.action == orchestrator.ActionLiveMigrate })
			}
			room := n.ReplyBy != nil && m.loop.Now().Add(2*time.Second).Before(*n.ReplyBy)
			m.move(steps, h, room, again, func(actions []orchestrator.InstanceAction) {
				if m.epoch != e {
					return // crashed while moving: the answer died with it
				}
				switch {
				case refusal != "":
					m.send(n, h, false, nil, refusal)
				case h.late && n.ReplyBy != nil:
					wait := n.ReplyBy.Add(m.cfg.LateBy).Sub(m.loop.Now())
					m.after(wait, func() { m.send(n, h, true, actions, "") })
				default:
					m.send(n, h, true, actions, "")
				}
				done()
			})
		}
		m.whenStandbysReady(n, e, act)
	})
}

// whenStandbysReady waits (in one-second looks, while the deadline leaves
// room) for a standby that is up but still resyncing, so the VNFM can
// switch over rather than ask the VIM to migrate the active. then gets the
// views read by the last look, taken at the very instant it runs: the plan
// need not read those VNFs again (at 10,000 nodes, a read of every
// active-standby VNF of a batch, validated on both sides).
func (m *VNFM) whenStandbysReady(n orchestrator.Notification, e int, then func(views map[string]VNFView)) {
	if m.epoch != e {
		return
	}
	affectedNode := map[string]bool{}
	for _, id := range n.AffectedNodes {
		affectedNode[id] = true
	}
	syncing := false
	views := map[string]VNFView{}
	for _, name := range affectedVNFs(n) {
		if m.pools[name] {
			continue
		}
		view, err := m.view(name)
		if err != nil {
			continue
		}
		views[name] = view
		if view.Mode != ModeActiveStandby {
			continue
		}
		ready := false
		for _, i := range view.Instances {
			if i.Role == RoleStandby && i.Health == "up" && !affectedNode[i.Node] {
				if i.Ready {
					ready = true
				} else {
					syncing = true
				}
			}
		}
		if ready {
			syncing = false
		}
		if syncing {
			break
		}
	}
	if syncing && n.ReplyBy != nil && m.loop.Now().Add(time.Second).Before(n.ReplyBy.Add(-n.ReplyBy.Sub(n.TimeStamp)/2)) {
		event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMWaiting{NotificationID: n.ID, For: "a standby to resync"})
		m.after(time.Second, func() { m.whenStandbysReady(n, e, then) })
		return
	}
	then(views)
}

// view reads a VNF through the VNF control API, noting a pool.
func (m *VNFM) view(name string) (VNFView, error) {
	v, err := m.ctl.GetVNF(name)
	if err == nil && v.Mode == ModeLoadBalanced {
		if m.pools == nil {
			m.pools = map[string]bool{}
		}
		m.pools[name] = true
	}
	return v, err
}

// step is what the VNFM means to do for one affected instance.
type step struct {
	vnf, instance string
	action        string // what the reply will say
	to            string // switch over to this standby
	drain         bool
}

// plan decides, before touching anything, how to move the business off
// the affected instances: switch-over for an active, drain for a
// load-balanced member when the others can carry the load, and otherwise
// a migration it asks the VIM for. refusal is set when some instance can
// neither be moved by the VNFM nor migrated as its VNF allows: the
// maintenance cannot be honoured and must be refused before anything
// changes. away is set, and nothing planned, when the VNF control API is
// unavailable and the reply deadline leaves time to look again (in the
// testbed, a VIM process being restarted serves it).
func (m *VNFM) plan(n orchestrator.Notification, h hooks, views map[string]VNFView) (steps []step, refusal string, away bool) {
	affectedNode := map[string]bool{}
	for _, id := range n.AffectedNodes {
		affectedNode[id] = true
	}
	affected := map[string]bool{}
	for _, a := range n.AffectedInstances {
		if len(n.AffectedNodes) > 0 && !h.nodes.admits(a.NodeID == n.AffectedNodes[0]) {
			continue
		}
		affected[a.InstanceID] = true
	}
	for _, name := range affectedVNFs(n) {
		view, ok := views[name]
		var err error
		if !ok {
			view, err = m.view(name)
		}
		if err != nil && escalator.ErrorCode(err) == escalator.EUNAVAILABLE && n.ReplyBy != nil && m.loop.Now().Add(2*time.Second).Before(*n.ReplyBy) {
			return nil, "", true
		}
		if err != nil {
			event.Emit(m.tr, actorVNFM, m.cfg.Name, event.VNFMError{VNF: name, Error: err.Error()})
			continue
		}
		// What the pool serves now; each drain takes a member's share
		// away, and a member is drained only while the rest still carry
		// the load. The others keep serving while the VIM moves them.
		serving := 0.0
		for _, i := range view.Instances {
			if i.Health == "up" && i.InRotation {
				serving += view.CapacityPerInstance
			}
		}
		for _, i := range view.Instances {
			if !affected[i.InstanceID] {
				continue
			}
			st := step{vnf: name, instance: i.InstanceID, action: orchestrator.ActionOwnAction}
			switch {
			case i.Health != "up":
			case view.Mode == ModeActiveStandby && i.Role == RoleActive:
				st.action = orchestrator.ActionLiveMigrate
				for _, s := range view.Instances {
					if s.Role == RoleStandby && s.Health == "up" && s.Ready && !affectedNode[s.Node] {
						st.action, st.to = orchestrator.ActionSwitchedOver, s.InstanceID
						break
					}
				}
			case view.Mode == ModeActiveStandby:
				st.drain = true
			case !i.InRotation:
			case serving-view.CapacityPerInstance >= view.Load:
				st.action, st.drain = orchestrator.ActionDrained, true
				serving -= view.CapacityPerInstance
			default:
				// Draining would leave the pool short of capacity: keep
				// serving and let the VIM live-migrate the member.
				st.action = orchestrator.ActionLiveMigrate
			}
			if st.action == orchestrator.ActionLiveMigrate && !view.Maintenance.Migratable(true) && refusal == "" {
				refusal = fmt.Sprintf("%s cannot spare instance %s and its VNF allows no live migration", name, i.InstanceID)
			}
			steps = append(steps, st)
		}
	}
	return steps, refusal, false
}

// move carries out a plan and calls finished with the instance actions
// for the reply once every drain has let its in-flight work finish. When
// retry is allowed and the VNF control API turns out to be away midway, it
// stops there and calls again instead: what it did stays done, and the
// next plan, made from the VNFs as they then are, does the rest.
func (m *VNFM) move(steps []step, h hooks, retry bool, again func(), finished func([]orchestrator.InstanceAction)) {
	var actions []orchestrator.InstanceAction
	away := false
	pending := 1 // released after the loop, so drains that finish at once cannot reply early
	release := func() {
		pending--
		if pending == 0 {
			if away {
				again()
				return
			}
			finished(actions)
		}
	}
	unavailable := func(err error) bool {
		away = retry && escalator.ErrorCode(err) == escalator.EUNAVAILABLE
		return away
	}
	act := func(vnf, inst, action string) {
		m.action(vnf, inst, action)
		if h.claim != nil {
			action = h.claim(action)
		}
		actions = append(actions, orchestrator.InstanceAction{InstanceID: inst, Action: action})
	}
	switched, pool := false, "" // whether a switch-over, and which pool, was acted on: the reach hooks
	for _, st := range steps {
		if away {
			break
		}
		switch {
		case st.to != "":
			if !h.switchovers.admits(!switched) {
				continue
			}
			switched = true
			if err := m.ctl.SwitchOver(st.vnf, st.to); err != nil {
				if unavailable(err) {
					continue
				}
				act(st.vnf, st.instance, orchestrator.ActionLiveMigrate)
				continue
			}
			act(st.vnf, st.instance, orchestrator.ActionSwitchedOver)
		case st.drain:
			if st.action == orchestrator.ActionDrained {
				if !h.pools.admits(pool == "" || pool == st.vnf) {
					continue
				}
				pool = st.vnf
			}
			pending++
			if err := m.ctl.Drain(st.vnf, st.instance, release); err != nil {
				pending--
				if unavailable(err) {
					continue
				}
				if st.action == orchestrator.ActionDrained {
					act(st.vnf, st.instance, orchestrator.ActionLiveMigrate)
					continue
				}
			}
			act(st.vnf, st.instance, st.action)
		default:
			act(st.vnf, st.instance, st.action)
		}
	}
	release()
}

// restore brings the instances the VNFM moved off a node back once the
// node is available: into rotation, or back in sync as standbys — the
// redundancy the maintenance took away. It acts on the instances the
// maintenance notification named, so it needs no look at the whole VNF.
func (m *VNFM) restore(nodes []string, done func()) {
	m.after(m.cfg.RestoreTime, func() {
		for _, node := range nodes {
			for _, a := range m.affected[node] {
				// An instance that is active, or down, needs nothing or
				// cannot be helped; the VNF says so and nothing changes.
				if m.ctl.Undrain(a.VnfInstanceID, a.InstanceID) == nil {
					m.action(a.VnfInstanceID, a.InstanceID, "RESTORED")
				}
			}
			delete(m.affected, node)
		}
		done()
	})
}

// affectedVNFs lists the VNFs a notification names, in the order it names
// them.
func affectedVNFs(n orchestrator.Notification) []string {
	var out []string
	// A set, not a search of out: a batch's notification names thousands
	// of instances of thousands of VNFs.
	seen := map[string]bool{}
	for _, a := range n.AffectedInstances {
		if !seen[a.VnfInstanceID] {
			seen[a.VnfInstanceID] = true
			out = append(out, a.VnfInstanceID)
		}
	}
	return out
}
