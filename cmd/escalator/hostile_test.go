package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/reports/history"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

var updateHostile = flag.Bool("update", false, "rewrite testdata/hostile.golden from the hostile-input corpus")

// hostileCorpus holds scenario files written as an attacker or a careless
// user would: names that leave the trace folder, values the run cannot
// honour, worlds too large, expectations no run meets, YAML that expands.
const hostileCorpus = "../../scenarios/load/testdata/hostile"

// hostileNoHint are the corpus files whose problem speaks for itself; every
// other one must come with a hint.
var hostileNoHint = []string{
	"binary-garbage.yaml", "deep-nesting.yaml", "duration-negative.yaml", "factor-huge.yaml",
	"integer-beyond-int64.yaml", "merge-loop.yaml", "name-empty.yaml", "probability-above-one.yaml",
	"probability-negative.yaml", "speed-huge.yaml",
}

// TestHostileCorpus validates every file of the corpus through the
// command line: each is bad input (exit 2), each problem is one line that
// names the file, line and column, and the whole output is golden
// (testdata/hostile.golden; go test -run TestHostileCorpus -update).
func TestHostileCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(hostileCorpus, "*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 40, "the corpus keeps at least 40 hostile files")
	var golden bytes.Buffer
	for _, f := range files {
		name := filepath.Base(f)
		// One subtest a file, so that each reproducer fails on its own.
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			o := runCLI(t, "validate", f)
			fmt.Fprintf(&golden, "== %s\nexit %d\n%s\n", name, o.code, strings.ReplaceAll(strings.TrimSpace(o.stderr), f, name))
			require.Equal(t, exitUsage, o.code, "%s: %s", name, o)
			require.Empty(t, o.stdout, name)
			lines := strings.Split(strings.TrimSuffix(o.stderr, "\n"), "\n")
			line := regexp.MustCompile(`^` + regexp.QuoteMeta(f) + `:[0-9]+:[0-9]+: \S.*$`)
			for _, l := range lines {
				require.Regexp(t, line, l, "%s: every problem names its file, line and column", name)
			}
			if !slices.Contains(hostileNoHint, name) {
				require.Regexp(t, `\(hint: .+\)$`, lines[0], "%s: the problem comes with a hint", name)
			}
		})
	}
	path := filepath.Join("testdata", "hostile.golden")
	if *updateHostile {
		require.NoError(t, os.WriteFile(path, golden.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestHostileCorpus -update to create it")
	require.Equal(t, string(want), golden.String(), "the corpus's messages changed; review, then go test -run TestHostileCorpus -update")
}

// TestHostileFiles feeds the loader what is no scenario file, each within
// a time and, where a file is large, a memory bound: the loader must
// refuse these from a stat, without reading them.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	require.NoError(t, err)
	// Sparse: 50 MB on paper, no disk and no time to write.
	require.NoError(t, f.Truncate(50<<20))
	require.NoError(t, f.Close())
	linked := filepath.Join(dir, "linked")
	require.NoError(t, os.Mkdir(linked, 0o755))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(linked, "zero.yaml")))
	folder := filepath.Join(dir, "folder.yaml")
	require.NoError(t, os.Mkdir(folder, 0o755))
	// A file of more values than the decoder visits, with no alias at all:
	// the hint must not blame aliases.
	var b strings.Builder
	b.WriteString("name: t\nnodes: {count: 2}\nupgrade: {targetVersion: \"2.0\"}\nvnfs:\n  - {name: a, mode: load-balanced, placement: [")
	b.WriteString(strings.TrimSuffix(strings.Repeat("compute-1, ", 100_001), ", "))
	b.WriteString("]}\n")
	many := write(t, dir, "many.yaml", b.String())
	over := write(t, dir, "over.yaml", okScenario+strings.Repeat("# padding\n", 2<<10))

	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string // the whole first line, or its end when it starts with "..."
		maxHeap uint64 // bytes the command may allocate; 0: no bound
		parses  bool   // the file is read and parsed: no bound on time
	}{
		{name: "/dev/zero", args: []string{"validate", "/dev/zero"}, code: exitUsage,
			stderr: "/dev/zero: not a regular file: a character device (hint: a scenario is a .yaml file; escalator reads no devices, FIFOs or sockets)", maxHeap: 1 << 20},
		{name: "a FIFO", args: []string{"validate", fifo}, code: exitUsage,
			stderr: fifo + ": not a regular file: a FIFO (named pipe) (hint: a scenario is a .yaml file; escalator reads no devices, FIFOs or sockets)"},
		{name: "a FIFO to run", args: []string{"run", "--no-db", fifo}, code: exitUsage,
			stderr: fifo + ": not a regular file: a FIFO (named pipe) (hint: a scenario is a .yaml file; escalator reads no devices, FIFOs or sockets)"},
		{name: "a FIFO to vim", args: []string{"vim", "--scenario", fifo}, code: exitUsage,
			stderr: fifo + ": not a regular file: a FIFO (named pipe) (hint: a scenario is a .yaml file; escalator reads no devices, FIFOs or sockets)"},
		{name: "a device behind a link in a folder", args: []string{"validate", linked}, code: exitUsage,
			stderr: filepath.Join(linked, "zero.yaml") + ": not a regular file: a character device (hint: a scenario is a .yaml file; escalator reads no devices, FIFOs or sockets)"},
		{name: "a folder where a file is wanted", args: []string{"vim", "--scenario", folder}, code: exitUsage,
			stderr: folder + ": not a regular file: a folder (hint: a scenario is a .yaml file; escalator reads no devices, FIFOs or sockets)"},
		{name: "50 MB", args: []string{"validate", big}, code: exitUsage, maxHeap: 1 << 20,
			stderr: big + ": the file is 50MiB, more than the 16MiB a scenario may be (hint: a scenario is a few KiB: generate nodes with nodes.count and VNFs with replicas instead of listing them, or raise the cap with --max-input-size, e.g. --max-input-size 64MiB)"},
		{name: "over a lowered cap", args: []string{"validate", "--max-input-size", "1KiB", over}, code: exitUsage,
			stderr: over + ": the file is 20.1KiB, more than the 1KiB a scenario may be (hint: a scenario is a few KiB: generate nodes with nodes.count and VNFs with replicas instead of listing them, or raise the cap with --max-input-size, e.g. --max-input-size 1MiB)"},
		{name: "under the cap", args: []string{"validate", "--max-input-size", "64KiB", over}, code: exitPass},
		{name: "too many values, no alias", args: []string{"validate", many}, code: exitUsage, parses: true,
			stderr: "...: the document expands to more than 100000 values (hint: the file itself holds that many: generate nodes with nodes.count and VNFs with replicas instead of listing each, or split the scenario)"},
		{name: "a bad size", args: []string{"validate", "--max-input-size", "lots", over}, code: exitUsage,
			stderr: `invalid value "lots" for flag -max-input-size: want a size of at least 1 byte and at most 1TiB, e.g. 64MiB or 1048576`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			done := make(chan runOutput, 1)
			go func() { done <- runCLI(t, tc.args...) }()
			var o runOutput
			select {
			case o = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("escalator %s still running after 10s: it reads what it should refuse", strings.Join(tc.args, " "))
			}
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			require.Equal(t, tc.code, o.code, o)
			first := strings.SplitN(o.stderr, "\n", 2)[0]
			if end, ok := strings.CutPrefix(tc.stderr, "..."); ok {
				require.True(t, strings.HasSuffix(first, end), o)
			} else if tc.stderr != "" {
				require.Equal(t, tc.stderr, first, o)
			}
			if !tc.parses {
				require.Less(t, took, time.Second, "refused from a stat, not by reading")
			}
			if tc.maxHeap > 0 {
				require.Less(t, after.TotalAlloc-before.TotalAlloc, tc.maxHeap, "refused without reading the file")
			}
		})
	}
}

// TestTraceNameCannotEscape is the reproducer: a scenario named
// ../../../escaped-by-name wrote its trace three folders above --trace.
// The loader refuses the name, and outputPath guards every writer.
func TestTraceNameCannotEscape(t *testing.T) {
	root := t.TempDir()
	x := write(t, root, "x.yaml", "name: \"../../../escaped-by-name\"\nnodes: {count: 3}\nupgrade: {targetVersion: \"2.0\"}\n")
	nul := write(t, root, "nul.yaml", "name: \"a\\0b\"\nnodes: {count: 3}\nupgrade: {targetVersion: \"2.0\"}\n")
	traces := filepath.Join(root, "tr", "a", "b")

	for _, f := range []string{x, nul} {
		o := runCLI(t, "run", "--no-db", "--trace", traces, f)
		require.Equal(t, exitUsage, o.code, o)
		require.Contains(t, o.stderr, f+":1:7: name: invalid scenario name")
		// vim --trace writes through the same guard, after the same loader.
		o = runCLI(t, "vim", "--scenario", f, "--trace", traces, "--listen", "127.0.0.1:0")
		require.Equal(t, exitUsage, o.code, o)
		require.Contains(t, o.stderr, f+":1:7: name: invalid scenario name")
	}
	var written []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".yaml") {
			written = append(written, p)
		}
		return err
	}))
	require.Empty(t, written, "no trace, and no temporary file, anywhere")
}

// TestWriteTraceStaysInItsFolder holds the writer to its folder whatever
// the name, for scenarios built in code that no loader saw, and leaves no
// temporary file behind on any failure.
func TestWriteTraceStaysInItsFolder(t *testing.T) {
	for _, name := range []string{"../up", "a/b", "..", ".", "", "a\x00b", `a\b`, "/abs"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			dir := t.TempDir()
			r := &judge.Result{Scenario: &spec.Scenario{Name: name}, Events: []escalator.Event{{Seq: 1, Kind: "x"}}}
			err := writeTrace(dir, r, false, map[string]int{}, "")
			require.Error(t, err)
			require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err), err)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries)
			require.NoFileExists(t, filepath.Join(filepath.Dir(dir), "up.ndjson"))
		})
	}
	t.Run("the rename fails", func(t *testing.T) {
		dir := t.TempDir()
		// A folder where the trace goes: the rename cannot replace it.
		require.NoError(t, os.Mkdir(filepath.Join(dir, "ok.ndjson"), 0o755))
		r := &judge.Result{Scenario: &spec.Scenario{Name: "ok"}, Events: []escalator.Event{{Seq: 1, Kind: "x"}}}
		require.Error(t, writeTrace(dir, r, false, map[string]int{}, ""))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "only the folder; no .trace-* left")
	})
	t.Run("the writer panics", func(t *testing.T) {
		dir := t.TempDir()
		require.Panics(t, func() {
			_ = writeTraceFile(filepath.Join(dir, "ok.ndjson"), func(*os.File) error { panic("boom") })
		})
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries, "no .trace-* left")
	})
	t.Run("the encoding fails", func(t *testing.T) {
		dir := t.TempDir()
		r := &judge.Result{Scenario: &spec.Scenario{Name: "ok"},
			Events: []escalator.Event{{Seq: 1, Kind: "x", Fields: map[string]any{"factor": math.Inf(1)}}}}
		require.Error(t, writeTrace(dir, r, false, map[string]int{}, ""))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries, "no .trace-* left")
	})
}

// TestHarnessErrorIsRecorded: a run that ends in a harness error (exit 3)
// is still in the history, with its error. Before, a trace the history
// could not encode (a factor of .inf) lost the whole run, and a trace that
// could not be written left the run recorded as a pass.
func TestHarnessErrorIsRecorded(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	real := runScenario
	t.Cleanup(func() { runScenario = real })
	runScenario = func(ctx context.Context, s *spec.Scenario, opt scenarios.Options) *judge.Result {
		r := real(ctx, s, opt)
		r.Events = slices.Clone(r.Events)
		// What .inf in a scenario used to put in the trace.
		r.Events[3].Fields = map[string]any{"factor": math.Inf(1)}
		return r
	}
	db := filepath.Join(dir, "history.db")
	o := runCLI(t, "run", "--db", db, ok)
	require.Equal(t, exitHarness, o.code, o)
	require.Contains(t, o.stderr, "the trace of ok cannot be encoded")

	runScenario = real
	traces := filepath.Join(dir, "traces")
	require.NoError(t, os.MkdirAll(filepath.Join(traces, "ok.ndjson"), 0o755))
	o = runCLI(t, "run", "--db", db, "--trace", traces, ok)
	require.Equal(t, exitHarness, o.code, o)
	require.Regexp(t, `(?m)^ERROR +ok +the trace was not written`, o.stdout)

	st, err := history.Open(db, load.Bytes)
	require.NoError(t, err)
	defer st.Close()
	runs, err := st.Runs(history.Filter{})
	require.NoError(t, err)
	require.Len(t, runs, 2, "both runs are in the history")
	wantErr := []string{"the trace was not written", "the trace cannot be encoded"} // newest first
	for i, sum := range runs {
		require.Equal(t, 1, sum.Errors, "%+v", sum)
		run, err := st.Load(sum.ID)
		require.NoError(t, err)
		require.Len(t, run.Results, 1)
		r := run.Results[0]
		require.Equal(t, judge.VerdictError, r.Verdict)
		require.ErrorContains(t, r.Err, wantErr[i])
	}
}

// TestMaxWorld: the world cap refuses a scenario past it with a hint that
// names the flag, the flag lets it through, and the bundled scale
// scenario passes under the defaults.
func TestMaxWorld(t *testing.T) {
	dir := t.TempDir()
	large := write(t, dir, "large.yaml", "name: large\nnodes: {count: 12000, vcpus: 64}\nvnfs: [{name: w, mode: active-standby, instances: 4, replicas: 60000}]\nupgrade: {targetVersion: \"2.0\", maxParallel: 100}\n")
	o := runCLI(t, "validate", large)
	require.Equal(t, exitUsage, o.code, o)
	require.Equal(t, large+":2:16: nodes.count: 12000 nodes are more than the 10000 a scenario may have (hint: the large scenarios live in scenarios/scale/; to go past the cap run with --max-world NODES/VMS, e.g. --max-world 20000/400000)\n"+
		large+":3:64: vnfs[0].replicas: the VNFs have 240000 VMs in all (instances × replicas), more than the 200000 a scenario may have (hint: the large scenarios live in scenarios/scale/; to go past the cap run with --max-world NODES/VMS, e.g. --max-world 20000/400000)\n", o.stderr)
	o = runCLI(t, "validate", "--max-world", "20000/400000", large)
	require.Equal(t, exitPass, o.code, o)
	o = runCLI(t, "validate", "--max-world", "10000", large)
	require.Equal(t, exitUsage, o.code, o)
	require.Contains(t, o.stderr, "want NODES/VMS, two whole numbers of at least 1, e.g. 20000/400000")
	o = runCLI(t, "validate", "../../scenarios/scale/")
	require.Equal(t, exitPass, o.code, o)
}

func TestInputFlags(t *testing.T) {
	sizes := []struct {
		in   string
		want int64 // 0: refused
	}{
		{"16MiB", 16 << 20}, {"64M", 64 << 20}, {"1GiB", 1 << 30}, {"512KiB", 512 << 10}, {"2KB", 2 << 10},
		{"1048576", 1 << 20}, {"900B", 900}, {" 8 MiB ", 8 << 20},
		{"0", 0}, {"-1MiB", 0}, {"lots", 0}, {"2TiB", 0}, {"1.5MiB", 0}, {"", 0},
	}
	for _, tc := range sizes {
		var f sizeFlag
		err := f.Set(tc.in)
		if tc.want == 0 {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, int64(f), tc.in)
	}
	var f sizeFlag = load.DefaultMaxInputSize
	require.Equal(t, "16MiB", f.String())

	var w worldFlag
	require.NoError(t, w.Set("10000/200000"))
	require.Equal(t, worldFlag{10000, 200000}, w)
	for _, bad := range []string{"10000", "0/5", "5/0", "a/b", "-1/5", "/"} {
		require.Error(t, w.Set(bad), bad)
	}

	for _, ok := range []string{"f1.ndjson", "f1.seed7.2.ndjson", "a_b-c.ndjson"} {
		p, err := outputPath("out", ok)
		require.NoError(t, err, ok)
		require.Equal(t, filepath.Join("out", ok), p)
	}
}
