package judge

import (
	"fmt"
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// VerdictNotApplicable is a conformance case whose deciding checks did
// not apply to the VNFM under test (for example BASIC authentication when
// its subscription asked for none).
const VerdictNotApplicable = "not-applicable"

// CheckNotApplicable is a check that had nothing to judge by design.
const CheckNotApplicable = "not-applicable"

// ConformanceCheckNames lists the checks only conformance cases run, in a
// stable order.
func ConformanceCheckNames() []string {
	out := make([]string, 0, len(conformanceChecks))
	for n := range conformanceChecks {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// ConformanceCheckDoc is what a conformance check verifies, for docs.
func ConformanceCheckDoc(name string) string { return conformanceChecks[name].doc }

// conformanceVerdict: the case passes when every deciding check passed or
// did not apply, and is not applicable when none applied.
func conformanceVerdict(s *spec.Scenario, checks []CheckResult) string {
	applied := false
	for _, name := range s.Conformance.DecidedBy {
		for _, c := range checks {
			if c.Name != name {
				continue
			}
			switch c.Status {
			case CheckFailed:
				return VerdictFail
			case CheckPassed:
				applied = true
			}
		}
	}
	if !applied {
		return VerdictNotApplicable
	}
	return VerdictPass
}

// Deciding returns the results of the checks that decide a conformance
// case, in DecidedBy order (all checks for a plain scenario).
func (r *Result) Deciding() []CheckResult {
	if r.Scenario == nil || r.Scenario.Conformance == nil {
		return r.Checks
	}
	var out []CheckResult
	for _, name := range r.Scenario.Conformance.DecidedBy {
		for _, c := range r.Checks {
			if c.Name == name {
				out = append(out, c)
			}
		}
	}
	return out
}

// ConformanceSummary counts conformance cases by verdict.
type ConformanceSummary struct {
	Passed, Failed, NotApplicable, Errors int
}

// Total is the number of cases.
func (c ConformanceSummary) Total() int { return c.Passed + c.Failed + c.NotApplicable + c.Errors }

func (c ConformanceSummary) String() string {
	s := fmt.Sprintf("conformance: %d passed, %d failed, %d not applicable", c.Passed, c.Failed, c.NotApplicable)
	if c.Errors > 0 {
		s += fmt.Sprintf(", %d could not run", c.Errors)
	}
	return s
}

// SummarizeConformance counts the conformance cases among results; ok is
// false when there are none.
func SummarizeConformance(results []*Result) (sum ConformanceSummary, ok bool) {
	for _, r := range results {
		if r.Scenario == nil || r.Scenario.Conformance == nil {
			continue
		}
		ok = true
		switch r.Verdict {
		case VerdictPass, VerdictXFail:
			sum.Passed++
		case VerdictNotApplicable:
			sum.NotApplicable++
		case VerdictError:
			sum.Errors++
		default:
			sum.Failed++
		}
	}
	return sum, ok
}

// CaseLabel is "ID title" for a conformance case, or the scenario name.
func (r *Result) CaseLabel() string {
	if r.Scenario == nil {
		return ""
	}
	if c := r.Scenario.Conformance; c != nil {
		return c.ID + " " + c.Title
	}
	return r.Scenario.Name
}

// Exchange is one HTTP request and its answer, as recorded in the trace
// (http.exchange for the flow, probe.exchange for a probe), secrets masked.
type Exchange struct {
	At                time.Duration
	Case              string // a probe's label: what it expected
	From, To          string // vim, vnfm; empty for a probe (the testbed → the VNFM)
	Method, URL, Path string
	Status            int // 0 when the request failed
	Want              string
	RequestHeaders    []string
	RequestBody       string
	ResponseHeaders   []string
	ResponseBody      string
	Error             string
}

// Evidence is what shows one failed check of a conformance case: the
// message, the HTTP exchanges involved, the spec violations the validators
// saw, and the trace excerpt the check pointed at.
type Evidence struct {
	Check          string
	Message        string
	Exchanges      []Exchange
	SpecViolations []escalator.Event
	Excerpt        []escalator.Event
}

// Evidence gathers, for each failed deciding check, what shows why it
// failed. The spec violations of the whole run go with every item: any of
// them may be the cause.
func (r *Result) Evidence() []Evidence {
	var specs []escalator.Event
	for _, e := range r.Events {
		if e.Kind == "spec.violation" {
			specs = append(specs, e)
		}
	}
	var out []Evidence
	for _, c := range r.Deciding() {
		if c.Status != CheckFailed {
			continue
		}
		for _, v := range c.Violations {
			ev := Evidence{Check: c.Name, Message: v.Message, SpecViolations: specs}
			for _, e := range v.Events {
				switch e.Kind {
				case "http.exchange", "probe.exchange":
					ev.Exchanges = append(ev.Exchanges, ExchangeOf(e))
				default:
					ev.Excerpt = append(ev.Excerpt, e)
				}
			}
			out = append(out, ev)
		}
	}
	return out
}

// ExchangeOf reads an http.exchange or probe.exchange event; of another
// kind only the time.
func ExchangeOf(e escalator.Event) Exchange {
	switch e.Kind {
	case "http.exchange":
		p := evt[event.HTTPExchange](e)
		return Exchange{At: e.At, From: p.From, To: p.To, Method: p.Method, Path: p.Path,
			Status: p.Status, RequestHeaders: p.RequestHeaders, RequestBody: p.RequestBody,
			ResponseHeaders: event.Deref(p.ResponseHeaders), ResponseBody: p.ResponseBody, Error: p.Error}
	case "probe.exchange":
		p := evt[event.ProbeExchange](e)
		return Exchange{At: e.At, Case: p.Case, Method: p.Method, URL: p.URL, Path: event.Deref(p.Path),
			Status: p.Status, Want: p.Want, RequestHeaders: p.RequestHeaders, RequestBody: p.RequestBody,
			ResponseHeaders: event.Deref(p.ResponseHeaders), ResponseBody: p.ResponseBody, Error: p.Error}
	}
	return Exchange{At: e.At}
}
