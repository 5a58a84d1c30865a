package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	profiles := sim.BehaviorNames()
	verdicts := make([][]string, len(profiles)) // profile × case
	var wg sync.WaitGroup
	for pi, p := range profiles {
		verdicts[pi] = make([]string, len(cases))
		wg.Go(func() {
			for ci, s := range cases {
				r := Run(context.Background(), misbehaving(s, p), Options{})
				verdicts[pi][ci] = r.Verdict
			}
		})
	}
	wg.Wait()
	for pi, p := range profiles {
		var want, got []string
		for ci, s := range cases {
			require.NotEqual(t, VerdictError, verdicts[pi][ci], "%s under %s", s.Conformance.ID, p)
			if slices.Contains(s.Conformance.FailedBy, p) {
				want = append(want, s.Conformance.ID)
			}
			if verdicts[pi][ci] == VerdictFail {
				got = append(got, s.Conformance.ID)
			}
			if p == sim.BehaviorReference {
				require.Contains(t, []string{VerdictPass, VerdictNotApplicable}, verdicts[pi][ci], s.Conformance.ID)
			}
		}
		require.Equal(t, want, got, "profile %s fails other cases than the ones that list it", p)
	}
	checkConformanceDoc(t, cases, profiles, verdicts)
}

// checkConformanceDoc keeps the generated parts of docs/CONFORMANCE.md
// (between the GENERATED markers) true to the catalogue and to the matrix
// just measured; -update rewrites them.
func checkConformanceDoc(t *testing.T, cases []*Scenario, profiles []string, verdicts [][]string) {
	const path = "../docs/CONFORMANCE.md"
	cur, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(cur)
	doc = replaceGenerated(t, doc, "cases", renderCases(cases))
	doc = replaceGenerated(t, doc, "matrix", renderMatrix(cases, profiles, verdicts))
	doc = replaceGenerated(t, doc, "profiles", renderProfiles())
	doc = replaceGenerated(t, doc, "checks", renderChecks())
	if *updateDocs {
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
		return
	}
	require.Equal(t, doc, string(cur), "docs/CONFORMANCE.md is stale: go test ./scenarios/ -run ConformanceMatrix -update")
}

func replaceGenerated(t *testing.T, doc, name, body string) string {
	begin := "<!-- BEGIN GENERATED " + name + " (go test ./scenarios/ -run ConformanceMatrix -update) -->\n"
	end := "<!-- END GENERATED " + name + " -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	require.True(t, i >= 0 && j > i, "docs/CONFORMANCE.md lacks the markers %q … %q", begin, end)
	return doc[:i+len(begin)] + body + doc[j:]
}

func renderCases(cases []*Scenario) string {
	var b strings.Builder
	for _, s := range cases {
		c := s.Conformance
		fmt.Fprintf(&b, "### %s %s\n\n", c.ID, c.Title)
		fmt.Fprintf(&b, "| | |\n|---|---|\n")
		fmt.Fprintf(&b, "| Test ID | `%s` ([%s](../scenarios/conformance/%s.yaml)) |\n", c.ID, s.Name, s.Name)
		fmt.Fprintf(&b, "| Objective | %s |\n", oneLine(c.Objective))
		fmt.Fprintf(&b, "| Pre-conditions | %s |\n", oneLine(strings.Join(c.Preconditions, "; ")))
		fmt.Fprintf(&b, "| Reference | %s |\n", oneLine(c.Reference))
		fmt.Fprintf(&b, "| Applicability | %s |\n", oneLine(c.Applicability))
		fmt.Fprintf(&b, "| Post-conditions | %s |\n", oneLine(strings.Join(c.Postconditions, "; ")))
		fmt.Fprintf(&b, "| Decided by | %s |\n", codeList(c.DecidedBy))
		fmt.Fprintf(&b, "| Failed by | %s |\n\n", codeList(c.FailedBy))
	}
	return b.String()
}

func renderMatrix(cases []*Scenario, profiles []string, verdicts [][]string) string {
	var b strings.Builder
	b.WriteString("| profile |")
	for _, s := range cases {
		b.WriteString(" " + s.Conformance.ID + " |")
	}
	b.WriteString("\n|---|")
	for range cases {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	mark := map[string]string{VerdictPass: "·", VerdictFail: "**FAIL**", VerdictNotApplicable: "n/a"}
	for pi, p := range profiles {
		fmt.Fprintf(&b, "| `%s` |", p)
		for ci := range cases {
			b.WriteString(" " + mark[verdicts[pi][ci]] + " |")
		}
		b.WriteString("\n")
	}
	// Which cases some profile fails on its own, and which only with
	// others: the honest answer to "can this case fail alone?".
	var alone, together []string
	for ci, s := range cases {
		single := false
		for pi := range profiles {
			n := 0
			for cj := range cases {
				if verdicts[pi][cj] == VerdictFail {
					n++
				}
			}
			if verdicts[pi][ci] == VerdictFail && n == 1 {
				single = true
			}
		}
		if single {
			alone = append(alone, s.Conformance.ID)
		} else {
			together = append(together, s.Conformance.ID)
		}
	}
	fmt.Fprintf(&b, "\nFailed alone by some profile: %s.\n", strings.Join(alone, ", "))
	if len(together) > 0 {
		fmt.Fprintf(&b, "Failed only together with other cases (the broken rule has more than one consequence): %s.\n", strings.Join(together, ", "))
	}
	return b.String()
}

func renderProfiles() string {
	var b strings.Builder
	b.WriteString("| profile | layer | what the VNFM does |\n|---|---|---|\n")
	for _, p := range sim.Profiles {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Name, p.Layer, p.Summary)
	}
	return b.String()
}

func renderChecks() string {
	var b strings.Builder
	b.WriteString("| check | passes when |\n|---|---|\n")
	for _, n := range ConformanceCheckNames() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, ConformanceCheckDoc(n))
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(s, "|", "\\|")
}

func codeList(xs []string) string {
	if len(xs) == 0 {
		return "—"
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = "`" + x + "`"
	}
	return strings.Join(out, ", ")
}

// TestConformerPrepare: a case run against an external VNFM has its
// world's durations divided by the speed, the VNFM's obligations kept,
// its VNFs given to the VNFM under test, and a seed of its own; the
// catalogue's case is left as it was.
func TestConformerPrepare(t *testing.T) {
	cases, err := Catalogue()
	require.NoError(t, err)
	require.Len(t, cases, len(loadCatalogue(t)), "the embedded catalogue is the folder's")
	var orig *Scenario
	for _, s := range cases {
		if s.Conformance.ID == "DUP-001" {
			orig = s
		}
	}
	require.NotNil(t, orig)
	before := *orig
	c := NewConformer(ConformOptions{VNFM: "acme-vnfm", Speed: 60, Nonce: 7})
	got := c.prepare(orig)
	require.Equal(t, "acme-vnfm", got.VNFM.Name)
	require.Equal(t, orig.Upgrade.NodeUpgradeTime/60, got.Upgrade.NodeUpgradeTime)
	require.Equal(t, orig.Upgrade.VerifyTime/60, got.Upgrade.VerifyTime)
	require.Equal(t, orig.NFVI.LiveMigration.Blackout/60, got.NFVI.LiveMigration.Blackout)
	require.Equal(t, orig.VNFs[1].ServiceTime/60, got.VNFs[1].ServiceTime)
	require.Equal(t, orig.Upgrade.ReplyTimeout, got.Upgrade.ReplyTimeout, "the VNFM's own deadline is not the world's to shorten")
	require.NotEqual(t, orig.Seed, got.Seed)
	require.Equal(t, before.VNFM.Name, orig.VNFM.Name)
	require.Equal(t, before.VNFs[1].ServiceTime, orig.VNFs[1].ServiceTime, "the catalogue's case is not changed")

	other := NewConformer(ConformOptions{VNFM: "acme-vnfm", Speed: 60, Nonce: 8}).prepare(orig)
	require.NotEqual(t, got.Seed, other.Seed, "another run draws other ids")
	withTimeout := NewConformer(ConformOptions{VNFM: "v", ReplyTimeout: 3 * time.Second}).prepare(orig)
	require.Equal(t, Duration(3*time.Second), withTimeout.Upgrade.ReplyTimeout)
}
