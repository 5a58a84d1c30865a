package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// machineResults are what the machine formats' goldens show: a pass, an
// expected failure, a failure (a negative control stripped of its
// expectation), a harness error (a VNF placed on a node that does not
// exist), a session the orchestrator refused (an unknown node to upgrade:
// a failure of the outcome check, not a harness error), and an expected
// failure with a disabled check and a threshold check.
// They are run once and shared: no test may change them.
func machineResults(t *testing.T) []*judge.Result {
	t.Helper()
	machine.Lock()
	defer machine.Unlock()
	if machine.results == nil {
		machine.results = runMachineResults(t)
	}
	return machine.results
}

var machine struct {
	sync.Mutex
	results []*judge.Result
}

func runMachineResults(t *testing.T) []*judge.Result {
	t.Helper()
	pass := loadScenario(t, "flows/f2-active-standby.yaml")
	xfail := loadScenario(t, "negative/neg-zero-loss.yaml")
	fail := loadScenario(t, "negative/neg-pair-redundancy.yaml")
	fail.Expect.Violations = nil
	broken := loadScenario(t, "flows/f1-load-balanced.yaml")
	broken.VNFs[0].Placement = []string{"compute-99"}
	refused := loadScenario(t, "flows/f1-active-standby.yaml")
	refused.Upgrade.Nodes = []string{"compute-99"}
	threshold := loadScenario(t, "negative/neg-assert-lost-requests.yaml")
	var results []*judge.Result
	for _, s := range []*spec.Scenario{pass, xfail, fail, broken, refused, threshold} {
		results = append(results, scenarios.Run(context.Background(), s, scenarios.Options{}))
	}
	want := []string{judge.VerdictPass, judge.VerdictXFail, judge.VerdictFail, judge.VerdictError, judge.VerdictFail, judge.VerdictXFail}
	for i, r := range results {
		require.Equal(t, want[i], r.Verdict, "%s: %v", r.Scenario.Name, r.Err)
	}
	return results
}

// fixedRun wraps results in a Run whose clock-dependent fields are fixed,
// so a report of it is the same every time.
func fixedRun(results []*judge.Result) Run {
	walls := make([]time.Duration, len(results))
	for i := range walls {
		walls[i] = time.Duration(12+i) * time.Millisecond
	}
	return Run{
		ID:      "6f1c2a7e-0d4b-4c8e-9a51-3b2f0e9d7c10",
		Started: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC),
		Wall:    48 * time.Millisecond,
		Command: "escalator run",
		Version: "v0.9.0-test",
		Results: results,
		Walls:   walls,
	}
}

// nastyRun is a failure whose texts hold everything XML and Markdown must
// escape: markup, quotes, line breaks, tabs, a control character and
// invalid UTF-8.
func nastyRun() Run {
	s := &spec.Scenario{
		Name:   `a<b>&"c"`,
		Path:   "testdata/no such dir/it's.yaml",
		Labels: map[string]string{"team": "<ops & \"sre\">"},
		Expect: spec.ExpectSpec{Violations: []string{"max-parallel"}},
	}
	s.Upgrade.Flow, s.Upgrade.TargetVersion = spec.FlowF1, "2.0" // the flow as the loader defaults it
	r := &judge.Result{
		Scenario: s, Seed: 3, Verdict: judge.VerdictFail,
		Session: judge.Session{State: "FAILED", Reason: "node\tcompute-1 ]]> failed"},
		Checks: []judge.CheckResult{
			{Name: "outcome", Status: judge.CheckPassed},
			{Name: "zero-loss", Status: judge.CheckFailed, Violations: []judge.Violation{
				{Message: "lost <5> & \"more\"\nsecond line\x1b[31m \xff end", Events: []escalator.Event{
					{Seq: 4, At: 1500 * time.Millisecond, Actor: "traffic", Kind: "service.summary", Subject: "svc|1", Fields: escalator.Fields{"lost": 5.0, "note": "<&>"}},
					{}, // Seq 0: "no such event", left out
				}},
				{Message: "pipes | and `ticks`"},
			}},
			{Name: "pair-redundancy", Status: judge.CheckDisabled, Reason: `off: "why" <because>`},
			{Name: "max-parallel", Status: judge.CheckPassed},
		},
		Events: []escalator.Event{{Seq: 1, Actor: "harness", Kind: "start"}},
		Lost:   5,
	}
	run := fixedRun([]*judge.Result{r})
	run.Command = "escalator run --tag 'a|b'"
	return run
}

// TestJUnitGolden is the JUnit report of a pass, two expected failures
// (one with a disabled check and a threshold), a failure and a harness
// error.
func TestJUnitGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, fixedRun(machineResults(t))))
	golden(t, "junit.golden", b.Bytes())
}

// The JUnit report read back with encoding/xml.
type (
	xTestsuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []xTestsuite `xml:"testsuite"`
	}
	xTestsuite struct {
		Name       string      `xml:"name,attr"`
		Tests      int         `xml:"tests,attr"`
		Failures   int         `xml:"failures,attr"`
		Errors     int         `xml:"errors,attr"`
		Skipped    int         `xml:"skipped,attr"`
		Time       string      `xml:"time,attr"`
		Timestamp  string      `xml:"timestamp,attr"`
		File       string      `xml:"file,attr"`
		Properties []xProperty `xml:"properties>property"`
		Cases      []xTestcase `xml:"testcase"`
		SystemOut  string      `xml:"system-out"`
	}
	xProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	xTestcase struct {
		Name      string    `xml:"name,attr"`
		Classname string    `xml:"classname,attr"`
		Time      string    `xml:"time,attr"`
		Failure   *xOutcome `xml:"failure"`
		Error     *xOutcome `xml:"error"`
		Skipped   *xOutcome `xml:"skipped"`
		SystemOut string    `xml:"system-out"`
	}
	xOutcome struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

func parseJUnit(t *testing.T, data []byte) xTestsuites {
	t.Helper()
	var doc xTestsuites
	require.NoError(t, xml.Unmarshal(data, &doc), "%s", data)
	return doc
}

func (s xTestsuite) property(name string) string {
	for _, p := range s.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return "<absent>"
}

func (s xTestsuite) testcase(t *testing.T, name string) xTestcase {
	t.Helper()
	for _, c := range s.Cases {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("suite %s has no testcase %s", s.Name, name)
	return xTestcase{}
}

// TestJUnitMapping reads the report back and checks the mapping: a suite
// per result, a testcase per check, a failure only where the system under
// test broke a rule, an expected failure passing, a disabled check
// skipped, a harness error as the testcase "run", and totals that add up.
func TestJUnitMapping(t *testing.T) {
	results := machineResults(t)
	run := fixedRun(results)
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, run))
	doc := parseJUnit(t, b.Bytes())

	require.Equal(t, "escalator", doc.Name)
	require.Equal(t, "0.048", doc.Time)
	require.Len(t, doc.Suites, len(results))
	var tests, failures, errs int
	for i, s := range doc.Suites {
		r := results[i]
		require.Equal(t, r.Scenario.Name, s.Name)
		require.Equal(t, r.Scenario.Path, s.File)
		require.Equal(t, "2025-03-14T09:26:53", s.Timestamp)
		require.Equal(t, seconds(run.Walls[i]), s.Time)
		require.Equal(t, r.Verdict, s.property("verdict"))
		require.Equal(t, "v0.9.0-test", s.property("escalator.version"))
		require.Regexp(t, `^[0-9a-f]{64}$`, s.property("scenario.sha256"))
		require.Equal(t, r.Scenario.Upgrade.Flow, s.property("flow"))
		require.Equal(t, r.Scenario.VNFM.Name, s.property("vnfm.name"))
		require.Equal(t, r.Scenario.VNFM.Behavior, s.property("vnfm.behavior"))
		require.Equal(t, r.Scenario.Path, s.property("scenario.path"))
		require.NotEqual(t, "<absent>", s.property("seed"))

		var f, e, sk int
		for _, c := range s.Cases {
			require.Equal(t, s.Name, c.Classname)
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		require.Equal(t, len(s.Cases), s.Tests, s.Name)
		require.Equal(t, f, s.Failures, s.Name)
		require.Equal(t, e, s.Errors, s.Name)
		require.Equal(t, sk, s.Skipped, s.Name)
		tests, failures, errs = tests+s.Tests, failures+s.Failures, errs+s.Errors

		switch r.Verdict {
		case judge.VerdictPass:
			require.Len(t, s.Cases, len(r.Checks))
			require.Zero(t, f+e)
			require.Equal(t, "COMPLETED", s.property("session.state"))
			require.Equal(t, "0", s.property("lostRequests"))
		case judge.VerdictXFail:
			require.Len(t, s.Cases, len(r.Checks))
			require.Zero(t, f+e, "an expected failure is no failure")
			for _, want := range r.Scenario.Expect.Violations {
				c := s.testcase(t, want)
				require.Nil(t, c.Failure)
				require.Contains(t, c.SystemOut, "failed as expected")
			}
		case judge.VerdictFail:
			require.Equal(t, 1, f)
			for _, c := range s.Cases {
				if c.Failure != nil {
					require.Equal(t, "check", c.Failure.Type)
					require.Contains(t, c.Failure.Text, "\n\nrerun: escalator run --seed ")
				}
			}
		case judge.VerdictError:
			require.Len(t, s.Cases, 1)
			c := s.Cases[0]
			require.Equal(t, "run", c.Name)
			require.Equal(t, "invalid", c.Error.Type)
			require.Equal(t, "deploying VNF web: node compute-99 does not exist", c.Error.Message)
			require.Equal(t, "deploying VNF web: node compute-99 does not exist\n\nrerun: escalator run --seed 7 ../scenarios/flows/f1-load-balanced.yaml", c.Error.Text)
			require.Equal(t, "invalid", s.property("error.code"))
			require.Equal(t, "<absent>", s.property("session.state"))
		}
	}
	require.Equal(t, tests, doc.Tests)
	require.Equal(t, failures, doc.Failures)
	require.Equal(t, errs, doc.Errors)
	require.Equal(t, 2, failures)
	require.Equal(t, 1, errs)

	// The failure: the check broken, its violation, the event that shows
	// it, the rerun command.
	c := doc.Suites[2].testcase(t, "pair-redundancy")
	require.Equal(t, "both members of active-standby VNF mme were impacted at once: mme-1 (node compute-1 maintenance, VM running) mme-2 (node compute-2 maintenance, VM running)", c.Failure.Message)
	require.Contains(t, c.Failure.Text, "\n  #15 00:00:00.000 nfvi node.state compute-2 {\"from\":\"normal\",\"to\":\"maintenance\"}\n")
	require.True(t, strings.HasSuffix(c.Failure.Text, "\n\nrerun: escalator run --seed 107 ../scenarios/negative/neg-pair-redundancy.yaml"))

	// A refused session is the outcome check failing, with the session's
	// state and reason among the properties.
	refused := doc.Suites[4]
	require.Equal(t, "REFUSED", refused.property("session.state"))
	require.Equal(t, `node "compute-99" does not exist`, refused.property("session.reason"))
	require.Equal(t, "check", refused.testcase(t, "outcome").Failure.Type)

	// The expected failure with a switched-off check: it is skipped with
	// its reason, and the threshold check passes as an expected failure.
	s := doc.Suites[5]
	require.Equal(t, 1, s.Skipped)
	require.Equal(t, "this control isolates threshold:lostRequests.mme", s.testcase(t, "zero-loss").Skipped.Message)
	require.Contains(t, s.testcase(t, "threshold:lostRequests.mme").SystemOut, "failed as expected")
}

// TestJUnitExpectationMissed: a negative control whose expected failure
// did not happen fails on that check, though the check itself passed.
func TestJUnitExpectationMissed(t *testing.T) {
	s := loadScenario(t, "flows/f2-active-standby.yaml")
	s.Expect.Violations = []string{"zero-loss", "assert:none"}
	r := scenarios.Run(context.Background(), s, scenarios.Options{})
	require.Equal(t, judge.VerdictFail, r.Verdict)
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, fixedRun([]*judge.Result{r})))
	suite := parseJUnit(t, b.Bytes()).Suites[0]
	require.Equal(t, 2, suite.Failures)
	for name, msg := range map[string]string{
		"zero-loss":   "passed, but this negative control expects it to fail",
		"assert:none": "did not run, but this negative control expects it to fail",
	} {
		c := suite.testcase(t, name)
		require.Equal(t, "expected-failure", c.Failure.Type, name)
		require.Equal(t, msg, c.Failure.Message, name)
	}
}

// TestJUnitEscaping: whatever a scenario or a violation says, the report
// is well-formed XML that reads back as written; what XML cannot carry
// becomes U+FFFD.
func TestJUnitEscaping(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, nastyRun()))
	require.NotContains(t, b.String(), "\x1b")
	s := parseJUnit(t, b.Bytes()).Suites[0]
	require.Equal(t, `a<b>&"c"`, s.Name)
	require.Equal(t, "<ops & \"sre\">", s.property("label.team"))
	require.Equal(t, "node\tcompute-1 ]]> failed", s.property("session.reason"))
	c := s.testcase(t, "zero-loss")
	require.Equal(t, `a<b>&"c"`, c.Classname)
	require.Equal(t, `lost <5> & "more"`, c.Failure.Message)
	require.Equal(t, "lost <5> & \"more\"\nsecond line\uFFFD[31m \uFFFD end\n"+
		"  #4 00:00:01.500 traffic service.summary svc|1 {\"lost\":5,\"note\":\"\\u003c\\u0026\\u003e\"}\n"+
		"pipes | and `ticks`\n\n"+
		"rerun: escalator run --tag 'a|b' --seed 3 'testdata/no such dir/it'\\''s.yaml'", c.Failure.Text)
	require.Equal(t, `off: "why" <because>`, s.testcase(t, "pair-redundancy").Skipped.Message)
	require.Equal(t, "expected-failure", s.testcase(t, "max-parallel").Failure.Type)
	require.Equal(t, sha256Hex(`a<b>&"c"`), s.property("scenario.sha256"), "an unreadable file hashes its name")
}

// TestJUnitSeeds: a scenario run with several seeds is one suite per seed,
// each named by its seed, so no two testcases share a name.
func TestJUnitSeeds(t *testing.T) {
	s := loadScenario(t, "flows/f1-active-standby.yaml")
	other := loadScenario(t, "flows/f2-active-standby.yaml")
	var results []*judge.Result
	for _, seed := range []int64{7, 8, 8} {
		results = append(results, scenarios.Run(context.Background(), s, scenarios.Options{Seed: seed}))
	}
	results = append(results, scenarios.Run(context.Background(), other, scenarios.Options{}))
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, fixedRun(results)))
	doc := parseJUnit(t, b.Bytes())
	var names []string
	for _, suite := range doc.Suites {
		names = append(names, suite.Name)
		require.Equal(t, suite.Name, suite.Cases[0].Classname)
	}
	require.Equal(t, []string{
		"f1-active-standby [seed 7]", "f1-active-standby [seed 8]", "f1-active-standby [seed 8] (2)", "f2-active-standby",
	}, names)
	require.Equal(t, "8", doc.Suites[1].property("seed"))
	require.Equal(t, "f1-active-standby", doc.Suites[1].property("scenario.name"))
}

// junitSamples are the reports the external tools check.
func junitSamples(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, run := range map[string]Run{
		"golden":      fixedRun(machineResults(t)),
		"nasty":       nastyRun(),
		"empty":       fixedRun(nil),
		"conformance": conformanceRun(t),
	} {
		var b bytes.Buffer
		require.NoError(t, WriteJUnit(&b, run))
		out[name] = b.Bytes()
	}
	return out
}

// TestJUnitXSD validates the reports against testdata/junit.xsd, the
// Jenkins xUnit plugin's JUnit schema (see its header), with xmllint from
// Debian's libxml2-utils. It checks the schema has teeth too: a skipped
// total on <testsuites>, which the schema leaves out, is refused.
func TestJUnitXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not found (Debian package libxml2-utils): the JUnit report is not validated against testdata/junit.xsd")
	}
	dir := t.TempDir()
	validate := func(name string, data []byte) (string, error) {
		path := filepath.Join(dir, name+".xml")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "junit.xsd"), path).CombinedOutput()
		return string(out), err
	}
	for name, data := range junitSamples(t) {
		out, err := validate(name, data)
		require.NoError(t, err, "%s does not validate:\n%s", name, out)
		require.Contains(t, out, "validates")
	}
	bad := bytes.Replace(junitSamples(t)["golden"], []byte(`<testsuites name="escalator"`), []byte(`<testsuites name="escalator" skipped="0"`), 1)
	out, err := validate("bad", bad)
	require.Error(t, err, "the schema should refuse a skipped attribute on <testsuites>:\n%s", out)
	require.Contains(t, out, "skipped")
}

// junit2json is a third-party JUnit reader from the npm registry, run with
// npx: it reads JUnit XML with xml2js, the XML parser most Node test
// tooling builds on, and prints the suites, cases and outcomes as JSON.
const junit2json = "junit2json@4.0.0"

// TestJUnitThirdParty feeds the reports to junit2json and checks it sees
// what we meant: the suites, their cases, each failure, error and skip
// with its message, the expected failures as passes, the escaped texts
// back as written, and counts that add up.
func TestJUnitThirdParty(t *testing.T) {
	npx, err := exec.LookPath("npx")
	if err != nil {
		t.Skip("npx not found (Node.js): the JUnit report is not checked with " + junit2json)
	}
	if testing.Short() {
		t.Skip("-short: not fetching " + junit2json + " from the npm registry")
	}
	dir := t.TempDir()
	read := func(name string, data []byte) j2jSuites {
		path := filepath.Join(dir, name+".xml")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npx, "--yes", junit2json, path)
		cmd.Env = append(os.Environ(), "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil && ctx.Err() != nil {
			t.Skipf("npx %s did not finish in 5 minutes (is the npm registry reachable?)\n%s", junit2json, stderr.String())
		}
		if err != nil && unreachable.MatchString(stderr.String()) {
			t.Skipf("npx could not fetch %s: %v\n%s", junit2json, err, stderr.String())
		}
		require.NoError(t, err, "%s on %s:\n%s", junit2json, name, stderr.String())
		var doc j2jSuites
		require.NoError(t, json.Unmarshal(out, &doc), "%s", out)
		return doc
	}
	samples := junitSamples(t)

	doc := read("golden", samples["golden"])
	require.Equal(t, "escalator", doc.Name)
	require.Equal(t, 0.048, doc.Time)
	type digest struct {
		cases                      int
		failed, errored, skipped   []string
		expectedFailures           []string
		tests, failures, errs, skp int
	}
	got := map[string]digest{}
	var tests, failures, errs int
	for _, s := range doc.Suite {
		d := digest{cases: len(s.Cases), tests: s.Tests, failures: s.Failures, errs: s.Errors, skp: s.Skipped}
		for _, c := range s.Cases {
			require.Equal(t, s.Name, c.Classname)
			if len(c.Failure) > 0 {
				d.failed = append(d.failed, c.Name+": "+c.Failure[0].Message)
				require.Equal(t, "check", c.Failure[0].Type)
				require.Contains(t, c.Failure[0].Inner, "rerun: escalator run --seed ")
			}
			if len(c.Error) > 0 {
				d.errored = append(d.errored, c.Name+": "+c.Error[0].Message)
			}
			if len(c.Skipped) > 0 {
				d.skipped = append(d.skipped, c.Name+": "+c.Skipped[0].Message)
			}
			if len(c.SystemOut) > 0 && strings.HasPrefix(c.SystemOut[0], "failed as expected") {
				d.expectedFailures = append(d.expectedFailures, c.Name)
			}
		}
		require.Equal(t, d.cases, d.tests, s.Name)
		require.Equal(t, len(d.failed), d.failures, s.Name)
		require.Equal(t, len(d.errored), d.errs, s.Name)
		require.Equal(t, len(d.skipped), d.skp, s.Name)
		tests, failures, errs = tests+d.tests, failures+d.failures, errs+d.errs
		d.tests, d.failures, d.errs, d.skp = 0, 0, 0, 0
		got[s.Name] = d
	}
	require.Equal(t, tests, doc.Tests)
	require.Equal(t, failures, doc.Failures)
	require.Equal(t, errs, doc.Errors)
	checks := len(judge.CheckNames) + 1 // and outcome
	require.Equal(t, map[string]digest{
		"f2-active-standby": {cases: checks},
		"neg-zero-loss":     {cases: checks, expectedFailures: []string{"zero-loss"}},
		"neg-pair-redundancy": {cases: checks, failed: []string{
			"pair-redundancy: both members of active-standby VNF mme were impacted at once: mme-1 (node compute-1 maintenance, VM running) mme-2 (node compute-2 maintenance, VM running)",
		}},
		"f1-load-balanced": {cases: 1, errored: []string{"run: deploying VNF web: node compute-99 does not exist"}},
		"f1-active-standby": {cases: checks, failed: []string{
			`outcome: the session ended REFUSED; the scenario expects outcome "completed"`,
		}},
		"neg-assert-lost-requests": {
			cases:            checks + 1,
			skipped:          []string{"zero-loss: this control isolates threshold:lostRequests.mme"},
			expectedFailures: []string{"threshold:lostRequests.mme"},
		},
	}, got)

	nasty := read("nasty", samples["nasty"]).Suite[0]
	require.Equal(t, `a<b>&"c"`, nasty.Name)
	for _, c := range nasty.Cases {
		if c.Name == "zero-loss" {
			require.Equal(t, `lost <5> & "more"`, c.Failure[0].Message)
			require.True(t, strings.HasPrefix(c.Failure[0].Inner, "lost <5> & \"more\"\nsecond line\uFFFD[31m \uFFFD end\n  #4 "), c.Failure[0].Inner)
		}
		if c.Name == "pair-redundancy" {
			require.Equal(t, `off: "why" <because>`, c.Skipped[0].Message)
		}
	}

	empty := read("empty", samples["empty"])
	require.Equal(t, "escalator", empty.Name)
	require.Zero(t, empty.Tests)
	require.Empty(t, empty.Suite)

	// The conformance cases: one testcase each, named by ID and title; a
	// failure carries the evidence, a case that did not apply is skipped.
	cases := map[string]string{}
	for _, s := range read("conformance", samples["conformance"]).Suite {
		if !strings.HasPrefix(s.Name, "conformance-") {
			continue
		}
		require.Len(t, s.Cases, 1, s.Name)
		c := s.Cases[0]
		require.Equal(t, s.Name, c.Classname)
		outcome := "pass"
		switch {
		case len(c.Failure) > 0:
			outcome = "failure: " + c.Failure[0].Message
			require.Equal(t, "conformance", c.Failure[0].Type)
			require.Contains(t, c.Failure[0].Inner, "> POST ")
		case len(c.Skipped) > 0:
			outcome = "skipped: " + c.Skipped[0].Message
		case len(c.Error) > 0:
			outcome = "error: " + c.Error[0].Message
		}
		cases[s.Name] = c.Name + " | " + outcome
	}
	const mnt, sec = "MNT-002 Active instance switched over before the acknowledgement", "SEC-001 Notifications authenticated with BASIC credentials"
	require.Equal(t, map[string]string{
		"conformance-mnt-002-ack-without-moving": mnt + " | failure: switchover-before-reply: active instance mme-1 of mme was still active on node compute-1 when the VNFM acknowledged",
		"conformance-sec-001-bad-credentials":    sec + " | failure: auth-basic: no credentials answer 401: POST /vnfm_notification/v1/notifications answered 204, want 401",
		"conformance-mnt-002-reference":          mnt + " | pass",
		"conformance-sec-001-no-auth":            sec + " | skipped: not applicable: auth-basic: the VNFM's subscription asks for no BASIC credentials",
		"conformance-mnt-002-unbuildable":        mnt + " | error: deploying VNF mme: node compute-99 does not exist",
	}, cases)
}

// unreachable matches npm's words for a registry it cannot reach.
var unreachable = regexp.MustCompile(`ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network request .* failed`)

// What junit2json prints: attributes as fields (numbers parsed), each
// child element a list.
type (
	j2jSuites struct {
		Name     string     `json:"name"`
		Tests    int        `json:"tests"`
		Failures int        `json:"failures"`
		Errors   int        `json:"errors"`
		Time     float64    `json:"time"`
		Suite    []j2jSuite `json:"testsuite"`
	}
	j2jSuite struct {
		Name     string    `json:"name"`
		Tests    int       `json:"tests"`
		Failures int       `json:"failures"`
		Errors   int       `json:"errors"`
		Skipped  int       `json:"skipped"`
		Cases    []j2jCase `json:"testcase"`
	}
	j2jCase struct {
		Name      string       `json:"name"`
		Classname string       `json:"classname"`
		Failure   []j2jOutcome `json:"failure"`
		Error     []j2jOutcome `json:"error"`
		Skipped   []j2jOutcome `json:"skipped"`
		SystemOut []string     `json:"system-out"`
	}
	j2jOutcome struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Inner   string `json:"inner"`
	}
)

func TestXMLEscape(t *testing.T) {
	require.Equal(t, "a&amp;b&lt;c&gt;\"\n\t&#xD;\uFFFD\uFFFD", xmlEscape("a&b<c>\"\n\t\r\x00\xff", false))
	require.Equal(t, "&quot;&#xA;&#x9;&#xD;\uFFFD", xmlEscape("\"\n\t\r\x1f", true))
	require.Equal(t, "ünïcödé 😀", xmlEscape("ünïcödé 😀", true))
	require.Equal(t, "\uFFFD", xmlEscape("\uFFFE", false))
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	run := fixedRun(machineResults(t))
	require.EqualError(t, WriteJUnit(errWriter{}, run), "disk full")
	require.EqualError(t, WriteJSON(errWriter{}, run), "disk full")
	require.EqualError(t, WriteMarkdown(errWriter{}, run), "disk full")
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
