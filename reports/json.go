package reports

import (
	_ "embed"
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios"
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
// metadata, the summary counts, and for each result how it ran, its
// timings (in seconds and as people read them), its metrics, and every
// check with its violations and the trace events that show them. The
// schema is schema/run.schema.json.
func WriteJSON(w io.Writer, run Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonRunOf(run))
}

type jsonRun struct {
	SchemaVersion int            `json:"schemaVersion"`
	ID            string         `json:"id"`
	Started       string         `json:"started"`
	Wall          jsonDuration   `json:"wall"`
	Command       string         `json:"command"`
	Version       string         `json:"version"`
	Summary       jsonSummary    `json:"summary"`
	Scenarios     []jsonScenario `json:"scenarios"`
}

type jsonDuration struct {
	Seconds float64 `json:"seconds"`
	Human   string  `json:"human"`
}

func durationOf(d time.Duration) jsonDuration {
	return jsonDuration{Seconds: d.Seconds(), Human: HumanDuration(d)}
}

type jsonSummary struct {
	Total            int  `json:"total"`
	Passed           int  `json:"passed"`
	Failed           int  `json:"failed"`
	ExpectedFailures int  `json:"expectedFailures"`
	Errors           int  `json:"errors"`
	OK               bool `json:"ok"`
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
	Error           *jsonError         `json:"error,omitempty"`
	Rerun           string             `json:"rerun,omitempty"`
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
			Passed:           n[scenarios.VerdictPass],
			Failed:           n[scenarios.VerdictFail],
			ExpectedFailures: n[scenarios.VerdictXFail],
			Errors:           n[scenarios.VerdictError],
			OK:               n[scenarios.VerdictFail] == 0 && n[scenarios.VerdictError] == 0,
		},
		Scenarios: []jsonScenario{},
	}
	names := runNames(run.Results)
	h := hasher{}
	for i, r := range run.Results {
		out.Scenarios = append(out.Scenarios, jsonScenarioOf(run, r, names[i], run.wall(i), h))
	}
	return out
}

func jsonScenarioOf(run Run, r *scenarios.Result, name string, wall time.Duration, h hasher) jsonScenario {
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
		EventCount:    len(r.Events),
		Checks:        []jsonCheck{},
		Rerun:         rerunCommand(run.Command, r),
	}
	for k, v := range sc.Labels {
		out.Labels[k] = v
	}
	if r.Verdict == scenarios.VerdictError {
		out.Error = &jsonError{Code: errorKind(r), Message: errText(r)}
	} else {
		elapsed, upgrade := durationOf(r.Elapsed), durationOf(r.UpgradeDuration)
		out.Elapsed, out.UpgradeDuration = &elapsed, &upgrade
		out.Session = &jsonSession{ID: r.Session.ID, State: r.Session.State, Reason: r.Session.Reason, Nodes: len(r.Session.Nodes)}
	}
	if len(r.Events) > 0 {
		for k, v := range scenarios.Metrics(r.Events) {
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
	return out
}
