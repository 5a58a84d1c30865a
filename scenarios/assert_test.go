package scenarios

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
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
		m    *EventMatcher
		want bool
	}{
		{"nil matches nothing", nil, false},
		{"empty matches anything", &EventMatcher{}, true},
		{"kind", &EventMatcher{Kind: "vnfm.notify"}, true},
		{"other kind", &EventMatcher{Kind: "vnfm.notif"}, false},
		{"wildcard", &EventMatcher{Kind: "vnfm.*"}, true},
		{"wildcard on the whole kind", &EventMatcher{Kind: "vnfm.notify*"}, true},
		{"wildcard is a prefix, not a segment", &EventMatcher{Kind: "vnf.*"}, false},
		{"wildcard without a dot", &EventMatcher{Kind: "vnf*"}, true},
		{"star alone", &EventMatcher{Kind: "*"}, true},
		{"actor", &EventMatcher{Actor: "orchestrator"}, true},
		{"other actor", &EventMatcher{Actor: "vnfm"}, false},
		{"subject", &EventMatcher{Kind: "vnfm.notify", Subject: "vnfm-1"}, true},
		{"other subject", &EventMatcher{Kind: "vnfm.notify", Subject: "vnfm-2"}, false},
		{"string field", &EventMatcher{Fields: map[string]string{"type": "MaintenanceNotification"}}, true},
		{"string field is case-sensitive", &EventMatcher{Fields: map[string]string{"type": "maintenancenotification"}}, false},
		{"string field is exact", &EventMatcher{Fields: map[string]string{"replyWithin": "60s"}}, false},
		{"string that looks like a number", &EventMatcher{Fields: map[string]string{"version": "2.0"}}, true},
		{"string that looks like a number is not one", &EventMatcher{Fields: map[string]string{"version": "2"}}, false},
		{"list member", &EventMatcher{Fields: map[string]string{"nodes": "compute-2"}}, true},
		{"not a list member", &EventMatcher{Fields: map[string]string{"nodes": "compute-3"}}, false},
		{"mixed list string member", &EventMatcher{Fields: map[string]string{"mixed": "a"}}, true},
		{"mixed list number member", &EventMatcher{Fields: map[string]string{"mixed": "2"}}, true},
		{"mixed list bool member", &EventMatcher{Fields: map[string]string{"mixed": "true"}}, true},
		{"mixed list non-member", &EventMatcher{Fields: map[string]string{"mixed": "b"}}, false},
		{"int field", &EventMatcher{Fields: map[string]string{"attempt": "1"}}, true},
		{"int field, written as a float", &EventMatcher{Fields: map[string]string{"attempt": "1.0"}}, true},
		{"int field, other number", &EventMatcher{Fields: map[string]string{"attempt": "2"}}, false},
		{"int field, not a number", &EventMatcher{Fields: map[string]string{"attempt": "one"}}, false},
		{"int field, hex is no number", &EventMatcher{Fields: map[string]string{"attempt": "0x1"}}, false},
		{"float field", &EventMatcher{Fields: map[string]string{"lost": "20.50"}}, true},
		{"float field, other number", &EventMatcher{Fields: map[string]string{"lost": "20"}}, false},
		{"bool field", &EventMatcher{Fields: map[string]string{"accepted": "true"}}, true},
		{"bool field, false", &EventMatcher{Fields: map[string]string{"accepted": "false"}}, false},
		{"bool field, not a bool", &EventMatcher{Fields: map[string]string{"accepted": "yes"}}, false},
		{"duration field", &EventMatcher{Fields: map[string]string{"took": "1.5s"}}, true},
		{"duration field, other duration", &EventMatcher{Fields: map[string]string{"took": "1s"}}, false},
		{"absent field", &EventMatcher{Fields: map[string]string{"error": ""}}, false},
		{"every key must hold", &EventMatcher{Kind: "vnfm.notify", Actor: "orchestrator", Subject: "vnfm-1",
			Fields: map[string]string{"nodes": "compute-1", "attempt": "1", "accepted": "true"}}, true},
		{"one key fails", &EventMatcher{Kind: "vnfm.notify", Actor: "orchestrator",
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
	require.Equal(t, "nothing", (*EventMatcher)(nil).String())
	require.Equal(t, "any event", (&EventMatcher{}).String())
	require.Equal(t, "vnfm.notify {nodes: compute-1, type: MaintenanceNotification}",
		(&EventMatcher{Kind: "vnfm.notify", Fields: map[string]string{"type": "MaintenanceNotification", "nodes": "compute-1"}}).String())
	require.Equal(t, "node.upgrade-started compute-1 by nfvi",
		(&EventMatcher{Kind: "node.upgrade-started", Subject: "compute-1", Actor: "nfvi"}).String())
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

func kindIs(kind string) *EventMatcher { return &EventMatcher{Kind: kind} }

func matcherOf(kind string, fields ...string) *EventMatcher {
	m := &EventMatcher{Kind: kind, Fields: map[string]string{}}
	for i := 0; i+1 < len(fields); i += 2 {
		m.Fields[fields[i]] = fields[i+1]
	}
	return m
}

func within(d time.Duration) *Duration {
	x := Duration(d)
	return &x
}

func TestAssertions(t *testing.T) {
	paused := matcherOf("session.state", "state", "PAUSED")
	running := matcherOf("session.state", "state", "RUNNING")
	tests := []struct {
		name string
		a    AssertionSpec
		// want lists each violation as its message and the Seq of its events;
		// none means the assertion passes.
		want []string
	}{
		{name: "order passes",
			a: AssertionSpec{Before: matcherOf("vnfm.reply", "accepted", "true"), After: &EventMatcher{Kind: "node.upgrade-started", Subject: "compute-1"}}},
		{name: "order passes when after never happens",
			a: AssertionSpec{Before: kindIs("vnfm.reply"), After: kindIs("vm.migrating")}},
		{name: "order fails, and an event is not before itself",
			a: AssertionSpec{Before: &EventMatcher{Kind: "node.upgrade-started", Subject: "compute-3"}, After: kindIs("node.upgrade-started")},
			want: []string{
				"event #4 node.upgrade-started compute-1 came with no node.upgrade-started compute-3 before it [4]",
				"event #6 node.upgrade-started compute-2 came with no node.upgrade-started compute-3 before it [6]",
				"event #8 node.upgrade-started compute-3 came with no node.upgrade-started compute-3 before it [8]",
			}},
		{name: "order fails when before comes after",
			a:    AssertionSpec{Before: matcherOf("node.state", "to", "failed"), After: &EventMatcher{Kind: "node.upgrade-started", Subject: "compute-2"}},
			want: []string{"event #6 node.upgrade-started compute-2 came with no node.state {to: failed} before it [6]"}},
		{name: "never passes",
			a: AssertionSpec{Never: matcherOf("node.state", "to", "maintenance")}},
		{name: "never fails",
			a:    AssertionSpec{Never: matcherOf("node.state", "to", "failed")},
			want: []string{"event #9 node.state compute-3 matched never: node.state {to: failed} [9]"}},
		{name: "never while passes",
			a: AssertionSpec{Never: kindIs("vnfm.reply"), While: &WindowSpec{From: paused, Until: running}}},
		{name: "never while: the window's own edges are outside it",
			a: AssertionSpec{Never: kindIs("session.state"), While: &WindowSpec{From: paused, Until: running}}},
		{name: "never while fails inside the window only",
			a:    AssertionSpec{Never: kindIs("node.upgrade-started"), While: &WindowSpec{From: paused, Until: running}},
			want: []string{"event #6 node.upgrade-started compute-2 matched never: node.upgrade-started inside the window from event #5 session.state s-1 to the next session.state {state: RUNNING} [5 6]"}},
		{name: "never while without until lasts to the end",
			a: AssertionSpec{Never: kindIs("node.upgrade-started"), While: &WindowSpec{From: paused}},
			want: []string{
				"event #6 node.upgrade-started compute-2 matched never: node.upgrade-started inside the window from event #5 session.state s-1 to the end of the trace [5 6]",
				"event #8 node.upgrade-started compute-3 matched never: node.upgrade-started inside the window from event #5 session.state s-1 to the end of the trace [5 8]",
			}},
		{name: "never while reopens",
			a: AssertionSpec{Never: kindIs("node.upgrade-started"), While: &WindowSpec{From: kindIs("session.state"), Until: kindIs("session.state")}},
			want: []string{
				"event #4 node.upgrade-started compute-1 matched never: node.upgrade-started inside the window from event #1 session.state s-1 to the next session.state [1 4]",
				"event #8 node.upgrade-started compute-3 matched never: node.upgrade-started inside the window from event #7 session.state s-1 to the next session.state [7 8]",
			}},
		{name: "within passes on the bound",
			a: AssertionSpec{Within: within(2 * time.Second), From: kindIs("vnfm.notify"), To: kindIs("vnfm.reply")}},
		{name: "within passes when from never happens",
			a: AssertionSpec{Within: within(time.Second), From: kindIs("vm.migrating"), To: kindIs("vnfm.reply")}},
		{name: "within fails late",
			a:    AssertionSpec{Within: within(time.Second), From: kindIs("vnfm.notify"), To: kindIs("vnfm.reply")},
			want: []string{"event #2 vnfm.notify vnfm-1 was followed by event #3 vnfm.reply s-1 2s later, wants within 1s [2 3]"}},
		{name: "within fails with nothing after",
			a:    AssertionSpec{Within: within(time.Minute), From: matcherOf("node.state", "to", "failed"), To: kindIs("session.state")},
			want: []string{"event #9 node.state compute-3 was followed by no session.state (wants one within 1m0s) [9]"}},
		{name: "within checks every from",
			a: AssertionSpec{Within: within(13 * time.Second), From: kindIs("node.upgrade-started"), To: matcherOf("node.state", "to", "failed")},
			want: []string{
				"event #4 node.upgrade-started compute-1 was followed by event #9 node.state compute-3 16s later, wants within 13s [4 9]",
				"event #6 node.upgrade-started compute-2 was followed by event #9 node.state compute-3 14s later, wants within 13s [6 9]",
			}},
		{name: "count passes",
			a: AssertionSpec{Count: kindIs("node.upgrade-started"), Is: "== 3"}},
		{name: "count with a wildcard",
			a: AssertionSpec{Count: kindIs("node.*"), Is: ">= 4"}},
		{name: "count of nothing",
			a: AssertionSpec{Count: kindIs("vm.migrating"), Is: "== 0"}},
		{name: "count fails",
			a:    AssertionSpec{Count: kindIs("node.upgrade-started"), Is: "< 3"},
			want: []string{"3 events matched node.upgrade-started, wants < 3 []"}},
		{name: "count fails !=",
			a:    AssertionSpec{Count: matcherOf("session.state", "state", "RUNNING"), Is: "!= 2"},
			want: []string{"2 events matched session.state {state: RUNNING}, wants != 2 []"}},
		{name: "incomplete, built in code",
			a:    AssertionSpec{Within: within(time.Second), From: kindIs("vnfm.notify")},
			want: []string{"the assertion is incomplete: no to []"}},
		{name: "empty, built in code",
			a:    AssertionSpec{},
			want: []string{"the assertion is incomplete: it has none of before/after, never, within/from/to or count/is []"}},
		{name: "bad count, built in code",
			a:    AssertionSpec{Count: kindIs("vnfm.notify"), Is: "six"},
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
	r := judgeAssertion(&AssertionSpec{Name: "x", Never: kindIs("node.upgrade-started")}, events)
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

const expectBase = `name: t
nodes: {count: 2}
vnfs: [{name: mme, mode: active-standby}]
upgrade: {targetVersion: "2.0"}
expect:
`

// expectBadCases: the expect: sections the loader must reject, each with
// the complete error it must print (the file starts with expectBase, so
// expect: is line 5).
var expectBadCases = []struct {
	name string
	in   string
	want string
}{
	{"unknown metric", `  thresholds: {lostRequestz: "== 0"}`,
		`bad.yaml:6:16: expect.thresholds.lostRequestz: unknown metric "lostRequestz" (hint: did you mean "lostRequests"?)`},
	{"unknown metric, nothing close", `  thresholds: {throughput: "> 5"}`,
		`bad.yaml:6:16: expect.thresholds.throughput: unknown metric "throughput" (hint: the metrics are deliveryAttempts, deliveryFailures, interruptions, lostRequests, maxInterruption, migrations, nodesUpgraded, notifications, rejectedReplies, replies, replyLatency.avg, replyLatency.max, replyLatency.p50, replyLatency.p90, replyLatency.p95, replyLatency.p99, specViolations, upgradeDuration and lostRequests.<service>)`},
	{"unknown percentile", `  thresholds: {replyLatency.p98: "< 1s"}`,
		`bad.yaml:6:16: expect.thresholds."replyLatency.p98": unknown metric "replyLatency.p98" (hint: did you mean "replyLatency.p90"?)`},
	{"unknown service", `  thresholds: {lostRequests.mmf: "== 0"}`,
		`bad.yaml:6:16: expect.thresholds."lostRequests.mmf": unknown service "mmf" (hint: did you mean "lostRequests.mme"?)`},
	{"threshold without an operator", `  thresholds: {lostRequests: "0"}`,
		`bad.yaml:6:30: expect.thresholds.lostRequests: invalid threshold "0" (hint: write an operator and a value, e.g. "< 100"; the operators are ==, !=, <, <=, >, >=)`},
	{"threshold with a bad operator", `  thresholds: {lostRequests: "=< 0"}`,
		`bad.yaml:6:30: expect.thresholds.lostRequests: invalid threshold "=< 0" (hint: write an operator and a value, e.g. "< 100"; the operators are ==, !=, <, <=, >, >=)`},
	{"duration threshold without a unit", `  thresholds: {maxInterruption: "< 1"}`,
		`bad.yaml:6:33: expect.thresholds.maxInterruption: duration 1 has no unit (hint: maxInterruption is a duration; add a unit, e.g. "< 1s")`},
	{"bad duration", `  thresholds: {upgradeDuration: "< 2 hours"}`,
		`bad.yaml:6:33: expect.thresholds.upgradeDuration: invalid duration "2 hours" (hint: write it the Go way, e.g. 500ms, 30s, 10m or 1h30m)`},
	{"unit on a count", `  thresholds: {lostRequests: "< 10s"}`,
		`bad.yaml:6:30: expect.thresholds.lostRequests: invalid number "10s" (hint: lostRequests is a count, not a duration; write a plain number, e.g. "< 100")`},
	{"thresholds not a mapping", `  thresholds: [lostRequests]`,
		`bad.yaml:6:15: expect.thresholds: expected a mapping, got a list`},
	{"two kinds at once", `  assertions:
    - name: a
      count: {kind: vnfm.notify}
      never: {kind: vnfm.notify}`,
		`bad.yaml:9:7: expect.assertions[0].never: never cannot go with count in one assertion (hint: an assertion is one of before/after, never/while, within/from/to or count/is; split it in two)`},
	{"before without after", `  assertions:
    - name: a
      before: {kind: vnfm.notify}`,
		`bad.yaml:8:7: expect.assertions[0].before: before without after (hint: every event matching after must have an event matching before earlier in the trace)`},
	{"after without before", `  assertions:
    - name: a
      after: {kind: vnfm.notify}`,
		`bad.yaml:8:7: expect.assertions[0].after: after without before (hint: every event matching after must have an event matching before earlier in the trace)`},
	{"within without a unit", `  assertions:
    - name: a
      within: 5
      from: {kind: vnfm.notify}
      to: {kind: vnfm.reply}`,
		`bad.yaml:8:15: expect.assertions[0].within: duration 5 has no unit (hint: add a unit, e.g. 30s)`},
	{"within of zero", `  assertions:
    - name: a
      within: 0s
      from: {kind: vnfm.notify}
      to: {kind: vnfm.reply}`,
		`bad.yaml:8:15: expect.assertions[0].within: must be greater than 0`},
	{"within without a value", `  assertions:
    - name: a
      within:
      from: {kind: vnfm.notify}
      to: {kind: vnfm.reply}`,
		`bad.yaml:8:14: expect.assertions[0].within: must not be empty (hint: write a duration, e.g. 5s)`},
	{"within without to", `  assertions:
    - name: a
      within: 5s
      from: {kind: vnfm.notify}`,
		`bad.yaml:8:7: expect.assertions[0].within: within without to (hint: every event matching from must be followed by one matching to within the duration, e.g. within: 5s)`},
	{"from alone", `  assertions:
    - name: a
      from: {kind: vnfm.notify}`,
		`bad.yaml:8:7: expect.assertions[0].from: from without within and to (hint: every event matching from must be followed by one matching to within the duration, e.g. within: 5s)`},
	{"duplicate name", `  assertions:
    - name: a
      never: {kind: vnfm.notify}
    - name: a
      never: {kind: vnfm.reply}`,
		`bad.yaml:9:13: expect.assertions[1].name: assertion "a" is already defined at line 7`},
	{"bad name", `  assertions:
    - name: No_Good
      never: {kind: vnfm.notify}`,
		`bad.yaml:7:13: expect.assertions[0].name: invalid assertion name "No_Good" (hint: use lower-case letters, digits and dashes, e.g. reply-before-upgrade)`},
	{"no name", `  assertions:
    - never: {kind: vnfm.notify}`,
		`bad.yaml:7:7: expect.assertions[0].name: required field is missing`},
	{"unknown matcher key", `  assertions:
    - name: a
      never: {kind: vnfm.notify, feilds: {type: x}}`,
		`bad.yaml:8:34: expect.assertions[0].never.feilds: unknown field (hint: did you mean "fields"?)`},
	{"unknown assertion key", `  assertions:
    - name: a
      nevr: {kind: vnfm.notify}`,
		`bad.yaml:8:7: expect.assertions[0].nevr: unknown field (hint: did you mean "never"?)`},
	{"unknown kind", `  assertions:
    - name: a
      never: {kind: node.upgrade-start}`,
		`bad.yaml:8:21: expect.assertions[0].never.kind: unknown event kind "node.upgrade-start" (hint: did you mean "node.upgrade-started"?)`},
	{"star inside a kind", `  assertions:
    - name: a
      never: {kind: "vnfm.*.x"}`,
		`bad.yaml:8:21: expect.assertions[0].never.kind: invalid kind "vnfm.*.x" (hint: a "*" may only end the kind, as in vnfm.*)`},
	{"wildcard matching no kind", `  assertions:
    - name: a
      never: {kind: "vmf.*"}`,
		`bad.yaml:8:21: expect.assertions[0].never.kind: no event kind starts with "vmf." (hint: see the trace vocabulary in docs/ARCHITECTURE.md)`},
	{"unknown actor", `  assertions:
    - name: a
      never: {actor: vnfmm}`,
		`bad.yaml:8:22: expect.assertions[0].never.actor: unknown actor "vnfmm" (hint: did you mean "vnfm"?)`},
	{"empty matcher", `  assertions:
    - name: a
      never: {}`,
		`bad.yaml:8:14: expect.assertions[0].never: an empty event matcher matches every event (hint: give at least one of kind, actor, subject and fields)`},
	{"null matcher", `  assertions:
    - name: a
      never:`,
		`bad.yaml:8:13: expect.assertions[0].never: must not be empty (hint: write an event matcher, e.g. {kind: node.state, fields: {to: failed}})`},
	{"list as a field value", `  assertions:
    - name: a
      never: {kind: vnfm.notify, fields: {nodes: [a, b]}}`,
		`bad.yaml:8:50: expect.assertions[0].never.fields.nodes: expected a string, got a list`},
	{"nothing to check", `  assertions:
    - name: a`,
		`bad.yaml:7:7: expect.assertions[0]: the assertion has nothing to check (hint: give before and after, never (with an optional while), within with from and to, or count with is)`},
	{"count without an operator", `  assertions:
    - name: a
      count: {kind: vnfm.notify}
      is: "6"`,
		`bad.yaml:9:11: expect.assertions[0].is: invalid count "6" (hint: write an operator and a whole number, e.g. "== 6"; the operators are ==, !=, <, <=, >, >=)`},
	{"count not whole", `  assertions:
    - name: a
      count: {kind: vnfm.notify}
      is: "== 6.5"`,
		`bad.yaml:9:11: expect.assertions[0].is: invalid count "== 6.5": 6.5 is not a whole number (hint: write an operator and a whole number, e.g. "== 6"; the operators are ==, !=, <, <=, >, >=)`},
	{"is without count", `  assertions:
    - name: a
      is: "== 6"`,
		`bad.yaml:8:7: expect.assertions[0].is: is without count (hint: count matches events and is compares their number, e.g. is: "== 6")`},
	{"count without is", `  assertions:
    - name: a
      count: {kind: vnfm.notify}`,
		`bad.yaml:8:7: expect.assertions[0].count: count without is (hint: count matches events and is compares their number, e.g. is: "== 6")`},
	{"while without never", `  assertions:
    - name: a
      while: {from: {kind: session.state}}`,
		`bad.yaml:8:7: expect.assertions[0].while: while without never (hint: never names the events that must not happen; while, optional, limits that to a window)`},
	{"while without from", `  assertions:
    - name: a
      never: {kind: node.upgrade-started}
      while: {until: {kind: session.state}}`,
		`bad.yaml:9:14: expect.assertions[0].while.from: required field is missing`},
	{"bad kind inside while", `  assertions:
    - name: a
      never: {kind: node.upgrade-started}
      while: {from: {kind: session.sate}}`,
		`bad.yaml:9:28: expect.assertions[0].while.from.kind: unknown event kind "session.sate" (hint: did you mean "session.state"?)`},
	{"unknown violation names", `  thresholds: {lostRequests: "== 0"}
  assertions:
    - name: a
      never: {kind: vnfm.notify}
  violations: ["assert:b", "threshold:lostRequests", "assert:a", "threshold:maxInterruption"]`,
		`bad.yaml:10:16: expect.violations[0]: unknown check "assert:b" (hint: did you mean "assert:a"?)
bad.yaml:10:66: expect.violations[3]: unknown check "threshold:maxInterruption" (hint: one of ` + strings.Join(checkNames(true), ", ") + `, threshold:lostRequests, assert:a)`},
	{"every problem at once", `  thresholds:
    lostRequests: "=< 0"
    maxInterruption: "< 1"
  assertions:
    - name: a
      before: {kind: vnfm.notify}
    - name: b
      count: {kind: vnfm.notif}
      is: "== 1"`,
		`bad.yaml:7:19: expect.thresholds.lostRequests: invalid threshold "=< 0" (hint: write an operator and a value, e.g. "< 100"; the operators are ==, !=, <, <=, >, >=)
bad.yaml:8:22: expect.thresholds.maxInterruption: duration 1 has no unit (hint: maxInterruption is a duration; add a unit, e.g. "< 1s")
bad.yaml:11:7: expect.assertions[0].before: before without after (hint: every event matching after must have an event matching before earlier in the trace)
bad.yaml:13:21: expect.assertions[1].count.kind: unknown event kind "vnfm.notif" (hint: did you mean "vnfm.notify"?)`},
}

func TestLoadRejectsBadExpectations(t *testing.T) {
	for _, tt := range expectBadCases {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadBytes("bad.yaml", []byte(expectBase+tt.in+"\n"))
			require.Nil(t, s)
			require.Error(t, err)
			require.Equal(t, tt.want, err.Error())
			var le *LoadError
			require.ErrorAs(t, err, &le)
			require.Len(t, le.Problems, strings.Count(tt.want, "\n")+1)
			require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
		})
	}
}

func TestLoadExpectations(t *testing.T) {
	s, err := LoadBytes("good.yaml", []byte(expectBase+`  outcome: completed
  thresholds:
    lostRequests: "== 0"
    lostRequests.mme: "< 100"
    maxInterruption: "< 1s"
    replyLatency.p99: "< 500ms"
  assertions:
    - name: reply-before-upgrade
      before: {kind: vnfm.reply, fields: {accepted: true}}
      after: {kind: node.upgrade-started, subject: compute-1}
    - name: no-upgrade-while-paused
      never: {kind: node.upgrade-started}
      while: {from: {kind: session.state, fields: {state: PAUSED}}, until: {kind: session.state, fields: {state: RUNNING}}}
    - name: switchover-quick
      within: 5s
      from: {kind: vnfm.notify, fields: {type: MaintenanceNotification}}
      to: {kind: vnf.switchover}
    - name: six-notifications
      count: {kind: "vnfm.*", actor: orchestrator, fields: {attempt: 1}}
      is: "== 6"
  violations: ["threshold:lostRequests.mme", "assert:six-notifications", outcome]
`))
	require.NoError(t, err)
	e := s.Expect
	require.Equal(t, map[string]string{
		"lostRequests": "== 0", "lostRequests.mme": "< 100", "maxInterruption": "< 1s", "replyLatency.p99": "< 500ms",
	}, e.Thresholds)
	require.Len(t, e.Assertions, 4)
	require.Equal(t, AssertOrder, e.Assertions[0].Kind())
	require.Equal(t, map[string]string{"accepted": "true"}, e.Assertions[0].Before.Fields)
	require.Equal(t, AssertNever, e.Assertions[1].Kind())
	require.Equal(t, "RUNNING", e.Assertions[1].While.Until.Fields["state"])
	require.Equal(t, AssertWithin, e.Assertions[2].Kind())
	require.Equal(t, 5*time.Second, e.Assertions[2].Within.D())
	require.Equal(t, AssertCount, e.Assertions[3].Kind())
	require.Equal(t, "1", e.Assertions[3].Count.Fields["attempt"])
	require.Equal(t, []string{"threshold:lostRequests.mme", "assert:six-notifications", "outcome"}, e.Violations)
	require.Equal(t, []string{
		"threshold:lostRequests", "threshold:lostRequests.mme", "threshold:maxInterruption", "threshold:replyLatency.p99",
		"assert:reply-before-upgrade", "assert:no-upgrade-while-paused", "assert:switchover-quick", "assert:six-notifications",
	}, expectCheckNames(s))
}

// TestJudgeAppendsExpectations: thresholds (by metric) and assertions (in
// order) come after the built-in checks, and Verdict counts them.
func TestJudgeAppendsExpectations(t *testing.T) {
	s := &Scenario{Expect: ExpectSpec{
		Outcome:    OutcomeCompleted,
		Thresholds: map[string]string{"upgradeDuration": "< 1h", "lostRequests": "== 0"},
		Assertions: []AssertionSpec{
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

// TestEveryExpectationKindPassesAndFails: the bundled suite shows each
// assertion kind and each kind of threshold passing in an ordinary
// scenario and failing, alone, in a negative control.
func TestEveryExpectationKindPassesAndFails(t *testing.T) {
	passed, failed := map[string]bool{}, map[string]bool{}
	for _, s := range bundled(t) {
		kinds := map[string]string{} // check name → kind
		for metric := range s.Expect.Thresholds {
			var kind string
			switch {
			case strings.HasPrefix(metric, MetricLostRequests):
				kind = "threshold:lost"
			case strings.HasPrefix(metric, MetricReplyLatency):
				kind = "threshold:latency"
			case MetricIsDuration(metric):
				kind = "threshold:duration"
			default:
				kind = "threshold:count"
			}
			kinds[ThresholdPrefix+metric] = kind
		}
		for _, a := range s.Expect.Assertions {
			kind := "assert:" + a.Kind()
			if a.While != nil {
				kind = "assert:never-while"
			}
			kinds[AssertPrefix+a.Name] = kind
		}
		if len(kinds) == 0 {
			continue
		}
		for _, c := range Judge(s, Run(t.Context(), s, Options{}).Events) {
			kind, ok := kinds[c.Name]
			switch {
			case !ok:
			case c.Status == CheckPassed && len(s.Expect.Violations) == 0:
				passed[kind] = true
			case c.Status == CheckFailed && slices.Contains(s.Expect.Violations, c.Name):
				failed[kind] = true
			}
		}
	}
	for _, kind := range []string{
		"assert:order", "assert:never", "assert:never-while", "assert:within", "assert:count",
		"threshold:lost", "threshold:duration", "threshold:latency", "threshold:count",
	} {
		require.True(t, passed[kind], "no ordinary scenario shows %s passing", kind)
		require.True(t, failed[kind], "no negative control makes %s fail", kind)
	}
}

// TestEventKindsKnown: every producer writes an event through event.Emit
// with a typed payload, so its kind and fields are the compiler's to check.
// An Emit with a kind spelled as a string is a producer outside the
// vocabulary; the only Emit calls taking a kind are the emitters that pass
// events along (the trace, the testbed's watch, the demo's VNFM relay).
func TestEventKindsKnown(t *testing.T) {
	require.True(t, sort.StringsAreSorted(loadEventKinds), "event.Kinds() must be sorted")
	require.Equal(t, len(loadEventKinds), len(slices.Compact(slices.Clone(loadEventKinds))), "event.Kinds() has a duplicate")
	byString := regexp.MustCompile(`\.Emit\([^,()]+,\s*"([a-z]+\.[a-z.-]+)"`) // (actor, "kind.name", ...)
	typed := regexp.MustCompile(`event\.Emit\(`)
	found := 0
	var untyped []string
	err := filepath.WalkDir("..", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() && (de.Name() == "testdata" || strings.HasPrefix(de.Name(), ".") && p != "..") {
			return filepath.SkipDir
		}
		if de.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		found += len(typed.FindAll(src, -1))
		for _, m := range byString.FindAllSubmatch(src, -1) {
			untyped = append(untyped, fmt.Sprintf("%s emits %q with a hand-built map", p, m[1]))
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, found, 60, "the event.Emit calls were not found")
	require.Empty(t, untyped, "emit these through event.Emit with the kind's type from event/kinds.go "+
		"(add a type there for a new kind, and a row to docs/ARCHITECTURE.md's trace vocabulary)")
}

// TestVocabularyDocumented keeps the trace vocabulary table of
// docs/ARCHITECTURE.md in step with loadEventKinds: every kind is in the
// table (a name ending in * there stands for the kinds it starts), and the
// table names no kind that does not exist.
func TestVocabularyDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/ARCHITECTURE.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "## Trace vocabulary\n")
	require.True(t, ok, "docs/ARCHITECTURE.md has no Trace vocabulary section")
	section, _, _ = strings.Cut(section, "\n## ")
	var documented []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		for _, m := range regexp.MustCompile("`([a-z-]+\\.[a-z*-]+)`").FindAllStringSubmatch(cells[2], -1) {
			documented = append(documented, m[1])
		}
	}
	require.Greater(t, len(documented), 30, "the table was not found")
	covers := func(name, kind string) bool {
		if p, ok := strings.CutSuffix(name, "*"); ok {
			return strings.HasPrefix(kind, p)
		}
		return name == kind
	}
	for _, kind := range loadEventKinds {
		require.True(t, slices.ContainsFunc(documented, func(n string) bool { return covers(n, kind) }),
			"docs/ARCHITECTURE.md's trace vocabulary lacks %s", kind)
	}
	for _, name := range documented {
		require.True(t, slices.ContainsFunc(loadEventKinds, func(k string) bool { return covers(name, k) }),
			"docs/ARCHITECTURE.md's trace vocabulary names %s, which no code emits", name)
	}
}

// FuzzLoadExpect holds the loader's promises on expect: sections: no
// panic, either a scenario or one positioned line per problem, and a
// scenario that loads the same twice and that Judge can evaluate.
func FuzzLoadExpect(f *testing.F) {
	for _, c := range expectBadCases {
		f.Add(c.in)
	}
	f.Add(`  thresholds: {lostRequests: "== 0", replyLatency.p99: "< 1s"}
  assertions:
    - {name: a, within: 5s, from: {kind: vnfm.notify}, to: {kind: "vnfm.*"}}
    - {name: b, never: {kind: node.state}, while: {from: {subject: compute-1}}}`)
	f.Fuzz(func(t *testing.T, expect string) {
		data := []byte(expectBase + expect + "\n")
		s, err := LoadBytes("fuzz.yaml", data)
		if err == nil {
			again, err := LoadBytes("fuzz.yaml", data)
			require.NoError(t, err)
			require.Equal(t, s, again)
			checks := Judge(s, metricTrace)
			require.Len(t, checks, len(CheckNames)+1+len(expectCheckNames(s)))
			return
		}
		var le *LoadError
		require.ErrorAs(t, err, &le)
		require.Len(t, strings.Split(err.Error(), "\n"), len(le.Problems))
		for _, p := range le.Problems {
			require.GreaterOrEqual(t, p.Line, 1)
			require.GreaterOrEqual(t, p.Col, 1)
		}
	})
}
