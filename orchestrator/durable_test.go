package orchestrator

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
)

// failingStore refuses every commit after the first ok ones.
type failingStore struct {
	*MemoryStore
	ok int
}

func (f *failingStore) Commit(c Commit) error {
	if f.ok == 0 {
		return errors.New("disk full")
	}
	f.ok--
	return f.MemoryStore.Commit(c)
}

// durableHarness is the usual harness with a store under the Manager.
func durableHarness(t *testing.T, st Store) *harness {
	h := newHarness(t)
	h.m = New(Ports{Clock: h.clock, Cloud: h.cloud, System: h.sys, Notify: h.notify, Store: st}, h.rec, seqIDs())
	h.notify.mgr = h.m
	return h
}

// TestStoreFailureHalts: a Manager that cannot record an intent does not
// act on it; it stops, says so in the trace, and refuses further calls
// until a restart.
func TestStoreFailureHalts(t *testing.T) {
	fs := &failingStore{MemoryStore: NewMemoryStore(), ok: 1} // the session itself is recorded
	h := durableHarness(t, fs).nodes(3, "v1").ackAll(time.Second)
	var halted error
	h.m.OnHalt(func(err error) { halted = err })
	h.start(baseConfig(FlowF2))
	h.run()
	require.EqualError(t, halted, "disk full")
	require.Len(t, h.rec.kind("orchestrator.halted"), 1)
	require.Empty(t, h.sys.callStrings(), "no upgrade was asked for without its record")
	for _, st := range h.cloudStates() {
		require.Equal(t, NodeNormal, st, "no node entered maintenance without its record")
	}
	_, err := h.m.Pause(h.m.Sessions()[0].ID)
	require.Equal(t, escalator.EUNAVAILABLE, escalator.ErrorCode(err))
}

// killSwitch ends a Manager's process in a test: its timers, callbacks
// and notifications go nowhere once dead.
type killSwitch struct{ dead bool }

type killClock struct {
	Clock
	k *killSwitch
}

func (c killClock) AfterFunc(d time.Duration, fn func()) func() {
	return c.Clock.AfterFunc(d, func() {
		if !c.k.dead {
			fn()
		}
	})
}

type killSystem struct {
	SystemSupport
	k *killSwitch
}

func (s killSystem) guard(done func(error)) func(error) {
	return func(err error) {
		if !s.k.dead {
			done(err)
		}
	}
}
func (s killSystem) Upgrade(n, v string, done func(error)) {
	s.SystemSupport.Upgrade(n, v, s.guard(done))
}
func (s killSystem) Verify(n, v string, done func(error)) {
	s.SystemSupport.Verify(n, v, s.guard(done))
}

// TestRecoverFinishesTheSession: a second Manager on the same store and
// world takes the session up after the first one died mid-upgrade; the
// upgrade under way is watched, not started again.
func TestRecoverFinishesTheSession(t *testing.T) {
	store := NewMemoryStore()
	h := newHarness(t).nodes(2, "v1").ackAll(time.Second)
	k := &killSwitch{}
	first := New(Ports{Clock: killClock{h.clock, k}, Cloud: h.cloud, System: killSystem{h.sys, k}, Notify: h.notify, Store: store}, h.rec, seqIDs())
	h.notify.mgr = first
	_, err := first.CreateSession(baseConfig(FlowF2))
	require.NoError(t, err)
	require.True(t, h.clock.RunUntil(func() bool { return len(h.sys.callStrings()) > 0 }))
	require.Equal(t, []string{"upgrade n1@v2"}, h.sys.callStrings())
	k.dead = true
	h.clock.Advance(time.Minute)

	var ended []SessionStatus
	second := New(Ports{Clock: h.clock, Cloud: h.cloud, System: h.sys, Notify: h.notify, Store: store}, h.rec, func() string { return "second-" + seqIDs()() })
	second.OnEnd(func(st SessionStatus) { ended = append(ended, st) })
	h.notify.mgr = second
	resumed, err := second.Recover()
	require.NoError(t, err)
	require.Len(t, resumed, 1)
	require.Equal(t, StatusUpgrading, nodeStatus(t, resumed[0], "n1").Status)
	require.Len(t, h.rec.kind("orchestrator.restarted"), 1)
	require.NotEmpty(t, h.rec.kind("orchestrator.reconciled"))
	h.clock.RunUntilIdle()
	require.Len(t, ended, 1)
	require.Equal(t, SessionCompleted, ended[0].State)
	require.Equal(t, map[string]string{"n1": "v2", "n2": "v2"}, h.cloudVersions())
	require.Equal(t, map[string]string{"n1": NodeNormal, "n2": NodeNormal}, h.cloudStates())
	require.Len(t, h.sys.upgradesOf("n1"), 1, "n1's upgrade was started twice: %v", h.sys.callStrings())
}

// TestRecoverRefusesAnInconsistentStore: a record that names what it
// does not hold is an error, not a guess.
func TestRecoverRefusesAnInconsistentStore(t *testing.T) {
	store := NewMemoryStore()
	spec := SessionSpec{ID: "s1", Config: baseConfig(FlowF2), Order: []string{"n1"}}
	require.NoError(t, store.Commit(Commit{ID: "s1", Spec: &spec, Session: SessionHeader{State: SessionRunning,
		Batch: &BatchRecord{Gen: 1, Size: 1, Phase: phaseNotify, Notes: map[string]string{"missing": "vnfm-1"}}},
		Nodes: []NodeRecord{{NodeStatus: NodeStatus{Node: "n1", Status: StatusMaintenance}, Batch: 1, BatchPos: 1}}}))
	h := durableHarness(t, store).nodes(1, "v1")
	_, err := h.m.Recover()
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	require.ErrorContains(t, err, "notification missing")
}

// TestRecoverRefusesABatchWithoutItsNodes: a batch whose node rows are not
// all there is refused too.
func TestRecoverRefusesABatchWithoutItsNodes(t *testing.T) {
	store := NewMemoryStore()
	spec := SessionSpec{ID: "s1", Config: baseConfig(FlowF2), Order: []string{"n1", "n2"}}
	require.NoError(t, store.Commit(Commit{ID: "s1", Spec: &spec, Session: SessionHeader{State: SessionRunning,
		Batch: &BatchRecord{Gen: 2, Size: 2, Phase: phaseNotify}},
		Nodes: []NodeRecord{{NodeStatus: NodeStatus{Node: "n1", Status: StatusMaintenance}, Batch: 2, BatchPos: 1},
			{NodeStatus: NodeStatus{Node: "n2", Status: StatusPending}, Batch: 1, BatchPos: 1}}}))
	h := durableHarness(t, store).nodes(2, "v1")
	_, err := h.m.Recover()
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	require.ErrorContains(t, err, "batch 2 has 1 nodes on record, not 2")
}
