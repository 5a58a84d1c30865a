package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// Terminal writes results for a person at a terminal or reading CI logs.
type Terminal struct {
	W io.Writer
	// Command is how to rerun a scenario, e.g. "escalator run"; the
	// rerun line adds --seed and the scenario's path.
	Command string
	// Color wraps verdicts in ANSI colours: green PASS, red FAIL and
	// ERROR, yellow XFAIL. Leave it off for anything but a terminal.
	Color bool
	// Seeds names each run's seed on its line, for runs repeated over
	// several seeds.
	Seeds bool
	// Brief keeps Scenario to one line per result; the failure detail is
	// then read in the Summary only. Off, Scenario follows a failure's
	// line with its detail at once (for a single run, with no summary).
	Brief bool
}

var label = map[string]string{
	judge.VerdictPass:          "PASS",
	judge.VerdictFail:          "FAIL",
	judge.VerdictXFail:         "XFAIL",
	judge.VerdictError:         "ERROR",
	judge.VerdictNotApplicable: "N/A",
}

// ANSI SGR colours.
const (
	green  = "32"
	red    = "31"
	yellow = "33"
)

var verdictColor = map[string]string{
	judge.VerdictPass:  green,
	judge.VerdictFail:  red,
	judge.VerdictXFail: yellow,
	judge.VerdictError: red,
}

func (t Terminal) paint(color, s string) string {
	if !t.Color || color == "" {
		return s
	}
	return "\x1b[" + color + "m" + s + "\x1b[0m"
}

// verdict is the verdict column, five wide; the colour leaves the padding out.
func (t Terminal) verdict(v string) string {
	l := label[v]
	return t.paint(verdictColor[v], l) + strings.Repeat(" ", max(0, 5-len(l)))
}

func (t Terminal) name(r *judge.Result) string {
	if t.Seeds {
		return fmt.Sprintf("%s [seed %d]", r.Scenario.Name, r.Seed)
	}
	return r.Scenario.Name
}

// Scenario writes one result: a line and, unless Brief, for a failure the
// checks that failed with the trace excerpts that show why.
func (t Terminal) Scenario(r *judge.Result, wall time.Duration) {
	s := r.Scenario
	detail := ""
	switch r.Verdict {
	case judge.VerdictError:
		detail = oneLine(r.Err.Error())
	default:
		detail = fmt.Sprintf("%s %s, %d nodes in %s, %s requests lost", r.Session.State, s.Upgrade.Flow,
			len(r.Session.Nodes), HumanDuration(r.UpgradeDuration), fmtLost(r.Lost))
		switch r.Verdict {
		case judge.VerdictXFail:
			detail += ", failed as expected: " + strings.Join(s.Expect.Violations, ", ")
		case judge.VerdictFail:
			unexpected, missing := surprises(r)
			if len(unexpected) > 0 {
				detail += ", failed: " + strings.Join(unexpected, ", ")
			}
			if len(missing) > 0 {
				detail += ", did not fail as expected: " + strings.Join(missing, ", ")
			}
		case judge.VerdictNotApplicable:
			detail += ", not applicable: " + strings.Join(notApplicable(r), "; ")
		}
	}
	if c := caseOf(r); c != nil {
		detail = c.ID + ": " + detail
	}
	fmt.Fprintf(t.W, "%s  %-44s %s  (%s)\n", t.verdict(r.Verdict), t.name(r), detail, HumanDuration(wall))
	multiline := r.Verdict == judge.VerdictError && strings.Contains(r.Err.Error(), "\n")
	if !t.Brief && (r.Verdict == judge.VerdictFail || multiline) {
		t.detail(r)
	}
}

// surprises lists the checks that failed though not expected to (of a
// conformance case, only those that decide it), and the expected failures
// that did not happen.
func surprises(r *judge.Result) (unexpected, missing []string) {
	expected := map[string]bool{}
	for _, v := range r.Scenario.Expect.Violations {
		expected[v] = true
	}
	for _, c := range r.Checks {
		if c.Status == judge.CheckFailed && slices.Contains(contextFailures(r), c.Name) {
			continue
		}
		switch {
		case c.Status == judge.CheckFailed && !expected[c.Name]:
			unexpected = append(unexpected, c.Name)
		case c.Status != judge.CheckFailed && expected[c.Name]:
			missing = append(missing, c.Name)
		}
	}
	return unexpected, missing
}

// detail writes why a run failed: for a failure the checks that failed
// with their trace excerpts (for a conformance case, the checks that
// decide it with their evidence), for an error the error; then how to
// rerun it.
func (t Terminal) detail(r *judge.Result) {
	s := r.Scenario
	isCase := caseOf(r) != nil
	if isCase {
		fmt.Fprintf(t.W, "       %s\n", r.CaseLabel())
		if ref := caseOf(r).Reference; ref != "" {
			fmt.Fprintf(t.W, "       reference: %s\n", ref)
		}
	}
	if r.Verdict == judge.VerdictError {
		indent(t.W, "       ", r.Err.Error())
	}
	expected := map[string]bool{}
	for _, v := range s.Expect.Violations {
		expected[v] = true
	}
	if isCase && len(s.Expect.Violations) == 0 {
		t.caseDetail(r)
		fmt.Fprintf(t.W, "       rerun: %s --seed %d %s\n", t.Command, r.Seed, shellQuote(s.Path))
		return
	}
	for _, c := range r.Checks {
		switch {
		case c.Status == judge.CheckFailed && !expected[c.Name]:
			fmt.Fprintf(t.W, "       %s %s\n", t.paint(red, "✗"), c.Name)
			for _, v := range c.Violations {
				indent(t.W, "         ", v.Message)
				for _, e := range v.Events {
					if e.Seq > 0 {
						fmt.Fprintf(t.W, "           %s\n", e)
					}
				}
			}
		case c.Status != judge.CheckFailed && expected[c.Name]:
			fmt.Fprintf(t.W, "       %s %s passed, but this negative control expects it to fail\n", t.paint(red, "✗"), c.Name)
		}
	}
	fmt.Fprintf(t.W, "       rerun: %s --seed %d %s\n", t.Command, r.Seed, shellQuote(s.Path))
}

// caseDetail writes why a conformance case failed: each failed deciding
// check with the HTTP exchanges and trace
// events that show it, the spec violations of the run, and which other
// checks failed as context (they do not decide the case).
func (t Terminal) caseDetail(r *judge.Result) {
	var specs []escalator.Event
	prev := ""
	for _, ev := range r.Evidence() {
		specs = ev.SpecViolations
		if ev.Check != prev { // a check's violations under one heading
			fmt.Fprintf(t.W, "       %s %s\n", t.paint(red, "✗"), ev.Check)
			prev = ev.Check
		}
		indent(t.W, "         ", ev.Message)
		for i, x := range ev.Exchanges {
			fmt.Fprintf(t.W, "           HTTP exchange %d of %d: %s\n", i+1, len(ev.Exchanges), exchangeTitle(x))
			for _, line := range exchangeLines(x) {
				if strings.HasPrefix(line, "< ") && strings.Contains(line, " ✗ expected ") {
					line = t.paint(red, line)
				}
				fmt.Fprintf(t.W, "             %s\n", line)
			}
		}
		for _, e := range numbered(ev.Excerpt) {
			fmt.Fprintf(t.W, "           %s\n", e)
		}
	}
	if specs = numbered(specs); len(specs) > 0 {
		fmt.Fprintf(t.W, "       spec violations in this run:\n")
		for _, e := range specs {
			fmt.Fprintf(t.W, "           %s\n", e)
		}
	}
	if ctx := contextFailures(r); len(ctx) > 0 {
		fmt.Fprintf(t.W, "       also failed, not deciding this case: %s\n", strings.Join(ctx, ", "))
	}
}

// indent writes a message that may span lines, every line indented alike.
func indent(w io.Writer, prefix, msg string) {
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(w, "%s%s\n", prefix, line)
	}
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// Summary is what a whole run adds up to.
type Summary struct {
	// Results holds every run that ran, in input order.
	Results []*judge.Result
	// Wall is how long the whole run took.
	Wall time.Duration
	// Scenarios is how many scenarios the runs cover when a scenario ran
	// more than once; 0 means one run per scenario.
	Scenarios int
	// NotRun counts the runs never started (stopped after a failure, or
	// interrupted).
	NotRun int
	// Notes are lines printed under the totals: the shard, the filter,
	// why runs were not started.
	Notes []string
}

// Summary writes the totals, the gates first; then each failure and error
// in order with the failed checks, their trace excerpts and the command
// that reruns exactly that run.
func (t Terminal) Summary(s Summary) {
	n := map[string]int{}
	for _, r := range s.Results {
		n[r.Verdict]++
	}
	gate := func(name, color string, count int) string {
		text := fmt.Sprintf("%s %d", name, count)
		if count == 0 {
			return text
		}
		return t.paint(color, text)
	}
	gates := []string{
		gate("PASSED", green, n[judge.VerdictPass]),
		gate("FAILED", red, n[judge.VerdictFail]),
		gate("EXPECTED FAILURES", yellow, n[judge.VerdictXFail]),
		gate("ERRORS", red, n[judge.VerdictError]),
	}
	// Only a run with conformance cases can have this verdict; other runs
	// read as they always have.
	if na := n[judge.VerdictNotApplicable]; na > 0 {
		gates = append(gates, gate("NOT APPLICABLE", "", na))
	}
	if s.NotRun > 0 {
		gates = append(gates, gate("NOT RUN", yellow, s.NotRun))
	}
	runs := len(s.Results) + s.NotRun
	count := plural(runs, "scenario")
	if s.Scenarios > 0 && s.Scenarios != runs {
		count = fmt.Sprintf("%s of %s", plural(runs, "run"), plural(s.Scenarios, "scenario"))
	}
	fmt.Fprintf(t.W, "\n%s   (%s, %s)\n", strings.Join(gates, "  "), count, HumanDuration(s.Wall))
	if line := conformanceSummary(s.Results); line != "" {
		fmt.Fprintln(t.W, line)
	}
	for _, note := range s.Notes {
		fmt.Fprintln(t.W, note)
	}
	for _, r := range s.Results {
		if r.Verdict != judge.VerdictFail && r.Verdict != judge.VerdictError {
			continue
		}
		fmt.Fprintf(t.W, "\n%s  %s\n", t.verdict(r.Verdict), t.name(r))
		t.detail(r)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// shellQuote quotes a path for a POSIX shell when it needs it, so a rerun
// line can be pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@%+=,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
