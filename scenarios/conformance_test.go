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

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
)

// loadCatalogue loads the bundled conformance cases.
func loadCatalogue(t *testing.T) []*spec.Scenario {
	t.Helper()
	files, err := filepath.Glob("conformance/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []*spec.Scenario
	for _, f := range files {
		s, err := load.File(f)
		require.NoError(t, err)
		require.NotNil(t, s.Conformance, "%s has no conformance block", f)
		out = append(out, s)
	}
	return out
}

// row is one line of the matrix: a profile, and for the credential
// profiles the kind of notification credentials the VNFM asks for in every
// case, as a real VNFM would (auth ""; each case's file decides).
type row struct {
	profile, auth string
}

func (r row) label() string {
	if r.auth == "" {
		return "`" + r.profile + "`"
	}
	return fmt.Sprintf("`%s` (%s)", r.profile, map[string]string{"basic": "BASIC", "oauth2": "OAuth2"}[r.auth])
}

// misbehaving returns a copy of a case run by the reference VNFM with
// another profile.
func misbehaving(s *spec.Scenario, r row) *spec.Scenario {
	c := *s
	c.VNFM.Behavior = r.profile
	if r.auth != "" {
		c.VNFM.NotifyAuth = r.auth
	}
	return &c
}

// matrixRows: every profile once; the credential profile once per kind of
// credentials, because a VNFM asks for one kind and the AUTH case of the
// other kind then does not apply to it.
func matrixRows() []row {
	var out []row
	for _, p := range sim.BehaviorNames() {
		if p == sim.BehaviorAcceptsBadAuth {
			out = append(out, row{p, "basic"}, row{p, "oauth2"})
			continue
		}
		out = append(out, row{profile: p})
	}
	return out
}

// TestConformanceMatrix is the proof, in virtual time, that every case
// can fail: each misbehaviour profile fails exactly the cases that list it
// in failedBy (less a case that does not apply to the credentials it asks
// for), every case is listed by at least one profile, and the reference
// passes everything. The same matrix over TCP with separate processes runs
// in cmd/escalator.
func TestConformanceMatrix(t *testing.T) {
	cases := loadCatalogue(t)
	ids := map[string]bool{}
	for _, s := range cases {
		require.False(t, ids[s.Conformance.ID], "duplicate case id %s", s.Conformance.ID)
		ids[s.Conformance.ID] = true
		require.NotEmpty(t, s.Conformance.FailedBy, "%s: no profile shows that it can fail", s.Conformance.ID)
	}
	rows := matrixRows()
	verdicts := make([][]string, len(rows)) // row × case
	var wg sync.WaitGroup
	for ri, r := range rows {
		verdicts[ri] = make([]string, len(cases))
		wg.Go(func() {
			for ci, s := range cases {
				res := Run(context.Background(), misbehaving(s, r), Options{})
				verdicts[ri][ci] = res.Verdict
			}
		})
	}
	wg.Wait()
	for ri, r := range rows {
		var want, got []string
		for ci, s := range cases {
			id := s.Conformance.ID
			require.NotEqual(t, judge.VerdictError, verdicts[ri][ci], "%s under %s", id, r.label())
			if r.profile == sim.BehaviorReference {
				require.Contains(t, []string{judge.VerdictPass, judge.VerdictNotApplicable}, verdicts[ri][ci], id)
			}
			if verdicts[ri][ci] == judge.VerdictFail {
				got = append(got, id)
			}
			// An AUTH case (its file sets notifyAuth) of the other kind of
			// credentials does not apply to this row's VNFM; every other
			// case that names the profile must fail.
			other := r.auth != "" && s.VNFM.NotifyAuth != "" && s.VNFM.NotifyAuth != r.auth
			if other {
				require.Equal(t, judge.VerdictNotApplicable, verdicts[ri][ci], "%s under %s", id, r.label())
			}
			if slices.Contains(s.Conformance.FailedBy, r.profile) && !other {
				want = append(want, id)
			}
		}
		require.Equal(t, want, got, "profile %s fails other cases than the ones that list it", r.label())
	}
	// The bar, and the point of the profiles: each case has a
	// profile under which it is the only failure, so a FAIL of that case
	// names the rule broken, not a consequence of another. (A case no
	// profile fails at all is among them.)
	_, together := failedAlone(cases, verdicts)
	require.Empty(t, together, "no profile makes these cases fail on their own")
	checkConformanceDoc(t, cases, rows, verdicts)
}

// checkConformanceDoc keeps the generated parts of docs/CONFORMANCE.md
// (between the GENERATED markers) true to the catalogue and to the matrix
// just measured; -update rewrites them.
func checkConformanceDoc(t *testing.T, cases []*spec.Scenario, rows []row, verdicts [][]string) {
	const path = "../docs/CONFORMANCE.md"
	cur, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(cur)
	doc = replaceGenerated(t, doc, "cases", renderCases(cases))
	doc = replaceGenerated(t, doc, "matrix", renderMatrix(cases, rows, verdicts))
	doc = replaceGenerated(t, doc, "profiles", renderProfiles())
	doc = replaceGenerated(t, doc, "checks", renderChecks())
	if *update {
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

func renderCases(cases []*spec.Scenario) string {
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

func renderMatrix(cases []*spec.Scenario, rows []row, verdicts [][]string) string {
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
	mark := map[string]string{judge.VerdictPass: "·", judge.VerdictFail: "**FAIL**", judge.VerdictNotApplicable: "n/a"}
	for ri, r := range rows {
		fmt.Fprintf(&b, "| %s |", r.label())
		for ci := range cases {
			b.WriteString(" " + mark[verdicts[ri][ci]] + " |")
		}
		b.WriteString("\n")
	}
	alone, together := failedAlone(cases, verdicts)
	fmt.Fprintf(&b, "\nFailed alone by some profile: %s.\n", strings.Join(alone, ", "))
	if len(together) > 0 {
		fmt.Fprintf(&b, "Failed only together with other cases (the broken rule has more than one consequence): %s.\n", strings.Join(together, ", "))
	}
	return b.String()
}

// failedAlone splits the cases into those some row fails on its own and
// those every failing row fails together with others: the honest answer to
// "can this case fail alone?".
func failedAlone(cases []*spec.Scenario, verdicts [][]string) (alone, together []string) {
	for ci, s := range cases {
		single := false
		for ri := range verdicts {
			n := 0
			for cj := range cases {
				if verdicts[ri][cj] == judge.VerdictFail {
					n++
				}
			}
			if verdicts[ri][ci] == judge.VerdictFail && n == 1 {
				single = true
			}
		}
		if single {
			alone = append(alone, s.Conformance.ID)
		} else {
			together = append(together, s.Conformance.ID)
		}
	}
	return alone, together
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
	for _, n := range judge.ConformanceCheckNames() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, judge.ConformanceCheckDoc(n))
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
	var orig *spec.Scenario
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
	require.Equal(t, spec.Duration(3*time.Second), withTimeout.Upgrade.ReplyTimeout)
}
