// Command escalator runs upgrade scenarios against the real orchestrator and
// a simulated NFVI, and judges them.
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
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios"
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
  escalator vim --scenario FILE       serve the VIM APIs over a simulated NFVI, in real time
  escalator vnfm --vim URL            run the reference VNFM as its own process
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
	case "vim":
		return cmdVIM(ctx, args[1:], stdout, stderr)
	case "vnfm":
		return cmdVNFM(ctx, args[1:], stdout, stderr)
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

func load(paths []string, stderr io.Writer) ([]*scenarios.Scenario, int) {
	list, err := scenarios.LoadPaths(paths)
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
	fs := newFlags("validate", "validate PATH...", stderr)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	list, code := load(fs.Args(), stderr)
	if code != 0 {
		return code
	}
	for _, s := range list {
		fmt.Fprintf(stdout, "ok  %s  (%s)\n", s.Path, s.Name)
	}
	return exitPass
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "run [flags] PATH...", stderr)
	traceDir := fs.String("trace", "", "write one NDJSON event trace per scenario into `DIR`")
	seed := fs.Int64("seed", 0, "override every scenario's seed")
	parallel := fs.Int("parallel", runtime.NumCPU(), "run up to `N` scenarios at once")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *parallel < 1 {
		fmt.Fprintln(stderr, "escalator run: --parallel must be at least 1")
		return exitUsage
	}
	list, code := load(fs.Args(), stderr)
	if code != 0 {
		return code
	}
	if *traceDir != "" {
		if err := os.MkdirAll(*traceDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "escalator run: cannot create trace folder: %v\n", err)
			return exitHarness
		}
	}

	out := reports.Terminal{W: stdout, Command: "escalator run"}
	start := time.Now()
	results := make([]*scenarios.Result, len(list))
	walls := make([]time.Duration, len(list))
	done := make([]chan struct{}, len(list))
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for i, s := range list {
		done[i] = make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			t0 := time.Now()
			results[i] = scenarios.Run(ctx, s, scenarios.Options{Seed: *seed})
			walls[i] = time.Since(t0)
			<-sem
			close(done[i])
		}()
	}
	exit := exitPass
	names := map[string]int{}
	for i := range list {
		<-done[i]
		r := results[i]
		out.Scenario(r, walls[i])
		if *traceDir != "" && len(r.Events) > 0 {
			if err := writeTrace(*traceDir, r, names); err != nil {
				fmt.Fprintf(stderr, "escalator run: %v\n", err)
				exit = max(exit, exitHarness)
			}
		}
		switch r.Verdict {
		case scenarios.VerdictFail:
			exit = max(exit, exitFailed)
		case scenarios.VerdictError:
			if escalator.ErrorCode(r.Err) == escalator.EINVALID {
				exit = max(exit, exitUsage)
			} else {
				exit = max(exit, exitHarness)
			}
		}
	}
	wg.Wait()
	out.Summary(results, time.Since(start))
	return exit
}

// writeTrace writes a trace atomically: a reader never sees half a file.
func writeTrace(dir string, r *scenarios.Result, names map[string]int) error {
	name := r.Scenario.Name
	names[name]++
	if n := names[name]; n > 1 {
		name = fmt.Sprintf("%s.%d", name, n)
	}
	path := filepath.Join(dir, name+".ndjson")
	tmp, err := os.CreateTemp(dir, ".trace-*")
	if err != nil {
		return err
	}
	if err := escalator.WriteNDJSON(tmp, r.Events); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
