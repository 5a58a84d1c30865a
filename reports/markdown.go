package reports

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// MarkdownLimit is the most bytes WriteMarkdown writes. A GitHub comment
// holds 65,536 characters; staying a few KB under leaves room for whatever
// a CI step wraps around the summary.
const MarkdownLimit = 60 << 10

// markdownCell is the longest text a table cell quotes, in runes.
const markdownCell = 200

var verdictBadge = map[string]string{
	judge.VerdictPass:          "✅ pass",
	judge.VerdictFail:          "❌ fail",
	judge.VerdictXFail:         "⚠️ xfail",
	judge.VerdictError:         "💥 error",
	judge.VerdictNotApplicable: "➖ not applicable",
}

// WriteMarkdown writes a short summary of the run for a pull request
// comment or a CI step summary (GitHub's $GITHUB_STEP_SUMMARY): the gates
// with their counts, a table of the failures and errors with the command
// that reruns each, and, folded away, every scenario's verdict, upgrade
// duration and lost requests. When conformance cases ran, the cases'
// summary follows the gates, and a table of the cases (ID, title,
// verdict, deciding checks, reference) precedes the folded one, each
// failed case's evidence folded under it. It stays under MarkdownLimit
// bytes: rows that do not fit are left out with a note saying how many.
// run.Command is the base command a rerun starts with, as for
// Terminal.Command.
func WriteMarkdown(w io.Writer, run Run) error {
	_, err := io.WriteString(w, markdown(run))
	return err
}

func markdown(run Run) string {
	names := runNames(run.Results)
	n := countVerdicts(run.Results)
	var b strings.Builder
	b.WriteString("### escalator run\n\n")
	na := ""
	if n[judge.VerdictNotApplicable] > 0 { // only conformance cases have it
		na = fmt.Sprintf(" · ➖ %d not applicable", n[judge.VerdictNotApplicable])
	}
	fmt.Fprintf(&b, "✅ %d passed · ❌ %d failed · ⚠️ %s · 💥 %s%s — %s in %s\n",
		n[judge.VerdictPass], n[judge.VerdictFail],
		plural(n[judge.VerdictXFail], "expected failure"), plural(n[judge.VerdictError], "error"), na,
		plural(len(run.Results), "scenario"), HumanDuration(run.Wall))
	sum, cases := judge.SummarizeConformance(run.Results)
	if cases {
		fmt.Fprintf(&b, "\n**Conformance:** %d of %s passed · %d failed · %d not applicable", sum.Passed, plural(sum.Total(), "case"), sum.Failed, sum.NotApplicable)
		if sum.Errors > 0 {
			fmt.Fprintf(&b, " · %d could not run", sum.Errors)
		}
		b.WriteString("\n")
	}
	if meta := markdownMeta(run); meta != "" {
		b.WriteString("\n<sub>" + meta + "</sub>\n")
	}

	// Every row must leave room for what closes the document.
	const reserve = 512
	fits := func(row string) bool { return b.Len()+len(row)+reserve <= MarkdownLimit }

	var failures []int
	for i, r := range run.Results {
		if r.Verdict == judge.VerdictFail || r.Verdict == judge.VerdictError {
			failures = append(failures, i)
		}
	}
	if len(failures) > 0 {
		b.WriteString("\n#### Failures\n\n| Scenario | Failed checks | First violation | Rerun |\n| --- | --- | --- | --- |\n")
		shown := 0
		for _, i := range failures {
			row := failureRow(run, run.Results[i], names[i])
			if !fits(row) {
				break
			}
			b.WriteString(row)
			shown++
		}
		if left := len(failures) - shown; left > 0 {
			fmt.Fprintf(&b, "\n_… and %d more not shown: this summary stops at %d KB. The JUnit or JSON report has them all._\n", left, MarkdownLimit>>10)
		}
	}

	if cases {
		markdownCases(&b, run, fits)
	}

	head := fmt.Sprintf("\n<details><summary>All %s</summary>\n\n| Scenario | Verdict | Upgrade duration | Lost requests |\n| --- | --- | --- | --- |\n", plural(len(run.Results), "scenario"))
	if len(run.Results) > 0 && fits(head) {
		b.WriteString(head)
		shown := 0
		for i, r := range run.Results {
			row := scenarioRow(r, names[i])
			if !fits(row) {
				break
			}
			b.WriteString(row)
			shown++
		}
		if left := len(run.Results) - shown; left > 0 {
			fmt.Fprintf(&b, "\n_… and %d more not shown: this summary stops at %d KB._\n", left, MarkdownLimit>>10)
		}
		b.WriteString("\n</details>\n")
	} else if len(run.Results) > 0 {
		fmt.Fprintf(&b, "\n_The table of all %s is left out: this summary stops at %d KB._\n", plural(len(run.Results), "scenario"), MarkdownLimit>>10)
	}
	return b.String()
}

// markdownMeta is the fine print: version, run id, start time.
func markdownMeta(run Run) string {
	var parts []string
	if run.Version != "" {
		parts = append(parts, "escalator "+mdText(run.Version))
	}
	if run.ID != "" {
		parts = append(parts, "run "+mdText(run.ID))
	}
	if !run.Started.IsZero() {
		parts = append(parts, "started "+run.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return strings.Join(parts, " · ")
}

func failureRow(run Run, r *judge.Result, name string) string {
	var checks []string
	first := ""
	if r.Verdict == judge.VerdictError {
		checks = []string{"💥 harness error (" + mdText(errorKind(r)) + ")"}
		first = errText(r)
	} else if caseOf(r) != nil && len(r.Scenario.Expect.Violations) == 0 {
		// A conformance case fails on its deciding checks alone.
		for _, c := range r.Deciding() {
			if c.Status == judge.CheckFailed {
				checks = append(checks, mdCode(c.Name))
				if first == "" && len(c.Violations) > 0 {
					first = c.Violations[0].Message
				}
			}
		}
	} else {
		for _, c := range judgedChecks(r) {
			switch c.outcome {
			case judgedFailed:
				checks = append(checks, mdCode(c.Name))
				if first == "" && len(c.Violations) > 0 {
					first = c.Violations[0].Message
				}
			case judgedMissed:
				checks = append(checks, mdCode(c.Name)+" (did not fail as expected)")
				if first == "" {
					first = c.Name + ": " + missedMessage(c)
				}
			}
		}
	}
	rerun := "—"
	if cmd := rerunCommand(run.Command, r); cmd != "" {
		rerun = mdCode(cmd)
	}
	if caseOf(r) != nil {
		name = r.Scenario.Conformance.ID + " " + name
	}
	return fmt.Sprintf("| %s | %s | %s | %s |\n", mdText(name), strings.Join(checks, ", "), mdText(clip(firstLine(first), markdownCell)), rerun)
}

// markdownCases writes the conformance cases: a table of them, then each
// failed case's evidence folded away, as much as fits.
func markdownCases(b *strings.Builder, run Run, fits func(string) bool) {
	head := "\n#### Conformance cases\n\n| Case | Verdict | Decided by | Reference | Scenario |\n| --- | --- | --- | --- | --- |\n"
	if !fits(head) {
		return
	}
	b.WriteString(head)
	names := runNames(run.Results)
	var rows, failed []int
	for i, r := range run.Results {
		if caseOf(r) == nil {
			continue
		}
		rows = append(rows, i)
		if r.Verdict == judge.VerdictFail && len(r.Evidence()) > 0 {
			failed = append(failed, i)
		}
	}
	shown := 0
	for _, i := range rows {
		row := caseRow(run.Results[i], names[i])
		if !fits(row) {
			break
		}
		b.WriteString(row)
		shown++
	}
	left := len(rows) - shown
	for _, i := range failed {
		block := evidenceBlock(run.Results[i], names[i])
		if !fits(block) {
			left++
			continue
		}
		b.WriteString(block)
	}
	if left > 0 {
		fmt.Fprintf(b, "\n_… %d more cases or evidence not shown: this summary stops at %d KB. The JSON, JUnit or HTML report has them all._\n", left, MarkdownLimit>>10)
	}
}

// caseRow is a conformance case's row: its ID and title, verdict (with
// why, when it did not apply), the checks that decide it, the clause.
func caseRow(r *judge.Result, name string) string {
	c := r.Scenario.Conformance
	verdict := verdictBadge[r.Verdict]
	if r.Verdict == judge.VerdictNotApplicable {
		verdict += " (" + mdText(clip(strings.Join(notApplicable(r), "; "), markdownCell)) + ")"
	}
	var decided []string
	for _, d := range c.DecidedBy {
		decided = append(decided, mdCode(d))
	}
	return fmt.Sprintf("| **%s** %s | %s | %s | %s | %s |\n", mdText(c.ID), mdText(clip(c.Title, markdownCell)), verdict,
		strings.Join(decided, ", "), mdText(clip(c.Reference, markdownCell)), mdText(name))
}

// evidenceBlock is a failed case's evidence, folded: each failed deciding
// check's violations, with the HTTP exchanges (as curl -v shows them),
// the trace events and the run's spec violations in a code block.
func evidenceBlock(r *judge.Result, name string) string {
	var b strings.Builder
	// A summary is HTML, where Markdown's escapes would show: escape it as HTML.
	fmt.Fprintf(&b, "\n<details><summary>Evidence: %s (%s)</summary>\n\n", htmlEsc(r.CaseLabel()), htmlEsc(name))
	text := evidenceText(r)
	fmt.Fprintf(&b, "%s\n%s\n%s\n\n</details>\n", mdFence(text), text, mdFence(text))
	return b.String()
}

// longestBacktickRun is the most backticks s holds in a row: a code span
// or fence must be longer to hold s.
func longestBacktickRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// mdFence is a code fence longer than any run of backticks in s.
func mdFence(s string) string {
	return strings.Repeat("`", max(3, longestBacktickRun(s)+1))
}

func scenarioRow(r *judge.Result, name string) string {
	duration, lost := "—", "—"
	switch {
	case r.Verdict == judge.VerdictError:
	case r.Session.State == judge.SessionRefused:
		duration, lost = "— (refused)", fmtLost(r.Lost)
	default:
		duration, lost = HumanDuration(r.UpgradeDuration), fmtLost(r.Lost)
	}
	return fmt.Sprintf("| %s | %s | %s | %s |\n", mdText(name), verdictBadge[r.Verdict], duration, lost)
}

// clip shortens s to n runes, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return cut(s, n)
}

// mdText makes s safe in a Markdown table cell: one line, with Markdown's
// punctuation and HTML's angle brackets escaped so it reads as written.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '&', '~', '#', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode is s as an inline code span in a table cell: fenced with more
// backticks than s holds in a row, its pipes escaped (GFM splits cells
// before it reads code spans).
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "|", `\|`).Replace(s)
	fence := strings.Repeat("`", longestBacktickRun(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
