package sim

import (
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
)

const actorVNFM = "vnfm"

// VNFM behaviours: the reference one and the misbehaviour profiles.
const (
	BehaviorReference      = "reference"
	BehaviorSilent         = "silent"             // never replies
	BehaviorLate           = "late"               // moves, but replies after replyBy
	BehaviorNack           = "nack"               // refuses every maintenance
	BehaviorAckWithoutMove = "ack-without-moving" // says yes, moves nothing
	BehaviorMalformed      = "malformed-reply"    // moves, then sends a reply that breaks the API spec
)

// VNFMConfig configures the reference VNFM.
type VNFMConfig struct {
	Name     string
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
	cfg   VNFMConfig
	loop  *Loop
	tr    escalator.Emitter
	ctl   VNFControl
	reply ReplyFunc
	queue []func(done func())
	busy  bool
	// affected remembers, per node, the instances a maintenance
	// notification named there, so "node available" touches only those.
	affected map[string][]orchestrator.AffectedInstance
}

// NewVNFM returns a VNFM that moves business through ctl and answers
// through reply.
func NewVNFM(cfg VNFMConfig, loop *Loop, tr escalator.Emitter, ctl VNFControl, reply ReplyFunc) *VNFM {
	return &VNFM{cfg: cfg, loop: loop, tr: tr, ctl: ctl, reply: reply, affected: map[string][]orchestrator.AffectedInstance{}}
}

// Name is the VNFM's identifier.
func (m *VNFM) Name() string { return m.cfg.Name }

// Deliver hands the VNFM a notification.
func (m *VNFM) Deliver(n orchestrator.Notification) {
	f := escalator.Fields{"notificationId": n.ID, "type": n.NotificationType}
	if n.State != "" {
		f["state"] = n.State
	}
	m.tr.Emit(actorVNFM, "vnfm.received", m.cfg.Name, f)
	switch n.NotificationType {
	case orchestrator.TypeMaintenance:
		for _, a := range n.AffectedInstances {
			if !slices.Contains(m.affected[a.NodeID], a) {
				m.affected[a.NodeID] = append(m.affected[a.NodeID], a)
			}
		}
		m.enqueue(func(done func()) { m.maintenance(n, done) })
	case orchestrator.TypeNodeAvailable:
		if m.cfg.Behavior != BehaviorSilent {
			m.enqueue(func(done func()) { m.restore(n, done) })
		}
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
	m.tr.Emit(actorVNFM, "vnfm.action", m.cfg.Name, escalator.Fields{"vnf": vnf, "instance": instance, "action": action})
}

func (m *VNFM) send(n orchestrator.Notification, ack bool, actions []orchestrator.InstanceAction, reason string) {
	word := "ACK_" + n.State
	if !ack {
		word = "NACK_" + n.State
	}
	if m.cfg.Behavior == BehaviorMalformed {
		word = "ACK" // no state: the spec's pattern refuses it
	}
	r := orchestrator.Reply{SessionID: n.SessionID, NotificationID: n.ID, VnfmID: m.cfg.Name, Reply: word, InstanceActions: actions, Reason: reason}
	if err := m.reply(r); err != nil {
		m.tr.Emit(actorVNFM, "vnfm.reply-rejected", m.cfg.Name, escalator.Fields{"notificationId": n.ID, "error": err.Error()})
	}
}

// maintenance moves the business off the affected instances: switch-over
// for an active, drain for a load-balanced member when the others can carry
// the load, and otherwise asks the VIM to migrate. Then it replies.
func (m *VNFM) maintenance(n orchestrator.Notification, done func()) {
	if m.cfg.Behavior == BehaviorSilent {
		m.tr.Emit(actorVNFM, "vnfm.ignored", m.cfg.Name, escalator.Fields{"notificationId": n.ID, "behavior": BehaviorSilent})
		done()
		return
	}
	m.loop.AfterFunc(m.cfg.ReplyAfter, func() {
		switch m.cfg.Behavior {
		case BehaviorNack:
			m.send(n, false, nil, "the VNFM refuses maintenance (behavior nack)")
			done()
			return
		case BehaviorAckWithoutMove:
			m.send(n, true, nil, "")
			done()
			return
		}
		m.move(n, func(actions []orchestrator.InstanceAction) {
			if m.cfg.Behavior == BehaviorLate && n.ReplyBy != nil {
				wait := n.ReplyBy.Add(m.cfg.LateBy).Sub(m.loop.Now())
				m.loop.AfterFunc(wait, func() { m.send(n, true, actions, "") })
			} else {
				m.send(n, true, actions, "")
			}
			done()
		})
	})
}

func (m *VNFM) move(n orchestrator.Notification, finished func([]orchestrator.InstanceAction)) {
	affectedNode := map[string]bool{}
	for _, id := range n.AffectedNodes {
		affectedNode[id] = true
	}
	affected := map[string]bool{}
	var vnfs []string
	for _, a := range n.AffectedInstances {
		affected[a.InstanceID] = true
		if !slices.Contains(vnfs, a.VnfInstanceID) {
			vnfs = append(vnfs, a.VnfInstanceID)
		}
	}
	var actions []orchestrator.InstanceAction
	pending := 1 // released after the loop, so drains that finish at once cannot reply early
	release := func() {
		pending--
		if pending == 0 {
			finished(actions)
		}
	}
	act := func(vnf, inst, action string) {
		m.action(vnf, inst, action)
		actions = append(actions, orchestrator.InstanceAction{InstanceID: inst, Action: action})
	}
	for _, name := range vnfs {
		view, err := m.ctl.GetVNF(name)
		if err != nil {
			m.tr.Emit(actorVNFM, "vnfm.error", m.cfg.Name, escalator.Fields{"vnf": name, "error": err.Error()})
			continue
		}
		// Members that keep serving whatever happens to the affected ones.
		spare := 0.0
		for _, i := range view.Instances {
			if !affected[i.InstanceID] && i.Health == "up" && i.InRotation {
				spare += view.CapacityPerInstance
			}
		}
		for _, i := range view.Instances {
			if !affected[i.InstanceID] {
				continue
			}
			switch {
			case i.Health != "up":
				act(name, i.InstanceID, orchestrator.ActionOwnAction)
			case view.Mode == ModeActiveStandby && i.Role == RoleActive:
				to := ""
				for _, s := range view.Instances {
					if s.Role == RoleStandby && s.Health == "up" && s.Ready && !affectedNode[s.Node] {
						to = s.InstanceID
						break
					}
				}
				if to == "" || m.ctl.SwitchOver(name, to) != nil {
					act(name, i.InstanceID, orchestrator.ActionLiveMigrate)
					continue
				}
				act(name, i.InstanceID, orchestrator.ActionSwitchedOver)
			case view.Mode == ModeActiveStandby:
				pending++
				if err := m.ctl.Drain(name, i.InstanceID, release); err != nil {
					pending--
				}
				act(name, i.InstanceID, orchestrator.ActionOwnAction)
			case !i.InRotation:
				act(name, i.InstanceID, orchestrator.ActionOwnAction)
			case spare >= view.Load:
				pending++
				if err := m.ctl.Drain(name, i.InstanceID, release); err != nil {
					pending--
					act(name, i.InstanceID, orchestrator.ActionLiveMigrate)
					continue
				}
				act(name, i.InstanceID, orchestrator.ActionDrained)
			default:
				// Draining would leave the pool short of capacity: keep
				// serving and let the VIM live-migrate the member.
				act(name, i.InstanceID, orchestrator.ActionLiveMigrate)
			}
		}
	}
	release()
}

// restore brings the instances the VNFM moved off a node back once the
// node is available: into rotation, or back in sync as standbys — the
// redundancy the maintenance took away. It acts on the instances the
// maintenance notification named, so it needs no look at the whole VNF.
func (m *VNFM) restore(n orchestrator.Notification, done func()) {
	m.loop.AfterFunc(m.cfg.RestoreTime, func() {
		for _, node := range n.AffectedNodes {
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
