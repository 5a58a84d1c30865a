package reports

// What every format shares about conformance cases: which results are
// cases, the summary line, why a case did not apply, and the evidence of
// a failed case as text (the HTTP exchanges written the way curl -v shows
// them, the spec violations, the trace excerpt).

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// caseOf is r's conformance case, nil for a plain scenario.
func caseOf(r *judge.Result) *spec.ConformanceSpec {
	if r == nil || r.Scenario == nil {
		return nil
	}
	return r.Scenario.Conformance
}

// conformanceSummary is the run's conformance summary line, "" when no
// conformance case ran: plain runs read exactly as before.
func conformanceSummary(results []*judge.Result) string {
	sum, ok := judge.SummarizeConformance(results)
	if !ok {
		return ""
	}
	return sum.String()
}

// contextFailures names the checks of a conformance case that failed but
// do not decide it: shown, so a reader knows, but apart from the verdict.
func contextFailures(r *judge.Result) []string {
	if caseOf(r) == nil || len(r.Scenario.Expect.Violations) > 0 {
		return nil
	}
	var out []string
	for _, c := range r.Checks {
		if c.Status == judge.CheckFailed && !slices.Contains(r.Scenario.Conformance.DecidedBy, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// notApplicable says why a case's deciding checks did not apply, one
// "check: reason" each.
func notApplicable(r *judge.Result) []string {
	var out []string
	for _, c := range r.Deciding() {
		if c.Status == judge.CheckNotApplicable {
			out = append(out, c.Name+": "+cmp.Or(c.Reason, "nothing to judge"))
		}
	}
	return out
}

// statusMet reports whether an exchange got an answer it was meant to
// get; judged is false when nothing said what to expect (the flow's own
// exchanges) or no answer came.
func statusMet(x judge.Exchange) (met, judged bool) {
	if x.Want == "" || x.Status == 0 {
		return false, false
	}
	for w := range strings.SplitSeq(x.Want, " or ") {
		if strings.TrimSpace(w) == strconv.Itoa(x.Status) {
			return true, true
		}
	}
	return false, true
}

// exchangeTitle says who talked to whom, when, and for a probe what it
// tried: "vim → vnfm at 00:00:00.000", "probe (no credentials answer
// 401) at 00:00:00.000".
func exchangeTitle(x judge.Exchange) string {
	who := "probe"
	if x.From != "" || x.To != "" {
		who = cmp.Or(x.From, "?") + " → " + cmp.Or(x.To, "?")
	}
	if x.Case != "" {
		who += " (" + x.Case + ")"
	}
	return who + " at " + htmlOffset(x.At)
}

// exchangeLines writes an exchange as curl -v does: "> " before what was
// sent (the request line, the headers, a blank line, the body), "< "
// before what came back. Headers and bodies are as recorded, secrets
// already masked by the recorder; an answer that was not the one wanted
// says so on its status line.
func exchangeLines(x judge.Exchange) []string {
	out := []string{"> " + x.Method + " " + cmp.Or(x.URL, x.Path)}
	for _, h := range x.RequestHeaders {
		out = append(out, "> "+h)
	}
	out = appendBody(out, ">", x.RequestBody)
	if x.Error != "" {
		return append(out, "! no answer: "+x.Error)
	}
	status := "< " + strconv.Itoa(x.Status)
	if met, judged := statusMet(x); judged && met {
		status += " (expected " + x.Want + ")"
	} else if judged {
		status += " ✗ expected " + x.Want
	}
	out = append(out, status)
	for _, h := range x.ResponseHeaders {
		out = append(out, "< "+h)
	}
	out = appendBody(out, "<", x.ResponseBody)
	return out
}

// evidenceText writes a failed case's evidence as plain text for the
// formats that carry text (the terminal, JUnit): each failed deciding
// check's violation with its exchanges and trace excerpt, then the spec
// violations of the run, once (every item carries the same ones).
func evidenceText(r *judge.Result) string {
	var b strings.Builder
	var specs []escalator.Event
	prev := ""
	for _, ev := range r.Evidence() {
		specs = ev.SpecViolations
		if ev.Check != prev { // a check's violations under one heading
			fmt.Fprintf(&b, "✗ %s\n", ev.Check)
			prev = ev.Check
		}
		writeIndented(&b, "  ", ev.Message)
		for i, x := range ev.Exchanges {
			fmt.Fprintf(&b, "    HTTP exchange %d of %d: %s\n", i+1, len(ev.Exchanges), exchangeTitle(x))
			for _, line := range exchangeLines(x) {
				b.WriteString("      " + line + "\n")
			}
		}
		if excerpt := numbered(ev.Excerpt); len(excerpt) > 0 {
			b.WriteString("    trace excerpt:\n")
			for _, e := range excerpt {
				fmt.Fprintf(&b, "      %s\n", e)
			}
		}
	}
	if specs = numbered(specs); len(specs) > 0 {
		fmt.Fprintf(&b, "spec violations in this run (%d):\n", len(specs))
		for _, e := range specs {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// numbered leaves out the "no such event" placeholders (Seq 0). The list
// is never nil, so JSON writes it as [].
func numbered(events []escalator.Event) []escalator.Event {
	out := make([]escalator.Event, 0, len(events))
	for _, e := range events {
		if e.Seq > 0 {
			out = append(out, e)
		}
	}
	return out
}

// writeIndented writes a message that may span lines, every line
// indented alike.
func writeIndented(b *strings.Builder, prefix, msg string) {
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
}

// caseText is a conformance case as plain text: its label, objective,
// reference, applicability and conditions, how each deciding check came
// out, and how the other checks (context) came out.
func caseText(r *judge.Result) string {
	c := caseOf(r)
	var b strings.Builder
	b.WriteString(r.CaseLabel() + "\n")
	field := func(name, value string) {
		if value = strings.TrimSpace(value); value != "" {
			writeIndented(&b, "", name+": "+value)
		}
	}
	list := func(name string, items []string) {
		if len(items) > 0 {
			b.WriteString(name + ":\n")
			for _, it := range items {
				writeIndented(&b, "  - ", strings.TrimSpace(it))
			}
		}
	}
	field("objective", c.Objective)
	field("reference", c.Reference)
	field("applicability", c.Applicability)
	list("preconditions", c.Preconditions)
	list("postconditions", c.Postconditions)
	var decided []string
	for _, name := range c.DecidedBy {
		s := name + " did not run"
		for _, d := range r.Checks {
			if d.Name == name {
				s = d.Name + " " + d.Status
				if d.Reason != "" {
					s += " (" + d.Reason + ")"
				}
			}
		}
		decided = append(decided, s)
	}
	field("decided by", strings.Join(decided, ", "))
	passed, failed := 0, contextFailures(r)
	for _, ch := range r.Checks {
		if ch.Status == judge.CheckPassed && !slices.Contains(c.DecidedBy, ch.Name) {
			passed++
		}
	}
	if passed+len(failed) > 0 {
		ctx := fmt.Sprintf("%d passed", passed)
		if len(failed) > 0 {
			ctx += "; failed: " + strings.Join(failed, ", ")
		}
		field("other checks (context, not deciding)", ctx)
	}
	return strings.TrimRight(b.String(), "\n")
}

// appendBody adds a message body after an empty marker line, each of its
// lines behind the marker, as curl -v shows one; no body adds nothing.
func appendBody(out []string, marker, body string) []string {
	if body == "" {
		return out
	}
	out = append(out, marker)
	for line := range strings.SplitSeq(body, "\n") {
		out = append(out, marker+" "+line)
	}
	return out
}
