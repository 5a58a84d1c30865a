package orchestrator

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/eventtest"
	"github.com/stretchr/testify/require"
)

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	var e *escalator.Error
	require.True(t, errors.As(err, &e), "want an *escalator.Error, got %T: %v", err, err)
	require.Equal(t, code, escalator.ErrorCode(err), "error: %v", err)
}

// --- the fakes themselves ---------------------------------------------------

func TestFakeClockOrdersByTimeThenInsertion(t *testing.T) {
	c := newFakeClock()
	var got []string
	c.AfterFunc(2*time.Second, func() { got = append(got, "b2") })
	c.AfterFunc(time.Second, func() { got = append(got, "a1") })
	cancel := c.AfterFunc(time.Second, func() { got = append(got, "cancelled") })
	c.AfterFunc(time.Second, func() {
		got = append(got, "a2")
		c.AfterFunc(0, func() { got = append(got, "a3") })
	})
	cancel()
	c.Advance(1500 * time.Millisecond)
	require.Equal(t, []string{"a1", "a2", "a3"}, got)
	require.Equal(t, 1500*time.Millisecond, c.Elapsed())
	c.RunUntilIdle()
	require.Equal(t, []string{"a1", "a2", "a3", "b2"}, got)
	require.Equal(t, 2*time.Second, c.Elapsed())
	require.Zero(t, c.Pending())
}

// --- 1. F1 happy path --------------------------------------------------------

// groupPair is the scenario of test 1: four nodes, two VMs of one VNFM in
// anti-affinity group g1 on n1 and n2.
func groupPair(t *testing.T) *harness {
	h := newHarness(t).nodes(4, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
	h.cloud.addVM("vm-b", "n2", "vnfm-1", "vnf-1", "g1")
	return h
}

func TestF1HappyPathRespectsGroupLimit(t *testing.T) {
	h := groupPair(t)
	// A VM no VNFM manages: nobody is told about n3.
	h.cloud.addVM("vm-free", "n3", "", "", "")
	cfg := baseConfig(FlowF1)
	cfg.MaxParallel = 2
	created := h.start(cfg)
	require.Equal(t, "id-1", created.ID)
	for _, n := range created.Nodes {
		require.Equal(t, StatusPending, n.Status)
		require.Equal(t, "v1", n.FromVersion)
		require.Equal(t, "v2", n.ToVersion)
	}
	require.Empty(t, h.sys.calls, "the first step runs from the clock, after CreateSession returns")
	require.Empty(t, h.notify.sent)
	h.run()

	// Batches: n1 and n2 share group g1 (limit 1) and are never together.
	require.Equal(t, [][]string{{"n1", "n3"}, {"n2", "n4"}}, h.rec.batches())
	for _, b := range h.rec.batches() {
		require.False(t, len(b) > cfg.MaxParallel)
		require.False(t, contains(b, "n1") && contains(b, "n2"), "n1 and n2 in one batch: %v", b)
	}
	plans := h.rec.kind("plan.batch")
	require.Equal(t, map[string]string{"n2": "instance group g1 would have 2 instances out of service, at most 1 allowed"},
		eventtest.As[event.PlanBatch](t, plans[0]).Deferred)
	require.NotContains(t, plans[1].Fields, "deferred")
	require.Equal(t, "id-1", eventtest.As[event.PlanBatch](t, plans[0]).Session)

	// Every node done at the target version, back in normal service.
	st := h.status(created.ID)
	require.Equal(t, SessionCompleted, st.State)
	require.Equal(t, "4 nodes at version v2", st.Reason)
	for _, n := range st.Nodes {
		require.Equal(t, StatusDone, n.Status, n.Node)
		require.Equal(t, "v2", n.ToVersion)
	}
	require.Equal(t, map[string]string{"n1": "v2", "n2": "v2", "n3": "v2", "n4": "v2"}, h.cloudVersions())
	require.Equal(t, map[string]string{"n1": NodeNormal, "n2": NodeNormal, "n3": NodeNormal, "n4": NodeNormal}, h.cloudStates())
	require.Equal(t, []string{SessionCompleted}, h.rec.sessionStates())
	require.Len(t, h.ended, 1)
	require.Equal(t, st, h.ended[0])

	// System support calls, in order, with the versions.
	require.Equal(t, []string{
		"upgrade n1@v2", "upgrade n3@v2", "verify n1@v2", "verify n3@v2",
		"upgrade n2@v2", "upgrade n4@v2", "verify n2@v2", "verify n4@v2",
	}, h.sys.callStrings())
	// The upgrade starts when the VNFM answered (5s), not before.
	require.Equal(t, 5*time.Second, h.sys.calls[0].At)

	// Maintenance on before the notification, off after the node is done.
	require.Equal(t, []maintCall{
		{Node: "n1", On: true}, {Node: "n3", On: true}, {Node: "n1", On: false}, {Node: "n3", On: false},
		{Node: "n2", On: true}, {Node: "n4", On: true}, {Node: "n2", On: false}, {Node: "n4", On: false},
	}, h.cloud.maintCalls)

	// Notifications: maintenance, node available after each node, and the
	// session's end.
	require.Equal(t, []string{
		"vnfm-1 Maintenance PLANNED_MAINTENANCE n1",
		"vnfm-1 NodeAvailable n1",
		"vnfm-1 Maintenance PLANNED_MAINTENANCE n2",
		"vnfm-1 NodeAvailable n2",
		"vnfm-1 SessionStatus COMPLETED",
	}, h.notify.summary())
	first := h.notify.sent[0].N
	require.Equal(t, "id-2", first.ID)
	require.Equal(t, "id-1", first.SessionID)
	require.Equal(t, "v2", first.TargetVersion)
	require.Equal(t, epoch, first.TimeStamp)
	require.NotNil(t, first.ReplyBy)
	require.Equal(t, epoch.Add(cfg.ReplyTimeout), *first.ReplyBy)
	require.Equal(t, []AffectedInstance{{InstanceID: "vm-a", VnfInstanceID: "vnf-1", NodeID: "n1"}}, first.AffectedInstances)
	require.Equal(t, []string{ActionSwitchedOver, ActionDrained, ActionOwnAction, ActionMigrate, ActionLiveMigrate}, first.AllowedActions)
	require.Empty(t, first.Links, "links belong to the HTTP edge, which knows the API root")
	avail := h.notify.sent[1].N
	require.Nil(t, avail.ReplyBy)
	last := h.notify.sent[len(h.notify.sent)-1].N
	require.Equal(t, SessionCompleted, last.SessionState)
	require.Equal(t, "v2", last.TargetVersion)

	// NodeAvailable goes out when the node is done, not before.
	for _, node := range []string{"n1", "n2"} {
		done := h.rec.nodeStatusAt(node, StatusDone)
		notified := h.rec.index(func(e escalator.Event) bool {
			p, ok := eventtest.Payload[event.VNFMNotify](e)
			return ok && p.Type == TypeNodeAvailable && contains(p.Nodes, node)
		})
		require.Positive(t, done)
		require.Greater(t, notified, done, node)
		require.Equal(t, h.rec.events[done].At, h.rec.events[notified].At, node)
	}
	// The session status notification is the very last event.
	lastEv := h.rec.events[len(h.rec.events)-1]
	require.Equal(t, "vnfm.notify", lastEv.Kind)
	require.Equal(t, TypeSessionStatus, eventtest.As[event.VNFMNotify](t, lastEv).Type)

	// Every reply was accepted.
	require.Len(t, h.notify.replies, 2)
	for _, r := range h.notify.replies {
		require.NoError(t, r.Err)
	}
	require.Zero(t, h.clock.Pending(), "no timer left armed")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Planning variants: group limits, defects, flows.
func TestPlanBatches(t *testing.T) {
	tests := []struct {
		name        string
		flow        string
		maxParallel int
		limits      map[string]int
		defects     []string
		bothOnN1    bool // both g1 VMs on n1 (anti-affinity off)
		want        [][]string
	}{
		{name: "default group limit 1", flow: FlowF1, maxParallel: 2, want: [][]string{{"n1", "n3"}, {"n2", "n4"}}},
		{name: "group limit 2", flow: FlowF1, maxParallel: 2, limits: map[string]int{"g1": 2}, want: [][]string{{"n1", "n2"}, {"n3", "n4"}}},
		{name: "non-positive limit counts as 1", flow: FlowF1, maxParallel: 2, limits: map[string]int{"g1": 0}, want: [][]string{{"n1", "n3"}, {"n2", "n4"}}},
		{name: "first node always goes", flow: FlowF1, maxParallel: 2, bothOnN1: true, want: [][]string{{"n1", "n2"}, {"n3", "n4"}}},
		{name: "maxParallel 1", flow: FlowF1, maxParallel: 1, want: [][]string{{"n1"}, {"n2"}, {"n3"}, {"n4"}}},
		{name: "maxParallel 4", flow: FlowF1, maxParallel: 4, want: [][]string{{"n1", "n3", "n4"}, {"n2"}}},
		{name: "ignore-vnf-groups", flow: FlowF1, maxParallel: 2, defects: []string{DefectIgnoreVNFGroups}, want: [][]string{{"n1", "n2"}, {"n3", "n4"}}},
		{name: "ignore-max-parallel keeps groups", flow: FlowF1, maxParallel: 1, defects: []string{DefectIgnoreMaxParallel}, want: [][]string{{"n1", "n3"}, {"n2", "n4"}}},
		{name: "F2 one at a time", flow: FlowF2, maxParallel: 3, want: [][]string{{"n1"}, {"n2"}, {"n3"}, {"n4"}}},
		{name: "F2 ignores ignore-max-parallel", flow: FlowF2, maxParallel: 3, defects: []string{DefectIgnoreMaxParallel}, want: [][]string{{"n1"}, {"n2"}, {"n3"}, {"n4"}}},
		{name: "naive takes maxParallel without groups", flow: FlowNaive, maxParallel: 2, want: [][]string{{"n1", "n2"}, {"n3", "n4"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := groupPair(t)
			if tc.bothOnN1 {
				h.cloud.vm("vm-b").Host = "n1"
			}
			cfg := baseConfig(tc.flow)
			cfg.MaxParallel = tc.maxParallel
			cfg.GroupLimits = tc.limits
			cfg.Defects = tc.defects
			id := h.start(cfg).ID
			h.run()
			require.Equal(t, tc.want, h.rec.batches())
			require.Equal(t, SessionCompleted, h.status(id).State)
		})
	}
}

// --- 2. F1 business check ----------------------------------------------------

func TestF1MigratesCarryingVMPreferringUpgradedNodes(t *testing.T) {
	h := newHarness(t).nodes(3, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n2", "vnfm-1", "vnf-1", "")
	h.cloud.carrying["vm-a"] = true
	cfg := baseConfig(FlowF1)
	cfg.Nodes = []string{"n3", "n2", "n1"}
	id := h.start(cfg).ID
	h.run()

	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Equal(t, [][]string{{"n3"}, {"n2"}, {"n1"}}, h.rec.batches())
	// n3 is done (11m), n2's notification is answered at 11m5s; n2 is in
	// maintenance, so the preference is n3 (upgraded) then n1.
	require.Equal(t, []migrateCall{{VM: "vm-a", From: "n2", Prefer: []string{"n3", "n1"}, Live: true, At: 11*time.Minute + 5*time.Second}},
		h.cloud.migrateCalls)
	up, ok := h.sys.find("upgrade", "n2", "v2")
	require.True(t, ok)
	require.Equal(t, 11*time.Minute+35*time.Second, up.At, "the upgrade waits for the migration")
	require.Equal(t, "n3", h.cloud.vm("vm-a").Host)

	mig := h.rec.kind("vm.migrate")
	require.Len(t, mig, 1)
	require.Equal(t, "vm-a", mig[0].Subject)
	require.Equal(t, escalator.Fields{"from": "n2", "reason": "carries business", "live": true, "session": id}, mig[0].Fields)
	migrating := h.rec.nodeStatusAt("n2", StatusMigrating)
	require.Positive(t, migrating)
	require.Equal(t, "1 VMs to move", eventtest.As[event.NodeStatus](t, h.rec.events[migrating]).Reason)
	require.Less(t, h.rec.index(func(e escalator.Event) bool { return e.Kind == "vm.migrate" }), h.rec.nodeStatusAt("n2", StatusUpgrading))
	// n1 no longer hosts the VM: no notification for its batch.
	require.Equal(t, []string{
		"vnfm-1 Maintenance PLANNED_MAINTENANCE n2",
		"vnfm-1 NodeAvailable n2",
		"vnfm-1 SessionStatus COMPLETED",
	}, h.notify.summary())
}

func TestF1InstanceActions(t *testing.T) {
	tests := []struct {
		name         string
		action       string
		carryingB    bool
		wantMigrated []string
		wantReasons  []string
		wantLive     []bool
	}{
		{name: "MIGRATE", action: ActionMigrate, wantMigrated: []string{"vm-a"}, wantReasons: []string{"VNFM asked for MIGRATE"}, wantLive: []bool{false}},
		{name: "LIVE_MIGRATE", action: ActionLiveMigrate, wantMigrated: []string{"vm-a"}, wantReasons: []string{"VNFM asked for LIVE_MIGRATE"}, wantLive: []bool{true}},
		{name: "DRAINED", action: ActionDrained},
		{name: "SWITCHED_OVER", action: ActionSwitchedOver},
		{name: "OWN_ACTION", action: ActionOwnAction},
		{name: "business check overrides DRAINED", action: ActionOwnAction, carryingB: true,
			wantMigrated: []string{"vm-b"}, wantReasons: []string{"carries business"}, wantLive: []bool{true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t).nodes(2, "v1")
			h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
			h.cloud.addVM("vm-b", "n1", "vnfm-1", "vnf-1", "")
			h.cloud.carrying["vm-b"] = tc.carryingB
			h.notify.policy["vnfm-1"] = replyPolicy{Word: "ACK", Delay: 5 * time.Second, Actions: func(Notification) []InstanceAction {
				return []InstanceAction{{InstanceID: "vm-a", Action: tc.action}, {InstanceID: "vm-b", Action: ActionDrained}}
			}}
			id := h.start(baseConfig(FlowF1)).ID
			h.run()
			require.Equal(t, SessionCompleted, h.status(id).State)
			require.NoError(t, h.notify.replies[0].Err)
			var vms, reasons []string
			var live []bool
			for _, c := range h.cloud.migrateCalls {
				vms = append(vms, c.VM)
				live = append(live, c.Live)
				require.Equal(t, []string{"n2"}, c.Prefer, "only n2 is in normal service")
			}
			for _, e := range h.rec.kind("vm.migrate") {
				reasons = append(reasons, eventtest.As[event.VMMigrate](t, e).Reason)
			}
			require.Equal(t, tc.wantMigrated, vms)
			require.Equal(t, tc.wantReasons, reasons)
			require.Equal(t, tc.wantLive, live, "a cold move only when the VNFM asked for MIGRATE")
			// The reply event lists the actions.
			require.Equal(t, []string{"vm-a:" + tc.action, "vm-b:" + ActionDrained}, eventtest.As[event.VNFMReply](t, h.rec.kind("vnfm.reply")[0]).Actions)
			// A migrated VM moved before n1's upgrade.
			if len(vms) > 0 {
				up, _ := h.sys.find("upgrade", "n1", "v2")
				require.Equal(t, 5*time.Second+h.cloud.migrateDelay, up.At)
			}
		})
	}
}

func TestF1MigrationFailure(t *testing.T) {
	tests := []struct {
		onNack    string
		wantState string
		wantN3    string
	}{
		{onNack: OnNackSkip, wantState: SessionCompleted, wantN3: StatusDone},
		{onNack: OnNackFail, wantState: SessionFailed, wantN3: StatusPending},
	}
	for _, tc := range tests {
		t.Run(tc.onNack, func(t *testing.T) {
			h := newHarness(t).nodes(3, "v1").ackAll(5 * time.Second)
			h.cloud.addVM("vm-a", "n2", "vnfm-1", "vnf-1", "")
			h.cloud.carrying["vm-a"] = true
			h.cloud.migrateFail["vm-a"] = errors.New("no valid host")
			cfg := baseConfig(FlowF1)
			cfg.OnNack = tc.onNack
			id := h.start(cfg).ID
			h.run()

			st := h.status(id)
			require.Equal(t, tc.wantState, st.State)
			n2 := nodeStatus(t, st, "n2")
			require.Equal(t, StatusSkipped, n2.Status)
			require.Equal(t, "cannot move VM vm-a off node n2: no valid host", n2.Reason)
			require.Equal(t, tc.wantN3, nodeStatus(t, st, "n3").Status)
			require.Empty(t, h.sys.upgradesOf("n2"), "a node whose business cannot move is not upgraded")
			require.Equal(t, NodeNormal, h.cloud.node("n2").State, "maintenance is off again")
			require.Contains(t, h.cloud.maintCalls, maintCall{Node: "n2", On: false})
			require.Equal(t, "v1", h.cloud.node("n2").Version)
			avail := h.notify.of("vnfm-1", TypeNodeAvailable)
			require.Len(t, avail, 1)
			require.Equal(t, []string{"n2"}, avail[0].N.AffectedNodes)
			ends := h.notify.of("vnfm-1", TypeSessionStatus)
			require.Len(t, ends, 1)
			require.Equal(t, tc.wantState, ends[0].N.SessionState)
			if tc.onNack == OnNackFail {
				require.Equal(t, n2.Reason, st.Reason)
				require.Empty(t, h.sys.upgradesOf("n3"))
			} else {
				require.Equal(t, "2 nodes at version v2", st.Reason)
			}
		})
	}
}

// Two VMs carry business on one node; one cannot move. The node is released
// at once; the other migration ends later and is ignored.
func TestF1MigrationFailureWithAnotherMigrationInFlight(t *testing.T) {
	h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.addVM("vm-b", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.carrying["vm-a"] = true
	h.cloud.carrying["vm-b"] = true
	h.cloud.migrateFail["vm-a"] = errors.New("no valid host")
	id := h.start(baseConfig(FlowF1)).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State)
	require.Equal(t, StatusSkipped, nodeStatus(t, st, "n1").Status)
	require.Equal(t, StatusDone, nodeStatus(t, st, "n2").Status)
	require.Empty(t, h.sys.upgradesOf("n1"))
	require.Len(t, h.cloud.migrateCalls, 2)
	require.Equal(t, "n2", h.cloud.vm("vm-b").Host, "the other VM still moved")
}

// --- 3. F2 -------------------------------------------------------------------

func TestF2OneNodeAtATimeWithoutMigration(t *testing.T) {
	h := newHarness(t).nodes(3, "v1").ackAll(5 * time.Second)
	for _, n := range []string{"n1", "n2", "n3"} {
		h.cloud.addVM("vm-"+n, n, "vnfm-1", "vnf-1", "")
		h.cloud.carrying["vm-"+n] = true
	}
	cfg := baseConfig(FlowF2)
	cfg.MaxParallel = 3
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State)
	require.Equal(t, [][]string{{"n1"}, {"n2"}, {"n3"}}, h.rec.batches())
	require.Empty(t, h.cloud.migrateCalls, "F2 does not migrate")
	require.Empty(t, h.rec.kind("vm.migrate"))
	for _, n := range st.Nodes {
		require.Equal(t, StatusDone, n.Status)
	}
	require.Equal(t, []string{
		"vnfm-1 Maintenance PLANNED_MAINTENANCE n1", "vnfm-1 NodeAvailable n1",
		"vnfm-1 Maintenance PLANNED_MAINTENANCE n2", "vnfm-1 NodeAvailable n2",
		"vnfm-1 Maintenance PLANNED_MAINTENANCE n3", "vnfm-1 NodeAvailable n3",
		"vnfm-1 SessionStatus COMPLETED",
	}, h.notify.summary())
	// Strictly sequential: each upgrade starts after the previous node is
	// back.
	for i := 1; i < len(h.sys.calls); i++ {
		require.GreaterOrEqual(t, h.sys.calls[i].At, h.sys.calls[i-1].At)
	}
}

func TestF2ReplyTimeout(t *testing.T) {
	h := newHarness(t).nodes(1, "v1")
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.addVM("vm-b", "n1", "vnfm-2", "vnf-2", "")
	h.cloud.carrying["vm-a"] = true
	h.notify.policy["vnfm-1"] = replyPolicy{Word: "ACK", Delay: 5 * time.Second}
	// vnfm-2 stays silent.
	cfg := baseConfig(FlowF2)
	id := h.start(cfg).ID

	h.clock.Advance(cfg.ReplyTimeout - time.Nanosecond)
	require.Empty(t, h.sys.calls, "nothing is upgraded before the reply deadline")
	require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
	h.clock.Advance(time.Nanosecond)
	require.Len(t, h.sys.calls, 1)
	require.Equal(t, sysCall{"upgrade", "n1", "v2", cfg.ReplyTimeout}, h.sys.calls[0])

	to := h.rec.kind("vnfm.reply-timeout")
	require.Len(t, to, 1)
	require.Equal(t, cfg.ReplyTimeout, to[0].At)
	require.Equal(t, id, to[0].Subject)
	require.Equal(t, []string{"vnfm-2"}, eventtest.As[event.VNFMReplyTimeout](t, to[0]).VNFMs)
	require.Equal(t, "2m0s", eventtest.As[event.VNFMReplyTimeout](t, to[0]).After)
	require.Less(t, h.rec.index(func(e escalator.Event) bool { return e.Kind == "vnfm.reply-timeout" }),
		h.rec.nodeStatusAt("n1", StatusUpgrading))
	for _, s := range h.notify.ofType(TypeMaintenance) {
		require.Equal(t, epoch.Add(cfg.ReplyTimeout), *s.N.ReplyBy)
	}

	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Empty(t, h.cloud.migrateCalls)
	// Both VNFMs were told, so both hear the node is back and the end.
	require.Len(t, h.notify.of("vnfm-2", TypeNodeAvailable), 1)
	require.Len(t, h.notify.of("vnfm-2", TypeSessionStatus), 1)
}

// F1 on a reply timeout goes to its own business check.
func TestF1ReplyTimeoutThenBusinessCheck(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.carrying["vm-a"] = true
	cfg := baseConfig(FlowF1)
	id := h.start(cfg).ID
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	// vm-a moved to n2, so n2's batch waits on the silent VNFM too.
	require.Len(t, h.rec.kind("vnfm.reply-timeout"), 2)
	require.Equal(t, []migrateCall{{VM: "vm-a", From: "n1", Prefer: []string{"n2"}, Live: true, At: cfg.ReplyTimeout}}, h.cloud.migrateCalls)
	up, _ := h.sys.find("upgrade", "n1", "v2")
	require.Equal(t, cfg.ReplyTimeout+h.cloud.migrateDelay, up.At)
}

// --- 4. Reply validation -----------------------------------------------------

// replySetup: n1 hosts vm-a (vnfm-1) and vm-b (vnfm-2); nobody answers on
// their own. After Advance(0) the batch [n1] waits on id-2 (vnfm-1) and id-3
// (vnfm-2).
func replySetup(t *testing.T) (*harness, string) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.addVM("vm-b", "n1", "vnfm-2", "vnf-2", "")
	id := h.start(baseConfig(FlowF1)).ID
	h.clock.Advance(0)
	require.Equal(t, []string{"vnfm-1 Maintenance PLANNED_MAINTENANCE n1", "vnfm-2 Maintenance PLANNED_MAINTENANCE n1"}, h.notify.summary())
	require.Equal(t, "id-2", h.notify.sent[0].N.ID)
	require.Equal(t, "id-3", h.notify.sent[1].N.ID)
	return h, id
}

func ack(session, note, vnfm string, actions ...InstanceAction) Reply {
	return Reply{SessionID: session, NotificationID: note, VnfmID: vnfm, Reply: "ACK_PLANNED_MAINTENANCE", InstanceActions: actions}
}

func TestReplyValidation(t *testing.T) {
	tests := []struct {
		name  string
		prep  func(h *harness, id string)
		reply func(id string) Reply
		code  string
		// waiting: the batch still waits for vnfm-1 afterwards.
		waiting bool
	}{
		{name: "unknown session", reply: func(string) Reply { return ack("nope", "id-2", "vnfm-1") }, code: escalator.ENOTFOUND, waiting: true},
		{name: "not ACK or NACK", reply: func(id string) Reply {
			r := ack(id, "id-2", "vnfm-1")
			r.Reply = "MAYBE_X"
			return r
		}, code: escalator.EINVALID, waiting: true},
		{name: "no state", reply: func(id string) Reply {
			r := ack(id, "id-2", "vnfm-1")
			r.Reply = "ACK"
			return r
		}, code: escalator.EINVALID, waiting: true},
		{name: "lower case", reply: func(id string) Reply {
			r := ack(id, "id-2", "vnfm-1")
			r.Reply = "ack_PLANNED_MAINTENANCE"
			return r
		}, code: escalator.EINVALID, waiting: true},
		{name: "wrong state", reply: func(id string) Reply {
			r := ack(id, "id-2", "vnfm-1")
			r.Reply = "ACK_SCALE_IN"
			return r
		}, code: escalator.ECONFLICT, waiting: true},
		{name: "NACK of another state", reply: func(id string) Reply {
			r := ack(id, "id-2", "vnfm-1")
			r.Reply = "NACK_" + StateMaintenanceComplete
			return r
		}, code: escalator.ECONFLICT, waiting: true},
		{name: "unknown notification", reply: func(id string) Reply { return ack(id, "id-99", "vnfm-1") }, code: escalator.ECONFLICT, waiting: true},
		{name: "notification of another VNFM", reply: func(id string) Reply { return ack(id, "id-2", "vnfm-2") }, code: escalator.ECONFLICT, waiting: true},
		{name: "unknown VNFM", reply: func(id string) Reply { return ack(id, "id-2", "vnfm-x") }, code: escalator.ECONFLICT, waiting: true},
		{name: "duplicate", prep: func(h *harness, id string) {
			require.NoError(t, h.m.Reply(ack(id, "id-2", "vnfm-1")))
		}, reply: func(id string) Reply { return ack(id, "id-2", "vnfm-1") }, code: escalator.ECONFLICT},
		{name: "late after the timeout", prep: func(h *harness, id string) {
			h.clock.Advance(2 * time.Minute)
			require.Len(t, h.sys.calls, 1, "the upgrade started on the timeout")
		}, reply: func(id string) Reply { return ack(id, "id-2", "vnfm-1") }, code: escalator.ECONFLICT},
		{name: "after the session ended", prep: func(h *harness, id string) {
			h.run()
			require.Equal(t, SessionCompleted, h.status(id).State)
		}, reply: func(id string) Reply { return ack(id, "id-2", "vnfm-1") }, code: escalator.ECONFLICT},
		{name: "action for another VNFM's instance", reply: func(id string) Reply {
			return ack(id, "id-2", "vnfm-1", InstanceAction{InstanceID: "vm-b", Action: ActionMigrate})
		}, code: escalator.EINVALID, waiting: true},
		{name: "action for an unknown instance", reply: func(id string) Reply {
			return ack(id, "id-2", "vnfm-1", InstanceAction{InstanceID: "vm-zz", Action: ActionDrained})
		}, code: escalator.EINVALID, waiting: true},
		{name: "unknown action", reply: func(id string) Reply {
			return ack(id, "id-2", "vnfm-1", InstanceAction{InstanceID: "vm-a", Action: "REBOOT"})
		}, code: escalator.EINVALID, waiting: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, id := replySetup(t)
			if tc.prep != nil {
				tc.prep(h, id)
			}
			before := h.status(id)
			calls, events, sent := len(h.sys.calls), len(h.rec.events), len(h.notify.sent)
			r := tc.reply(id)
			err := h.m.Reply(r)
			requireCode(t, err, tc.code)

			// A rejected reply changes nothing but the trace.
			require.Equal(t, before, h.status(id))
			require.Len(t, h.sys.calls, calls, "no upgrade started")
			require.Len(t, h.notify.sent, sent)
			require.Len(t, h.rec.events, events+1)
			ev := h.rec.events[events]
			require.Equal(t, "vnfm.reply", ev.Kind)
			require.Equal(t, r.SessionID, ev.Subject)
			reply := eventtest.As[event.VNFMReply](t, ev)
			require.False(t, reply.Accepted)
			require.Equal(t, err.Error(), reply.Error)
			require.Equal(t, r.Reply, reply.Reply)
			require.Equal(t, r.VnfmID, reply.VNFM)
			require.Equal(t, r.NotificationID, reply.NotificationID)

			if tc.waiting {
				// The rejection did not consume vnfm-1's answer.
				require.NoError(t, h.m.Reply(ack(id, "id-2", "vnfm-1")))
				require.NoError(t, h.m.Reply(ack(id, "id-3", "vnfm-2")))
				require.Len(t, h.sys.calls, 1)
			}
		})
	}
}

func TestReplyEventComesBeforeItsEffects(t *testing.T) {
	h, id := replySetup(t)

	// First ACK: the batch still waits for vnfm-2, so only the reply event.
	n := len(h.rec.events)
	require.NoError(t, h.m.Reply(ack(id, "id-2", "vnfm-1", InstanceAction{InstanceID: "vm-a", Action: ActionSwitchedOver})))
	require.Len(t, h.rec.events, n+1)
	ev := h.rec.events[n]
	require.Equal(t, "vnfm.reply", ev.Kind)
	require.True(t, eventtest.As[event.VNFMReply](t, ev).Accepted)
	require.NotContains(t, ev.Fields, "error")
	require.Equal(t, []string{"vm-a:SWITCHED_OVER"}, eventtest.As[event.VNFMReply](t, ev).Actions)
	require.Empty(t, h.sys.calls)

	// Last ACK: the reply event first, then the upgrade it sets off, all
	// synchronously.
	n = len(h.rec.events)
	require.NoError(t, h.m.Reply(ack(id, "id-3", "vnfm-2")))
	require.Greater(t, len(h.rec.events), n+1)
	require.Equal(t, "vnfm.reply", h.rec.events[n].Kind)
	require.True(t, eventtest.As[event.VNFMReply](t, h.rec.events[n]).Accepted)
	require.Equal(t, h.rec.nodeStatusAt("n1", StatusUpgrading), n+1)
	require.Len(t, h.sys.calls, 1)
	require.Equal(t, time.Duration(0), h.sys.calls[0].At, "no waiting for the deadline once all answered")

	// The reply timer was cancelled.
	h.run()
	require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
	require.Equal(t, SessionCompleted, h.status(id).State)
}

func TestNackEventComesBeforeRelease(t *testing.T) {
	h, id := replySetup(t)
	n := len(h.rec.events)
	r := ack(id, "id-2", "vnfm-1")
	r.Reply = "NACK_PLANNED_MAINTENANCE"
	require.NoError(t, h.m.Reply(r))
	require.Equal(t, "vnfm.reply", h.rec.events[n].Kind)
	require.True(t, eventtest.As[event.VNFMReply](t, h.rec.events[n]).Accepted)
	require.Greater(t, h.rec.nodeStatusAt("n1", StatusSkipped), n)
}

// --- 5. NACK policies --------------------------------------------------------

func TestNackPolicies(t *testing.T) {
	setup := func(t *testing.T, onNack string) (*harness, string) {
		h := newHarness(t).nodes(4, "v1")
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
		h.cloud.addVM("vm-b", "n2", "vnfm-2", "vnf-2", "")
		h.notify.policy["vnfm-1"] = replyPolicy{Word: "NACK", Delay: 5 * time.Second, Reason: "busy"}
		h.notify.policy["vnfm-2"] = replyPolicy{Word: "ACK", Delay: 10 * time.Second}
		cfg := baseConfig(FlowF1)
		cfg.MaxParallel = 2
		cfg.OnNack = onNack
		id := h.start(cfg).ID
		h.run()
		return h, id
	}
	const reason = "VNFM vnfm-1 refused PLANNED_MAINTENANCE for node n1: busy"

	t.Run("fail", func(t *testing.T) {
		h, id := setup(t, OnNackFail)
		st := h.status(id)
		require.Equal(t, SessionFailed, st.State)
		require.Equal(t, reason, st.Reason)
		require.Equal(t, map[string]string{"n1": StatusSkipped, "n2": StatusSkipped, "n3": StatusPending, "n4": StatusPending}, statuses(st))
		require.Equal(t, reason, nodeStatus(t, st, "n2").Reason)
		require.Empty(t, h.sys.calls, "nothing is upgraded after a NACK under onNack=fail")
		require.Equal(t, [][]string{{"n1", "n2"}}, h.rec.batches())
		for _, n := range []string{"n1", "n2", "n3", "n4"} {
			require.Equal(t, NodeNormal, h.cloud.node(n).State, n)
		}
		require.Len(t, h.notify.of("vnfm-1", TypeNodeAvailable), 1)
		require.Len(t, h.notify.of("vnfm-2", TypeNodeAvailable), 1)
		require.Equal(t, SessionFailed, h.notify.of("vnfm-1", TypeSessionStatus)[0].N.SessionState)
		require.Equal(t, SessionFailed, h.notify.of("vnfm-2", TypeSessionStatus)[0].N.SessionState)
		// vnfm-2's ACK arrives after the session ended: refused.
		require.Len(t, h.notify.replies, 2)
		require.NoError(t, h.notify.replies[0].Err)
		requireCode(t, h.notify.replies[1].Err, escalator.ECONFLICT)
		require.Empty(t, h.rec.kind("vnfm.reply-timeout"), "the reply timer was cancelled")
		end := h.rec.kind("session.state")
		require.Len(t, end, 1)
		require.Equal(t, 5*time.Second, end[0].At, "the session ended at the NACK")
	})

	t.Run("skip", func(t *testing.T) {
		h, id := setup(t, OnNackSkip)
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, "3 nodes at version v2", st.Reason)
		require.Equal(t, map[string]string{"n1": StatusSkipped, "n2": StatusDone, "n3": StatusDone, "n4": StatusDone}, statuses(st))
		require.Equal(t, reason, nodeStatus(t, st, "n1").Reason)
		require.Empty(t, h.sys.upgradesOf("n1"))
		require.Equal(t, "v1", h.cloud.node("n1").Version)
		require.Equal(t, NodeNormal, h.cloud.node("n1").State)
		// n1 was released at the NACK (5s), n2 waited for vnfm-2 (10s).
		skip := h.rec.events[h.rec.nodeStatusAt("n1", StatusSkipped)]
		require.Equal(t, 5*time.Second, skip.At)
		up, _ := h.sys.find("upgrade", "n2", "v2")
		require.Equal(t, 10*time.Second, up.At)
		require.Equal(t, []string{"n1"}, h.notify.of("vnfm-1", TypeNodeAvailable)[0].N.AffectedNodes)
		for _, r := range h.notify.replies {
			require.NoError(t, r.Err)
		}
	})
}

// A NACK (skip) that is the last awaited reply lets the rest of the batch go
// on at once, without waiting for the deadline.
func TestNackSkipAsLastReply(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.addVM("vm-b", "n2", "vnfm-2", "vnf-2", "")
	h.notify.policy["vnfm-1"] = replyPolicy{Word: "NACK", Delay: 10 * time.Second}
	h.notify.policy["vnfm-2"] = replyPolicy{Word: "ACK", Delay: 5 * time.Second}
	cfg := baseConfig(FlowF1)
	cfg.MaxParallel = 2
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State)
	require.Equal(t, map[string]string{"n1": StatusSkipped, "n2": StatusDone}, statuses(st))
	require.Equal(t, []string{"upgrade n2@v2", "verify n2@v2"}, h.sys.callStrings())
	require.Equal(t, 10*time.Second, h.sys.calls[0].At)
	require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
}

// NACK(skip) of every node in the batch ends the batch at once.
func TestNackSkipWholeBatch(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.notify.policy["vnfm-1"] = replyPolicy{Word: "NACK", Delay: 5 * time.Second}
	id := h.start(baseConfig(FlowF1)).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State)
	require.Equal(t, "VNFM vnfm-1 refused PLANNED_MAINTENANCE for node n1", nodeStatus(t, st, "n1").Reason)
	require.Equal(t, []string{"upgrade n2@v2", "verify n2@v2"}, h.sys.callStrings())
	require.Equal(t, 5*time.Second, h.sys.calls[0].At)
	require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
}

// --- 6. Rollback -------------------------------------------------------------

// rollbackSetup: four nodes with different original versions, one VM of
// vnfm-1 on each, F1 with maxParallel given.
func rollbackSetup(t *testing.T, maxParallel int) (*harness, Config) {
	h := newHarness(t).ackAll(5 * time.Second)
	for _, n := range []struct{ id, v string }{{"n1", "v1.0"}, {"n2", "v1.1"}, {"n3", "v1.0"}, {"n4", "v1.2"}} {
		h.cloud.addNode(n.id, n.v)
		h.cloud.addVM("vm-"+n.id, n.id, "vnfm-1", "vnf-1", "")
	}
	cfg := baseConfig(FlowF1)
	cfg.MaxParallel = maxParallel
	return h, cfg
}

var originals = map[string]string{"n1": "v1.0", "n2": "v1.1", "n3": "v1.0", "n4": "v1.2"}

func TestRollback(t *testing.T) {
	tests := []struct {
		name        string
		maxParallel int
		fault       func(s *fakeSystem)
		reason      string
		wantBack    []string // rollback order
		wantStatus  map[string]string
		hangTimeout bool
	}{
		{
			name: "upgrade fails", maxParallel: 1, fault: func(s *fakeSystem) { s.failUpgrade["n3@v2"] = true },
			reason:     "node n3 failed: upgrade failed: installing v2 on n3 failed",
			wantBack:   []string{"n3", "n2", "n1"},
			wantStatus: map[string]string{"n1": StatusRolledBack, "n2": StatusRolledBack, "n3": StatusRolledBack, "n4": StatusPending},
		},
		{
			name: "verify fails", maxParallel: 1, fault: func(s *fakeSystem) { s.failVerify["n3@v2"] = true },
			reason:     "node n3 failed: verification failed: health test failed on n3",
			wantBack:   []string{"n3", "n2", "n1"},
			wantStatus: map[string]string{"n1": StatusRolledBack, "n2": StatusRolledBack, "n3": StatusRolledBack, "n4": StatusPending},
		},
		{
			name: "upgrade hangs", maxParallel: 1, fault: func(s *fakeSystem) { s.hangUpgrade["n3@v2"] = true },
			reason:      "node n3 failed: upgrade and verification did not finish within the expected 30m0s",
			wantBack:    []string{"n3", "n2", "n1"},
			wantStatus:  map[string]string{"n1": StatusRolledBack, "n2": StatusRolledBack, "n3": StatusRolledBack, "n4": StatusPending},
			hangTimeout: true,
		},
		{
			name: "verify hangs", maxParallel: 1, fault: func(s *fakeSystem) { s.hangVerify["n3@v2"] = true },
			reason:      "node n3 failed: upgrade and verification did not finish within the expected 30m0s",
			wantBack:    []string{"n3", "n2", "n1"},
			wantStatus:  map[string]string{"n1": StatusRolledBack, "n2": StatusRolledBack, "n3": StatusRolledBack, "n4": StatusPending},
			hangTimeout: true,
		},
		{
			name: "first node fails", maxParallel: 1, fault: func(s *fakeSystem) { s.failUpgrade["n1@v2"] = true },
			reason:     "node n1 failed: upgrade failed: installing v2 on n1 failed",
			wantBack:   []string{"n1"},
			wantStatus: map[string]string{"n1": StatusRolledBack, "n2": StatusPending, "n3": StatusPending, "n4": StatusPending},
		},
		{
			// Batches [n1 n2] then [n3 n4]; n3 fails while n4 succeeds:
			// the failed node first, then the upgraded ones newest first.
			name: "failure in a batch of two", maxParallel: 2, fault: func(s *fakeSystem) { s.failUpgrade["n3@v2"] = true },
			reason:     "node n3 failed: upgrade failed: installing v2 on n3 failed",
			wantBack:   []string{"n3", "n4", "n2", "n1"},
			wantStatus: map[string]string{"n1": StatusRolledBack, "n2": StatusRolledBack, "n3": StatusRolledBack, "n4": StatusRolledBack},
		},
		{
			name: "two failures in one batch", maxParallel: 2, fault: func(s *fakeSystem) { s.failUpgrade["n3@v2"] = true; s.failVerify["n4@v2"] = true },
			reason:     "nodes [n3 n4] failed: upgrade failed: installing v2 on n3 failed",
			wantBack:   []string{"n3", "n4", "n2", "n1"},
			wantStatus: map[string]string{"n1": StatusRolledBack, "n2": StatusRolledBack, "n3": StatusRolledBack, "n4": StatusRolledBack},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, cfg := rollbackSetup(t, tc.maxParallel)
			tc.fault(h.sys)
			id := h.start(cfg).ID
			h.run()

			st := h.status(id)
			require.Equal(t, SessionRolledBack, st.State)
			require.Equal(t, tc.reason, st.Reason)
			require.Equal(t, []string{SessionRollingBack, SessionRolledBack}, h.rec.sessionStates())
			rb := h.rec.kind("session.state")[0]
			require.Equal(t, tc.reason, eventtest.As[event.SessionState](t, rb).Reason)
			require.Equal(t, tc.wantStatus, statuses(st))

			// Rollback order and versions: every reinstall after the
			// failure puts back the node's own original version.
			var back []string
			for _, c := range h.sys.calls {
				if c.Op == "upgrade" && c.At >= rb.At && c.Version != "v2" {
					back = append(back, c.Node)
					require.Equal(t, originals[c.Node], c.Version, "rollback of %s", c.Node)
				}
			}
			require.Equal(t, tc.wantBack, back)
			for _, n := range tc.wantBack {
				v, ok := h.sys.find("verify", n, originals[n])
				require.True(t, ok, "rollback of %s is verified", n)
				require.Greater(t, v.At, rb.At)
			}
			require.Equal(t, originals, h.cloudVersions())
			for n, s := range h.cloudStates() {
				require.Equal(t, NodeNormal, s, "node %s ends in %s", n, s)
			}
			// No new forward batch after the failure, and the node left
			// pending was never touched.
			for _, e := range h.rec.kind("plan.batch") {
				require.LessOrEqual(t, e.At, rb.At)
			}
			// Rollback notifications announce the original version.
			for _, s := range h.notify.ofType(TypeMaintenance) {
				if s.At > rb.At {
					require.Equal(t, originals[s.N.AffectedNodes[0]], s.N.TargetVersion)
				}
			}
			require.Equal(t, SessionRolledBack, h.notify.of("vnfm-1", TypeSessionStatus)[0].N.SessionState)
			if tc.hangTimeout {
				up, ok := h.sys.find("upgrade", "n3", "v2")
				require.True(t, ok)
				failed := h.rec.events[h.rec.nodeStatusAt("n3", StatusFailed)]
				require.Equal(t, up.At+cfg.UpgradeTimeout, failed.At)
			}
			require.Len(t, h.ended, 1)
			require.Zero(t, h.clock.Pending())
		})
	}
}

// A failed node gets no NodeAvailable until it is rolled back.
func TestFailedNodeNotAnnouncedUntilRolledBack(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.failUpgrade["n2@v2"] = true
	h.start(cfg)
	h.run()
	failed := h.rec.nodeStatusAt("n2", StatusFailed)
	rolled := h.rec.nodeStatusAt("n2", StatusRolledBack)
	require.Positive(t, failed)
	avail := h.rec.index(func(e escalator.Event) bool {
		p, ok := eventtest.Payload[event.VNFMNotify](e)
		return ok && p.Type == TypeNodeAvailable && contains(p.Nodes, "n2")
	})
	require.Greater(t, avail, rolled)
}

func TestHungUpgradeLateCompletionIgnored(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.hangUpgrade["n3@v2"] = true
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { return h.rec.nodeStatusAt("n3", StatusFailed) >= 0 }))
	require.Equal(t, SessionRollingBack, h.status(id).State)
	require.Len(t, h.sys.hung, 1)

	// The hung upgrade reports success after the timeout: ignored.
	events, calls := len(h.rec.events), len(h.sys.calls)
	h.sys.hung[0](nil)
	require.Len(t, h.rec.events, events)
	require.Len(t, h.sys.calls, calls)

	// ... also once the rollback of that node is in flight.
	require.True(t, h.clock.RunUntil(func() bool { _, ok := h.sys.find("upgrade", "n3", "v1.0"); return ok }))
	events, calls = len(h.rec.events), len(h.sys.calls)
	h.sys.hung[0](nil)
	h.sys.hung[0](errors.New("late failure"))
	require.Len(t, h.rec.events, events)
	require.Len(t, h.sys.calls, calls)

	h.run()
	require.Equal(t, SessionRolledBack, h.status(id).State)
	_, verified := h.sys.find("verify", "n3", "v2")
	require.False(t, verified, "a hung upgrade is never verified")
	require.Equal(t, StatusRolledBack, nodeStatus(t, h.status(id), "n3").Status)

	// And after the end.
	events = len(h.rec.events)
	h.sys.hung[0](nil)
	require.Len(t, h.rec.events, events)
}

// A hung verification that completes after the timeout is ignored.
func TestHungVerifyLateCompletionIgnored(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.hangVerify["n2@v2"] = true
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { return h.rec.nodeStatusAt("n2", StatusFailed) >= 0 }))
	require.Len(t, h.sys.hung, 1)
	events := len(h.rec.events)
	h.sys.hung[0](nil)
	require.Len(t, h.rec.events, events)
	h.run()
	require.Equal(t, SessionRolledBack, h.status(id).State)
	require.Equal(t, []string{"v2", "v1.1"}, h.sys.upgradesOf("n2"))
}

// A hung upgrade that completes after the session ended (rollback off) is ignored too.
func TestHungUpgradeLateCompletionAfterSessionEnd(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	cfg.Rollback = false
	h.sys.hangUpgrade["n1@v2"] = true
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionFailed, st.State)
	require.Equal(t, 30*time.Minute+5*time.Second, h.rec.events[h.rec.nodeStatusAt("n1", StatusFailed)].At)
	events := len(h.rec.events)
	h.sys.hung[0](nil)
	require.Len(t, h.rec.events, events)
	require.Equal(t, st, h.status(id))
}

func TestRollbackDisabled(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	cfg.Rollback = false
	h.sys.failUpgrade["n3@v2"] = true
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionFailed, st.State)
	require.Equal(t, "node n3 failed: upgrade failed: installing v2 on n3 failed", st.Reason)
	require.Equal(t, []string{SessionFailed}, h.rec.sessionStates())
	require.Equal(t, map[string]string{"n1": StatusDone, "n2": StatusDone, "n3": StatusFailed, "n4": StatusPending}, statuses(st))
	require.Equal(t, "upgrade failed: installing v2 on n3 failed", nodeStatus(t, st, "n3").Reason)
	for _, c := range h.sys.calls {
		require.Equal(t, "v2", c.Version, "no rollback: %v", c)
	}
	require.Equal(t, NodeFailed, h.cloud.node("n3").State, "the failed node is left as it is")
	require.Equal(t, map[string]string{"n1": "v2", "n2": "v2", "n3": "v1.0", "n4": "v1.2"}, h.cloudVersions())
	var avail []string
	for _, n := range h.notify.of("vnfm-1", TypeNodeAvailable) {
		avail = append(avail, n.N.AffectedNodes...)
	}
	require.Equal(t, []string{"n1", "n2"}, avail, "no NodeAvailable for the failed node")
	require.Equal(t, SessionFailed, h.notify.of("vnfm-1", TypeSessionStatus)[0].N.SessionState)
}

func TestFailureDuringRollback(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.failUpgrade["n3@v2"] = true
	h.sys.failUpgrade["n2@v1.1"] = true
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionFailed, st.State)
	require.True(t, strings.HasPrefix(st.Reason, "rollback stopped"), st.Reason)
	require.Equal(t, "rollback stopped: node n2 failed: upgrade failed: installing v1.1 on n2 failed", st.Reason)
	require.Equal(t, []string{SessionRollingBack, SessionFailed}, h.rec.sessionStates())
	require.Equal(t, map[string]string{"n1": StatusDone, "n2": StatusFailed, "n3": StatusRolledBack, "n4": StatusPending}, statuses(st))
	require.Equal(t, []string{"v2"}, h.sys.upgradesOf("n1"), "the rollback stopped before n1")
	require.Equal(t, []string{"v2", "v1.1"}, h.sys.upgradesOf("n2"))
	require.Equal(t, []string{"v2", "v1.0"}, h.sys.upgradesOf("n3"))
}

// A node that cannot enter maintenance fails the batch: nothing is
// upgraded on it, and the session rolls back the rest.
func TestCannotEnterMaintenance(t *testing.T) {
	h, cfg := rollbackSetup(t, 2)
	h.cloud.maintErr["n3"] = errors.New("nova refused")
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	// n3 never entered maintenance, and it cannot for its rollback either.
	require.Equal(t, SessionFailed, st.State)
	require.Equal(t, "rollback stopped: node n3 failed: cannot enter maintenance: nova refused", st.Reason)
	require.Equal(t, "cannot enter maintenance: nova refused", nodeStatus(t, st, "n3").Reason)
	require.Empty(t, h.sys.upgradesOf("n3"))
	require.Equal(t, []string{"v2"}, h.sys.upgradesOf("n4"), "n4 of the same batch went on")
	require.Equal(t, "v1.0", h.cloud.node("n3").Version)
	require.Equal(t, NodeNormal, h.cloud.node("n3").State)
}

// Every node of the batch refused: the batch ends at once.
func TestCannotEnterMaintenanceWholeBatchNoRollback(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.maintErr["n1"] = errors.New("nova refused")
	cfg := baseConfig(FlowF1)
	cfg.Rollback = false
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionFailed, st.State)
	require.Equal(t, "node n1 failed: cannot enter maintenance: nova refused", st.Reason)
	require.Empty(t, h.sys.calls)
	require.Equal(t, StatusPending, nodeStatus(t, st, "n2").Status)
}

// --- 7. Pause / Resume / Abort, creation and precheck ------------------------

func TestPauseResume(t *testing.T) {
	h := newHarness(t).nodes(3, "v1")
	id := h.start(baseConfig(FlowF1)).ID
	h.clock.Advance(0)
	require.Equal(t, [][]string{{"n1"}}, h.rec.batches())

	st, err := h.m.Pause(id)
	require.NoError(t, err)
	require.Equal(t, SessionPaused, st.State)
	require.Equal(t, "paused by the operator", st.Reason)
	n := len(h.rec.events)
	st, err = h.m.Pause(id)
	require.NoError(t, err, "pausing twice is harmless")
	require.Equal(t, SessionPaused, st.State)
	require.Len(t, h.rec.events, n)

	h.run()
	st = h.status(id)
	require.Equal(t, SessionPaused, st.State)
	require.Equal(t, [][]string{{"n1"}}, h.rec.batches(), "the batch in flight finished, no new one")
	require.Equal(t, map[string]string{"n1": StatusDone, "n2": StatusPending, "n3": StatusPending}, statuses(st))
	require.Len(t, h.sys.calls, 2)

	st, err = h.m.Resume(id)
	require.NoError(t, err)
	require.Equal(t, SessionRunning, st.State)
	require.Equal(t, "resumed by the operator", st.Reason)
	_, err = h.m.Resume(id)
	requireCode(t, err, escalator.ECONFLICT)

	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Equal(t, [][]string{{"n1"}, {"n2"}, {"n3"}}, h.rec.batches())
	require.Equal(t, []string{SessionPaused, SessionRunning, SessionCompleted}, h.rec.sessionStates())
}

func TestPauseBeforeFirstBatch(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	id := h.start(baseConfig(FlowF1)).ID
	_, err := h.m.Pause(id)
	require.NoError(t, err)
	h.run()
	require.Empty(t, h.rec.batches())
	require.Empty(t, h.sys.calls)
	_, err = h.m.Resume(id)
	require.NoError(t, err)
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
}

// Pause and Resume while the batch is still in flight: no duplicate batch.
func TestPauseResumeWithinBatch(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	id := h.start(baseConfig(FlowF1)).ID
	h.clock.Advance(0)
	_, err := h.m.Pause(id)
	require.NoError(t, err)
	_, err = h.m.Resume(id)
	require.NoError(t, err)
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Equal(t, [][]string{{"n1"}, {"n2"}}, h.rec.batches())
	require.Len(t, h.sys.calls, 4)
}

// Pausing during a rollback and resuming between rollback batches goes on
// rolling back.
func TestPauseResumeDuringRollback(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.failUpgrade["n3@v2"] = true
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { _, ok := h.sys.find("upgrade", "n3", "v1.0"); return ok }))
	_, err := h.m.Pause(id)
	require.NoError(t, err)
	h.run()
	st := h.status(id)
	require.Equal(t, SessionPaused, st.State)
	require.Equal(t, StatusRolledBack, nodeStatus(t, st, "n3").Status)
	require.Equal(t, StatusDone, nodeStatus(t, st, "n2").Status, "the next rollback batch waits")
	st, err = h.m.Resume(id)
	require.NoError(t, err)
	require.Equal(t, SessionRollingBack, st.State)
	h.run()
	require.Equal(t, SessionRolledBack, h.status(id).State)
	require.Equal(t, originals, h.cloudVersions())
}

func TestAbort(t *testing.T) {
	t.Run("during the upgrade", func(t *testing.T) {
		h := newHarness(t).nodes(3, "v1")
		id := h.start(baseConfig(FlowF1)).ID
		h.clock.Advance(0)
		st, err := h.m.Abort(id)
		require.NoError(t, err)
		require.Equal(t, SessionRunning, st.State, "abort waits for the batch boundary")
		h.run()
		st = h.status(id)
		require.Equal(t, SessionAborted, st.State)
		require.Equal(t, "aborted by the operator", st.Reason)
		require.Equal(t, map[string]string{"n1": StatusDone, "n2": StatusPending, "n3": StatusPending}, statuses(st))
		require.Equal(t, []string{"upgrade n1@v2", "verify n1@v2"}, h.sys.callStrings())
		require.Equal(t, NodeNormal, h.cloud.node("n1").State)
		require.Len(t, h.ended, 1)
	})

	t.Run("while waiting for replies", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v1")
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
		id := h.start(baseConfig(FlowF1)).ID
		h.clock.Advance(0)
		_, err := h.m.Abort(id)
		require.NoError(t, err)
		require.NoError(t, h.m.Reply(ack(id, "id-2", "vnfm-1")))
		h.run()
		st := h.status(id)
		require.Equal(t, SessionAborted, st.State)
		n1 := nodeStatus(t, st, "n1")
		require.Equal(t, StatusSkipped, n1.Status)
		require.Equal(t, "session stopped before the upgrade", n1.Reason)
		require.Empty(t, h.sys.calls)
		require.Equal(t, NodeNormal, h.cloud.node("n1").State)
		require.Equal(t, []string{
			"vnfm-1 Maintenance PLANNED_MAINTENANCE n1", "vnfm-1 NodeAvailable n1", "vnfm-1 SessionStatus ABORTED",
		}, h.notify.summary())
	})

	t.Run("between batches", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v1")
		id := h.start(baseConfig(FlowF1)).ID
		h.clock.Advance(0)
		_, err := h.m.Pause(id)
		require.NoError(t, err)
		h.run()
		st, err := h.m.Abort(id)
		require.NoError(t, err)
		require.Equal(t, SessionAborted, st.State, "no batch in flight: ends at once")
		h.run()
		require.Equal(t, SessionAborted, h.status(id).State)
		require.Len(t, h.ended, 1)
		require.Len(t, h.sys.calls, 2)
	})
}

func TestOperationsOnEndedOrUnknownSession(t *testing.T) {
	h := newHarness(t).nodes(1, "v1")
	id := h.start(baseConfig(FlowF1)).ID
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	ops := map[string]func(string) (SessionStatus, error){"pause": h.m.Pause, "resume": h.m.Resume, "abort": h.m.Abort}
	for name, op := range ops {
		_, err := op(id)
		requireCode(t, err, escalator.ECONFLICT)
		require.Contains(t, err.Error(), "has ended", name)
		_, err = op("nope")
		requireCode(t, err, escalator.ENOTFOUND)
	}
	_, err := h.m.Session("nope")
	requireCode(t, err, escalator.ENOTFOUND)
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Len(t, h.ended, 1)
}

func TestOneSessionAtATime(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	first := h.start(baseConfig(FlowF1))
	_, err := h.m.CreateSession(baseConfig(FlowF2))
	requireCode(t, err, escalator.ECONFLICT)
	h.run()
	require.Equal(t, SessionCompleted, h.status(first.ID).State)

	cfg := baseConfig(FlowF2)
	cfg.TargetVersion = "v3"
	second := h.start(cfg)
	require.NotEqual(t, first.ID, second.ID)
	h.run()
	all := h.m.Sessions()
	require.Len(t, all, 2)
	require.Equal(t, first.ID, all[0].ID)
	require.Equal(t, second.ID, all[1].ID)
	require.Equal(t, SessionCompleted, all[1].State)
	require.Equal(t, "v3", all[1].TargetVersion)
	require.Equal(t, FlowF2, all[1].Flow)
	require.Equal(t, "v2", nodeStatus(t, all[1], "n1").FromVersion)
	require.Equal(t, map[string]string{"n1": "v3", "n2": "v3"}, h.cloudVersions())
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"bad flow", func(c *Config) { c.Flow = "F3" }},
		{"empty flow", func(c *Config) { c.Flow = "" }},
		{"no target version", func(c *Config) { c.TargetVersion = "" }},
		{"maxParallel 0", func(c *Config) { c.MaxParallel = 0 }},
		{"maxParallel negative", func(c *Config) { c.MaxParallel = -1 }},
		{"replyTimeout 0", func(c *Config) { c.ReplyTimeout = 0 }},
		{"upgradeTimeout negative", func(c *Config) { c.UpgradeTimeout = -time.Second }},
		{"bad onNack", func(c *Config) { c.OnNack = "retry" }},
		{"empty onNack", func(c *Config) { c.OnNack = "" }},
		{"unknown defect", func(c *Config) { c.Defects = []string{DefectIgnoreReply, "forget-everything"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t).nodes(2, "v1")
			cfg := baseConfig(FlowF1)
			tc.mutate(&cfg)
			st, err := h.m.CreateSession(cfg)
			requireCode(t, err, escalator.EINVALID)
			require.Empty(t, st.ID)
			require.Empty(t, h.m.Sessions())
			require.Empty(t, h.rec.events)
			require.Zero(t, h.clock.Pending())
			h.start(baseConfig(FlowF1)) // nothing was left active
		})
	}
}

func TestPrecheck(t *testing.T) {
	tests := []struct {
		name  string
		nodes []string
		state map[string]string
		code  string
	}{
		{name: "unknown node", nodes: []string{"n1", "n9"}, code: escalator.EINVALID},
		{name: "node listed twice", nodes: []string{"n1", "n1"}, code: escalator.EINVALID},
		{name: "node in maintenance", state: map[string]string{"n2": NodeMaintenance}, code: escalator.ECONFLICT},
		{name: "failed node", state: map[string]string{"n3": NodeFailed}, code: escalator.ECONFLICT},
		{name: "listed node upgrading", nodes: []string{"n3"}, state: map[string]string{"n3": NodeUpgrading}, code: escalator.ECONFLICT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t).nodes(3, "v1")
			for n, s := range tc.state {
				h.cloud.node(n).State = s
			}
			cfg := baseConfig(FlowF1)
			cfg.Nodes = tc.nodes
			_, err := h.m.CreateSession(cfg)
			requireCode(t, err, tc.code)
			require.Empty(t, h.m.Sessions())
			require.Len(t, h.rec.events, 1, "only the refusal is recorded")
			require.Equal(t, "session.refused", h.rec.events[0].Kind)
			require.Equal(t, err.Error(), eventtest.As[event.SessionRefused](t, h.rec.events[0]).Reason)
			require.Zero(t, h.clock.Pending())
			require.Empty(t, h.cloud.maintCalls)
		})
	}

	t.Run("only the listed nodes, in the listed order", func(t *testing.T) {
		h := newHarness(t).nodes(3, "v1")
		h.cloud.node("n2").State = NodeMaintenance // not selected: fine
		cfg := baseConfig(FlowF1)
		cfg.Nodes = []string{"n3", "n1"}
		st := h.start(cfg)
		require.Equal(t, []string{"n3", "n1"}, []string{st.Nodes[0].Node, st.Nodes[1].Node})
		h.run()
		require.Equal(t, [][]string{{"n3"}, {"n1"}}, h.rec.batches())
		require.Empty(t, h.sys.upgradesOf("n2"))
		require.Equal(t, "v1", h.cloud.node("n2").Version)
	})
}

func TestNodesAlreadyAtTargetVersion(t *testing.T) {
	h := newHarness(t).nodes(3, "v1")
	h.cloud.node("n2").Version = "v2"
	created := h.start(baseConfig(FlowF1))
	n2 := nodeStatus(t, created, "n2")
	require.Equal(t, StatusDone, n2.Status)
	require.Equal(t, "already at the target version", n2.Reason)
	h.run()
	st := h.status(created.ID)
	require.Equal(t, SessionCompleted, st.State)
	require.Equal(t, "2 nodes at version v2", st.Reason)
	require.Equal(t, [][]string{{"n1"}, {"n3"}}, h.rec.batches())
	require.Empty(t, h.sys.upgradesOf("n2"))
	require.NotContains(t, h.cloud.maintCalls, maintCall{Node: "n2", On: true})

	t.Run("all of them", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v2")
		id := h.start(baseConfig(FlowF1)).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, "0 nodes at version v2", st.Reason)
		require.Empty(t, h.rec.batches())
		require.Empty(t, h.sys.calls)
		require.Empty(t, h.notify.sent)
	})

	t.Run("not rolled back", func(t *testing.T) {
		h := newHarness(t).nodes(3, "v1")
		h.cloud.node("n1").Version = "v2"
		h.sys.failUpgrade["n3@v2"] = true
		id := h.start(baseConfig(FlowF1)).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionRolledBack, st.State)
		require.Equal(t, StatusDone, nodeStatus(t, st, "n1").Status)
		require.Empty(t, h.sys.upgradesOf("n1"))
		require.Equal(t, []string{"v2", "v1"}, h.sys.upgradesOf("n2"))
	})
}

func TestTerminal(t *testing.T) {
	for state, want := range map[string]bool{
		SessionRunning: false, SessionPaused: false, SessionRollingBack: false,
		SessionCompleted: true, SessionRolledBack: true, SessionFailed: true, SessionAborted: true,
	} {
		require.Equal(t, want, Terminal(state), state)
	}
}

func TestSessionCreatedEvent(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	cfg := baseConfig(FlowF1)
	id := h.start(cfg).ID
	require.Len(t, h.rec.events, 1)
	e := h.rec.events[0]
	require.Equal(t, "orchestrator", e.Actor)
	require.Equal(t, "session.created", e.Kind)
	require.Equal(t, id, e.Subject)
	require.Equal(t, escalator.Fields{
		"flow": FlowF1, "targetVersion": "v2", "nodes": []string{"n1", "n2"}, "maxParallel": 1,
		"replyTimeout": "2m0s", "upgradeTimeout": "30m0s", "onNack": OnNackSkip,
	}, e.Fields)

	// Defects are announced in an event of their own.
	h = newHarness(t).nodes(2, "v1")
	cfg.Defects = []string{DefectIgnoreReply, DefectIgnoreVNFGroups}
	id = h.start(cfg).ID
	require.Len(t, h.rec.events, 2)
	require.Equal(t, "session.created", h.rec.events[0].Kind)
	d := h.rec.events[1]
	require.Equal(t, "session.defects", d.Kind)
	require.Equal(t, id, d.Subject)
	require.Equal(t, []string{DefectIgnoreReply, DefectIgnoreVNFGroups}, eventtest.As[event.SessionDefects](t, d).Defects)
}

// --- 8. Defects --------------------------------------------------------------

func TestDefectIgnoreReply(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	cfg := baseConfig(FlowF1)
	cfg.Defects = []string{DefectIgnoreReply}
	id := h.start(cfg).ID
	h.clock.Advance(0)
	require.Len(t, h.notify.ofType(TypeMaintenance), 1, "the VNFM is still told")
	require.Equal(t, []string{"upgrade n1@v2"}, h.sys.callStrings(), "the upgrade did not wait for the reply")
	require.Equal(t, time.Duration(0), h.sys.calls[0].At)
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
}

func TestDefectIgnoreMaxParallel(t *testing.T) {
	h := newHarness(t).nodes(4, "v1")
	cfg := baseConfig(FlowF1)
	cfg.Defects = []string{DefectIgnoreMaxParallel}
	id := h.start(cfg).ID
	h.run()
	require.Equal(t, [][]string{{"n1", "n2"}, {"n3", "n4"}}, h.rec.batches())
	require.Equal(t, SessionCompleted, h.status(id).State)
}

func TestDefectIgnoreVNFGroups(t *testing.T) {
	h := groupPair(t)
	cfg := baseConfig(FlowF1)
	cfg.MaxParallel = 2
	cfg.Defects = []string{DefectIgnoreVNFGroups}
	id := h.start(cfg).ID
	h.run()
	require.Equal(t, [][]string{{"n1", "n2"}, {"n3", "n4"}}, h.rec.batches())
	for _, e := range h.rec.kind("plan.batch") {
		require.NotContains(t, e.Fields, "deferred")
	}
	require.Equal(t, []string{"vm-a", "vm-b"}, eventtest.As[event.VNFMNotify](t, h.rec.kind("vnfm.notify")[0]).Instances,
		"both group members are impacted at once")
	require.Equal(t, SessionCompleted, h.status(id).State)
}

func TestNaiveFlow(t *testing.T) {
	h := groupPair(t)
	h.cloud.carrying["vm-a"] = true
	cfg := baseConfig(FlowNaive)
	cfg.MaxParallel = 2
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State)
	require.Empty(t, h.cloud.maintCalls, "naive never touches maintenance mode")
	require.Empty(t, h.notify.sent, "naive never notifies")
	require.Empty(t, h.rec.kind("vnfm.notify"))
	require.Empty(t, h.cloud.migrateCalls)
	require.Equal(t, [][]string{{"n1", "n2"}, {"n3", "n4"}}, h.rec.batches())
	for _, n := range st.Nodes {
		require.Equal(t, StatusDone, n.Status)
	}
	require.Equal(t, map[string]string{"n1": "v2", "n2": "v2", "n3": "v2", "n4": "v2"}, h.cloudVersions())
	require.Equal(t, time.Duration(0), h.sys.calls[0].At, "no wait at all")
}

func TestNaiveRollback(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.sys.failUpgrade["n2@v2"] = true
	id := h.start(baseConfig(FlowNaive)).ID
	h.run()
	require.Equal(t, SessionRolledBack, h.status(id).State)
	require.Equal(t, []string{"upgrade n1@v2", "verify n1@v2", "upgrade n2@v2", "upgrade n2@v1", "verify n2@v1", "upgrade n1@v1", "verify n1@v1"},
		h.sys.callStrings())
	require.Empty(t, h.notify.sent)
}

// --- 9. Determinism ----------------------------------------------------------

func TestDeterministicTrace(t *testing.T) {
	scenario := func() ([]escalator.Event, []sentNote, []sysCall) {
		h := groupPair(t)
		h.cloud.addVM("vm-c", "n3", "vnfm-2", "vnf-2", "g2")
		h.cloud.carrying["vm-c"] = true
		h.notify.policy["vnfm-2"] = replyPolicy{Word: "ACK", Delay: 7 * time.Second, Actions: func(n Notification) []InstanceAction {
			return []InstanceAction{{InstanceID: n.AffectedInstances[0].InstanceID, Action: ActionOwnAction}}
		}}
		h.sys.failVerify["n4@v2"] = true
		cfg := baseConfig(FlowF1)
		cfg.MaxParallel = 2
		h.start(cfg)
		h.run()
		return h.rec.events, h.notify.sent, h.sys.calls
	}
	e1, n1, c1 := scenario()
	e2, n2, c2 := scenario()
	require.NotEmpty(t, e1)
	require.Equal(t, e1, e2)
	require.Equal(t, n1, n2)
	require.Equal(t, c1, c2)
}

// --- Regressions: bugs these tests found, each fixed in manager.go -------------

// Resume once guessed the mode from the rollback queue: with one node's
// rollback in flight the queue was empty, Resume said RUNNING and the
// session ended COMPLETED. The mode is now kept (session.rollingBack).
func TestResumeDuringSingleNodeRollbackEndsRolledBack(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.sys.failUpgrade["n1@v2"] = true
	id := h.start(baseConfig(FlowF1)).ID
	require.True(t, h.clock.RunUntil(func() bool { _, ok := h.sys.find("upgrade", "n1", "v1"); return ok }))
	require.Equal(t, SessionRollingBack, h.status(id).State)
	_, err := h.m.Pause(id)
	require.NoError(t, err)
	resumed, err := h.m.Resume(id)
	require.NoError(t, err)
	h.run()
	st := h.status(id)
	require.Equal(t, SessionRolledBack, st.State, "reason %q", st.Reason)
	require.Equal(t, SessionRollingBack, resumed.State)
}

// A failure in a paused session used to report ROLLING_BACK while nothing
// ran; it now stays PAUSED, says the rollback waits, and starts on Resume.
func TestFailureWhilePausedStaysPausedUntilResume(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.sys.failUpgrade["n1@v2"] = true
	id := h.start(baseConfig(FlowF1)).ID
	h.clock.Advance(0)
	_, err := h.m.Pause(id)
	require.NoError(t, err)
	h.run()
	require.Equal(t, []string{"v2"}, h.sys.upgradesOf("n1"), "nothing ran: the session is paused")
	require.Equal(t, SessionPaused, h.status(id).State)
}

// Abort while PAUSED with a batch in flight must end the session when the
// batch ends; next() once looked at paused before abort and hung.
func TestAbortWhilePausedEndsAtBatchBoundary(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	id := h.start(baseConfig(FlowF1)).ID
	h.clock.Advance(0)
	_, err := h.m.Pause(id)
	require.NoError(t, err)
	_, err = h.m.Abort(id)
	require.NoError(t, err)
	h.run()
	require.Equal(t, SessionAborted, h.status(id).State)
}

// ROLLED_BACK keeps the failure that caused the rollback as its reason,
// even after a Pause/Resume in between.
func TestRolledBackKeepsTheFailureAsReason(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.failUpgrade["n3@v2"] = true
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { _, ok := h.sys.find("upgrade", "n3", "v1.0"); return ok }))
	_, err := h.m.Pause(id)
	require.NoError(t, err)
	_, err = h.m.Resume(id)
	require.NoError(t, err)
	h.run()
	st := h.status(id)
	require.Equal(t, SessionRolledBack, st.State)
	require.Equal(t, "node n3 failed: upgrade failed: installing v2 on n3 failed", st.Reason)
}

// A NACK to a rollback notification stops the rollback (FAILED) whatever the
// policy, and a node that is still failed is never announced available.
func TestNackDuringRollbackStopsTheRollback(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.failUpgrade["n3@v2"] = true
	h.notify.policy["vnfm-1"] = replyPolicy{Delay: 5 * time.Second, Decide: func(n Notification) string {
		if n.TargetVersion == "v2" {
			return "ACK"
		}
		return "NACK"
	}}
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	if st.State == SessionRolledBack {
		require.Equal(t, originals, h.cloudVersions(), "ROLLED_BACK but nodes are not at their original versions (statuses %v)", statuses(st))
	}
	for _, n := range h.notify.of("vnfm-1", TypeNodeAvailable) {
		for _, node := range n.N.AffectedNodes {
			require.NotEqual(t, NodeFailed, h.cloud.node(node).State, "NodeAvailable for failed node %s", node)
		}
	}
}

// A cloud whose Migrate calls done before returning must not make the
// Manager upgrade the node twice.
func TestSynchronousMigrationDoneUpgradesOnce(t *testing.T) {
	h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.carrying["vm-a"] = true
	h.cloud.migrateSync = true
	id := h.start(baseConfig(FlowF1)).ID
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Equal(t, []string{"v2"}, h.sys.upgradesOf("n1"))
}

// The same with a synchronous failure: the batch ends cleanly, no panic.
func TestSynchronousMigrationFailure(t *testing.T) {
	h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
	h.cloud.carrying["vm-a"] = true
	h.cloud.migrateSync = true
	h.cloud.migrateFail["vm-a"] = errors.New("no valid host")
	id := h.start(baseConfig(FlowF1)).ID
	require.NotPanics(t, h.run)
	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State)
	require.Equal(t, StatusSkipped, nodeStatus(t, st, "n1").Status)
}
