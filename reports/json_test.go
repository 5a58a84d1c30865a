package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// runSchema compiles schema/run.schema.json, with formats (date-time)
// asserted, not just annotated.
func runSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("schema", "run.schema.json"))
	require.NoError(t, err)
	require.Equal(t, string(data), string(JSONSchema), "the embedded schema is the file")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	const url = "https://raw.githubusercontent.com/escalator-testbed/escalator/main/reports/schema/run.schema.json"
	require.NoError(t, c.AddResource(url, doc))
	sch, err := c.Compile(url)
	require.NoError(t, err)
	return sch
}

func writeJSON(t *testing.T, run Run) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, run))
	return b.Bytes()
}

func validateJSON(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return sch.Validate(inst)
}

// TestJSONGolden is the JSON report of the machine formats' results.
func TestJSONGolden(t *testing.T) {
	golden(t, "json.golden", writeJSON(t, fixedRun(machineResults(t))))
}

// TestJSONSchema: every report validates against schema/run.schema.json:
// the six results, a failure full of characters to escape, repeated
// seeds, an empty run.
func TestJSONSchema(t *testing.T) {
	sch := runSchema(t)
	s := loadScenario(t, "flows/f1-mixed.yaml")
	var seeds []*judge.Result
	for _, seed := range []int64{7, 8} {
		seeds = append(seeds, scenarios.Run(context.Background(), s, scenarios.Options{Seed: seed}))
	}
	for name, run := range map[string]Run{
		"results":     fixedRun(machineResults(t)),
		"nasty":       nastyRun(),
		"seeds":       fixedRun(seeds),
		"empty":       fixedRun(nil),
		"zero":        {},
		"conformance": fixedRun(mixedResults(t)),
	} {
		require.NoError(t, validateJSON(t, sch, writeJSON(t, run)), name)
	}
}

// TestJSONSchemaStrict: the schema refuses what the writer never writes,
// so a field added to one and not the other shows up here.
func TestJSONSchemaStrict(t *testing.T) {
	sch := runSchema(t)
	good := writeJSON(t, fixedRun(machineResults(t)))
	for name, edit := range map[string]func(doc map[string]any){
		"unknown top-level key": func(doc map[string]any) { doc["extra"] = 1 },
		"unknown scenario key":  func(doc map[string]any) { scenario(doc, 0)["extra"] = 1 },
		"unknown verdict":       func(doc map[string]any) { scenario(doc, 0)["verdict"] = "flaky" },
		"error without error":   func(doc map[string]any) { delete(scenario(doc, 3), "error") },
		"pass with an error": func(doc map[string]any) {
			scenario(doc, 0)["error"] = map[string]any{"code": "internal", "message": "x"}
		},
		"error with a session": func(doc map[string]any) { scenario(doc, 3)["session"] = scenario(doc, 0)["session"] },
		"bad hash":             func(doc map[string]any) { scenario(doc, 0)["sha256"] = "abc" },
		"bad start":            func(doc map[string]any) { doc["started"] = "yesterday" },
		"unknown metric":       func(doc map[string]any) { scenario(doc, 0)["metrics"].(map[string]any)["speed"] = 1 },
		"unknown check": func(doc map[string]any) {
			scenario(doc, 0)["checks"].([]any)[0].(map[string]any)["name"] = "vibes"
		},
		"disabled without reason": func(doc map[string]any) {
			delete(scenario(doc, 5)["checks"].([]any)[1].(map[string]any), "reason")
		},
		"event without seq": func(doc map[string]any) {
			c := scenario(doc, 2)["checks"].([]any)[7].(map[string]any)
			delete(c["violations"].([]any)[0].(map[string]any)["events"].([]any)[0].(map[string]any), "seq")
		},
		"missing summary count": func(doc map[string]any) { delete(doc["summary"].(map[string]any), "errors") },
	} {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(good, &doc))
		edit(doc)
		bad, err := json.Marshal(doc)
		require.NoError(t, err)
		require.Error(t, validateJSON(t, sch, bad), name)
	}
}

func scenario(doc map[string]any, i int) map[string]any {
	return doc["scenarios"].([]any)[i].(map[string]any)
}

// TestJSONContent reads the report back and checks it says what the
// results hold.
func TestJSONContent(t *testing.T) {
	results := machineResults(t)
	run := fixedRun(results)
	var doc struct {
		SchemaVersion int
		Started       string
		Wall          jsonDuration
		Summary       jsonSummary
		Scenarios     []struct {
			Name, RunName, Verdict, Path, SHA256, Rerun string
			Seed                                        int64
			Labels                                      map[string]string
			Session                                     *jsonSession
			Wall                                        jsonDuration
			UpgradeDuration                             *jsonDuration
			LostRequests                                float64
			Metrics                                     map[string]float64
			EventCount                                  int
			Checks                                      []struct {
				Name, Status, Reason string
				ExpectedToFail       bool
				Violations           []struct {
					Message string
					Events  []map[string]any
				}
			}
			Error *jsonError
		}
	}
	require.NoError(t, json.Unmarshal(writeJSON(t, run), &doc))
	require.Equal(t, JSONSchemaVersion, doc.SchemaVersion)
	require.Equal(t, "2025-03-14T09:26:53Z", doc.Started)
	require.Equal(t, jsonDuration{Seconds: 0.048, Human: "48ms"}, doc.Wall)
	require.Equal(t, jsonSummary{Total: 6, Passed: 1, Failed: 2, ExpectedFailures: 2, Errors: 1}, doc.Summary)
	require.Len(t, doc.Scenarios, len(results))
	for i, s := range doc.Scenarios {
		r := results[i]
		require.Equal(t, r.Scenario.Name, s.Name)
		require.Equal(t, r.Scenario.Name, s.RunName)
		require.Equal(t, r.Verdict, s.Verdict)
		require.Equal(t, r.Seed, s.Seed)
		require.Equal(t, r.Scenario.Path, s.Path)
		require.Equal(t, r.Scenario.Labels, s.Labels)
		require.Equal(t, run.Walls[i].Seconds(), s.Wall.Seconds)
		require.Equal(t, r.Lost, s.LostRequests)
		require.Equal(t, len(r.Events), s.EventCount)
		require.Equal(t, "escalator run --seed "+strconv.FormatInt(r.Seed, 10)+" "+r.Scenario.Path, s.Rerun)
		b, err := os.ReadFile(r.Scenario.Path)
		require.NoError(t, err)
		require.Equal(t, sha256Hex(string(b)), s.SHA256)
		if r.Verdict == judge.VerdictError {
			require.Nil(t, s.Session)
			require.Nil(t, s.UpgradeDuration)
			require.Equal(t, &jsonError{Code: "invalid", Message: r.Err.Error()}, s.Error)
			require.Empty(t, s.Checks)
			continue
		}
		require.Nil(t, s.Error)
		require.Equal(t, r.Session.State, s.Session.State)
		require.Equal(t, len(r.Session.Nodes), s.Session.Nodes)
		require.Equal(t, r.UpgradeDuration.Seconds(), s.UpgradeDuration.Seconds)
		require.Equal(t, HumanDuration(r.UpgradeDuration), s.UpgradeDuration.Human)
		require.Equal(t, judge.Metrics(r.Events), s.Metrics)
		require.Len(t, s.Checks, len(r.Checks))
		for j, c := range s.Checks {
			want := r.Checks[j]
			require.Equal(t, want.Name, c.Name)
			require.Equal(t, want.Status, c.Status)
			require.Equal(t, want.Reason, c.Reason)
			require.Equal(t, slices.Contains(r.Scenario.Expect.Violations, want.Name), c.ExpectedToFail)
			require.Len(t, c.Violations, len(want.Violations))
			for k, v := range c.Violations {
				require.Equal(t, want.Violations[k].Message, v.Message)
			}
		}
	}
	// The failure's violation cites its event as an object, as the trace
	// writes it.
	pair := doc.Scenarios[2].Checks[7]
	require.Equal(t, "pair-redundancy", pair.Name)
	require.Equal(t, []map[string]any{{
		"seq": 15.0, "t": "0s", "actor": "nfvi", "kind": "node.state", "subject": "compute-2",
		"fields": map[string]any{"from": "normal", "to": "maintenance"},
	}}, pair.Violations[0].Events)
	require.Equal(t, "this control isolates threshold:lostRequests.mme", doc.Scenarios[5].Checks[1].Reason)
}

// TestJSONEscaping: texts come back as written; "no such event" (Seq 0)
// placeholders are left out; a scenario with no readable file hashes its
// name.
func TestJSONEscaping(t *testing.T) {
	var doc jsonRun
	data := writeJSON(t, nastyRun())
	require.Contains(t, string(data), `"name": "a<b>&\"c\""`, "no HTML escaping: the report is read, not embedded")
	require.NoError(t, json.Unmarshal(data, &doc))
	s := doc.Scenarios[0]
	require.Equal(t, `a<b>&"c"`, s.Name)
	require.Equal(t, sha256Hex(`a<b>&"c"`), s.SHA256)
	require.Equal(t, "escalator run --tag 'a|b' --seed 3 'testdata/no such dir/it'\\''s.yaml'", s.Rerun)
	v := s.Checks[1].Violations[0]
	require.Equal(t, "lost <5> & \"more\"\nsecond line\x1b[31m \uFFFD end", v.Message)
	require.Len(t, v.Events, 1)
	require.Equal(t, escalator.Event{Seq: 4, At: 1500000000, Actor: "traffic", Kind: "service.summary", Subject: "svc|1", Fields: escalator.Fields{"lost": 5.0, "note": "<&>"}}, v.Events[0])
	require.Equal(t, []string{"max-parallel"}, s.Expect.Violations)
	require.True(t, s.Checks[3].ExpectedToFail)
}

// TestJSONSchemaMatchesCode: the schema names every field the writer
// writes, and the same metric and check names as the scenarios package.
func TestJSONSchemaMatchesCode(t *testing.T) {
	var schema map[string]any
	require.NoError(t, json.Unmarshal(JSONSchema, &schema))
	defs := schema["$defs"].(map[string]any)
	def := func(path ...string) map[string]any {
		m := schema
		if path[0] != "" {
			m = defs[path[0]].(map[string]any)
		}
		for _, p := range path[1:] {
			m = m["properties"].(map[string]any)[p].(map[string]any)
		}
		return m
	}
	for _, c := range []struct {
		v    any
		path []string
	}{
		{jsonRun{}, []string{""}},
		{jsonDuration{}, []string{"duration"}},
		{jsonSummary{}, []string{"summary"}},
		{jsonScenario{}, []string{"scenario"}},
		{jsonVNFM{}, []string{"scenario", "vnfm"}},
		{jsonExpect{}, []string{"scenario", "expect"}},
		{jsonError{}, []string{"scenario", "error"}},
		{jsonCheck{}, []string{"check"}},
		{jsonViolation{}, []string{"violation"}},
		{jsonConformance{}, []string{"conformanceSummary"}},
		{jsonCase{}, []string{"case"}},
		{jsonEvidence{}, []string{"evidence"}},
		{jsonExchange{}, []string{"exchange"}},
	} {
		var fields, required []string
		rt := reflect.TypeOf(c.v)
		for i := range rt.NumField() {
			name, opts, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			fields = append(fields, name)
			if opts != "omitempty" {
				required = append(required, name)
			}
		}
		m := def(c.path...)
		require.Equal(t, false, m["additionalProperties"], rt.Name())
		var props, req []string
		for k := range m["properties"].(map[string]any) {
			props = append(props, k)
		}
		for _, k := range m["required"].([]any) {
			req = append(req, k.(string))
		}
		require.ElementsMatch(t, fields, props, rt.Name())
		require.ElementsMatch(t, required, req, rt.Name())
	}
	session := def("scenario", "session")["oneOf"].([]any)[1].(map[string]any)["properties"].(map[string]any)
	require.ElementsMatch(t, []string{"id", "state", "reason", "nodes"}, slices.Collect(maps.Keys(session)))

	enum := func(name string, branch int) []string {
		var out []string
		for _, v := range defs[name].(map[string]any)["anyOf"].([]any)[branch].(map[string]any)["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	require.Equal(t, judge.MetricNames, enum("metricName", 0))
	require.Equal(t, append([]string{judge.CheckOutcome}, judge.CheckNames...), enum("checkName", 0))
	require.Equal(t, judge.ConformanceCheckNames(), enum("checkName", 2))
	var verdicts []string
	for _, v := range defs["verdict"].(map[string]any)["enum"].([]any) {
		verdicts = append(verdicts, v.(string))
	}
	require.ElementsMatch(t, []string{judge.VerdictPass, judge.VerdictFail, judge.VerdictXFail, judge.VerdictError, judge.VerdictNotApplicable}, verdicts)
}
