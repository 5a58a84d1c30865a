package orchestrator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// This file makes the Manager durable: it writes every session to its
// Store ahead of acting (writeAhead, flush) and, in a new process, takes an
// unfinished session up again where the record and the world say it stood
// (Recover).

// pollEvery is how often a restarted Manager asks the cloud manager about
// an effect an earlier process started (an upgrade, a migration) whose
// completion it can no longer be told of.
const pollEvery = 2 * time.Second

// writeAhead wraps the ports so that every effect is asked for only once
// what it depends on is committed, and every step that ran from a timer or
// a completion is committed when it returns.
func (m *Manager) writeAhead() {
	m.p.Cloud = aheadCloud{m.p.Cloud, m}
	m.p.System = aheadSystem{m.p.System, m}
	m.p.Notify = aheadNotifier{m.p.Notify, m}
	m.p.Clock = aheadClock{m.p.Clock, m}
}

type aheadCloud struct {
	CloudManager
	m *Manager
}

func (c aheadCloud) SetMaintenance(node string, on bool) error {
	if !c.m.flush() {
		return c.m.available()
	}
	return c.CloudManager.SetMaintenance(node, on)
}

func (c aheadCloud) Migrate(vm string, prefer []string, live bool, done MigrationDone) {
	if !c.m.flush() {
		return
	}
	c.CloudManager.Migrate(vm, prefer, live, func(to string, err error) {
		if c.m.halted == nil {
			done(to, err)
			c.m.flush()
		}
	})
}

type aheadSystem struct {
	SystemSupport
	m *Manager
}

func (a aheadSystem) Upgrade(node, version string, done func(error)) {
	if !a.m.flush() {
		return
	}
	a.SystemSupport.Upgrade(node, version, a.m.step1(done))
}

func (a aheadSystem) Verify(node, version string, done func(error)) {
	if !a.m.flush() {
		return
	}
	a.SystemSupport.Verify(node, version, a.m.step1(done))
}

type aheadNotifier struct {
	Notifier
	m *Manager
}

func (a aheadNotifier) Notify(vnfm string, n Notification) {
	if a.m.flush() {
		a.Notifier.Notify(vnfm, n)
	}
}

type aheadClock struct {
	Clock
	m *Manager
}

func (c aheadClock) AfterFunc(d time.Duration, fn func()) func() {
	return c.Clock.AfterFunc(d, func() {
		if c.m.halted == nil {
			fn()
			c.m.flush()
		}
	})
}

// step1 makes a completion callback a step: dropped once halted, and
// committed when it returns.
func (m *Manager) step1(done func(error)) func(error) {
	return func(err error) {
		if m.halted == nil {
			done(err)
			m.flush()
		}
	}
}

// available is the error every entry point returns once the store has
// stopped the Manager.
func (m *Manager) available() error {
	if m.halted == nil {
		return nil
	}
	return escalator.Errorf(escalator.EUNAVAILABLE, "the Upgrade Manager stopped because its state store failed (%v); restart it to resume from the last record", m.halted)
}

// OnHalt registers fn to be called if the store refuses a write: the
// Manager has then stopped acting, and a restart resumes the session.
func (m *Manager) OnHalt(fn func(error)) { m.onHalt = append(m.onHalt, fn) }

func (m *Manager) halt(err error) {
	m.halted = err
	event.Emit(m.tr, actor, "", event.OrchestratorHalted{Error: err.Error()})
	for _, fn := range m.onHalt {
		fn(err)
	}
}

// markNode notes that a node's row changed since the last commit.
func (m *Manager) markNode(s *session, node string) {
	if m.store != nil {
		s.nodes[node].dirty = true
		s.dirtyNodes = append(s.dirtyNodes, node)
	}
}

// flush commits what changed in the active session and in the sessions
// that just ended. It reports false when the store failed; the Manager has
// then halted and must not act.
func (m *Manager) flush() bool {
	if m.store == nil {
		return true
	}
	if m.halted != nil {
		return false
	}
	list := m.ended
	m.ended = nil
	if m.active != nil && !slices.Contains(list, m.active) {
		list = append(list, m.active)
	}
	for _, s := range list {
		if err := m.commit(s); err != nil {
			m.halt(err)
			return false
		}
	}
	return true
}

func (m *Manager) commit(s *session) error {
	h := s.header()
	hb, err := json.Marshal(h)
	if err != nil {
		return escalator.Errorf(escalator.EINTERNAL, "store: cannot encode session %s: %v", s.id, err)
	}
	if s.stored && len(s.dirtyNodes) == 0 && len(s.unsent) == 0 && len(s.replies) == 0 && bytes.Equal(hb, s.lastHeader) {
		return nil
	}
	c := Commit{ID: s.id, Session: h, Notes: s.unsent, Replies: s.replies, header: hb}
	if !s.stored {
		c.Spec = &SessionSpec{ID: s.id, Config: s.cfg, Order: s.order, Created: s.created}
	}
	for _, id := range s.dirtyNodes {
		if n := s.nodes[id]; n.dirty {
			n.dirty = false
			c.Nodes = append(c.Nodes, s.record(n))
		}
	}
	if err := m.store.Commit(c); err != nil {
		return err
	}
	s.stored, s.lastHeader = true, hb
	s.dirtyNodes, s.unsent, s.replies = s.dirtyNodes[:0], nil, nil
	return nil
}

func (s *session) record(n *nodeRun) NodeRecord {
	r := NodeRecord{NodeStatus: n.NodeStatus, Original: n.original, Broken: n.broken, Step: n.step, Since: n.since,
		Final: n.final, FinalReason: n.finalReason, Seq: n.seq, Batch: n.batchGen, BatchPos: n.batchPos, Settled: n.settledGen}
	if b := s.batch; b != nil && n.batchGen == b.gen {
		r.Groups = b.groups[n.Node]
	}
	return r
}

func (s *session) header() SessionHeader {
	h := SessionHeader{State: s.state, Reason: s.reason, Back: s.back, Failed: s.failed, VNFMs: s.vnfms, Paused: s.paused,
		Abort: s.abort, Failure: s.failure, RollingBack: s.rollingBack, Cause: s.cause, ImpactEnd: s.impactEnd,
		ScaledIn: s.scaledIn, NeedScaleIn: s.needScaleIn, CompleteSent: s.completeSent, ScaleVNFMs: s.scaleVNFMs,
		Upgrades: s.upgrades, Batches: s.batches, Outbox: s.outbox}
	if b := s.batch; b != nil {
		h.Batch = &BatchRecord{Gen: b.gen, Size: len(b.nodes), State: b.state, Notified: b.notified, Rollback: b.rollback,
			Phase: b.phase, Started: b.started, Pending: b.pending, Notes: b.noteVNFM, LeadDone: b.leadDone}
	}
	return h
}

// Delivered tells the Manager that the notifier is done with notification
// id: taken by its VNFM, or given up on. Until then a restart sends it
// again.
func (m *Manager) Delivered(id string) {
	for _, sid := range slices.Backward(m.order) {
		s := m.sessions[sid]
		if i := slices.IndexFunc(s.outbox, func(o OutboxEntry) bool { return o.ID == id }); i >= 0 {
			s.outbox = slices.Delete(s.outbox, i, i+1)
			if s != m.active {
				m.ended = append(m.ended, s)
			}
			m.flush()
			return
		}
	}
}

// reuse gives n the id, time and deadline of the notification the prior
// batch sent v for the same state, if it sent one: the same notification
// again, not a second one.
func (b *batch) reuse(v string, n *Notification) {
	if b == nil {
		return
	}
	old := b.notes[b.pending[v]]
	if old == nil || old.State != n.State {
		return
	}
	n.ID, n.TimeStamp, n.SessionID, n.ReplyBy = old.ID, old.TimeStamp, old.SessionID, old.ReplyBy
}

// Recover loads the store and takes the unfinished session, if there is
// one, up again. Call it once, after New and before anything else. The
// sessions that ended are loaded too, so the API still shows them.
func (m *Manager) Recover() ([]SessionStatus, error) {
	if m.store == nil {
		return nil, nil
	}
	recs, err := m.store.Load()
	if err != nil {
		return nil, err
	}
	var resumed []*session
	for _, r := range recs {
		s, err := m.restore(r)
		if err != nil {
			return nil, err
		}
		if !Terminal(s.state) && !s.flow.resumes() {
			continue
		}
		m.sessions[s.id] = s
		m.order = append(m.order, s.id)
		if !Terminal(s.state) {
			resumed = append(resumed, s)
		}
	}
	if len(resumed) > 1 {
		return nil, escalator.Errorf(escalator.EINVALID, "store: %d sessions are unfinished, but one runs at a time; the store is inconsistent", len(resumed))
	}
	e := event.OrchestratorRestarted{Loaded: len(recs)}
	for _, s := range resumed {
		e.Resumed = append(e.Resumed, s.id)
	}
	event.Emit(m.tr, actor, "", e)
	// What was on its way when the process died goes out again, ended
	// sessions' last words included.
	for _, id := range m.order {
		s := m.sessions[id]
		for _, o := range s.outbox {
			if n := m.notes[o.ID]; n != nil {
				m.send(s, o.VNFM, n)
			}
		}
		m.active = s
		m.flush()
		m.active = nil
	}
	var out []SessionStatus
	for _, s := range resumed {
		m.active = s
		m.reconcile(s)
		out = append(out, s.status())
	}
	m.flush()
	return out, nil
}

// restore rebuilds a session from its record.
func (m *Manager) restore(r SessionRecord) (*session, error) {
	cfg := r.Spec.Config
	if err := cfg.validate(); err != nil {
		return nil, escalator.Errorf(escalator.EINVALID, "store: session %s: %v", r.Spec.ID, err)
	}
	h := r.Session
	s := &session{id: r.Spec.ID, cfg: cfg, flow: sessionFlow(&cfg), state: h.State, reason: h.Reason, order: r.Spec.Order,
		nodes: map[string]*nodeRun{}, back: h.Back, failed: h.Failed, vnfms: h.VNFMs, paused: h.Paused, abort: h.Abort,
		failure: h.Failure, rollingBack: h.RollingBack, cause: h.Cause, impactEnd: h.ImpactEnd, scaledIn: h.ScaledIn,
		needScaleIn: h.NeedScaleIn, completeSent: h.CompleteSent, scaleVNFMs: h.ScaleVNFMs, upgrades: h.Upgrades, batches: h.Batches,
		created: r.Spec.Created, stored: true, outbox: h.Outbox}
	s.chain = s.flow.filters(&s.cfg)
	for _, n := range r.Nodes {
		s.nodes[n.Node] = &nodeRun{NodeStatus: n.NodeStatus, original: n.Original, broken: n.Broken, step: n.Step,
			since: n.Since, final: n.Final, finalReason: n.FinalReason, seq: n.Seq,
			batchGen: n.Batch, batchPos: n.BatchPos, settledGen: n.Settled}
	}
	for _, id := range s.order {
		if s.nodes[id] == nil {
			return nil, escalator.Errorf(escalator.EINVALID, "store: session %s has no row for its node %s", s.id, id)
		}
	}
	notes := map[string]*Notification{}
	for i := range r.Notes {
		notes[r.Notes[i].ID] = &r.Notes[i]
	}
	for _, o := range h.Outbox {
		if notes[o.ID] == nil {
			return nil, escalator.Errorf(escalator.EINVALID, "store: session %s's outbox names notification %s, which is not recorded", r.Spec.ID, o.ID)
		}
		if m.notes == nil {
			m.notes = map[string]*Notification{}
		}
		m.notes[o.ID] = notes[o.ID]
	}
	if rb := h.Batch; rb != nil {
		// The batch's nodes, its settled ones and its recovery groups are
		// in the node rows; which VNFMs heard of a node, in the
		// notifications; what they asked to have migrated, in the replies.
		var nodes []string
		for _, id := range s.order {
			if s.nodes[id].batchGen == rb.Gen {
				nodes = append(nodes, id)
			}
		}
		slices.SortStableFunc(nodes, func(a, b string) int { return s.nodes[a].batchPos - s.nodes[b].batchPos })
		if len(nodes) != rb.Size {
			return nil, escalator.Errorf(escalator.EINVALID, "store: session %s's batch %d has %d nodes on record, not %d", s.id, rb.Gen, len(nodes), rb.Size)
		}
		b := newBatch(nodes, rb.State, rb.Notified)
		b.gen, b.rollback, b.phase, b.started, b.leadDone = rb.Gen, rb.Rollback, rb.Phase, rb.Started, rb.LeadDone
		maps.Copy(b.pending, rb.Pending)
		for _, n := range r.Nodes {
			if n.Batch == rb.Gen {
				if n.Settled == rb.Gen {
					b.settled[n.Node] = true
				}
				if len(n.Groups) > 0 {
					b.groups[n.Node] = n.Groups
				}
			}
		}
		for i := range r.Notes {
			n := &r.Notes[i]
			v, ok := rb.Notes[n.ID]
			if !ok {
				continue
			}
			b.notes[n.ID], b.noteVNFM[n.ID] = n, v
			b.noteOrder = append(b.noteOrder, n.ID)
			if len(nodes) > 0 {
				for _, host := range n.AffectedNodes {
					b.vnfms[host] = append(b.vnfms[host], v)
				}
			}
		}
		for id := range rb.Notes {
			if b.notes[id] == nil {
				return nil, escalator.Errorf(escalator.EINVALID, "store: session %s's batch names notification %s, which is not recorded", s.id, id)
			}
		}
		for _, rep := range r.Replies {
			if _, ours := rb.Notes[rep.NotificationID]; !ours || !strings.HasPrefix(rep.Reply, "ACK_") {
				continue
			}
			for _, a := range rep.InstanceActions {
				if a.Action == ActionMigrate || a.Action == ActionLiveMigrate {
					b.migrate[a.InstanceID] = a.Action
				}
			}
		}
		s.batch = b
	}
	// The work lists are the node rows read in order.
	for _, id := range s.order {
		n := s.nodes[id]
		if n.Status == StatusPending && !s.rollingBack && (s.batch == nil || n.batchGen != s.batch.gen) {
			s.pending = append(s.pending, id)
		}
		if n.seq > 0 {
			s.upgraded = append(s.upgraded, id)
		}
	}
	slices.SortStableFunc(s.upgraded, func(a, b string) int { return s.nodes[a].seq - s.nodes[b].seq })
	return s, nil
}

// reconcile puts a restored session back to work: it compares what the
// record says was under way with what the cloud manager shows, and picks
// each unfinished step up without doing twice what was done.
func (m *Manager) reconcile(s *session) {
	b := s.batch
	note := func(subject, recorded, found, action string) {
		event.Emit(m.tr, actor, subject, event.OrchestratorReconciled{Session: s.id, Recorded: recorded, Found: found, Action: action})
	}
	if b == nil {
		note(s.id, "session "+s.state+", between batches", "", "plan the next batch")
		m.p.Clock.AfterFunc(0, func() { m.next(s) })
		return
	}
	if len(b.nodes) == 0 {
		m.reconcilePhase(s, b, note)
		return
	}
	b.onReplies = func() { m.afterReplies(s) }
	switch {
	case b.phase == phaseNotify && !b.started:
		note(s.id, fmt.Sprintf("batch %v starting (%d of its notifications recorded)", b.nodes, len(b.noteOrder)), "", "start the batch again; a VNFM already notified gets the same notification")
		m.startBatch(s, b.nodes, b.rollback, b)
	case b.phase == phaseNotify:
		var waiting []string
		for v := range b.pending {
			waiting = append(waiting, v)
		}
		slices.Sort(waiting)
		note(s.id, fmt.Sprintf("batch %v waiting for replies from %v", b.nodes, waiting), "", "notify them again with the same notifications; wait until the recorded deadline")
		m.resendPending(s, b)
		if len(b.pending) == 0 || !s.flow.awaitsReplies() {
			m.p.Clock.AfterFunc(0, func() {
				if s.batch == b && b.phase == phaseNotify {
					b.onReplies()
				}
			})
			return
		}
		m.armReplyTimeout(s, b)
	case b.phase == phaseMigrate:
		nodes := m.unsettled(b)
		note(s.id, fmt.Sprintf("batch %v moving business", b.nodes), "", "wait for migrations under way, then move what still carries business")
		deadline := m.p.Clock.Now().Add(s.cfg.UpgradeTimeout)
		m.poll(s, b, deadline, func() bool { return !m.migrating(nodes) }, func(bool) { m.afterReplies(s) })
	default:
		b.phase = phaseUpgrade
		for _, node := range b.nodes {
			if !b.settled[node] {
				m.reconcileNode(s, b, node, note)
			}
		}
	}
}

// reconcilePhase resumes a session-wide phase (SCALE_IN,
// MAINTENANCE_COMPLETE).
func (m *Manager) reconcilePhase(s *session, b *batch, note func(subject, recorded, found, action string)) {
	if !b.started {
		note(s.id, "phase "+b.state+" starting", "", "start it again; a VNFM already notified gets the same notification")
		m.notifyAll(s, b.state, b)
		return
	}
	note(s.id, "phase "+b.state+" waiting for replies", "", "notify again with the same notifications; wait until the recorded deadline")
	state := b.state
	b.onReplies = func() {
		b.stopTimer()
		s.batch = nil
		m.phaseDone(s, state)
		m.p.Clock.AfterFunc(0, func() { m.next(s) })
	}
	m.resendPending(s, b)
	if len(b.pending) == 0 {
		m.p.Clock.AfterFunc(0, func() {
			if s.batch == b {
				b.onReplies()
			}
		})
		return
	}
	m.armReplyTimeout(s, b)
}

func (b *batch) stopTimer() {
	if b.cancel != nil {
		b.cancel()
	}
}

// resendPending sends each VNFM that has not replied the notification it
// was sent, same id and deadline.
func (m *Manager) resendPending(s *session, b *batch) {
	for _, id := range b.noteOrder {
		for v, pid := range b.pending {
			if pid == id {
				m.send(s, v, b.notes[id])
			}
		}
	}
}

func (m *Manager) unsettled(b *batch) []string {
	var out []string
	for _, n := range b.nodes {
		if !b.settled[n] {
			out = append(out, n)
		}
	}
	return out
}

// migrating tells whether a VM on the nodes is still being moved: live
// (migrating) or cold (down on a node that is not itself down).
func (m *Manager) migrating(nodes []string) bool {
	states := map[string]string{}
	for _, n := range m.p.Cloud.Nodes() {
		states[n.ID] = n.State
	}
	for _, node := range nodes {
		if states[node] == NodeFailed || states[node] == NodeUpgrading {
			continue
		}
		for _, vm := range m.p.Cloud.VMsOn(node) {
			if vm.State != VMRunning {
				return true
			}
		}
	}
	return false
}

// poll asks cond every pollEvery until it holds or the deadline passes,
// then calls then (timedOut says which) if the batch is still b.
func (m *Manager) poll(s *session, b *batch, deadline time.Time, cond func() bool, then func(timedOut bool)) {
	var tick func()
	tick = func() {
		if s.batch != b || Terminal(s.state) {
			return
		}
		if cond() {
			then(false)
			return
		}
		if !m.p.Clock.Now().Before(deadline) {
			then(true)
			return
		}
		m.p.Clock.AfterFunc(min(pollEvery, deadline.Sub(m.p.Clock.Now())), tick)
	}
	m.p.Clock.AfterFunc(0, tick)
}

func (m *Manager) nodeInfo(id string) (NodeInfo, bool) {
	for _, n := range m.p.Cloud.Nodes() {
		if n.ID == id {
			return n, true
		}
	}
	return NodeInfo{}, false
}

// reconcileNode picks up one node of a batch in its upgrade phase. An
// upgrade an earlier process started is watched, never started again; one
// it only meant to start (the record is ahead of the effect) is started.
func (m *Manager) reconcileNode(s *session, b *batch, node string, note func(subject, recorded, found, action string)) {
	n := s.nodes[node]
	version := s.version(b, node)
	w, ok := m.nodeInfo(node)
	found := fmt.Sprintf("%s at %s", w.State, w.Version)
	if !ok {
		found = "no such node"
	}
	recorded := n.Status
	if n.step != "" {
		recorded += " (" + n.step + " asked)"
	}
	left := n.since.Add(s.cfg.UpgradeTimeout).Sub(m.p.Clock.Now())
	switch {
	case n.step == stepRelease:
		note(node, recorded, found, "take it out of maintenance as "+n.final)
		m.release(s, node, n.final, n.finalReason)
	case n.step == "" && (s.abort || s.failure != ""):
		note(node, recorded, found, "release it: the session stopped before its upgrade")
		m.release(s, node, StatusSkipped, "session stopped before the upgrade")
	case n.step == "":
		note(node, recorded, found, "start its upgrade")
		m.upgradeNode(s, b, node)
	case !ok || w.State == NodeFailed:
		note(node, recorded, found, "fail it")
		m.failNode(s, node, fmt.Sprintf("the node was found %s after the orchestrator restarted", found))
	case n.step == stepUpgrade && w.State == NodeUpgrading:
		note(node, recorded, found, fmt.Sprintf("watch the upgrade under way (%s left of its expected duration)", max(0, left)))
		m.waitOut(s, b, node, NodeUpgrading, left, func(i NodeInfo) {
			if i.State == NodeFailed || i.Version != version {
				m.failNode(s, node, fmt.Sprintf("upgrade failed: the node is %s at %s", i.State, i.Version))
				return
			}
			m.verifyNode(s, b, node)
		})
	case n.step == stepUpgrade && w.Version == version:
		note(node, recorded, found, "the upgrade finished: verify it")
		m.armHang(s, node, max(0, left))
		m.verifyNode(s, b, node)
	case n.step == stepUpgrade:
		note(node, recorded, found, "the upgrade never started: start it")
		m.upgradeNode(s, b, node)
	case n.step == stepVerify && w.State == NodeVerifying:
		// A check is harmless to repeat: wait for the one under way to
		// end, then run it again to learn its result.
		note(node, recorded, found, "wait for the verification under way, then verify again")
		m.waitOut(s, b, node, NodeVerifying, left, func(i NodeInfo) {
			if i.State == NodeFailed {
				m.failNode(s, node, "verification failed: the node is failed")
				return
			}
			m.verifyNode(s, b, node)
		})
	default: // stepVerify, no verification under way
		note(node, recorded, found, "verify again")
		m.armHang(s, node, max(0, left))
		m.verifyNode(s, b, node)
	}
}

// waitOut watches a step an earlier process started on node (the node
// shows state while it runs): the expected-duration timer runs for what
// is left of it, and once the node leaves state, then sees it, unless the
// timer has failed the node meanwhile.
func (m *Manager) waitOut(s *session, b *batch, node, state string, left time.Duration, then func(NodeInfo)) {
	n := s.nodes[node]
	m.armHang(s, node, max(0, left))
	op := n.op
	m.poll(s, b, n.since.Add(s.cfg.UpgradeTimeout), func() bool {
		i, _ := m.nodeInfo(node)
		return i.State != state
	}, func(timedOut bool) {
		if n.op != op || timedOut {
			return // the hang timer has it
		}
		i, _ := m.nodeInfo(node)
		then(i)
	})
}
