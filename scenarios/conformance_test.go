package scenarios

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/sim"
)

// loadCatalogue loads the bundled conformance cases.
func loadCatalogue(t *testing.T) []*Scenario {
	t.Helper()
	files, err := filepath.Glob("conformance/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []*Scenario
	for _, f := range files {
		s, err := LoadFile(f)
		require.NoError(t, err)
		require.NotNil(t, s.Conformance, "%s has no conformance block", f)
		out = append(out, s)
	}
	return out
}

// misbehaving returns a copy of a case run by the reference VNFM with
// another profile.
func misbehaving(s *Scenario, profile string) *Scenario {
	c := *s
	c.VNFM.Behavior = profile
	return &c
}

// TestConformanceMatrix is the proof, in virtual time, that every case
// can fail: each misbehaviour profile fails exactly the cases that list it
// in failedBy, every case is listed by at least one profile, and the
// reference passes everything. The same matrix over TCP with separate
// processes runs in cmd/escalator.
func TestConformanceMatrix(t *testing.T) {
	cases := loadCatalogue(t)
	ids := map[string]bool{}
	for _, s := range cases {
		require.False(t, ids[s.Conformance.ID], "duplicate case id %s", s.Conformance.ID)
		ids[s.Conformance.ID] = true
		require.NotEmpty(t, s.Conformance.FailedBy, "%s: no profile shows that it can fail", s.Conformance.ID)
	}
	for _, p := range sim.BehaviorNames() {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			var want, got []string
			for _, s := range cases {
				if slices.Contains(s.Conformance.FailedBy, p) {
					want = append(want, s.Conformance.ID)
				}
				r := Run(context.Background(), misbehaving(s, p), Options{})
				require.NotEqual(t, VerdictError, r.Verdict, "%s: %v", s.Conformance.ID, r.Err)
				if r.Verdict == VerdictFail {
					got = append(got, s.Conformance.ID)
				}
			}
			require.Equal(t, want, got, "profile %s fails other cases than the ones that list it", p)
		})
	}
}
