package reports

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/escalator-testbed/escalator/scenarios"
)

// MarkdownLimit is the most bytes WriteMarkdown writes. A GitHub comment
// holds 65,536 characters; staying a few KB under leaves room for whatever
// a CI step wraps around the summary.
const MarkdownLimit = 60 << 10

// markdownCell is the longest text a table cell quotes, in runes.
const markdownCell = 200

var verdictBadge = map[string]string{
	scenarios.VerdictPass:  "✅ pass",
	scenarios.VerdictFail:  "❌ fail",
	scenarios.VerdictXFail: "⚠️ xfail",
	scenarios.VerdictError: "💥 error",
}

// WriteMarkdown writes a short summary of the run for a pull request
// comment or a CI step summary (GitHub's $GITHUB_STEP_SUMMARY): the gates
// with their counts, a table of the failures and errors with the command
// that reruns each, and, folded away, every scenario's verdict, upgrade
// duration and lost requests. It stays under MarkdownLimit bytes: rows
// that do not fit are left out with a note saying how many.
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
	fmt.Fprintf(&b, "✅ %d passed · ❌ %d failed · ⚠️ %s · 💥 %s — %s in %s\n",
		n[scenarios.VerdictPass], n[scenarios.VerdictFail],
		plural(n[scenarios.VerdictXFail], "expected failure"), plural(n[scenarios.VerdictError], "error"),
		plural(len(run.Results), "scenario"), HumanDuration(run.Wall))
	if meta := markdownMeta(run); meta != "" {
		b.WriteString("\n<sub>" + meta + "</sub>\n")
	}

	// Every row must leave room for what closes the document.
	const reserve = 512
	fits := func(row string) bool { return b.Len()+len(row)+reserve <= MarkdownLimit }

	var failures []int
	for i, r := range run.Results {
		if r.Verdict == scenarios.VerdictFail || r.Verdict == scenarios.VerdictError {
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

func failureRow(run Run, r *scenarios.Result, name string) string {
	var checks []string
	first := ""
	if r.Verdict == scenarios.VerdictError {
		checks = []string{"💥 harness error (" + mdText(errorKind(r)) + ")"}
		first = errText(r)
	} else {
		for _, c := range judge(r) {
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
	return fmt.Sprintf("| %s | %s | %s | %s |\n", mdText(name), strings.Join(checks, ", "), mdText(clip(firstLine(first), markdownCell)), rerun)
}

func scenarioRow(r *scenarios.Result, name string) string {
	duration, lost := "—", "—"
	switch {
	case r.Verdict == scenarios.VerdictError:
	case r.Session.State == scenarios.SessionRefused:
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
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
