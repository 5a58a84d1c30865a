package judge_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The datadriven cases of the built-in checks live in testdata/checks/*.txt,
// one file per rule, in the manner of etcd-io/raft's testdata: a
// hand-written trace cut down to the few events the rule needs, and the
// verdict the checks must give on it, side by side.
//
// A file opens with comment lines (#) stating the rule. Each case follows:
//
//	case <what it shows>
//	scenario            optional: YAML laid over ddBaseScenario, key by key
//	checks: {max-interruption: {bound: 500ms}}
//	----
//	trace               NDJSON exactly as escalator run --trace writes it;
//	{"seq":1,...}       lines starting with # are comments
//	----
//	expect
//	zero-loss: passed
//	max-interruption: failed: <substring of the violation's message>
//	ifa011-limits: disabled: <substring of the reason>
//
// Every check Judge reports must pass unless the expect section says
// otherwise. A failed check is listed once per violation, in the order the
// check reports them, so a new, lost or reworded violation fails the case.
// A case holding a line starting "# BUG:" is skipped with that line (once
// its scenario and trace have loaded): it is written as the rule says and
// shows a check that does not yet hold to it.
//
// When a case fails, the message shows the verdict actually given in the
// same format, ready to be reviewed and pasted.

// ddBaseScenario is the scenario a case judges under when its scenario
// section does not say otherwise. The checks read only a few of its terms
// (checks:, expect.outcome); the rest is there so the scenario loads.
const ddBaseScenario = `
name: datadriven
nodes: {count: 2, version: "1.0"}
vnfs: [{name: mme, mode: active-standby, instances: 2, load: 1000/s}]
upgrade: {flow: F1, targetVersion: "2.0"}
`

type ddExpect struct {
	check, status, text string
	line                int
}

type ddCase struct {
	title    string
	line     int // where "case" stands
	bug      string
	scenario string
	trace    []string // NDJSON lines
	traceAt  []int    // their line numbers
	expect   []ddExpect
	sections map[string]bool
}

// parseDatadriven reads one testdata/checks file into its cases.
func parseDatadriven(t *testing.T, path string) []*ddCase {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var cases []*ddCase
	var cur *ddCase
	section := "" // the section being read, "" between sections
	var yamlLines []string
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimRight(raw, " \t")
		where := fmt.Sprintf("%s:%d", path, n)
		if strings.HasPrefix(line, "# BUG:") && cur != nil {
			cur.bug = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		}
		if strings.HasPrefix(line, "case ") {
			if cur != nil && section == "scenario" {
				require.Failf(t, "unterminated scenario", "%s: the scenario section before this case has no ----", where)
			}
			cur = &ddCase{title: strings.TrimSpace(strings.TrimPrefix(line, "case ")), line: n, sections: map[string]bool{}}
			cases = append(cases, cur)
			section = ""
			continue
		}
		if line == "----" {
			require.NotEmpty(t, section, "%s: ---- outside a section", where)
			if section == "scenario" {
				cur.scenario = strings.Join(yamlLines, "\n")
				yamlLines = nil
			}
			section = ""
			continue
		}
		switch section {
		case "scenario":
			yamlLines = append(yamlLines, raw)
			continue
		case "trace":
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			cur.trace = append(cur.trace, line)
			cur.traceAt = append(cur.traceAt, n)
			continue
		case "expect":
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			parts := strings.SplitN(line, ": ", 3)
			if len(parts) == 2 {
				parts = append(parts, "")
			}
			require.Len(t, parts, 3, "%s: an expect line reads CHECK: STATUS[: TEXT]", where)
			require.Contains(t, []string{judge.CheckPassed, judge.CheckFailed, judge.CheckDisabled}, parts[1], "%s: unknown status", where)
			if parts[1] == judge.CheckPassed {
				require.Empty(t, parts[2], "%s: a passed check gives no text", where)
			} else {
				require.NotEmpty(t, parts[2], "%s: a %s check needs the text it must give", where, parts[1])
			}
			cur.expect = append(cur.expect, ddExpect{check: parts[0], status: parts[1], text: parts[2], line: n})
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		require.NotNil(t, cur, "%s: %q before the first case", where, line)
		require.Contains(t, []string{"scenario", "trace", "expect"}, line, "%s: expected a section (scenario, trace, expect) or ----", where)
		require.False(t, cur.sections[line], "%s: a second %s section", where, line)
		cur.sections[line] = true
		section = line
	}
	require.NotEqual(t, "scenario", section, "%s: the last scenario section has no ----", path)
	for _, c := range cases {
		require.True(t, c.sections["trace"], "%s:%d: case %q has no trace", path, c.line, c.title)
		require.True(t, c.sections["expect"], "%s:%d: case %q has no expect", path, c.line, c.title)
	}
	return cases
}

// ddScenario loads the base scenario with the case's top-level keys laid
// over it.
func ddScenario(t *testing.T, where, overlay string) *spec.Scenario {
	t.Helper()
	base := map[string]any{}
	require.NoError(t, yaml.Unmarshal([]byte(ddBaseScenario), &base))
	over := map[string]any{}
	require.NoError(t, yaml.Unmarshal([]byte(overlay), &over), "%s: scenario", where)
	for k, v := range over {
		base[k] = v
	}
	data, err := yaml.Marshal(base)
	require.NoError(t, err)
	s, err := load.Bytes(where, data)
	require.NoError(t, err, "%s: scenario", where)
	return s
}

// ddTrace parses the case's trace and holds it to what a real trace is:
// known kinds, events numbered from 1 in order, time never going back.
func ddTrace(t *testing.T, path string, c *ddCase) []escalator.Event {
	t.Helper()
	events, err := escalator.ReadNDJSON(strings.NewReader(strings.Join(c.trace, "\n")))
	require.NoError(t, err, "%s:%d: trace", path, c.line)
	require.Len(t, events, len(c.trace))
	for i, e := range events {
		where := fmt.Sprintf("%s:%d", path, c.traceAt[i])
		require.Equal(t, int64(i+1), e.Seq, "%s: events are numbered from 1 in order", where)
		require.Contains(t, event.Kinds(), e.Kind, "%s: unknown event kind", where)
		require.NotEmpty(t, e.Actor, "%s: an event needs its actor", where)
		if i > 0 {
			require.GreaterOrEqual(t, e.At, events[i-1].At, "%s: time goes back", where)
		}
	}
	return events
}

// ddVerdict renders results in the expect format, for a failure message.
func ddVerdict(results []judge.CheckResult) string {
	var b strings.Builder
	for _, r := range results {
		switch r.Status {
		case judge.CheckFailed:
			for _, v := range r.Violations {
				fmt.Fprintf(&b, "%s: %s: %s\n", r.Name, r.Status, v.Message)
			}
		case judge.CheckDisabled:
			fmt.Fprintf(&b, "%s: %s: %s\n", r.Name, r.Status, r.Reason)
		default:
			fmt.Fprintf(&b, "%s: %s\n", r.Name, r.Status)
		}
	}
	return b.String()
}

func ddFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "checks", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestChecksDatadriven judges every case of testdata/checks and holds each
// check to the verdict written beside its trace.
func TestChecksDatadriven(t *testing.T) {
	for _, path := range ddFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			t.Parallel()
			cases := parseDatadriven(t, path)
			require.NotEmpty(t, cases, "%s has no case", path)
			for _, c := range cases {
				t.Run(c.title, func(t *testing.T) {
					where := fmt.Sprintf("%s:%d", path, c.line)
					// A BUG case still loads, so it stays a valid trace
					// until the check is fixed and the line removed.
					s := ddScenario(t, where, c.scenario)
					events := ddTrace(t, path, c)
					if c.bug != "" {
						t.Skipf("%s: %s", where, c.bug)
					}
					results := judge.Judge(s, events)
					got := map[string]judge.CheckResult{}
					for _, r := range results {
						got[r.Name] = r
					}
					msg := fmt.Sprintf("%s: case %q; the checks gave:\n%s", where, c.title, ddVerdict(results))

					lines := map[string][]ddExpect{}
					var order []string
					for _, e := range c.expect {
						if _, ok := lines[e.check]; !ok {
							order = append(order, e.check)
						}
						lines[e.check] = append(lines[e.check], e)
					}
					for _, name := range order {
						want := lines[name]
						r, ok := got[name]
						require.True(t, ok, "%s:%d: Judge gives no check %q\n%s", path, want[0].line, name, msg)
						for _, e := range want[1:] {
							require.Equal(t, want[0].status, e.status, "%s:%d: check %s listed with two statuses", path, e.line, name)
						}
						require.Equal(t, want[0].status, r.Status, "%s:%d: check %s\n%s", path, want[0].line, name, msg)
						switch r.Status {
						case judge.CheckFailed:
							require.Len(t, r.Violations, len(want), "%s:%d: check %s: one expect line per violation\n%s", path, want[0].line, name, msg)
							for i, e := range want {
								require.Contains(t, r.Violations[i].Message, e.text, "%s:%d: violation %d of %s\n%s", path, e.line, i+1, name, msg)
							}
						case judge.CheckDisabled:
							require.Len(t, want, 1, "%s:%d: check %s listed twice", path, want[0].line, name)
							require.Contains(t, r.Reason, want[0].text, "%s:%d: reason of %s\n%s", path, want[0].line, name, msg)
						default:
							require.Len(t, want, 1, "%s:%d: check %s listed twice", path, want[0].line, name)
						}
					}
					for _, r := range results {
						if _, listed := lines[r.Name]; !listed {
							require.Equal(t, judge.CheckPassed, r.Status, "%s: check %s is not in the expect section, so it must pass\n%s", where, r.Name, msg)
						}
					}
				})
			}
		})
	}
}

// TestChecksDatadrivenCoverage: every built-in check has a case in
// testdata/checks that shows it passing and one that shows it failing.
func TestChecksDatadrivenCoverage(t *testing.T) {
	passed, failed := map[string]bool{}, map[string]bool{}
	for _, path := range ddFiles(t) {
		for _, c := range parseDatadriven(t, path) {
			if c.bug != "" {
				continue
			}
			for _, e := range c.expect {
				switch e.status {
				case judge.CheckPassed:
					passed[e.check] = true
				case judge.CheckFailed:
					failed[e.check] = true
				}
			}
		}
	}
	var missing []string
	for _, name := range append([]string{judge.CheckOutcome}, judge.CheckNames...) {
		if !passed[name] || !failed[name] {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "add a passing and a failing case for these checks under testdata/checks")
}
