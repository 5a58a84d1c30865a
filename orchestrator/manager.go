package orchestrator

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

const actor = "orchestrator"

// Manager runs upgrade sessions. All methods and all port callbacks must be
// called from one goroutine (the event loop); the Manager holds no locks.
type Manager struct {
	p        Ports
	tr       escalator.Emitter
	newID    func() string
	sessions map[string]*session
	order    []string
	active   *session
	onEnd    []func(SessionStatus)
	// onPlan, when set, sees every plan result, with the reasons the
	// trace does not carry (the tests read them).
	onPlan func(planResult)
	// store keeps the sessions (durable.go); ended are the sessions that
	// reached a final state since the last commit; halted is the store's
	// refusal that stopped the Manager.
	store  Store
	ended  []*session
	halted error
	onHalt []func(error)
	// notes are the outbox's notifications a restart sends again.
	notes map[string]*Notification
}

// New returns a Manager. newID generates session and notification IDs; pass
// a seeded generator for reproducible traces.
func New(p Ports, tr escalator.Emitter, newID func() string) *Manager {
	m := &Manager{p: p, tr: tr, newID: newID, sessions: map[string]*session{}, store: p.Store}
	if p.Store != nil {
		m.writeAhead()
	}
	return m
}

// OnEnd registers fn to be called when a session reaches a final state.
func (m *Manager) OnEnd(fn func(SessionStatus)) { m.onEnd = append(m.onEnd, fn) }

// CreateSession checks the request and the infrastructure, then starts the
// upgrade. The first step runs from the clock, after CreateSession returns,
// so a caller (an HTTP handler) can answer before notifications go out.
func (m *Manager) CreateSession(cfg Config) (SessionStatus, error) {
	if err := m.available(); err != nil {
		return SessionStatus{}, err
	}
	if err := cfg.validate(); err != nil {
		return SessionStatus{}, err
	}
	if m.active != nil {
		return SessionStatus{}, escalator.Errorf(escalator.ECONFLICT, "session %s is still %s; one upgrade session runs at a time", m.active.id, m.active.state)
	}
	s, err := m.precheck(cfg)
	if err != nil {
		event.Emit(m.tr, actor, "", event.SessionRefused{Reason: err.Error(), TargetVersion: cfg.TargetVersion, Flow: cfg.Flow})
		return SessionStatus{}, err
	}
	m.sessions[s.id] = s
	m.order = append(m.order, s.id)
	m.active = s
	s.created = m.p.Clock.Now()
	for _, id := range s.order {
		m.markNode(s, id)
	}
	event.Emit(m.tr, actor, s.id, event.SessionCreated{
		Flow: cfg.Flow, TargetVersion: cfg.TargetVersion, Nodes: s.order,
		MaxParallel: cfg.MaxParallel, ReplyTimeout: cfg.ReplyTimeout.String(),
		UpgradeTimeout: cfg.UpgradeTimeout.String(), OnNack: cfg.OnNack,
	})
	if len(cfg.Defects) > 0 {
		event.Emit(m.tr, actor, s.id, event.SessionDefects{Defects: cfg.Defects,
			Note: "deliberate orchestrator bugs for a negative control"})
	}
	m.p.Clock.AfterFunc(0, func() { m.next(s) })
	// The session is on record before the client hears of it.
	if !m.flush() {
		return SessionStatus{}, m.available()
	}
	return s.status(), nil
}

// precheck builds the session's status table and refuses an upgrade that
// cannot start cleanly: unknown nodes, or nodes not in normal service
// (Escalator UC1: a healthy start state).
func (m *Manager) precheck(cfg Config) (*session, error) {
	infos := map[string]NodeInfo{}
	var all []string
	for _, n := range m.p.Cloud.Nodes() {
		infos[n.ID] = n
		all = append(all, n.ID)
	}
	sel := cfg.Nodes
	if len(sel) == 0 {
		sel = all
	}
	s := &session{id: m.newID(), cfg: cfg, flow: sessionFlow(&cfg), state: SessionRunning, nodes: map[string]*nodeRun{}}
	s.chain = s.flow.filters(&s.cfg)
	for _, id := range sel {
		n, ok := infos[id]
		if !ok {
			return nil, escalator.Errorf(escalator.EINVALID, "node %q does not exist", id)
		}
		if _, dup := s.nodes[id]; dup {
			return nil, escalator.Errorf(escalator.EINVALID, "node %q is listed twice", id)
		}
		if n.State != NodeNormal {
			return nil, escalator.Errorf(escalator.ECONFLICT, "node %s is %s; every node must be in normal service before an upgrade starts", id, n.State)
		}
		s.nodes[id] = &nodeRun{NodeStatus: NodeStatus{Node: id, Status: StatusPending, FromVersion: n.Version, ToVersion: cfg.TargetVersion}, original: n.Version}
		s.order = append(s.order, id)
		if n.Version != cfg.TargetVersion {
			s.pending = append(s.pending, id)
		} else {
			s.nodes[id].Status = StatusDone
			s.nodes[id].Reason = "already at the target version"
		}
	}
	if cfg.CheckCapacity && s.flow.checksCapacity() {
		if why := m.capacityShortfall(s); why != "" {
			if !cfg.ScaleIn {
				return nil, escalator.Errorf(escalator.EINVALID, "pre-check: %s", why)
			}
			s.needScaleIn = true
		}
	}
	return s, nil
}

// capacityShortfall is Escalator UC1's pre-check: could the VMs of the
// busiest batch be moved elsewhere if the VNFMs moved nothing? It returns
// "" when they could, and otherwise what is missing, in spare nodes.
func (m *Manager) capacityShortfall(s *session) string {
	infos := m.p.Cloud.Nodes()
	type load struct{ cpu, mem int }
	used := map[string]load{}
	var freeCPU, freeMem, maxCPU, maxMem int
	for _, n := range infos {
		var l load
		for _, vm := range m.p.Cloud.VMsOn(n.ID) {
			l.cpu += vm.VCPUs
			l.mem += vm.MemoryGiB
		}
		used[n.ID] = l
		if n.State == NodeNormal {
			freeCPU += n.VCPUs - n.UsedVCPUs
			freeMem += n.MemoryGiB - n.UsedMemGiB
		}
		maxCPU, maxMem = max(maxCPU, n.VCPUs), max(maxMem, n.MemoryGiB)
	}
	ownFree := func(id string) load {
		for _, n := range infos {
			if n.ID == id && n.State == NodeNormal {
				return load{n.VCPUs - n.UsedVCPUs, n.MemoryGiB - n.UsedMemGiB}
			}
		}
		return load{}
	}
	// A batch B lacks room when the VMs on it exceed the free room off it:
	// used(B) > free − free(B), that is used(B) + free(B) > free. So the
	// worst batch, for each resource on its own, is the maxParallel nodes
	// with the most of that resource in use or free on them: the largest
	// nodes, not the busiest (a big, half-empty node is the hardest to
	// empty).
	worst := func(weight func(id string) int) []string {
		b := slices.Clone(s.pending)
		slices.SortStableFunc(b, func(x, y string) int { return weight(y) - weight(x) })
		return b[:min(len(b), s.cfg.MaxParallel)]
	}
	check := func(batch []string) (needCPU, needMem, restCPU, restMem int) {
		restCPU, restMem = freeCPU, freeMem
		for _, id := range batch {
			needCPU += used[id].cpu
			needMem += used[id].mem
			f := ownFree(id)
			restCPU -= f.cpu
			restMem -= f.mem
		}
		return
	}
	for _, batch := range [][]string{
		worst(func(id string) int { return used[id].cpu + ownFree(id).cpu }),
		worst(func(id string) int { return used[id].mem + ownFree(id).mem }),
	} {
		needCPU, needMem, restCPU, restMem := check(batch)
		if needCPU <= restCPU && needMem <= restMem {
			continue
		}
		spare := 0
		if maxCPU > 0 && maxMem > 0 {
			spare = max(ceilDiv(needCPU-restCPU, maxCPU), ceilDiv(needMem-restMem, maxMem))
		}
		return fmt.Sprintf("the VMs of a batch of %d nodes %v need %d vCPUs / %d GiB elsewhere, the other nodes have %d vCPUs / %d GiB free; add %d spare node(s) of %d vCPUs / %d GiB, lower maxParallel, or allow scaleIn",
			len(batch), batch, needCPU, needMem, restCPU, restMem, spare, maxCPU, maxMem)
	}
	return ""
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// Session returns a snapshot of one session.
func (m *Manager) Session(id string) (SessionStatus, error) {
	s, ok := m.sessions[id]
	if !ok {
		return SessionStatus{}, escalator.Errorf(escalator.ENOTFOUND, "no upgrade session %q", id)
	}
	return s.status(), nil
}

// Sessions returns every session in creation order.
func (m *Manager) Sessions() []SessionStatus {
	out := make([]SessionStatus, 0, len(m.order))
	for _, id := range m.order {
		out = append(out, m.sessions[id].status())
	}
	return out
}

// Pause stops the session from starting another batch; the batch in flight
// finishes.
func (m *Manager) Pause(id string) (SessionStatus, error) {
	defer m.flush()
	s, err := m.live(id)
	if err != nil {
		return SessionStatus{}, err
	}
	if s.paused {
		return s.status(), nil
	}
	s.paused = true
	m.setState(s, SessionPaused, "paused by the operator")
	return s.status(), nil
}

// Resume continues a paused session.
func (m *Manager) Resume(id string) (SessionStatus, error) {
	defer m.flush()
	s, err := m.live(id)
	if err != nil {
		return SessionStatus{}, err
	}
	if !s.paused {
		return SessionStatus{}, escalator.Errorf(escalator.ECONFLICT, "session %s is %s, not paused", id, s.state)
	}
	s.paused = false
	if s.rollingBack {
		m.setState(s, SessionRollingBack, s.cause)
	} else {
		m.setState(s, SessionRunning, "resumed by the operator")
	}
	if s.batch == nil {
		m.p.Clock.AfterFunc(0, func() { m.next(s) })
	}
	return s.status(), nil
}

// Abort ends the session at the next batch boundary, leaving every node it
// touched in normal service.
func (m *Manager) Abort(id string) (SessionStatus, error) {
	defer m.flush()
	s, err := m.live(id)
	if err != nil {
		return SessionStatus{}, err
	}
	s.abort = true
	if s.batch == nil {
		m.finish(s, SessionAborted, "aborted by the operator")
	}
	return s.status(), nil
}

func (m *Manager) live(id string) (*session, error) {
	if err := m.available(); err != nil {
		return nil, err
	}
	s, ok := m.sessions[id]
	if !ok {
		return nil, escalator.Errorf(escalator.ENOTFOUND, "no upgrade session %q", id)
	}
	if Terminal(s.state) {
		return nil, escalator.Errorf(escalator.ECONFLICT, "session %s has ended (%s)", id, s.state)
	}
	return s, nil
}

func (m *Manager) setState(s *session, state, reason string) {
	s.state, s.reason = state, reason
	event.Emit(m.tr, actor, s.id, event.SessionState{State: state, Reason: reason})
}

func (m *Manager) setStatus(s *session, node, status, reason string) {
	n := s.nodes[node]
	n.Status, n.Reason = status, reason
	m.markNode(s, node)
	event.Emit(m.tr, actor, node, event.NodeStatus{Status: status, Session: s.id, Reason: reason})
}

// next starts the next batch, or ends the session when no work is left.
func (m *Manager) next(s *session) {
	if Terminal(s.state) || s.batch != nil {
		return
	}
	if s.failure != "" {
		m.finish(s, SessionFailed, s.failure)
		return
	}
	if s.abort {
		m.finish(s, SessionAborted, "aborted by the operator")
		return
	}
	if s.paused {
		return
	}
	if s.rollingBack {
		if len(s.back) == 0 {
			m.finish(s, SessionRolledBack, s.cause)
			return
		}
		// Roll back one node at a time: the graceful, reverse-order
		// rollback of Escalator RQ/104.
		node := s.back[0]
		s.back = s.back[1:]
		m.startBatch(s, []string{node}, true, nil)
		return
	}
	if s.needScaleIn && !s.scaledIn {
		s.scaledIn = true
		m.notifyAll(s, StateScaleIn, nil)
		return
	}
	if len(s.pending) == 0 {
		done := func() {
			m.finish(s, SessionCompleted, fmt.Sprintf("%d nodes at version %s", len(s.upgraded), s.cfg.TargetVersion))
		}
		if s.scaledIn && !s.completeSent {
			// Fenix's MAINTENANCE_COMPLETE: the VNFMs may scale back out.
			s.completeSent = true
			m.notifyAll(s, StateMaintenanceComplete, nil)
			return
		}
		done()
		return
	}
	p := m.plan(s)
	var deferred map[string]string
	if d := p.traced(); len(d) > 0 {
		deferred = d
	}
	if len(p.nodes) == 0 {
		// Every candidate waits for a group to recover: come back then.
		event.Emit(m.tr, actor, s.id, event.PlanWait{Nodes: p.nodes, Session: s.id, Deferred: deferred, Wait: p.wait.String()})
		m.p.Clock.AfterFunc(p.wait, func() { m.next(s) })
		return
	}
	event.Emit(m.tr, actor, s.id, event.PlanBatch{Nodes: p.nodes, Session: s.id, Deferred: deferred})
	s.pending = slices.DeleteFunc(s.pending, func(n string) bool { return slices.Contains(p.nodes, n) })
	m.startBatch(s, p.nodes, false, nil)
}

// finish ends a session and tells every VNFM that heard from it.
func (m *Manager) finish(s *session, state, reason string) {
	m.setState(s, state, reason)
	if m.active == s {
		m.active = nil
	}
	m.ended = append(m.ended, s)
	for _, v := range s.vnfms {
		m.send(s, v, &Notification{NotificationType: TypeSessionStatus, SessionState: state, TargetVersion: s.cfg.TargetVersion})
	}
	st := s.status()
	for _, fn := range m.onEnd {
		fn(st)
	}
}

// send stamps and delivers a notification, recording it in the trace.
func (m *Manager) send(s *session, vnfm string, n *Notification) {
	resent := n.ID != "" && !n.fresh
	m.stamp(s, n)
	if n.fresh {
		n.fresh = false
		if m.store != nil {
			s.unsent = append(s.unsent, *n)
			if n.NotificationType != TypeMaintenance {
				s.outbox = append(s.outbox, OutboxEntry{ID: n.ID, VNFM: vnfm})
			}
		}
	}
	e := event.VNFMNotify{VNFM: vnfm, NotificationID: n.ID, Type: n.NotificationType, Session: s.id,
		State: n.State, SessionState: n.SessionState, Resent: resent}
	if len(n.AffectedNodes) > 0 {
		e.Nodes = n.AffectedNodes
	}
	if len(n.AffectedInstances) > 0 {
		e.Instances = make([]string, len(n.AffectedInstances))
		for i, a := range n.AffectedInstances {
			e.Instances[i] = a.InstanceID
		}
	}
	if n.ReplyBy != nil {
		e.ReplyBy = n.ReplyBy.Format(time.RFC3339Nano)
		e.ReplyWithin = n.ReplyBy.Sub(n.TimeStamp).String()
	}
	event.Emit(m.tr, actor, vnfm, e)
	m.p.Notify.Notify(vnfm, *n)
}

// stamp gives a new notification its id, time and session; one that has
// them (sent before a restart) keeps them.
func (m *Manager) stamp(s *session, n *Notification) {
	if n.ID != "" {
		return
	}
	n.ID = m.newID()
	n.TimeStamp = m.p.Clock.Now()
	n.SessionID = s.id
	n.fresh = true
}

// startBatch puts nodes into maintenance and tells the VNFMs that own VMs
// on them (seed F1 steps 2-3, F2 steps 2-3).
//
// prior, after a restart, is the batch as recorded before it had fully
// started: its settled nodes stay settled, and a VNFM it had notified gets
// the same notification again, same id, so it acts on it once.
func (m *Manager) startBatch(s *session, nodes []string, rollback bool, prior *batch) {
	b := newBatch(nodes, StatePlannedMaintenance, m.p.Clock.Now())
	b.rollback = rollback
	b.onReplies = func() { m.afterReplies(s) }
	if prior != nil {
		b.notified = prior.notified
		b.settled = prior.settled
		b.groups = prior.groups
	}
	m.begin(s, b)
	s.batch = b
	maintains := s.flow.maintains()
	byVNFM := map[string][]VMInfo{}
	var vnfmOrder []string
	states := map[string]string{}
	for _, n := range m.p.Cloud.Nodes() {
		states[n.ID] = n.State
	}
	for _, node := range nodes {
		if b.settled[node] {
			continue
		}
		if !rollback && states[node] == NodeFailed {
			// Broken outside the upgrade (an unplanned failure): nothing to
			// upgrade until it is repaired.
			m.settle(s, node, StatusSkipped, "the node failed outside the upgrade", true)
			continue
		}
		if maintains {
			if err := m.p.Cloud.SetMaintenance(node, true); err != nil {
				s.failed = append(s.failed, node)
				m.settle(s, node, StatusFailed, "cannot enter maintenance: "+err.Error(), true)
				continue
			}
		}
		m.setStatus(s, node, StatusMaintenance, "")
		if !maintains {
			continue
		}
		for _, vm := range m.p.Cloud.VMsOn(node) {
			// Only a group with a recovery time is asked about later.
			if vm.Group != "" && s.cfg.GroupRecovery[vm.Group] > 0 && !slices.Contains(b.groups[node], vm.Group) {
				b.groups[node] = append(b.groups[node], vm.Group)
			}
			if vm.VNFM == "" {
				continue
			}
			if _, ok := byVNFM[vm.VNFM]; !ok {
				vnfmOrder = append(vnfmOrder, vm.VNFM)
			}
			byVNFM[vm.VNFM] = append(byVNFM[vm.VNFM], vm)
		}
	}
	if m.batchSettled(s) {
		return
	}
	target := s.cfg.TargetVersion
	for _, v := range vnfmOrder {
		vms := byVNFM[v]
		n := &Notification{NotificationType: TypeMaintenance, State: StatePlannedMaintenance,
			AllowedActions: []string{ActionSwitchedOver, ActionDrained, ActionOwnAction, ActionMigrate, ActionLiveMigrate}, TargetVersion: target}
		if rollback {
			n.TargetVersion = s.nodes[nodes[0]].original
		}
		deadline := m.p.Clock.Now().Add(s.cfg.replyTimeout(n.State))
		n.ReplyBy = &deadline
		for _, vm := range vms {
			n.AffectedInstances = append(n.AffectedInstances, AffectedInstance{InstanceID: vm.ID, VnfInstanceID: vm.VNF, NodeID: vm.Host})
			if !slices.Contains(n.AffectedNodes, vm.Host) {
				n.AffectedNodes = append(n.AffectedNodes, vm.Host)
				b.vnfms[vm.Host] = append(b.vnfms[vm.Host], v)
			}
		}
		s.rememberVNFM(v)
		prior.reuse(v, n)
		m.stamp(s, n)
		b.pending[v] = n.ID
		b.notes[n.ID] = n
		b.noteVNFM[n.ID] = v
		b.noteOrder = append(b.noteOrder, n.ID)
		m.send(s, v, n)
	}
	b.started = true
	if len(b.pending) == 0 || !s.flow.awaitsReplies() {
		m.afterReplies(s)
		return
	}
	m.armReplyTimeout(s, b)
}

// armReplyTimeout waits for the replies until the latest deadline the
// awaited notifications carry: a restart neither extends the deadline of a
// notification sent before it nor shortens one it sends first.
func (m *Manager) armReplyTimeout(s *session, b *batch) {
	deadline := b.notified.Add(s.cfg.replyTimeout(b.state))
	for _, id := range b.pending {
		if n := b.notes[id]; n != nil && n.ReplyBy != nil && n.ReplyBy.After(deadline) {
			deadline = *n.ReplyBy
		}
	}
	wait := max(0, deadline.Sub(m.p.Clock.Now()))
	b.cancel = m.p.Clock.AfterFunc(wait, func() { m.replyTimeout(s, b) })
}

func newBatch(nodes []string, state string, now time.Time) *batch {
	return &batch{nodes: nodes, state: state, notified: now, phase: phaseNotify, vnfms: map[string][]string{},
		pending: map[string]string{}, notes: map[string]*Notification{}, migrate: map[string]string{}, settled: map[string]bool{},
		groups: map[string][]string{}, noteVNFM: map[string]string{}}
}

// begin numbers a new batch of the session and places its nodes in it.
func (m *Manager) begin(s *session, b *batch) {
	s.batches++
	b.gen = s.batches
	for i, node := range b.nodes {
		n := s.nodes[node]
		n.batchGen, n.batchPos = b.gen, i+1
		m.markNode(s, node)
	}
}

// notifyAll runs a session-wide phase (SCALE_IN, MAINTENANCE_COMPLETE):
// every VNFM with VMs on the selected nodes is told, and then runs once all
// replied or the deadline passed. No node changes state.
func (m *Manager) notifyAll(s *session, state string, prior *batch) {
	b := newBatch(nil, state, m.p.Clock.Now())
	if prior != nil {
		b.notified = prior.notified
	}
	m.begin(s, b)
	s.batch = b
	byVNFM := map[string][]VMInfo{}
	var order []string
	for _, node := range s.order {
		for _, vm := range m.p.Cloud.VMsOn(node) {
			if vm.VNFM == "" {
				continue
			}
			if _, ok := byVNFM[vm.VNFM]; !ok {
				order = append(order, vm.VNFM)
			}
			byVNFM[vm.VNFM] = append(byVNFM[vm.VNFM], vm)
		}
	}
	if state == StateScaleIn {
		s.scaleVNFMs = order
	} else {
		// Everyone asked to scale in hears that it may scale back out,
		// even a VNFM that has no VM left on the upgraded nodes.
		for _, v := range s.scaleVNFMs {
			if !slices.Contains(order, v) {
				order = append(order, v)
			}
		}
	}
	finish := func() {
		if b.cancel != nil {
			b.cancel()
		}
		s.batch = nil
		m.phaseDone(s, state)
		m.p.Clock.AfterFunc(0, func() { m.next(s) })
	}
	b.onReplies = finish
	event.Emit(m.tr, actor, s.id, event.PhaseStarted{State: state, VNFMs: order})
	for _, v := range order {
		n := &Notification{NotificationType: TypeMaintenance, State: state, TargetVersion: s.cfg.TargetVersion}
		deadline := m.p.Clock.Now().Add(s.cfg.replyTimeout(state))
		n.ReplyBy = &deadline
		for _, vm := range byVNFM[v] {
			n.AffectedInstances = append(n.AffectedInstances, AffectedInstance{InstanceID: vm.ID, VnfInstanceID: vm.VNF, NodeID: vm.Host})
			if !slices.Contains(n.AffectedNodes, vm.Host) {
				n.AffectedNodes = append(n.AffectedNodes, vm.Host)
			}
		}
		s.rememberVNFM(v)
		prior.reuse(v, n)
		m.stamp(s, n)
		b.pending[v] = n.ID
		b.notes[n.ID] = n
		b.noteVNFM[n.ID] = v
		b.noteOrder = append(b.noteOrder, n.ID)
		m.send(s, v, n)
	}
	b.started = true
	if len(b.pending) == 0 {
		finish()
		return
	}
	m.armReplyTimeout(s, b)
}

// phaseDone is what follows a session-wide phase once its replies are in.
func (m *Manager) phaseDone(s *session, state string) {
	if state == StateScaleIn {
		if why := m.capacityShortfall(s); why != "" && s.failure == "" {
			s.failure = "not enough spare capacity even after the VNFMs scaled in: " + why
		}
		return
	}
	m.finish(s, SessionCompleted, fmt.Sprintf("%d nodes at version %s", len(s.upgraded), s.cfg.TargetVersion))
}

func (m *Manager) replyTimeout(s *session, b *batch) {
	if s.batch != b || b.phase != phaseNotify {
		return
	}
	var missing []string
	for v := range b.pending {
		missing = append(missing, v)
	}
	slices.Sort(missing)
	event.Emit(m.tr, actor, s.id, event.VNFMReplyTimeout{VNFMs: missing, After: s.cfg.replyTimeout(b.state).String(), State: b.state})
	// The seed's F2 step 4: go on "when receives the VNFM reply, or waited
	// for a timeout". F1 then checks the business itself.
	clear(b.pending)
	b.onReplies()
}

// Reply takes a VNFM's answer to a maintenance notification. The reply is
// recorded in the trace before anything it sets off, so the trace keeps
// cause before effect.
func (m *Manager) Reply(r Reply) error {
	if err := m.available(); err != nil {
		return err
	}
	defer m.flush()
	s, n, ack, err := m.checkReply(r)
	e := event.VNFMReply{VNFM: r.VnfmID, NotificationID: r.NotificationID, Reply: r.Reply, Accepted: err == nil}
	if len(r.InstanceActions) > 0 {
		e.Actions = make([]string, len(r.InstanceActions))
		for i, a := range r.InstanceActions {
			e.Actions[i] = a.InstanceID + ":" + a.Action
		}
	}
	if err != nil {
		e.Error = err.Error()
	}
	event.Emit(m.tr, actor, r.SessionID, e)
	if err != nil {
		return err
	}
	b := s.batch
	delete(b.pending, r.VnfmID)
	if m.store != nil {
		s.replies = append(s.replies, r)
	}
	if !ack {
		m.nack(s, b, r, n)
		return nil
	}
	for _, a := range r.InstanceActions {
		if a.Action == ActionMigrate || a.Action == ActionLiveMigrate {
			b.migrate[a.InstanceID] = a.Action
		}
	}
	if len(b.pending) == 0 && b.phase == phaseNotify {
		if b.cancel != nil {
			b.cancel()
		}
		b.onReplies()
	}
	return nil
}

// checkReply validates a reply against the session's state without
// changing anything.
func (m *Manager) checkReply(r Reply) (s *session, n *Notification, ack bool, err error) {
	s, ok := m.sessions[r.SessionID]
	if !ok {
		return nil, nil, false, escalator.Errorf(escalator.ENOTFOUND, "no upgrade session %q", r.SessionID)
	}
	word, state, ok := strings.Cut(r.Reply, "_")
	if !ok || (word != "ACK" && word != "NACK") {
		return nil, nil, false, escalator.Errorf(escalator.EINVALID, "reply %q is not ACK_<STATE> or NACK_<STATE>", r.Reply)
	}
	b := s.batch
	if b == nil {
		return nil, nil, false, escalator.Errorf(escalator.ECONFLICT, "session %s is not waiting for replies (state %s)", s.id, s.state)
	}
	n, known := b.notes[r.NotificationID]
	if !known {
		return nil, nil, false, escalator.Errorf(escalator.ECONFLICT, "notification %q is not the one session %s is waiting on", r.NotificationID, s.id)
	}
	if state != n.State {
		return nil, nil, false, escalator.Errorf(escalator.ECONFLICT, "reply %s does not match the notification's state %s", r.Reply, n.State)
	}
	if b.pending[r.VnfmID] != r.NotificationID {
		if b.phase != phaseNotify {
			return nil, nil, false, escalator.Errorf(escalator.ECONFLICT, "the reply deadline for notification %s has passed or it was already answered", r.NotificationID)
		}
		return nil, nil, false, escalator.Errorf(escalator.ECONFLICT, "notification %s was not sent to VNFM %q or was already answered", r.NotificationID, r.VnfmID)
	}
	affected := map[string]bool{}
	for _, a := range n.AffectedInstances {
		affected[a.InstanceID] = true
	}
	for _, a := range r.InstanceActions {
		if !affected[a.InstanceID] {
			return nil, nil, false, escalator.Errorf(escalator.EINVALID, "instance %q is not among the notification's affected instances", a.InstanceID)
		}
		switch a.Action {
		case ActionSwitchedOver, ActionDrained, ActionOwnAction, ActionMigrate, ActionLiveMigrate:
		default:
			return nil, nil, false, escalator.Errorf(escalator.EINVALID, "unknown action %q for instance %s", a.Action, a.InstanceID)
		}
	}
	return s, n, word == "ACK", nil
}

// nack applies the NACK policy to the nodes the refusing VNFM has VMs on.
func (m *Manager) nack(s *session, b *batch, r Reply, n *Notification) {
	reason := fmt.Sprintf("VNFM %s refused %s for %s", r.VnfmID, n.State, describeNodes(n.AffectedNodes))
	if len(b.nodes) == 0 {
		// A session-wide phase: a refused scale-in stops the session; a
		// refused MAINTENANCE_COMPLETE changes nothing any more.
		if b.state == StateScaleIn {
			s.failure = reason
		}
		if len(b.pending) == 0 && b.phase == phaseNotify {
			if b.cancel != nil {
				b.cancel()
			}
			b.onReplies()
		}
		return
	}
	if r.Reason != "" {
		reason += ": " + r.Reason
	}
	if b.rollback {
		// A rollback cannot leave a node out: a refusal stops it.
		reason = "rollback stopped: " + reason
	}
	if s.cfg.OnNack == OnNackSkip && !b.rollback {
		for _, node := range n.AffectedNodes {
			if !b.settled[node] {
				m.release(s, node, StatusSkipped, reason)
			}
		}
	} else {
		s.failure = reason
		for _, node := range b.nodes {
			if !b.settled[node] {
				m.release(s, node, StatusSkipped, reason)
			}
		}
	}
	if !m.batchSettled(s) && len(b.pending) == 0 && b.phase == phaseNotify {
		if b.cancel != nil {
			b.cancel()
		}
		b.onReplies()
	}
}

// release takes a node that was not upgraded out of maintenance and tells
// its VNFMs it is available again.
func (m *Manager) release(s *session, node, status, reason string) {
	b := s.batch
	if s.nodes[node].broken {
		// Still failed: it stays out of service and is not announced.
		m.settle(s, node, StatusFailed, reason, false)
		return
	}
	n := s.nodes[node]
	n.step, n.final, n.finalReason = stepRelease, status, reason
	m.markNode(s, node)
	_ = m.p.Cloud.SetMaintenance(node, false)
	// The groups the node hosted when the batch began: a VM migrated off
	// it was impacted too. Only groups with a recovery time are kept: no
	// other is ever asked about, and the store writes this map often.
	ended := func(g string) {
		if g == "" || s.cfg.GroupRecovery[g] <= 0 {
			return
		}
		if s.impactEnd == nil {
			s.impactEnd = map[string]time.Time{}
		}
		s.impactEnd[g] = m.p.Clock.Now()
	}
	for _, g := range b.groups[node] {
		ended(g)
	}
	for _, vm := range m.p.Cloud.VMsOn(node) {
		ended(vm.Group)
	}
	m.settle(s, node, status, reason, true)
	for _, v := range b.vnfms[node] {
		m.send(s, v, &Notification{NotificationType: TypeNodeAvailable, AffectedNodes: []string{node}})
	}
	m.batchSettled(s)
}

// afterReplies is seed F1 step 6: check that the business left each VM and
// migrate the VMs that still carry it, preferring upgraded nodes. F2 goes
// straight to the upgrade.
func (m *Manager) afterReplies(s *session) {
	b := s.batch
	b.phase = phaseMigrate
	// IFA 011 lead time: no impact on an instance sooner than its group's
	// lead time after the notification, however fast the VNFM answered.
	if !b.leadDone && s.flow.honoursVNFLimits() {
		b.leadDone = true
		var lead time.Duration
		var group string
		for _, node := range b.nodes {
			for _, vm := range m.p.Cloud.VMsOn(node) {
				if d := s.cfg.GroupLeadTime[vm.Group]; d > lead {
					lead, group = d, vm.Group
				}
			}
		}
		if wait := b.notified.Add(lead).Sub(m.p.Clock.Now()); wait > 0 {
			event.Emit(m.tr, actor, s.id, event.PlanLeadTime{Group: group, LeadTime: lead.String(), Wait: wait.String()})
			m.p.Clock.AfterFunc(wait, func() {
				if s.batch == b {
					m.afterReplies(s)
				}
			})
			return
		}
	}
	if !s.flow.movesBusiness() {
		m.upgrade(s)
		return
	}
	target := s.cfg.TargetVersion
	if b.rollback {
		target = s.nodes[b.nodes[0]].original
	}
	var prefer, others []string
	for _, n := range m.p.Cloud.Nodes() {
		if n.State != NodeNormal {
			continue
		}
		if n.Version == target {
			prefer = append(prefer, n.ID)
		} else {
			others = append(others, n.ID)
		}
	}
	prefer = append(prefer, others...)
	// The extra count keeps a migration that completes inside Migrate from
	// starting the upgrade before every migration has been asked for.
	b.inflight++
	for _, node := range b.nodes {
		if b.settled[node] {
			continue
		}
		var moves []VMInfo
		for _, vm := range m.p.Cloud.VMsOn(node) {
			if b.migrate[vm.ID] != "" || m.p.Cloud.CarriesBusiness(vm.ID) {
				moves = append(moves, vm)
			}
		}
		if len(moves) > 0 {
			m.setStatus(s, node, StatusMigrating, fmt.Sprintf("%d VMs to move", len(moves)))
		}
		for _, vm := range moves {
			// A VM still serving moves live; a cold move is only for a VNFM
			// that asked for MIGRATE, as Fenix does, or a VNF that allows no
			// live migration (IFA 011).
			live, why := true, "carries business"
			switch b.migrate[vm.ID] {
			case ActionMigrate:
				live, why = false, "VNFM asked for MIGRATE"
			case ActionLiveMigrate:
				why = "VNFM asked for LIVE_MIGRATE"
			}
			if allowed := s.cfg.GroupMigration[vm.Group]; len(allowed) > 0 && s.flow.honoursVNFLimits() {
				switch {
				case slices.Contains(allowed, "none"):
					b.inflight++
					event.Emit(m.tr, actor, vm.ID, event.VMMigrate{From: node, Reason: why, Session: s.id, Refused: "the VNF allows no migration"})
					m.migrated(s, b, node, vm.ID, fmt.Errorf("VNF %s allows no migration", vm.VNF))
					continue
				case live && !slices.Contains(allowed, "live"):
					live, why = false, why+"; the VNF allows only cold migration"
				case !live && !slices.Contains(allowed, "cold"):
					live, why = true, why+"; the VNF allows only live migration"
				}
			}
			event.Emit(m.tr, actor, vm.ID, event.VMMigrate{From: node, Reason: why, Live: event.Ptr(live), Session: s.id})
			b.inflight++
			m.p.Cloud.Migrate(vm.ID, prefer, live, func(to string, err error) { m.migrated(s, b, node, vm.ID, err) })
		}
	}
	m.migrated(s, b, "", "", nil)
}

func (m *Manager) migrated(s *session, b *batch, node, vm string, err error) {
	if s.batch != b {
		return
	}
	b.inflight--
	if err != nil && !b.settled[node] {
		// A node whose business cannot be moved is not upgraded: treat it
		// as the VIM's own NACK.
		reason := fmt.Sprintf("cannot move VM %s off node %s: %v", vm, node, err)
		if b.rollback {
			s.failure = "rollback stopped: " + reason
		} else if s.cfg.OnNack == OnNackFail {
			s.failure = reason
		}
		m.release(s, node, StatusSkipped, reason)
	}
	if b.inflight == 0 && s.batch == b && !m.batchSettled(s) {
		m.upgrade(s)
	}
}

// upgrade asks system support on each node of the batch to install the
// version, with an expected-duration timer to catch a hang.
func (m *Manager) upgrade(s *session) {
	b := s.batch
	b.phase = phaseUpgrade
	if s.abort || s.failure != "" {
		for _, node := range b.nodes {
			if !b.settled[node] {
				m.release(s, node, StatusSkipped, "session stopped before the upgrade")
			}
		}
		return
	}
	for _, node := range b.nodes {
		if !b.settled[node] {
			m.upgradeNode(s, b, node)
		}
	}
}

// version is what a node of batch b is brought to: the target, or in a
// rollback the version it had.
func (s *session) version(b *batch, node string) string {
	if b.rollback {
		return s.nodes[node].original
	}
	return s.cfg.TargetVersion
}

// armHang starts the expected-duration timer of a node's upgrade plus
// verification; after a restart it runs for what is left of it.
func (m *Manager) armHang(s *session, node string, after time.Duration) {
	n := s.nodes[node]
	n.op++
	op := n.op
	n.cancelTimer = m.p.Clock.AfterFunc(after, func() {
		if n.op == op || n.op == op+1 {
			m.failNode(s, node, fmt.Sprintf("upgrade and verification did not finish within the expected %s", s.cfg.UpgradeTimeout))
		}
	})
}

func (m *Manager) upgradeNode(s *session, b *batch, node string) {
	n := s.nodes[node]
	version := s.version(b, node)
	n.step, n.since = stepUpgrade, m.p.Clock.Now()
	m.armHang(s, node, s.cfg.UpgradeTimeout)
	op := n.op
	m.setStatus(s, node, StatusUpgrading, "")
	m.p.System.Upgrade(node, version, func(err error) {
		if n.op != op || s.batch != b {
			return
		}
		if err != nil {
			m.failNode(s, node, "upgrade failed: "+err.Error())
			return
		}
		m.verifyNode(s, b, node)
	})
}

func (m *Manager) verifyNode(s *session, b *batch, node string) {
	n := s.nodes[node]
	version := s.version(b, node)
	n.op++
	vop := n.op
	n.step = stepVerify
	m.setStatus(s, node, StatusVerifying, "")
	m.p.System.Verify(node, version, func(err error) {
		if n.op != vop || s.batch != b {
			return
		}
		if err != nil {
			m.failNode(s, node, "verification failed: "+err.Error())
			return
		}
		m.nodeDone(s, node, version)
	})
}

// nodeDone returns an upgraded node to service and tells its VNFMs (seed F2
// steps 5-6).
func (m *Manager) nodeDone(s *session, node, version string) {
	n := s.nodes[node]
	n.op++
	n.stopTimer()
	n.broken = false
	status := StatusDone
	if s.batch.rollback {
		status = StatusRolledBack
		s.upgraded = slices.DeleteFunc(s.upgraded, func(x string) bool { return x == node })
		n.seq = 0
	} else {
		s.upgraded = append(s.upgraded, node)
		s.upgrades++
		n.seq = s.upgrades
	}
	m.markNode(s, node)
	if !s.flow.maintains() {
		m.settle(s, node, status, "", false)
		return
	}
	m.release(s, node, status, "")
}

func (m *Manager) failNode(s *session, node, reason string) {
	n := s.nodes[node]
	n.op += 2
	n.stopTimer()
	n.broken = true
	n.step = ""
	m.markNode(s, node)
	s.failed = append(s.failed, node)
	m.settle(s, node, StatusFailed, reason, false)
}

// settle marks a node of the current batch finished; when the whole batch
// is, the session moves on. deferCheck skips the batch check for callers
// that run it themselves.
func (m *Manager) settle(s *session, node, status, reason string, deferCheck bool) {
	n := s.nodes[node]
	n.step, n.final, n.finalReason = "", "", ""
	m.setStatus(s, node, status, reason)
	s.batch.settled[node] = true
	n.settledGen = s.batch.gen
	if !deferCheck {
		m.batchSettled(s)
	}
}

// batchSettled ends the batch when every node in it has settled and decides
// what comes next: the next batch, a rollback, or the end.
func (m *Manager) batchSettled(s *session) bool {
	b := s.batch
	if b == nil {
		return true
	}
	for _, node := range b.nodes {
		if !b.settled[node] {
			return false
		}
	}
	if b.cancel != nil {
		b.cancel()
	}
	s.batch = nil
	if len(s.failed) > 0 {
		failed := s.failed
		s.failed = nil
		reason := fmt.Sprintf("%s failed: %s", describeNodes(failed), s.nodes[failed[0]].Reason)
		switch {
		case b.rollback:
			m.finish(s, SessionFailed, "rollback stopped: "+reason)
			return true
		case !s.cfg.Rollback:
			m.finish(s, SessionFailed, reason)
			return true
		}
		// Reverse order: the failed nodes first, then every upgraded node,
		// newest first.
		s.back = append(s.back, failed...)
		for i := len(s.upgraded) - 1; i >= 0; i-- {
			s.back = append(s.back, s.upgraded[i])
		}
		s.pending = nil
		s.rollingBack, s.cause = true, reason
		if s.paused {
			m.setState(s, SessionPaused, reason+"; the rollback starts on resume")
		} else {
			m.setState(s, SessionRollingBack, reason)
		}
	}
	m.p.Clock.AfterFunc(0, func() { m.next(s) })
	return true
}
