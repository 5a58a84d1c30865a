// Command escalator runs upgrade scenarios against the real orchestrator and
// a simulated NFVI, or a real OpenStack (`vim --cloud openstack`, wired in
// cloud.go), and judges them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// Exit codes, the CLI edge of the error codes.
const (
	exitPass    = 0
	exitFailed  = 1
	exitUsage   = 2
	exitHarness = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `escalator — upgrade orchestrator, simulated NFVI and conformance testbed

Usage:
  escalator run [flags] PATH...       run scenario files or folders and judge them
  escalator validate PATH...          check scenario files without running them
  escalator schema                    print the scenario format's JSON Schema, for editors
  escalator history                   list recorded runs (the SQLite run history)
  escalator report RUN_ID --html F    re-render a recorded run
  escalator compare RUN_A RUN_B       which checks and metrics changed between two runs
  escalator vim --scenario FILE       serve the VIM APIs over a simulated NFVI (or --cloud openstack), in real time
  escalator vnfm --vim URL            run the reference VNFM as its own process
  escalator demo                      watch an upgrade live in a browser (dashboard at 127.0.0.1:8080)
  escalator conform --vnfm URL        run the conformance suite against a VNFM, in real time
  escalator version                   print the version

Run 'escalator COMMAND --help' for a command's flags.
Exit codes: 0 pass, 1 a check failed, 2 bad input or usage, 3 harness error.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "schema":
		return cmdSchema(args[1:], stdout, stderr)
	case "history":
		return cmdHistory(args[1:], stdout, stderr)
	case "report":
		return cmdReport(args[1:], stdout, stderr)
	case "compare":
		return cmdCompare(args[1:], stdout, stderr)
	case "vim":
		return cmdVIM(ctx, args[1:], stdout, stderr)
	case "vnfm":
		return cmdVNFM(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "conform":
		return cmdConform(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "escalator", version)
		return exitPass
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitPass
	}
	fmt.Fprintf(stderr, "escalator: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: escalator %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse accepts flags before, between and after the paths (people write
// "escalator run scenarios/ --trace out"), and maps flag errors to exit
// codes: --help is a success, anything else a usage error. "--" ends flags.
// The paths are left in fs.Args().
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitPass, false
			}
			return exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			paths = append(paths, rest...)
			break
		}
		paths = append(paths, rest[0])
		args = rest[1:]
	}
	_ = fs.Parse(append([]string{"--"}, paths...))
	if fs.NArg() == 0 {
		fmt.Fprintf(fs.Output(), "escalator %s: name at least one scenario file or folder\n", fs.Name())
		fs.Usage()
		return exitUsage, false
	}
	return 0, true
}

// runGCPercent and runMemoryLimit are escalator run's garbage collector
// settings. A run allocates much and briefly (each message is encoded,
// decoded and validated a few times over) above a live heap that is mostly
// the world. Go's default target (a heap of twice the live one) spent a
// fifth of a 1,000-node run's CPU collecting; five times the live heap
// spends under a tenth, and the soft limit stops a large run's heap there
// (bench/PROFILE.md). GOGC or GOMEMLIMIT in the environment win.
const (
	runGCPercent   = 400
	runMemoryLimit = 1536 << 20
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(runGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(runMemoryLimit)
	}
}

func loadScenarios(paths []string, lim load.Limits, stderr io.Writer) ([]*spec.Scenario, int) {
	list, err := lim.Paths(paths)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if escalator.ErrorCode(err) == escalator.EINVALID || escalator.ErrorCode(err) == escalator.ENOTFOUND {
			return nil, exitUsage
		}
		return nil, exitHarness
	}
	if len(list) == 0 {
		fmt.Fprintf(stderr, "no scenario files (*.yaml, *.yml) under %s\n", strings.Join(paths, ", "))
		return nil, exitUsage
	}
	return list, 0
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", "validate [flags] PATH...", stderr)
	var in inputFlags
	in.define(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	list, code := loadScenarios(fs.Args(), in.limits(), stderr)
	if code != 0 {
		return code
	}
	for _, s := range list {
		fmt.Fprintf(stdout, "ok  %s  (%s)\n", s.Path, s.Name)
	}
	return exitPass
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", runSynopsis, stderr)
	var o runOptions
	o.define(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, runHelp)
		fs.PrintDefaults()
		fmt.Fprint(stderr, runExamples)
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "escalator run: %v\n", err)
		return exitUsage
	}
	tuneGC(os.Getenv)
	list, code := loadScenarios(fs.Args(), o.input.limits(), stderr)
	if code != 0 {
		return code
	}
	named := map[string]bool{}
	for _, p := range fs.Args() {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			named[filepath.Clean(p)] = true
		}
	}
	sel, err := o.selectScenarios(list, named)
	if err != nil {
		fmt.Fprintf(stderr, "escalator run: %v\n", err)
		return exitUsage
	}
	if o.list {
		for _, s := range sel.list {
			line := fmt.Sprintf("%-44s %s  %s", s.Name, s.Path, labelList(s.Labels))
			fmt.Fprintln(stdout, strings.TrimRight(line, " "))
		}
		return exitPass
	}
	if o.traceDir != "" {
		if err := os.MkdirAll(o.traceDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "escalator run: cannot create trace folder: %v\n", err)
			return exitHarness
		}
	}
	return o.execute(ctx, sel, stdout, stderr)
}

// writeTrace writes a trace atomically: a reader never sees half a file.
// withSeed names the file after the seed too, for repeated runs. streamed,
// when set, is a file in dir that already holds the trace, written as the
// run emitted it: it only gets its name.
func writeTrace(dir string, r *judge.Result, withSeed bool, names map[string]int, streamed string) error {
	name := r.Scenario.Name
	if withSeed {
		name = fmt.Sprintf("%s.seed%d", name, r.Seed)
	}
	names[name]++
	if n := names[name]; n > 1 {
		name = fmt.Sprintf("%s.%d", name, n)
	}
	path, err := outputPath(dir, name+".ndjson")
	if err != nil {
		if streamed != "" {
			os.Remove(streamed)
		}
		return err
	}
	if streamed != "" {
		if err := os.Rename(streamed, path); err != nil {
			os.Remove(streamed)
			return err
		}
		return nil
	}
	return writeTraceFile(path, func(f *os.File) error { return escalator.WriteNDJSON(f, r.Events) })
}
