package dashboard

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/reports/sequence"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// demoRuns runs the bundled showcases in virtual time, once for the tests
// that read their traces.
var demoRuns = sync.OnceValues(func() (map[string]*judge.Result, error) {
	list, err := scenarios.Demos()
	if err != nil {
		return nil, err
	}
	out := map[string]*judge.Result{}
	for _, s := range list {
		out[s.Name] = scenarios.Run(context.Background(), s, scenarios.Options{})
	}
	return out, nil
})

func demoRun(t *testing.T, name string) *judge.Result {
	t.Helper()
	runs, err := demoRuns()
	require.NoError(t, err)
	r := runs[name]
	require.NotNil(t, r, name)
	require.NoError(t, r.Err)
	return r
}

func annotate(flow string, events []escalator.Event) []Item {
	s := Stepper{Flow: flow}
	out := make([]Item, len(events))
	for i, e := range events {
		out[i] = s.Annotate(e)
	}
	return out
}

// Every step of each seed flow shows up in its showcase, in the order the
// design gives: the highlight only moves forward, or back to step 2 when
// the next batch begins.
func TestStepsCoverEachFlow(t *testing.T) {
	for _, tc := range []struct{ scenario, flow string }{
		{"demo-f1-showcase", "F1"},
		{"demo-f2-showcase", "F2"},
		{"demo-f1-rollback", "F1"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			r := demoRun(t, tc.scenario)
			items := annotate(tc.flow, r.Events)
			seen, lit := map[int]bool{}, map[int]bool{}
			prev := 0
			cycles := 0
			for _, it := range items {
				seen[it.Step], lit[it.Current] = true, true
				switch {
				case it.Current == prev:
				case it.Current > prev:
				case it.Current == 2:
					cycles++
				default:
					t.Fatalf("#%d %s: the highlight went back from step %d to %d", it.Seq, it.Kind, prev, it.Current)
				}
				if leads(it) {
					require.Equal(t, it.Step, it.Current, "#%d %s: the flow's own messages carry the highlight", it.Seq, it.Kind)
				}
				prev = it.Current
			}
			for n := 1; n <= len(Steps[tc.flow]); n++ {
				require.True(t, seen[n], "step %d of %s never shows in %s", n, tc.flow, tc.scenario)
				require.True(t, lit[n], "step %d of %s is never highlighted in %s", n, tc.flow, tc.scenario)
			}
			require.Positive(t, cycles, "the flow loops back to step 2 for the next nodes")
			require.Equal(t, 7, prev, "the run ends at the last step")
		})
	}
}

// leads reports whether an event drives the flow: the notification, the
// reply, the upgrade. The highlight must be on its step when it comes.
func leads(it Item) bool {
	switch it.Kind {
	case "session.created", "plan.batch", "vnfm.reply", "vnfm.reply-timeout", "node.upgrade-started":
		return true
	case "vnfm.notify":
		return it.Fields["type"] == "MaintenanceNotification"
	}
	return false
}

// The naive negative control follows no seed flow: no step, no highlight.
func TestNoStepsOutsideTheSeedFlows(t *testing.T) {
	r := demoRun(t, "demo-f1-showcase")
	for _, it := range annotate("naive", r.Events) {
		require.Zero(t, it.Step, it.Kind)
		require.Zero(t, it.Current, it.Kind)
	}
}

// The chart's arrows are the HTML report's (package sequence tests each
// one): the page gets them as lifeline indexes into Lifelines, and the
// demo's own faults in the words of its buttons.
func TestMessagesAreTheReportsArrows(t *testing.T) {
	require.Equal(t, sequence.Lifelines(), Lifelines)
	ev := func(p event.Payload, subject string) escalator.Event {
		return escalator.Event{Seq: 1, Actor: "x", Kind: p.Kind(), Subject: subject, Fields: event.Fields(p)}
	}
	const um, cm, vnfm, vnfs = sequence.UpgradeManager, sequence.CloudManager, sequence.VNFM, sequence.VNFs
	msg := func(from, to sequence.Lifeline, label string) Message { return Message{int(from), int(to), label} }
	tests := []struct {
		e    escalator.Event
		want Message
		tone string
	}{
		{ev(event.NodeStatus{Status: event.StatusMaintenance}, "compute-1"), msg(um, cm, "maintenance mode on compute-1"), ""},
		{ev(event.VNFMNotify{Type: event.TypeMaintenance, State: "PLANNED_MAINTENANCE", Instances: []string{"mme-1", "sgw-1"}}, "vnfm-1"),
			msg(um, vnfm, "PLANNED_MAINTENANCE: mme-1, sgw-1"), ""},
		{ev(event.VNFDrained{Instance: "web-1"}, "web"), msg(vnfs, vnfm, "web-1 drained"), ""},
		{ev(event.VNFMReply{Reply: "ACK", Accepted: false}, "s1"), msg(vnfm, um, "✗ ACK (refused)"), "bad"},
		{ev(event.VNFMReplyRejected{NotificationID: "n1", Error: "503", RetryIn: "2s"}, "vnfm-1"), msg(vnfm, vnfm, "✗ reply rejected, retrying in 2s"), "bad"},
		{ev(event.FaultInjected{Fault: FaultVNFMSilent, By: "operator"}, "vnfm-1"), msg(vnfm, vnfm, "⚡ injected: VNFM to go silent"), "fault"},
		{ev(event.FaultInjected{Fault: FaultUpgradeFails, By: "operator"}, ""), msg(cm, cm, "⚡ injected: next upgrade to fail"), "fault"},
		{ev(event.FaultInjected{Fault: "vm-crash", Index: event.Ptr(0)}, "vm-1"), msg(cm, cm, "⚡ injected: vm-crash"), "fault"},
		{ev(event.ServiceInterruption{Lost: 2500}, "web"), msg(vnfs, vnfs, "✗ web lost 2,500 requests"), "bad"},
		{ev(event.SessionState{State: "COMPLETED"}, "s1"), msg(um, um, "session COMPLETED"), "good"},
	}
	for _, tc := range tests {
		t.Run(tc.e.Kind, func(t *testing.T) {
			s := Stepper{Flow: "F1"}
			it := s.Annotate(tc.e)
			require.NotNil(t, it.Msg)
			require.Equal(t, tc.want, *it.Msg)
			require.Equal(t, tc.tone, it.Tone)
		})
	}
	for _, kind := range []string{"node.added", "vm.placed", "delivery.attempt", "vm.business", "vnfm.received"} {
		s := Stepper{Flow: "F1"}
		require.Nil(t, s.Annotate(escalator.Event{Seq: 1, Kind: kind, Subject: "compute-1"}).Msg, "%s is bookkeeping, not a message", kind)
	}
}

// A fault and the orchestrator's reaction are milestones of the session
// timeline, marked as such: the rollback showcase's failing install, the
// rollback it sets off and the session's end.
func TestFaultAndReactionAreMilestones(t *testing.T) {
	r := demoRun(t, "demo-f1-rollback")
	items := annotate("F1", r.Events)
	var marks []string
	for _, it := range items {
		if it.Mark != "" && it.Mark != "batch" {
			marks = append(marks, it.Mark+" "+it.Kind)
		}
	}
	fault := slices.Index(marks, "fault fault.upgrade-fails")
	require.GreaterOrEqual(t, fault, 0, "%v", marks)
	require.Contains(t, marks[fault+1:], "reaction session.state", "the rollback follows the fault")
	require.Equal(t, "end session.state", marks[len(marks)-1])
	for _, it := range items {
		if it.Kind == "fault.upgrade-fails" {
			require.Equal(t, "fault", it.Tone)
			require.NotNil(t, it.Msg)
		}
	}
}

func TestClock(t *testing.T) {
	require.Equal(t, "01:02:03", clock(3723e9))
}
