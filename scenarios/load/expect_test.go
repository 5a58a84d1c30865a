package load

import (
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
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

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
bad.yaml:10:66: expect.violations[3]: unknown check "threshold:maxInterruption" (hint: one of ` + strings.Join(judge.AllCheckNames(), ", ") + `, threshold:lostRequests, assert:a)`},
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
			s, err := Bytes("bad.yaml", []byte(expectBase+tt.in+"\n"))
			require.Nil(t, s)
			require.Error(t, err)
			require.Equal(t, tt.want, err.Error())
			var le *Error
			require.ErrorAs(t, err, &le)
			require.Len(t, le.Problems, strings.Count(tt.want, "\n")+1)
			require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
		})
	}
}

func TestLoadExpectations(t *testing.T) {
	s, err := Bytes("good.yaml", []byte(expectBase+`  outcome: completed
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
	require.Equal(t, spec.AssertOrder, e.Assertions[0].Kind())
	require.Equal(t, map[string]string{"accepted": "true"}, e.Assertions[0].Before.Fields)
	require.Equal(t, spec.AssertNever, e.Assertions[1].Kind())
	require.Equal(t, "RUNNING", e.Assertions[1].While.Until.Fields["state"])
	require.Equal(t, spec.AssertWithin, e.Assertions[2].Kind())
	require.Equal(t, 5*time.Second, e.Assertions[2].Within.D())
	require.Equal(t, spec.AssertCount, e.Assertions[3].Kind())
	require.Equal(t, "1", e.Assertions[3].Count.Fields["attempt"])
	require.Equal(t, []string{"threshold:lostRequests.mme", "assert:six-notifications", "outcome"}, e.Violations)
	require.Equal(t, []string{
		"threshold:lostRequests", "threshold:lostRequests.mme", "threshold:maxInterruption", "threshold:replyLatency.p99",
		"assert:reply-before-upgrade", "assert:no-upgrade-while-paused", "assert:switchover-quick", "assert:six-notifications",
	}, judge.ExpectCheckNames(s))
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
	err := filepath.WalkDir("../..", func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() && (de.Name() == "testdata" || strings.HasPrefix(de.Name(), ".") && p != "../..") {
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
	doc, err := os.ReadFile("../../docs/ARCHITECTURE.md")
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
		s, err := Bytes("fuzz.yaml", data)
		if err == nil {
			again, err := Bytes("fuzz.yaml", data)
			require.NoError(t, err)
			require.Equal(t, s, again)
			// The judge's own tests judge expectations over a hand-made trace;
			// here an empty one shows that whatever loads can be judged.
			checks := judge.Judge(s, nil)
			require.Len(t, checks, len(judge.CheckNames)+1+len(judge.ExpectCheckNames(s)))
			return
		}
		var le *Error
		require.ErrorAs(t, err, &le)
		require.Len(t, strings.Split(err.Error(), "\n"), len(le.Problems))
		for _, p := range le.Problems {
			require.GreaterOrEqual(t, p.Line, 1)
			require.GreaterOrEqual(t, p.Col, 1)
		}
	})
}
