package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim/vnfhttp"
)

const conformHelp = `Usage: escalator conform --vnfm URL [flags]

Runs the conformance suite in real time against a VNFM: yours, or the
reference one (escalator vnfm --behavior PROFILE). The testbed serves the
VIM maintenance and VNF control APIs on --listen; configure the VNFM with
those URLs and the VNFM id, start it, and it must subscribe within --wait.
Each case then builds a fresh simulated world whose VNFs the VNFM manages,
runs an upgrade, probes the VNFM's notification endpoint, and judges what
the testbed saw. docs/CONFORMANCE.md lists the cases.

Flags:
`

const conformExamples = `
Examples:
  escalator conform --vnfm http://127.0.0.1:9100/vnfm_notification/v1/notifications
  escalator conform --vnfm URL --auth bearer:s3cret --junit out/conformance.xml --html out/conformance.html
  escalator conform --vnfm URL --run 'MNT|FLW' --speed 30
  escalator conform --list
`

func cmdConform(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("vnfm", "", "the VNFM's notification endpoint `URL` (its subscription's callbackUri), which the probes call")
	id := fs.String("vnfm-id", "vnfm-1", "the vnfmId the VNFM subscribes with; the cases' VNFs are given to it")
	addr := fs.String("listen", "127.0.0.1:8700", "serve the testbed's VIM maintenance and VNF control APIs on `ADDR`")
	auth := fs.String("auth", "", "demand `CRED` of the VNFM's API calls: bearer:TOKEN or basic:USER:PASSWORD")
	speed := fs.Float64("speed", 60, "divide the simulated world's durations (upgrades, migrations) by `N`; reply deadlines stay as the cases set them")
	replyTimeout := fs.Duration("reply-timeout", 0, "give the VNFM this long to answer each notification instead of the cases' replyTimeout")
	wait := fs.Duration("wait", time.Minute, "how long to wait for the VNFM to subscribe")
	settle := fs.Duration("settle", time.Second, "wall time after each upgrade for the VNFM to restore what it moved")
	var runRe regexpFlag
	fs.Var(&runRe, "run", "run only the cases whose ID, title or file name matches `REGEX`")
	traceDir := fs.String("trace", "", "write each case's event trace as NDJSON into `DIR`")
	casesDir := fs.String("cases", "", "run the cases in `DIR` instead of the bundled catalogue")
	list := fs.Bool("list", false, "print the selected cases (ID, title, who they apply to, the checks that decide them) and exit, without a VNFM, e.g. --list --run MNT")
	var rf reportFlags
	fs.StringVar(&rf.junit, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&rf.json, "json", "", "write a JSON report to `FILE`")
	fs.StringVar(&rf.markdown, "markdown", "", "write a Markdown report to `FILE`")
	fs.StringVar(&rf.html, "html", "", "write a self-contained HTML report to `FILE`")
	db := fs.String("db", defaultDB, "record the run in the SQLite history at `FILE` (see escalator history)")
	noDB := fs.Bool("no-db", false, "do not record the run in the history")
	var in inputFlags
	in.define(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, conformHelp)
		fs.PrintDefaults()
		fmt.Fprint(stderr, conformExamples)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "escalator conform: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *list {
		cases, code := loadCases(*casesDir, in.limits(), runRe.re, stderr)
		if code != exitPass {
			return code
		}
		printCases(stdout, cases)
		return exitPass
	}
	if *target == "" {
		fmt.Fprintln(stderr, "escalator conform: --vnfm URL is required: the VNFM's notification endpoint")
		fs.Usage()
		return exitUsage
	}
	if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "escalator conform: --vnfm %q is not an http(s) URL\n", *target)
		return exitUsage
	}
	if *speed <= 0 || *wait <= 0 || *settle < 0 || *replyTimeout < 0 {
		fmt.Fprintln(stderr, "escalator conform: --speed and --wait must be positive, --settle and --reply-timeout not negative")
		return exitUsage
	}
	cred, err := edge.ParseCredential(*auth)
	if err != nil {
		fmt.Fprintln(stderr, "escalator conform:", err)
		return exitUsage
	}
	cases, code := loadCases(*casesDir, in.limits(), runRe.re, stderr)
	if code != exitPass {
		return code
	}

	ln, err := listen(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "escalator conform: cannot listen on %s: %v\n", *addr, err)
		return exitHarness
	}
	root := "http://" + ln.Addr().String()
	term := reports.Terminal{W: stdout, Command: "escalator conform", Brief: true}
	var walls []time.Duration
	c := scenarios.NewConformer(scenarios.ConformOptions{APIRoot: root, VNFM: *id, ProbeTarget: *target, Auth: cred,
		Speed: *speed, ReplyTimeout: *replyTimeout, Wait: *wait, Settle: *settle,
		OnCase: func(r *judge.Result, wall time.Duration) {
			term.Scenario(r, wall)
			walls = append(walls, wall)
		}})
	ctx, cancel := signals(ctx)
	defer cancel()
	log := newLogger(io.Discard)
	stop := serve(ctx, ln, c.Handler(), log)
	defer stop()

	credText := "none"
	if cred.Scheme != "" {
		credText = cred.String() + " (send it as the Authorization header)"
	}
	fmt.Fprintf(stdout, "escalator conform: %d cases against the VNFM whose notification endpoint is %s\n\n", len(cases), *target)
	fmt.Fprintf(stdout, "Configure the VNFM under test with:\n")
	fmt.Fprintf(stdout, "  VIM maintenance API   %s%s\n", root, vimhttp.Base)
	fmt.Fprintf(stdout, "  VNF control API       %s%s\n", root, vnfhttp.Base)
	fmt.Fprintf(stdout, "  VNFM id (vnfmId)      %s\n", *id)
	fmt.Fprintf(stdout, "  API credentials       %s\n", credText)
	fmt.Fprintf(stdout, "It must subscribe (POST %s/subscriptions) with callbackUri %s.\n", vimhttp.Base, *target)
	fmt.Fprintf(stdout, "Reference VNFM: escalator vnfm --vim %s --name %s\n", root, *id)
	fmt.Fprintf(stdout, "Waiting up to %s for the subscription...\n\n", *wait)

	start := time.Now()
	results, err := c.Run(ctx, cases)
	var nosub *scenarios.NoSubscriptionError
	switch {
	case errors.As(err, &nosub):
		fmt.Fprintf(stderr, "escalator conform: %v\n", err)
		if len(nosub.Refused) > 0 {
			fmt.Fprintln(stderr, "The VNFM tried: fix what the VIM refused (SUB-001, NEP-001 in docs/CONFORMANCE.md) and run again.")
			return exitFailed
		}
		fmt.Fprintf(stderr, "Is the VNFM running and configured with the VIM URL %s and vnfmId %s?\n", root, *id)
		return exitHarness
	case err != nil && len(results) == 0:
		fmt.Fprintln(stderr, "escalator conform: interrupted before any case ran")
		return exitHarness
	}
	exit := exitPass
	for _, r := range results {
		exit = max(exit, exitCode(r))
	}
	sum := reports.Summary{Results: results, Wall: time.Since(start)}
	if err != nil {
		sum.Notes = append(sum.Notes, fmt.Sprintf("interrupted: %d of %d cases ran", len(results), len(cases)))
		exit = max(exit, exitHarness)
	}
	term.Summary(sum)
	if hint := notFoundHint(*target, results); hint != "" {
		fmt.Fprintln(stderr, hint)
	}
	if *traceDir != "" {
		if err := os.MkdirAll(*traceDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "escalator conform: cannot create the trace folder:", err)
			exit = max(exit, exitHarness)
		}
		names := map[string]int{}
		for _, r := range results {
			if len(r.Events) == 0 {
				continue
			}
			if err := writeTrace(*traceDir, r, false, names, ""); err != nil {
				fmt.Fprintln(stderr, "escalator conform:", err)
				exit = max(exit, exitHarness)
			}
		}
	}
	command := "escalator conform " + strings.Join(args, " ")
	run := reports.Run{ID: uuid.NewString(), Started: start, Wall: time.Since(start), Command: strings.TrimSpace(command), Version: version,
		Results: results, Walls: walls}
	if err := rf.write(run); err != nil {
		fmt.Fprintln(stderr, "escalator conform:", err)
		exit = max(exit, exitHarness)
	}
	if !*noDB {
		if err := record(*db, in.limits(), run); err != nil {
			fmt.Fprintf(stderr, "escalator conform: the run was not recorded in the history: %v\n", err)
			exit = max(exit, exitHarness)
		}
	}
	return exit
}

// loadCases loads the bundled catalogue, or the cases in dir, and keeps
// those --run selects; a load error or an empty selection is a usage
// error.
func loadCases(dir string, lim load.Limits, re *regexp.Regexp, stderr io.Writer) ([]*spec.Scenario, int) {
	var cases []*spec.Scenario
	var err error
	if dir != "" {
		cases, err = lim.Paths([]string{dir})
	} else {
		cases, err = scenarios.Catalogue()
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, exitUsage
	}
	cases = selectCases(cases, re)
	if len(cases) == 0 {
		fmt.Fprintln(stderr, "escalator conform: no conformance case selected (check --run and --cases)")
		return nil, exitUsage
	}
	return cases, exitPass
}

// printCases is --list: a line per case, in the order they run.
func printCases(w io.Writer, cases []*spec.Scenario) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tAPPLIES TO\tDECIDED BY")
	for _, s := range cases {
		c := s.Conformance
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Title, c.Applicability, strings.Join(c.DecidedBy, ", "))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d cases\n", len(cases))
}

// selectCases keeps the conformance cases --run matches (by ID, title or
// file name).
func selectCases(list []*spec.Scenario, re *regexp.Regexp) []*spec.Scenario {
	var out []*spec.Scenario
	for _, s := range list {
		if s.Conformance == nil {
			continue
		}
		if re != nil && !re.MatchString(s.Conformance.ID) && !re.MatchString(s.Conformance.Title) && !re.MatchString(s.Name) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// notFoundHint is one line for a --vnfm URL at which the VNFM answered the
// testbed's probes 404: most often the URL is only the VNFM's base, and
// the line names the path the VNFM notification API defines for the
// endpoint. It is empty when no probe met a 404 there.
func notFoundHint(target string, results []*judge.Result) string {
	found := false
	for _, r := range results {
		for _, e := range r.Events {
			if p, ok, _ := event.As[event.ProbeExchange](e); ok && p.URL == target && p.Status == http.StatusNotFound {
				found = true
				break
			}
		}
	}
	if !found {
		return ""
	}
	path := notificationPath()
	u, err := url.Parse(target)
	if err != nil || path == "" {
		return fmt.Sprintf("escalator conform: the VNFM answered 404 Not Found at %s: no notification endpoint there", target)
	}
	if strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), path) {
		return fmt.Sprintf("escalator conform: the VNFM answered 404 Not Found at %s, the path the spec defines for its notification endpoint (%s): is that endpoint served there?", target, path)
	}
	fix := *u
	fix.Path = strings.TrimSuffix(u.Path, "/") + path
	fix.RawQuery, fix.Fragment = "", ""
	return fmt.Sprintf("escalator conform: the VNFM answered 404 Not Found at %s: no notification endpoint there; the spec defines it at %s under the VNFM's root, so try --vnfm %s", target, path, fix.String())
}

// notificationPath is where the VNFM notification API's spec puts the
// notification endpoint (the path of its deliverNotification operation),
// base path included; empty if the spec had none.
func notificationPath() string {
	doc, err := openapi.Load(openapi.VNFMNotification)
	if err != nil || doc.Paths == nil {
		return ""
	}
	for p, item := range doc.Paths.Map() {
		if item.Post != nil && item.Post.OperationID == "deliverNotification" {
			return openapi.BasePath(openapi.VNFMNotification) + p
		}
	}
	return ""
}
