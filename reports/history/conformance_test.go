package history

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The reports' conformance fixtures, run for real: a case that fails, a
// case that passes, a case that does not apply, and a case whose world
// cannot be built (its name changed in code, so its file is not stored
// for it and the columns alone must carry the case).
var conformanceOnce = sync.OnceValues(func() ([]*judge.Result, error) {
	var out []*judge.Result
	for _, c := range []struct {
		file string
		edit func(*spec.Scenario)
	}{
		{file: "sec-001-fail.yaml"},
		{file: "mnt-002-pass.yaml"},
		{file: "sec-001-na.yaml"},
		{file: "mnt-002-fail.yaml", edit: func(s *spec.Scenario) {
			s.Name = "conformance-mnt-002-unbuildable"
			s.VNFs[0].Placement = []string{"compute-99"}
		}},
	} {
		s, err := load.File(filepath.Join("..", "testdata", "conformance", c.file))
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

func conformanceRun(t *testing.T, id string) reports.Run {
	t.Helper()
	rs, err := conformanceOnce()
	require.NoError(t, err)
	want := []string{judge.VerdictFail, judge.VerdictPass, judge.VerdictNotApplicable, judge.VerdictError}
	for i, r := range rs {
		require.Equal(t, want[i], r.Verdict, r.Scenario.Name)
	}
	return reports.Run{ID: id, Started: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC), Wall: time.Second,
		Command: "escalator run", Version: "test", Results: rs, Walls: []time.Duration{1, 2, 3, 4}}
}

// renderAll writes a run in every format, by name.
func renderAll(t *testing.T, run reports.Run) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, write := range map[string]func(io.Writer, reports.Run) error{
		"json": reports.WriteJSON, "junit": reports.WriteJUnit, "markdown": reports.WriteMarkdown, "html": reports.WriteHTML,
		"terminal": func(w io.Writer, run reports.Run) error {
			term := reports.Terminal{W: w, Command: run.Command}
			for i, r := range run.Results {
				term.Scenario(r, run.Walls[i])
			}
			term.Summary(reports.Summary{Results: run.Results, Wall: run.Wall})
			return nil
		},
	} {
		var b bytes.Buffer
		require.NoError(t, write(&b, run), name)
		out[name] = b.String()
	}
	return out
}

// TestConformanceRoundTrip: a run of conformance cases comes back with its
// verdicts (not-applicable included), its cases and its checks, and every
// report format renders it again byte for byte; the listing counts the
// case that did not apply, and the filter finds it.
func TestConformanceRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	want := conformanceRun(t, "c0ffee00-conformance")
	require.NoError(t, s.Save(want))
	got, err := s.Load("c0ffee00")
	require.NoError(t, err)
	require.Len(t, got.Results, len(want.Results))
	for i, w := range want.Results {
		g := got.Results[i]
		assert.Equal(t, w.Verdict, g.Verdict)
		assert.Equal(t, w.Scenario.Conformance, g.Scenario.Conformance, w.Scenario.Name)
		assert.Equal(t, w.CaseLabel(), g.CaseLabel())
		require.Len(t, g.Checks, len(w.Checks))
		for k := range w.Checks {
			assert.Equal(t, w.Checks[k].Status, g.Checks[k].Status)
			assert.Equal(t, w.Checks[k].Reason, g.Checks[k].Reason)
		}
		assert.Equal(t, w.Evidence(), g.Evidence(), "the evidence reads the same from the stored trace")
	}
	assert.NotEmpty(t, got.Results[0].Evidence())

	wantOut, gotOut := renderAll(t, want), renderAll(t, got)
	for name := range wantOut {
		assert.Equal(t, wantOut[name], gotOut[name], "%s rendered again", name)
	}
	assert.Contains(t, gotOut["terminal"], "conformance: 1 passed, 1 failed, 1 not applicable, 1 could not run")
	assert.Contains(t, gotOut["junit"], "<skipped message=\"not applicable: auth-basic: ")

	runs, err := s.Runs(Filter{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, RunSummary{ID: want.ID, Started: runs[0].Started, Wall: want.Wall, Command: want.Command, Version: want.Version,
		Scenarios: 4, Passed: 1, Failed: 1, Errors: 1, NotApplicable: 1}, runs[0])
	for _, v := range []string{judge.VerdictNotApplicable, "NOT-APPLICABLE"} {
		runs, err = s.Runs(Filter{Verdict: v})
		require.NoError(t, err)
		assert.Len(t, runs, 1, v)
	}
	runs, err = s.Runs(Filter{Verdict: judge.VerdictNotApplicable, Scenario: "conformance-mnt-002-reference"})
	require.NoError(t, err)
	assert.Empty(t, runs, "the case that did not apply is another")
}

// TestConformanceWithoutScenarioFile: when the scenario file is gone, the
// stored columns still make the result a conformance case, and the
// reports still show its ID, title and evidence.
func TestConformanceWithoutScenarioFile(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "testdata", "conformance", "sec-001-fail.yaml"))
	require.NoError(t, err)
	path := filepath.Join(dir, "case.yaml")
	require.NoError(t, os.WriteFile(path, src, 0o644))
	sc, err := load.File(path)
	require.NoError(t, err)
	res := scenarios.Run(context.Background(), sc, scenarios.Options{})
	require.Equal(t, judge.VerdictFail, res.Verdict)
	require.NoError(t, os.Remove(path))

	s, _ := openTemp(t)
	require.NoError(t, s.Save(reports.Run{ID: "gone", Results: []*judge.Result{res}}))
	got, err := s.Load("gone")
	require.NoError(t, err)
	g := got.Results[0]
	assert.Empty(t, g.Scenario.VNFs, "nothing but the columns")
	assert.Equal(t, sc.Conformance, g.Scenario.Conformance)
	assert.Equal(t, res.Evidence(), g.Evidence())
	var b bytes.Buffer
	require.NoError(t, reports.WriteJUnit(&b, got))
	assert.Contains(t, b.String(), `<testcase name="SEC-001 Notifications authenticated with BASIC credentials"`)
	assert.Contains(t, b.String(), "&gt; Authorization: Basic ***")
}

// TestMigrateFromFirstSchema: a history written before conformance cases
// (schema 1) opens, gains the new columns, and its runs load and list as
// before, with nothing not applicable and no case.
func TestMigrateFromFirstSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	require.Equal(t, "conformance", ms[1].Name)
	db, err := sql.Open("sqlite3", DSN(path))
	require.NoError(t, err)
	require.NoError(t, migrate(context.Background(), db, path, ms[:1]))
	for _, q := range []string{
		`INSERT INTO runs (id, started, wall_ms, command, version, passed, failed, xfailed, errors)
			VALUES ('old-run', '2025-01-02T03:04:05.000000000Z', 1000, 'escalator run', 'v0.8', 1, 0, 0, 0)`,
		`INSERT INTO scenario_results (run_id, ordinal, name, description, path, scenario_seed, seed, flow, target_version,
			vnfm_name, vnfm_behavior, labels, expect, verdict, session_state, reason, session, upgrade_ms, elapsed_ms, wall_ms, lost)
			VALUES ('old-run', 0, 'f1-old', '', '', 1, 1, 'F1', '2.0', 'vnfm-1', 'reference', '{}', '{"violations":null}', 'pass',
			'COMPLETED', '', '{}', 60000, 60000, 10, 0)`,
		`INSERT INTO check_results (run_id, ordinal, position, name, status, reason, violations) VALUES ('old-run', 0, 0, 'outcome', 'passed', '', 'null')`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	require.NoError(t, db.Close())

	s, err := Open(path, load.Bytes)
	require.NoError(t, err)
	defer s.Close()
	assert.Len(t, applied(t, s.w), SchemaVersion)
	runs, err := s.Runs(Filter{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, 1, runs[0].Passed)
	assert.Zero(t, runs[0].NotApplicable)
	run, err := s.Load("old-run")
	require.NoError(t, err)
	require.Len(t, run.Results, 1)
	assert.Nil(t, run.Results[0].Scenario.Conformance)
	assert.Equal(t, judge.VerdictPass, run.Results[0].Verdict)

	// And it takes a conformance run beside the old one.
	require.NoError(t, s.Save(conformanceRun(t, "new-run")))
	runs, err = s.Runs(Filter{Verdict: judge.VerdictNotApplicable})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, "new-run", runs[0].ID)
}

// TestCompareConformance: the same case against a VNFM that asks for
// BASIC credentials and then one that asks for none moves from pass to
// not-applicable, and the diff says so for the verdict and the check.
func TestCompareConformance(t *testing.T) {
	var rs []*judge.Result
	for _, auth := range []string{"basic", ""} {
		s, err := load.File(filepath.Join("..", "testdata", "conformance", "sec-001-na.yaml"))
		require.NoError(t, err)
		s.VNFM.NotifyAuth = auth
		rs = append(rs, scenarios.Run(context.Background(), s, scenarios.Options{}))
	}
	require.Equal(t, judge.VerdictPass, rs[0].Verdict)
	require.Equal(t, judge.VerdictNotApplicable, rs[1].Verdict)
	d := Compare(reports.Run{ID: "aaaaaaaa-1", Results: rs[:1]}, reports.Run{ID: "bbbbbbbb-2", Results: rs[1:]})
	require.Len(t, d.Scenarios, 1)
	assert.Equal(t, &Change{Name: "verdict", From: judge.VerdictPass, To: judge.VerdictNotApplicable}, d.Scenarios[0].Verdict)
	assert.Contains(t, d.Scenarios[0].Checks, Change{Name: "auth-basic", From: judge.CheckPassed, To: judge.CheckNotApplicable})
	var b bytes.Buffer
	require.NoError(t, d.Write(&b))
	assert.Regexp(t, `conformance-sec-001-no-auth\s+verdict\s+pass → not-applicable\n`, b.String())
}
