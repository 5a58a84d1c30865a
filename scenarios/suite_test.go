package scenarios

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// bundled loads the suite shipped under scenarios/, without the scale
// scenario: make run runs it, and BenchmarkScaleF1 measures it; under the
// race detector the tests that run the suite several times would take
// minutes with it.
func bundled(t testing.TB) []*spec.Scenario {
	t.Helper()
	list, err := load.Paths([]string{"."})
	require.NoError(t, err)
	require.NotEmpty(t, list)
	return slices.DeleteFunc(list, func(s *spec.Scenario) bool { return s.Labels["suite"] == "scale" })
}

// TestBundledSuite runs every shipped scenario: ordinary ones must pass,
// negative controls must fail exactly the checks they name.
func TestBundledSuite(t *testing.T) {
	for _, s := range bundled(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			r := Run(context.Background(), s, Options{})
			want := judge.VerdictPass
			if len(s.Expect.Violations) > 0 {
				want = judge.VerdictXFail
			}
			var failed []string
			for _, c := range r.Failed() {
				failed = append(failed, c.Name)
				for _, v := range c.Violations {
					t.Logf("%s: %s", c.Name, v.Message)
				}
			}
			require.NoError(t, r.Err)
			require.Equal(t, want, r.Verdict, "failed checks: %v", failed)
		})
	}
}

// TestEveryCheckPassesAndFails: each check is proved able to fail by a
// negative control, and seen passing in an ordinary scenario.
func TestEveryCheckPassesAndFails(t *testing.T) {
	failedSomewhere := map[string]bool{}
	passedSomewhere := map[string]bool{}
	for _, s := range bundled(t) {
		r := Run(context.Background(), s, Options{})
		for _, c := range r.Checks {
			switch c.Status {
			case judge.CheckFailed:
				if slices.Contains(s.Expect.Violations, c.Name) {
					failedSomewhere[c.Name] = true
				}
			case judge.CheckPassed:
				if len(s.Expect.Violations) == 0 {
					passedSomewhere[c.Name] = true
				}
			}
		}
	}
	for _, name := range append([]string{judge.CheckOutcome}, judge.CheckNames...) {
		require.True(t, failedSomewhere[name], "no negative control makes %s fail", name)
		require.True(t, passedSomewhere[name], "no ordinary scenario shows %s passing", name)
	}
}

// TestSameSeedSameTrace: one scenario and one seed give a byte-identical
// NDJSON trace; another seed changes it.
func TestSameSeedSameTrace(t *testing.T) {
	ndjson := func(s *spec.Scenario, seed int64) []byte {
		r := Run(context.Background(), s, Options{Seed: seed})
		require.NoError(t, r.Err)
		var b bytes.Buffer
		require.NoError(t, escalator.WriteNDJSON(&b, r.Events))
		return b.Bytes()
	}
	for _, s := range bundled(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			a, b := ndjson(s, 0), ndjson(s, 0)
			require.NotEmpty(t, a)
			require.True(t, bytes.Equal(a, b), "two runs with seed %d differ", s.Seed)
			require.False(t, bytes.Equal(a, ndjson(s, s.Seed+1)), "the seed does not reach the trace")
		})
	}
}

// TestTraceRoundTrip: a written trace reads back to the same events, so
// the checks can judge a trace from disk exactly as they judge a live run.
func TestTraceRoundTrip(t *testing.T) {
	s := bundled(t)[0]
	r := Run(context.Background(), s, Options{})
	var b bytes.Buffer
	require.NoError(t, escalator.WriteNDJSON(&b, r.Events))
	back, err := escalator.ReadNDJSON(&b)
	require.NoError(t, err)
	require.Len(t, back, len(r.Events))
	got := judge.Judge(s, back)
	for i := range got {
		require.Equal(t, r.Checks[i].Name, got[i].Name)
		require.Equal(t, r.Checks[i].Status, got[i].Status, got[i].Name)
	}
}
