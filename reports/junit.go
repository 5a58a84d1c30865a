package reports

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// WriteJUnit writes the run as JUnit XML in the Jenkins/Surefire dialect
// that CI systems read (Jenkins, GitLab, GitHub test-report actions):
//
//   - one <testsuites name="escalator"> with the totals;
//   - one <testsuite> per result, named after its scenario (with
//     " [seed N]" when the scenario ran more than once), with <properties>
//     saying how it ran and what came out;
//   - one <testcase> per check, classname the suite's name, name the
//     check's ("zero-loss", "threshold:lostRequests", "assert:x"), so a
//     check keeps its identity from run to run;
//   - a check the system under test broke is a <failure type="check">
//     with every violation and the trace events that show it; a check a
//     negative control expects to fail that did not is a <failure
//     type="expected-failure">; a disabled check is <skipped>;
//   - a check that failed just as a negative control expects (an xfail)
//     passes, its <system-out> saying it failed as expected;
//   - a harness error is the one testcase "run" with an <error>;
//   - a conformance case is one testcase, named by the case's ID and
//     title ("MNT-002 Active instance switched over ..."), decided by its
//     deciding checks alone: a failure of type "conformance" whose text
//     is the evidence (each failed deciding check's violations with the
//     HTTP exchanges, spec violations and trace events that show them),
//     a not-applicable case <skipped> with why, a harness error <error>;
//     its <system-out> holds the case's metadata and how every check came
//     out, the other checks being context. A comment at the top of the
//     document sums the cases up by verdict.
//
// Times are in seconds: a suite's is the result's wall time; checks are
// judged after the run and take none. run.Command is the base command a
// rerun line starts with, as for Terminal.Command.
func WriteJUnit(w io.Writer, run Run) error {
	suites := junitSuites(run)
	var tests, failures, errors int
	for _, s := range suites {
		tests += len(s.cases)
		failures += s.count("failure")
		errors += s.count("error")
	}
	x := &xmlWriter{w: bufio.NewWriter(w)}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	// The schema allows nothing but suites under the root; the summary of
	// the conformance cases is for a person opening the file. CI tools
	// count the cases themselves, a not-applicable one as skipped.
	if line := conformanceSummary(run.Results); line != "" {
		x.raw("<!-- " + xmlComment(line) + " -->\n")
	}
	// The root carries no skipped total: the Jenkins schema (junit-10.xsd)
	// allows it on <testsuite> only.
	x.open(0, "testsuites",
		"name", "escalator",
		"tests", strconv.Itoa(tests),
		"failures", strconv.Itoa(failures),
		"errors", strconv.Itoa(errors),
		"time", seconds(run.Wall))
	for _, s := range suites {
		s.write(x)
	}
	x.end(0, "testsuites")
	return x.flush()
}

type junitSuite struct {
	name, file, time, timestamp string
	properties                  [][2]string
	cases                       []junitCase
	systemOut                   string
}

type junitCase struct {
	name, classname string
	time            string
	// result is "" for a pass, or failure, error or skipped.
	result, message, kind, body string
	systemOut                   string
}

func (s *junitSuite) count(result string) int {
	n := 0
	for _, c := range s.cases {
		if c.result == result {
			n++
		}
	}
	return n
}

func junitSuites(run Run) []*junitSuite {
	names := runNames(run.Results)
	h := hasher{}
	out := make([]*junitSuite, len(run.Results))
	for i, r := range run.Results {
		out[i] = junitSuiteOf(run, r, names[i], run.wall(i), h)
	}
	return out
}

func junitSuiteOf(run Run, r *judge.Result, name string, wall time.Duration, h hasher) *junitSuite {
	sc := r.Scenario
	s := &junitSuite{name: name, file: sc.Path, time: seconds(wall)}
	if !run.Started.IsZero() {
		s.timestamp = run.Started.UTC().Format("2006-01-02T15:04:05")
	}
	s.properties = junitProperties(run, r, h)
	rerun := rerunCommand(run.Command, r)
	withRerun := func(text string) string {
		if rerun == "" {
			return text
		}
		return strings.TrimRight(text, "\n") + "\n\nrerun: " + rerun
	}
	if rerun != "" {
		s.systemOut = "rerun: " + rerun
	}

	if c := caseOf(r); c != nil && len(sc.Expect.Violations) == 0 {
		s.cases = []junitCase{junitCaseOf(r, name, wall, withRerun)}
		return s
	}
	if r.Verdict == judge.VerdictError {
		msg := errText(r)
		s.cases = []junitCase{{
			name: "run", classname: name, time: seconds(wall),
			result: "error", kind: errorKind(r), message: firstLine(msg), body: withRerun(msg),
		}}
		return s
	}
	for _, c := range judgedChecks(r) {
		tc := junitCase{name: c.Name, classname: name, time: seconds(0)}
		switch c.outcome {
		case judgedFailed:
			tc.result, tc.kind = "failure", "check"
			tc.message = "check failed"
			if len(c.Violations) > 0 {
				tc.message = firstLine(c.Violations[0].Message)
			}
			tc.body = withRerun(violationsText(c.Violations))
		case judgedMissed:
			tc.result, tc.kind = "failure", "expected-failure"
			tc.message = missedMessage(c)
			tc.body = withRerun(tc.message)
		case judgedExpected:
			tc.systemOut = "failed as expected: this negative control expects " + c.Name + " to fail\n\n" + violationsText(c.Violations)
		case judgedDisabled:
			tc.result, tc.message = "skipped", c.Reason
		}
		s.cases = append(s.cases, tc)
	}
	return s
}

// junitCaseOf is a conformance case as its one testcase: it takes the
// result's wall time, as the case is the whole run.
func junitCaseOf(r *judge.Result, suite string, wall time.Duration, withRerun func(string) string) junitCase {
	tc := junitCase{name: r.CaseLabel(), classname: suite, time: seconds(wall)}
	switch r.Verdict {
	case judge.VerdictError:
		msg := errText(r)
		tc.result, tc.kind, tc.message, tc.body = "error", errorKind(r), firstLine(msg), withRerun(msg)
		tc.systemOut = caseText(r)
		return tc
	case judge.VerdictFail:
		tc.result, tc.kind = "failure", "conformance"
		tc.message = "the case failed"
		if ev := r.Evidence(); len(ev) > 0 {
			tc.message = ev[0].Check + ": " + firstLine(ev[0].Message)
		}
		tc.body = withRerun(evidenceText(r))
	case judge.VerdictNotApplicable:
		tc.result, tc.message = "skipped", "not applicable: "+strings.Join(notApplicable(r), "; ")
	}
	tc.systemOut = caseText(r)
	return tc
}

// junitProperties says how a result ran and what came out of it.
func junitProperties(run Run, r *judge.Result, h hasher) [][2]string {
	sc := r.Scenario
	vnfmName, behavior := vnfm(sc)
	p := [][2]string{
		{"escalator.version", run.Version},
		{"run.id", run.ID},
		{"scenario.name", sc.Name},
		{"scenario.path", sc.Path},
		{"scenario.sha256", h.hash(sc)},
		{"seed", strconv.FormatInt(r.Seed, 10)},
		{"verdict", r.Verdict},
		{"flow", flow(r)},
		{"targetVersion", sc.Upgrade.TargetVersion},
		{"vnfm.name", vnfmName},
		{"vnfm.behavior", behavior},
		{"expect.outcome", expectedOutcome(sc)},
	}
	if len(sc.Expect.Violations) > 0 {
		p = append(p, [2]string{"expect.violations", strings.Join(sc.Expect.Violations, ",")})
	}
	if r.Verdict == judge.VerdictError {
		p = append(p, [2]string{"error.code", errorKind(r)})
	} else {
		p = append(p, [2]string{"session.state", r.Session.State})
		if r.Session.Reason != "" {
			p = append(p, [2]string{"session.reason", r.Session.Reason})
		}
		p = append(p,
			[2]string{"lostRequests", fmtLost(r.Lost)},
			[2]string{"upgradeDuration", seconds(r.UpgradeDuration)})
	}
	if c := caseOf(r); c != nil {
		p = append(p,
			[2]string{"conformance.id", c.ID},
			[2]string{"conformance.title", c.Title},
			[2]string{"conformance.reference", c.Reference},
			[2]string{"conformance.decidedBy", strings.Join(c.DecidedBy, ",")})
	}
	for _, k := range slices.Sorted(maps.Keys(sc.Labels)) {
		p = append(p, [2]string{"label." + k, sc.Labels[k]})
	}
	return p
}

// errorKind is the code of a harness error: invalid, internal, ...
func errorKind(r *judge.Result) string {
	if r.Err == nil {
		return escalator.EINTERNAL
	}
	return escalator.ErrorCode(r.Err)
}

// violationsText lists violations with the trace events that show them,
// as the terminal does.
func violationsText(vs []judge.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		for line := range strings.SplitSeq(strings.TrimRight(v.Message, "\n"), "\n") {
			b.WriteString(line + "\n")
		}
		for _, e := range v.Events {
			if e.Seq > 0 {
				fmt.Fprintf(&b, "  %s\n", e)
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func (s *junitSuite) write(x *xmlWriter) {
	attrs := []string{
		"name", s.name,
		"tests", strconv.Itoa(len(s.cases)),
		"failures", strconv.Itoa(s.count("failure")),
		"errors", strconv.Itoa(s.count("error")),
		"skipped", strconv.Itoa(s.count("skipped")),
		"time", s.time,
	}
	if s.timestamp != "" {
		attrs = append(attrs, "timestamp", s.timestamp)
	}
	if s.file != "" {
		attrs = append(attrs, "file", s.file)
	}
	x.open(1, "testsuite", attrs...)
	x.open(2, "properties")
	for _, p := range s.properties {
		x.empty(3, "property", "name", p[0], "value", p[1])
	}
	x.end(2, "properties")
	for _, c := range s.cases {
		attrs := []string{"name", c.name, "classname", c.classname, "time", c.time}
		if c.result == "" && c.systemOut == "" {
			x.empty(2, "testcase", attrs...)
			continue
		}
		x.open(2, "testcase", attrs...)
		switch {
		case c.result == "skipped":
			x.empty(3, "skipped", "message", c.message)
		case c.result != "":
			x.text(3, c.result, c.body, "message", c.message, "type", c.kind)
		}
		if c.systemOut != "" {
			x.text(3, "system-out", c.systemOut)
		}
		x.end(2, "testcase")
	}
	if s.systemOut != "" {
		x.text(2, "system-out", s.systemOut)
	}
	x.end(1, "testsuite")
}

// seconds writes a duration as JUnit does: seconds with three decimals.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// xmlWriter writes indented XML by hand, so text content keeps its line
// breaks (encoding/xml writes them as &#xA;), which is how CI systems
// show a failure's detail. The first write error sticks.
type xmlWriter struct {
	w   *bufio.Writer
	err error
}

func (x *xmlWriter) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xmlWriter) start(depth int, name string, attrs []string) {
	x.raw(strings.Repeat("  ", depth) + "<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.raw(" " + attrs[i] + `="` + xmlEscape(attrs[i+1], true) + `"`)
	}
}

// open writes a start tag on a line of its own.
func (x *xmlWriter) open(depth int, name string, attrs ...string) {
	x.start(depth, name, attrs)
	x.raw(">\n")
}

func (x *xmlWriter) end(depth int, name string) {
	x.raw(strings.Repeat("  ", depth) + "</" + name + ">\n")
}

func (x *xmlWriter) empty(depth int, name string, attrs ...string) {
	x.start(depth, name, attrs)
	x.raw("/>\n")
}

// text writes an element holding text, the text as it is, line breaks
// and all.
func (x *xmlWriter) text(depth int, name, text string, attrs ...string) {
	x.start(depth, name, attrs)
	x.raw(">" + xmlEscape(text, false) + "</" + name + ">\n")
}

func (x *xmlWriter) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}

// xmlEscape escapes s for XML 1.0 text or, with attr, a double-quoted
// attribute value, where line breaks and tabs become character references
// (a parser would otherwise turn them into spaces). Characters XML 1.0
// cannot carry at all (most C0 controls, invalid UTF-8) become U+FFFD.
func xmlEscape(s string, attr bool) string {
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, width := utf8.DecodeRuneInString(s[i:])
		w = width
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == '\n' && attr:
			b.WriteString("&#xA;")
		case r == '\t' && attr:
			b.WriteString("&#x9;")
		case r == utf8.RuneError && width == 1, !xmlChar(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// xmlComment makes s safe inside an XML comment: characters XML cannot
// carry become U+FFFD, and "--", which a comment may not hold, is split.
func xmlComment(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !xmlChar(r) {
			return utf8.RuneError
		}
		return r
	}, s)
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "- -")
	}
	return s
}

// xmlChar reports whether XML 1.0 allows r (its production Char).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
