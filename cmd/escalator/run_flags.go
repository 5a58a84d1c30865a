package main

import (
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"maps"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// runOptions are the flags of `escalator run`.
type runOptions struct {
	traceDir string
	seed     int64
	parallel int
	run      regexpFlag
	labels   labelsFlag
	shard    shardFlag
	failFast bool
	repeat   int
	verify   bool
	color    colorFlag
	list     bool
	reports  reportFlags
	db       string
	noDB     bool
	input    inputFlags
	// streamed maps a result to the file its trace was streamed to.
	streamed sync.Map
}

func (o *runOptions) define(fs *flag.FlagSet) {
	fs.StringVar(&o.traceDir, "trace", "", "write one NDJSON event trace per run into `DIR`, e.g. --trace out/")
	fs.Int64Var(&o.seed, "seed", 0, "override every scenario's seed with `N`, e.g. --seed 42 (0: each file's own seed)")
	fs.IntVar(&o.parallel, "parallel", runtime.NumCPU(), "run up to `N` scenarios at once, e.g. --parallel 1; results still print in input order")
	fs.Var(&o.run, "run", "only scenarios whose name matches the Go regular expression `REGEX`, e.g. --run '^f1-'")
	fs.Var(&o.labels, "label", "only scenarios labelled `KEY=VALUE` (or just KEY, any value); repeat to require several, e.g. --label flow=F1 --label fault")
	fs.Var(&o.shard, "shard", "run only shard `I/N` of the selection (1 <= I <= N), for CI matrices, e.g. --shard 2/4; a scenario's shard is set by a hash of its name")
	fs.BoolVar(&o.failFast, "fail-fast", false, "start no more scenarios after the first FAIL or ERROR (running ones finish), e.g. --fail-fast --parallel 1")
	fs.IntVar(&o.repeat, "repeat", 1, "run each scenario `N` times with seeds S, S+1, ... S+N-1 (S: --seed, else the file's seed; 0 is skipped), e.g. --repeat 20")
	fs.BoolVar(&o.verify, "verify-determinism", false, "run each scenario twice with the same seed and fail it when the NDJSON traces differ, e.g. --verify-determinism")
	fs.Var(&o.color, "color", "colour the verdicts: `WHEN` is auto (the default: on a terminal unless CI or NO_COLOR is set), always or never, e.g. --color never")
	fs.StringVar(&o.reports.junit, "junit", "", "write a JUnit XML report to `FILE` (one testsuite per scenario, one testcase per check), e.g. --junit out/junit.xml")
	fs.StringVar(&o.reports.json, "json", "", "write the whole result as JSON to `FILE` (schema: reports/schema/run.schema.json), e.g. --json out/run.json")
	fs.StringVar(&o.reports.markdown, "markdown", "", "write a Markdown summary for a pull request or $GITHUB_STEP_SUMMARY to `FILE`")
	fs.StringVar(&o.reports.html, "html", "", "write one self-contained HTML report (timelines, availability, message sequence) to `FILE`, e.g. --html out/report.html")
	fs.StringVar(&o.db, "db", defaultDB, "record the run in the SQLite history at `FILE` (see escalator history)")
	fs.BoolVar(&o.noDB, "no-db", false, "do not record the run in the history")
	o.input.define(fs)
	fs.BoolVar(&o.list, "list", false, "print the selected scenarios (name, path, labels) without running them, e.g. --list --shard 2/4")
}

const runSynopsis = "run [flags] PATH..."

const runHelp = `Usage: escalator run [flags] PATH...

Runs scenario files, or every *.yaml and *.yml under a folder, in virtual
time and judges them. Each run prints one line, in input order; a summary
follows with the totals first, then every failure with the checks that
failed, their trace excerpts and the exact command that reruns it.

Flags:
`

const runExamples = `
Selection: --run and --label filter first; --shard then splits what is
left. Shard I of N holds the scenarios whose name hashes to I-1, the hash
being FNV-1a (64-bit) of the name, mod N. So a scenario stays in its shard
whatever other scenarios are added, removed or filtered out, and the N
shards of one selection run every scenario exactly once. A filter that
matches nothing is a usage error (exit 2); an empty shard is not.
Scenarios labelled run=manual (the large points of the scale curve) are
skipped when found in a folder: name the file, or add --label run=manual.

Output: on a terminal, and with CI unset, a progress line is rewritten in
place and verdicts are coloured (NO_COLOR turns colour off, --color
overrides both). Anywhere else: plain lines, no escape codes.

Examples:
  escalator run scenarios/
  escalator run --run '^f1-' --label suite=smoke scenarios/
  escalator run --label fault --label flow=F2 scenarios/
  escalator run --shard 2/4 scenarios/              # CI matrix job 2 of 4
  escalator run --list --shard 2/4 scenarios/       # what job 2 of 4 runs
  escalator run --fail-fast --parallel 1 scenarios/
  escalator run --repeat 50 scenarios/flows/f1-mixed.yaml
  escalator run --verify-determinism scenarios/
  escalator run --seed 42 --trace out/ scenarios/faults/
  escalator run --color never scenarios/ > run.log

Exit codes: 0 every run met its expectation, 1 a check failed (or a trace
was not deterministic), 2 bad input or usage, 3 harness error.
`

// check validates the values flag parsing cannot.
func (o *runOptions) check() error {
	if o.parallel < 1 {
		return errors.New("--parallel must be at least 1")
	}
	if o.repeat < 1 {
		return errors.New("--repeat must be at least 1")
	}
	return nil
}

// regexpFlag is --run.
type regexpFlag struct{ re *regexp.Regexp }

func (f *regexpFlag) String() string {
	if f == nil || f.re == nil {
		return ""
	}
	return f.re.String()
}

func (f *regexpFlag) Set(s string) error {
	re, err := regexp.Compile(s)
	if err != nil {
		return err
	}
	f.re = re
	return nil
}

// labelsFlag is --label, repeatable: every pair must hold.
type labelsFlag []labelMatch

type labelMatch struct {
	key, value string
	anyValue   bool
}

func (m labelMatch) String() string {
	if m.anyValue {
		return m.key
	}
	return m.key + "=" + m.value
}

func (f *labelsFlag) String() string {
	if f == nil {
		return ""
	}
	parts := make([]string, len(*f))
	for i, m := range *f {
		parts[i] = m.String()
	}
	return strings.Join(parts, ",")
}

func (f *labelsFlag) Set(s string) error {
	key, value, hasValue := strings.Cut(s, "=")
	switch {
	case strings.TrimSpace(key) == "":
		return errors.New("want KEY=VALUE or KEY, e.g. flow=F1")
	case hasValue && value == "":
		return fmt.Errorf("empty value for label %q: want %s=VALUE, or just %s to accept any value", key, key, key)
	}
	*f = append(*f, labelMatch{key: key, value: value, anyValue: !hasValue})
	return nil
}

func (f labelsFlag) matches(labels map[string]string) bool {
	for _, m := range f {
		v, ok := labels[m.key]
		if !ok || (!m.anyValue && v != m.value) {
			return false
		}
	}
	return true
}

// shardFlag is --shard I/N; the zero value is the whole selection.
type shardFlag struct{ i, n int }

func (f *shardFlag) String() string {
	if f == nil || f.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", f.i, f.n)
}

func (f *shardFlag) Set(s string) error {
	a, b, ok := strings.Cut(s, "/")
	i, errI := strconv.Atoi(a)
	n, errN := strconv.Atoi(b)
	switch {
	case !ok || errI != nil || errN != nil:
		return errors.New("want I/N, e.g. 2/4 for the second of four shards")
	case n < 1:
		return errors.New("the shard count N must be at least 1")
	case i < 1 || i > n:
		return fmt.Errorf("the shard index I must be between 1 and %d (shards are numbered from 1)", n)
	}
	f.i, f.n = i, n
	return nil
}

// shardOf is the 1-based shard of n that a scenario belongs to: FNV-1a
// (64-bit) of its name, mod n. It depends on nothing but the name, so
// adding, removing or filtering out other scenarios never moves it.
func shardOf(name string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int(h.Sum64()%uint64(n)) + 1
}

// colorFlag is --color.
type colorFlag string

const (
	colorAuto   = "auto"
	colorAlways = "always"
	colorNever  = "never"
)

func (f *colorFlag) String() string {
	if f == nil || *f == "" {
		return colorAuto
	}
	return string(*f)
}

func (f *colorFlag) Set(s string) error {
	switch s {
	case colorAuto, colorAlways, colorNever:
		*f = colorFlag(s)
		return nil
	}
	return errors.New("want auto, always or never")
}

// selection is what the filters and the shard left to run.
type selection struct {
	list     []*spec.Scenario
	loaded   int // scenarios loaded
	filtered int // left by --run and --label, before the shard
	manual   int // labelled run=manual, found in a folder and not asked for
}

// Scenarios labelled run=manual (the 2,000- to 10,000-node points of the
// scale curve, minutes of CPU each) run only when asked for: named as a
// file, or selected with --label run=manual. A run of a whole folder, make
// run's, skips them.
const (
	labelRun    = "run"
	labelManual = "manual"
)

// manualSkipped reports whether s is held back by its run=manual label.
func (o *runOptions) manualSkipped(s *spec.Scenario, named map[string]bool) bool {
	if s.Labels[labelRun] != labelManual || named[filepath.Clean(s.Path)] {
		return false
	}
	for _, m := range o.labels {
		if m.key == labelRun {
			return false
		}
	}
	return true
}

// filterDesc describes --run and --label for messages.
func (o *runOptions) filterDesc() string {
	var parts []string
	if o.run.re != nil {
		parts = append(parts, "--run "+strconv.Quote(o.run.re.String()))
	}
	for _, m := range o.labels {
		parts = append(parts, "--label "+m.String())
	}
	return strings.Join(parts, " ")
}

// selectScenarios applies --run and --label, then --shard, keeping the
// input order.
// named are the scenario files given by name (not found in a folder).
func (o *runOptions) selectScenarios(list []*spec.Scenario, named map[string]bool) (selection, error) {
	sel := selection{loaded: len(list)}
	var kept []*spec.Scenario
	for _, s := range list {
		if o.manualSkipped(s, named) {
			sel.manual++
			continue
		}
		if o.run.re != nil && !o.run.re.MatchString(s.Name) {
			continue
		}
		if !o.labels.matches(s.Labels) {
			continue
		}
		kept = append(kept, s)
	}
	sel.filtered = len(kept)
	if len(kept) == 0 {
		return sel, fmt.Errorf("no scenario matches %s (of %d loaded)", o.filterDesc(), len(list))
	}
	if o.shard.n == 0 {
		sel.list = kept
		return sel, nil
	}
	for _, s := range kept {
		if shardOf(s.Name, o.shard.n) == o.shard.i {
			sel.list = append(sel.list, s)
		}
	}
	return sel, nil
}

// notes are the summary lines about the selection.
func (o *runOptions) notes(sel selection) []string {
	var out []string
	if sel.manual > 0 {
		out = append(out, fmt.Sprintf("%d scenarios labelled run=manual not run: name the file, or add --label run=manual", sel.manual))
	}
	if sel.filtered+sel.manual != sel.loaded {
		out = append(out, fmt.Sprintf("selected %d of %d scenarios: %s", sel.filtered, sel.loaded, o.filterDesc()))
	}
	if o.shard.n > 0 {
		out = append(out, fmt.Sprintf("shard %s: %d of %d scenarios", o.shard.String(), len(sel.list), sel.filtered))
	}
	return out
}

// labelList renders labels sorted, for --list.
func labelList(labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, " ")
}
