package history

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// worse is r where zero-loss failed, the session took 3m6s longer and one
// delivery failed.
func worse(t *testing.T, r *judge.Result) *judge.Result {
	t.Helper()
	out := *r
	out.Checks = slices.Clone(r.Checks)
	flipped := false
	for i, c := range out.Checks {
		if c.Name == "zero-loss" {
			require.Equal(t, judge.CheckPassed, c.Status)
			out.Checks[i].Status = judge.CheckFailed
			out.Checks[i].Violations = []judge.Violation{{Message: "12 requests lost"}}
			flipped = true
		}
	}
	require.True(t, flipped, "the scenario has a zero-loss check")
	out.Verdict = judge.VerdictFail
	out.Events = slices.Clone(r.Events)
	moved := false
	for i, e := range out.Events {
		if e.Kind == "session.state" && event.Terminal(e.Str("state")) {
			out.Events[i].At += 3*time.Minute + 6*time.Second
			moved = true
			break
		}
	}
	require.True(t, moved, "the session ended")
	out.Events = append(out.Events, escalator.Event{Seq: int64(len(out.Events) + 1), At: out.Events[len(out.Events)-1].At,
		Actor: "orchestrator", Kind: "delivery.failed", Subject: "vnfm-1"})
	return &out
}

func withSeed(r *judge.Result, seed int64) *judge.Result {
	out := *r
	out.Seed = seed
	return &out
}

func TestCompare(t *testing.T) {
	rs := results(t)
	as, mixed, naive, as7, broken := rs[0], rs[1], rs[2], rs[3], rs[4]
	a := reports.Run{ID: "aaaaaaaa-1111", Started: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
		Results: []*judge.Result{as, mixed, naive, as7}}
	b := reports.Run{ID: "bbbbbbbb-2222", Started: time.Date(2026, 5, 2, 11, 30, 0, 0, time.UTC),
		Results: []*judge.Result{worse(t, mixed), withSeed(as7, 8), as, broken}}

	d := Compare(a, b)
	assert.Equal(t, RunRef{a.ID, a.Started}, d.A)
	assert.Equal(t, RunRef{b.ID, b.Started}, d.B)
	assert.Equal(t, []ScenarioRef{{"naive-upgrade", naive.Seed}}, d.OnlyA)
	assert.Equal(t, []ScenarioRef{{"broken", 3}}, d.OnlyB)
	require.Len(t, d.Scenarios, 2, "the unchanged f1-active-standby at seed 42 is left out")

	m := d.Scenarios[0]
	assert.Equal(t, "f1-mixed", m.Name)
	assert.Equal(t, &Change{"verdict", "pass", "fail"}, m.Verdict)
	assert.Equal(t, []Change{{"zero-loss", "passed", "failed"}}, m.Checks)
	require.Len(t, m.Metrics, 2)
	before := judge.Metrics(mixed.Events)[judge.MetricUpgradeDuration]
	assert.Equal(t, judge.MetricDeliveryFailures, m.Metrics[0].Name)
	assert.Equal(t, 1.0, m.Metrics[0].Delta)
	assert.True(t, math.IsNaN(m.Metrics[0].Relative), "no relative change from 0")
	up := m.Metrics[1]
	assert.Equal(t, judge.MetricUpgradeDuration, up.Name)
	assert.Equal(t, before, up.From)
	assert.InDelta(t, 186, up.Delta, 1e-9)
	assert.InDelta(t, 186/before, up.Relative, 1e-12)
	assert.True(t, up.InA && up.InB)

	s := d.Scenarios[1]
	assert.Equal(t, "f1-active-standby", s.Name)
	assert.Equal(t, [2]int64{7, 8}, [2]int64{s.SeedA, s.SeedB}, "matched by name when no seed matches")
	assert.Nil(t, s.Verdict)
	assert.Empty(t, s.Checks)
	assert.Empty(t, s.Metrics)

	var out bytes.Buffer
	require.NoError(t, d.Write(&out))
	fmtDur := func(sec float64) string { return reports.HumanDuration(time.Duration(sec * float64(time.Second))) }
	rel := 100 * 186 / before
	want := strings.Join([]string{
		"aaaaaaaa (2026-05-01 10:00:00) → bbbbbbbb (2026-05-02 11:30:00)",
		"f1-mixed           verdict           pass → fail",
		"f1-mixed           zero-loss         passed → failed",
		"f1-mixed           deliveryFailures  0 → 1 (+1)",
		"f1-mixed           upgradeDuration   " + fmtDur(before) + " → " + fmtDur(before+186) + " (+3m6s, " + fmt.Sprintf("%+.1f%%", rel) + ")",
		"f1-active-standby  seed              7 → 8",
		"naive-upgrade      scenario          only in aaaaaaaa",
		"broken             scenario          only in bbbbbbbb",
		"",
	}, "\n")
	assert.Equal(t, want, out.String())
	t.Log("\n" + out.String())
}

func TestCompareSame(t *testing.T) {
	rs := results(t)
	run := reports.Run{ID: "same", Results: rs}
	d := Compare(run, run)
	assert.True(t, d.Empty())
	var out bytes.Buffer
	require.NoError(t, d.Write(&out))
	assert.Equal(t, "same → same\nno differences\n", out.String())
}

func TestCompareRepeatedNames(t *testing.T) {
	rs := results(t)
	// The same scenario at two seeds in both runs: each pairs with its
	// seed, and lines name the seed.
	a := reports.Run{ID: "a", Results: []*judge.Result{rs[0], rs[3]}}
	b := reports.Run{ID: "b", Results: []*judge.Result{worse(t, rs[3]), worse(t, rs[0])}}
	d := Compare(a, b)
	require.Len(t, d.Scenarios, 2)
	assert.Equal(t, int64(42), d.Scenarios[0].SeedA)
	assert.Equal(t, int64(42), d.Scenarios[0].SeedB)
	assert.Equal(t, int64(7), d.Scenarios[1].SeedB)
	var out bytes.Buffer
	require.NoError(t, d.Write(&out))
	assert.Contains(t, out.String(), "f1-active-standby [seed 42]  zero-loss  ")
	assert.Contains(t, out.String(), "f1-active-standby [seed 7]   zero-loss  ")

	// A metric only one run has, and a check only one run has.
	x := *rs[0]
	x.Events = nil
	x.Checks = append(slices.Clone(x.Checks), judge.CheckResult{Name: "assert:new", Status: judge.CheckPassed})
	d = Compare(reports.Run{ID: "a", Results: []*judge.Result{rs[0]}}, reports.Run{ID: "b", Results: []*judge.Result{&x}})
	require.Len(t, d.Scenarios, 1)
	assert.Equal(t, []Change{{"assert:new", "", "passed"}}, d.Scenarios[0].Checks)
	out.Reset()
	require.NoError(t, d.Write(&out))
	assert.Contains(t, out.String(), "assert:new  ")
	assert.Contains(t, out.String(), "absent → passed")
	assert.Regexp(t, `upgradeDuration +\S+ → absent\n`, out.String())
}
