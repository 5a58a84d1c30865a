package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// runScenario runs one scenario; a test may replace it.
var runScenario = scenarios.Run

// isTerminal reports whether w is a terminal, that is a character device;
// a test may replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// outputMode is how results reach stdout.
type outputMode struct {
	color    bool // ANSI colours
	progress bool // a status line rewritten in place with \r
}

// detectOutput: a live terminal (a TTY, and CI unset) gets the progress
// line and colour; NO_COLOR (non-empty, https://no-color.org) turns the
// colour off; --color always or never overrides both NO_COLOR and the
// detection, for colour only.
func detectOutput(tty bool, color string, getenv func(string) string) outputMode {
	ci := getenv("CI")
	live := tty && (ci == "" || ci == "false" || ci == "0")
	m := outputMode{progress: live}
	switch color {
	case colorAlways:
		m.color = true
	case colorNever:
		m.color = false
	default:
		m.color = live && getenv("NO_COLOR") == ""
	}
	return m
}

// termWidth is the terminal's width from $COLUMNS, else 80.
func termWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// job is one run of one scenario with one seed.
type job struct {
	s    *spec.Scenario
	seed int64
}

// plan lists the runs, in input order: each scenario --repeat times.
func (o *runOptions) plan(list []*spec.Scenario) []job {
	var jobs []job
	for _, s := range list {
		base := s.Seed
		if o.seed != 0 {
			base = o.seed
		}
		for _, seed := range seeds(base, o.repeat) {
			jobs = append(jobs, job{s: s, seed: seed})
		}
	}
	return jobs
}

// seeds returns n seeds counting up from base. 0 is skipped: to a
// scenario it means "the file's own seed", so it would repeat another run.
func seeds(base int64, n int) []int64 {
	out := make([]int64, 0, n)
	for s := base; len(out) < n; s++ {
		if s != 0 {
			out = append(out, s)
		}
	}
	return out
}

// runJob runs a job, twice when verifying determinism.
func (o *runOptions) runJob(ctx context.Context, j job) *judge.Result {
	opt := scenarios.Options{Seed: j.seed, Discard: o.discardTrace()}
	// --trace: the trace goes to a file as it is emitted, named once the
	// run is printed (writeTrace).
	var (
		tmp *os.File
		nw  *escalator.NDJSONWriter
	)
	if o.traceDir != "" {
		if f, err := os.CreateTemp(o.traceDir, ".trace-*"); err == nil {
			tmp, nw = f, escalator.NewNDJSONWriter(f)
			opt.Sinks = []func(escalator.Event){nw.Write}
		}
	}
	r := runScenario(ctx, j.s, opt)
	if tmp != nil {
		err := nw.Close()
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil || r.EventCount == 0 {
			// Not written whole, or by a run that had no sinks: writeTrace
			// writes what the result holds.
			os.Remove(tmp.Name())
		} else {
			o.streamed.Store(r, tmp.Name())
		}
	}
	if !o.verify || ctx.Err() != nil {
		return r
	}
	again := runScenario(ctx, j.s, scenarios.Options{Seed: j.seed})
	if ctx.Err() == nil {
		compareRuns(r, again)
	}
	return r
}

// discardTrace: nothing asked for needs a run's whole trace in memory
// once it has been judged (the history stores it, the HTML report draws it,
// the determinism check compares two), so the run keeps none of it and its
// memory stays the size of its world. The JSON report needs only the
// count and the metrics, which the judge computes as the trace goes by.
func (o *runOptions) discardTrace() bool {
	return o.noDB && o.reports.html == "" && !o.verify
}

// streamedTo is the file r's trace was streamed to, "" when none.
func (o *runOptions) streamedTo(r *judge.Result) string {
	if p, ok := o.streamed.Load(r); ok {
		return p.(string)
	}
	return ""
}

func failed(r *judge.Result) bool {
	return r.Verdict == judge.VerdictFail || r.Verdict == judge.VerdictError
}

func exitCode(r *judge.Result) int {
	switch r.Verdict {
	case judge.VerdictFail:
		return exitFailed
	case judge.VerdictError:
		if escalator.ErrorCode(r.Err) == escalator.EINVALID {
			return exitUsage
		}
		return exitHarness
	}
	return exitPass
}

// Job states, as the printer sees them.
const (
	jobPending = iota
	jobRunning
	jobFinished
	jobSkipped
)

type jobEvent struct {
	i     int
	state int
	res   *judge.Result
	wall  time.Duration
}

// execute runs the selection on --parallel workers and prints each result
// in input order as soon as it and every one before it are in, then the
// summary. Only this goroutine writes to stdout.
func (o *runOptions) execute(ctx context.Context, sel selection, stdout, stderr io.Writer) int {
	start := time.Now()
	jobs := o.plan(sel.list)
	mode := detectOutput(isTerminal(stdout), string(o.color), os.Getenv)
	command := "escalator run"
	if o.verify {
		command += " --verify-determinism"
	}
	out := reports.Terminal{W: stdout, Command: command, Color: mode.color, Seeds: o.repeat > 1, Brief: true}
	var progress *reports.Progress
	if mode.progress {
		progress = &reports.Progress{W: stdout, Width: termWidth()}
	}

	// Every job sends at most two events, so workers never wait on the printer.
	events := make(chan jobEvent, 2*len(jobs))
	queue := make(chan int, len(jobs))
	for i := range jobs {
		queue <- i
	}
	close(queue)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range min(o.parallel, len(jobs)) {
		wg.Go(func() {
			for i := range queue {
				if stop.Load() || ctx.Err() != nil {
					events <- jobEvent{i: i, state: jobSkipped}
					continue
				}
				events <- jobEvent{i: i, state: jobRunning}
				t0 := time.Now()
				r := o.runJob(ctx, jobs[i])
				if o.failFast && failed(r) {
					stop.Store(true)
				}
				events <- jobEvent{i: i, state: jobFinished, res: r, wall: time.Since(t0)}
			}
		})
	}

	var (
		state   = make([]int, len(jobs))
		results = make([]*judge.Result, len(jobs))
		walls   = make([]time.Duration, len(jobs))
		ran     []*judge.Result
		ranWall []time.Duration
		next    int // the next job to print
		ended   int // jobs finished or skipped
		notRun  int
		exit    = exitPass
		names   = map[string]int{}
	)
	for ended < len(jobs) {
		ev := <-events
		state[ev.i] = ev.state
		switch ev.state {
		case jobFinished:
			results[ev.i], walls[ev.i] = ev.res, ev.wall
			ended++
		case jobSkipped:
			notRun++
			ended++
		}
		for ; next < len(jobs) && state[next] >= jobFinished; next++ {
			if state[next] == jobSkipped {
				continue
			}
			progress.Clear()
			r := results[next]
			// The trace first: a run whose trace cannot be written is a
			// harness error, and its line, the summary and the history
			// must all say so.
			if o.traceDir != "" && (len(r.Events) > 0 || o.streamedTo(r) != "") {
				if err := writeTrace(o.traceDir, r, o.repeat > 1, names, o.streamedTo(r)); err != nil {
					fmt.Fprintf(stderr, "escalator run: %v\n", err)
					harnessError(r, "the trace was not written", err)
				}
			}
			out.Scenario(r, walls[next])
			ran = append(ran, r)
			ranWall = append(ranWall, walls[next])
			exit = max(exit, exitCode(r))
		}
		if progress != nil && ended < len(jobs) {
			var running []string
			for i, st := range state {
				if st == jobRunning {
					name := jobs[i].s.Name
					if o.repeat > 1 {
						name += fmt.Sprintf(" [seed %d]", jobs[i].seed)
					}
					running = append(running, name)
				}
			}
			progress.Show(reports.ProgressLine(ended, len(jobs), running))
		}
	}
	wg.Wait()
	progress.Clear()

	sum := reports.Summary{Results: ran, Wall: time.Since(start), NotRun: notRun, Notes: o.notes(sel)}
	if o.repeat > 1 {
		sum.Scenarios = len(sel.list)
	}
	if notRun > 0 {
		if ctx.Err() != nil {
			sum.Notes = append(sum.Notes, fmt.Sprintf("interrupted: %d not run", notRun))
			exit = max(exit, exitHarness)
		} else {
			sum.Notes = append(sum.Notes, fmt.Sprintf("--fail-fast: stopped after the first failure, %d not run", notRun))
		}
	}
	out.Summary(sum)
	run := reports.Run{ID: uuid.NewString(), Started: start, Wall: time.Since(start), Command: command,
		Version: version, Results: ran, Walls: ranWall}
	if err := o.reports.write(run); err != nil {
		fmt.Fprintf(stderr, "escalator run: %v\n", err)
		exit = max(exit, exitHarness)
	}
	if !o.noDB && len(ran) > 0 {
		exit = max(exit, recordRun(o.db, o.input.limits(), run, stderr))
	}
	return exit
}

// harnessError turns a result into a harness error: the run happened, but
// the harness failed it afterwards (its trace could not be written or
// encoded). The verdict and the error are what the history records.
func harnessError(r *judge.Result, what string, err error) {
	r.Verdict = judge.VerdictError
	r.Err = &escalator.Error{Code: escalator.EINTERNAL, Message: what, Err: errors.Join(r.Err, err)}
}

// recordRun saves the run in the history and says what exit code that
// leaves. A trace that cannot be encoded (a value JSON has no form for)
// fails the whole save; rather than lose every run with it, such a run is
// recorded as a harness error without its trace, and the save tried once
// more. The check runs only after a failed save, so a good run pays
// nothing for it.
func recordRun(db string, lim load.Limits, run reports.Run, stderr io.Writer) int {
	err := record(db, lim, run)
	if err == nil {
		return exitPass
	}
	bad := 0
	for _, r := range run.Results {
		if encErr := escalator.WriteNDJSON(io.Discard, r.Events); encErr != nil {
			name := ""
			if r.Scenario != nil {
				name = r.Scenario.Name
			}
			fmt.Fprintf(stderr, "escalator run: the trace of %s cannot be encoded, so the history records the run as a harness error without it: %v\n", name, encErr)
			harnessError(r, "the trace cannot be encoded", encErr)
			r.Events = nil
			bad++
		}
	}
	if bad > 0 {
		err = record(db, lim, run)
	}
	if err != nil {
		fmt.Fprintf(stderr, "escalator run: the run was not recorded in the history: %v\n", err)
	}
	return exitHarness
}
