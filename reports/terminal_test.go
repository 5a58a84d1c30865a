package reports

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./reports/ -update to create it")
	require.Equal(t, string(want), string(got))
}

func loadScenario(t *testing.T, p string) *spec.Scenario {
	t.Helper()
	s, err := load.File(filepath.Join("..", "scenarios", p))
	require.NoError(t, err)
	return s
}

// fourResults runs a pass, an expected failure, a failure (a negative
// control stripped of its expectation) and a harness error.
func fourResults(t *testing.T) []*judge.Result {
	t.Helper()
	pass := loadScenario(t, "flows/f2-active-standby.yaml")
	xfail := loadScenario(t, "negative/neg-zero-loss.yaml")
	fail := loadScenario(t, "negative/neg-pair-redundancy.yaml")
	fail.Expect.Violations = nil
	broken := loadScenario(t, "flows/f1-load-balanced.yaml")
	broken.VNFs[0].Placement = []string{"compute-99"} // a harness error: the world cannot be built
	var results []*judge.Result
	for _, s := range []*spec.Scenario{pass, xfail, fail, broken} {
		results = append(results, scenarios.Run(context.Background(), s, scenarios.Options{}))
	}
	return results
}

// TestTerminalGolden is what `escalator run` prints: one line per result,
// then the summary with the gates first and each failure and error in
// full with its rerun command.
func TestTerminalGolden(t *testing.T) {
	results := fourResults(t)
	var b bytes.Buffer
	term := Terminal{W: &b, Command: "escalator run", Brief: true}
	for _, r := range results {
		term.Scenario(r, 12*time.Millisecond)
	}
	term.Summary(Summary{Results: results, Wall: 48 * time.Millisecond})
	golden(t, "terminal.golden", b.Bytes())
}

// TestTerminalInlineGolden: without Brief, a failure's detail follows its
// line at once (`escalator vim` prints one result and no summary).
func TestTerminalInlineGolden(t *testing.T) {
	var b bytes.Buffer
	term := Terminal{W: &b, Command: "escalator run"}
	for _, r := range fourResults(t) {
		term.Scenario(r, 12*time.Millisecond)
	}
	golden(t, "terminal_inline.golden", b.Bytes())
}

// TestSummaryGolden: repeated runs named by seed, runs not started, notes,
// and a failure whose message spans lines (a determinism failure).
func TestSummaryGolden(t *testing.T) {
	s := loadScenario(t, "flows/f1-mixed.yaml")
	s.Path = "scenarios/flows/f1 mixed.yaml" // a path the shell needs quoted
	var results []*judge.Result
	for _, seed := range []int64{7, 8} {
		results = append(results, scenarios.Run(context.Background(), s, scenarios.Options{Seed: seed}))
	}
	nondet := results[1]
	nondet.Verdict = judge.VerdictFail
	nondet.Checks = append(nondet.Checks, judge.CheckResult{
		Name:       "determinism",
		Status:     judge.CheckFailed,
		Violations: []judge.Violation{{Message: "two runs differ at line 3:\nrun 1: {\"seq\":3}\nrun 2: {\"seq\":4}"}},
	})
	var b bytes.Buffer
	term := Terminal{W: &b, Command: "escalator run --verify-determinism", Seeds: true, Brief: true}
	for _, r := range results {
		term.Scenario(r, 1500*time.Microsecond)
	}
	term.Summary(Summary{
		Results:   results,
		Wall:      2345 * time.Millisecond,
		Scenarios: 3,
		NotRun:    4,
		Notes:     []string{"shard 2/4: 3 of 9 scenarios", "--fail-fast: stopped after the first failure, 4 not run"},
	})
	golden(t, "summary.golden", b.Bytes())
}

func TestTerminalColor(t *testing.T) {
	results := fourResults(t)
	render := func(color bool) string {
		var b bytes.Buffer
		term := Terminal{W: &b, Command: "escalator run", Color: color, Brief: true}
		for _, r := range results {
			term.Scenario(r, time.Millisecond)
		}
		term.Summary(Summary{Results: results, Wall: time.Second})
		return b.String()
	}
	plain := render(false)
	require.NotContains(t, plain, "\x1b")
	require.NotContains(t, plain, "\r")

	colored := render(true)
	for _, want := range []string{
		"\x1b[32mPASS\x1b[0m ", "\x1b[33mXFAIL\x1b[0m", "\x1b[31mFAIL\x1b[0m ", "\x1b[31mERROR\x1b[0m",
		"\x1b[32mPASSED 1\x1b[0m", "\x1b[31mFAILED 1\x1b[0m", "\x1b[33mEXPECTED FAILURES 1\x1b[0m", "\x1b[31m✗\x1b[0m",
	} {
		require.Contains(t, colored, want)
	}
	// The colour changes nothing but the escapes: columns stay aligned.
	strip := strings.NewReplacer("\x1b[32m", "", "\x1b[31m", "", "\x1b[33m", "", "\x1b[0m", "")
	require.Equal(t, plain, strip.Replace(colored))
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"scenarios/flows/f1-mixed.yaml": "scenarios/flows/f1-mixed.yaml",
		"../a_b/c+d@1.yml":              "../a_b/c+d@1.yml",
		"my scenarios/x.yaml":           "'my scenarios/x.yaml'",
		"it's.yaml":                     `'it'\''s.yaml'`,
		"":                              "''",
	} {
		require.Equal(t, want, shellQuote(in), in)
	}
}

func TestHumanDuration(t *testing.T) {
	for in, want := range map[time.Duration]string{
		750 * time.Microsecond:                            "750µs",
		12345 * time.Microsecond:                          "12ms",
		1234567 * time.Microsecond:                        "1.23s",
		time.Hour + 2*time.Minute + 3500*time.Millisecond: "1h2m4s",
	} {
		require.Equal(t, want, HumanDuration(in))
	}
}
