package history

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// Diff is what changed from run A to run B, scenario by scenario. Only
// changes are listed: a scenario that came out the same in both is absent.
type Diff struct {
	A, B RunRef
	// Scenarios are the scenarios of both runs that changed, in A's order.
	Scenarios []ScenarioDiff
	// OnlyA and OnlyB are the scenarios that ran in one run only.
	OnlyA, OnlyB []ScenarioRef
}

// RunRef names a run in a Diff.
type RunRef struct {
	ID      string
	Started time.Time
}

// ScenarioRef names one result of a run.
type ScenarioRef struct {
	Name string
	Seed int64
}

// ScenarioDiff is how one scenario's result moved from A to B.
type ScenarioDiff struct {
	Name         string
	SeedA, SeedB int64 // they differ when the result was matched by name alone
	// Verdict is set when the verdict changed.
	Verdict *Change
	// Checks are the checks whose status changed, in B's order then A's;
	// From or To is "" for a check only one run has.
	Checks []Change
	// Metrics are the metrics (judge.Metrics of each trace) that
	// moved, by name.
	Metrics []MetricChange
}

// Change is a named value that changed: a verdict or a check's status.
type Change struct {
	Name     string
	From, To string
}

// MetricChange is a metric that moved. A metric one run lacks (say
// upgradeDuration, when a session never ended) has InA or InB false.
type MetricChange struct {
	Name     string
	From, To float64
	InA, InB bool
	// Delta is To − From; Relative is Delta / |From|, NaN when From is 0
	// or either side is absent.
	Delta, Relative float64
}

// Empty tells whether the runs came out the same.
func (d Diff) Empty() bool {
	return len(d.Scenarios) == 0 && len(d.OnlyA) == 0 && len(d.OnlyB) == 0
}

// Compare lines up the results of two runs, matching each of A's results
// with B's of the same scenario name and seed, then, for those left, of
// the same name alone, and reports what changed between each pair:
// verdicts, check statuses and metrics.
func Compare(a, b reports.Run) Diff {
	d := Diff{A: RunRef{a.ID, a.Started}, B: RunRef{b.ID, b.Started}}
	pair := make([]int, len(a.Results)) // A's index → B's, -1 for none
	taken := make([]bool, len(b.Results))
	for i := range pair {
		pair[i] = -1
	}
	match := func(same func(x, y *judge.Result) bool) {
		for i, x := range a.Results {
			if pair[i] >= 0 {
				continue
			}
			for j, y := range b.Results {
				if !taken[j] && same(x, y) {
					pair[i], taken[j] = j, true
					break
				}
			}
		}
	}
	match(func(x, y *judge.Result) bool { return name(x) == name(y) && x.Seed == y.Seed })
	match(func(x, y *judge.Result) bool { return name(x) == name(y) })

	for i, x := range a.Results {
		if pair[i] < 0 {
			d.OnlyA = append(d.OnlyA, ScenarioRef{name(x), x.Seed})
			continue
		}
		if sd, changed := compareResults(x, b.Results[pair[i]]); changed {
			d.Scenarios = append(d.Scenarios, sd)
		}
	}
	for j, y := range b.Results {
		if !taken[j] {
			d.OnlyB = append(d.OnlyB, ScenarioRef{name(y), y.Seed})
		}
	}
	return d
}

func name(r *judge.Result) string {
	if r.Scenario == nil {
		return ""
	}
	return r.Scenario.Name
}

func compareResults(x, y *judge.Result) (ScenarioDiff, bool) {
	sd := ScenarioDiff{Name: name(x), SeedA: x.Seed, SeedB: y.Seed}
	if x.Verdict != y.Verdict {
		sd.Verdict = &Change{Name: "verdict", From: x.Verdict, To: y.Verdict}
	}
	status := map[string]string{}
	for _, c := range x.Checks {
		status[c.Name] = c.Status
	}
	seen := map[string]bool{}
	for _, c := range y.Checks {
		seen[c.Name] = true
		if from := status[c.Name]; from != c.Status {
			sd.Checks = append(sd.Checks, Change{c.Name, from, c.Status})
		}
	}
	for _, c := range x.Checks {
		if !seen[c.Name] {
			sd.Checks = append(sd.Checks, Change{c.Name, c.Status, ""})
		}
	}
	ma, mb := judge.Metrics(x.Events), judge.Metrics(y.Events)
	names := judge.SortedMetricNames(ma)
	for n := range mb {
		if _, ok := ma[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		va, inA := ma[n]
		vb, inB := mb[n]
		if inA == inB && va == vb {
			continue
		}
		mc := MetricChange{Name: n, From: va, To: vb, InA: inA, InB: inB, Delta: math.NaN(), Relative: math.NaN()}
		if inA && inB {
			mc.Delta = vb - va
			if va != 0 {
				mc.Relative = mc.Delta / math.Abs(va)
			}
		}
		sd.Metrics = append(sd.Metrics, mc)
	}
	changed := sd.SeedA != sd.SeedB || sd.Verdict != nil || len(sd.Checks) > 0 || len(sd.Metrics) > 0
	return sd, changed
}

// Write renders the diff as aligned plain text, one change a line:
//
//	f1-mixed  verdict          pass → fail
//	f1-mixed  zero-loss        passed → failed
//	f1-mixed  upgradeDuration  42m4s → 45m10s (+3m6s, +7.4%)
//
// Durations are in human units (reports.HumanDuration).
func (d Diff) Write(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%s → %s\n", runLabel(d.A), runLabel(d.B)); err != nil {
		return err
	}
	if d.Empty() {
		_, err := fmt.Fprintln(w, "no differences")
		return err
	}
	// A name run more than once in either run needs its seed to tell its
	// lines apart.
	count := map[string]int{}
	for _, s := range d.Scenarios {
		count[s.Name]++
	}
	for _, s := range d.OnlyA {
		count[s.Name]++
	}
	for _, s := range d.OnlyB {
		count[s.Name]++
	}
	label := func(n string, seed int64) string {
		if count[n] > 1 {
			return fmt.Sprintf("%s [seed %d]", n, seed)
		}
		return n
	}
	var rows [][3]string
	for _, s := range d.Scenarios {
		l := label(s.Name, s.SeedB)
		if s.SeedA != s.SeedB {
			rows = append(rows, [3]string{l, "seed", fmt.Sprintf("%d → %d", s.SeedA, s.SeedB)})
		}
		if s.Verdict != nil {
			rows = append(rows, [3]string{l, "verdict", s.Verdict.From + " → " + s.Verdict.To})
		}
		for _, c := range s.Checks {
			rows = append(rows, [3]string{l, c.Name, orAbsent(c.From) + " → " + orAbsent(c.To)})
		}
		for _, m := range s.Metrics {
			rows = append(rows, [3]string{l, m.Name, m.text()})
		}
	}
	for _, s := range d.OnlyA {
		rows = append(rows, [3]string{label(s.Name, s.Seed), "scenario", "only in " + shortID(d.A.ID)})
	}
	for _, s := range d.OnlyB {
		rows = append(rows, [3]string{label(s.Name, s.Seed), "scenario", "only in " + shortID(d.B.ID)})
	}
	var w0, w1 int
	for _, r := range rows {
		w0 = max(w0, utf8.RuneCountInString(r[0]))
		w1 = max(w1, utf8.RuneCountInString(r[1]))
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "%s  %s  %s\n", pad(r[0], w0), pad(r[1], w1), r[2]); err != nil {
			return err
		}
	}
	return nil
}

func runLabel(r RunRef) string {
	if r.Started.IsZero() {
		return shortID(r.ID)
	}
	return fmt.Sprintf("%s (%s)", shortID(r.ID), r.Started.Format("2006-01-02 15:04:05"))
}

// shortID is the first 8 characters of a run ID, enough to name it to Load.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

// text renders a metric's move: "42m4s → 45m10s (+3m6s, +7.4%)".
func (m MetricChange) text() string {
	val := func(v float64, in bool) string {
		if !in {
			return "absent"
		}
		return metricValue(m.Name, v)
	}
	s := val(m.From, m.InA) + " → " + val(m.To, m.InB)
	if math.IsNaN(m.Delta) {
		return s
	}
	sign := "+"
	if m.Delta < 0 {
		sign = "-"
	}
	change := sign + metricValue(m.Name, math.Abs(m.Delta))
	if !math.IsNaN(m.Relative) {
		change += fmt.Sprintf(", %+.1f%%", 100*m.Relative)
	}
	return s + " (" + change + ")"
}

// metricValue renders a value: a duration (seconds) in human units, a
// count as judge.FormatMetric writes it.
func metricValue(name string, v float64) string {
	if judge.MetricIsDuration(name) {
		return reports.HumanDuration(time.Duration(math.Round(v * float64(time.Second))))
	}
	return judge.FormatMetric(name, v)
}
