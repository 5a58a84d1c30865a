package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

func writeMarkdown(t *testing.T, run Run) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, run))
	require.True(t, utf8.Valid(b.Bytes()))
	return b.String()
}

// TestMarkdownGolden is the summary of the machine formats' results: the
// gates, the failures and the error with their rerun commands, and every
// scenario folded away.
func TestMarkdownGolden(t *testing.T) {
	golden(t, "markdown.golden", []byte(writeMarkdown(t, fixedRun(machineResults(t)))))
}

// tableRows are the table rows in md, each split into the text between
// the pipes Markdown reads as cell borders (not the escaped ones).
func tableRows(md string) [][]string {
	var rows [][]string
	for line := range strings.SplitSeq(md, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		var cells []string
		cell, escaped := "", false
		for _, r := range line {
			switch {
			case r == '|' && !escaped:
				cells = append(cells, cell)
				cell = ""
			default:
				cell += string(r)
			}
			escaped = r == '\\' && !escaped
		}
		rows = append(rows, append(cells, cell))
	}
	return rows
}

// TestMarkdownEscaping: whatever the texts hold, each row stays one line
// of four cells, and nothing reads as markup.
func TestMarkdownEscaping(t *testing.T) {
	md := writeMarkdown(t, nastyRun())
	rows := tableRows(md)
	require.Len(t, rows, 6) // the failure and the scenario, each under a head and its rule
	for _, cells := range rows {
		require.Len(t, cells, 6, "%q", cells) // four cells between five borders
	}
	require.Contains(t, md, "| a\\<b\\>\\&\"c\" | `zero-loss`, `max-parallel` (did not fail as expected) | lost \\<5\\> \\& \"more\" | "+
		"`escalator run --tag 'a\\|b' --seed 3 'testdata/no such dir/it'\\''s.yaml'` |\n")
	require.NotContains(t, md, "second line", "only the first line of a violation")
	require.NotContains(t, md, "\x1b")
}

func TestMarkdownAllPassed(t *testing.T) {
	pass := scenarios.Run(context.Background(), loadScenario(t, "flows/f2-active-standby.yaml"), scenarios.Options{})
	run := fixedRun([]*judge.Result{pass})
	run.Version, run.ID = "", ""
	md := writeMarkdown(t, run)
	require.Contains(t, md, "✅ 1 passed · ❌ 0 failed · ⚠️ 0 expected failures · 💥 0 errors — 1 scenario in 48ms\n")
	require.Contains(t, md, "<sub>started 2025-03-14 09:26:53 UTC</sub>")
	require.NotContains(t, md, "Failures")
	require.Contains(t, md, "| f2-active-standby | ✅ pass | 43m12s | 0 |")

	md = writeMarkdown(t, Run{})
	require.Equal(t, "### escalator run\n\n✅ 0 passed · ❌ 0 failed · ⚠️ 0 expected failures · 💥 0 errors — 0 scenarios in 0s\n", md)
}

// TestMarkdownTruncates: a big suite with many long failures stays under
// the limit, failures first, with a note saying how many rows were left
// out, and the Markdown still closes.
func TestMarkdownTruncates(t *testing.T) {
	long := strings.Repeat("the VNF lost its standby while its active was being migrated; ", 20)
	var results []*judge.Result
	for i := range 3000 {
		s := &spec.Scenario{Name: fmt.Sprintf("scale-%04d", i), Path: fmt.Sprintf("scenarios/scale/scale-%04d.yaml", i)}
		r := &judge.Result{Scenario: s, Seed: int64(i), Verdict: judge.VerdictPass}
		switch i % 3 {
		case 1:
			r.Verdict = judge.VerdictFail
			r.Checks = []judge.CheckResult{{Name: "zero-loss", Status: judge.CheckFailed, Violations: []judge.Violation{{Message: long}}}}
		case 2:
			r.Verdict, r.Err = judge.VerdictError, escalator.Errorf(escalator.EINTERNAL, "%s", long)
		}
		results = append(results, r)
	}
	md := writeMarkdown(t, fixedRun(results))
	require.LessOrEqual(t, len(md), MarkdownLimit)
	require.Greater(t, len(md), MarkdownLimit-4096, "it fills what it may")
	require.Regexp(t, `\n_… and \d+ more not shown: this summary stops at 60 KB\. The JUnit or JSON report has them all\._\n`, md)
	require.NotContains(t, md, "<details>", "no room left for the folded table")
	require.True(t, strings.HasSuffix(md, "\n_The table of all 3000 scenarios is left out: this summary stops at 60 KB._\n"))
	require.Contains(t, md, "| scale-0001 | `zero-loss` | the VNF lost")
	require.Contains(t, md, "…", "a long violation is clipped")
	for _, cells := range tableRows(md) {
		require.Len(t, cells, 6)
		require.LessOrEqual(t, utf8.RuneCountInString(cells[3]), markdownCell+20)
	}

	// All passing: the folded table is cut instead, and still closed.
	for _, r := range results {
		r.Verdict, r.Err, r.Checks = judge.VerdictPass, nil, nil
	}
	md = writeMarkdown(t, fixedRun(append(results, results...)))
	require.LessOrEqual(t, len(md), MarkdownLimit)
	require.Contains(t, md, "<details><summary>All 6000 scenarios</summary>")
	require.Regexp(t, `\n_… and \d+ more not shown: this summary stops at 60 KB\._\n\n</details>\n$`, md)
}

func TestMarkdownCode(t *testing.T) {
	require.Equal(t, "`a b`", mdCode("a\nb"))
	require.Equal(t, "``a ` b``", mdCode("a ` b"))
	require.Equal(t, "`` `a` ``", mdCode("`a`"))
	require.Equal(t, "`a\\|b`", mdCode("a|b"))
	require.Equal(t, `\*x\_y\_\*`, mdText("*x_y_*"))
}

func TestMarkdownRefusedAndNoPath(t *testing.T) {
	s := &spec.Scenario{Name: "in-code"}
	r := &judge.Result{Scenario: s, Verdict: judge.VerdictError, Err: errors.New("boom\nstack")}
	refused := &judge.Result{Scenario: &spec.Scenario{Name: "refused", Path: "r.yaml"}, Verdict: judge.VerdictFail, Lost: 1.5}
	refused.Session.State = judge.SessionRefused
	refused.Checks = []judge.CheckResult{{Name: "outcome", Status: judge.CheckFailed, Violations: []judge.Violation{{Message: "the session ended REFUSED"}}}}
	md := writeMarkdown(t, fixedRun([]*judge.Result{r, refused}))
	require.Contains(t, md, "| in-code | 💥 harness error (internal) | boom | — |\n")
	require.Contains(t, md, "| refused | ❌ fail | — (refused) | 1.5 |\n")
}
