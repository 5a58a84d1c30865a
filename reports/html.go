package reports

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/replay"
	"github.com/escalator-testbed/escalator/reports/sequence"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The HTML report is one self-contained file: the template, the style sheet
// and the script are embedded here and written inline, the charts are SVG
// drawn below, and a Content-Security-Policy forbids the page to fetch
// anything at all.
//
//go:embed html/report.html.tmpl html/report.css html/report.js
var htmlFiles embed.FS

var (
	htmlTemplate = template.Must(template.ParseFS(htmlFiles, "html/report.html.tmpl"))
	htmlCSS      = mustRead("html/report.css")
	htmlJS       = mustRead("html/report.js")
	// htmlCSP allows exactly the inline style sheet and script, by hash.
	htmlCSP = "default-src 'none'; style-src '" + cspHash(htmlCSS) + "'; script-src '" + cspHash(htmlJS) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
)

func mustRead(name string) string {
	b, err := htmlFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Caps that keep the report of a large run to a few hundred kilobytes: the
// 1,000-node scenario has 1,000 nodes, 5,100 VNFs and some 230,000 events.
// What a cap leaves out is summarised in a note beside the chart or table.
const (
	htmlMaxNodeRows     = 60  // node rows in the state timeline; more get the stacked summary
	htmlMaxVNFRows      = 40  // VNF rows in the availability chart; interrupted VNFs first
	htmlMaxMessages     = 200 // messages in the sequence chart
	htmlMaxEventRows    = 300 // rows in the events table
	htmlWholeTrace      = 100 // a trace this short is shown whole
	htmlEventContext    = 5   // events shown either side of an event a check cites
	htmlScrollMessages  = 40  // a sequence chart this long scrolls in its own box
	htmlMaxServiceLoss  = 20  // lostRequests.<service> metric rows
	htmlSummaryBuckets  = 400 // time buckets of the stacked node-state summary
	htmlMaxCheckColumns = 16  // checks shown as matrix columns; the rest are listed per row
)

// WriteHTML writes the run as one self-contained HTML page: the gates,
// the conformance cases by verdict (when any ran) and a scenario × check
// matrix first, then one section per scenario (failures first) with its
// conformance case's metadata, node-state timeline, service availability,
// message sequence chart, failed checks linked to the trace excerpt that
// shows them (for a failed conformance case, with the HTTP exchanges
// written out), metrics and the command that reruns it. The page loads nothing
// from anywhere and reads without JavaScript; a small inline script only
// adds a time cursor across a scenario's timelines.
func WriteHTML(w io.Writer, run Run) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlTemplate.Execute(bw, newHTMLPage(run)); err != nil {
		return err
	}
	return bw.Flush()
}

// The page's view model.

type htmlPage struct {
	Title    string
	CSP      string
	CSS      template.CSS
	JS       template.JS
	Meta     []htmlFact
	Overall  htmlBadge
	Gates    []htmlGate
	Columns  []string // the checks shown as matrix columns
	Extra    bool     // some checks are listed per row, not as columns
	Matrix   []htmlMatrixRow
	Sections []*htmlScenario
	// Conformance sums up the conformance cases; nil when none ran.
	Conformance *htmlConformance
}

type htmlConformance struct {
	Text  string
	Gates []htmlGate
	Cases []htmlCaseRow
}

type htmlCaseRow struct {
	Href, ID, Title, Reference, Scenario string
	Verdict                              htmlBadge
	Decided                              []htmlCell
}

type htmlFact struct{ Label, Value string }

type htmlBadge struct{ Class, Symbol, Text string }

type htmlGate struct {
	Class, Symbol, Label string
	Count                int
}

type htmlMatrixRow struct {
	ID, Name, Seed string
	CaseID         string // a conformance case's ID
	Verdict        htmlBadge
	Cells          []htmlCell
	Extra          []htmlCell
}

type htmlCell struct {
	Name, Class, Symbol, Text, Title, Href string
}

type htmlScenario struct {
	ID, Name, Description, Path string
	Seed                        int64
	Verdict                     htmlBadge
	Facts                       []htmlFact
	Err                         string
	Case                        *htmlCase
	ChecksHeading               string
	Checks                      []htmlCheck
	Context                     []htmlCheck // a conformance case's failed checks that do not decide it
	Disabled                    []htmlCheck
	Nodes, NodeSummary          template.HTML
	NodeNote                    string
	VNFs                        template.HTML
	VNFNote                     string
	Sequence                    template.HTML
	SequenceNote                string
	SequenceScroll              bool
	Events                      []htmlEventRow
	EventsNote                  string
	EventsOpen                  bool
	Metrics                     []htmlMetric
	MetricsNote                 string
	Thresholds                  bool
	Rerun                       string
}

type htmlCheck struct {
	ID, Name, Heading string
	Badge             htmlBadge
	Note              string
	Violations        []htmlViolation
}

type htmlViolation struct {
	Message   string
	Exchanges []htmlExchange
	Events    []htmlLink
}

// htmlCase is a conformance case's metadata and what decided it.
type htmlCase struct {
	ID, Title, Objective, Reference, Applicability string
	Pre, Post, FailedBy                            []string
	Decided                                        []htmlCell
	NotApplicable                                  []string
	SpecViolations                                 []htmlLink
}

// htmlExchange is one HTTP exchange of a failed case's evidence, written
// as a person reads it: the request line, headers and body, then the
// answer with its status set against the one expected.
type htmlExchange struct {
	Title, Href       string
	Request, Response string
	Status            int
	Want, Error       string
	Met, Bad          bool
}

type htmlLink struct{ Href, Text string }

type htmlEventRow struct {
	ID                               string
	Skipped                          int // events left out before this row
	Seq                              int64
	At, Actor, Kind, Subject, Fields string
	Cited                            bool
	CitedBy                          []htmlLink
	SkippedAfter                     int // events left out after the last row
}

type htmlMetric struct {
	Name, Value, Expect string
	Status              htmlBadge
}

// Verdict and check badges: a colour from the Okabe–Ito palette (in the
// style sheet), a symbol and a word, so no reader depends on the colour.
var htmlVerdicts = map[string]htmlBadge{
	judge.VerdictPass:          {"pass", "✓", "PASS"},
	judge.VerdictFail:          {"fail", "✗", "FAIL"},
	judge.VerdictXFail:         {"xfail", "✗", "XFAIL"},
	judge.VerdictError:         {"error", "!", "ERROR"},
	judge.VerdictNotApplicable: {"na", "○", "NOT APPLICABLE"},
}

func htmlVerdict(v string) htmlBadge {
	if b, ok := htmlVerdicts[v]; ok {
		return b
	}
	return htmlBadge{"none", "?", strings.ToUpper(v)}
}

func newHTMLPage(run Run) *htmlPage {
	p := &htmlPage{CSP: htmlCSP, CSS: template.CSS(htmlCSS), JS: template.JS(htmlJS)}

	// Failures and errors first, then the rest, each in run order.
	ordered := slices.Clone(run.Results)
	slices.SortStableFunc(ordered, func(a, b *judge.Result) int {
		return cmp.Compare(htmlRank(a), htmlRank(b))
	})
	walls := map[*judge.Result]time.Duration{}
	for i, r := range run.Results {
		if i < len(run.Walls) {
			walls[r] = run.Walls[i]
		}
	}

	n := map[string]int{}
	for _, r := range run.Results {
		n[r.Verdict]++
	}
	for _, g := range []struct {
		verdict, label string
	}{
		{judge.VerdictPass, "passed"},
		{judge.VerdictFail, "failed"},
		{judge.VerdictXFail, "expected failures"},
		{judge.VerdictError, "errors"},
	} {
		b := htmlVerdict(g.verdict)
		p.Gates = append(p.Gates, htmlGate{Class: b.Class, Symbol: b.Symbol, Label: g.label, Count: n[g.verdict]})
	}
	// Only conformance cases can be not applicable; other runs keep the
	// four gates they always had.
	if na := n[judge.VerdictNotApplicable]; na > 0 {
		b := htmlVerdict(judge.VerdictNotApplicable)
		p.Gates = append(p.Gates, htmlGate{Class: b.Class, Symbol: b.Symbol, Label: "not applicable", Count: na})
	}
	bad := n[judge.VerdictFail] + n[judge.VerdictError]
	switch {
	case len(run.Results) == 0:
		p.Overall = htmlBadge{"none", "–", "No scenario ran."}
	case bad > 0:
		p.Overall = htmlBadge{"fail", "✗", fmt.Sprintf("The gate is closed: %s failed or could not run.", plural(bad, "scenario"))}
	default:
		what := fmt.Sprintf("all %d scenarios", len(run.Results))
		if len(run.Results) == 1 {
			what = "the scenario"
		}
		how := "passed or failed as expected"
		if n[judge.VerdictNotApplicable] > 0 {
			how = "passed, failed as expected, or did not apply"
		}
		p.Overall = htmlBadge{"pass", "✓", fmt.Sprintf("The gate is open: %s %s.", what, how)}
	}
	p.Title = "escalator report: " + htmlTitleCounts(n, len(run.Results))
	if line := conformanceSummary(run.Results); line != "" {
		p.Title += "; " + line
	}

	if !run.Started.IsZero() {
		p.Meta = append(p.Meta, htmlFact{"Started", run.Started.UTC().Format("2006-01-02 15:04:05 MST")})
	}
	if run.Wall > 0 {
		p.Meta = append(p.Meta, htmlFact{"Wall time", HumanDuration(run.Wall)})
	}
	if run.Command != "" {
		p.Meta = append(p.Meta, htmlFact{"Command", run.Command})
	}
	if run.Version != "" {
		p.Meta = append(p.Meta, htmlFact{"escalator", run.Version})
	}
	if run.ID != "" {
		p.Meta = append(p.Meta, htmlFact{"Run", run.ID})
	}

	p.Columns, p.Extra = htmlColumns(ordered)
	used := map[string]bool{}
	for i, r := range ordered {
		sc := newHTMLScenario(run, r, htmlSectionID(i, r, used), walls[r])
		p.Sections = append(p.Sections, sc)
		p.Matrix = append(p.Matrix, htmlMatrixRowOf(sc, r, p.Columns))
	}
	p.Conformance = htmlConformanceOf(run.Results, ordered, p.Sections)
	return p
}

// htmlConformanceOf sums up the conformance cases for the top of the
// page: a gate per verdict, and a row per case (in the order of the
// sections, failures first) leading to its section.
func htmlConformanceOf(results, ordered []*judge.Result, sections []*htmlScenario) *htmlConformance {
	sum, ok := judge.SummarizeConformance(results)
	if !ok {
		return nil
	}
	c := &htmlConformance{Text: sum.String()}
	for _, g := range []struct {
		verdict, label string
		count          int
	}{
		{judge.VerdictPass, "passed", sum.Passed},
		{judge.VerdictFail, "failed", sum.Failed},
		{judge.VerdictNotApplicable, "not applicable", sum.NotApplicable},
		{judge.VerdictError, "could not run", sum.Errors},
	} {
		b := htmlVerdict(g.verdict)
		c.Gates = append(c.Gates, htmlGate{Class: b.Class, Symbol: b.Symbol, Label: g.label, Count: g.count})
	}
	for i, r := range ordered {
		sc := sections[i]
		if sc.Case == nil {
			continue
		}
		c.Cases = append(c.Cases, htmlCaseRow{Href: "#" + sc.ID + "_case", ID: sc.Case.ID, Title: sc.Case.Title,
			Reference: sc.Case.Reference, Scenario: htmlName(r), Verdict: sc.Verdict, Decided: sc.Case.Decided})
	}
	return c
}

func htmlRank(r *judge.Result) int {
	if r.Verdict == judge.VerdictFail || r.Verdict == judge.VerdictError {
		return 0
	}
	return 1
}

func htmlTitleCounts(n map[string]int, total int) string {
	var parts []string
	for _, v := range []struct{ verdict, word string }{
		{judge.VerdictFail, "failed"}, {judge.VerdictError, "errors"},
		{judge.VerdictXFail, "expected failures"}, {judge.VerdictPass, "passed"},
		{judge.VerdictNotApplicable, "not applicable"},
	} {
		if n[v.verdict] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[v.verdict], v.word))
		}
	}
	if len(parts) == 0 {
		return "no scenarios"
	}
	return strings.Join(parts, ", ") + " of " + plural(total, "scenario")
}

// htmlColumns picks the matrix columns: the outcome and the built-in
// checks in their usual order, then other checks (thresholds, assertions)
// while there is room; the rest are listed in each row's last cell.
func htmlColumns(results []*judge.Result) (cols []string, extra bool) {
	seen := map[string]bool{}
	for _, r := range results {
		for _, c := range r.Checks {
			seen[c.Name] = true
		}
	}
	for _, name := range append([]string{judge.CheckOutcome}, judge.CheckNames...) {
		if seen[name] {
			cols = append(cols, name)
			delete(seen, name)
		}
	}
	var others []string
	for _, r := range results {
		for _, c := range r.Checks {
			if seen[c.Name] {
				others = append(others, c.Name)
				delete(seen, c.Name)
			}
		}
	}
	if len(cols)+len(others) <= htmlMaxCheckColumns {
		return append(cols, others...), false
	}
	return cols, len(others) > 0
}

var htmlSlugRE = regexp.MustCompile(`[^a-z0-9]+`)

func htmlSlug(s string) string {
	s = strings.Trim(htmlSlugRE.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	if s == "" {
		s = "scenario"
	}
	return s
}

// htmlSectionID is a scenario's anchor: its name, made unique by its seed
// and then its position when a run repeats it. The ids of what a section
// holds add "_" and a part, which no slug contains, so they cannot clash
// with another section's.
func htmlSectionID(i int, r *judge.Result, used map[string]bool) string {
	id := "s-" + htmlSlug(htmlName(r))
	if used[id] {
		id = fmt.Sprintf("%s-seed-%d", id, r.Seed)
	}
	if used[id] {
		id = fmt.Sprintf("%s-%d", id, i+1)
	}
	used[id] = true
	return id
}

func htmlName(r *judge.Result) string {
	if r.Scenario == nil || r.Scenario.Name == "" {
		return "(unnamed scenario)"
	}
	return r.Scenario.Name
}

// htmlCheckState is how one check of one result reads.
func htmlCheckState(r *judge.Result, c judge.CheckResult) htmlBadge {
	expected := r.Scenario != nil && slices.Contains(r.Scenario.Expect.Violations, c.Name)
	switch {
	case c.Status == judge.CheckFailed && expected:
		return htmlBadge{"xfail", "✗", "failed as expected"}
	case c.Status == judge.CheckFailed:
		return htmlBadge{"fail", "✗", "failed"}
	case c.Status == judge.CheckDisabled:
		return htmlBadge{"disabled", "⊘", "disabled"}
	case expected:
		return htmlBadge{"fail", "✓!", "passed, but expected to fail"}
	case c.Status == judge.CheckPassed:
		return htmlBadge{"pass", "✓", "passed"}
	case c.Status == judge.CheckNotApplicable:
		return htmlBadge{"na", "○", "not applicable"}
	}
	return htmlBadge{"none", "?", c.Status}
}

func htmlMatrixRowOf(sc *htmlScenario, r *judge.Result, cols []string) htmlMatrixRow {
	row := htmlMatrixRow{ID: sc.ID, Name: sc.Name, Seed: strconv.FormatInt(r.Seed, 10), Verdict: sc.Verdict}
	if sc.Case != nil {
		row.CaseID = sc.Case.ID
	}
	anchors := map[string]string{}
	for _, c := range sc.Checks {
		anchors[c.Name] = c.ID
	}
	cell := func(c judge.CheckResult) htmlCell {
		b := htmlCheckState(r, c)
		title := c.Name + ": " + b.Text
		if c.Reason != "" {
			title += " (" + c.Reason + ")"
		}
		out := htmlCell{Name: c.Name, Class: b.Class, Symbol: b.Symbol, Text: b.Text, Title: title}
		if id := anchors[c.Name]; id != "" {
			out.Href = "#" + id
		}
		return out
	}
	byName := map[string]judge.CheckResult{}
	for _, c := range r.Checks {
		byName[c.Name] = c
	}
	for _, name := range cols {
		c, ok := byName[name]
		if !ok {
			row.Cells = append(row.Cells, htmlCell{Name: name, Class: "none", Symbol: "–", Text: "not run", Title: name + ": not run"})
			continue
		}
		row.Cells = append(row.Cells, cell(c))
	}
	for _, c := range r.Checks {
		if !slices.Contains(cols, c.Name) {
			row.Extra = append(row.Extra, cell(c))
		}
	}
	return row
}

func newHTMLScenario(run Run, r *judge.Result, id string, wall time.Duration) *htmlScenario {
	s := r.Scenario
	if s == nil {
		s = &spec.Scenario{}
	}
	sc := &htmlScenario{
		ID: id, Name: htmlName(r), Description: strings.TrimSpace(s.Description), Path: s.Path,
		Seed: r.Seed, Verdict: htmlVerdict(r.Verdict),
	}
	if r.Err != nil {
		sc.Err = r.Err.Error()
	}
	end := htmlEnd(r)
	sc.Facts = htmlFacts(r, end, wall)

	// A conformance case is decided by its deciding checks alone: their
	// failures come with the HTTP exchanges written out; the others that
	// failed are context.
	sc.ChecksHeading = "Checks that decided the verdict"
	deciding := map[string]bool{}
	isCase := caseOf(r) != nil && len(s.Expect.Violations) == 0
	if isCase {
		sc.ChecksHeading = "Evidence: the deciding checks that failed"
		for _, name := range s.Conformance.DecidedBy {
			deciding[name] = true
		}
	}

	// The checks that explain the verdict, each with an anchor the matrix
	// and the events table link to.
	cited := map[int64][]htmlLink{}
	cite := func(seq int64, href, text string) {
		if refs := cited[seq]; len(refs) == 0 || refs[len(refs)-1].Href != href {
			cited[seq] = append(refs, htmlLink{Href: href, Text: text})
		}
	}
	anchors := map[string]string{}
	for i, c := range r.Checks {
		b := htmlCheckState(r, c)
		hc := htmlCheck{ID: fmt.Sprintf("%s_check-%d-%s", id, i+1, htmlSlug(c.Name)), Name: c.Name, Badge: b}
		switch b.Class {
		case "disabled":
			hc.Note = c.Reason
			sc.Disabled = append(sc.Disabled, hc)
			continue
		case "pass", "none", "na":
			continue
		}
		anchors[c.Name] = hc.ID
		if c.Status != judge.CheckFailed {
			hc.Note = "This negative control expects the check to fail, and it passed."
		}
		evidence := isCase && deciding[c.Name]
		for _, v := range c.Violations {
			hv := htmlViolation{Message: v.Message}
			for _, e := range v.Events {
				if e.Seq <= 0 {
					continue
				}
				cite(e.Seq, "#"+hc.ID, c.Name)
				// The exchanges a deciding check cites are its evidence,
				// written out in full (as Result.Evidence reads them),
				// each linked to its row in the trace.
				if evidence && (e.Kind == "http.exchange" || e.Kind == "probe.exchange") {
					hv.Exchanges = append(hv.Exchanges, htmlExchangeOf(judge.ExchangeOf(e), htmlEventID(id, e.Seq)))
					continue
				}
				hv.Events = append(hv.Events, htmlLink{Href: htmlEventID(id, e.Seq), Text: e.String()})
			}
			hc.Violations = append(hc.Violations, hv)
		}
		if isCase && !deciding[c.Name] {
			sc.Context = append(sc.Context, hc)
			continue
		}
		sc.Checks = append(sc.Checks, hc)
	}
	if caseOf(r) != nil {
		sc.Case = htmlCaseOf(r, anchors)
		if r.Verdict == judge.VerdictFail {
			for _, e := range r.Events {
				if e.Kind == "spec.violation" && e.Seq > 0 {
					sc.Case.SpecViolations = append(sc.Case.SpecViolations, htmlLink{Href: htmlEventID(id, e.Seq), Text: e.String()})
					cite(e.Seq, "#"+id+"_case", "spec violation")
				}
			}
		}
	}

	rows, note := htmlEvents(id, r, cited)
	sc.Events, sc.EventsNote = rows, note
	sc.EventsOpen = r.Verdict == judge.VerdictFail || r.Verdict == judge.VerdictError
	// A cited event the excerpt left out keeps its text but loses its link.
	shown := map[string]bool{}
	for _, row := range rows {
		shown[row.ID] = true
	}
	link := func(l *htmlLink) {
		if !shown[l.Href] {
			l.Href = ""
		} else {
			l.Href = "#" + l.Href
		}
	}
	for _, checks := range [][]htmlCheck{sc.Checks, sc.Context} {
		for i := range checks {
			for j := range checks[i].Violations {
				v := &checks[i].Violations[j]
				for k := range v.Events {
					link(&v.Events[k])
				}
				for k := range v.Exchanges {
					l := htmlLink{Href: v.Exchanges[k].Href}
					link(&l)
					v.Exchanges[k].Href = l.Href
				}
			}
		}
	}
	if sc.Case != nil {
		for k := range sc.Case.SpecViolations {
			link(&sc.Case.SpecViolations[k])
		}
	}

	if len(r.Events) > 0 {
		ch := &htmlCharts{id: id, end: end}
		nodes, vnfs := htmlTracks(r.Events, end)
		sc.Nodes, sc.NodeSummary, sc.NodeNote = ch.nodes(nodes)
		sc.VNFs, sc.VNFNote = ch.vnfs(vnfs)
		sc.Sequence, sc.SequenceNote, sc.SequenceScroll = ch.sequence(r.Events)
	}
	sc.Metrics, sc.MetricsNote = htmlMetrics(r)
	sc.Thresholds = r.Scenario != nil && len(r.Scenario.Expect.Thresholds) > 0
	sc.Rerun = htmlRerun(run, r)
	return sc
}

// htmlCaseOf is a conformance case's metadata, each deciding check with
// how it came out (linked to its violations when it failed), and why the
// case did not apply when it did not.
func htmlCaseOf(r *judge.Result, anchors map[string]string) *htmlCase {
	c := r.Scenario.Conformance
	trim := func(list []string) []string {
		var out []string
		for _, s := range list {
			out = append(out, strings.TrimSpace(s))
		}
		return out
	}
	hc := &htmlCase{ID: c.ID, Title: strings.TrimSpace(c.Title), Objective: strings.TrimSpace(c.Objective),
		Reference: strings.TrimSpace(c.Reference), Applicability: strings.TrimSpace(c.Applicability),
		Pre: trim(c.Preconditions), Post: trim(c.Postconditions), FailedBy: c.FailedBy}
	for _, name := range c.DecidedBy {
		cell := htmlCell{Name: name, Class: "none", Symbol: "–", Text: "not run", Title: name + ": not run"}
		for _, ch := range r.Checks {
			if ch.Name != name {
				continue
			}
			b := htmlCheckState(r, ch)
			cell = htmlCell{Name: name, Class: b.Class, Symbol: b.Symbol, Text: b.Text, Title: name + ": " + b.Text}
			if ch.Reason != "" {
				cell.Title += " (" + ch.Reason + ")"
			}
			if a := anchors[name]; a != "" {
				cell.Href = "#" + a
			}
		}
		hc.Decided = append(hc.Decided, cell)
	}
	if r.Verdict == judge.VerdictNotApplicable {
		hc.NotApplicable = notApplicable(r)
	}
	return hc
}

// htmlExchangeOf writes out one exchange: the request line, headers and
// body; the answer's status against the one expected; its headers and
// body. JSON bodies are indented to be read (the JSON report keeps them
// as sent).
func htmlExchangeOf(x judge.Exchange, href string) htmlExchange {
	hx := htmlExchange{Title: exchangeTitle(x), Href: href, Status: x.Status, Want: x.Want, Error: x.Error}
	var req strings.Builder
	req.WriteString(x.Method + " " + cmp.Or(x.URL, x.Path))
	for _, h := range x.RequestHeaders {
		req.WriteString("\n" + h)
	}
	if x.RequestBody != "" {
		req.WriteString("\n\n" + htmlBody(x.RequestBody))
	}
	hx.Request = req.String()
	if x.Error != "" {
		hx.Bad = true
		return hx
	}
	met, judged := statusMet(x)
	hx.Met, hx.Bad = judged && met, judged && !met
	var resp strings.Builder
	resp.WriteString("HTTP " + strconv.Itoa(x.Status))
	for _, h := range x.ResponseHeaders {
		resp.WriteString("\n" + h)
	}
	if x.ResponseBody != "" {
		resp.WriteString("\n\n" + htmlBody(x.ResponseBody))
	}
	hx.Response = resp.String()
	return hx
}

// htmlBody indents a JSON body; anything else (a form, a body cut short)
// stays as it was.
func htmlBody(s string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		return s
	}
	return b.String()
}

// htmlEnd is where a scenario's timelines end: its last event, or its
// elapsed time when that is later.
func htmlEnd(r *judge.Result) time.Duration {
	end := r.Elapsed
	for _, e := range r.Events {
		end = max(end, e.At)
	}
	if end <= 0 {
		end = time.Second
	}
	return end
}

func htmlFacts(r *judge.Result, end time.Duration, wall time.Duration) []htmlFact {
	var f []htmlFact
	if r.Session.State != "" {
		state := r.Session.State
		if r.Session.Reason != "" {
			state += " — " + r.Session.Reason
		}
		f = append(f, htmlFact{"Session", state})
	}
	if s := r.Scenario; s != nil {
		flow := s.Upgrade.Flow
		if flow == "" {
			flow = r.Session.Flow
		}
		if flow != "" {
			f = append(f, htmlFact{"Flow", flow})
		}
		if s.Upgrade.TargetVersion != "" {
			f = append(f, htmlFact{"Target version", s.Upgrade.TargetVersion})
		}
	}
	if n := len(r.Session.Nodes); n > 0 {
		f = append(f, htmlFact{"Nodes in the session", strconv.Itoa(n)})
	}
	if r.UpgradeDuration > 0 {
		f = append(f, htmlFact{"Upgrade duration", HumanDuration(r.UpgradeDuration)})
	}
	if len(r.Events) > 0 {
		f = append(f, htmlFact{"Scenario time", HumanDuration(end)})
		f = append(f, htmlFact{"Requests lost", judge.FormatMetric(judge.MetricLostRequests, r.Lost)})
		f = append(f, htmlFact{"Events", htmlCount(len(r.Events))})
	}
	f = append(f, htmlFact{"Seed", strconv.FormatInt(r.Seed, 10)})
	if wall > 0 {
		f = append(f, htmlFact{"Wall time", HumanDuration(wall)})
	}
	return f
}

// htmlAmount writes a number of requests: whole ones with thousands
// separators, fractions as the metrics do.
func htmlAmount(v float64) string {
	if v == float64(int64(v)) && v >= 0 && v < 1e15 {
		return htmlCount(int(v))
	}
	return judge.FormatMetric(judge.MetricLostRequests, v)
}

// htmlCount writes a count with thousands separators: 230,114.
func htmlCount(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func htmlEventID(section string, seq int64) string {
	return fmt.Sprintf("%s_e%d", section, seq)
}

// htmlEvents picks the trace excerpt: the whole trace when it is short;
// otherwise the events the checks cite with a few either side (for a
// harness error, the trace's end), at most htmlMaxEventRows.
func htmlEvents(id string, r *judge.Result, cited map[int64][]htmlLink) ([]htmlEventRow, string) {
	events := r.Events
	if len(events) == 0 || (len(cited) == 0 && r.Verdict != judge.VerdictError) {
		return nil, ""
	}
	var pick []int
	note := ""
	switch {
	case len(events) <= htmlWholeTrace:
		for i := range events {
			pick = append(pick, i)
		}
		note = fmt.Sprintf("The whole trace: %s.", plural(len(events), "event"))
	case len(cited) == 0: // an error: the last events before the harness gave up
		n := min(len(events), htmlMaxEventRows)
		for i := len(events) - n; i < len(events); i++ {
			pick = append(pick, i)
		}
		note = fmt.Sprintf("The last %d of %s events. Write the whole trace with --trace DIR.", n, htmlCount(len(events)))
	default:
		var citedIdx []int
		for i, e := range events {
			if len(cited[e.Seq]) > 0 {
				citedIdx = append(citedIdx, i)
			}
		}
		set := map[int]bool{}
		for _, i := range citedIdx { // every cited event first
			if len(set) < htmlMaxEventRows {
				set[i] = true
			}
		}
		for d := 1; d <= htmlEventContext; d++ { // then their neighbours, nearest first
			for _, i := range citedIdx {
				for _, j := range []int{i - d, i + d} {
					if j >= 0 && j < len(events) && len(set) < htmlMaxEventRows {
						set[j] = true
					}
				}
			}
		}
		for i := range set {
			pick = append(pick, i)
		}
		slices.Sort(pick)
		note = fmt.Sprintf("%d of %s events: those the failed checks cite (highlighted), with up to %d either side. Write the whole trace with --trace DIR.",
			len(pick), htmlCount(len(events)), htmlEventContext)
	}
	rows := make([]htmlEventRow, 0, len(pick))
	prev := -1
	for _, i := range pick {
		e := events[i]
		rows = append(rows, htmlEventRow{
			ID: htmlEventID(id, e.Seq), Skipped: i - prev - 1, Seq: e.Seq, At: htmlOffset(e.At),
			Actor: e.Actor, Kind: e.Kind, Subject: e.Subject, Fields: htmlFields(e.Fields),
			Cited: len(cited[e.Seq]) > 0, CitedBy: cited[e.Seq],
		})
		prev = i
	}
	if n := len(rows); n > 0 {
		rows[n-1].SkippedAfter = len(events) - prev - 1
	}
	return rows, note
}

func htmlFields(f escalator.Fields) string {
	if len(f) == 0 {
		return ""
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Sprint(map[string]any(f))
	}
	const max = 400
	if s := string(b); len(s) > max {
		return s[:max] + "…"
	}
	return string(b)
}

// htmlOffset writes a time since the start as the terminal's excerpts do:
// 00:10:32.000.
func htmlOffset(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// htmlMetrics computes the metrics of the trace with the thresholds the
// scenario set on them.
func htmlMetrics(r *judge.Result) ([]htmlMetric, string) {
	if len(r.Events) == 0 {
		return nil, ""
	}
	values := judge.Metrics(r.Events)
	var expect map[string]string
	if r.Scenario != nil {
		expect = r.Scenario.Expect.Thresholds
	}
	status := map[string]judge.CheckResult{}
	for _, c := range r.Checks {
		if name, ok := strings.CutPrefix(c.Name, "threshold:"); ok {
			status[name] = c
		}
	}
	var out []htmlMetric
	var lossy, quiet []string
	for _, name := range judge.SortedMetricNames(values) {
		if strings.HasPrefix(name, judge.MetricLostPrefix) && expect[name] == "" {
			if values[name] > 0 {
				lossy = append(lossy, name)
			} else {
				quiet = append(quiet, name)
			}
			continue
		}
		out = append(out, htmlMetricOf(r, name, values, expect, status))
	}
	note := ""
	shown := append(lossy, quiet...)
	if len(shown) > htmlMaxServiceLoss {
		note = fmt.Sprintf("Per-service losses: %d of %d services shown, those that lost requests first; the other %d lost %s.",
			htmlMaxServiceLoss, len(shown), len(shown)-htmlMaxServiceLoss, htmlLostOf(shown[htmlMaxServiceLoss:], values))
		shown = shown[:htmlMaxServiceLoss]
	}
	for _, name := range shown {
		out = append(out, htmlMetricOf(r, name, values, expect, status))
	}
	// Thresholds on metrics that have no value are worth a row too.
	for _, name := range slices.Sorted(maps.Keys(expect)) {
		if _, ok := values[name]; !ok {
			out = append(out, htmlMetricOf(r, name, values, expect, status))
		}
	}
	return out, note
}

func htmlLostOf(names []string, values map[string]float64) string {
	sum := 0.0
	for _, n := range names {
		sum += values[n]
	}
	if sum == 0 {
		return "nothing"
	}
	return judge.FormatMetric(judge.MetricLostRequests, sum) + " requests in all"
}

func htmlMetricOf(r *judge.Result, name string, values map[string]float64, expect map[string]string, status map[string]judge.CheckResult) htmlMetric {
	m := htmlMetric{Name: name, Expect: expect[name], Value: "—"}
	if v, ok := values[name]; ok {
		m.Value = judge.FormatMetric(name, v)
	}
	if c, ok := status[name]; ok {
		m.Status = htmlCheckState(r, c)
	}
	return m
}

// htmlRerun is the command that reruns exactly this result.
func htmlRerun(run Run, r *judge.Result) string {
	cmd := "escalator run"
	if strings.Contains(run.Command, "--verify-determinism") {
		cmd += " --verify-determinism"
	}
	path := ""
	if r.Scenario != nil {
		path = r.Scenario.Path
	}
	if path == "" {
		return ""
	}
	return fmt.Sprintf("%s --seed %d %s", cmd, r.Seed, shellQuote(path))
}

// The charts are SVG written here, no library: one user unit is one pixel
// of a 1,000-wide drawing that the style sheet scales to the page. The
// timelines share their x scale (htmlX0..htmlX1 over the scenario's time),
// so the script's time cursor lines them up.
const (
	htmlW  = 1000
	htmlX0 = 160.0 // left of the time axis; row labels end just before it
	htmlX1 = 900.0 // right of the time axis; a row's summary follows it
)

// htmlCharts draws the charts of one scenario.
type htmlCharts struct {
	id  string
	end time.Duration
}

func (c *htmlCharts) x(d time.Duration) float64 {
	return htmlX0 + (htmlX1-htmlX0)*float64(d)/float64(c.end)
}

// htmlNum writes a coordinate with one decimal at most.
func htmlNum(v float64) string {
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func htmlEsc(s string) string { return template.HTMLEscapeString(s) }

// htmlTrunc shortens a label to n runes with an ellipsis.
func htmlTrunc(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// htmlTimelineOpen starts a timeline SVG with its title and description
// (read out by screen readers) and the time axis.
func (c *htmlCharts) timelineOpen(b *strings.Builder, kind string, height float64, title, desc string) {
	tid := c.id + "_" + kind
	fmt.Fprintf(b, `<svg class="chart timeline" id="%s" viewBox="0 0 %d %s" width="%d" height="%s" data-x0="%s" data-x1="%s" data-end="%s" aria-labelledby="%s_t %s_d">`,
		tid, htmlW, htmlNum(height), htmlW, htmlNum(height), htmlNum(htmlX0), htmlNum(htmlX1),
		strconv.FormatFloat(c.end.Seconds(), 'f', 3, 64), tid, tid)
	fmt.Fprintf(b, `<title id="%s_t">%s</title><desc id="%s_d">%s</desc>`, tid, htmlEsc(title), tid, htmlEsc(desc))
	c.axis(b, height)
}

// htmlTickSteps are the axis steps a person reads easily.
var htmlTickSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour,
}

// htmlTickStep picks the smallest step giving at most ten ticks.
func htmlTickStep(end time.Duration) time.Duration {
	for _, s := range htmlTickSteps {
		if end/s <= 10 {
			return s
		}
	}
	return (end/10 + time.Hour - 1) / time.Hour * time.Hour
}

// htmlTick writes an axis label: 0, 500ms, 45s, 1m30s, 2h, 1d6h.
func htmlTick(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	var b strings.Builder
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	h, d := d/time.Hour, d%time.Hour
	m, d := d/time.Minute, d%time.Minute
	s, ms := d/time.Second, (d%time.Second)/time.Millisecond
	for _, part := range []struct {
		n    time.Duration
		unit string
	}{{days, "d"}, {h, "h"}, {m, "m"}} {
		if part.n > 0 {
			fmt.Fprintf(&b, "%d%s", part.n, part.unit)
		}
	}
	switch {
	case ms > 0:
		fmt.Fprintf(&b, "%d.%03ds", s, ms)
	case s > 0:
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// axis draws the time axis along the top with a grid line per tick.
func (c *htmlCharts) axis(b *strings.Builder, height float64) {
	step := htmlTickStep(c.end)
	b.WriteString(`<g class="axis" aria-hidden="true">`)
	for t := time.Duration(0); t <= c.end; t += step {
		x := htmlNum(c.x(t))
		anchor := "middle"
		if t == 0 {
			anchor = "start"
		}
		fmt.Fprintf(b, `<line x1="%s" x2="%s" y1="18" y2="%s"/><text x="%s" y="13" text-anchor="%s">%s</text>`,
			x, x, htmlNum(height-2), x, anchor, htmlTick(t))
	}
	b.WriteString(`</g>`)
}

// Node states, with the style sheet's class for each. White text reads on
// the dark ones.
var htmlStates = []string{"normal", "maintenance", "upgrading", "verifying", "failed"}

func htmlStateClass(state string) string {
	if slices.Contains(htmlStates, state) {
		return "st-" + state
	}
	return "st-other"
}

func htmlStateDark(state string) bool { return state == "upgrading" || state == "failed" }

type htmlSeg struct {
	state    string
	from, to time.Duration
}

type htmlNode struct {
	name    string
	segs    []htmlSeg
	version string
	faults  []escalator.Event
	failed  bool
}

// htmlTracks replays the trace once into each node's states over time, in
// the order the nodes appear, and each VNF's interruptions and loss, in
// the order the VNFs appear.
func htmlTracks(events []escalator.Event, end time.Duration) ([]*htmlNode, []*htmlVNF) {
	w := replay.New()
	byName := map[string]*htmlNode{}
	track := func(name string) *htmlNode {
		n := byName[name]
		if n == nil {
			n = &htmlNode{name: name}
			byName[name] = n
		}
		return n
	}
	for _, e := range events {
		if e.Kind == "node.state" {
			// The state the node leaves and since when; a node the trace
			// never added was in its From state from the start.
			from, since := "", time.Duration(0)
			if n, ok := w.Node(e.Subject); ok {
				from, since = n.State, n.Since
			} else {
				p, _, _ := event.As[event.NodeState](e)
				from = cmp.Or(p.From, "normal")
			}
			if e.At > since {
				t := track(e.Subject)
				t.segs = append(t.segs, htmlSeg{from, since, e.At})
			}
		}
		w.Apply(e)
		if e.Kind == "node.state" {
			if n, _ := w.Node(e.Subject); n.State == "failed" {
				track(e.Subject).failed = true
			}
		}
		if strings.HasPrefix(e.Kind, "fault.") {
			if _, ok := w.Node(e.Subject); ok {
				t := track(e.Subject)
				t.faults = append(t.faults, e)
			}
		}
	}
	var nodes []*htmlNode
	for _, name := range w.Nodes() {
		n, _ := w.Node(name)
		t := track(name)
		t.version = n.Version
		if end > n.Since {
			t.segs = append(t.segs, htmlSeg{n.State, n.Since, end})
		}
		nodes = append(nodes, t)
	}
	var vnfs []*htmlVNF
	for _, name := range w.VNFs() {
		v, _ := w.VNF(name)
		if !v.Deployed && len(v.Interruptions) == 0 && v.Summary == nil {
			continue // only its VMs named it
		}
		t := &htmlVNF{name: name, deployed: v.DeployedAt}
		for _, o := range v.Interruptions {
			t.outages = append(t.outages, htmlOutage{o.Start, o.Duration, o.Lost, o.Cause})
			t.lost += o.Lost
		}
		if s := v.Summary; s != nil {
			t.summarised, t.lost, t.offered = true, s.Lost, s.Offered
		}
		vnfs = append(vnfs, t)
	}
	return nodes, vnfs
}

// nodes draws one row per node (up to htmlMaxNodeRows; nodes that failed
// or met a fault first) and, when some are left out, the count of nodes
// in each state over time.
func (c *htmlCharts) nodes(tracks []*htmlNode) (chart, summary template.HTML, note string) {
	if len(tracks) == 0 {
		return "", "", "The trace has no nodes."
	}
	shown := tracks
	if len(tracks) > htmlMaxNodeRows {
		keep := map[*htmlNode]bool{}
		for _, pass := range []bool{true, false} {
			for _, n := range tracks {
				if len(keep) < htmlMaxNodeRows && (!pass || n.failed || len(n.faults) > 0) {
					keep[n] = true
				}
			}
		}
		shown = slices.DeleteFunc(slices.Clone(tracks), func(n *htmlNode) bool { return !keep[n] })
		note = fmt.Sprintf("Showing %d of %s nodes: those that failed or met a fault first, then in topology order.",
			len(shown), htmlCount(len(tracks)))
		if summary = c.nodeSummary(tracks); summary != "" {
			note += " The chart below counts every node out of service, by state."
		}
	}
	const top, pitch, barH = 24.0, 20.0, 14.0
	height := top + pitch*float64(len(shown)) + 4
	var b strings.Builder
	c.timelineOpen(&b, "nodes", height, "Node states over time",
		fmt.Sprintf("One row per node (%d shown), coloured by state over %s of scenario time: %s.",
			len(shown), HumanDuration(c.end), strings.Join(htmlStates, ", ")))
	for i, n := range shown {
		y := top + pitch*float64(i) + 2
		fmt.Fprintf(&b, `<g class="row" data-node="%s"><text class="lbl" x="%s" y="%s">%s</text>`,
			htmlEsc(n.name), htmlNum(htmlX0-8), htmlNum(y+barH-3), htmlEsc(htmlTrunc(n.name, 22)))
		for _, s := range n.segs {
			x0, x1 := c.x(s.from), c.x(s.to)
			fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"><title>%s: %s from %s to %s (%s)</title></rect>`,
				htmlStateClass(s.state), htmlNum(x0), htmlNum(y), htmlNum(max(x1-x0, 0.3)), htmlNum(barH),
				htmlEsc(n.name), htmlEsc(s.state), htmlTick(s.from), htmlTick(s.to), HumanDuration(s.to-s.from))
			if s.state == "failed" {
				fmt.Fprintf(&b, `<rect class="hatch" x="%s" y="%s" width="%s" height="%s"/>`,
					htmlNum(x0), htmlNum(y), htmlNum(max(x1-x0, 0.3)), htmlNum(barH))
			}
			if label := s.state; x1-x0 >= 6.5*float64(len(label))+8 {
				cls := "in"
				if htmlStateDark(s.state) {
					cls = "in dark"
				}
				fmt.Fprintf(&b, `<text class="%s" x="%s" y="%s" aria-hidden="true">%s</text>`,
					cls, htmlNum((x0+x1)/2), htmlNum(y+barH-3.5), htmlEsc(label))
			}
		}
		for _, f := range n.faults {
			x := c.x(f.At)
			fmt.Fprintf(&b, `<path class="fault" d="M%s %sl4 5-4 5-4-5z"><title>%s at %s</title></path>`,
				htmlNum(x), htmlNum(y+2), htmlEsc(f.Kind), htmlTick(f.At))
		}
		if n.version != "" {
			fmt.Fprintf(&b, `<text class="end" x="%s" y="%s">v%s</text>`, htmlNum(htmlX1+6), htmlNum(y+barH-3), htmlEsc(htmlTrunc(n.version, 12)))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), summary, note
}

// nodeSummary stacks the number of nodes out of the normal state over
// time, by state, every node counted: each band is the state's average
// over one of htmlSummaryBuckets slices of the timeline, on a scale up to
// the most nodes ever out at once. It is empty when no node left normal.
func (c *htmlCharts) nodeSummary(tracks []*htmlNode) template.HTML {
	states := []string{"failed", "upgrading", "verifying", "maintenance", "other"} // bottom up
	slot := map[string]int{}
	for i, s := range states {
		slot[s] = i
	}
	stateOf := func(s string) int {
		if i, ok := slot[s]; ok {
			return i
		}
		return slot["other"]
	}
	acc := make([][]float64, len(states))
	for i := range acc {
		acc[i] = make([]float64, htmlSummaryBuckets)
	}
	bw := float64(c.end) / htmlSummaryBuckets
	type edge struct {
		at           time.Duration
		state, delta int
	}
	var edges []edge
	for _, n := range tracks {
		for _, s := range n.segs {
			if s.state == "normal" {
				continue
			}
			st := stateOf(s.state)
			edges = append(edges, edge{s.from, st, 1}, edge{s.to, st, -1})
			from, to := float64(s.from), float64(s.to)
			for k := int(from / bw); k < htmlSummaryBuckets && float64(k)*bw < to; k++ {
				lo, hi := max(from, float64(k)*bw), min(to, float64(k+1)*bw)
				if hi > lo {
					acc[st][k] += (hi - lo) / bw
				}
			}
		}
	}
	// The most nodes out at once, in all and per state, exactly: ends
	// before starts at the same time, as the trace has them.
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta)) })
	peak := make([]int, len(states))
	cur := make([]int, len(states))
	out, peakOut := 0, 0
	for _, e := range edges {
		cur[e.state] += e.delta
		out += e.delta
		peak[e.state] = max(peak[e.state], cur[e.state])
		peakOut = max(peakOut, out)
	}
	if peakOut == 0 {
		return ""
	}
	scale := htmlNiceCeil(peakOut)

	const top, h = 24.0, 120.0
	y := func(v float64) float64 { return top + h - h*v/float64(scale) }
	bx := func(k int) float64 {
		switch k {
		case 0:
			return htmlX0
		case htmlSummaryBuckets - 1:
			return htmlX1
		}
		return htmlX0 + (htmlX1-htmlX0)*(float64(k)+0.5)/htmlSummaryBuckets
	}
	var b strings.Builder
	c.timelineOpen(&b, "node-summary", top+h+8, "Nodes out of service over time",
		fmt.Sprintf("Of all %s nodes, those not in the normal state, stacked by state, averaged over %d slices of %s; at most %s were out at once.",
			htmlCount(len(tracks)), htmlSummaryBuckets, HumanDuration(c.end), plural(peakOut, "node")))
	fmt.Fprintf(&b, `<g class="yaxis" aria-hidden="true"><line x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="%s">%s</text><text x="%s" y="%s">%s</text><text x="%s" y="%s">0</text></g>`,
		htmlNum(htmlX0), htmlNum(htmlX1), htmlNum(y(float64(peakOut))), htmlNum(y(float64(peakOut))),
		htmlNum(htmlX0-8), htmlNum(y(float64(scale))+8), plural(scale, "node"),
		htmlNum(htmlX0-8), htmlNum(y(float64(scale)/2)+4), strconv.FormatFloat(float64(scale)/2, 'f', -1, 64),
		htmlNum(htmlX0-8), htmlNum(y(0)))
	fmt.Fprintf(&b, `<text class="peak" x="%s" y="%s">peak %s</text>`, htmlNum(htmlX1+6), htmlNum(y(float64(peakOut))+4), htmlCount(peakOut))
	lower := make([]float64, htmlSummaryBuckets)
	for st, name := range states {
		if peak[st] == 0 {
			continue
		}
		pts := make([]string, 0, 2*htmlSummaryBuckets)
		upper := make([]float64, htmlSummaryBuckets)
		for k := range htmlSummaryBuckets {
			upper[k] = lower[k] + acc[st][k]
			pts = append(pts, htmlNum(bx(k))+" "+htmlNum(y(upper[k])))
		}
		for k := htmlSummaryBuckets - 1; k >= 0; k-- {
			pts = append(pts, htmlNum(bx(k))+" "+htmlNum(y(lower[k])))
		}
		fmt.Fprintf(&b, `<path class="band %s" data-state="%s" d="M%sZ"><title>%s: at most %s at once</title></path>`,
			htmlStateClass(name), name, strings.Join(pts, "L"), name, plural(peak[st], "node"))
		lower = upper
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// htmlNiceCeil rounds a count up to 1, 2 or 5 times a power of ten.
func htmlNiceCeil(n int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

type htmlOutage struct {
	start, dur time.Duration
	lost       float64
	cause      string
}

type htmlVNF struct {
	name          string
	deployed      time.Duration
	outages       []htmlOutage
	lost, offered float64
	summarised    bool
}

// vnfs draws one row per VNF (up to htmlMaxVNFRows, interrupted VNFs
// first): in service in bluish green, every interruption as a vermillion
// span with a marker above it and a tooltip.
func (c *htmlCharts) vnfs(tracks []*htmlVNF) (template.HTML, string) {
	if len(tracks) == 0 {
		return "", "The trace has no VNFs."
	}
	shown := tracks
	var all []htmlOutage
	note := ""
	if len(tracks) > htmlMaxVNFRows {
		keep := map[*htmlVNF]bool{}
		interrupted := 0
		for _, v := range tracks {
			if len(v.outages) > 0 {
				interrupted++
				if len(keep) < htmlMaxVNFRows {
					keep[v] = true
				}
			}
			all = append(all, v.outages...)
		}
		for _, v := range tracks {
			if len(keep) < htmlMaxVNFRows {
				keep[v] = true
			}
		}
		shown = slices.DeleteFunc(slices.Clone(tracks), func(v *htmlVNF) bool { return !keep[v] })
		quiet := func(v *htmlVNF) int {
			if len(v.outages) > 0 {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(shown, func(a, b *htmlVNF) int { return cmp.Compare(quiet(a), quiet(b)) })
		note = fmt.Sprintf("Showing %d of %s VNFs, interrupted ones first: %s had an interruption. The top row merges the interruptions of every VNF.",
			len(shown), htmlCount(len(tracks)), htmlCount(interrupted))
		slices.SortStableFunc(all, func(a, b htmlOutage) int { return cmp.Compare(a.start, b.start) })
	}
	const top, pitch, barH = 24.0, 22.0, 12.0
	rows := len(shown)
	if note != "" {
		rows++
	}
	height := top + pitch*float64(rows) + 4
	var b strings.Builder
	c.timelineOpen(&b, "vnfs", height, "Service availability over time",
		fmt.Sprintf("One row per VNF (%d shown): in service, or interrupted (marked, with cause, duration and lost requests).", len(shown)))
	row := 0
	if note != "" {
		lost := 0.0
		for _, o := range all {
			lost += o.lost
		}
		c.vnfRow(&b, top+pitch*float64(row)+6, barH, `data-vnfs="all"`, fmt.Sprintf("all %s VNFs", htmlCount(len(tracks))),
			0, all, lost, 0, fmt.Sprintf("all VNFs: %s", plural(len(all), "interruption")))
		row++
	}
	for _, v := range shown {
		summary := fmt.Sprintf("%s: %s", v.name, plural(len(v.outages), "interruption"))
		if v.summarised {
			summary += fmt.Sprintf(", %s of %s offered requests lost", htmlAmount(v.lost), htmlAmount(v.offered))
		}
		c.vnfRow(&b, top+pitch*float64(row)+6, barH, `data-vnf="`+htmlEsc(v.name)+`"`, v.name, v.deployed, v.outages, v.lost, v.offered, summary)
		row++
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), note
}

func (c *htmlCharts) vnfRow(b *strings.Builder, y, barH float64, attr, label string, from time.Duration, outages []htmlOutage, lost, offered float64, summary string) {
	fmt.Fprintf(b, `<g class="row" %s><text class="lbl" x="%s" y="%s">%s</text>`,
		attr, htmlNum(htmlX0-8), htmlNum(y+barH-2), htmlEsc(htmlTrunc(label, 22)))
	x0 := c.x(from)
	fmt.Fprintf(b, `<rect class="up" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
		htmlNum(x0), htmlNum(y), htmlNum(max(htmlX1-x0, 0.3)), htmlNum(barH), htmlEsc(summary))
	// Interruptions closer than a couple of units merge into one mark, so
	// a busy row stays one mark per visible spot.
	for i := 0; i < len(outages); {
		first := outages[i]
		px0 := c.x(first.start)
		px1 := max(c.x(first.start+first.dur), px0+2)
		j, sum, longest := i+1, first.lost, first.dur
		last := first.start + first.dur
		for ; j < len(outages) && c.x(outages[j].start) <= px1+1; j++ {
			o := outages[j]
			px1 = max(px1, c.x(o.start+o.dur), c.x(o.start)+2)
			sum += o.lost
			longest = max(longest, o.dur)
			last = max(last, o.start+o.dur)
		}
		var title string
		if j == i+1 {
			title = fmt.Sprintf("%s — %s from %s, %s requests lost", cmp.Or(first.cause, "interruption"), HumanDuration(first.dur),
				htmlTick(first.start), judge.FormatMetric(judge.MetricLostRequests, first.lost))
		} else {
			var causes []string
			for _, o := range outages[i:j] {
				if o.cause != "" && !slices.Contains(causes, o.cause) && len(causes) < 3 {
					causes = append(causes, o.cause)
				}
			}
			title = fmt.Sprintf("%d interruptions from %s to %s, the longest %s, %s requests lost: %s", j-i,
				htmlTick(first.start), htmlTick(last), HumanDuration(longest),
				judge.FormatMetric(judge.MetricLostRequests, sum), strings.Join(causes, "; "))
		}
		fmt.Fprintf(b, `<g class="down" tabindex="0"><title>%s</title><rect x="%s" y="%s" width="%s" height="%s"/><path d="M%s %sh6l-3 5z"/></g>`,
			htmlEsc(title), htmlNum(px0), htmlNum(y), htmlNum(px1-px0), htmlNum(barH),
			htmlNum((px0+px1)/2-3), htmlNum(y-6))
		i = j
	}
	end := judge.FormatMetric(judge.MetricLostRequests, lost) + " lost"
	cls := "end"
	if lost > 0 {
		cls = "end bad"
	}
	fmt.Fprintf(b, `<text class="%s" x="%s" y="%s">%s</text></g>`, cls, htmlNum(htmlX1+6), htmlNum(y+barH-2), htmlEsc(end))
}

// htmlLifeX places the sequence chart's lifelines (sequence.Lifelines),
// left to right.
var htmlLifeX = []float64{250, 490, 730, 930}

type htmlMsg struct {
	e escalator.Event
	sequence.Arrow
}

// class is the arrow's CSS class: its tone, a normal one needing none.
func (m htmlMsg) class() string {
	if m.Tone == sequence.Normal {
		return "msg"
	}
	return "msg " + string(m.Tone)
}

// sequence draws the messages between the Upgrade Manager, the Cloud
// Manager, the VNFM and the VNFs in trace order, the first htmlMaxMessages
// of them.
func (c *htmlCharts) sequence(events []escalator.Event) (chart template.HTML, note string, scroll bool) {
	var msgs []htmlMsg
	total := 0
	for _, e := range events {
		a, ok := sequence.Of(e)
		if !ok {
			continue
		}
		total++
		if len(msgs) < htmlMaxMessages {
			msgs = append(msgs, htmlMsg{e, a})
		}
	}
	if total == 0 {
		return "", "No messages between the Upgrade Manager, the Cloud Manager, the VNFM and the VNFs in the trace.", false
	}
	if total > len(msgs) {
		note = fmt.Sprintf("Showing the first %d of %s messages.", len(msgs), htmlCount(total))
	}
	const top, pitch = 52.0, 24.0
	height := top + pitch*float64(len(msgs))
	var b strings.Builder
	sid := c.id + "_sequence"
	fmt.Fprintf(&b, `<svg class="chart sequence" id="%s" viewBox="0 0 %d %s" width="%d" height="%s" aria-labelledby="%s_t %s_d">`,
		sid, htmlW, htmlNum(height), htmlW, htmlNum(height), sid, sid)
	fmt.Fprintf(&b, `<title id="%s_t">Message sequence</title><desc id="%s_d">%d messages between %s, in trace order, each with its time since the start.</desc>`,
		sid, sid, len(msgs), strings.Join(sequence.Lifelines(), ", "))
	for i, name := range sequence.Lifelines() {
		x := htmlLifeX[i]
		fmt.Fprintf(&b, `<g class="life"><line x1="%s" x2="%s" y1="30" y2="%s"/><rect x="%s" y="4" width="130" height="24" rx="3"/><text x="%s" y="20">%s</text></g>`,
			htmlNum(x), htmlNum(x), htmlNum(height), htmlNum(x-65), htmlNum(x), htmlEsc(name))
	}
	prevAt := time.Duration(-1)
	for i, m := range msgs {
		y := top + pitch*float64(i)
		fmt.Fprintf(&b, `<g class="%s" data-seq="%d"><title>%s</title>`, m.class(), m.e.Seq, htmlEsc(htmlTrunc(m.e.String(), 400)))
		if m.e.At != prevAt {
			fmt.Fprintf(&b, `<text class="at" x="6" y="%s">%s</text>`, htmlNum(y+4), htmlOffset(m.e.At))
			prevAt = m.e.At
		}
		x0, x1 := htmlLifeX[m.From], htmlLifeX[m.To]
		label := htmlEsc(htmlTrunc(m.Label, 40))
		if m.From == m.To { // a step of its own: a loop beside the lifeline
			dir := 1.0
			anchor := "start"
			if m.From == sequence.VNFs { // the rightmost: the label goes left
				dir, anchor = -1, "end"
			}
			fmt.Fprintf(&b, `<path class="line" d="M%s %sh%sv8h%s"/><path class="head" d="M%s %sl%s -3v6z"/><text x="%s" y="%s" text-anchor="%s">%s</text></g>`,
				htmlNum(x0), htmlNum(y-4), htmlNum(24*dir), htmlNum(-24*dir+2*dir),
				htmlNum(x0+2*dir), htmlNum(y+4), htmlNum(7*dir),
				htmlNum(x0+30*dir), htmlNum(y+4), anchor, label)
			continue
		}
		dir := 1.0
		if x1 < x0 {
			dir = -1
		}
		fmt.Fprintf(&b, `<line class="line" x1="%s" x2="%s" y1="%s" y2="%s"/><path class="head" d="M%s %sl%s -4v8z"/><text x="%s" y="%s" text-anchor="middle">%s</text></g>`,
			htmlNum(x0), htmlNum(x1-8*dir), htmlNum(y+4), htmlNum(y+4),
			htmlNum(x1), htmlNum(y+4), htmlNum(-8*dir),
			htmlNum((x0+x1)/2), htmlNum(y), label)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), note, len(msgs) > htmlScrollMessages
}
