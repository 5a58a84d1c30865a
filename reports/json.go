package reports

import (
	_ "embed"
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// JSONSchemaVersion is the version of the JSON report's shape, written as
// its schemaVersion; schema/run.schema.json describes it. It changes only
// when a field changes meaning or goes away.
const JSONSchemaVersion = 1

// JSONSchema is the JSON Schema (draft 2020-12) of what WriteJSON writes,
// schema/run.schema.json.
//
//go:embed schema/run.schema.json
var JSONSchema []byte

// WriteJSON writes the whole run as one JSON document for tools: the run's
// metadata, the summary counts (and, when conformance cases ran, the
// cases by verdict), and for each result how it ran, its timings (in
// seconds and as people read them), its metrics, every check with its
// violations and the trace events that show them, and for a conformance
// case its metadata and the evidence of each failed deciding check. The
// schema is schema/run.schema.json.
func WriteJSON(w io.Writer, run Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonRunOf(run))
}

type jsonRun struct {
	SchemaVersion int          `json:"schemaVersion"`
	ID            string       `json:"id"`
	Started       string       `json:"started"`
	Wall          jsonDuration `json:"wall"`
	Command       string       `json:"command"`
	Version       string       `json:"version"`
	Summary       jsonSummary  `json:"summary"`
	// Conformance counts the conformance cases by verdict; absent when
	// none ran.
	Conformance *jsonConformance `json:"conformance,omitempty"`
	Scenarios   []jsonScenario   `json:"scenarios"`
}

type jsonConformance struct {
	Total         int `json:"total"`
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	NotApplicable int `json:"notApplicable"`
	Errors        int `json:"errors"`
}

type jsonDuration struct {
	Seconds float64 `json:"seconds"`
	Human   string  `json:"human"`
}

func durationOf(d time.Duration) jsonDuration {
	return jsonDuration{Seconds: d.Seconds(), Human: HumanDuration(d)}
}

type jsonSummary struct {
	Total            int `json:"total"`
	Passed           int `json:"passed"`
	Failed           int `json:"failed"`
	ExpectedFailures int `json:"expectedFailures"`
	Errors           int `json:"errors"`
	// NotApplicable is written only when a conformance case did not
	// apply, so a report of plain scenarios keeps its shape.
	NotApplicable int  `json:"notApplicable,omitempty"`
	OK            bool `json:"ok"`
}

type jsonScenario struct {
	Name            string             `json:"name"`
	RunName         string             `json:"runName"`
	Path            string             `json:"path"`
	SHA256          string             `json:"sha256"`
	Description     string             `json:"description,omitempty"`
	Labels          map[string]string  `json:"labels"`
	Seed            int64              `json:"seed"`
	Verdict         string             `json:"verdict"`
	Flow            string             `json:"flow"`
	TargetVersion   string             `json:"targetVersion"`
	VNFM            jsonVNFM           `json:"vnfm"`
	Expect          jsonExpect         `json:"expect"`
	Session         *jsonSession       `json:"session"`
	Wall            jsonDuration       `json:"wall"`
	Elapsed         *jsonDuration      `json:"elapsed"`
	UpgradeDuration *jsonDuration      `json:"upgradeDuration"`
	LostRequests    float64            `json:"lostRequests"`
	Metrics         map[string]float64 `json:"metrics"`
	EventCount      int                `json:"eventCount"`
	Checks          []jsonCheck        `json:"checks"`
	Conformance     *jsonCase          `json:"conformance,omitempty"`
	Evidence        []jsonEvidence     `json:"evidence,omitempty"`
	Error           *jsonError         `json:"error,omitempty"`
	Rerun           string             `json:"rerun,omitempty"`
}

// jsonCase is a conformance case's metadata (spec.ConformanceSpec).
type jsonCase struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Objective      string   `json:"objective"`
	Reference      string   `json:"reference"`
	Preconditions  []string `json:"preconditions"`
	Applicability  string   `json:"applicability,omitempty"`
	Postconditions []string `json:"postconditions"`
	DecidedBy      []string `json:"decidedBy"`
	FailedBy       []string `json:"failedBy"`
}

// jsonEvidence is what shows one violation of a failed deciding check
// (judge.Evidence).
type jsonEvidence struct {
	Check          string            `json:"check"`
	Message        string            `json:"message"`
	Exchanges      []jsonExchange    `json:"exchanges"`
	SpecViolations []escalator.Event `json:"specViolations"`
	Excerpt        []escalator.Event `json:"excerpt"`
}

// jsonExchange is one recorded HTTP request and its answer, secrets
// masked by the recorder (judge.Exchange).
type jsonExchange struct {
	T               string   `json:"t"`
	Case            string   `json:"case,omitempty"`
	From            string   `json:"from,omitempty"`
	To              string   `json:"to,omitempty"`
	Method          string   `json:"method"`
	URL             string   `json:"url,omitempty"`
	Path            string   `json:"path"`
	Status          int      `json:"status,omitempty"`
	Want            string   `json:"want,omitempty"`
	RequestHeaders  []string `json:"requestHeaders"`
	RequestBody     string   `json:"requestBody,omitempty"`
	ResponseHeaders []string `json:"responseHeaders"`
	ResponseBody    string   `json:"responseBody,omitempty"`
	Error           string   `json:"error,omitempty"`
}

type jsonVNFM struct {
	Name     string `json:"name"`
	Behavior string `json:"behavior"`
}

type jsonExpect struct {
	Outcome    string   `json:"outcome"`
	Violations []string `json:"violations"`
}

type jsonSession struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Nodes  int    `json:"nodes"`
}

type jsonCheck struct {
	Name           string          `json:"name"`
	Status         string          `json:"status"`
	ExpectedToFail bool            `json:"expectedToFail"`
	Reason         string          `json:"reason,omitempty"`
	Violations     []jsonViolation `json:"violations"`
}

type jsonViolation struct {
	Message string `json:"message"`
	// Events marshal as the trace does (escalator.Event.MarshalJSON):
	// seq, t, actor, kind, subject, fields.
	Events []escalator.Event `json:"events"`
}

type jsonError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func jsonRunOf(run Run) jsonRun {
	n := countVerdicts(run.Results)
	out := jsonRun{
		SchemaVersion: JSONSchemaVersion,
		ID:            run.ID,
		Started:       run.Started.UTC().Format(time.RFC3339Nano),
		Wall:          durationOf(run.Wall),
		Command:       run.Command,
		Version:       run.Version,
		Summary: jsonSummary{
			Total:            len(run.Results),
			Passed:           n[judge.VerdictPass],
			Failed:           n[judge.VerdictFail],
			ExpectedFailures: n[judge.VerdictXFail],
			Errors:           n[judge.VerdictError],
			NotApplicable:    n[judge.VerdictNotApplicable],
			OK:               n[judge.VerdictFail] == 0 && n[judge.VerdictError] == 0,
		},
		Scenarios: []jsonScenario{},
	}
	if sum, ok := judge.SummarizeConformance(run.Results); ok {
		out.Conformance = &jsonConformance{Total: sum.Total(), Passed: sum.Passed, Failed: sum.Failed, NotApplicable: sum.NotApplicable, Errors: sum.Errors}
	}
	names := runNames(run.Results)
	h := hasher{}
	for i, r := range run.Results {
		out.Scenarios = append(out.Scenarios, jsonScenarioOf(run, r, names[i], run.wall(i), h))
	}
	return out
}

func jsonScenarioOf(run Run, r *judge.Result, name string, wall time.Duration, h hasher) jsonScenario {
	sc := r.Scenario
	vnfmName, behavior := vnfm(sc)
	out := jsonScenario{
		Name:          sc.Name,
		RunName:       name,
		Path:          sc.Path,
		SHA256:        h.hash(sc),
		Description:   sc.Description,
		Labels:        map[string]string{},
		Seed:          r.Seed,
		Verdict:       r.Verdict,
		Flow:          flow(r),
		TargetVersion: sc.Upgrade.TargetVersion,
		VNFM:          jsonVNFM{Name: vnfmName, Behavior: behavior},
		Expect:        jsonExpect{Outcome: expectedOutcome(sc), Violations: append([]string{}, sc.Expect.Violations...)},
		Wall:          durationOf(wall),
		LostRequests:  r.Lost,
		Metrics:       map[string]float64{},
		EventCount:    max(len(r.Events), r.EventCount),
		Checks:        []jsonCheck{},
		Rerun:         rerunCommand(run.Command, r),
	}
	for k, v := range sc.Labels {
		out.Labels[k] = v
	}
	if r.Verdict == judge.VerdictError {
		out.Error = &jsonError{Code: errorKind(r), Message: errText(r)}
	} else {
		elapsed, upgrade := durationOf(r.Elapsed), durationOf(r.UpgradeDuration)
		out.Elapsed, out.UpgradeDuration = &elapsed, &upgrade
		out.Session = &jsonSession{ID: r.Session.ID, State: r.Session.State, Reason: r.Session.Reason, Nodes: len(r.Session.Nodes)}
	}
	metrics := r.Metrics
	if metrics == nil && len(r.Events) > 0 {
		metrics = judge.Metrics(r.Events)
	}
	if metrics != nil {
		for k, v := range metrics {
			if !math.IsNaN(v) && !math.IsInf(v, 0) { // JSON has no NaN nor infinity
				out.Metrics[k] = v
			}
		}
	}
	expected := map[string]bool{}
	for _, v := range sc.Expect.Violations {
		expected[v] = true
	}
	for _, c := range r.Checks {
		jc := jsonCheck{Name: c.Name, Status: c.Status, ExpectedToFail: expected[c.Name], Reason: c.Reason, Violations: []jsonViolation{}}
		for _, v := range c.Violations {
			jv := jsonViolation{Message: v.Message, Events: []escalator.Event{}}
			for _, e := range v.Events {
				if e.Seq > 0 { // Seq 0 stands for "no such event"
					jv.Events = append(jv.Events, e)
				}
			}
			jc.Violations = append(jc.Violations, jv)
		}
		out.Checks = append(out.Checks, jc)
	}
	if c := caseOf(r); c != nil {
		out.Conformance = &jsonCase{ID: c.ID, Title: c.Title, Objective: c.Objective, Reference: c.Reference,
			Preconditions: orEmpty(c.Preconditions), Applicability: c.Applicability, Postconditions: orEmpty(c.Postconditions),
			DecidedBy: orEmpty(c.DecidedBy), FailedBy: orEmpty(c.FailedBy)}
		for _, ev := range r.Evidence() {
			je := jsonEvidence{Check: ev.Check, Message: ev.Message, Exchanges: []jsonExchange{},
				SpecViolations: numbered(ev.SpecViolations), Excerpt: numbered(ev.Excerpt)}
			for _, x := range ev.Exchanges {
				je.Exchanges = append(je.Exchanges, jsonExchange{T: x.At.String(), Case: x.Case, From: x.From, To: x.To,
					Method: x.Method, URL: x.URL, Path: x.Path, Status: x.Status, Want: x.Want,
					RequestHeaders: orEmpty(x.RequestHeaders), RequestBody: x.RequestBody,
					ResponseHeaders: orEmpty(x.ResponseHeaders), ResponseBody: x.ResponseBody, Error: x.Error})
			}
			out.Evidence = append(out.Evidence, je)
		}
	}
	return out
}

// orEmpty writes a nil list as [], as the schema wants a list.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
