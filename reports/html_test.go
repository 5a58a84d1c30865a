package reports

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

var updateScreenshot = flag.Bool("update-screenshot", false,
	"write ../docs/report-f1.png, a screenshot of the HTML report of scenarios/flows/f1-active-standby.yaml (needs /usr/bin/chromium)")

// htmlChromium is where Debian's chromium package puts the browser.
const htmlChromium = "/usr/bin/chromium"

// htmlSizeBound is the most a report of the 1,000-node scenario may weigh.
const htmlSizeBound = 1536 << 10

func htmlLoad(t testing.TB, p string) *spec.Scenario {
	t.Helper()
	s, err := load.File(filepath.Join("..", "scenarios", p))
	require.NoError(t, err)
	return s
}

// htmlVerdictRuns runs one scenario of each verdict: a pass (the F1
// example), an expected failure, a failure (a negative control stripped
// of its expectation, losing requests), an error with a partial trace (a
// limit shorter than the upgrade) and an error with none (the real clock).
var htmlVerdictRunsOnce = sync.OnceValues(func() ([]*judge.Result, error) {
	var out []*judge.Result
	for _, c := range []struct {
		path  string
		edit  func(*spec.Scenario)
		limit time.Duration
	}{
		{path: "flows/f1-active-standby.yaml"},
		{path: "negative/neg-pair-redundancy.yaml"},
		{path: "negative/neg-zero-loss.yaml", edit: func(s *spec.Scenario) { s.Expect.Violations = nil }},
		{path: "flows/f2-active-standby.yaml", limit: 15 * time.Minute},
		{path: "flows/f1-load-balanced.yaml", edit: func(s *spec.Scenario) { s.Clock.Mode = "real" }},
	} {
		s, err := load.File(filepath.Join("..", "scenarios", c.path))
		if err != nil {
			return nil, err
		}
		if c.edit != nil {
			c.edit(s)
		}
		out = append(out, scenarios.Run(context.Background(), s, scenarios.Options{Limit: c.limit}))
	}
	return out, nil
})

func htmlVerdictRuns(t testing.TB) []*judge.Result {
	t.Helper()
	out, err := htmlVerdictRunsOnce()
	require.NoError(t, err)
	return out
}

func htmlTestRun(results []*judge.Result) Run {
	walls := make([]time.Duration, len(results))
	for i := range walls {
		walls[i] = time.Duration(i+1) * 11 * time.Millisecond
	}
	return Run{
		ID: "0b6f3c5e-5d1f-4b8e-9a51-3c2a8f1e7d42", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Wall: 120 * time.Millisecond, Command: "escalator run", Version: "test",
		Results: results, Walls: walls,
	}
}

func htmlRender(t testing.TB, run Run) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, run))
	return b.Bytes()
}

// A small DOM toolkit over golang.org/x/net/html.

func htmlAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func htmlHasClass(n *html.Node, class string) bool {
	v, _ := htmlAttr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

func htmlAll(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func htmlByID(root *html.Node, id string) *html.Node {
	for n := range root.Descendants() {
		if v, ok := htmlAttr(n, "id"); ok && v == id {
			return n
		}
	}
	return nil
}

func htmlText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func htmlTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func htmlWithAttr(key string) func(*html.Node) bool {
	return func(n *html.Node) bool { _, ok := htmlAttr(n, key); return ok }
}

func htmlParse(t testing.TB, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	require.NoError(t, err)
	return doc
}

// htmlSelfContained asserts the page fetches nothing: no attribute names
// a URL other than a fragment, no style sheet imports or loads a URL, no
// inline style attribute needs the CSP relaxed, and the CSP allows exactly
// the inline style sheet and script.
func htmlSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		require.NotContains(t, []string{"link", "img", "iframe", "object", "embed", "base", "form", "image", "use", "video", "audio", "source"}, n.Data,
			"the page must not embed a <%s>", n.Data)
		for _, a := range n.Attr {
			switch a.Key {
			case "src", "href", "xlink:href", "action", "formaction", "poster", "data", "srcset", "background", "ping":
				require.True(t, strings.HasPrefix(a.Val, "#"), "<%s %s=%q> points outside the page", n.Data, a.Key, a.Val)
			case "style":
				t.Fatalf("<%s style=%q>: inline style attributes break the CSP", n.Data, a.Val)
			}
			require.NotRegexp(t, `(?i)url\(\s*['"]?(https?:|//)`, a.Val)
		}
	}
	styles := htmlAll(doc, htmlTag("style"))
	scripts := htmlAll(doc, htmlTag("script"))
	require.Len(t, styles, 1)
	require.Len(t, scripts, 1, "exactly the one inline script")
	css := htmlText(styles[0])
	require.NotContains(t, strings.ToLower(css), "@import")
	for _, m := range regexp.MustCompile(`url\(([^)]*)\)`).FindAllStringSubmatch(css, -1) {
		require.True(t, strings.HasPrefix(strings.Trim(m[1], `'" `), "#"), "the style sheet loads %s", m[1])
	}
	require.NotContains(t, htmlText(scripts[0]), "fetch(")
	require.NotContains(t, htmlText(scripts[0]), "XMLHttpRequest")

	var csp string
	for _, m := range htmlAll(doc, htmlTag("meta")) {
		if v, _ := htmlAttr(m, "http-equiv"); strings.EqualFold(v, "content-security-policy") {
			csp, _ = htmlAttr(m, "content")
		}
	}
	require.Contains(t, csp, "default-src 'none'")
	require.Contains(t, csp, "'"+cspHash(css)+"'", "the CSP must allow the style sheet as written")
	require.Contains(t, csp, "'"+cspHash(htmlText(scripts[0]))+"'", "the CSP must allow the script as written")
}

// htmlAnchorsResolve asserts every fragment link and every reference by
// id (aria-labelledby, url(#…)) lands on exactly one element.
func htmlAnchorsResolve(t *testing.T, doc *html.Node, page []byte) {
	t.Helper()
	ids := map[string]int{}
	for _, n := range htmlAll(doc, htmlWithAttr("id")) {
		v, _ := htmlAttr(n, "id")
		ids[v]++
	}
	for id, n := range ids {
		require.Equal(t, 1, n, "id %q appears %d times", id, n)
	}
	links := 0
	for _, n := range htmlAll(doc, htmlWithAttr("href")) {
		v, _ := htmlAttr(n, "href")
		require.Contains(t, ids, strings.TrimPrefix(v, "#"), "link %q leads nowhere", v)
		links++
	}
	require.NotZero(t, links)
	for _, n := range htmlAll(doc, htmlWithAttr("aria-labelledby")) {
		v, _ := htmlAttr(n, "aria-labelledby")
		for id := range strings.FieldsSeq(v) {
			require.Contains(t, ids, id, "aria-labelledby %q", id)
		}
	}
	for _, m := range regexp.MustCompile(`url\(#([^)]+)\)`).FindAllSubmatch(page, -1) {
		require.Contains(t, ids, string(m[1]))
	}
}

func htmlSection(t *testing.T, doc *html.Node, r *judge.Result) *html.Node {
	t.Helper()
	id := "s-" + htmlSlug(r.Scenario.Name)
	s := htmlByID(doc, id)
	require.NotNil(t, s, "no section %s", id)
	require.Equal(t, "section", s.Data)
	return s
}

func htmlDistinct(events []escalator.Event, kind string) int {
	seen := map[string]bool{}
	for _, e := range events {
		if e.Kind == kind {
			seen[e.Subject] = true
		}
	}
	return len(seen)
}

// TestHTMLReport renders real runs of each verdict and checks the page:
// self-contained, anchors resolving, the gates, the matrix, failures
// first, one timeline row per node and per VNF, the interruptions of the
// failing scenario marked, and its failed check linked to the events.
func TestHTMLReport(t *testing.T) {
	results := htmlVerdictRuns(t)
	pass, xfail, fail, errPartial, errNone := results[0], results[1], results[2], results[3], results[4]
	require.Equal(t, judge.VerdictPass, pass.Verdict)
	require.Equal(t, judge.VerdictXFail, xfail.Verdict)
	require.Equal(t, judge.VerdictFail, fail.Verdict)
	require.Equal(t, judge.VerdictError, errPartial.Verdict)
	require.NotEmpty(t, errPartial.Events)
	require.Equal(t, judge.VerdictError, errNone.Verdict)
	require.Empty(t, errNone.Events)

	page := htmlRender(t, htmlTestRun(results))
	require.Equal(t, string(page), string(htmlRender(t, htmlTestRun(results))), "the same run, the same page")
	doc := htmlParse(t, page)
	htmlSelfContained(t, doc)
	htmlAnchorsResolve(t, doc, page)

	// The gates: one count per verdict.
	gates := map[string]string{}
	for _, li := range htmlAll(doc, func(n *html.Node) bool { return htmlHasClass(n, "gate") }) {
		gates[strings.Join(strings.Fields(htmlText(li))[2:], " ")] = strings.Fields(htmlText(li))[1]
	}
	require.Equal(t, map[string]string{"passed": "1", "failed": "1", "expected failures": "1", "errors": "2"}, gates)
	overall := htmlAll(doc, func(n *html.Node) bool { return htmlHasClass(n, "overall") })
	require.Len(t, overall, 1)
	require.Contains(t, htmlText(overall[0]), "3 scenarios failed or could not run")

	// Sections: failures and errors first, in run order, then the rest.
	var order []string
	for _, s := range htmlAll(doc, func(n *html.Node) bool { return htmlHasClass(n, "scenario") }) {
		id, _ := htmlAttr(s, "id")
		order = append(order, id)
	}
	var want []string
	for _, r := range []*judge.Result{fail, errPartial, errNone, pass, xfail} {
		want = append(want, "s-"+htmlSlug(r.Scenario.Name))
	}
	require.Equal(t, want, order)

	// The matrix: a row per scenario linking to its section, a cell per
	// check with a symbol and words, the failed check linking to its
	// violations.
	matrix := htmlAll(doc, func(n *html.Node) bool { return n.Data == "table" && htmlHasClass(n, "matrix") })
	require.Len(t, matrix, 1)
	rows := htmlAll(matrix[0], func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	require.Len(t, rows, len(results))
	for _, cell := range htmlAll(matrix[0], func(n *html.Node) bool { return htmlHasClass(n, "cell") }) {
		require.Regexp(t, `^(✓|✗|⊘|–|✓!)\S+: `, strings.TrimSpace(htmlText(cell)), "a cell says what it shows in words")
	}
	failRow := rows[0]
	require.Contains(t, htmlText(failRow), fail.Scenario.Name)
	var zeroLoss *html.Node
	for _, cell := range htmlAll(failRow, func(n *html.Node) bool { return htmlHasClass(n, "cell") }) {
		if title, _ := htmlAttr(cell, "title"); strings.HasPrefix(title, "zero-loss:") {
			zeroLoss = cell
		}
	}
	require.NotNil(t, zeroLoss)
	require.True(t, htmlHasClass(zeroLoss, "fail"))
	a := htmlAll(zeroLoss, htmlTag("a"))
	require.Len(t, a, 1)
	href, _ := htmlAttr(a[0], "href")
	check := htmlByID(doc, strings.TrimPrefix(href, "#"))
	require.NotNil(t, check)
	require.Contains(t, htmlText(check), "zero-loss")

	// The failed check cites its events; each link lands on a highlighted
	// row of the events table that links back.
	refs := htmlAll(check, func(n *html.Node) bool { return n.Data == "a" && n.Parent.Data == "li" })
	require.NotEmpty(t, refs)
	for _, ref := range refs {
		h, _ := htmlAttr(ref, "href")
		row := htmlByID(doc, strings.TrimPrefix(h, "#"))
		require.Equal(t, "tr", row.Data)
		require.True(t, htmlHasClass(row, "cited"))
		back := htmlAll(row, htmlTag("a"))
		require.NotEmpty(t, back)
		bh, _ := htmlAttr(back[0], "href")
		require.Equal(t, href, bh)
	}

	for _, r := range results {
		sec := htmlSection(t, doc, r)
		text := htmlText(sec)
		nodes := htmlAll(sec, htmlWithAttr("data-node"))
		vnfs := htmlAll(sec, htmlWithAttr("data-vnf"))
		require.Len(t, nodes, htmlDistinct(r.Events, "node.added"), r.Scenario.Name)
		require.Len(t, vnfs, htmlDistinct(r.Events, "vnf.deployed"), r.Scenario.Name)
		for _, row := range slices.Concat(nodes, vnfs) {
			require.NotEmpty(t, htmlAll(row, htmlTag("rect")), "a row draws its states")
			require.Equal(t, "svg", row.Parent.Data)
		}
		if r.Scenario.Path != "" {
			require.Contains(t, text, fmt.Sprintf("escalator run --seed %d %s", r.Seed, r.Scenario.Path))
		}
		if len(r.Events) > 0 {
			require.NotEmpty(t, htmlAll(sec, func(n *html.Node) bool { return n.Data == "svg" && htmlHasClass(n, "sequence") }))
			require.Contains(t, text, "lostRequests")
		}
	}

	// Node rows name the node they draw; each state is a rect with its
	// times in a tooltip.
	passSec := htmlSection(t, doc, pass)
	var names []string
	for _, n := range htmlAll(passSec, htmlWithAttr("data-node")) {
		v, _ := htmlAttr(n, "data-node")
		names = append(names, v)
	}
	require.Equal(t, pass.Scenario.NodeNames(), names)
	require.Contains(t, htmlText(passSec), "compute-1: upgrading from 2s to 10m2s (10m0s)")

	// The failing scenario lost requests in interruptions: each is marked
	// with its cause, duration and loss.
	failSec := htmlSection(t, doc, fail)
	marks := htmlAll(failSec, func(n *html.Node) bool { return n.Data == "g" && htmlHasClass(n, "down") })
	var interruptions []escalator.Event
	for _, e := range fail.Events {
		if e.Kind == "service.interruption" {
			interruptions = append(interruptions, e)
		}
	}
	require.NotEmpty(t, interruptions)
	require.Len(t, marks, len(interruptions))
	for i, e := range interruptions {
		title := htmlText(htmlAll(marks[i], htmlTag("title"))[0])
		require.Contains(t, title, e.Str("cause"))
		require.Contains(t, title, e.Str("duration"))
		require.Contains(t, title, fmt.Sprintf("%v requests lost", e.Num("lost")))
	}
	require.Empty(t, htmlAll(passSec, func(n *html.Node) bool { return n.Data == "g" && htmlHasClass(n, "down") }), "a scenario without loss has no marks")

	// The errors: the message, the partial trace's end, nothing drawn
	// from a trace that is not there.
	partial := htmlSection(t, doc, errPartial)
	require.Contains(t, htmlText(partial), errPartial.Err.Error())
	require.NotEmpty(t, htmlAll(partial, func(n *html.Node) bool { return n.Data == "table" && htmlHasClass(n, "events") }))
	none := htmlSection(t, doc, errNone)
	require.Contains(t, htmlText(none), "asks for the real clock")
	require.Empty(t, htmlAll(none, htmlTag("svg")))
}

// htmlEdgeRun is a hand-written trace (testdata/html/edge.ndjson) with
// what the bundled scenarios rarely show: a node that fails, a fault, a
// node added late, a state the report does not know, a refused reply, a
// reply timeout; judged by made-up checks, under a name that needs
// escaping.
func htmlEdgeRun(t *testing.T) Run {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "html", "edge.ndjson"))
	require.NoError(t, err)
	defer f.Close()
	events, err := escalator.ReadNDJSON(f)
	require.NoError(t, err)
	byKind := func(kind string) escalator.Event {
		for _, e := range events {
			if e.Kind == kind {
				return e
			}
		}
		t.Fatalf("no %s in the trace", kind)
		return escalator.Event{}
	}
	s := &spec.Scenario{
		Name: `edge <script>alert("x")</script> & co`, Description: "Hand-written trace.", Path: "testdata/it's here.yaml",
		Expect: spec.ExpectSpec{Thresholds: map[string]string{"lostRequests": "== 0", "replyLatency.max": "< 1s"}},
	}
	r := &judge.Result{
		Scenario: s, Seed: 9, Verdict: judge.VerdictFail, Events: events, Lost: 500,
		Checks: []judge.CheckResult{
			{Name: judge.CheckOutcome, Status: judge.CheckFailed, Violations: []judge.Violation{
				{Message: "the session FAILED, expected completed", Events: []escalator.Event{byKind("session.state")}},
			}},
			{Name: "zero-loss", Status: judge.CheckFailed, Violations: []judge.Violation{
				{Message: "service web lost 500 requests <in one go>", Events: []escalator.Event{byKind("service.interruption"), {Kind: "synthetic"}}},
			}},
			{Name: "max-parallel", Status: judge.CheckDisabled, Reason: "one node at a time anyway"},
			{Name: "threshold:lostRequests", Status: judge.CheckFailed, Violations: []judge.Violation{{Message: "lostRequests is 500, want == 0"}}},
			{Name: "threshold:replyLatency.max", Status: judge.CheckPassed},
		},
	}
	return htmlTestRun([]*judge.Result{r})
}

func TestHTMLEdgeCases(t *testing.T) {
	run := htmlEdgeRun(t)
	page := htmlRender(t, run)
	doc := htmlParse(t, page)
	htmlSelfContained(t, doc)
	htmlAnchorsResolve(t, doc, page)
	r := run.Results[0]
	sec := htmlSection(t, doc, r)

	h2 := htmlAll(sec, htmlTag("h2"))
	require.Contains(t, htmlText(h2[0]), r.Scenario.Name, "the name reads as written")
	require.Contains(t, htmlText(sec), `escalator run --seed 9 'testdata/it'\''s here.yaml'`)

	rows := map[string]*html.Node{}
	for _, n := range htmlAll(sec, htmlWithAttr("data-node")) {
		v, _ := htmlAttr(n, "data-node")
		rows[v] = n
	}
	require.Len(t, rows, 3)
	isClass := func(c string) func(*html.Node) bool { return func(n *html.Node) bool { return htmlHasClass(n, c) } }
	require.NotEmpty(t, htmlAll(rows["n-1"], isClass("st-failed")))
	require.NotEmpty(t, htmlAll(rows["n-1"], isClass("hatch")), "failed is hatched as well as coloured")
	require.Len(t, htmlAll(rows["n-1"], isClass("fault")), 1)
	require.NotEmpty(t, htmlAll(rows["n-2"], isClass("st-other")), "an unknown state still draws")
	late := htmlAll(rows["n-3"], htmlTag("rect"))[0]
	x, _ := htmlAttr(late, "x")
	require.NotEqual(t, htmlNum(htmlX0), x, "a node added late starts late")

	// The refused reply and the timeout stand out in the sequence chart.
	bad := htmlAll(sec, func(n *html.Node) bool { return n.Data == "g" && htmlHasClass(n, "msg") && htmlHasClass(n, "bad") })
	var labels []string
	for _, g := range bad {
		labels = append(labels, strings.TrimSpace(htmlText(htmlAll(g, htmlTag("text"))[len(htmlAll(g, htmlTag("text")))-1])))
	}
	require.Contains(t, labels, "✗ ACK_PLANNED_MAINTENANCE (refused)")
	require.Contains(t, labels, "no reply within 30s: going on")

	// The disabled check says why; the synthetic event without a sequence
	// number is quoted, not linked; the threshold appears with its metric.
	require.Contains(t, htmlText(sec), "one node at a time anyway")
	require.Contains(t, htmlText(sec), "service web lost 500 requests <in one go>")
	metrics := htmlAll(sec, func(n *html.Node) bool { return n.Data == "table" && htmlHasClass(n, "metrics") })
	require.Len(t, metrics, 1)
	mt := htmlText(metrics[0])
	require.Regexp(t, `lostRequests500== 0✗ failed`, mt)
	require.Regexp(t, `replyLatency.max—< 1s✓ passed`, mt)
}

// TestHTMLEmptyRun: a run with no results still makes a valid page that
// says so.
func TestHTMLEmptyRun(t *testing.T) {
	page := htmlRender(t, Run{})
	doc := htmlParse(t, page)
	htmlSelfContained(t, doc)
	require.Contains(t, htmlText(doc), "No scenario ran.")
	require.Empty(t, htmlAll(doc, func(n *html.Node) bool { return htmlHasClass(n, "scenario") }))
}

// htmlSyntheticScale builds a result the size of the 1,000-node
// scenario's (1,000 nodes, 5,100 VNFs, 20 nodes a batch, about 230,000
// events) in a fraction of the time the scenario takes to run.
func htmlSyntheticScale() *judge.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	var ev []escalator.Event
	emit := func(at time.Duration, actor, kind, subject string, f escalator.Fields) {
		ev = append(ev, escalator.Event{At: at, Actor: actor, Kind: kind, Subject: subject, Fields: f})
	}
	const nodes, batch, vnfs = 1000, 20, 5100
	const step = 10*time.Minute + 32*time.Second
	for i := range nodes {
		emit(0, "nfvi", "node.added", fmt.Sprintf("compute-%d", i+1), escalator.Fields{"version": "1.0"})
	}
	for v := range vnfs {
		name := fmt.Sprintf("as-%d", v+1)
		if v >= 5000 {
			name = fmt.Sprintf("lb-%d", v-4999)
		}
		emit(0, "vnf", "vnf.deployed", name, escalator.Fields{"mode": "active-standby"})
		for k := range 4 {
			vm := fmt.Sprintf("%s-%d", name, k+1)
			emit(0, "nfvi", "vm.placed", vm, escalator.Fields{"node": "compute-1"})
			emit(0, "vnf", "vm.business", vm, escalator.Fields{"carrying": k == 0})
		}
	}
	for b := range nodes / batch {
		t0 := time.Duration(b) * step
		emit(t0, "orchestrator", "plan.batch", "session", nil)
		emit(t0, "orchestrator", "vnfm.notify", "vnfm-1", escalator.Fields{"type": "MaintenanceNotification", "state": "PLANNED_MAINTENANCE"})
		emit(t0+2*time.Second, "orchestrator", "vnfm.reply", "session", escalator.Fields{"accepted": true, "reply": "ACK_PLANNED_MAINTENANCE"})
		for i := range batch {
			n := fmt.Sprintf("compute-%d", b*batch+i+1)
			for _, s := range []struct {
				at       time.Duration
				from, to string
			}{
				{t0, "normal", "maintenance"}, {t0 + 2*time.Second, "maintenance", "upgrading"},
				{t0 + 10*time.Minute + 2*time.Second, "upgrading", "maintenance"}, {t0 + 10*time.Minute + 2*time.Second, "maintenance", "verifying"},
				{t0 + step, "verifying", "maintenance"}, {t0 + step, "maintenance", "normal"},
			} {
				emit(s.at, "nfvi", "node.state", n, escalator.Fields{"from": s.from, "to": s.to})
				emit(s.at, "orchestrator", "node.status", n, escalator.Fields{"status": s.to})
			}
			emit(t0+2*time.Second, "nfvi", "node.upgrade-started", n, escalator.Fields{"from": "1.0", "to": "2.0"})
			emit(t0+10*time.Minute+2*time.Second, "nfvi", "node.version", n, escalator.Fields{"from": "1.0", "to": "2.0"})
		}
		for range vnfs / (nodes / batch) * 6 {
			v := fmt.Sprintf("as-%d", rng.IntN(5000)+1)
			at := t0 + time.Second + time.Duration(rng.IntN(1000))*time.Millisecond
			emit(at, "vnf", "vm.business", v+"-1", escalator.Fields{"carrying": false})
			emit(at, "vnf", "vm.business", v+"-2", escalator.Fields{"carrying": true})
			emit(at, "vnf", "vnf.switchover", v, escalator.Fields{"from": v + "-1", "to": v + "-2", "gap": "0s"})
			emit(at, "vnfm", "vnfm.action", "vnfm-1", escalator.Fields{"action": "SWITCHED_OVER", "instance": v + "-1"})
			emit(at+time.Second, "nfvi", "vm.state", v+"-1", escalator.Fields{"from": "running", "to": "down"})
			emit(at+10*time.Minute, "nfvi", "vm.state", v+"-1", escalator.Fields{"from": "down", "to": "running"})
		}
		if b%5 == 0 {
			v := fmt.Sprintf("lb-%d", rng.IntN(100)+1)
			at := t0 + 3*time.Second
			emit(at+500*time.Millisecond, "traffic", "service.interruption", v, escalator.Fields{
				"cause": "live-migration blackout of " + v + "-7", "duration": "500ms", "lost": 25.0, "start": at.String()})
		}
	}
	end := time.Duration(nodes/batch)*step + 5*time.Minute
	for v := range vnfs {
		name := fmt.Sprintf("as-%d", v+1)
		if v >= 5000 {
			name = fmt.Sprintf("lb-%d", v-4999)
		}
		emit(end, "traffic", "service.summary", name, escalator.Fields{"lost": 0.0, "offered": 3.15e6, "interruptions": 0.0})
	}
	for i := range nodes {
		emit(end, "nfvi", "node.final", fmt.Sprintf("compute-%d", i+1), escalator.Fields{"state": "normal", "version": "2.0"})
	}
	slices.SortStableFunc(ev, func(a, b escalator.Event) int { return int(a.At - b.At) })
	for i := range ev {
		ev[i].Seq = int64(i + 1)
	}
	s := &spec.Scenario{Name: "synthetic-1000-nodes", Path: "scenarios/scale/f1-1000-nodes.yaml", Upgrade: spec.UpgradeSpec{Flow: "F1", TargetVersion: "2.0"}}
	r := &judge.Result{Scenario: s, Seed: 1000, Verdict: judge.VerdictFail, Events: ev, Elapsed: end, Lost: 250}
	var cited []escalator.Event
	for _, e := range ev {
		if e.Kind == "service.interruption" {
			cited = append(cited, e)
		}
	}
	r.Checks = []judge.CheckResult{
		{Name: judge.CheckOutcome, Status: judge.CheckPassed},
		{Name: "zero-loss", Status: judge.CheckFailed, Violations: []judge.Violation{{Message: "requests were lost", Events: cited}}},
	}
	return r
}

// htmlAssertScale checks a report of a 1,000-node run: under the size
// bound, the timelines capped with a note, the stacked summary counting
// every node, the sequence chart sampled.
func htmlAssertScale(t testing.TB, r *judge.Result, page []byte) {
	t.Helper()
	require.Less(t, len(page), htmlSizeBound, "the report of a 1,000-node run weighs %d bytes", len(page))
	doc := htmlParse(t, page)
	id := "s-" + htmlSlug(r.Scenario.Name)
	sec := htmlByID(doc, id)
	require.NotNil(t, sec)
	require.Len(t, htmlAll(sec, htmlWithAttr("data-node")), htmlMaxNodeRows)
	require.Len(t, htmlAll(sec, htmlWithAttr("data-vnf")), htmlMaxVNFRows)
	require.Len(t, htmlAll(sec, htmlWithAttr("data-vnfs")), 1, "the merged row of every VNF")
	require.NotNil(t, htmlByID(doc, id+"_node-summary"))
	require.NotEmpty(t, htmlAll(sec, htmlWithAttr("data-state")))
	require.Len(t, htmlAll(sec, htmlWithAttr("data-seq")), htmlMaxMessages)
	text := htmlText(sec)
	require.Contains(t, text, fmt.Sprintf("Showing %d of 1,000 nodes", htmlMaxNodeRows))
	require.Contains(t, text, fmt.Sprintf("Showing the first %d of", htmlMaxMessages))
	require.LessOrEqual(t, len(htmlAll(sec, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })), htmlMaxEventRows+htmlMaxServiceLoss+40)
}

// TestHTMLScaleSynthetic: a run the size of the 1,000-node scenario makes
// a report well under the bound. (BenchmarkHTML1000Nodes checks the real
// scenario; it takes several seconds to run and minutes under -race.)
func TestHTMLScaleSynthetic(t *testing.T) {
	r := htmlSyntheticScale()
	require.Greater(t, len(r.Events), 200_000)
	page := htmlRender(t, htmlTestRun([]*judge.Result{r}))
	t.Logf("%d events, report %d bytes", len(r.Events), len(page))
	htmlAssertScale(t, r, page)
	doc := htmlParse(t, page)
	htmlSelfContained(t, doc)
	htmlAnchorsResolve(t, doc, page)
}

// BenchmarkHTML1000Nodes runs scenarios/scale/f1-1000-nodes.yaml once and
// renders its report, reporting the size and failing above the bound:
//
//	go test ./reports -run '^$' -bench HTML1000Nodes -benchtime 3x
func BenchmarkHTML1000Nodes(b *testing.B) {
	s := htmlLoad(b, "scale/f1-1000-nodes.yaml")
	r := scenarios.Run(context.Background(), s, scenarios.Options{})
	require.NoError(b, r.Err)
	run := htmlTestRun([]*judge.Result{r})
	var size int
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, run); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.StopTimer()
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(len(r.Events)), "events")
	var buf bytes.Buffer
	require.NoError(b, WriteHTML(&buf, run))
	htmlAssertScale(b, r, buf.Bytes())
}

// htmlBrowser starts headless Chromium for a test, or skips it.
func htmlBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(htmlChromium); err != nil {
		t.Skipf("%s is not installed (apt-get install chromium); skipping the browser test", htmlChromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(htmlChromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	require.NoError(t, chromedp.Do(ctx), "starting %s", htmlChromium)
	return ctx
}

// htmlOpen loads a report from a file and returns what the page wrote to
// the console and every URL it requested.
func htmlOpen(t *testing.T, ctx context.Context, page []byte) (console func() []string, requests func() []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, os.WriteFile(path, page, 0o644))
	var mu sync.Mutex
	var msgs, urls []string
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	}))
	lctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	done := make(chan struct{})
	messages := chromedp.Console(lctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, m.String())
			mu.Unlock()
		}
	}()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+path)))
	// A round trip after the load lets late messages arrive.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`))
	require.NoError(t, err)
	get := func(s *[]string) func() []string {
		return func() []string {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(*s)
		}
	}
	t.Cleanup(func() { stop(); <-done })
	return get(&msgs), get(&urls)
}

// htmlDrawn is what the browser drew, counted by section.
type htmlDrawn struct {
	ID string `json:"id"`
	// Rows drawn with a size: rows whose shapes have a bounding box.
	Nodes, VNFs, NodesDrawn, VNFsDrawn, Marks, Messages, Charts int
}

const htmlDrawnJS = `[...document.querySelectorAll("section.scenario")].map(s => {
  const drawn = sel => [...s.querySelectorAll(sel)].filter(g => { const b = g.getBBox(); return b.width > 0 && b.height > 0; }).length;
  return {
    id: s.id,
    Nodes: s.querySelectorAll("svg [data-node]").length,
    VNFs: s.querySelectorAll("svg [data-vnf]").length,
    NodesDrawn: drawn("svg [data-node]"),
    VNFsDrawn: drawn("svg [data-vnf]"),
    Marks: s.querySelectorAll("svg g.down").length,
    Messages: s.querySelectorAll("svg.sequence [data-seq]").length,
    Charts: [...s.querySelectorAll("svg.chart")].filter(c => c.getBoundingClientRect().width > 300).length,
  };
})`

// TestHTMLInBrowser opens reports in headless Chromium: the SVG charts
// render (a sized row per node and per VNF), the script runs (the time
// cursor appears across a scenario's timelines), the console stays free
// of errors and the page requests nothing but itself. With
// -update-screenshot it writes docs/report-f1.png.
func TestHTMLInBrowser(t *testing.T) {
	ctx := htmlBrowser(t)

	t.Run("verdicts", func(t *testing.T) {
		results := htmlVerdictRuns(t)
		page := htmlRender(t, htmlTestRun(results))
		console, requests := htmlOpen(t, ctx, page)
		drawn, err := chromedp.Run(ctx, chromedp.Evaluate[[]htmlDrawn](htmlDrawnJS))
		require.NoError(t, err)
		require.Len(t, drawn, len(results))
		byID := map[string]htmlDrawn{}
		for _, d := range drawn {
			byID[d.ID] = d
		}
		for _, r := range results {
			d := byID["s-"+htmlSlug(r.Scenario.Name)]
			name := r.Scenario.Name
			nodes, vnfs := htmlDistinct(r.Events, "node.added"), htmlDistinct(r.Events, "vnf.deployed")
			require.Equal(t, nodes, d.Nodes, name)
			require.Equal(t, nodes, d.NodesDrawn, "%s: every node row has a size", name)
			require.Equal(t, vnfs, d.VNFs, name)
			require.Equal(t, vnfs, d.VNFsDrawn, "%s: every VNF row has a size", name)
			if len(r.Events) > 0 {
				require.GreaterOrEqual(t, d.Charts, 3, "%s: node, VNF and sequence charts laid out", name)
				require.NotZero(t, d.Messages, name)
			}
			if r.Verdict == judge.VerdictFail {
				require.NotZero(t, d.Marks, "%s: interruptions marked", name)
			}
		}

		// The cursor: a pointer over one timeline draws a line on all of
		// the section's timelines.
		id := "s-" + htmlSlug(results[0].Scenario.Name)
		cursors, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
  const s = document.getElementById(`+"`"+id+"`"+`);
  const svg = s.querySelector("svg.timeline");
  const r = svg.getBoundingClientRect();
  svg.dispatchEvent(new PointerEvent("pointermove", {clientX: r.left + r.width * 0.5, clientY: r.top + 30, bubbles: true}));
  const shown = [...s.querySelectorAll("svg.timeline > g.cursor")].filter(g => g.style.display !== "none").length;
  svg.dispatchEvent(new PointerEvent("pointerleave"));
  const hidden = [...s.querySelectorAll("svg.timeline > g.cursor")].filter(g => g.style.display === "none").length;
  return [s.querySelectorAll("svg.timeline").length, shown, hidden];
})()`))
		require.NoError(t, err)
		require.Equal(t, []int{cursors[0], cursors[0], cursors[0]}, cursors)
		require.GreaterOrEqual(t, cursors[0], 2)

		require.Empty(t, console(), "the page wrote to the console")
		for _, u := range requests() {
			require.True(t, strings.HasPrefix(u, "file://"), "the page requested %s", u)
		}
	})

	t.Run("F1", func(t *testing.T) {
		r := htmlVerdictRuns(t)[0]
		require.Equal(t, "f1-active-standby", r.Scenario.Name)
		run := htmlTestRun([]*judge.Result{r})
		page := htmlRender(t, run)
		console, requests := htmlOpen(t, ctx, page)
		drawn, err := chromedp.Run(ctx, chromedp.Evaluate[[]htmlDrawn](htmlDrawnJS))
		require.NoError(t, err)
		require.Len(t, drawn, 1)
		require.Equal(t, 6, drawn[0].NodesDrawn)
		require.Equal(t, 2, drawn[0].VNFsDrawn)
		require.Empty(t, console())
		require.Len(t, requests(), 1)
		if !*updateScreenshot {
			return
		}
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900)))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(png, []byte("\x89PNG")))
		out := filepath.Join("..", "docs", "report-f1.png")
		require.NoError(t, os.WriteFile(out, png, 0o644))
		t.Logf("wrote %s (%d bytes)", out, len(png))
	})

	// Conformance cases: the summary sits above the matrix and the first
	// section; the failed probe case's evidence is laid out and visible,
	// its request with the credentials masked, the status that was not the
	// one expected highlighted (a tinted background) and said in words.
	t.Run("conformance", func(t *testing.T) {
		rs := conformanceResults(t)
		page := htmlRender(t, htmlTestRun(mixedResults(t)))
		console, requests := htmlOpen(t, ctx, page)
		type evidence struct {
			SummaryTop, MatrixTop, FirstSectionTop float64
			Exchanges, Shown                       int
			Status                                 []string
			Background                             string
			Request                                string
			CaseMeta                               bool
		}
		id := "s-" + htmlSlug(rs[caseFailProbe].Scenario.Name)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[evidence](`(() => {
  const top = el => el.getBoundingClientRect().top + window.scrollY;
  const s = document.getElementById(`+"`"+id+"`"+`);
  const xs = [...s.querySelectorAll("div.exchange")];
  const shown = xs.filter(x => { const r = x.getBoundingClientRect(); return r.width > 300 && r.height > 40 && getComputedStyle(x).visibility === "visible"; });
  const bad = [...s.querySelectorAll("div.exchange p.status.bad")];
  const meta = document.getElementById(`+"`"+id+"_case`"+`);
  return {
    SummaryTop: top(document.getElementById("conformance")),
    MatrixTop: top(document.querySelector("table.matrix")),
    FirstSectionTop: top(document.querySelector("section.scenario")),
    Exchanges: xs.length,
    Shown: shown.length,
    Status: bad.map(p => p.innerText.trim()),
    Background: bad.length ? getComputedStyle(bad[0]).backgroundColor : "",
    Request: xs.length > 1 ? xs[1].querySelector("pre.req").innerText : "",
    CaseMeta: !!meta && meta.getBoundingClientRect().height > 0 && meta.innerText.includes("Objective"),
  };
})()`))
		require.NoError(t, err)
		require.Less(t, got.SummaryTop, got.MatrixTop, "the cases' summary is at the top")
		require.Less(t, got.MatrixTop, got.FirstSectionTop)
		require.Equal(t, 2, got.Exchanges)
		require.Equal(t, got.Exchanges, got.Shown, "every exchange is laid out and visible")
		require.Equal(t, []string{"✗ answered 204, expected 401", "✗ answered 204, expected 401"}, got.Status)
		require.NotContains(t, []string{"", "rgba(0, 0, 0, 0)", "transparent"}, got.Background, "the wrong status is highlighted")
		require.Contains(t, got.Request, "Authorization: Basic ***")
		require.NotContains(t, got.Request, "basic-secret")
		require.True(t, got.CaseMeta, "the case's metadata shows")
		require.Empty(t, console(), "the page wrote to the console")
		for _, u := range requests() {
			require.True(t, strings.HasPrefix(u, "file://"), "the page requested %s", u)
		}
	})
}
