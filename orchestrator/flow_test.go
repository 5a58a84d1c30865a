package orchestrator

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The registries are the lists of valid names: every flow and defect the
// package names is in them, and the error for an unknown one lists them.
func TestRegistries(t *testing.T) {
	for _, name := range []string{FlowF1, FlowF2, FlowNaive} {
		require.Contains(t, flows, name)
	}
	require.Len(t, flows, 3)
	for _, name := range []string{DefectIgnoreReply, DefectIgnoreMaxParallel, DefectIgnoreVNFGroups, DefectIgnoreVNFLimits, DefectForgetOnRestart} {
		require.Contains(t, defects, name)
	}
	require.Len(t, defects, 5)

	cfg := baseConfig("F3")
	require.EqualError(t, cfg.validate(), `unknown flow "F3" (want F1, F2 or naive)`)
	cfg = baseConfig(FlowF1)
	cfg.Defects = []string{"forget-everything"}
	require.EqualError(t, cfg.validate(), `unknown defect "forget-everything"`)
}

func TestOneOf(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"b", "a"}, "a or b"},
		{[]string{"naive", "F2", "F1"}, "F1, F2 or naive"},
	}
	for _, tc := range tests {
		m := map[string]bool{}
		for _, n := range tc.names {
			m[n] = true
		}
		require.Equal(t, tc.want, oneOf(m))
	}
}

// Each defect leaves out exactly its step of the flow it wraps, and the
// production flows do every step.
func TestDefectsLeaveOutOneStep(t *testing.T) {
	type steps struct {
		filters                                   []string
		awaitsReplies, honoursVNFLimits, maintain bool
	}
	of := func(f flow, cfg *Config) steps {
		var names []string
		for _, x := range f.filters(cfg) {
			names = append(names, x.name)
		}
		return steps{names, f.awaitsReplies(), f.honoursVNFLimits(), f.maintains()}
	}
	tests := []struct {
		flow    string
		defects []string
		byZone  bool
		want    steps
	}{
		{FlowF1, nil, false, steps{[]string{"max-parallel", "recovery", "groups"}, true, true, true}},
		{FlowF1, nil, true, steps{[]string{"max-parallel", "zone", "recovery", "groups"}, true, true, true}},
		{FlowF2, nil, false, steps{[]string{"one-node", "recovery"}, true, true, true}},
		{FlowNaive, nil, false, steps{[]string{"max-parallel", "recovery"}, true, true, false}},
		{FlowF1, []string{DefectIgnoreReply}, false, steps{[]string{"max-parallel", "recovery", "groups"}, false, true, true}},
		{FlowF1, []string{DefectIgnoreVNFGroups}, false, steps{[]string{"max-parallel", "recovery"}, true, true, true}},
		{FlowF1, []string{DefectIgnoreVNFLimits}, false, steps{[]string{"max-parallel", "groups"}, true, false, true}},
		{FlowF1, []string{DefectIgnoreMaxParallel}, false, steps{[]string{"max-parallel", "recovery", "groups"}, true, true, true}},
		{FlowF2, []string{DefectIgnoreVNFGroups, DefectIgnoreVNFLimits}, false, steps{[]string{"one-node"}, true, false, true}},
		{FlowNaive, []string{DefectIgnoreReply, DefectIgnoreVNFLimits}, false, steps{[]string{"max-parallel"}, false, false, false}},
	}
	for _, tc := range tests {
		cfg := baseConfig(tc.flow)
		cfg.Defects, cfg.BatchByZone = tc.defects, tc.byZone
		require.NoError(t, cfg.validate())
		require.Equal(t, tc.want, of(sessionFlow(&cfg), &cfg), "%s %v", tc.flow, tc.defects)
	}
}
