package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// scenarioYAML is a small passing scenario: three nodes, one VNF.
func scenarioYAML(name, labels string) string {
	return fmt.Sprintf(`name: %s
labels: {%s}
nodes: {count: 3}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s}
upgrade: {targetVersion: "2.0"}
`, name, labels)
}

// suite writes ten small scenarios into a fresh folder.
func suite(t *testing.T) (dir string, names []string) {
	t.Helper()
	dir = t.TempDir()
	for i := range 10 {
		flow := []string{"F1", "F2"}[i%2]
		labels := "flow: " + flow
		if i%3 == 0 {
			labels += ", suite: smoke"
		}
		name := fmt.Sprintf("s%02d-%s", i, strings.ToLower(flow))
		require.NoError(t, os.MkdirAll(filepath.Join(dir, flow), 0o755))
		write(t, filepath.Join(dir, flow), name+".yaml", scenarioYAML(name, labels))
		names = append(names, name)
	}
	sort.Strings(names)
	return dir, names
}

type runOutput struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) runOutput {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return runOutput{code, out.String(), errb.String()}
}

func (o runOutput) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", o.code, o.stdout, o.stderr)
}

// listed is the sorted names `run --list` printed.
func listed(t *testing.T, args ...string) []string {
	t.Helper()
	o := runCLI(t, append([]string{"run", "--list"}, args...)...)
	require.Equal(t, exitPass, o.code, o)
	var names []string
	for line := range strings.Lines(o.stdout) {
		names = append(names, strings.Fields(line)[0])
	}
	sort.Strings(names)
	return names
}

var resultLine = regexp.MustCompile(`(?m)^(PASS|FAIL|XFAIL|ERROR) +(\S+)(?: \[seed (-?\d+)\])? `)

// ran lists the result lines of a run as "name" or "name@seed".
func ran(stdout string) []string {
	before, _, _ := strings.Cut(stdout, "\nPASSED ")
	var out []string
	for _, m := range resultLine.FindAllStringSubmatch(before, -1) {
		if m[3] != "" {
			out = append(out, m[2]+"@"+m[3])
		} else {
			out = append(out, m[2])
		}
	}
	return out
}

func TestRunUsageErrors(t *testing.T) {
	dir, _ := suite(t)
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"bad regexp", []string{"--run", "f1-(", dir}, "error parsing regexp: missing closing ): `f1-(`"},
		{"label without key", []string{"--label", "=F1", dir}, `invalid value "=F1" for flag -label: want KEY=VALUE or KEY`},
		{"label with empty value", []string{"--label", "flow=", dir}, `empty value for label "flow"`},
		{"shard zero", []string{"--shard", "0/4", dir}, "I must be between 1 and 4"},
		{"shard past the end", []string{"--shard", "5/4", dir}, "I must be between 1 and 4"},
		{"shard not a fraction", []string{"--shard", "x", dir}, "want I/N, e.g. 2/4"},
		{"shard of nothing", []string{"--shard", "1/0", dir}, "N must be at least 1"},
		{"shard with spaces", []string{"--shard", "1 / 2", dir}, "want I/N"},
		{"colour", []string{"--color", "sometimes", dir}, "want auto, always or never"},
		{"repeat zero", []string{"--repeat", "0", dir}, "--repeat must be at least 1"},
		{"parallel zero", []string{"--parallel", "0", dir}, "--parallel must be at least 1"},
		{"not a number", []string{"--repeat", "many", dir}, `invalid value "many" for flag -repeat`},
		{"unknown flag", []string{"--shards", "1/2", dir}, "flag provided but not defined: -shards"},
		{"filter matches nothing", []string{"--run", "^nope$", dir}, `no scenario matches --run "^nope$" (of 10 loaded)`},
		{"label matches nothing", []string{"--label", "flow=F3", dir}, "no scenario matches --label flow=F3 (of 10 loaded)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := runCLI(t, append([]string{"run"}, tc.args...)...)
			require.Equal(t, exitUsage, o.code, o)
			require.Contains(t, o.stderr, tc.stderr)
			require.Empty(t, o.stdout, "nothing ran")
		})
	}
}

func TestRunHelpDocumentsEveryFlag(t *testing.T) {
	o := runCLI(t, "run", "--help")
	require.Equal(t, exitPass, o.code)
	for _, flag := range []string{"trace", "seed", "parallel", "run", "label", "shard", "fail-fast", "repeat", "verify-determinism", "color", "list", "max-input-size", "max-world"} {
		require.Regexp(t, `(?m)^  -`+flag+`\b[^\n]*\n[^\n]*e\.g\. --`+flag+`\b`, o.stderr, "--%s has a line with an example", flag)
	}
	require.Contains(t, o.stderr, "Examples:\n  escalator run scenarios/")
	require.Contains(t, o.stderr, "FNV-1a (64-bit) of the name, mod N")
}

func TestRunFilters(t *testing.T) {
	dir, all := suite(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"everything", nil, all},
		{"--run regexp", []string{"--run", "f1$"}, []string{"s00-f1", "s02-f1", "s04-f1", "s06-f1", "s08-f1"}},
		{"--run is unanchored", []string{"--run", "0[34]"}, []string{"s03-f2", "s04-f1"}},
		{"--label k=v", []string{"--label", "flow=F2"}, []string{"s01-f2", "s03-f2", "s05-f2", "s07-f2", "s09-f2"}},
		{"--label k, any value", []string{"--label", "suite"}, []string{"s00-f1", "s03-f2", "s06-f1", "s09-f2"}},
		{"every --label must hold", []string{"--label", "suite=smoke", "--label", "flow=F1"}, []string{"s00-f1", "s06-f1"}},
		{"--run and --label together", []string{"--label", "suite", "--run", "f2"}, []string{"s03-f2", "s09-f2"}},
		{"flags after the path", []string{"--label", "suite", dir, "--run", "s0[06]"}, []string{"s00-f1", "s06-f1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, listed(t, append(tc.args, dir)...))
		})
	}

	// The filter is applied to what runs, and the summary says so.
	o := runCLI(t, "run", "--label", "suite=smoke", "--label", "flow=F1", dir)
	require.Equal(t, exitPass, o.code, o)
	require.Equal(t, []string{"s00-f1", "s06-f1"}, ran(o.stdout))
	require.Contains(t, o.stdout, "(2 scenarios, ")
	require.Contains(t, o.stdout, "\nselected 2 of 10 scenarios: --label suite=smoke --label flow=F1\n")
}

func TestRunShards(t *testing.T) {
	dir, all := suite(t)
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("%d shards", n), func(t *testing.T) {
			seen := map[string]int{}
			for i := 1; i <= n; i++ {
				for _, name := range listed(t, "--shard", fmt.Sprintf("%d/%d", i, n), dir) {
					seen[name]++
					require.Equal(t, i, shardOf(name, n))
				}
			}
			for _, name := range all {
				require.Equal(t, 1, seen[name], "%s is in exactly one shard", name)
			}
			require.Len(t, seen, len(all))
		})
	}

	// A scenario keeps its shard whatever the filters and whatever files
	// are added.
	shardOfAll := func(args ...string) map[string]int {
		out := map[string]int{}
		for i := 1; i <= 3; i++ {
			for _, name := range listed(t, append([]string{"--shard", fmt.Sprintf("%d/3", i)}, args...)...) {
				out[name] = i
			}
		}
		return out
	}
	before := shardOfAll(dir)
	for name, shard := range shardOfAll("--label", "flow=F2", dir) {
		require.Equal(t, before[name], shard, "filtering moved %s", name)
	}
	for i := range 5 {
		name := fmt.Sprintf("added-%d", i)
		write(t, dir, name+".yaml", scenarioYAML(name, ""))
	}
	after := shardOfAll(dir)
	require.Len(t, after, len(all)+5)
	for name, shard := range before {
		require.Equal(t, shard, after[name], "adding files moved %s", name)
	}

	// A real run of one shard runs what --list showed and says so.
	want := listed(t, "--shard", "2/3", "--label", "flow", dir)
	o := runCLI(t, "run", "--shard", "2/3", "--label", "flow", dir)
	require.Equal(t, exitPass, o.code, o)
	got := ran(o.stdout)
	sort.Strings(got)
	require.Equal(t, want, got)
	require.Contains(t, o.stdout, fmt.Sprintf("\nshard 2/3: %d of 10 scenarios\n", len(want)))
	require.Contains(t, o.stdout, "\nselected 10 of 15 scenarios: --label flow\n")
}

func TestRunEmptyShardPasses(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "only.yaml", scenarioYAML("only", ""))
	empty := 1
	if shardOf("only", 2) == 1 {
		empty = 2
	}
	o := runCLI(t, "run", "--shard", fmt.Sprintf("%d/2", empty), dir)
	require.Equal(t, exitPass, o.code, o)
	require.Empty(t, ran(o.stdout))
	require.Contains(t, o.stdout, fmt.Sprintf("shard %d/2: 0 of 1 scenarios", empty))
}

func TestShardOfIsFNV1a(t *testing.T) {
	// FNV-1a (64-bit) of "f1-mixed" is 0x873874e2f68d83fe, computed apart
	// from Go: the algorithm is public, so any CI script can work out a
	// scenario's shard too.
	for n := 1; n <= 8; n++ {
		require.Equal(t, int(uint64(0x873874e2f68d83fe)%uint64(n))+1, shardOf("f1-mixed", n))
	}
}

func TestRunFailFast(t *testing.T) {
	dir := t.TempDir()
	failing := write(t, dir, "a-gap.yaml", failingScenario)
	for _, name := range []string{"b-ok", "c-ok", "d-ok"} {
		write(t, dir, name+".yaml", scenarioYAML(name, ""))
	}

	o := runCLI(t, "run", "--fail-fast", "--parallel", "1", dir)
	require.Equal(t, exitFailed, o.code, o)
	require.Equal(t, []string{"gap"}, ran(o.stdout))
	require.Contains(t, o.stdout, "PASSED 0  FAILED 1  EXPECTED FAILURES 0  ERRORS 0  NOT RUN 3   (4 scenarios, ")
	require.Contains(t, o.stdout, "--fail-fast: stopped after the first failure, 3 not run")
	require.Contains(t, o.stdout, "\nFAIL   gap\n       ✗ zero-loss\n")
	require.Contains(t, o.stdout, "rerun: escalator run --seed 1 "+failing+"\n")

	// Without it, everything runs.
	o = runCLI(t, "run", "--parallel", "1", dir)
	require.Equal(t, exitFailed, o.code, o)
	require.Equal(t, []string{"gap", "b-ok", "c-ok", "d-ok"}, ran(o.stdout))
	require.NotContains(t, o.stdout, "NOT RUN")

	// With several workers, those already running finish and print in order.
	o = runCLI(t, "run", "--fail-fast", "--parallel", "4", dir)
	require.Equal(t, exitFailed, o.code, o)
	require.Equal(t, "gap", ran(o.stdout)[0])
}

func TestRunRepeat(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	write(t, dir, "other.yaml", scenarioYAML("other", ""))

	o := runCLI(t, "run", "--repeat", "3", dir)
	require.Equal(t, exitPass, o.code, o)
	require.Equal(t, []string{"ok@1", "ok@2", "ok@3", "other@1", "other@2", "other@3"}, ran(o.stdout), "each file's seed, then +1, +2")
	require.Contains(t, o.stdout, "(6 runs of 2 scenarios, ")

	traces := filepath.Join(dir, "traces")
	o = runCLI(t, "run", "--repeat", "3", "--seed", "41", "--trace", traces, ok)
	require.Equal(t, exitPass, o.code, o)
	require.Equal(t, []string{"ok@41", "ok@42", "ok@43"}, ran(o.stdout))
	for _, seed := range []int{41, 42, 43} {
		require.FileExists(t, filepath.Join(traces, fmt.Sprintf("ok.seed%d.ndjson", seed)))
	}
	a, err := os.ReadFile(filepath.Join(traces, "ok.seed41.ndjson"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(traces, "ok.seed42.ndjson"))
	require.NoError(t, err)
	require.NotEqual(t, a, b, "each run had its own seed")

	// A failure names the seed that reproduces it.
	failing := write(t, dir, "gap.yaml", failingScenario)
	o = runCLI(t, "run", "--repeat", "2", "--seed", "7", failing)
	require.Equal(t, exitFailed, o.code, o)
	require.Contains(t, o.stdout, "\nFAIL   gap [seed 8]\n")
	require.Contains(t, o.stdout, "rerun: escalator run --seed 8 "+failing+"\n")
}

// TestRunInterrupted: after Ctrl-C no scenario starts, and the run is a
// harness failure however many passed.
func TestRunInterrupted(t *testing.T) {
	dir, _ := suite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"run", "--parallel", "2", dir}, &out, &errb)
	require.Equal(t, exitHarness, code, out.String())
	require.Empty(t, ran(out.String()))
	require.Contains(t, out.String(), "NOT RUN 10   (10 scenarios, ")
	require.Contains(t, out.String(), "\ninterrupted: 10 not run\n")
}

func TestSeeds(t *testing.T) {
	require.Equal(t, []int64{5}, seeds(5, 1))
	require.Equal(t, []int64{1, 2, 3}, seeds(1, 3))
	require.Equal(t, []int64{-2, -1, 1, 2}, seeds(-2, 4), "0 means the file's seed: skipped")
}

// TestRunVerifyDeterminismBundledSuite is the project's determinism
// self-check: every shipped scenario, run twice, writes the same trace.
func TestRunVerifyDeterminismBundledSuite(t *testing.T) {
	// The 1,000-node scenario is left to make run and BenchmarkScaleF1: two
	// runs of it under the race detector would take minutes.
	entries, err := os.ReadDir("../../scenarios")
	require.NoError(t, err)
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "scale" || e.Name() == "testdata" {
			continue
		}
		// The folders of scenarios/ hold the suite's YAML, except the
		// packages of the language and the judge (spec/, judge/, ...).
		dir := filepath.Join("../../scenarios", e.Name())
		if yamls, _ := filepath.Glob(filepath.Join(dir, "*.yaml")); len(yamls) > 0 {
			dirs = append(dirs, dir)
		}
	}
	list, err := load.Paths(dirs)
	require.NoError(t, err)
	o := runCLI(t, append([]string{"run", "--verify-determinism"}, dirs...)...)
	require.Equal(t, exitPass, o.code, o)
	require.Len(t, ran(o.stdout), len(list))
	require.NotContains(t, o.stdout, "determinism")
}

// TestRunVerifyDeterminismCatchesADifference makes every second run of a
// scenario differ in one event, as a nondeterministic simulation would.
func TestRunVerifyDeterminismCatchesADifference(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	calls := 0
	real := runScenario
	t.Cleanup(func() { runScenario = real })
	runScenario = func(ctx context.Context, s *spec.Scenario, opt scenarios.Options) *judge.Result {
		r := real(ctx, s, opt)
		if calls++; calls%2 == 0 {
			r.Events = slices.Clone(r.Events)
			r.Events[4].Actor = "gremlin"
		}
		return r
	}

	o := runCLI(t, "run", "--verify-determinism", ok)
	require.Equal(t, exitFailed, o.code, o)
	require.Equal(t, 2, calls)
	require.Regexp(t, `(?m)^FAIL +ok +COMPLETED .*, failed: determinism `, o.stdout)
	require.Contains(t, o.stdout, "       ✗ determinism\n         two runs with seed 1 wrote different traces")
	require.Regexp(t, `the first difference is at line 5, column \d+:\n +run 1: \{"seq":5,.*"actor":"\w+"`, o.stdout)
	require.Regexp(t, `\n +run 2: \{"seq":5,.*"actor":"gremlin"`, o.stdout)
	require.Contains(t, o.stdout, "rerun: escalator run --verify-determinism --seed 1 "+ok+"\n")

	// Without the flag nobody looks.
	calls = 0
	o = runCLI(t, "run", ok)
	require.Equal(t, exitPass, o.code, o)
	require.Equal(t, 1, calls)
}

func TestFirstDifference(t *testing.T) {
	long := strings.Repeat("é", 150)
	tests := []struct {
		name       string
		a, b       string
		line, col  int
		wantA      string
		wantB      string
		contains   bool // wantA/wantB are substrings, not the whole
		linesA, lB int
	}{
		{name: "second line", a: "x\ny1\nz\n", b: "x\ny2\nz\n", line: 2, col: 2, wantA: "y1", wantB: "y2", linesA: 3, lB: 3},
		{name: "second trace longer", a: "x\n", b: "x\ny\n", line: 2, col: 1, wantA: "(end of trace)", wantB: "y", linesA: 1, lB: 2},
		{name: "first trace longer", a: "x\ny\n", b: "x\n", line: 2, col: 1, wantA: "y", wantB: "(end of trace)", linesA: 2, lB: 1},
		{name: "final newline missing", a: "x\ny\n", b: "x\ny", line: 2, col: 2, wantA: "y", wantB: "y", linesA: 2, lB: 1},
		{
			name: "long line, difference far right", a: long + "A" + long + "\n", b: long + "B" + long + "\n",
			line: 1, col: 301, wantA: "ééA", wantB: "ééB", contains: true, linesA: 1, lB: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, differ := firstDifference([]byte(tc.a), []byte(tc.b))
			require.True(t, differ)
			require.Equal(t, tc.line, d.Line)
			require.Equal(t, tc.col, d.Col)
			require.Equal(t, tc.linesA, d.LinesA)
			require.Equal(t, tc.lB, d.LinesB)
			if tc.contains {
				require.Contains(t, d.A, tc.wantA)
				require.Contains(t, d.B, tc.wantB)
				for _, s := range []string{d.A, d.B} {
					require.True(t, utf8.ValidString(s), "cut on a rune boundary")
					require.LessOrEqual(t, len(s), excerptWidth+2*len("…"))
					require.True(t, strings.HasPrefix(s, "…") && strings.HasSuffix(s, "…"), s)
				}
			} else {
				require.Equal(t, tc.wantA, d.A)
				require.Equal(t, tc.wantB, d.B)
			}
		})
	}
	_, differ := firstDifference([]byte("x\ny\n"), []byte("x\ny\n"))
	require.False(t, differ)
	_, differ = firstDifference(nil, nil)
	require.False(t, differ)
}

func TestDetectOutput(t *testing.T) {
	tests := []struct {
		name     string
		tty      bool
		color    string
		env      map[string]string
		want     outputMode
		progress bool
	}{
		{"terminal", true, "auto", nil, outputMode{color: true, progress: true}, true},
		{"pipe or file", false, "auto", nil, outputMode{}, false},
		{"NO_COLOR", true, "auto", map[string]string{"NO_COLOR": "1"}, outputMode{progress: true}, true},
		{"NO_COLOR empty counts as unset", true, "auto", map[string]string{"NO_COLOR": ""}, outputMode{color: true, progress: true}, true},
		{"CI", true, "auto", map[string]string{"CI": "true"}, outputMode{}, false},
		{"CI=false", true, "auto", map[string]string{"CI": "false"}, outputMode{color: true, progress: true}, true},
		{"--color never", true, "never", nil, outputMode{progress: true}, true},
		{"--color always, piped", false, "always", nil, outputMode{color: true}, false},
		{"--color always beats NO_COLOR and CI", true, "always", map[string]string{"NO_COLOR": "1", "CI": "true"}, outputMode{color: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := detectOutput(tc.tty, tc.color, func(k string) string { return tc.env[k] })
			require.Equal(t, tc.want, got)
		})
	}
}

// TestRunOutput drives the whole command with stdout a buffer that may
// pose as a terminal.
func TestRunOutput(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", scenarioYAML("a", ""))
	write(t, dir, "b.yaml", failingScenario)
	write(t, dir, "c.yaml", scenarioYAML("c", ""))
	real := isTerminal
	t.Cleanup(func() { isTerminal = real })

	tests := []struct {
		name             string
		tty              bool
		env              map[string]string
		args             []string
		escapes, returns bool
	}{
		{"pipe", false, nil, nil, false, false},
		{"pipe, --color always", false, nil, []string{"--color", "always"}, true, false},
		{"pipe, --color never", false, nil, []string{"--color", "never"}, false, false},
		{"terminal", true, nil, nil, true, true},
		{"terminal, NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false, true},
		{"terminal, --color never", true, nil, []string{"--color", "never"}, false, true},
		{"terminal, CI", true, map[string]string{"CI": "true"}, nil, false, false},
		{"terminal, CI, --color always", true, map[string]string{"CI": "true"}, []string{"--color", "always"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.env["CI"])
			t.Setenv("NO_COLOR", tc.env["NO_COLOR"])
			isTerminal = func(io.Writer) bool { return tc.tty }
			o := runCLI(t, append(append([]string{"run", "--parallel", "1"}, tc.args...), dir)...)
			require.Equal(t, exitFailed, o.code, o)
			require.Equal(t, tc.escapes, strings.Contains(o.stdout, "\x1b["), "escape codes")
			require.Equal(t, tc.returns, strings.Contains(o.stdout, "\r"), "carriage returns")
			require.NotContains(t, o.stderr, "\x1b")

			// What a terminal ends up showing: each \r returns to the start
			// of the line and the progress line is blanked before a result.
			var screen []string
			for line := range strings.Lines(o.stdout) {
				if i := strings.LastIndexByte(line, '\r'); i >= 0 {
					line = line[i+1:]
				}
				screen = append(screen, strings.TrimRight(stripANSI(line), "\n"))
			}
			require.Regexp(t, `^PASS   a +COMPLETED`, screen[0])
			require.Regexp(t, `^FAIL   gap +COMPLETED`, screen[1])
			require.Regexp(t, `^PASS   c +COMPLETED`, screen[2])
			require.Equal(t, "", screen[3])
			require.Regexp(t, `^PASSED 2  FAILED 1  EXPECTED FAILURES 0  ERRORS 0   \(3 scenarios, .*\)$`, screen[4])
			if tc.returns {
				require.Contains(t, o.stdout, "[1/3] running ")
				require.NotContains(t, screen[len(screen)-1], "running", "the progress line is gone at the end")
			}
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansi.ReplaceAllString(s, "") }

// TestRunSkipsManualScenarios: a folder's run=manual scenarios (the large
// points of the scale curve) run only when named as a file or selected by
// --label run.
func TestRunSkipsManualScenarios(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", scenarioYAML("a", "flow: F1"))
	write(t, dir, "big.yaml", scenarioYAML("big", "flow: F1, run: manual"))
	big := filepath.Join(dir, "big.yaml")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"a folder skips it", []string{dir}, []string{"a"}},
		{"named as a file, it runs", []string{big}, []string{"big"}},
		{"a folder and the file", []string{dir, big}, []string{"a", "big"}},
		{"--label run=manual selects it", []string{"--label", "run=manual", dir}, []string{"big"}},
		{"--label run, any value", []string{"--label", "run", dir}, []string{"big"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, listed(t, tc.args...))
		})
	}
	o := runCLI(t, "run", "--no-db", dir)
	require.Equal(t, exitPass, o.code, o)
	require.Equal(t, []string{"a"}, ran(o.stdout))
	require.Contains(t, o.stdout, "1 scenarios labelled run=manual not run: name the file, or add --label run=manual")
}

// TestRunTraceStreamed: --trace writes the trace as the run emits it, the
// same bytes whether or not the run keeps it in memory for the history.
func TestRunTraceStreamed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", scenarioYAML("a", "flow: F1"))
	kept, streamed := t.TempDir(), t.TempDir()
	o := runCLI(t, "run", "--db", filepath.Join(t.TempDir(), "h.db"), "--trace", kept, dir)
	require.Equal(t, exitPass, o.code, o)
	o = runCLI(t, "run", "--no-db", "--trace", streamed, dir)
	require.Equal(t, exitPass, o.code, o)
	a, err := os.ReadFile(filepath.Join(kept, "a.ndjson"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(streamed, "a.ndjson"))
	require.NoError(t, err)
	require.NotEmpty(t, a)
	require.Equal(t, string(a), string(b))
	left, err := filepath.Glob(filepath.Join(streamed, ".trace-*"))
	require.NoError(t, err)
	require.Empty(t, left)
}
