package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/reports/history"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// defaultDB is where runs are recorded unless --db or --no-db says else:
// $ESCALATOR_DB, or .escalator/history.db in the working directory.
var defaultDB = func() string {
	if p := os.Getenv("ESCALATOR_DB"); p != "" {
		return p
	}
	return ".escalator/history.db"
}()

// record saves a run in the history; lim are the limits its scenarios were
// loaded under, so that the history reads their files back the same way.
func record(path string, lim load.Limits, run reports.Run) error {
	st, err := history.Open(path, lim.Bytes)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Save(run)
}

func openHistory(path string, stderr io.Writer) (*history.Store, int) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "no run history at %s yet: escalator run records one (or name another with --db)\n", path)
		return nil, exitUsage
	}
	st, err := history.Open(path, load.Bytes)
	if err != nil {
		fmt.Fprintf(stderr, "cannot open the run history: %v\n", err)
		return nil, exitHarness
	}
	return st, 0
}

func codeOf(err error) int {
	switch escalator.ErrorCode(err) {
	case escalator.EINVALID, escalator.ENOTFOUND:
		return exitUsage
	}
	return exitHarness
}

func simpleFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: escalator %s\n\n%s\n\nFlags:\n", synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

func parsed(fs *flag.FlagSet, args []string, nargs int) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass, false
		}
		return exitUsage, false
	}
	if fs.NArg() != nargs {
		fmt.Fprintf(fs.Output(), "escalator %s: wants %d argument(s), got %d\n", fs.Name(), nargs, fs.NArg())
		fs.Usage()
		return exitUsage, false
	}
	return 0, true
}

func cmdHistory(args []string, stdout, stderr io.Writer) int {
	fs := simpleFlags("history", "history [flags]", "Lists recorded runs, newest first.", stderr)
	db := fs.String("db", defaultDB, "the history database `FILE`")
	scenario := fs.String("scenario", "", "only runs with this scenario: a `NAME`, or a glob like 'f1-*'")
	verdict := fs.String("verdict", "", "only runs with a result of this `VERDICT`: pass, fail, xfail, error or not-applicable")
	limit := fs.Int("limit", 20, "show at most `N` runs (0: all)")
	if code, ok := parsed(fs, args, 0); !ok {
		return code
	}
	st, code := openHistory(*db, stderr)
	if st == nil {
		return code
	}
	defer st.Close()
	runs, err := st.Runs(history.Filter{Scenario: *scenario, Verdict: *verdict, Limit: *limit})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return codeOf(err)
	}
	if len(runs) == 0 {
		fmt.Fprintln(stdout, "no runs match")
		return exitPass
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tWALL\tSCENARIOS\tPASSED\tFAILED\tXFAIL\tERRORS\tN/A")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID[:8], r.Started.Local().Format("2006-01-02 15:04:05"),
			reports.HumanDuration(r.Wall), r.Scenarios, r.Passed, r.Failed, r.XFailed, r.Errors, r.NotApplicable)
	}
	return flushCode(tw.Flush())
}

func flushCode(err error) int {
	if err != nil {
		return exitHarness
	}
	return exitPass
}

func cmdReport(args []string, stdout, stderr io.Writer) int {
	fs := simpleFlags("report", "report RUN_ID [flags]", "Re-renders a recorded run (a unique prefix of its ID is enough) in any report format.", stderr)
	db := fs.String("db", defaultDB, "the history database `FILE`")
	var f reportFlags
	fs.StringVar(&f.html, "html", "", "write the HTML report to `FILE`")
	fs.StringVar(&f.junit, "junit", "", "write JUnit XML to `FILE`")
	fs.StringVar(&f.json, "json", "", "write JSON to `FILE`")
	fs.StringVar(&f.markdown, "markdown", "", "write Markdown to `FILE`")
	// The run ID may come before or after the flags.
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		args = append(args[1:], args[0])
	}
	if code, ok := parsed(fs, args, 1); !ok {
		return code
	}
	st, code := openHistory(*db, stderr)
	if st == nil {
		return code
	}
	defer st.Close()
	run, err := st.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return codeOf(err)
	}
	if !f.any() {
		term := reports.Terminal{W: stdout, Command: "escalator run"}
		for i, r := range run.Results {
			term.Scenario(r, run.Walls[i])
		}
		term.Summary(reports.Summary{Results: run.Results, Wall: run.Wall})
		return exitPass
	}
	if err := f.write(run); err != nil {
		fmt.Fprintln(stderr, err)
		return exitHarness
	}
	return exitPass
}

func cmdCompare(args []string, stdout, stderr io.Writer) int {
	fs := simpleFlags("compare", "compare RUN_A RUN_B [flags]", "Shows which checks changed verdict between two recorded runs and which metrics moved.", stderr)
	db := fs.String("db", defaultDB, "the history database `FILE`")
	var ids []string
	for len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		ids, args = append(ids, args[0]), args[1:]
	}
	if code, ok := parsed(fs, args, 0); !ok {
		return code
	}
	ids = append(ids, fs.Args()...)
	if len(ids) != 2 {
		fmt.Fprintln(stderr, "escalator compare: name two runs")
		fs.Usage()
		return exitUsage
	}
	st, code := openHistory(*db, stderr)
	if st == nil {
		return code
	}
	defer st.Close()
	a, err := st.Load(ids[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return codeOf(err)
	}
	b, err := st.Load(ids[1])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return codeOf(err)
	}
	return flushCode(history.Compare(a, b).Write(stdout))
}
