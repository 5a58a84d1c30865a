package scenarios

import (
	"slices"
	"strings"
	"testing"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/stretchr/testify/require"
)

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
			case strings.HasPrefix(metric, judge.MetricLostRequests):
				kind = "threshold:lost"
			case strings.HasPrefix(metric, judge.MetricReplyLatency):
				kind = "threshold:latency"
			case judge.MetricIsDuration(metric):
				kind = "threshold:duration"
			default:
				kind = "threshold:count"
			}
			kinds[spec.ThresholdPrefix+metric] = kind
		}
		for _, a := range s.Expect.Assertions {
			kind := "assert:" + a.Kind()
			if a.While != nil {
				kind = "assert:never-while"
			}
			kinds[spec.AssertPrefix+a.Name] = kind
		}
		if len(kinds) == 0 {
			continue
		}
		for _, c := range judge.Judge(s, Run(t.Context(), s, Options{}).Events) {
			kind, ok := kinds[c.Name]
			switch {
			case !ok:
			case c.Status == judge.CheckPassed && len(s.Expect.Violations) == 0:
				passed[kind] = true
			case c.Status == judge.CheckFailed && slices.Contains(s.Expect.Violations, c.Name):
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
