package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The conformance fixtures, testdata/conformance/*.yaml, each a case run
// for real in virtual time: MNT-002 against a VNFM that acknowledges
// without moving (fails on the maintenance flow), SEC-001 against an
// endpoint that takes bad credentials (fails on the probes, with the
// credentials masked), MNT-002 against the reference VNFM (passes),
// SEC-001 against a VNFM that asks for no credentials (not applicable),
// and MNT-002 in a world that cannot be built (a harness error).
const (
	caseFailFlow = iota
	caseFailProbe
	casePass
	caseNotApplicable
	caseError
)

var conformanceOnce = sync.OnceValues(func() ([]*judge.Result, error) {
	var out []*judge.Result
	for _, c := range []struct {
		file string
		edit func(*spec.Scenario)
	}{
		{file: "mnt-002-fail.yaml"},
		{file: "sec-001-fail.yaml"},
		{file: "mnt-002-pass.yaml"},
		{file: "sec-001-na.yaml"},
		{file: "mnt-002-pass.yaml", edit: func(s *spec.Scenario) {
			s.Name = "conformance-mnt-002-unbuildable"
			s.VNFs[0].Placement = []string{"compute-99"}
		}},
	} {
		s, err := load.File(filepath.Join("testdata", "conformance", c.file))
		if err != nil {
			return nil, err
		}
		if c.edit != nil {
			c.edit(s)
		}
		out = append(out, scenarios.Run(context.Background(), s, scenarios.Options{}))
	}
	return out, nil
})

// conformanceResults are the fixtures' results, run once and shared: no
// test may change them.
func conformanceResults(t testing.TB) []*judge.Result {
	t.Helper()
	out, err := conformanceOnce()
	require.NoError(t, err)
	want := []string{judge.VerdictFail, judge.VerdictFail, judge.VerdictPass, judge.VerdictNotApplicable, judge.VerdictError}
	for i, r := range out {
		require.Equal(t, want[i], r.Verdict, "%s: %v", r.Scenario.Name, r.Err)
	}
	return out
}

// mixedResults are a plain pass and a plain failure beside the cases, so
// every format shows both kinds in one run.
func mixedResults(t testing.TB) []*judge.Result {
	t.Helper()
	plain := machineResults(t.(*testing.T))
	return append([]*judge.Result{plain[0], plain[2]}, conformanceResults(t)...)
}

// TestConformanceFixtures: the cases judge what they should, so the
// reports below render real evidence. Should one of these fail, the
// checks (scenarios/judge/check_conformance.go) changed, not the reports.
func TestConformanceFixtures(t *testing.T) {
	rs := conformanceResults(t)

	flow := rs[caseFailFlow].Evidence()
	require.NotEmpty(t, flow)
	for _, ev := range flow {
		require.Equal(t, "switchover-before-reply", ev.Check)
		require.NotEmpty(t, ev.Exchanges, "the notification the VNFM acknowledged")
		require.Equal(t, "vim", ev.Exchanges[0].From)
		require.Equal(t, "POST", ev.Exchanges[0].Method)
		require.Equal(t, 204, ev.Exchanges[0].Status)
		require.NotEmpty(t, ev.Excerpt, "the notify and reply events")
	}
	require.Contains(t, contextFailures(rs[caseFailFlow]), "zero-loss", "the loss is context, not the verdict")

	probe := rs[caseFailProbe].Evidence()
	require.Len(t, probe, 2, "no credentials, a wrong password")
	for _, ev := range probe {
		require.Len(t, ev.Exchanges, 1)
		x := ev.Exchanges[0]
		require.Equal(t, "401", x.Want)
		require.Equal(t, 204, x.Status)
		for _, h := range x.RequestHeaders {
			if strings.HasPrefix(h, "Authorization: ") {
				require.Equal(t, "Authorization: Basic ***", h)
			}
		}
	}

	require.Empty(t, rs[casePass].Evidence())
	require.Equal(t, []string{"auth-basic: the VNFM's subscription asks for no BASIC credentials"}, notApplicable(rs[caseNotApplicable]))
	sum, ok := judge.SummarizeConformance(rs)
	require.True(t, ok)
	require.Equal(t, judge.ConformanceSummary{Passed: 1, Failed: 2, NotApplicable: 1, Errors: 1}, sum)
}

func conformanceRun(t *testing.T) Run {
	return fixedRun(mixedResults(t))
}

// TestTerminalConformanceGolden: the cases beside plain scenarios, one
// line each with the case's ID, the summary with a not-applicable gate
// and the conformance line, and each failed case with its evidence.
func TestTerminalConformanceGolden(t *testing.T) {
	results := mixedResults(t)
	var b bytes.Buffer
	term := Terminal{W: &b, Command: "escalator run", Brief: true}
	for _, r := range results {
		term.Scenario(r, 12*time.Millisecond)
	}
	term.Summary(Summary{Results: results, Wall: 48 * time.Millisecond})
	golden(t, "conformance/terminal.golden", b.Bytes())
}

// TestTerminalConformanceEvidence: what the golden shows, said in words:
// the evidence of the probe case names the request, masks the
// credentials and marks the status that was not the one expected (red on
// a terminal); a plain run prints no conformance line.
func TestTerminalConformanceEvidence(t *testing.T) {
	rs := conformanceResults(t)
	render := func(color bool, results ...*judge.Result) string {
		var b bytes.Buffer
		Terminal{W: &b, Command: "escalator run", Color: color, Brief: true}.Summary(Summary{Results: results})
		return b.String()
	}
	out := render(false, rs[caseFailProbe])
	require.Contains(t, out, "conformance: 0 passed, 1 failed, 0 not applicable\n")
	require.Contains(t, out, "       SEC-001 Notifications authenticated with BASIC credentials\n")
	require.Contains(t, out, "> POST http://vnfm-1.vnfm.escalator/vnfm_notification/v1/notifications\n")
	require.Contains(t, out, "> Authorization: Basic ***\n")
	require.NotContains(t, out, "basic-secret", "no credentials in the clear")
	require.NotContains(t, out, "dmltOmJhc2lj", "nor base64-encoded (vim:basic-secret)")
	require.Contains(t, out, "< 204 ✗ expected 401\n")
	require.Contains(t, render(true, rs[caseFailProbe]), "\x1b[31m< 204 ✗ expected 401\x1b[0m")

	na := render(false, rs[caseNotApplicable])
	require.Contains(t, na, "NOT APPLICABLE 1")
	require.NotContains(t, render(false, machineResults(t)...), "conformance")
	require.NotContains(t, render(false, machineResults(t)...), "NOT APPLICABLE")
}

// TestJSONConformanceGolden is the JSON report of the cases beside plain
// scenarios: the conformance summary at the top, each case's metadata,
// and the evidence of the failed ones.
func TestJSONConformanceGolden(t *testing.T) {
	golden(t, "conformance/json.golden", writeJSON(t, conformanceRun(t)))
}

// TestJSONConformance reads the report back: the summary counts the
// cases, a plain scenario has no conformance fields, each case has its
// metadata, and the evidence is the results' own, exchange by exchange.
func TestJSONConformance(t *testing.T) {
	run := conformanceRun(t)
	var doc jsonRun
	require.NoError(t, json.Unmarshal(writeJSON(t, run), &doc))
	require.Equal(t, &jsonConformance{Total: 5, Passed: 1, Failed: 2, NotApplicable: 1, Errors: 1}, doc.Conformance)
	require.Equal(t, 1, doc.Summary.NotApplicable)
	require.False(t, doc.Summary.OK)
	for i, s := range doc.Scenarios {
		r := run.Results[i]
		c := caseOf(r)
		if c == nil {
			require.Nil(t, s.Conformance, s.Name)
			require.Empty(t, s.Evidence, s.Name)
			continue
		}
		require.Equal(t, c.ID, s.Conformance.ID)
		require.Equal(t, c.Title, s.Conformance.Title)
		require.Equal(t, c.Objective, s.Conformance.Objective)
		require.Equal(t, c.Reference, s.Conformance.Reference)
		require.Equal(t, c.DecidedBy, s.Conformance.DecidedBy)
		evidence := r.Evidence()
		require.Len(t, s.Evidence, len(evidence), s.Name)
		for k, ev := range evidence {
			got := s.Evidence[k]
			require.Equal(t, ev.Check, got.Check)
			require.Equal(t, ev.Message, got.Message)
			require.Len(t, got.Exchanges, len(ev.Exchanges))
			for m, x := range ev.Exchanges {
				gx := got.Exchanges[m]
				require.Equal(t, x.At.String(), gx.T)
				require.Equal(t, x.Method, gx.Method)
				require.Equal(t, x.Path, gx.Path)
				require.Equal(t, x.Status, gx.Status)
				require.Equal(t, x.Want, gx.Want)
				require.Equal(t, x.RequestHeaders, gx.RequestHeaders)
				require.Equal(t, x.RequestBody, gx.RequestBody)
				require.Equal(t, x.ResponseBody, gx.ResponseBody)
			}
			require.Len(t, got.Excerpt, len(numbered(ev.Excerpt)))
		}
	}
	probe := doc.Scenarios[2+caseFailProbe]
	require.Equal(t, "SEC-001", probe.Conformance.ID)
	require.Contains(t, probe.Evidence[1].Exchanges[0].RequestHeaders, "Authorization: Basic ***")
	na := doc.Scenarios[2+caseNotApplicable]
	require.Equal(t, judge.VerdictNotApplicable, na.Verdict)
	require.Empty(t, na.Evidence)
	for _, c := range na.Checks {
		if c.Name == "auth-basic" {
			require.Equal(t, judge.CheckNotApplicable, c.Status)
			require.NotEmpty(t, c.Reason)
		}
	}
}

// TestJSONSchemaStrictConformance: the schema refuses what the writer
// never writes in the conformance parts.
func TestJSONSchemaStrictConformance(t *testing.T) {
	sch := runSchema(t)
	good := writeJSON(t, conformanceRun(t))
	require.NoError(t, validateJSON(t, sch, good))
	probe := 2 + caseFailProbe
	evidence := func(doc map[string]any) map[string]any {
		return scenario(doc, probe)["evidence"].([]any)[0].(map[string]any)
	}
	exchange := func(doc map[string]any) map[string]any {
		return evidence(doc)["exchanges"].([]any)[0].(map[string]any)
	}
	for name, edit := range map[string]func(doc map[string]any){
		"summary without a count":   func(doc map[string]any) { delete(doc["conformance"].(map[string]any), "notApplicable") },
		"summary with an extra key": func(doc map[string]any) { doc["conformance"].(map[string]any)["skipped"] = 0 },
		"bad case id":               func(doc map[string]any) { scenario(doc, probe)["conformance"].(map[string]any)["id"] = "sec-1" },
		"case without a check":      func(doc map[string]any) { scenario(doc, probe)["conformance"].(map[string]any)["decidedBy"] = []any{} },
		"not applicable without a reason": func(doc map[string]any) {
			for _, c := range scenario(doc, 2+caseNotApplicable)["checks"].([]any) {
				if m := c.(map[string]any); m["status"] == judge.CheckNotApplicable {
					delete(m, "reason")
				}
			}
		},
		"evidence without an excerpt": func(doc map[string]any) { delete(evidence(doc), "excerpt") },
		"empty evidence":              func(doc map[string]any) { scenario(doc, probe)["evidence"] = []any{} },
		"exchange with a bad status":  func(doc map[string]any) { exchange(doc)["status"] = 42 },
		"exchange with a bad want":    func(doc map[string]any) { exchange(doc)["want"] = "401 please" },
		"exchange with a secret key":  func(doc map[string]any) { exchange(doc)["authorization"] = "Basic dmlt" },
	} {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(good, &doc))
		edit(doc)
		bad, err := json.Marshal(doc)
		require.NoError(t, err)
		require.Error(t, validateJSON(t, sch, bad), name)
	}
}

// TestJUnitConformanceGolden is the JUnit report of the cases beside
// plain scenarios.
func TestJUnitConformanceGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, conformanceRun(t)))
	golden(t, "conformance/junit.golden", b.Bytes())
}

// TestJUnitConformance reads the report back: the summary comment at the
// top, one testcase per case named by its ID and title, a failure whose
// text is the evidence, a not-applicable case skipped with why, a harness
// error as an error, the case's metadata in properties and system-out,
// and totals that add up. A plain run has no comment.
func TestJUnitConformance(t *testing.T) {
	run := conformanceRun(t)
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, run))
	require.True(t, strings.HasPrefix(b.String(), `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		"<!-- conformance: 1 passed, 2 failed, 1 not applicable, 1 could not run -->\n<testsuites "), b.String()[:200])
	doc := parseJUnit(t, b.Bytes())
	require.Equal(t, 1+2, doc.Failures, "the plain failure's check, the two failed cases")
	require.Equal(t, 1, doc.Errors)

	suite := func(i int) xTestsuite { return doc.Suites[2+i] }
	for i, r := range conformanceResults(t) {
		s := suite(i)
		require.Len(t, s.Cases, 1, s.Name)
		c := s.Cases[0]
		require.Equal(t, r.CaseLabel(), c.Name)
		require.Equal(t, s.Name, c.Classname)
		require.Equal(t, r.Scenario.Conformance.ID, s.property("conformance.id"))
		require.Equal(t, r.Scenario.Conformance.Title, s.property("conformance.title"))
		require.Equal(t, r.Verdict, s.property("verdict"))
		require.True(t, strings.HasPrefix(c.SystemOut, r.CaseLabel()+"\nobjective: Verify that "), c.SystemOut)
		require.Contains(t, c.SystemOut, "decided by: "+r.Scenario.Conformance.DecidedBy[0])
	}

	flow := suite(caseFailFlow).Cases[0]
	require.Equal(t, "conformance", flow.Failure.Type)
	require.Contains(t, flow.Failure.Text, "✗ switchover-before-reply\n  active instance mme-1 of mme was still active")
	require.Contains(t, flow.Failure.Text, "    HTTP exchange 1 of 2: vim → vnfm at 00:00:00.000\n      > POST /vnfm_notification/v1/notifications\n")
	require.Contains(t, flow.Failure.Text, "    trace excerpt:\n      #15 ")
	require.Contains(t, flow.SystemOut, "other checks (context, not deciding): ")
	require.Contains(t, flow.SystemOut, "failed: zero-loss, max-interruption, business-moved-before-upgrade")
	require.True(t, strings.HasSuffix(flow.Failure.Text, "\n\nrerun: escalator run --seed 11 testdata/conformance/mnt-002-fail.yaml"))

	probe := suite(caseFailProbe).Cases[0]
	require.Equal(t, "auth-basic: no credentials answer 401: POST /vnfm_notification/v1/notifications answered 204, want 401", probe.Failure.Message)
	require.Contains(t, probe.Failure.Text, "      > Authorization: Basic ***\n")
	require.Contains(t, probe.Failure.Text, "      < 204 ✗ expected 401\n")
	require.NotContains(t, probe.Failure.Text, "basic-secret")

	require.Nil(t, suite(casePass).Cases[0].Failure)
	require.Contains(t, suite(casePass).Cases[0].SystemOut, "decided by: switchover-before-reply passed")

	na := suite(caseNotApplicable)
	require.Equal(t, 1, na.Skipped)
	require.Equal(t, "not applicable: auth-basic: the VNFM's subscription asks for no BASIC credentials", na.Cases[0].Skipped.Message)

	broken := suite(caseError).Cases[0]
	require.Equal(t, "invalid", broken.Error.Type)
	require.Equal(t, "deploying VNF mme: node compute-99 does not exist", broken.Error.Message)

	// The plain scenarios beside the cases are as they always were.
	var plain bytes.Buffer
	require.NoError(t, WriteJUnit(&plain, fixedRun(machineResults(t))))
	require.NotContains(t, plain.String(), "<!--")
	require.NotContains(t, plain.String(), "conformance.")
}

func TestXMLComment(t *testing.T) {
	require.Equal(t, "a - - b - -> c", xmlComment("a -- b --> c"))
	require.Equal(t, "a - - - b", xmlComment("a --- b"))
	require.Equal(t, "x\uFFFD\uFFFD", xmlComment("x\x00\xff"))
}

// TestMarkdownConformanceGolden is the Markdown summary of the cases
// beside plain scenarios.
func TestMarkdownConformanceGolden(t *testing.T) {
	golden(t, "conformance/markdown.golden", []byte(writeMarkdown(t, conformanceRun(t))))
}

// TestMarkdownConformance: the summary line under the gates, a row per
// case, the failed cases' evidence folded in code blocks, and a plain run
// without any of it.
func TestMarkdownConformance(t *testing.T) {
	md := writeMarkdown(t, conformanceRun(t))
	require.Contains(t, md, "✅ 2 passed · ❌ 3 failed · ⚠️ 0 expected failures · 💥 1 error · ➖ 1 not applicable — 7 scenarios in 48ms\n\n"+
		"**Conformance:** 1 of 5 cases passed · 2 failed · 1 not applicable · 1 could not run\n")
	require.Less(t, strings.Index(md, "**Conformance:**"), strings.Index(md, "#### Failures"), "the summary at the top")
	require.Contains(t, md, "| MNT-002 conformance-mnt-002-ack-without-moving | `switchover-before-reply` | active instance mme-1 of mme was still active")
	require.NotContains(t, md, "`zero-loss`", "context checks do not make a case fail")
	require.Contains(t, md, "| **SEC-001** Notifications authenticated with BASIC credentials | ➖ not applicable (auth-basic: the VNFM's subscription asks for no BASIC credentials) | `auth-basic` |")
	require.Contains(t, md, "<details><summary>Evidence: SEC-001 Notifications authenticated with BASIC credentials (conformance-sec-001-bad-credentials)</summary>\n\n```\n✗ auth-basic\n")
	require.Contains(t, md, "      > Authorization: Basic ***\n")
	require.Contains(t, md, "      < 204 ✗ expected 401\n")
	require.Equal(t, 2, strings.Count(md, "<details><summary>Evidence: "), "the two failed cases")
	var caseRows int
	for _, cells := range tableRows(md) {
		if strings.HasPrefix(cells[1], " **") {
			caseRows++
			require.Len(t, cells, 7, "%q", cells) // five cells between six borders
		}
	}
	require.Equal(t, 5, caseRows)

	plain := writeMarkdown(t, fixedRun(machineResults(t)))
	require.NotContains(t, plain, "Conformance")
	require.NotContains(t, plain, "not applicable")
}

// TestMarkdownConformanceTruncates: many failed cases with their evidence
// stay under the limit, the cut said in a note.
func TestMarkdownConformanceTruncates(t *testing.T) {
	failed := conformanceResults(t)[caseFailProbe]
	var results []*judge.Result
	for range 200 {
		results = append(results, failed)
	}
	md := writeMarkdown(t, fixedRun(results))
	require.LessOrEqual(t, len(md), MarkdownLimit)
	require.Regexp(t, `\n_… \d+ more cases or evidence not shown: this summary stops at 60 KB\. The JSON, JUnit or HTML report has them all\._\n`, md)
	require.Equal(t, strings.Count(md, "<details><summary>Evidence: "), strings.Count(md, "</details>\n")-strings.Count(md, "<details><summary>All"))
}

// TestHTMLConformance renders the cases beside plain scenarios and checks
// the page: still self-contained with every anchor resolving; the cases'
// summary at the top, before the matrix, with a row per case leading to
// its metadata; the failed probe case's exchanges written out, the
// credentials masked and the status that was not the one expected marked
// in words; the flow case's exchanges with their status unjudged and its
// context checks apart; the not-applicable case saying why.
func TestHTMLConformance(t *testing.T) {
	run := htmlTestRun(mixedResults(t))
	page := htmlRender(t, run)
	doc := htmlParse(t, page)
	htmlSelfContained(t, doc)
	htmlAnchorsResolve(t, doc, page)
	require.NotContains(t, string(page), "basic-secret")
	require.NotContains(t, string(page), "dmltOmJhc2lj")

	title := htmlText(htmlAll(doc, htmlTag("title"))[0])
	require.Equal(t, "escalator report: 3 failed, 1 errors, 2 passed, 1 not applicable of 7 scenarios; conformance: 1 passed, 2 failed, 1 not applicable, 1 could not run", title)

	gates := map[string]string{}
	for _, li := range htmlAll(doc, func(n *html.Node) bool { return htmlHasClass(n, "gate") }) {
		f := strings.Fields(htmlText(li))
		gates[strings.Join(f[2:], " ")] = f[1]
	}
	require.Equal(t, map[string]string{"passed": "2", "failed": "3", "expected failures": "0", "errors": "1", "not applicable": "1"}, gates)

	summary := htmlByID(doc, "conformance")
	require.NotNil(t, summary)
	require.Less(t, strings.Index(string(page), `id="conformance"`), strings.Index(string(page), `class="matrix"`), "the cases' summary comes first")
	caseGates := map[string]string{}
	for _, li := range htmlAll(summary, func(n *html.Node) bool { return htmlHasClass(n, "case-gate") }) {
		f := strings.Fields(htmlText(li))
		caseGates[strings.Join(f[2:], " ")] = f[1]
	}
	require.Equal(t, map[string]string{"passed": "1", "failed": "2", "not applicable": "1", "could not run": "1"}, caseGates)
	rows := htmlAll(summary, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	require.Len(t, rows, 5)
	var ids []string
	for _, row := range rows {
		a := htmlAll(row, htmlTag("a"))[0]
		ids = append(ids, htmlText(a))
		href, _ := htmlAttr(a, "href")
		block := htmlByID(doc, strings.TrimPrefix(href, "#"))
		require.NotNil(t, block, href)
		require.True(t, htmlHasClass(block, "case"))
		require.Contains(t, htmlText(block), "Objective")
		require.Contains(t, htmlText(block), htmlText(a))
	}
	require.Equal(t, []string{"MNT-002", "SEC-001", "MNT-002", "MNT-002", "SEC-001"}, ids, "failures and errors first")

	rs := conformanceResults(t)
	flow := htmlSection(t, doc, rs[caseFailFlow])
	meta := htmlText(htmlByID(doc, "s-"+htmlSlug(rs[caseFailFlow].Scenario.Name)+"_case"))
	for _, want := range []string{
		"Conformance case MNT-002: Active instance switched over before the acknowledgement",
		"ObjectiveVerify that the VNFM moves the business of an active instance",
		"Referencevim-maintenance.yaml: MaintenanceNotification, SOL013 §5.9",
		"ApplicabilityVNFMs that manage active-standby VNFs",
		"Pre-conditionsan active-standby VNF whose active instance is on the first node to upgrade",
		"Post-conditionsthe standby carries the business before the VIM touches the node",
		"switchover-before-reply: failed",
		"ack-without-moving",
	} {
		require.Contains(t, meta, want)
	}
	exchanges := func(sec *html.Node) []*html.Node {
		return htmlAll(sec, func(n *html.Node) bool { return htmlHasClass(n, "exchange") })
	}
	count := func(r *judge.Result) int {
		n := 0
		for _, ev := range r.Evidence() {
			n += len(ev.Exchanges)
		}
		return n
	}
	require.Len(t, exchanges(flow), count(rs[caseFailFlow]))
	var notified, replied bool
	for _, x := range exchanges(flow) {
		require.False(t, htmlHasClass(x, "bad"), "nothing said what the flow's answer should be")
		require.Contains(t, htmlText(x), "answered 204")
		notified = notified || strings.Contains(htmlText(x), "POST /vnfm_notification/v1/notifications\nContent-Type: application/json\nVersion: 1.0.0\n\n{\n  \"id\": ")
		replied = replied || strings.Contains(htmlText(x), "\"reply\": \"ACK_PLANNED_MAINTENANCE\"")
	}
	require.True(t, notified, "the notification the VIM sent is in the evidence")
	require.True(t, replied, "the VNFM's acknowledgement is in the evidence")
	require.Contains(t, htmlText(flow), "Evidence: the deciding checks that failed")
	context := htmlAll(flow, func(n *html.Node) bool { return n.Data == "ol" && htmlHasClass(n, "context") })
	require.Len(t, context, 1)
	require.Contains(t, htmlText(context[0]), "zero-loss")
	require.NotContains(t, htmlText(context[0]), "switchover-before-reply")

	probe := htmlSection(t, doc, rs[caseFailProbe])
	xs := exchanges(probe)
	require.Len(t, xs, count(rs[caseFailProbe]))
	for _, x := range xs {
		require.True(t, htmlHasClass(x, "bad"))
		status := htmlAll(x, func(n *html.Node) bool { return htmlHasClass(n, "status") })
		require.Len(t, status, 1)
		require.True(t, htmlHasClass(status[0], "bad"))
		require.Equal(t, "✗ answered 204, expected 401", htmlText(status[0]))
		link := htmlAll(x, htmlTag("a"))
		require.Len(t, link, 1, "each exchange leads to its row in the trace")
		href, _ := htmlAttr(link[0], "href")
		require.True(t, htmlHasClass(htmlByID(doc, strings.TrimPrefix(href, "#")), "cited"))
	}
	require.Contains(t, htmlText(xs[1]), "Authorization: Basic ***\n")

	na := htmlSection(t, doc, rs[caseNotApplicable])
	require.Contains(t, htmlText(na), "not applicable auth-basic: the VNFM's subscription asks for no BASIC credentials")
	require.Empty(t, exchanges(na))
	require.Empty(t, exchanges(htmlSection(t, doc, rs[casePass])))

	// A page of plain scenarios has none of it.
	plain := htmlRender(t, htmlTestRun(htmlVerdictRuns(t)))
	require.NotContains(t, string(plain), `id="conformance"`)
	require.NotContains(t, string(plain), "not applicable")
}

// TestNoSecretsInAnyFormat: the evidence of failed authentication cases
// (BASIC and OAuth2) shows that credentials were sent, masked, in every
// format, and never the credentials themselves, in clear or in base64.
func TestNoSecretsInAnyFormat(t *testing.T) {
	s, err := load.File(filepath.Join("testdata", "conformance", "sec-002-fail.yaml"))
	require.NoError(t, err)
	oauth := scenarios.Run(context.Background(), s, scenarios.Options{})
	require.Equal(t, judge.VerdictFail, oauth.Verdict)
	run := fixedRun([]*judge.Result{conformanceResults(t)[caseFailProbe], oauth})
	var term bytes.Buffer
	Terminal{W: &term, Command: "escalator run"}.Summary(Summary{Results: run.Results})
	var junit, md bytes.Buffer
	require.NoError(t, WriteJUnit(&junit, run))
	require.NoError(t, WriteMarkdown(&md, run))
	for name, out := range map[string]string{
		"terminal": term.String(), "junit": junit.String(), "json": string(writeJSON(t, run)),
		"markdown": md.String(), "html": string(htmlRender(t, htmlTestRun(run.Results))),
	} {
		require.Contains(t, out, "Authorization: Basic ***", name)
		require.Contains(t, out, "Authorization: Bearer ***", name)
		for _, secret := range []string{
			"basic-secret", "oauth2-secret", // vnfm.notifyAuth's made-up credentials
			"dmltOmJhc2ljLXNlY3JldA", "dmltLWNsaWVudDpvYXV0aDItc2VjcmV0", // the same in base64
		} {
			require.NotContains(t, out, secret, name)
		}
	}
}

// TestExchangeLines: an exchange as curl -v writes it, its status judged
// only against what a probe expected.
func TestExchangeLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    judge.Exchange
		want []string
	}{
		{"answer as expected", judge.Exchange{Method: "GET", URL: "http://v/n", Path: "/n", Status: 204, Want: "204"},
			[]string{"> GET http://v/n", "< 204 (expected 204)"}},
		{"one of two expected", judge.Exchange{Method: "POST", Path: "/n", Status: 406, Want: "400 or 406", RequestHeaders: []string{"Version: 9.0.0"}, RequestBody: "{}"},
			[]string{"> POST /n", "> Version: 9.0.0", ">", "> {}", "< 406 (expected 400 or 406)"}},
		{"not the answer expected", judge.Exchange{Method: "POST", Path: "/n", Status: 204, Want: "401", ResponseHeaders: []string{"Version: 1.0.0"}, ResponseBody: "a\nb"},
			[]string{"> POST /n", "< 204 ✗ expected 401", "< Version: 1.0.0", "<", "< a", "< b"}},
		{"the flow's own, unjudged", judge.Exchange{From: "vim", To: "vnfm", Method: "POST", Path: "/n", Status: 500},
			[]string{"> POST /n", "< 500"}},
		{"no answer", judge.Exchange{Method: "POST", Path: "/n", Want: "204", Error: "connection refused"},
			[]string{"> POST /n", "! no answer: connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, exchangeLines(tc.x))
		})
	}
	require.Equal(t, "probe (GET answers 204) at 00:00:01.500", exchangeTitle(judge.Exchange{Case: "GET answers 204", At: 1500 * time.Millisecond}))
	require.Equal(t, "vim → vnfm at 00:10:00.000", exchangeTitle(judge.Exchange{From: "vim", To: "vnfm", At: 10 * time.Minute}))
}
