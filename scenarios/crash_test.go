package scenarios

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// A kill point: the Manager dies synchronously after the k-th event it
// emits (the rest of that step never happens), or a while after the world
// began a node's upgrade (the upgrade runs on without it).
type killPoint struct {
	name string
	// afterOrch is k: die right after the k-th orchestrator event.
	afterOrch int
	// midUpgrade: die this long after the n-th node.upgrade-started.
	midUpgrade   time.Duration
	upgradeIndex int
}

const crashRestartAfter = time.Minute

// crashRun runs s with the Manager killed at p and restarted a minute
// later, with or without its state store.
func crashRun(t *testing.T, s *spec.Scenario, p killPoint, store bool) *judge.Result {
	t.Helper()
	return Run(context.Background(), s, Options{Build: BuildOptions{NoStateStore: !store}, Ready: func(tb *Testbed) {
		orch, upgrades, fired := 0, 0, false
		kill := func() {
			if fired {
				return
			}
			fired = true
			tb.CrashOrchestrator(crashRestartAfter, func() {
				event.Emit(tb.emit, "fault", "orchestrator", event.FaultInjected{Fault: spec.FaultOrchCrash, For: crashRestartAfter.String()})
			})
		}
		tb.emit.hooks = append(tb.emit.hooks, func(e escalator.Event) {
			switch {
			case e.Actor == orchActor && p.afterOrch > 0:
				orch++
				if orch == p.afterOrch {
					kill()
				}
			case e.Kind == (event.NodeUpgradeStarted{}).Kind() && p.midUpgrade > 0:
				upgrades++
				if upgrades == p.upgradeIndex {
					tb.Loop.AfterFunc(p.midUpgrade, kill)
				}
			}
		})
	}})
}

const orchActor = "orchestrator"

// killPoints spreads n points over the orchestrator events of a clean run
// of s, before the session's end, and adds the points the issue names:
// right after each accepted reply (before its effect) and in the middle of
// each node's upgrade in the world.
func killPoints(t *testing.T, s *spec.Scenario, n int) ([]killPoint, *judge.Result) {
	t.Helper()
	base := Run(context.Background(), s, Options{})
	require.Equal(t, judge.VerdictPass, base.Verdict)
	var orch []escalator.Event
	last, upgrades := 0, 0
	for _, e := range base.Events {
		if e.Actor == orchActor {
			orch = append(orch, e)
			if st, ok, _ := event.As[event.SessionState](e); ok && event.Terminal(st.State) {
				last = len(orch) - 1 // the final state: a kill after it changes nothing
			}
		}
		if e.Kind == (event.NodeUpgradeStarted{}).Kind() {
			upgrades++
		}
	}
	require.Positive(t, last)
	var out []killPoint
	seen := map[int]bool{}
	add := func(k int, why string) {
		if k >= 1 && k <= last && !seen[k] {
			seen[k] = true
			out = append(out, killPoint{name: fmt.Sprintf("after event %d (%s)", k, why), afterOrch: k})
		}
	}
	// From the second event: the first is inside CreateSession, which
	// a crash makes fail (the API answers 503; the client retries).
	for i := range n {
		k := 2 + i*(last-2)/(n-1)
		add(k, orch[k-1].Kind)
	}
	for i, e := range orch[:last] {
		if r, ok, _ := event.As[event.VNFMReply](e); ok && r.Accepted {
			add(i+1, "reply taken, before its effect")
		}
	}
	for i := 1; i <= upgrades; i++ {
		out = append(out, killPoint{name: fmt.Sprintf("mid-upgrade of the %d. node", i), midUpgrade: 30 * time.Second, upgradeIndex: i})
	}
	return out, base
}

// doneCounts counts, in a trace, what a crash must never make happen more
// often: each node's upgrade from one version to another, each VM's move
// off a node, and the distinct maintenance notifications the VNFM acted on
// for a node.
func doneCounts(events []escalator.Event) map[string]int {
	out := map[string]int{}
	nodesOf := map[string][]string{}
	handled := map[string]bool{}
	for _, e := range events {
		switch p := event.Decode(e).(type) {
		case event.NodeUpgradeStarted:
			out[fmt.Sprintf("node %s upgraded from %s to %s", e.Subject, p.From, p.To)]++
		case event.VMMigrating:
			out[fmt.Sprintf("VM %s moved off %s", e.Subject, p.From)]++
		case event.VNFMNotify:
			if p.Type == event.TypeMaintenance && nodesOf[p.NotificationID] == nil {
				nodesOf[p.NotificationID] = p.Nodes
			}
		case event.VNFMReceived:
			if p.Type != event.TypeMaintenance || handled[p.NotificationID] {
				continue
			}
			handled[p.NotificationID] = true
			for _, n := range nodesOf[p.NotificationID] {
				out["the VNFM acted on a maintenance notification for node "+n]++
			}
		}
	}
	return out
}

// resumeViolations is what a crash caused twice that the run without it
// did once (at most once, for what it did not do at all).
func resumeViolations(events, base []escalator.Event) []string {
	want := doneCounts(base)
	var out []string
	for what, n := range doneCounts(events) {
		if n > max(1, want[what]) {
			out = append(out, fmt.Sprintf("%s %d times (%d without the crash)", what, n, want[what]))
		}
	}
	slices.Sort(out)
	return out
}

// TestCrashMatrix kills the Upgrade Manager at more than 20 points of an
// F1 and an F2 upgrade, and of an F1 upgrade that rolls back, and restarts
// it on the same store and world: every session ends as it does without a
// crash, every check passes, nothing is done twice. The
// negative control restarts it without its store: the same kill points
// fail.
func TestCrashMatrix(t *testing.T) {
	for _, path := range []string{"flows/f1-mixed.yaml", "flows/f2-active-standby.yaml", "faults/f1-upgrade-fails-rollback.yaml"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			s, err := load.File(path)
			require.NoError(t, err)
			points, base := killPoints(t, s, 22)
			want := base.Session.State
			require.GreaterOrEqual(t, len(points), 20)
			t.Logf("%d kill points", len(points))
			lost := 0
			for _, p := range points {
				r := crashRun(t, s, p, true)
				require.NoError(t, r.Err, p.name)
				var failed []string
				for _, c := range r.Failed() {
					for _, v := range c.Violations {
						failed = append(failed, c.Name+": "+v.Message)
					}
				}
				require.Equal(t, judge.VerdictPass, r.Verdict, "%s: %v", p.name, failed)
				require.Equal(t, want, r.Session.State, p.name)
				require.Empty(t, resumeViolations(r.Events, base.Events), p.name)
				restarted := false
				for _, e := range r.Events {
					restarted = restarted || e.Kind == (event.OrchestratorRestarted{}).Kind()
				}
				require.True(t, restarted, "%s: the orchestrator was never restarted", p.name)

				// The negative control: the same kill, no store.
				if nr := crashRun(t, s, p, false); nr.Verdict != judge.VerdictPass || nr.Session.State != want {
					lost++
				}
			}
			require.Equal(t, len(points), lost, "without its store, a restarted Manager must fail every kill point")
		})
	}
}

// TestResumeViolationsCanFail: the crash matrix's own check sees a node
// upgraded twice, a VM moved twice and a node's maintenance handled under
// two notification ids, where the run without the crash did each once.
func TestResumeViolationsCanFail(t *testing.T) {
	ev := func(subject string, p event.Payload) escalator.Event {
		return escalator.Event{Kind: p.Kind(), Subject: subject, Fields: event.Fields(p)}
	}
	once := []escalator.Event{
		ev("c1", event.NodeUpgradeStarted{From: "1", To: "2"}),
		ev("vm1", event.VMMigrating{From: "c1", To: "c2"}),
		ev("v", event.VNFMNotify{NotificationID: "a", Type: event.TypeMaintenance, Nodes: []string{"c1"}}),
		ev("v", event.VNFMReceived{NotificationID: "a", Type: event.TypeMaintenance}),
	}
	twice := append(slices.Clone(once),
		ev("c1", event.NodeUpgradeStarted{From: "1", To: "2"}),
		ev("vm1", event.VMMigrating{From: "c1", To: "c3"}),
		ev("v", event.VNFMNotify{NotificationID: "a", Type: event.TypeMaintenance, Nodes: []string{"c1"}, Resent: true}),
		ev("v", event.VNFMReceived{NotificationID: "a", Type: event.TypeMaintenance}), // the same one: fine
		ev("v", event.VNFMNotify{NotificationID: "b", Type: event.TypeMaintenance, Nodes: []string{"c1"}}),
		ev("v", event.VNFMReceived{NotificationID: "b", Type: event.TypeMaintenance}),
	)
	require.Len(t, resumeViolations(twice, once), 3)
	require.Empty(t, resumeViolations(once, once))
	require.Empty(t, resumeViolations(twice, twice), "what the run without a crash did twice is no violation")
}
