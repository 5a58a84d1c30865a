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

// Tests of the recently added Config features: IFA 011 lead time, recovery
// time and migration type, zone batches, per-state reply deadlines,
// unplanned node failures, the capacity pre-check and Fenix scale-in.

// --- helpers -----------------------------------------------------------------

// maintNoteFor returns the PLANNED_MAINTENANCE notification that announced
// node (the first one, forward or rollback as asked).
func (h *harness) maintNoteFor(node, version string) sentNote {
	h.t.Helper()
	for _, s := range h.notify.ofType(TypeMaintenance) {
		if s.N.State == StatePlannedMaintenance && s.N.TargetVersion == version && contains(s.N.AffectedNodes, node) {
			return s
		}
	}
	require.Failf(h.t, "no maintenance notification", "node %s version %s", node, version)
	return sentNote{}
}

// upgradeAt is when system support was asked to install version on node.
func (h *harness) upgradeAt(node, version string) time.Duration {
	h.t.Helper()
	c, ok := h.sys.find("upgrade", node, version)
	require.True(h.t, ok, "no upgrade of %s to %s: %v", node, version, h.sys.callStrings())
	return c.At
}

// only returns the one event of a kind, failing if there is not exactly one.
func (h *harness) only(kind string) escalator.Event {
	h.t.Helper()
	evs := h.rec.kind(kind)
	require.Len(h.t, evs, 1, "events %s", kind)
	return evs[0]
}

// maintStates lists the maintenance notifications, in order, as "vnfm STATE".
func (h *harness) maintStates() []string {
	var out []string
	for _, s := range h.notify.ofType(TypeMaintenance) {
		out = append(out, s.VNFM+" "+s.N.State)
	}
	return out
}

// --- 1. GroupLeadTime --------------------------------------------------------

func TestLeadTimeFastAckDoesNotShortenIt(t *testing.T) {
	h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
	h.cloud.addVM("vm-b", "n1", "vnfm-2", "vnf-2", "g2")
	h.cloud.addVM("vm-c", "n2", "vnfm-1", "vnf-1", "g1")
	h.cloud.carrying["vm-a"] = true
	cfg := baseConfig(FlowF1)
	cfg.GroupLimits = map[string]int{"g1": 2}
	// g9 has no VM on these nodes: its lead time plays no part.
	cfg.GroupLeadTime = map[string]time.Duration{"g1": 5 * time.Minute, "g2": 8 * time.Minute, "g9": time.Hour}
	id := h.start(cfg).ID

	// Both VNFMs answer at 5s; the largest lead time of n1's groups (g2,
	// 8m) holds the batch until 8m after the notification.
	h.clock.Advance(8*time.Minute - time.Nanosecond)
	require.Len(t, h.notify.replies, 2)
	for _, r := range h.notify.replies {
		require.NoError(t, r.Err)
	}
	require.Empty(t, h.cloud.migrateCalls, "no migration before the lead time")
	require.Empty(t, h.sys.calls, "no upgrade before the lead time")
	require.Equal(t, SessionRunning, h.status(id).State)
	lead := h.only("plan.lead-time")
	require.Equal(t, 5*time.Second, lead.At, "recorded when the replies are in")
	require.Equal(t, id, lead.Subject)
	require.Equal(t, escalator.Fields{"group": "g2", "leadTime": "8m0s", "wait": "7m55s"}, lead.Fields)
	// The wait is recorded before anything it holds back.
	require.Less(t, h.rec.index(func(e escalator.Event) bool { return e.Kind == "vnfm.reply" }),
		h.rec.index(func(e escalator.Event) bool { return e.Kind == "plan.lead-time" }))

	h.clock.Advance(time.Nanosecond)
	require.Len(t, h.cloud.migrateCalls, 1)
	require.Equal(t, 8*time.Minute, h.cloud.migrateCalls[0].At, "the migration starts at the end of the lead time")

	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Equal(t, 8*time.Minute+h.cloud.migrateDelay, h.upgradeAt("n1", "v2"))

	// The second batch (n2, g1 only) waits 5m after its own notification.
	n2 := h.maintNoteFor("n2", "v2")
	require.Equal(t, n2.At+5*time.Minute, h.upgradeAt("n2", "v2"))
	leads := h.rec.kind("plan.lead-time")
	require.Len(t, leads, 2)
	require.Equal(t, escalator.Fields{"group": "g1", "leadTime": "5m0s", "wait": "4m55s"}, leads[1].Fields)
	require.Zero(t, h.clock.Pending())
}

func TestLeadTime(t *testing.T) {
	t.Run("F2 waits too", func(t *testing.T) {
		h := newHarness(t).nodes(1, "v1").ackAll(5 * time.Second)
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
		cfg := baseConfig(FlowF2)
		cfg.GroupLeadTime = map[string]time.Duration{"g1": 3 * time.Minute}
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Equal(t, 3*time.Minute, h.upgradeAt("n1", "v2"))
		require.Equal(t, "2m55s", eventtest.As[event.PlanLeadTime](t, h.only("plan.lead-time")).Wait)
	})

	t.Run("no lead time, nothing waits", func(t *testing.T) {
		h := newHarness(t).nodes(1, "v1").ackAll(5 * time.Second)
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
		h.cloud.carrying["vm-a"] = true
		h.cloud.addNode("spare", "v2")
		cfg := baseConfig(FlowF1)
		cfg.Nodes = []string{"n1"}
		cfg.GroupLeadTime = map[string]time.Duration{"g2": time.Hour, "g1": 0}
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Equal(t, 5*time.Second, h.cloud.migrateCalls[0].At)
		require.Empty(t, h.rec.kind("plan.lead-time"))
	})

	t.Run("lead time already over when the deadline passes", func(t *testing.T) {
		h := newHarness(t).nodes(1, "v1") // the VNFM stays silent
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
		cfg := baseConfig(FlowF1)
		cfg.GroupLeadTime = map[string]time.Duration{"g1": time.Minute}
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Equal(t, cfg.ReplyTimeout, h.upgradeAt("n1", "v2"))
		require.Empty(t, h.rec.kind("plan.lead-time"))
	})

	t.Run("lead time longer than the reply deadline", func(t *testing.T) {
		h := newHarness(t).nodes(1, "v1") // the VNFM stays silent
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
		cfg := baseConfig(FlowF1)
		cfg.GroupLeadTime = map[string]time.Duration{"g1": 7 * time.Minute}
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Equal(t, 7*time.Minute, h.upgradeAt("n1", "v2"))
		lead := h.only("plan.lead-time")
		require.Equal(t, cfg.ReplyTimeout, lead.At)
		require.Equal(t, "5m0s", eventtest.As[event.PlanLeadTime](t, lead).Wait)
	})

	t.Run("abort during the wait releases the batch at its end", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
		cfg := baseConfig(FlowF1)
		cfg.GroupLeadTime = map[string]time.Duration{"g1": 10 * time.Minute}
		id := h.start(cfg).ID
		h.clock.Advance(time.Minute)
		_, err := h.m.Abort(id)
		require.NoError(t, err)
		h.run()
		st := h.status(id)
		require.Equal(t, SessionAborted, st.State)
		require.Empty(t, h.sys.calls)
		require.Equal(t, StatusSkipped, nodeStatus(t, st, "n1").Status)
		require.Equal(t, NodeNormal, h.cloud.node("n1").State)
		require.Equal(t, 10*time.Minute, h.rec.events[h.rec.nodeStatusAt("n1", StatusSkipped)].At)
	})
}

// --- 2. GroupRecovery --------------------------------------------------------

func TestRecoveryTimeDefersThenWaitsExactly(t *testing.T) {
	h := newHarness(t).nodes(3, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
	h.cloud.addVM("vm-b", "n2", "vnfm-1", "vnf-1", "g1")
	cfg := baseConfig(FlowF1)
	cfg.GroupRecovery = map[string]time.Duration{"g1": time.Hour}
	id := h.start(cfg).ID
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Equal(t, [][]string{{"n1"}, {"n3"}, {"n2"}}, h.rec.batches())

	// n1 ends its impact on g1 when it is released.
	released := h.rec.events[h.rec.nodeStatusAt("n1", StatusDone)].At
	require.Equal(t, 5*time.Second+11*time.Minute, released)
	until := epoch.Add(released + time.Hour)
	why := fmt.Sprintf("instance group g1 is recovering until %s (minimum 1h0m0s between impacts)", until.Format(time.RFC3339))

	plans := h.rec.kind("plan.batch")
	require.Equal(t, released, plans[1].At)
	require.Equal(t, map[string]string{"n2": why}, eventtest.As[event.PlanBatch](t, plans[1]).Deferred, "n3 goes meanwhile, n2 is deferred")

	// After n3 no candidate remains: the planner waits for exactly the
	// rest of the recovery time.
	wait := h.only("plan.wait")
	n3done := h.rec.events[h.rec.nodeStatusAt("n3", StatusDone)].At
	require.Equal(t, n3done, wait.At)
	require.Equal(t, id, wait.Subject)
	pw := eventtest.As[event.PlanWait](t, wait)
	require.Empty(t, pw.Nodes)
	require.Equal(t, map[string]string{"n2": why}, pw.Deferred)
	require.Equal(t, (released + time.Hour - n3done).String(), pw.Wait)

	require.Equal(t, released+time.Hour, plans[2].At, "retried exactly when the recovery time ends")
	require.NotContains(t, plans[2].Fields, "deferred")
	require.Equal(t, released+time.Hour, h.maintNoteFor("n2", "v2").At)
	require.Equal(t, released+time.Hour+5*time.Second, h.upgradeAt("n2", "v2"))
}

func TestRecoveryTimeNothingPlannedEarly(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "", "", "g1")
	h.cloud.addVM("vm-b", "n2", "", "", "g1")
	h.cloud.addVM("vm-c", "n2", "", "", "g2")
	cfg := baseConfig(FlowF2)
	cfg.GroupRecovery = map[string]time.Duration{"g1": 20 * time.Minute, "g2": 2 * time.Hour}
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { return len(h.rec.kind("plan.wait")) == 1 }))
	released := h.rec.events[h.rec.nodeStatusAt("n1", StatusDone)].At
	require.Equal(t, 11*time.Minute, released)
	require.Equal(t, "20m0s", eventtest.As[event.PlanWait](t, h.only("plan.wait")).Wait, "only g1 was impacted; g2's recovery plays no part")

	h.clock.Advance(20*time.Minute - time.Nanosecond)
	require.Len(t, h.rec.batches(), 1, "n2 is not planned before g1 recovered")
	require.Empty(t, h.sys.upgradesOf("n2"))
	h.clock.Advance(time.Nanosecond)
	require.Equal(t, [][]string{{"n1"}, {"n2"}}, h.rec.batches())
	require.Equal(t, released+20*time.Minute, h.upgradeAt("n2", "v2"))
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Len(t, h.rec.kind("plan.wait"), 1)
	require.Zero(t, h.clock.Pending())
}

// Abort while the planner waits for a group to recover ends the session at
// once; the armed retry finds it ended and does nothing.
func TestRecoveryWaitAbort(t *testing.T) {
	h := newHarness(t).nodes(2, "v1")
	h.cloud.addVM("vm-a", "n1", "", "", "g1")
	h.cloud.addVM("vm-b", "n2", "", "", "g1")
	cfg := baseConfig(FlowF1)
	cfg.GroupRecovery = map[string]time.Duration{"g1": time.Hour}
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { return len(h.rec.kind("plan.wait")) == 1 }))
	st, err := h.m.Abort(id)
	require.NoError(t, err)
	require.Equal(t, SessionAborted, st.State)
	h.run()
	require.Equal(t, SessionAborted, h.status(id).State)
	require.Equal(t, [][]string{{"n1"}}, h.rec.batches())
	require.Empty(t, h.sys.upgradesOf("n2"))
	require.Len(t, h.ended, 1)
}

// A carrying VM is migrated off its node before the upgrade: the group was
// impacted on that node all the same, so the recovery time must hold back
// the next node hosting the group.
func TestRecoveryTimeCountsMigratedVMs(t *testing.T) {
	h := newHarness(t).nodes(3, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
	h.cloud.addVM("vm-b", "n2", "vnfm-1", "vnf-1", "g1")
	h.cloud.carrying["vm-a"] = true
	cfg := baseConfig(FlowF1)
	cfg.GroupRecovery = map[string]time.Duration{"g1": time.Hour}
	id := h.start(cfg).ID
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Len(t, h.cloud.migrateCalls, 1)
	released := h.rec.events[h.rec.nodeStatusAt("n1", StatusDone)].At
	require.GreaterOrEqual(t, h.maintNoteFor("n2", "v2").At, released+time.Hour,
		"n2 hosts g1 and was planned %s after n1 released it", h.maintNoteFor("n2", "v2").At-released)
}

// --- 3. GroupMigration -------------------------------------------------------

func TestGroupMigrationType(t *testing.T) {
	tests := []struct {
		name     string
		allowed  []string
		carrying bool
		action   string // what the VNFM asks for vm-a, if anything
		wantLive bool
		reason   string
	}{
		{name: "cold only, carrying", allowed: []string{"cold"}, carrying: true, wantLive: false,
			reason: "carries business; the VNF allows only cold migration"},
		{name: "cold only, LIVE_MIGRATE asked", allowed: []string{"cold"}, action: ActionLiveMigrate, wantLive: false,
			reason: "VNFM asked for LIVE_MIGRATE; the VNF allows only cold migration"},
		{name: "live only, MIGRATE asked", allowed: []string{"live"}, action: ActionMigrate, wantLive: true,
			reason: "VNFM asked for MIGRATE; the VNF allows only live migration"},
		{name: "live only, carrying", allowed: []string{"live"}, carrying: true, wantLive: true, reason: "carries business"},
		{name: "both, MIGRATE asked", allowed: []string{"live", "cold"}, action: ActionMigrate, wantLive: false, reason: "VNFM asked for MIGRATE"},
		{name: "absent group allows both", carrying: true, wantLive: true, reason: "carries business"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t).nodes(2, "v1")
			h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
			h.cloud.carrying["vm-a"] = tc.carrying
			h.notify.policy["vnfm-1"] = replyPolicy{Word: "ACK", Delay: 5 * time.Second, Actions: func(n Notification) []InstanceAction {
				if tc.action == "" || n.AffectedNodes[0] != "n1" {
					return nil
				}
				return []InstanceAction{{InstanceID: "vm-a", Action: tc.action}}
			}}
			cfg := baseConfig(FlowF1)
			if tc.allowed != nil {
				cfg.GroupMigration = map[string][]string{"g1": tc.allowed}
			}
			id := h.start(cfg).ID
			h.run()
			require.Equal(t, SessionCompleted, h.status(id).State)
			require.Len(t, h.cloud.migrateCalls, 1)
			require.Equal(t, tc.wantLive, h.cloud.migrateCalls[0].Live)
			ev := h.rec.kind("vm.migrate")
			require.Len(t, ev, 1)
			require.Equal(t, escalator.Fields{"from": "n1", "reason": tc.reason, "live": tc.wantLive, "session": id}, ev[0].Fields)
			require.Equal(t, "n2", h.cloud.vm("vm-a").Host)
			require.Equal(t, 5*time.Second+h.cloud.migrateDelay, h.upgradeAt("n1", "v2"))
		})
	}
}

func TestGroupMigrationNone(t *testing.T) {
	const reason = "cannot move VM vm-a off node n2: VNF vnf-1 allows no migration"
	tests := []struct {
		onNack    string
		wantState string
		wantN3    string
		sync      bool
	}{
		{onNack: OnNackSkip, wantState: SessionCompleted, wantN3: StatusDone},
		{onNack: OnNackFail, wantState: SessionFailed, wantN3: StatusPending},
		{onNack: OnNackSkip, wantState: SessionCompleted, wantN3: StatusDone, sync: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s sync=%v", tc.onNack, tc.sync), func(t *testing.T) {
			h := newHarness(t).nodes(3, "v1").ackAll(5 * time.Second)
			h.cloud.addVM("vm-a", "n2", "vnfm-1", "vnf-1", "g1")
			h.cloud.addVM("vm-x", "n3", "vnfm-2", "vnf-2", "g2")
			h.cloud.carrying["vm-a"] = true
			h.cloud.carrying["vm-x"] = true
			h.cloud.migrateSync = tc.sync
			cfg := baseConfig(FlowF1)
			cfg.OnNack = tc.onNack
			cfg.GroupMigration = map[string][]string{"g1": {"none"}, "g2": {"live"}}
			id := h.start(cfg).ID
			h.run()

			st := h.status(id)
			require.Equal(t, tc.wantState, st.State)
			n2 := nodeStatus(t, st, "n2")
			require.Equal(t, StatusSkipped, n2.Status)
			require.Equal(t, reason, n2.Reason)
			for _, c := range h.cloud.migrateCalls {
				require.NotEqual(t, "vm-a", c.VM, "a VM whose VNF allows no migration is never migrated")
			}
			require.Equal(t, "n2", h.cloud.vm("vm-a").Host)
			require.Empty(t, h.sys.upgradesOf("n2"))
			require.Equal(t, NodeNormal, h.cloud.node("n2").State)
			require.Equal(t, "v1", h.cloud.node("n2").Version)
			require.Len(t, h.notify.of("vnfm-1", TypeNodeAvailable), 1)

			var refused escalator.Event
			for _, e := range h.rec.kind("vm.migrate") {
				if e.Subject == "vm-a" {
					refused = e
				}
			}
			require.Equal(t, escalator.Fields{"from": "n2", "reason": "carries business", "session": id,
				"refused": "the VNF allows no migration"}, refused.Fields)
			require.Equal(t, tc.wantN3, nodeStatus(t, st, "n3").Status)
			if tc.onNack == OnNackFail {
				require.Equal(t, reason, st.Reason)
				require.Empty(t, h.sys.upgradesOf("n3"))
			} else {
				require.Equal(t, "2 nodes at version v2", st.Reason)
				require.Equal(t, []migrateCall{{VM: "vm-x", From: "n3", Prefer: []string{"n1", "n2"}, Live: true,
					At: h.cloud.migrateCalls[0].At}}, h.cloud.migrateCalls)
			}
			require.Zero(t, h.clock.Pending())
		})
	}

	t.Run("nothing to move", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1") // switched over: carries nothing
		cfg := baseConfig(FlowF1)
		cfg.GroupMigration = map[string][]string{"g1": {"none"}}
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, StatusDone, nodeStatus(t, st, "n1").Status)
		require.Empty(t, h.rec.kind("vm.migrate"))
	})

	t.Run("with a second VM still moving", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
		h.cloud.addVM("vm-b", "n1", "vnfm-1", "vnf-1", "")
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
		h.cloud.carrying["vm-a"] = true
		h.cloud.carrying["vm-b"] = true
		cfg := baseConfig(FlowF1)
		cfg.GroupMigration = map[string][]string{"g1": {"none"}}
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, StatusSkipped, nodeStatus(t, st, "n1").Status)
		require.Empty(t, h.sys.upgradesOf("n1"))
		require.Equal(t, []string{"v2"}, h.sys.upgradesOf("n2"))
		require.Zero(t, h.clock.Pending())
	})
}

// During a rollback, a VM whose VNF allows no migration stops the rollback,
// whatever the NACK policy.
func TestGroupMigrationNoneStopsRollback(t *testing.T) {
	h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
	h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
	h.sys.failUpgrade["n2@v2"] = true
	cfg := baseConfig(FlowF1)
	cfg.GroupMigration = map[string][]string{"g1": {"none"}}
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { return h.rec.nodeStatusAt("n1", StatusDone) >= 0 }))
	h.cloud.carrying["vm-a"] = true // serves traffic again by the time n1 is rolled back
	h.run()
	st := h.status(id)
	require.Equal(t, SessionFailed, st.State)
	require.Equal(t, "rollback stopped: cannot move VM vm-a off node n1: VNF vnf-1 allows no migration", st.Reason)
	require.Equal(t, []string{"v2"}, h.sys.upgradesOf("n1"), "n1 is not rolled back")
	require.Equal(t, []string{"v2", "v1"}, h.sys.upgradesOf("n2"))
	require.Empty(t, h.cloud.migrateCalls)
	require.Equal(t, NodeNormal, h.cloud.node("n1").State)
}

// --- 4. BatchByZone ----------------------------------------------------------

func zoned(t *testing.T) *harness {
	h := newHarness(t).nodes(5, "v1").ackAll(5 * time.Second)
	for id, z := range map[string]string{"n1": "z1", "n2": "z2", "n3": "z1", "n4": "z2", "n5": "z1"} {
		h.cloud.node(id).Zone = z
	}
	return h
}

func (h *harness) requireOneZonePerBatch() {
	h.t.Helper()
	for _, b := range h.rec.batches() {
		for _, n := range b {
			require.Equal(h.t, h.cloud.node(b[0]).Zone, h.cloud.node(n).Zone, "batch %v", b)
		}
	}
}

func TestBatchByZone(t *testing.T) {
	tests := []struct {
		name        string
		byZone      bool
		maxParallel int
		groups      bool
		want        [][]string
	}{
		{name: "off", maxParallel: 2, want: [][]string{{"n1", "n2"}, {"n3", "n4"}, {"n5"}}},
		{name: "maxParallel 2", byZone: true, maxParallel: 2, want: [][]string{{"n1", "n3"}, {"n2", "n4"}, {"n5"}}},
		{name: "maxParallel 3", byZone: true, maxParallel: 3, want: [][]string{{"n1", "n3", "n5"}, {"n2", "n4"}}},
		{name: "maxParallel 1", byZone: true, maxParallel: 1, want: [][]string{{"n1"}, {"n2"}, {"n3"}, {"n4"}, {"n5"}}},
		// g1 on n1 and n3 (limit 1): n3 waits, n5 of the same zone fills in.
		{name: "with group limits", byZone: true, maxParallel: 3, groups: true, want: [][]string{{"n1", "n5"}, {"n2", "n4"}, {"n3"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := zoned(t)
			if tc.groups {
				h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
				h.cloud.addVM("vm-b", "n3", "vnfm-1", "vnf-1", "g1")
			}
			cfg := baseConfig(FlowF1)
			cfg.MaxParallel = tc.maxParallel
			cfg.BatchByZone = tc.byZone
			id := h.start(cfg).ID
			h.run()
			require.Equal(t, SessionCompleted, h.status(id).State)
			require.Equal(t, tc.want, h.rec.batches())
			for _, b := range h.rec.batches() {
				require.LessOrEqual(t, len(b), tc.maxParallel)
			}
			if tc.byZone {
				h.requireOneZonePerBatch()
			}
			if tc.groups {
				require.Equal(t, map[string]string{"n3": "instance group g1 would have 2 instances out of service, at most 1 allowed"},
					eventtest.As[event.PlanBatch](t, h.rec.kind("plan.batch")[0]).Deferred, "another zone's nodes are left out without a reason")
			}
		})
	}
}

// --- 5. ReplyDeadlines -------------------------------------------------------

func TestReplyDeadlines(t *testing.T) {
	tests := []struct {
		name      string
		flow      string
		deadlines map[string]time.Duration
		want      time.Duration
	}{
		{name: "PLANNED_MAINTENANCE overridden", flow: FlowF1, deadlines: map[string]time.Duration{StatePlannedMaintenance: 5 * time.Minute}, want: 5 * time.Minute},
		{name: "shorter override, F2", flow: FlowF2, deadlines: map[string]time.Duration{StatePlannedMaintenance: 30 * time.Second}, want: 30 * time.Second},
		{name: "another state only", flow: FlowF1, deadlines: map[string]time.Duration{StateScaleIn: 10 * time.Minute}, want: 2 * time.Minute},
		{name: "zero falls back", flow: FlowF1, deadlines: map[string]time.Duration{StatePlannedMaintenance: 0}, want: 2 * time.Minute},
		{name: "negative falls back", flow: FlowF1, deadlines: map[string]time.Duration{StatePlannedMaintenance: -time.Minute}, want: 2 * time.Minute},
		{name: "none", flow: FlowF1, want: 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t).nodes(2, "v1") // the VNFM stays silent
			h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
			cfg := baseConfig(tc.flow)
			cfg.ReplyDeadlines = tc.deadlines
			id := h.start(cfg).ID

			h.clock.Advance(tc.want - time.Nanosecond)
			require.Empty(t, h.sys.calls, "nothing happens before the deadline")
			require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
			note := h.notify.ofType(TypeMaintenance)
			require.Len(t, note, 1)
			require.Equal(t, epoch.Add(tc.want), *note[0].N.ReplyBy)
			require.Equal(t, tc.want.String(), eventtest.As[event.VNFMNotify](t, h.rec.kind("vnfm.notify")[0]).ReplyWithin)

			h.clock.Advance(time.Nanosecond)
			require.Equal(t, []string{"upgrade n1@v2"}, h.sys.callStrings())
			require.Equal(t, tc.want, h.sys.calls[0].At)
			to := h.only("vnfm.reply-timeout")
			require.Equal(t, tc.want, to.At)
			require.Equal(t, tc.want.String(), eventtest.As[event.VNFMReplyTimeout](t, to).After)
			require.Equal(t, StatePlannedMaintenance, eventtest.As[event.VNFMReplyTimeout](t, to).State)
			h.run()
			require.Equal(t, SessionCompleted, h.status(id).State)
		})
	}
}

// --- 6. Unplanned node failures ----------------------------------------------

func TestUnplannedFailedNodeIsSkipped(t *testing.T) {
	const reason = "the node failed outside the upgrade"

	t.Run("before its batch", func(t *testing.T) {
		h := newHarness(t).nodes(3, "v1").ackAll(5 * time.Second)
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "")
		h.cloud.addVM("vm-b", "n2", "vnfm-2", "vnf-2", "")
		id := h.start(baseConfig(FlowF1)).ID
		// n2 fails once n1's batch is under way.
		require.True(t, h.clock.RunUntil(func() bool { return h.rec.nodeStatusAt("n1", StatusUpgrading) >= 0 }))
		h.cloud.node("n2").State = NodeFailed
		h.run()

		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, "2 nodes at version v2", st.Reason)
		n2 := nodeStatus(t, st, "n2")
		require.Equal(t, StatusSkipped, n2.Status)
		require.Equal(t, reason, n2.Reason)
		require.Empty(t, h.sys.upgradesOf("n2"))
		for _, c := range h.cloud.maintCalls {
			require.NotEqual(t, "n2", c.Node, "a failed node is not put into maintenance")
		}
		require.Empty(t, h.notify.of("vnfm-2", ""), "vnfm-2 is told nothing: its node is not touched")
		require.Equal(t, NodeFailed, h.cloud.node("n2").State)
		require.Equal(t, "v1", h.cloud.node("n2").Version)
		require.Equal(t, map[string]string{"n1": StatusDone, "n2": StatusSkipped, "n3": StatusDone}, statuses(st))
		require.Equal(t, []string{"v2"}, h.sys.upgradesOf("n3"))
		require.Zero(t, h.clock.Pending())
	})

	t.Run("in a batch with a healthy node", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v1").ackAll(5 * time.Second)
		h.cloud.addVM("vm-b", "n2", "vnfm-1", "vnf-1", "")
		cfg := baseConfig(FlowF1)
		cfg.MaxParallel = 2
		id := h.start(cfg).ID
		h.cloud.node("n1").State = NodeFailed
		h.run()
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, map[string]string{"n1": StatusSkipped, "n2": StatusDone}, statuses(st))
		require.Equal(t, reason, nodeStatus(t, st, "n1").Reason)
		require.Equal(t, []string{"upgrade n2@v2", "verify n2@v2"}, h.sys.callStrings())
		require.Equal(t, 5*time.Second, h.sys.calls[0].At)
	})

	t.Run("F2", func(t *testing.T) {
		h := newHarness(t).nodes(2, "v1")
		id := h.start(baseConfig(FlowF2)).ID
		h.cloud.node("n1").State = NodeFailed
		h.run()
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, reason, nodeStatus(t, st, "n1").Reason)
		require.Empty(t, h.sys.upgradesOf("n1"))
	})
}

// A node that fails outside the upgrade after it was upgraded is still
// rolled back, and so is the node whose upgrade failed.
func TestUnplannedFailedNodeStillRolledBack(t *testing.T) {
	h, cfg := rollbackSetup(t, 1)
	h.sys.failUpgrade["n2@v2"] = true
	id := h.start(cfg).ID
	require.True(t, h.clock.RunUntil(func() bool { return h.rec.nodeStatusAt("n1", StatusDone) >= 0 }))
	h.cloud.node("n1").State = NodeFailed // crashes after its upgrade
	h.run()

	st := h.status(id)
	require.Equal(t, SessionRolledBack, st.State)
	require.Equal(t, "node n2 failed: upgrade failed: installing v2 on n2 failed", st.Reason)
	require.Equal(t, map[string]string{"n1": StatusRolledBack, "n2": StatusRolledBack, "n3": StatusPending, "n4": StatusPending}, statuses(st))
	require.Equal(t, []string{"v2", "v1.0"}, h.sys.upgradesOf("n1"))
	require.Equal(t, []string{"v2", "v1.1"}, h.sys.upgradesOf("n2"))
	for _, e := range h.rec.kind("node.status") {
		require.NotEqual(t, "the node failed outside the upgrade", eventtest.As[event.NodeStatus](t, e).Reason, "a rollback does not skip failed nodes")
	}
	require.Equal(t, NodeNormal, h.cloud.node("n1").State)
	require.Equal(t, NodeNormal, h.cloud.node("n2").State)
	require.Equal(t, "v1.0", h.cloud.node("n1").Version)
}

// --- 7. CheckCapacity --------------------------------------------------------

// loaded: nodes n1..nk of 32 vCPUs / 128 GiB, each hosting vms VMs of
// cpu vCPUs and mem GiB; vnfm-1 owns the VMs on n1..n(k-1), vnfm-2 those
// on nk. Nodes report their usage from their VMs.
func loaded(t *testing.T, k, vms, cpu, mem int) *harness {
	h := newHarness(t).nodes(k, "v1").ackAll(5 * time.Second)
	h.cloud.usageFromVMs = true
	for i := 1; i <= k; i++ {
		vnfm := "vnfm-1"
		if i == k {
			vnfm = "vnfm-2"
		}
		for j := 1; j <= vms; j++ {
			v := h.cloud.addVM(fmt.Sprintf("vm-%d%c", i, 'a'+j-1), fmt.Sprintf("n%d", i), vnfm, "vnf-"+vnfm[5:], "")
			v.VCPUs, v.MemoryGiB = cpu, mem
		}
	}
	return h
}

func capacityConfig(flow string, maxParallel int) Config {
	cfg := baseConfig(flow)
	cfg.MaxParallel = maxParallel
	cfg.CheckCapacity = true
	return cfg
}

func TestCapacityPreCheckRefuses(t *testing.T) {
	// Three nodes at 20 vCPUs / 40 GiB: two of them need 40/80, the third
	// has 12/88 free.
	h := loaded(t, 3, 2, 10, 20)
	cfg := capacityConfig(FlowF1, 2)
	st, err := h.m.CreateSession(cfg)
	requireCode(t, err, escalator.EINVALID)
	require.Empty(t, st.ID)
	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, "pre-check:"), msg)
	require.Contains(t, msg, "need 40 vCPUs / 80 GiB")
	require.Contains(t, msg, "have 12 vCPUs / 88 GiB free")
	require.Contains(t, msg, "add 1 spare node")
	require.Contains(t, msg, "of 32 vCPUs / 128 GiB")

	require.Len(t, h.rec.events, 1)
	ref := h.rec.events[0]
	require.Equal(t, "session.refused", ref.Kind)
	require.Equal(t, escalator.Fields{"reason": msg, "targetVersion": "v2", "flow": FlowF1}, ref.Fields)
	require.Empty(t, h.m.Sessions())
	require.Zero(t, h.clock.Pending())
	require.Empty(t, h.cloud.maintCalls)
	require.Empty(t, h.notify.sent)

	// Nothing was left active: a smaller batch fits (20/40 need, 24/176
	// free) and runs.
	cfg.MaxParallel = 1
	id := h.start(cfg).ID
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	require.Empty(t, h.rec.kind("phase.started"))
}

func TestCapacityPreCheck(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(h *harness, cfg *Config)
		flow   string
		refuse []string // substrings of the refusal; nil = accepted
	}{
		{
			name: "the busiest node counts", flow: FlowF1,
			setup: func(h *harness, cfg *Config) {
				// n1 26, n2 30, n3 26 vCPUs on equal nodes: every node's VMs
				// lack the same 18 vCPUs elsewhere; the first is named.
				h.cloud.vm("vm-1a").VCPUs, h.cloud.vm("vm-3a").VCPUs = 16, 16
				h.cloud.vm("vm-2a").VCPUs = 20
				cfg.MaxParallel = 1
			},
			refuse: []string{"a batch of 1 nodes [n1] need 26 vCPUs", "have 8 vCPUs"},
		},
		{
			name: "memory short", flow: FlowF1,
			setup: func(h *harness, cfg *Config) {
				for _, v := range h.cloud.vms {
					v.VCPUs, v.MemoryGiB = 1, 60
				}
				cfg.MaxParallel = 1
			},
			// n1 needs 120 GiB, n2 and n3 have 8 each: 104 short, 1 node.
			refuse: []string{"need 2 vCPUs / 120 GiB", "have 60 vCPUs / 16 GiB free", "add 1 spare node"},
		},
		{
			// All three selected nodes in one batch need 60/120; the two
			// unselected empty nodes have 64/256 free.
			name: "an unselected node's free capacity counts", flow: FlowF1,
			setup: func(h *harness, cfg *Config) {
				h.cloud.addNode("n4", "v1")
				h.cloud.addNode("n5", "v1")
				cfg.Nodes = []string{"n1", "n2", "n3"}
				cfg.MaxParallel = 3
			},
		},
		{
			name: "an unselected node not in service does not count", flow: FlowF1,
			setup: func(h *harness, cfg *Config) {
				h.cloud.addNode("n4", "v1")
				h.cloud.addNode("n5", "v1").State = NodeMaintenance
				cfg.Nodes = []string{"n1", "n2", "n3"}
				cfg.MaxParallel = 3
			},
			refuse: []string{"need 60 vCPUs / 120 GiB", "have 32 vCPUs / 128 GiB free", "add 1 spare node"},
		},
		{
			name: "nodes at the target version are not a batch", flow: FlowF1,
			setup: func(h *harness, cfg *Config) {
				h.cloud.node("n1").Version = "v2"
				h.cloud.node("n2").Version = "v2"
			},
		},
		{
			name: "two spare nodes", flow: FlowF1,
			setup: func(h *harness, cfg *Config) {
				for _, v := range h.cloud.vms {
					v.VCPUs = 15
				}
				cfg.MaxParallel = 3
			},
			refuse: []string{"a batch of 3 nodes [n1 n2 n3] need 90 vCPUs", "have 0 vCPUs", "add 3 spare node"},
		},
		{
			name: "the largest node counts, not the busiest", flow: FlowF1,
			setup: func(h *harness, cfg *Config) {
				// n1 is 64 vCPUs with 18 used, n2 and n3 are 32 with 26:
				// n2's or n3's VMs fit on n1, but n1's 18 do not fit in
				// the 6 + 6 left on the small nodes.
				h.cloud.node("n1").VCPUs = 64
				h.cloud.vm("vm-1a").VCPUs, h.cloud.vm("vm-1b").VCPUs = 9, 9
				for _, id := range []string{"vm-2a", "vm-2b", "vm-3a", "vm-3b"} {
					h.cloud.vm(id).VCPUs = 13
				}
				cfg.MaxParallel = 1
			},
			refuse: []string{"a batch of 1 nodes [n1] need 18 vCPUs", "have 12 vCPUs", "add 1 spare node"},
		},
		{name: "not applied to F2", flow: FlowF2},
		{name: "not applied to naive", flow: FlowNaive},
		{name: "off", flow: FlowF1, setup: func(h *harness, cfg *Config) { cfg.CheckCapacity = false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := loaded(t, 3, 2, 10, 20) // 2 × 10 vCPUs / 20 GiB per node
			cfg := capacityConfig(tc.flow, 2)
			if tc.setup != nil {
				tc.setup(h, &cfg)
			}
			st, err := h.m.CreateSession(cfg)
			if tc.refuse == nil {
				require.NoError(t, err)
				require.Equal(t, SessionRunning, st.State)
				require.Empty(t, h.rec.kind("session.refused"))
				h.run()
				require.Equal(t, SessionCompleted, h.status(st.ID).State)
				require.Empty(t, h.rec.kind("phase.started"), "no scale-in round")
				return
			}
			requireCode(t, err, escalator.EINVALID)
			require.True(t, strings.HasPrefix(err.Error(), "pre-check:"), err.Error())
			for _, s := range tc.refuse {
				require.Contains(t, err.Error(), s)
			}
			require.Equal(t, err.Error(), eventtest.As[event.SessionRefused](t, h.only("session.refused")).Reason)
			require.Empty(t, h.m.Sessions())
		})
	}
}

// --- 8. ScaleIn --------------------------------------------------------------

// scaleInSetup is TestCapacityPreCheckRefuses's cloud with scale-in allowed.
// Each VNFM that ACKs SCALE_IN first deletes its second VM on every node
// (20/40 left per node: a batch of two needs 20/40 and the third node has
// 22/88 free). Every other maintenance state is ACKed. free toggles the
// deletion.
func scaleInSetup(t *testing.T, free bool) (*harness, Config) {
	h := loaded(t, 3, 2, 10, 20)
	for _, v := range []string{"vnfm-1", "vnfm-2"} {
		h.notify.policy[v] = replyPolicy{Word: "ACK", Delay: 5 * time.Second, OnReply: func(n Notification) {
			if n.State != StateScaleIn || !free {
				return
			}
			for _, a := range n.AffectedInstances {
				if strings.HasSuffix(a.InstanceID, "b") {
					h.cloud.removeVM(a.InstanceID)
				}
			}
		}}
	}
	cfg := capacityConfig(FlowF1, 2)
	cfg.ScaleIn = true
	return h, cfg
}

func TestScaleInRoundThenUpgradeThenMaintenanceComplete(t *testing.T) {
	h, cfg := scaleInSetup(t, true)
	created, err := h.m.CreateSession(cfg)
	require.NoError(t, err, "scale-in allowed: the pre-check does not refuse")
	require.Equal(t, SessionRunning, created.State)
	require.Empty(t, h.rec.kind("session.refused"))
	id := created.ID

	// The SCALE_IN round goes out first, to every VNFM with VMs on the
	// selected nodes; no node is touched until it is answered.
	h.clock.Advance(0)
	started := h.only("phase.started")
	require.Equal(t, id, started.Subject)
	require.Equal(t, StateScaleIn, eventtest.As[event.PhaseStarted](t, started).State)
	require.Equal(t, []string{"vnfm-1", "vnfm-2"}, eventtest.As[event.PhaseStarted](t, started).VNFMs)
	require.Equal(t, []string{"vnfm-1 Maintenance SCALE_IN n1,n2", "vnfm-2 Maintenance SCALE_IN n3"}, h.notify.summary())
	si := h.notify.sent[0].N
	require.Equal(t, epoch.Add(cfg.ReplyTimeout), *si.ReplyBy)
	require.Equal(t, "v2", si.TargetVersion)
	require.Len(t, si.AffectedInstances, 4)
	require.Empty(t, h.rec.batches())
	require.Empty(t, h.cloud.maintCalls)

	h.clock.Advance(5*time.Second - time.Nanosecond)
	require.Empty(t, h.rec.batches(), "waits for the ACKs")
	h.run()

	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State, st.Reason)
	require.Equal(t, "3 nodes at version v2", st.Reason)
	require.Equal(t, [][]string{{"n1", "n2"}, {"n3"}}, h.rec.batches())
	require.Equal(t, 5*time.Second, h.rec.kind("plan.batch")[0].At, "the first batch starts at the last ACK")
	for _, r := range h.notify.replies {
		require.NoError(t, r.Err, "%+v", r.Reply)
	}
	require.Equal(t, []string{
		"vnfm-1 SCALE_IN", "vnfm-2 SCALE_IN",
		"vnfm-1 PLANNED_MAINTENANCE", "vnfm-2 PLANNED_MAINTENANCE",
		"vnfm-1 MAINTENANCE_COMPLETE", "vnfm-2 MAINTENANCE_COMPLETE",
	}, h.maintStates())

	// MAINTENANCE_COMPLETE goes out after the last node is done, and the
	// session completes only once it is answered.
	phases := h.rec.kind("phase.started")
	require.Len(t, phases, 2)
	require.Equal(t, StateMaintenanceComplete, eventtest.As[event.PhaseStarted](t, phases[1]).State)
	require.Equal(t, []string{"vnfm-1", "vnfm-2"}, eventtest.As[event.PhaseStarted](t, phases[1]).VNFMs)
	lastDone := h.rec.events[h.rec.nodeStatusAt("n3", StatusDone)].At
	require.Equal(t, lastDone, phases[1].At)
	mc := h.notify.of("vnfm-1", TypeMaintenance)[2]
	require.Equal(t, StateMaintenanceComplete, mc.N.State)
	require.Equal(t, epoch.Add(lastDone+cfg.ReplyTimeout), *mc.N.ReplyBy)
	end := h.only("session.state")
	require.Equal(t, lastDone+5*time.Second, end.At)
	lastAck := h.rec.index(func(e escalator.Event) bool {
		p, ok := eventtest.Payload[event.VNFMReply](e)
		return ok && p.Reply == "ACK_"+StateMaintenanceComplete && p.VNFM == "vnfm-2"
	})
	require.Positive(t, lastAck)
	require.Greater(t, h.rec.index(func(e escalator.Event) bool { return e.Kind == "session.state" }), lastAck)
	for _, v := range []string{"vnfm-1", "vnfm-2"} {
		ends := h.notify.of(v, TypeSessionStatus)
		require.Len(t, ends, 1)
		require.Equal(t, SessionCompleted, ends[0].N.SessionState)
	}
	require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
	require.Zero(t, h.clock.Pending())
}

func TestScaleIn(t *testing.T) {
	t.Run("not enough even after the VNFMs scaled in", func(t *testing.T) {
		h, cfg := scaleInSetup(t, false)
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionFailed, st.State)
		require.True(t, strings.HasPrefix(st.Reason, "not enough spare capacity even after the VNFMs scaled in"), st.Reason)
		require.Contains(t, st.Reason, "spare node")
		require.Equal(t, 5*time.Second, h.only("session.state").At, "checked again at the last ACK")
		require.Empty(t, h.rec.batches())
		require.Empty(t, h.cloud.maintCalls)
		require.Empty(t, h.sys.calls)
		for _, n := range st.Nodes {
			require.Equal(t, StatusPending, n.Status)
		}
		require.Equal(t, []string{"vnfm-1 SCALE_IN", "vnfm-2 SCALE_IN"}, h.maintStates())
		require.Equal(t, SessionFailed, h.notify.of("vnfm-1", TypeSessionStatus)[0].N.SessionState)
	})

	t.Run("SCALE_IN deadline, capacity freed without an answer", func(t *testing.T) {
		h, cfg := scaleInSetup(t, false)
		// The VNFMs scale in at once but never answer.
		for _, v := range []string{"vnfm-1", "vnfm-2"} {
			h.notify.policy[v] = replyPolicy{Decide: func(n Notification) string {
				if n.State == StateScaleIn {
					for _, a := range n.AffectedInstances {
						if strings.HasSuffix(a.InstanceID, "b") {
							h.cloud.removeVM(a.InstanceID)
						}
					}
					return ""
				}
				return "ACK"
			}}
		}
		cfg.ReplyDeadlines = map[string]time.Duration{StateScaleIn: 10 * time.Minute}
		id := h.start(cfg).ID
		h.clock.Advance(0)
		for _, s := range h.notify.ofType(TypeMaintenance) {
			require.Equal(t, epoch.Add(10*time.Minute), *s.N.ReplyBy)
		}
		h.clock.Advance(10*time.Minute - time.Nanosecond)
		require.Empty(t, h.rec.batches())
		h.clock.Advance(time.Nanosecond)
		to := h.only("vnfm.reply-timeout")
		rt := eventtest.As[event.VNFMReplyTimeout](t, to)
		require.Equal(t, StateScaleIn, rt.State)
		require.Equal(t, "10m0s", rt.After)
		require.Equal(t, []string{"vnfm-1", "vnfm-2"}, rt.VNFMs)
		require.Equal(t, [][]string{{"n1", "n2"}}, h.rec.batches())
		require.Equal(t, 10*time.Minute, h.rec.kind("plan.batch")[0].At)
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		// The PLANNED_MAINTENANCE deadline is still the default.
		for _, s := range h.notify.ofType(TypeMaintenance) {
			if s.N.State == StatePlannedMaintenance {
				require.Equal(t, cfg.ReplyTimeout, s.N.ReplyBy.Sub(s.N.TimeStamp))
			}
		}
	})

	t.Run("SCALE_IN deadline, nothing freed", func(t *testing.T) {
		h, cfg := scaleInSetup(t, false)
		h.notify.policy = map[string]replyPolicy{} // silent
		h.notify.def = nil
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionFailed, st.State)
		require.True(t, strings.HasPrefix(st.Reason, "not enough spare capacity even after the VNFMs scaled in"), st.Reason)
		require.Equal(t, cfg.ReplyTimeout, h.only("session.state").At)
		require.Empty(t, h.cloud.maintCalls)
	})

	t.Run("NACK_SCALE_IN fails the session", func(t *testing.T) {
		// vnfm-2 refuses though the capacity would now suffice (it removed
		// vm-3b all the same): the refusal alone fails the session.
		h, cfg := scaleInSetup(t, true)
		p := h.notify.policy["vnfm-2"]
		p.Word = "NACK"
		p.Reason = "cannot scale in"
		h.notify.policy["vnfm-2"] = p
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionFailed, st.State)
		require.Equal(t, "VNFM vnfm-2 refused SCALE_IN for node n3", st.Reason)
		require.Equal(t, 5*time.Second, h.only("session.state").At)
		require.Empty(t, h.rec.batches())
		require.Empty(t, h.cloud.maintCalls)
		require.Empty(t, h.sys.calls)
		for _, r := range h.notify.replies {
			require.NoError(t, r.Err)
		}
	})

	t.Run("MAINTENANCE_COMPLETE deadline", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		for _, v := range []string{"vnfm-1", "vnfm-2"} {
			p := h.notify.policy[v]
			p.Decide = func(n Notification) string {
				if n.State == StateMaintenanceComplete {
					return ""
				}
				return "ACK"
			}
			h.notify.policy[v] = p
		}
		cfg.ReplyDeadlines = map[string]time.Duration{StateMaintenanceComplete: 3 * time.Minute}
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		lastDone := h.rec.events[h.rec.nodeStatusAt("n3", StatusDone)].At
		require.Equal(t, lastDone+3*time.Minute, h.only("session.state").At)
		to := h.only("vnfm.reply-timeout")
		require.Equal(t, StateMaintenanceComplete, eventtest.As[event.VNFMReplyTimeout](t, to).State)
		require.Equal(t, "3m0s", eventtest.As[event.VNFMReplyTimeout](t, to).After)
		mc := h.notify.of("vnfm-2", TypeMaintenance)
		require.Equal(t, StateMaintenanceComplete, mc[len(mc)-1].N.State)
		require.Equal(t, 3*time.Minute, mc[len(mc)-1].N.ReplyBy.Sub(mc[len(mc)-1].N.TimeStamp))
	})

	t.Run("NACK_MAINTENANCE_COMPLETE changes nothing", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		p := h.notify.policy["vnfm-1"]
		p.Decide = func(n Notification) string {
			if n.State == StateMaintenanceComplete {
				return "NACK"
			}
			return "ACK"
		}
		h.notify.policy["vnfm-1"] = p
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionCompleted, st.State)
		require.Equal(t, "3 nodes at version v2", st.Reason)
		require.Empty(t, h.rec.kind("vnfm.reply-timeout"))
	})

	t.Run("capacity fits: no scale-in, no MAINTENANCE_COMPLETE", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		cfg.MaxParallel = 1
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Empty(t, h.rec.kind("phase.started"))
		require.Equal(t, []string{"vnfm-1 PLANNED_MAINTENANCE", "vnfm-1 PLANNED_MAINTENANCE", "vnfm-2 PLANNED_MAINTENANCE"}, h.maintStates())
		require.Len(t, h.cloud.vms, 6, "nobody was asked to scale in")
	})

	t.Run("no capacity check: no scale-in", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		cfg.CheckCapacity = false
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Empty(t, h.rec.kind("phase.started"))
		for _, s := range h.notify.ofType(TypeMaintenance) {
			require.Equal(t, StatePlannedMaintenance, s.N.State)
		}
	})

	t.Run("F2: no scale-in", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		cfg.Flow = FlowF2
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Empty(t, h.rec.kind("phase.started"))
		for _, s := range h.notify.ofType(TypeMaintenance) {
			require.Equal(t, StatePlannedMaintenance, s.N.State)
		}
	})

	t.Run("only the VNFMs with VMs on the selected nodes", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		// n4 is not selected; its VNFM hears nothing. Its heavy VM leaves
		// 2 vCPUs / 8 GiB free there, which does not change the verdicts.
		h.cloud.addNode("n4", "v1")
		v := h.cloud.addVM("vm-4a", "n4", "vnfm-3", "vnf-3", "")
		v.VCPUs, v.MemoryGiB = 30, 120
		h.notify.def = &replyPolicy{Word: "ACK", Delay: time.Second}
		cfg.Nodes = []string{"n1", "n2", "n3"}
		id := h.start(cfg).ID
		h.run()
		require.Equal(t, SessionCompleted, h.status(id).State)
		require.Equal(t, []string{"vnfm-1", "vnfm-2"}, eventtest.As[event.PhaseStarted](t, h.rec.kind("phase.started")[0]).VNFMs)
		require.Empty(t, h.notify.of("vnfm-3", ""))
		require.Equal(t, "v1", h.cloud.node("n4").Version)
	})

	t.Run("abort during the SCALE_IN round", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		id := h.start(cfg).ID
		h.clock.Advance(time.Second)
		st, err := h.m.Abort(id)
		require.NoError(t, err)
		require.Equal(t, SessionRunning, st.State, "the round in flight ends first")
		h.run()
		require.Equal(t, SessionAborted, h.status(id).State)
		require.Empty(t, h.rec.batches())
		require.Empty(t, h.cloud.maintCalls)
	})

	t.Run("no VNFM to ask", func(t *testing.T) {
		h := newHarness(t).nodes(3, "v1")
		h.cloud.usageFromVMs = true
		for _, n := range []string{"n1", "n2", "n3"} {
			v := h.cloud.addVM("vm-"+n, n, "", "", "") // nobody manages them
			v.VCPUs = 20
		}
		cfg := capacityConfig(FlowF1, 2)
		cfg.ScaleIn = true
		id := h.start(cfg).ID
		h.run()
		st := h.status(id)
		require.Equal(t, SessionFailed, st.State)
		require.True(t, strings.HasPrefix(st.Reason, "not enough spare capacity even after the VNFMs scaled in"), st.Reason)
		require.Empty(t, eventtest.As[event.PhaseStarted](t, h.only("phase.started")).VNFMs)
		require.Empty(t, h.notify.sent)
		require.Equal(t, time.Duration(0), h.only("session.state").At, "nobody to wait for")
	})

	t.Run("replies to the SCALE_IN round are validated", func(t *testing.T) {
		h, cfg := scaleInSetup(t, true)
		h.notify.policy = map[string]replyPolicy{}
		id := h.start(cfg).ID
		h.clock.Advance(0)
		n1 := h.notify.of("vnfm-1", TypeMaintenance)[0].N
		n2 := h.notify.of("vnfm-2", TypeMaintenance)[0].N
		bad := Reply{SessionID: id, NotificationID: n1.ID, VnfmID: "vnfm-1", Reply: "ACK_PLANNED_MAINTENANCE"}
		requireCode(t, h.m.Reply(bad), escalator.ECONFLICT)
		bad = Reply{SessionID: id, NotificationID: n1.ID, VnfmID: "vnfm-2", Reply: "ACK_SCALE_IN"}
		requireCode(t, h.m.Reply(bad), escalator.ECONFLICT)
		require.NoError(t, h.m.Reply(Reply{SessionID: id, NotificationID: n1.ID, VnfmID: "vnfm-1", Reply: "ACK_SCALE_IN"}))
		requireCode(t, h.m.Reply(Reply{SessionID: id, NotificationID: n1.ID, VnfmID: "vnfm-1", Reply: "ACK_SCALE_IN"}), escalator.ECONFLICT)
		require.Empty(t, h.rec.batches(), "still waiting for vnfm-2")
		for _, vm := range []string{"vm-1b", "vm-2b", "vm-3b"} {
			h.cloud.removeVM(vm)
		}
		require.NoError(t, h.m.Reply(Reply{SessionID: id, NotificationID: n2.ID, VnfmID: "vnfm-2", Reply: "ACK_SCALE_IN"}))
		h.clock.Advance(0)
		require.Equal(t, [][]string{{"n1", "n2"}}, h.rec.batches())
	})
}

// A refused scale-in that leaves the capacity short must still fail with
// the refusal as its reason, not as if the VNFMs had scaled in.
func TestNackScaleInReasonNamesTheRefusal(t *testing.T) {
	h, cfg := scaleInSetup(t, true)
	p := h.notify.policy["vnfm-2"]
	p.Word, p.Reason, p.OnReply = "NACK", "cannot scale in", nil
	h.notify.policy["vnfm-2"] = p
	id := h.start(cfg).ID
	h.run()
	st := h.status(id)
	require.Equal(t, SessionFailed, st.State)
	require.True(t, strings.HasPrefix(st.Reason, "VNFM vnfm-2 refused SCALE_IN for node n3"), st.Reason)
}

// A VNFM asked to scale in must be told it may scale back out, even when it
// scaled in every instance it had on the selected nodes.
func TestMaintenanceCompleteReachesEveryVNFMThatScaledIn(t *testing.T) {
	h, cfg := scaleInSetup(t, true)
	// vnfm-2 scales in completely: n3 empties.
	p := h.notify.policy["vnfm-2"]
	p.OnReply = func(n Notification) {
		if n.State == StateScaleIn {
			for _, a := range n.AffectedInstances {
				h.cloud.removeVM(a.InstanceID)
			}
		}
	}
	h.notify.policy["vnfm-2"] = p
	id := h.start(cfg).ID
	h.run()
	require.Equal(t, SessionCompleted, h.status(id).State)
	var got []string
	for _, s := range h.notify.ofType(TypeMaintenance) {
		if s.N.State == StateMaintenanceComplete {
			got = append(got, s.VNFM)
		}
	}
	require.Equal(t, []string{"vnfm-1", "vnfm-2"}, got)
}

// --- combined ----------------------------------------------------------------

// The features together: zones, lead time, recovery, migration type and a
// node failing outside the upgrade, in one deterministic run.
func TestFeaturesTogetherDeterministic(t *testing.T) {
	scenario := func() (*harness, string) {
		h := zoned(t)
		h.cloud.addVM("vm-a", "n1", "vnfm-1", "vnf-1", "g1")
		h.cloud.addVM("vm-b", "n4", "vnfm-1", "vnf-1", "g1")
		h.cloud.addVM("vm-c", "n3", "vnfm-2", "vnf-2", "g2")
		h.cloud.carrying["vm-c"] = true
		cfg := baseConfig(FlowF1)
		cfg.MaxParallel = 2
		cfg.BatchByZone = true
		cfg.GroupLeadTime = map[string]time.Duration{"g1": 90 * time.Second}
		cfg.GroupRecovery = map[string]time.Duration{"g1": 30 * time.Minute}
		cfg.GroupMigration = map[string][]string{"g2": {"cold"}}
		cfg.ReplyDeadlines = map[string]time.Duration{StatePlannedMaintenance: time.Minute}
		id := h.start(cfg).ID
		h.cloud.node("n5").State = NodeFailed
		h.run()
		return h, id
	}
	h, id := scenario()
	st := h.status(id)
	require.Equal(t, SessionCompleted, st.State, st.Reason)
	require.Equal(t, map[string]string{"n1": StatusDone, "n2": StatusDone, "n3": StatusDone, "n4": StatusDone, "n5": StatusSkipped}, statuses(st))
	h.requireOneZonePerBatch()
	require.True(t, slices.ContainsFunc(h.cloud.migrateCalls, func(c migrateCall) bool { return c.VM == "vm-c" && !c.Live }))
	n1, n4 := h.rec.events[h.rec.nodeStatusAt("n1", StatusDone)].At, h.maintNoteFor("n4", "v2").At
	require.GreaterOrEqual(t, n4, n1+30*time.Minute, "g1 recovered before n4")
	// Lead time (90s) after the notification, then the cold move of vm-c.
	require.Equal(t, h.maintNoteFor("n1", "v2").At+90*time.Second, h.cloud.migrateCalls[0].At)
	require.Equal(t, h.maintNoteFor("n1", "v2").At+90*time.Second+h.cloud.migrateDelay, h.upgradeAt("n1", "v2"))

	h2, _ := scenario()
	require.Equal(t, h.rec.events, h2.rec.events)
	require.Equal(t, h.notify.sent, h2.notify.sent)
	require.Equal(t, h.sys.calls, h2.sys.calls)
}
