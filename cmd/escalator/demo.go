package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/reports/dashboard"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// demoDefaultSpeed paces a showcase whose file names no clock speed: an
// upgrade of an hour of scenario time then lasts three minutes.
const demoDefaultSpeed = 20

const demoHelp = `Usage: escalator demo [--listen ADDR] [--scenario FILE] [--speed N] [--open]

Runs an upgrade live for people to watch: the orchestrator, the simulated
NFVI and VNFs, and the reference VNFM, talking real HTTP to each other on
loopback, in real time at N times the wall clock, and a web dashboard of it
all at http://ADDR. With no flags it runs the bundled F1 showcase at 127.0.0.1:8080.

In the dashboard: start, pause, resume, change the speed, restart with
another seed or scenario, and inject a fault (the VNFM goes silent, the
next node's upgrade fails) to watch the orchestrator handle it.

Flags:
`

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("listen", "127.0.0.1:8080", "serve the dashboard on `ADDR` (port 0: any free port)")
	file := fs.String("scenario", "", "run the scenario `FILE` (default: the bundled showcase; the bundled ones stay selectable)")
	speed := fs.Float64("speed", 0, "run scenario time `N` times faster than the wall clock (default: the scenario's clock.speed, else 20)")
	seed := fs.Int64("seed", 0, "the first run's seed (default: the scenario's)")
	open := fs.Bool("open", false, "open the dashboard in the default browser")
	var in inputFlags
	in.define(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, demoHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 || *speed < 0 || *seed < 0 {
		fmt.Fprintln(stderr, "escalator demo: takes no arguments; --speed and --seed must not be negative")
		fs.Usage()
		return exitUsage
	}
	list, err := scenarios.Demos()
	if err != nil {
		fmt.Fprintln(stderr, "escalator demo: the bundled scenarios:", err)
		return exitHarness
	}
	if *file != "" {
		s, err := in.limits().File(*file)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		for i, b := range list {
			if b.Name == s.Name {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		list = append([]*spec.Scenario{s}, list...)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "escalator demo: cannot listen on %s: %v (is a demo already running? pick another with --listen 127.0.0.1:PORT)\n", *addr, err)
		return exitHarness
	}
	out := &lockedWriter{w: stdout}
	hub := dashboard.NewHub()
	d := newDemo(hub, list, *speed, out, newLogger(stderr))
	defer d.close()
	if err := d.Restart(list[0].Name, *seed); err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "escalator demo:", err)
		return exitHarness
	}
	// The first run starts when the first page opens, so whoever watches
	// sees the flow from its first step, however long the browser took.
	h := dashboard.Handler(dashboard.Options{Hub: hub, Control: d, Scenarios: d.infos(), OnWatch: d.startFirst})
	srv := edge.NewServer(h, edge.DefaultLimits)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "escalator demo: open %s in a browser; the upgrade starts when the page opens (Ctrl-C stops it)\n", url)
	if *open {
		openBrowser(url, out)
	}
	ctx, cancel := signals(ctx)
	defer cancel()
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintln(stderr, "escalator demo: the dashboard server stopped:", err)
		return exitHarness
	}
	// The event streams never end by themselves: close them first, so the
	// shutdown does not wait for them.
	hub.Close()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	fmt.Fprintln(out, "escalator demo: stopped")
	return exitPass
}

// openBrowser asks the desktop to open url; if it cannot, the URL printed
// above is there to click.
func openBrowser(url string, out io.Writer) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	failed := func(err error) {
		fmt.Fprintf(out, "escalator demo: could not open a browser (%v); open %s yourself\n", err, url)
	}
	if err := cmd.Start(); err != nil {
		failed(err)
		return
	}
	// xdg-open and friends hand the URL over and exit; one that fails (no
	// desktop) says so only through its exit status.
	go func() {
		if err := cmd.Wait(); err != nil {
			failed(err)
		}
	}()
}

// lockedWriter lets the runs' goroutines and the command share stdout.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
