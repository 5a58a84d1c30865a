package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator/scenarios"
)

// Terminal writes results for a person at a terminal or reading CI logs.
type Terminal struct {
	W io.Writer
	// Command is how to rerun a scenario, e.g. "escalator run".
	Command string
}

var label = map[string]string{
	scenarios.VerdictPass:  "PASS ",
	scenarios.VerdictFail:  "FAIL ",
	scenarios.VerdictXFail: "XFAIL",
	scenarios.VerdictError: "ERROR",
}

// Scenario writes one result: a line, and for a failure the checks that
// failed with the trace excerpts that show why.
func (t Terminal) Scenario(r *scenarios.Result, wall time.Duration) {
	s := r.Scenario
	detail := ""
	switch r.Verdict {
	case scenarios.VerdictError:
		detail = r.Err.Error()
	default:
		detail = fmt.Sprintf("%s %s, %d nodes in %s, %s requests lost", r.Session.State, s.Upgrade.Flow,
			len(r.Session.Nodes), HumanDuration(r.UpgradeDuration), fmtLost(r.Lost))
		if r.Verdict == scenarios.VerdictXFail {
			detail += ", failed as expected: " + strings.Join(s.Expect.Violations, ", ")
		}
	}
	fmt.Fprintf(t.W, "%s  %-44s %s  (%s)\n", label[r.Verdict], s.Name, detail, HumanDuration(wall))
	if r.Verdict != scenarios.VerdictFail {
		return
	}
	expected := map[string]bool{}
	for _, v := range s.Expect.Violations {
		expected[v] = true
	}
	for _, c := range r.Checks {
		switch {
		case c.Status == scenarios.CheckFailed && !expected[c.Name]:
			fmt.Fprintf(t.W, "       ✗ %s\n", c.Name)
			for _, v := range c.Violations {
				fmt.Fprintf(t.W, "         %s\n", v.Message)
				for _, e := range v.Events {
					if e.Seq > 0 {
						fmt.Fprintf(t.W, "           %s\n", e)
					}
				}
			}
		case c.Status != scenarios.CheckFailed && expected[c.Name]:
			fmt.Fprintf(t.W, "       ✗ %s passed, but this negative control expects it to fail\n", c.Name)
		}
	}
	fmt.Fprintf(t.W, "       rerun: %s --seed %d %s\n", t.Command, r.Seed, s.Path)
}

// Summary writes the totals, the gates first.
func (t Terminal) Summary(results []*scenarios.Result, wall time.Duration) {
	n := map[string]int{}
	for _, r := range results {
		n[r.Verdict]++
	}
	fmt.Fprintf(t.W, "\n%d scenarios: %d passed, %d failed, %d expected failures, %d errors  (%s)\n",
		len(results), n[scenarios.VerdictPass], n[scenarios.VerdictFail], n[scenarios.VerdictXFail], n[scenarios.VerdictError], HumanDuration(wall))
}

func fmtLost(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}

// HumanDuration rounds a duration to what a person wants to read.
func HumanDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
