package judge

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// ev builds a trace event by hand.
func ev(seq int64, at time.Duration, actor, kind, subject string, f escalator.Fields) escalator.Event {
	return escalator.Event{Seq: seq, At: at, Actor: actor, Kind: kind, Subject: subject, Fields: f}
}

// roundTrip writes events as NDJSON and reads them back: numbers become
// float64, lists []any, as in a trace judged from disk.
func roundTrip(t *testing.T, events []escalator.Event) []escalator.Event {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, escalator.WriteNDJSON(&b, events))
	back, err := escalator.ReadNDJSON(&b)
	require.NoError(t, err)
	return back
}

func TestMatcher(t *testing.T) {
	e := ev(7, time.Second, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{
		"type":        "MaintenanceNotification",
		"nodes":       []string{"compute-1", "compute-2"},
		"mixed":       []any{"a", 2.0, true},
		"attempt":     1,
		"lost":        20.5,
		"accepted":    true,
		"replyWithin": "1m0s",
		"version":     "2.0",
		"took":        1500 * time.Millisecond,
	})
	tests := []struct {
		name string
		m    *spec.EventMatcher
		want bool
	}{
		{"nil matches nothing", nil, false},
		{"empty matches anything", &spec.EventMatcher{}, true},
		{"kind", &spec.EventMatcher{Kind: "vnfm.notify"}, true},
		{"other kind", &spec.EventMatcher{Kind: "vnfm.notif"}, false},
		{"wildcard", &spec.EventMatcher{Kind: "vnfm.*"}, true},
		{"wildcard on the whole kind", &spec.EventMatcher{Kind: "vnfm.notify*"}, true},
		{"wildcard is a prefix, not a segment", &spec.EventMatcher{Kind: "vnf.*"}, false},
		{"wildcard without a dot", &spec.EventMatcher{Kind: "vnf*"}, true},
		{"star alone", &spec.EventMatcher{Kind: "*"}, true},
		{"actor", &spec.EventMatcher{Actor: "orchestrator"}, true},
		{"other actor", &spec.EventMatcher{Actor: "vnfm"}, false},
		{"subject", &spec.EventMatcher{Kind: "vnfm.notify", Subject: "vnfm-1"}, true},
		{"other subject", &spec.EventMatcher{Kind: "vnfm.notify", Subject: "vnfm-2"}, false},
		{"string field", &spec.EventMatcher{Fields: map[string]string{"type": "MaintenanceNotification"}}, true},
		{"string field is case-sensitive", &spec.EventMatcher{Fields: map[string]string{"type": "maintenancenotification"}}, false},
		{"string field is exact", &spec.EventMatcher{Fields: map[string]string{"replyWithin": "60s"}}, false},
		{"string that looks like a number", &spec.EventMatcher{Fields: map[string]string{"version": "2.0"}}, true},
		{"string that looks like a number is not one", &spec.EventMatcher{Fields: map[string]string{"version": "2"}}, false},
		{"list member", &spec.EventMatcher{Fields: map[string]string{"nodes": "compute-2"}}, true},
		{"not a list member", &spec.EventMatcher{Fields: map[string]string{"nodes": "compute-3"}}, false},
		{"mixed list string member", &spec.EventMatcher{Fields: map[string]string{"mixed": "a"}}, true},
		{"mixed list number member", &spec.EventMatcher{Fields: map[string]string{"mixed": "2"}}, true},
		{"mixed list bool member", &spec.EventMatcher{Fields: map[string]string{"mixed": "true"}}, true},
		{"mixed list non-member", &spec.EventMatcher{Fields: map[string]string{"mixed": "b"}}, false},
		{"int field", &spec.EventMatcher{Fields: map[string]string{"attempt": "1"}}, true},
		{"int field, written as a float", &spec.EventMatcher{Fields: map[string]string{"attempt": "1.0"}}, true},
		{"int field, other number", &spec.EventMatcher{Fields: map[string]string{"attempt": "2"}}, false},
		{"int field, not a number", &spec.EventMatcher{Fields: map[string]string{"attempt": "one"}}, false},
		{"int field, hex is no number", &spec.EventMatcher{Fields: map[string]string{"attempt": "0x1"}}, false},
		{"float field", &spec.EventMatcher{Fields: map[string]string{"lost": "20.50"}}, true},
		{"float field, other number", &spec.EventMatcher{Fields: map[string]string{"lost": "20"}}, false},
		{"bool field", &spec.EventMatcher{Fields: map[string]string{"accepted": "true"}}, true},
		{"bool field, false", &spec.EventMatcher{Fields: map[string]string{"accepted": "false"}}, false},
		{"bool field, not a bool", &spec.EventMatcher{Fields: map[string]string{"accepted": "yes"}}, false},
		{"duration field", &spec.EventMatcher{Fields: map[string]string{"took": "1.5s"}}, true},
		{"duration field, other duration", &spec.EventMatcher{Fields: map[string]string{"took": "1s"}}, false},
		{"absent field", &spec.EventMatcher{Fields: map[string]string{"error": ""}}, false},
		{"every key must hold", &spec.EventMatcher{Kind: "vnfm.notify", Actor: "orchestrator", Subject: "vnfm-1",
			Fields: map[string]string{"nodes": "compute-1", "attempt": "1", "accepted": "true"}}, true},
		{"one key fails", &spec.EventMatcher{Kind: "vnfm.notify", Actor: "orchestrator",
			Fields: map[string]string{"nodes": "compute-1", "accepted": "false"}}, false},
	}
	// A trace read from disk has other Go types (float64, []any); the
	// answers must not change.
	disk := roundTrip(t, []escalator.Event{e})[0]
	disk.Fields["took"] = e.Fields["took"] // JSON has no durations; keep the one typed case
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Match(tt.m, e), "live event")
			require.Equal(t, tt.want, Match(tt.m, disk), "event read back from NDJSON")
		})
	}
}

func TestMatcherString(t *testing.T) {
	require.Equal(t, "nothing", (*spec.EventMatcher)(nil).String())
	require.Equal(t, "any event", (&spec.EventMatcher{}).String())
	require.Equal(t, "vnfm.notify {nodes: compute-1, type: MaintenanceNotification}",
		(&spec.EventMatcher{Kind: "vnfm.notify", Fields: map[string]string{"type": "MaintenanceNotification", "nodes": "compute-1"}}).String())
	require.Equal(t, "node.upgrade-started compute-1 by nfvi",
		(&spec.EventMatcher{Kind: "node.upgrade-started", Subject: "compute-1", Actor: "nfvi"}).String())
}

// assertTrace is a small session: a notification and its reply, an
// upgrade, a pause with an upgrade inside it, and a failure at the end.
var assertTrace = []escalator.Event{
	ev(1, 0, "orchestrator", "session.state", "s-1", escalator.Fields{"state": "RUNNING"}),
	ev(2, 1*time.Second, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{"type": "MaintenanceNotification", "nodes": []string{"compute-1"}}),
	ev(3, 3*time.Second, "orchestrator", "vnfm.reply", "s-1", escalator.Fields{"accepted": true}),
	ev(4, 4*time.Second, "nfvi", "node.upgrade-started", "compute-1", nil),
	ev(5, 5*time.Second, "orchestrator", "session.state", "s-1", escalator.Fields{"state": "PAUSED"}),
	ev(6, 6*time.Second, "nfvi", "node.upgrade-started", "compute-2", nil),
	ev(7, 7*time.Second, "orchestrator", "session.state", "s-1", escalator.Fields{"state": "RUNNING"}),
	ev(8, 8*time.Second, "nfvi", "node.upgrade-started", "compute-3", nil),
	ev(9, 20*time.Second, "nfvi", "node.state", "compute-3", escalator.Fields{"to": "failed"}),
}

func kindIs(kind string) *spec.EventMatcher { return &spec.EventMatcher{Kind: kind} }

func matcherOf(kind string, fields ...string) *spec.EventMatcher {
	m := &spec.EventMatcher{Kind: kind, Fields: map[string]string{}}
	for i := 0; i+1 < len(fields); i += 2 {
		m.Fields[fields[i]] = fields[i+1]
	}
	return m
}

func within(d time.Duration) *spec.Duration {
	x := spec.Duration(d)
	return &x
}

func TestAssertions(t *testing.T) {
	paused := matcherOf("session.state", "state", "PAUSED")
	running := matcherOf("session.state", "state", "RUNNING")
	tests := []struct {
		name string
		a    spec.AssertionSpec
		// want lists each violation as its message and the Seq of its events;
		// none means the assertion passes.
		want []string
	}{
		{name: "order passes",
			a: spec.AssertionSpec{Before: matcherOf("vnfm.reply", "accepted", "true"), After: &spec.EventMatcher{Kind: "node.upgrade-started", Subject: "compute-1"}}},
		{name: "order passes when after never happens",
			a: spec.AssertionSpec{Before: kindIs("vnfm.reply"), After: kindIs("vm.migrating")}},
		{name: "order fails, and an event is not before itself",
			a: spec.AssertionSpec{Before: &spec.EventMatcher{Kind: "node.upgrade-started", Subject: "compute-3"}, After: kindIs("node.upgrade-started")},
			want: []string{
				"event #4 node.upgrade-started compute-1 came with no node.upgrade-started compute-3 before it [4]",
				"event #6 node.upgrade-started compute-2 came with no node.upgrade-started compute-3 before it [6]",
				"event #8 node.upgrade-started compute-3 came with no node.upgrade-started compute-3 before it [8]",
			}},
		{name: "order fails when before comes after",
			a:    spec.AssertionSpec{Before: matcherOf("node.state", "to", "failed"), After: &spec.EventMatcher{Kind: "node.upgrade-started", Subject: "compute-2"}},
			want: []string{"event #6 node.upgrade-started compute-2 came with no node.state {to: failed} before it [6]"}},
		{name: "never passes",
			a: spec.AssertionSpec{Never: matcherOf("node.state", "to", "maintenance")}},
		{name: "never fails",
			a:    spec.AssertionSpec{Never: matcherOf("node.state", "to", "failed")},
			want: []string{"event #9 node.state compute-3 matched never: node.state {to: failed} [9]"}},
		{name: "never while passes",
			a: spec.AssertionSpec{Never: kindIs("vnfm.reply"), While: &spec.WindowSpec{From: paused, Until: running}}},
		{name: "never while: the window's own edges are outside it",
			a: spec.AssertionSpec{Never: kindIs("session.state"), While: &spec.WindowSpec{From: paused, Until: running}}},
		{name: "never while fails inside the window only",
			a:    spec.AssertionSpec{Never: kindIs("node.upgrade-started"), While: &spec.WindowSpec{From: paused, Until: running}},
			want: []string{"event #6 node.upgrade-started compute-2 matched never: node.upgrade-started inside the window from event #5 session.state s-1 to the next session.state {state: RUNNING} [5 6]"}},
		{name: "never while without until lasts to the end",
			a: spec.AssertionSpec{Never: kindIs("node.upgrade-started"), While: &spec.WindowSpec{From: paused}},
			want: []string{
				"event #6 node.upgrade-started compute-2 matched never: node.upgrade-started inside the window from event #5 session.state s-1 to the end of the trace [5 6]",
				"event #8 node.upgrade-started compute-3 matched never: node.upgrade-started inside the window from event #5 session.state s-1 to the end of the trace [5 8]",
			}},
		{name: "never while reopens",
			a: spec.AssertionSpec{Never: kindIs("node.upgrade-started"), While: &spec.WindowSpec{From: kindIs("session.state"), Until: kindIs("session.state")}},
			want: []string{
				"event #4 node.upgrade-started compute-1 matched never: node.upgrade-started inside the window from event #1 session.state s-1 to the next session.state [1 4]",
				"event #8 node.upgrade-started compute-3 matched never: node.upgrade-started inside the window from event #7 session.state s-1 to the next session.state [7 8]",
			}},
		{name: "within passes on the bound",
			a: spec.AssertionSpec{Within: within(2 * time.Second), From: kindIs("vnfm.notify"), To: kindIs("vnfm.reply")}},
		{name: "within passes when from never happens",
			a: spec.AssertionSpec{Within: within(time.Second), From: kindIs("vm.migrating"), To: kindIs("vnfm.reply")}},
		{name: "within fails late",
			a:    spec.AssertionSpec{Within: within(time.Second), From: kindIs("vnfm.notify"), To: kindIs("vnfm.reply")},
			want: []string{"event #2 vnfm.notify vnfm-1 was followed by event #3 vnfm.reply s-1 2s later, wants within 1s [2 3]"}},
		{name: "within fails with nothing after",
			a:    spec.AssertionSpec{Within: within(time.Minute), From: matcherOf("node.state", "to", "failed"), To: kindIs("session.state")},
			want: []string{"event #9 node.state compute-3 was followed by no session.state (wants one within 1m0s) [9]"}},
		{name: "within checks every from",
			a: spec.AssertionSpec{Within: within(13 * time.Second), From: kindIs("node.upgrade-started"), To: matcherOf("node.state", "to", "failed")},
			want: []string{
				"event #4 node.upgrade-started compute-1 was followed by event #9 node.state compute-3 16s later, wants within 13s [4 9]",
				"event #6 node.upgrade-started compute-2 was followed by event #9 node.state compute-3 14s later, wants within 13s [6 9]",
			}},
		{name: "count passes",
			a: spec.AssertionSpec{Count: kindIs("node.upgrade-started"), Is: "== 3"}},
		{name: "count with a wildcard",
			a: spec.AssertionSpec{Count: kindIs("node.*"), Is: ">= 4"}},
		{name: "count of nothing",
			a: spec.AssertionSpec{Count: kindIs("vm.migrating"), Is: "== 0"}},
		{name: "count fails",
			a:    spec.AssertionSpec{Count: kindIs("node.upgrade-started"), Is: "< 3"},
			want: []string{"3 events matched node.upgrade-started, wants < 3 []"}},
		{name: "count fails !=",
			a:    spec.AssertionSpec{Count: matcherOf("session.state", "state", "RUNNING"), Is: "!= 2"},
			want: []string{"2 events matched session.state {state: RUNNING}, wants != 2 []"}},
		{name: "incomplete, built in code",
			a:    spec.AssertionSpec{Within: within(time.Second), From: kindIs("vnfm.notify")},
			want: []string{"the assertion is incomplete: no to []"}},
		{name: "empty, built in code",
			a:    spec.AssertionSpec{},
			want: []string{"the assertion is incomplete: it has none of before/after, never, within/from/to or count/is []"}},
		{name: "bad count, built in code",
			a:    spec.AssertionSpec{Count: kindIs("vnfm.notify"), Is: "six"},
			want: []string{`invalid count "six" (hint: write an operator and a whole number, e.g. "== 6"; the operators are ==, !=, <, <=, >, >=) []`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.Name = "x"
			for _, events := range [][]escalator.Event{assertTrace, roundTrip(t, assertTrace)} {
				r := judgeAssertion(&tt.a, events)
				require.Equal(t, "assert:x", r.Name)
				var got []string
				for _, v := range r.Violations {
					seqs := make([]string, len(v.Events))
					for i, e := range v.Events {
						seqs[i] = strings.TrimPrefix(strings.Fields(e.String())[0], "#")
					}
					got = append(got, v.Message+" ["+strings.Join(seqs, " ")+"]")
				}
				require.Equal(t, tt.want, got)
				if len(tt.want) == 0 {
					require.Equal(t, CheckPassed, r.Status)
				} else {
					require.Equal(t, CheckFailed, r.Status)
				}
			}
		})
	}
}

func TestAssertionViolationsCapped(t *testing.T) {
	var events []escalator.Event
	for i := range 8 {
		events = append(events, ev(int64(i+1), time.Duration(i)*time.Second, "nfvi", "node.upgrade-started", "n", nil))
	}
	r := judgeAssertion(&spec.AssertionSpec{Name: "x", Never: kindIs("node.upgrade-started")}, events)
	require.Len(t, r.Violations, maxViolations+1)
	require.Equal(t, "... and 3 more", r.Violations[maxViolations].Message)
}

// metricTrace is a hand-made trace whose metrics are worked out by hand
// in TestMetrics.
var metricTrace = []escalator.Event{
	ev(1, 0, "orchestrator", "session.created", "s-1", escalator.Fields{"targetVersion": "2.0", "nodes": []string{"c1", "c2", "c3"}}),
	ev(2, 0, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{"type": "MaintenanceNotification", "notificationId": "n1"}),
	ev(3, 0, "vim", "delivery.attempt", "sub-1", escalator.Fields{"notificationId": "n1", "attempt": 1, "error": "the subscriber answered 500"}),
	ev(4, time.Second, "vim", "delivery.attempt", "sub-1", escalator.Fields{"notificationId": "n1", "attempt": 2, "status": 204}),
	ev(5, 3*time.Second, "orchestrator", "vnfm.reply", "s-1", escalator.Fields{"notificationId": "n1", "accepted": true}),  // latency 3s
	ev(6, 4*time.Second, "orchestrator", "vnfm.reply", "s-1", escalator.Fields{"notificationId": "n1", "accepted": false}), // refused
	ev(7, 4*time.Second, "nfvi", "vm.migrating", "vm-1", escalator.Fields{"from": "c1", "to": "c2", "live": true}),         //
	ev(8, 5*time.Second, "traffic", "service.interruption", "mme", escalator.Fields{"duration": "1.5s", "lost": 150.0}),    // the longest
	ev(9, 10*time.Minute, "nfvi", "node.version", "c1", escalator.Fields{"from": "1.0", "to": "2.0"}),                      // upgraded
	ev(10, 10*time.Minute, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{"type": "NodeAvailableNotification", "notificationId": "n2"}),
	ev(11, 10*time.Minute, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{"type": "MaintenanceNotification", "notificationId": "n3"}),
	ev(12, 10*time.Minute+time.Second, "orchestrator", "vnfm.reply", "s-1", escalator.Fields{"notificationId": "n3", "accepted": true}), // latency 1s
	ev(13, 10*time.Minute+2*time.Second, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{"type": "MaintenanceNotification", "notificationId": "n4"}),
	ev(14, 10*time.Minute+2*time.Second, "traffic", "service.interruption", "web", escalator.Fields{"duration": "250ms", "lost": 20.5}),
	ev(15, 10*time.Minute+30*time.Second, "vim", "delivery.failed", "sub-1", escalator.Fields{"notificationId": "n4"}),
	ev(16, 10*time.Minute+30*time.Second, "spec", "spec.violation", "vnfm-1", escalator.Fields{"spec": "vim"}),
	ev(17, 20*time.Minute, "nfvi", "node.version", "c2", escalator.Fields{"from": "1.0", "to": "2.0"}),        // upgraded
	ev(18, 21*time.Minute, "nfvi", "node.version", "c2", escalator.Fields{"from": "2.0", "to": "2.0"}),        // the same node again
	ev(19, 22*time.Minute, "nfvi", "node.version", "c3", escalator.Fields{"from": "1.0", "to": "1.0"}),        // a rollback's reinstall
	ev(20, 22*time.Minute, "orchestrator", "session.state", "s-1", escalator.Fields{"state": "ROLLING_BACK"}), // not final
	ev(21, 25*time.Minute, "orchestrator", "session.state", "s-1", escalator.Fields{"state": "COMPLETED"}),    // final: 1500s
	ev(22, 26*time.Minute, "orchestrator", "session.state", "s-2", escalator.Fields{"state": "FAILED"}),       // another session
	ev(23, 30*time.Minute, "traffic", "service.summary", "mme", escalator.Fields{"lost": 150.0, "interruptions": 1}),
	ev(24, 30*time.Minute, "traffic", "service.summary", "web", escalator.Fields{"lost": 20.5, "interruptions": 1}),
}

func TestMetrics(t *testing.T) {
	want := map[string]float64{
		"lostRequests":     170.5,
		"lostRequests.mme": 150,
		"lostRequests.web": 20.5,
		"interruptions":    2,
		"maxInterruption":  1.5,
		"upgradeDuration":  1500,
		"notifications":    4,
		"replies":          3,
		"rejectedReplies":  1,
		"migrations":       1,
		"deliveryAttempts": 2,
		"deliveryFailures": 1,
		"specViolations":   1,
		"nodesUpgraded":    2,
		// latencies 1s and 3s; nearest rank: p50 is the 1st of 2, the rest the 2nd
		"replyLatency.p50": 1,
		"replyLatency.p90": 3,
		"replyLatency.p95": 3,
		"replyLatency.p99": 3,
		"replyLatency.max": 3,
		"replyLatency.avg": 2,
	}
	require.Equal(t, want, Metrics(metricTrace))
	require.Equal(t, want, Metrics(roundTrip(t, metricTrace)), "a trace read from disk")
	names := SortedMetricNames(want)
	require.True(t, sort.StringsAreSorted(names))
	require.Len(t, names, len(want))
}

func TestMetricsOfAnEmptyTrace(t *testing.T) {
	m := Metrics(nil)
	for _, name := range MetricNames {
		switch {
		case name == MetricUpgradeDuration || strings.HasPrefix(name, MetricReplyLatency+"."):
			require.NotContains(t, m, name)
		default:
			require.Contains(t, m, name)
			require.Zero(t, m[name], name)
		}
	}
}

func TestMetricNames(t *testing.T) {
	require.True(t, sort.StringsAreSorted(MetricNames))
	require.Equal(t, []string{
		"deliveryAttempts", "deliveryFailures", "interruptions", "lostRequests", "maxInterruption",
		"migrations", "nodesUpgraded", "notifications", "rejectedReplies", "replies",
		"replyLatency.avg", "replyLatency.max", "replyLatency.p50", "replyLatency.p90",
		"replyLatency.p95", "replyLatency.p99", "specViolations", "upgradeDuration",
	}, MetricNames)
	// Every name the trace can yield is known or a service's loss.
	for name := range Metrics(metricTrace) {
		require.True(t, slices.Contains(MetricNames, name) || strings.HasPrefix(name, MetricLostPrefix), name)
	}
}

func TestFormatMetric(t *testing.T) {
	require.Equal(t, "1.5s", FormatMetric("maxInterruption", 1.5))
	require.Equal(t, "31m34s", FormatMetric("upgradeDuration", 1894))
	require.Equal(t, "1.001s", FormatMetric("replyLatency.p99", 1.0005))
	require.Equal(t, "0s", FormatMetric("replyLatency.p99", 0))
	require.Equal(t, "170.5", FormatMetric("lostRequests", 170.5))
	require.Equal(t, "7", FormatMetric("notifications", 7))
}

func TestPercentiles(t *testing.T) {
	for _, tt := range []struct {
		n    int
		p    float64
		want int
	}{
		{1, 50, 0}, {1, 99, 0},
		{2, 50, 0}, {2, 90, 1},
		{10, 50, 4}, {10, 90, 8}, {10, 95, 9}, {10, 99, 9},
		{100, 50, 49}, {100, 99, 98},
		{200, 99, 197}, {200, 95, 189},
	} {
		require.Equal(t, tt.want, percentileIndex(tt.n, tt.p), "n=%d p%v", tt.n, tt.p)
	}

	// Ten answered notifications, 1 s to 10 s, in no particular order.
	var events []escalator.Event
	seq := int64(0)
	for i, secs := range []int{7, 3, 10, 1, 9, 5, 2, 8, 6, 4} {
		id := string(rune('a' + i))
		at := time.Duration(i) * time.Minute
		seq++
		events = append(events, ev(seq, at, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{"type": "MaintenanceNotification", "notificationId": id}))
		seq++
		events = append(events, ev(seq, at+time.Duration(secs)*time.Second, "orchestrator", "vnfm.reply", "s", escalator.Fields{"notificationId": id, "accepted": true}))
	}
	m := Metrics(events)
	require.Equal(t, 5.0, m["replyLatency.p50"])
	require.Equal(t, 9.0, m["replyLatency.p90"])
	require.Equal(t, 10.0, m["replyLatency.p95"])
	require.Equal(t, 10.0, m["replyLatency.p99"])
	require.Equal(t, 10.0, m["replyLatency.max"])
	require.Equal(t, 5.5, m["replyLatency.avg"])
	// p90 cites the notification and reply that took 9 s.
	ms := computeMetrics(events, nil)
	ev90 := ms.evidence["replyLatency.p90"]
	require.Len(t, ev90, 2)
	require.Equal(t, 9*time.Second, ev90[1].At-ev90[0].At)
}

func TestThresholds(t *testing.T) {
	ms := computeMetrics(metricTrace, nil)
	empty := computeMetrics(nil, nil)
	tests := []struct {
		metric, expr string
		ms           *metricSet
		want         string // "" passes
		events       []int64
	}{
		{"lostRequests", "< 200", ms, "", nil},
		{"lostRequests", "== 0", ms, "lostRequests was 170.5, wants == 0", []int64{23, 24}},
		{"lostRequests.web", "<= 20.5", ms, "", nil},
		{"lostRequests.web", "< 20", ms, "lostRequests.web was 20.5, wants < 20", []int64{24}},
		{"lostRequests.hss", "== 0", ms, "lostRequests.hss has no value: no service hss in the trace; wants == 0", nil},
		{"maxInterruption", "< 2s", ms, "", nil},
		{"maxInterruption", "<= 1500ms", ms, "", nil},
		{"maxInterruption", "< 1s", ms, "maxInterruption was 1.5s, wants < 1s", []int64{8}},
		{"maxInterruption", "== 0", empty, "", nil},
		{"maxInterruption", "> 0", ms, "", nil},
		{"upgradeDuration", "< 2h", ms, "", nil},
		{"upgradeDuration", "< 20m", ms, "upgradeDuration was 25m0s, wants < 20m", []int64{1, 21}},
		{"upgradeDuration", "< 2h", empty, "upgradeDuration has no value: the session never reached a final state; wants < 2h", nil},
		{"replyLatency.p50", "<= 1s", ms, "", nil},
		{"replyLatency.p99", "< 500ms", ms, "replyLatency.p99 was 3s, wants < 500ms", []int64{2, 5}},
		{"replyLatency.avg", "!= 2s", ms, "replyLatency.avg was 2s, wants != 2s", []int64{2, 5}},
		{"replyLatency.p99", "< 500ms", empty, "replyLatency.p99 has no value: no accepted replies to a maintenance notification; wants < 500ms", nil},
		{"notifications", ">= 4", ms, "", nil},
		{"notifications", "> 4", ms, "notifications was 4, wants > 4", []int64{2, 10, 11}},
		{"rejectedReplies", "== 0", ms, "rejectedReplies was 1, wants == 0", []int64{6}},
		{"nodesUpgraded", "== 2", ms, "", nil},
		{"specViolations", "== 0", empty, "", nil},
		{"throughput", "> 0", ms, "throughput has no value: unknown metric; wants > 0", nil},
		{"lostRequests", "0", ms, `invalid threshold "0" (hint: write an operator and a value, e.g. "< 100"; the operators are ==, !=, <, <=, >, >=)`, nil},
		{"maxInterruption", "< 1", ms, `duration 1 has no unit (hint: maxInterruption is a duration; add a unit, e.g. "< 1s")`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.metric+" "+tt.expr, func(t *testing.T) {
			r := judgeThreshold(tt.metric, tt.expr, tt.ms)
			require.Equal(t, "threshold:"+tt.metric, r.Name)
			if tt.want == "" {
				require.Equal(t, CheckPassed, r.Status, "%v", r.Violations)
				return
			}
			require.Equal(t, CheckFailed, r.Status)
			require.Len(t, r.Violations, 1)
			require.Equal(t, tt.want, r.Violations[0].Message)
			var seqs []int64
			for _, e := range r.Violations[0].Events {
				seqs = append(seqs, e.Seq)
			}
			require.Equal(t, tt.events, seqs)
		})
	}
}

func TestParseComparison(t *testing.T) {
	for _, tt := range []struct {
		metric, expr string
		op           string
		value        float64
	}{
		{"lostRequests", "== 0", "==", 0},
		{"lostRequests", "<100", "<", 100},
		{"lostRequests", "  >=  1.5 ", ">=", 1.5},
		{"lostRequests", "!= -1", "!=", -1},
		{"maxInterruption", "< 1s", "<", 1},
		{"maxInterruption", "<= 500ms", "<=", 0.5},
		{"upgradeDuration", "> 1h30m", ">", 5400},
		{"upgradeDuration", "== 0", "==", 0},
	} {
		c, bad := parseThreshold(tt.metric, tt.expr)
		require.Nil(t, bad, tt.expr)
		require.Equal(t, tt.op, c.op, tt.expr)
		require.Equal(t, tt.value, c.value, tt.expr)
	}
	for _, expr := range []string{"", "0", "=< 0", "= 0", "<", "< ", "== inf", "== 0x10", "== NaN", "~ 5"} {
		_, bad := parseThreshold("lostRequests", expr)
		require.NotNil(t, bad, "%q", expr)
	}
	for _, expr := range []string{"< 1", "< -1s", "< 1 hour", "< 1d"} {
		_, bad := parseThreshold("upgradeDuration", expr)
		require.NotNil(t, bad, "%q", expr)
	}
	for _, expr := range []string{"6", "== 6.5", "== -1", "== 1e3", "=="} {
		_, bad := parseCount(expr)
		require.NotNil(t, bad, "%q", expr)
	}
	c, bad := parseCount(">= 12")
	require.Nil(t, bad)
	require.True(t, c.holds(12))
	require.False(t, c.holds(11))
}

// TestJudgeAppendsExpectations: thresholds (by metric) and assertions (in
// order) come after the built-in checks, and Verdict counts them.
func TestJudgeAppendsExpectations(t *testing.T) {
	s := &spec.Scenario{Expect: spec.ExpectSpec{
		Outcome:    spec.OutcomeCompleted,
		Thresholds: map[string]string{"upgradeDuration": "< 1h", "lostRequests": "== 0"},
		Assertions: []spec.AssertionSpec{
			{Name: "b", Never: matcherOf("node.state", "to", "failed")},
			{Name: "a", Count: kindIs("node.version"), Is: "== 4"},
		},
	}}
	checks := Judge(s, metricTrace)
	builtin := len(CheckNames) + 1
	require.Len(t, checks, builtin+4)
	var names []string
	for _, c := range checks[builtin:] {
		names = append(names, c.Name+" "+c.Status)
	}
	require.Equal(t, []string{
		"threshold:lostRequests failed", "threshold:upgradeDuration passed", "assert:b passed", "assert:a passed",
	}, names)

	// Only the expectations decide here: the built-ins are for a real run.
	only := func(checks []CheckResult) []CheckResult {
		return checks[builtin:]
	}
	require.Equal(t, VerdictFail, Verdict(s, only(checks)))
	s.Expect.Violations = []string{"threshold:lostRequests"}
	require.Equal(t, VerdictXFail, Verdict(s, only(checks)))
	s.Expect.Violations = []string{"threshold:lostRequests", "assert:a"}
	require.Equal(t, VerdictFail, Verdict(s, only(checks)))
}
