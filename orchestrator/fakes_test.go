package orchestrator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/eventtest"
	"github.com/stretchr/testify/require"
)

// The fakes below stand in for the ports of ports.go. None of them starts a
// goroutine or sleeps: everything runs from fakeClock, a tiny discrete-event
// queue, so a test is exactly reproducible and `go test -race` clean.

// ---------------------------------------------------------------------------
// Clock

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type fakeTimer struct {
	at        time.Time
	seq       int
	fn        func()
	cancelled bool
	fired     bool
}

// fakeClock is a discrete-event queue ordered by time, then by insertion.
type fakeClock struct {
	now   time.Time
	seq   int
	queue []*fakeTimer
	steps int
}

func newFakeClock() *fakeClock { return &fakeClock{now: epoch} }

func (c *fakeClock) Now() time.Time { return c.now }

// Elapsed is the virtual time since the clock was created.
func (c *fakeClock) Elapsed() time.Duration { return c.now.Sub(epoch) }

func (c *fakeClock) AfterFunc(d time.Duration, fn func()) (cancel func()) {
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &fakeTimer{at: c.now.Add(d), seq: c.seq, fn: fn}
	c.queue = append(c.queue, t)
	return func() { t.cancelled = true }
}

// pop removes and returns the earliest live timer due at or before limit.
func (c *fakeClock) pop(limit time.Time) *fakeTimer {
	c.queue = slices.DeleteFunc(c.queue, func(t *fakeTimer) bool { return t.cancelled })
	best := -1
	for i, t := range c.queue {
		if t.at.After(limit) {
			continue
		}
		if best < 0 || t.at.Before(c.queue[best].at) || (t.at.Equal(c.queue[best].at) && t.seq < c.queue[best].seq) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	t := c.queue[best]
	c.queue = slices.Delete(c.queue, best, best+1)
	return t
}

// step fires one timer due at or before limit; false when there is none.
func (c *fakeClock) step(limit time.Time) bool {
	t := c.pop(limit)
	if t == nil {
		return false
	}
	c.steps++
	if c.steps > 1_000_000 {
		panic("fakeClock: runaway event loop")
	}
	c.now = t.at
	t.fired = true
	t.fn()
	return true
}

var forever = epoch.Add(100 * 365 * 24 * time.Hour)

// RunUntilIdle fires every timer, including those armed meanwhile.
func (c *fakeClock) RunUntilIdle() {
	for c.step(forever) {
	}
}

// Advance fires every timer due within d, then moves the clock to now+d.
func (c *fakeClock) Advance(d time.Duration) {
	limit := c.now.Add(d)
	for c.step(limit) {
	}
	c.now = limit
}

// RunUntil fires timers until cond holds (checked before each timer); it
// reports whether cond held before the queue ran dry.
func (c *fakeClock) RunUntil(cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		if !c.step(forever) {
			return cond()
		}
	}
}

// Pending counts the live timers.
func (c *fakeClock) Pending() int {
	n := 0
	for _, t := range c.queue {
		if !t.cancelled {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// CloudManager

type maintCall struct {
	Node string
	On   bool
	Err  bool
}

type migrateCall struct {
	VM     string
	From   string
	Prefer []string
	Live   bool
	At     time.Duration
}

type fakeCloud struct {
	clock    *fakeClock
	nodes    []*NodeInfo
	vms      []*VMInfo
	carrying map[string]bool

	maintCalls []maintCall
	// maintErr makes SetMaintenance(node, true) fail.
	maintErr map[string]error

	migrateCalls []migrateCall
	migrateDelay time.Duration
	// migrateFail makes the migration of a VM end with this error.
	migrateFail map[string]error
	// migrateSync calls done from inside Migrate instead of from the clock
	// (a cloud that answers at once, for example "no valid host").
	migrateSync bool
	// usageFromVMs makes Nodes report UsedVCPUs and UsedMemGiB as the sum
	// of the VMs on each node, so that deleting a VM frees capacity.
	usageFromVMs bool
}

func newFakeCloud(c *fakeClock) *fakeCloud {
	return &fakeCloud{clock: c, carrying: map[string]bool{}, maintErr: map[string]error{},
		migrateFail: map[string]error{}, migrateDelay: 30 * time.Second}
}

func (f *fakeCloud) addNode(id, version string) *NodeInfo {
	n := &NodeInfo{ID: id, Zone: "z1", Version: version, State: NodeNormal, VCPUs: 32, MemoryGiB: 128}
	f.nodes = append(f.nodes, n)
	return n
}

func (f *fakeCloud) addVM(id, host, vnfm, vnf, group string) *VMInfo {
	v := &VMInfo{ID: id, Host: host, VNFM: vnfm, VNF: vnf, Group: group, VCPUs: 2, MemoryGiB: 4}
	f.vms = append(f.vms, v)
	return v
}

func (f *fakeCloud) node(id string) *NodeInfo {
	for _, n := range f.nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func (f *fakeCloud) vm(id string) *VMInfo {
	for _, v := range f.vms {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (f *fakeCloud) Nodes() []NodeInfo {
	out := make([]NodeInfo, len(f.nodes))
	for i, n := range f.nodes {
		out[i] = *n
		if f.usageFromVMs {
			out[i].UsedVCPUs, out[i].UsedMemGiB = 0, 0
			for _, v := range f.vms {
				if v.Host == n.ID {
					out[i].UsedVCPUs += v.VCPUs
					out[i].UsedMemGiB += v.MemoryGiB
				}
			}
		}
	}
	return out
}

// removeVM deletes a VM (a VNFM scaling in).
func (f *fakeCloud) removeVM(id string) {
	f.vms = slices.DeleteFunc(f.vms, func(v *VMInfo) bool { return v.ID == id })
	delete(f.carrying, id)
}

func (f *fakeCloud) VMsOn(node string) []VMInfo {
	var out []VMInfo
	for _, v := range f.vms {
		if v.Host == node {
			out = append(out, *v)
		}
	}
	return out
}

// SetMaintenance behaves like a real placement switch: normal → maintenance
// and back. Switching on a node that is already out of placement (failed,
// upgrading) changes nothing; switching off a node that is neither normal
// nor in maintenance is refused.
func (f *fakeCloud) SetMaintenance(node string, on bool) error {
	n := f.node(node)
	call := maintCall{Node: node, On: on}
	var err error
	switch {
	case n == nil:
		err = escalator.Errorf(escalator.ENOTFOUND, "node %q does not exist", node)
	case on && f.maintErr[node] != nil:
		err = f.maintErr[node]
	case on && n.State == NodeNormal:
		n.State = NodeMaintenance
	case on:
	case n.State == NodeMaintenance || n.State == NodeNormal:
		n.State = NodeNormal
	default:
		err = escalator.Errorf(escalator.ECONFLICT, "node %s is %s", node, n.State)
	}
	call.Err = err != nil
	f.maintCalls = append(f.maintCalls, call)
	return err
}

func (f *fakeCloud) CarriesBusiness(vm string) bool { return f.carrying[vm] }

// Migrate moves the VM to the first preferred node that exists and is not
// its host, after migrateDelay.
func (f *fakeCloud) Migrate(vmID string, prefer []string, live bool, done MigrationDone) {
	v := f.vm(vmID)
	call := migrateCall{VM: vmID, Prefer: slices.Clone(prefer), Live: live, At: f.clock.Elapsed()}
	if v != nil {
		call.From = v.Host
	}
	f.migrateCalls = append(f.migrateCalls, call)
	finish := func(fn func()) {
		if f.migrateSync {
			fn()
			return
		}
		f.clock.AfterFunc(f.migrateDelay, fn)
	}
	if v == nil {
		finish(func() { done("", fmt.Errorf("VM %q does not exist", vmID)) })
		return
	}
	if err := f.migrateFail[vmID]; err != nil {
		finish(func() { done("", err) })
		return
	}
	to := ""
	for _, p := range prefer {
		if p != v.Host && f.node(p) != nil {
			to = p
			break
		}
	}
	if to == "" {
		finish(func() { done("", fmt.Errorf("no host for VM %s", vmID)) })
		return
	}
	finish(func() {
		v.Host = to
		delete(f.carrying, vmID)
		done(to, nil)
	})
}

// ---------------------------------------------------------------------------
// SystemSupport

type sysCall struct {
	Op      string // "upgrade" or "verify"
	Node    string
	Version string
	At      time.Duration
}

func (c sysCall) String() string { return c.Op + " " + c.Node + "@" + c.Version }

type fakeSystem struct {
	clock        *fakeClock
	cloud        *fakeCloud
	upgradeDelay time.Duration
	verifyDelay  time.Duration
	// Switches keyed by "node" (any version) or "node@version".
	failUpgrade map[string]bool
	failVerify  map[string]bool
	hangUpgrade map[string]bool
	hangVerify  map[string]bool

	calls []sysCall
	// hung holds the done callbacks of hung calls so that a test can play
	// a late completion.
	hung []func(error)
}

func newFakeSystem(c *fakeClock, cloud *fakeCloud) *fakeSystem {
	return &fakeSystem{clock: c, cloud: cloud, upgradeDelay: 10 * time.Minute, verifyDelay: time.Minute,
		failUpgrade: map[string]bool{}, failVerify: map[string]bool{}, hangUpgrade: map[string]bool{}, hangVerify: map[string]bool{}}
}

func match(m map[string]bool, node, version string) bool { return m[node] || m[node+"@"+version] }

func (f *fakeSystem) Upgrade(node, version string, done func(error)) {
	f.calls = append(f.calls, sysCall{"upgrade", node, version, f.clock.Elapsed()})
	n := f.cloud.node(node)
	after := NodeMaintenance
	if n.State == NodeNormal {
		after = NodeNormal
	}
	n.State = NodeUpgrading
	if match(f.hangUpgrade, node, version) {
		f.hung = append(f.hung, done)
		return
	}
	fail := match(f.failUpgrade, node, version)
	f.clock.AfterFunc(f.upgradeDelay, func() {
		if fail {
			n.State = NodeFailed
			done(fmt.Errorf("installing %s on %s failed", version, node))
			return
		}
		n.Version = version
		n.State = after
		done(nil)
	})
}

func (f *fakeSystem) Verify(node, version string, done func(error)) {
	f.calls = append(f.calls, sysCall{"verify", node, version, f.clock.Elapsed()})
	n := f.cloud.node(node)
	back := n.State
	n.State = NodeVerifying
	if match(f.hangVerify, node, version) {
		f.hung = append(f.hung, done)
		return
	}
	fail := match(f.failVerify, node, version)
	f.clock.AfterFunc(f.verifyDelay, func() {
		if fail {
			n.State = NodeFailed
			done(fmt.Errorf("health test failed on %s", node))
			return
		}
		n.State = back
		done(nil)
	})
}

func (f *fakeSystem) callStrings() []string {
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.String()
	}
	return out
}

func (f *fakeSystem) find(op, node, version string) (sysCall, bool) {
	for _, c := range f.calls {
		if c.Op == op && c.Node == node && c.Version == version {
			return c, true
		}
	}
	return sysCall{}, false
}

func (f *fakeSystem) upgradesOf(node string) []string {
	var out []string
	for _, c := range f.calls {
		if c.Op == "upgrade" && c.Node == node {
			out = append(out, c.Version)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Notifier

type sentNote struct {
	VNFM string
	N    Notification
	At   time.Duration
}

// replyPolicy says how a fake VNFM answers maintenance notifications.
type replyPolicy struct {
	Word    string // "ACK" or "NACK"; "" stays silent
	Delay   time.Duration
	Reason  string
	Actions func(n Notification) []InstanceAction
	// Decide, when set, picks the word per notification ("" = silent).
	Decide func(n Notification) string
	// OnReply, when set, runs just before the reply reaches the Manager:
	// what the VNFM did before answering (for example scaling in).
	OnReply func(n Notification)
}

type replyResult struct {
	Reply Reply
	Err   error
}

type fakeNotifier struct {
	clock   *fakeClock
	mgr     *Manager
	sent    []sentNote
	policy  map[string]replyPolicy
	def     *replyPolicy
	replies []replyResult
}

func newFakeNotifier(c *fakeClock) *fakeNotifier {
	return &fakeNotifier{clock: c, policy: map[string]replyPolicy{}}
}

func (f *fakeNotifier) Notify(vnfm string, n Notification) {
	f.sent = append(f.sent, sentNote{VNFM: vnfm, N: n, At: f.clock.Elapsed()})
	if n.NotificationType != TypeMaintenance {
		return
	}
	p, ok := f.policy[vnfm]
	if !ok {
		if f.def == nil {
			return
		}
		p = *f.def
	}
	word := p.Word
	if p.Decide != nil {
		word = p.Decide(n)
	}
	if word == "" {
		return
	}
	r := Reply{SessionID: n.SessionID, NotificationID: n.ID, VnfmID: vnfm, Reply: word + "_" + n.State, Reason: p.Reason}
	if p.Actions != nil {
		r.InstanceActions = p.Actions(n)
	}
	f.clock.AfterFunc(p.Delay, func() {
		if p.OnReply != nil {
			p.OnReply(n)
		}
		f.replies = append(f.replies, replyResult{r, f.mgr.Reply(r)})
	})
}

// of returns the notifications sent to one VNFM, optionally of one type.
func (f *fakeNotifier) of(vnfm, typ string) []sentNote {
	var out []sentNote
	for _, s := range f.sent {
		if s.VNFM == vnfm && (typ == "" || s.N.NotificationType == typ) {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeNotifier) ofType(typ string) []sentNote {
	var out []sentNote
	for _, s := range f.sent {
		if s.N.NotificationType == typ {
			out = append(out, s)
		}
	}
	return out
}

// summary renders the notifications as "vnfm type state nodes" lines.
func (f *fakeNotifier) summary() []string {
	out := make([]string, len(f.sent))
	for i, s := range f.sent {
		parts := []string{s.VNFM, strings.TrimSuffix(s.N.NotificationType, "Notification")}
		if s.N.State != "" {
			parts = append(parts, s.N.State)
		}
		if s.N.SessionState != "" {
			parts = append(parts, s.N.SessionState)
		}
		if len(s.N.AffectedNodes) > 0 {
			parts = append(parts, strings.Join(s.N.AffectedNodes, ","))
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

// ---------------------------------------------------------------------------
// Emitter

type recorder struct {
	clock  *fakeClock
	events []escalator.Event
}

func (r *recorder) Emit(actor, kind, subject string, f escalator.Fields) {
	r.events = append(r.events, escalator.Event{Seq: int64(len(r.events) + 1), At: r.clock.Elapsed(),
		Actor: actor, Kind: kind, Subject: subject, Fields: f})
}

func (r *recorder) kind(kind string) []escalator.Event {
	var out []escalator.Event
	for _, e := range r.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// index returns the position of the first event matching pred, or -1.
func (r *recorder) index(pred func(escalator.Event) bool) int {
	return slices.IndexFunc(r.events, pred)
}

// nodeStatusAt returns the position of the node.status event that set node
// to status, or -1.
func (r *recorder) nodeStatusAt(node, status string) int {
	return r.index(func(e escalator.Event) bool {
		p, ok := eventtest.Payload[event.NodeStatus](e)
		return ok && e.Subject == node && p.Status == status
	})
}

// sessionStates lists the session.state values in order.
func (r *recorder) sessionStates() []string {
	var out []string
	for _, e := range r.kind("session.state") {
		p, _ := eventtest.Payload[event.SessionState](e)
		out = append(out, p.State)
	}
	return out
}

// batches lists the nodes of every plan.batch event.
func (r *recorder) batches() [][]string {
	var out [][]string
	for _, e := range r.kind("plan.batch") {
		p, _ := eventtest.Payload[event.PlanBatch](e)
		out = append(out, p.Nodes)
	}
	return out
}

// ---------------------------------------------------------------------------
// IDs

func seqIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("id-%d", n)
	}
}

// ---------------------------------------------------------------------------
// Harness

type harness struct {
	t      *testing.T
	clock  *fakeClock
	cloud  *fakeCloud
	sys    *fakeSystem
	notify *fakeNotifier
	rec    *recorder
	m      *Manager
	ended  []SessionStatus
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	c := newFakeClock()
	cloud := newFakeCloud(c)
	h := &harness{t: t, clock: c, cloud: cloud, sys: newFakeSystem(c, cloud), notify: newFakeNotifier(c), rec: &recorder{clock: c}}
	h.m = New(Ports{Clock: c, Cloud: cloud, System: h.sys, Notify: h.notify}, h.rec, seqIDs())
	h.notify.mgr = h.m
	h.m.OnEnd(func(st SessionStatus) { h.ended = append(h.ended, st) })
	return h
}

// nodes adds nodes n1..nk at version.
func (h *harness) nodes(k int, version string) *harness {
	for i := 1; i <= k; i++ {
		h.cloud.addNode(fmt.Sprintf("n%d", i), version)
	}
	return h
}

// ackAll makes every VNFM acknowledge after delay.
func (h *harness) ackAll(delay time.Duration) *harness {
	h.notify.def = &replyPolicy{Word: "ACK", Delay: delay}
	return h
}

func baseConfig(flow string) Config {
	return Config{Flow: flow, TargetVersion: "v2", MaxParallel: 1, ReplyTimeout: 2 * time.Minute,
		UpgradeTimeout: 30 * time.Minute, OnNack: OnNackSkip, Rollback: true}
}

func (h *harness) start(cfg Config) SessionStatus {
	h.t.Helper()
	st, err := h.m.CreateSession(cfg)
	require.NoError(h.t, err)
	require.Equal(h.t, SessionRunning, st.State)
	return st
}

func (h *harness) run() { h.clock.RunUntilIdle() }

func (h *harness) status(id string) SessionStatus {
	h.t.Helper()
	st, err := h.m.Session(id)
	require.NoError(h.t, err)
	return st
}

func nodeStatus(t *testing.T, st SessionStatus, node string) NodeStatus {
	t.Helper()
	for _, n := range st.Nodes {
		if n.Node == node {
			return n
		}
	}
	require.Failf(t, "no such node in the status table", "node %s", node)
	return NodeStatus{}
}

// statuses maps each node of a session to its status.
func statuses(st SessionStatus) map[string]string {
	out := map[string]string{}
	for _, n := range st.Nodes {
		out[n.Node] = n.Status
	}
	return out
}

// cloudStates maps each node to its state in the fake cloud.
func (h *harness) cloudStates() map[string]string {
	out := map[string]string{}
	for _, n := range h.cloud.nodes {
		out[n.ID] = n.State
	}
	return out
}

func (h *harness) cloudVersions() map[string]string {
	out := map[string]string{}
	for _, n := range h.cloud.nodes {
		out[n.ID] = n.Version
	}
	return out
}
