package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"os/signal"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/openstack"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/sim"
	"github.com/escalator-testbed/escalator/sim/vnfhttp"
	"github.com/escalator-testbed/escalator/sim/vnfmhttp"
)

// listen opens a TCP listener. The flags default to loopback; another
// address is the user's explicit choice.
func listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", addr)
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// serve runs an HTTP server until ctx ends, then shuts it down cleanly.
func serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) func() {
	srv := edge.NewServer(h, edge.DefaultLimits)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "error", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
}

func signals(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func cmdVIM(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("listen", "127.0.0.1:8700", "serve the VIM maintenance and VNF control APIs on `ADDR`")
	file := fs.String("scenario", "", "the scenario `FILE` that sets up the world and the upgrade")
	speed := fs.Float64("speed", 1, "run scenario time `N` times faster than the wall clock")
	auth := fs.String("auth", "", "demand `CRED` of API callers: bearer:TOKEN or basic:USER:PASSWORD")
	start := fs.String("start", "auto", "`auto`: start the scenario's upgrade once its VNFMs subscribed; api: wait for POST /upgrade_sessions")
	wait := fs.Duration("wait", time.Minute, "how long (wall time) to wait for the VNFMs to subscribe")
	traceDir := fs.String("trace", "", "write the event trace as NDJSON into `DIR` at the end")
	var in inputFlags
	in.define(fs)
	statePath := fs.String("state", "", "keep the run in the SQLite `FILE`: a VIM killed mid-upgrade and started again on it resumes the session")
	settle := fs.Duration("settle", time.Minute, "scenario time `D` after the session ends for the VNFM to restore redundancy before the books close")
	var cf cloudFlags
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: escalator vim --scenario FILE [flags]\n\nRuns the orchestrator and the simulated NFVI and VNFs in real time, serving\nthe VIM maintenance API and the VNF control API for an external VNFM.\nWith --cloud openstack the orchestrator drives a real Nova instead of the\nsimulated NFVI; the simulated VNFs are bound to its servers (README).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if *file == "" || fs.NArg() > 0 || *speed <= 0 || (*start != "auto" && *start != "api") {
		fmt.Fprintln(stderr, "escalator vim: --scenario FILE is required; --speed must be positive; --start is auto or api")
		fs.Usage()
		return exitUsage
	}
	cred, err := edge.ParseCredential(*auth)
	if err != nil {
		fmt.Fprintln(stderr, "escalator vim:", err)
		return exitUsage
	}
	if err := cf.check(fs); err != nil {
		fmt.Fprintln(stderr, "escalator vim:", err)
		return exitUsage
	}
	if cf.cloud == "openstack" && *statePath != "" {
		fmt.Fprintln(stderr, "escalator vim: --state works with the simulated NFVI only for now: a real cloud keeps its own state, but resuming the simulated VNFs bound to it is not built yet")
		return exitUsage
	}
	s, err := in.limits().File(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	// The scenario's clock speed is the default; the flag wins.
	speedSet := false
	fs.Visit(func(f *flag.Flag) { speedSet = speedSet || f.Name == "speed" })
	if !speedSet && s.Clock.Speed > 0 {
		*speed = s.Clock.Speed
	}
	log := newLogger(stderr)
	var state *stateFile
	if *statePath != "" {
		given := 0.0
		if speedSet {
			given = *speed
		}
		if state, err = openState(*statePath, s, given); err != nil {
			fmt.Fprintln(stderr, "escalator vim:", err)
			return codeOf(err)
		}
		defer state.Close()
		if state.fresh {
			state.run.Speed = *speed
		} else {
			// A restart keeps the earlier run's clock and address.
			*speed = state.run.Speed
			listenSet := false
			fs.Visit(func(f *flag.Flag) { listenSet = listenSet || f.Name == "listen" })
			if !listenSet && state.run.Listen != "" {
				*addr = state.run.Listen
			}
		}
	} else {
		fmt.Fprintln(stderr, "escalator vim: no --state FILE: the upgrade session lives in this process only, and a crash loses it (nodes stay as it left them, the VNFM waits, a restart starts over)")
	}
	opts := scenarios.BuildOptions{Real: true, Speed: *speed, Auth: cred}
	if cf.cloud == "openstack" {
		// Nova's time is the wall clock's: a real cloud cannot be sped up.
		if *speed != 1 {
			fmt.Fprintln(stderr, "escalator vim: a real cloud runs at --speed 1")
			return exitUsage
		}
		hook, closeCloud, err := openstackCloud(ctx, s, cf)
		if err != nil {
			fmt.Fprintln(stderr, "escalator vim:", err)
			return codeOf(err)
		}
		defer closeCloud()
		opts.Cloud = hook
		log.Info("bound to OpenStack", "nodes", s.NodeNames(), "microversion", openstack.Microversion)
	}
	ln, err := listen(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "escalator vim: cannot listen on %s: %v\n", *addr, err)
		return exitHarness
	}
	root := "http://" + ln.Addr().String()
	opts.APIRoot = root
	if state != nil {
		opts.StateStore, opts.Resume = state, state.resume()
	}
	tb, err := scenarios.Build(s, opts)
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "escalator vim:", err)
		if state != nil {
			// A run that cannot be resumed from its file is the file's
			// fault, not the harness's.
			return codeOf(err)
		}
		return exitHarness
	}
	if state != nil {
		if err := state.attach(tb); err != nil {
			ln.Close()
			fmt.Fprintln(stderr, "escalator vim:", err)
			return codeOf(err)
		}
	}
	ctx, cancel := signals(ctx)
	defer cancel()
	handler := tb.Handler
	if state != nil {
		handler = state.durable(handler, tb.Loop, vnfhttp.Base)
	}
	stop := serve(ctx, ln, handler, log)
	defer stop()
	log.Info("VIM ready", "url", root, "vimApi", root+"/vim_maintenance/v1", "vnfControlApi", root+"/vnf_control/v1",
		"scenario", s.Name, "speed", *speed, "auth", cred.String())
	fmt.Fprintf(stdout, "VIM listening on %s\n", root)
	fmt.Fprintf(stdout, "start a VNFM: escalator vnfm --vim %s --name %s\n", root, s.VNFM.Name)

	loop := tb.Loop
	began := time.Now()
	var result *judge.Result
	ended := make(chan struct{})
	end := func(st orchestrator.SessionStatus) {
		log.Info("session ended", "session", st.ID, "state", st.State, "reason", st.Reason)
		elapsed := tb.Elapsed()
		// A minute of scenario time (--settle) lets the VNFM restore
		// redundancy before the books close.
		loop.AfterFunc(*settle, func() {
			result = &judge.Result{Scenario: s, Seed: s.Seed, Session: scenarios.SessionOf(st), UpgradeDuration: elapsed}
			tb.Conclude(result)
			loop.Stop()
			close(ended)
		})
	}
	tb.OnEnd(end)

	var recoverErr, haltErr error
	if state != nil {
		// A state file that refuses a write (a full disk) stops the
		// Manager where its record ends; a restart on it resumes there.
		tb.Manager.OnHalt(func(err error) {
			haltErr = err
			loop.Stop()
		})
	}
	switch {
	case state != nil && len(state.sessions) > 0:
		// A restart: the Manager takes the session on record up again
		// instead of a new one being created. (A run restarted before
		// its session began starts it as a new run would, on the world
		// its trace holds.)
		loop.AfterFunc(0, func() {
			resumed, err := tb.Manager.Recover()
			if err != nil {
				recoverErr = err
				loop.Stop()
				return
			}
			for _, st := range resumed {
				log.Info("resuming the upgrade session", "session", st.ID, "state", st.State, "state file", *statePath)
			}
			if len(resumed) == 0 {
				// It had ended before the kill; only its judging was
				// left to do.
				all := tb.Manager.Sessions()
				log.Info("the session on record had ended; judging the run", "session", all[len(all)-1].ID)
				end(all[len(all)-1])
			}
		})
	case *start == "auto":
		deadline := time.Now().Add(*wait)
		var poll func()
		poll = func() {
			switch {
			case tb.Subscribed():
				st, err := tb.Manager.CreateSession(tb.Config)
				if err != nil {
					log.Error("cannot start the upgrade", "error", err)
					loop.Stop()
					return
				}
				log.Info("upgrade started", "session", st.ID, "flow", st.Flow, "targetVersion", st.TargetVersion)
			case time.Now().After(deadline):
				log.Error("no VNFM subscribed in time", "waited", wait.String(), "want", strings.Join(tb.VNFMs, ","))
				loop.Stop()
			default:
				loop.AfterFunc(time.Duration(float64(100*time.Millisecond)**speed), poll)
			}
		}
		loop.AfterFunc(0, poll)
	}
	if state != nil {
		// The trace goes to the file with each of the Manager's commits,
		// and at least five times a second between them.
		every := time.Duration(float64(200*time.Millisecond) * *speed)
		var flush func()
		flush = func() {
			if err := state.flush(); err != nil {
				log.Error("cannot write the trace to the state file", "error", err)
			}
			loop.AfterFunc(every, flush)
		}
		loop.AfterFunc(every, flush)
	}
	runErr := loop.Run(ctx, 0)
	if recoverErr != nil {
		fmt.Fprintln(stderr, "escalator vim: cannot resume the run:", recoverErr)
		return codeOf(recoverErr)
	}
	if haltErr != nil {
		fmt.Fprintf(stderr, "escalator vim: the state file refused a write, and the upgrade stopped where its record ends (%v); start escalator vim again with --state %s to resume\n", haltErr, *statePath)
		return exitHarness
	}
	select {
	case <-ended:
	default:
		if state != nil {
			_ = state.flush()
		}
		if runErr != nil {
			fmt.Fprintln(stderr, "escalator vim: interrupted before the upgrade session ended")
		} else {
			fmt.Fprintf(stderr, "escalator vim: no VNFM subscribed within %s; start one with: escalator vnfm --vim %s --name %s\n", *wait, root, s.VNFM.Name)
		}
		return exitHarness
	}
	// The trace goes where run --trace puts it, by the same writer: its
	// name checked to stay in the folder, written whole or not at all; a
	// trace that cannot be written is a harness error, not a silent loss.
	var traceErr error
	if *traceDir != "" {
		if traceErr = os.MkdirAll(*traceDir, 0o755); traceErr == nil {
			traceErr = writeTrace(*traceDir, result, false, map[string]int{}, "")
		}
	}
	if state != nil {
		if err := state.conclude(); err != nil {
			log.Error("cannot mark the run judged in the state file", "error", err)
		}
	}
	term := reports.Terminal{W: stdout, Command: "escalator run"}
	term.Scenario(result, time.Since(began))
	if traceErr != nil {
		fmt.Fprintln(stderr, "escalator vim: the trace was not written:", traceErr)
		return exitHarness
	}
	if result.Verdict == judge.VerdictFail {
		return exitFailed
	}
	return exitPass
}

func cmdVNFM(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vnfm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("listen", "127.0.0.1:0", "serve the notification endpoint on `ADDR` (port 0: any free port)")
	vimURL := fs.String("vim", "", "the VIM's `URL`, e.g. http://127.0.0.1:8700")
	vnfURL := fs.String("vnf", "", "the VNF control API's `URL` (default: the VIM's)")
	name := fs.String("name", "vnfm-1", "the VNFM's `ID`, as the VIM knows it")
	behavior := fs.String("behavior", sim.BehaviorReference, "reference, or a misbehaviour `PROFILE` (see docs/CONFORMANCE.md)")
	replyAfter := fs.Duration("reply-after", time.Second, "reaction time before moving business (scenario time)")
	lateBy := fs.Duration("late-by", 30*time.Second, "behavior late: reply this long after the deadline")
	restore := fs.Duration("restore-time", 0, "time to bring an instance back after \"node available\"")
	speed := fs.Float64("speed", 1, "scale the VNFM's own timers like the VIM's --speed")
	auth := fs.String("auth", "", "credentials for the VIM API: bearer:TOKEN or basic:USER:PASSWORD")
	notifyAuth := fs.String("notify-auth", "", "demand of the VIM on notifications: basic:USER:PASSWORD or oauth2:CLIENT_ID:SECRET")
	checkEvery := fs.Duration("check-every", vnfmhttp.DefaultCheckEvery, "look at the subscription this often (wall time) and subscribe again when the VIM lost it")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: escalator vnfm --vim URL [flags]\n\nRuns the reference VNFM as its own process: it subscribes to the VIM,\nhandles maintenance notifications and moves business through the VNF\ncontrol API.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if !sim.KnownBehavior(*behavior) {
		fmt.Fprintf(stderr, "escalator vnfm: unknown --behavior %q; one of: %s\n", *behavior, strings.Join(sim.BehaviorNames(), ", "))
		return exitUsage
	}
	if *vimURL == "" || fs.NArg() > 0 || *speed <= 0 || *checkEvery <= 0 {
		fmt.Fprintln(stderr, "escalator vnfm: --vim URL is required; --speed and --check-every must be positive")
		fs.Usage()
		return exitUsage
	}
	if *vnfURL == "" {
		*vnfURL = *vimURL
	}
	cred, err := edge.ParseCredential(*auth)
	if err != nil {
		fmt.Fprintln(stderr, "escalator vnfm:", err)
		return exitUsage
	}
	sec, subAuth, err := vnfmhttp.NotifySecurity(*notifyAuth)
	if err != nil {
		fmt.Fprintln(stderr, "escalator vnfm:", err)
		return exitUsage
	}
	log := newLogger(stderr)
	loop := sim.NewRealLoop(*speed)
	tr := &logTrace{log: log, now: loop.Elapsed}
	onViolation := func(v edge.Violation) { log.Warn("spec violation", "detail", v.String()) }
	peer, err := vnfmhttp.NewPeer(vnfmhttp.PeerOptions{VIM: *vimURL, VNF: *vnfURL, Cred: cred, Loop: loop, Trace: tr, OnViolation: onViolation, Security: sec,
		Config: sim.VNFMConfig{Name: *name, Behavior: *behavior, ReplyAfter: *replyAfter, LateBy: *lateBy, RestoreTime: *restore}})
	if err != nil {
		fmt.Fprintln(stderr, "escalator vnfm:", err)
		return codeOf(err)
	}
	client := peer.Client
	ln, err := listen(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "escalator vnfm: cannot listen on %s: %v\n", *addr, err)
		return exitHarness
	}
	ctx, cancel := signals(ctx)
	defer cancel()
	stop := serve(ctx, ln, peer.Handler, log)
	defer stop()
	callback := "http://" + ln.Addr().String() + vnfmhttp.Base + "/notifications"
	if subAuth != nil && subAuth.ParamsOauth2ClientCredentials != nil {
		subAuth.ParamsOauth2ClientCredentials.TokenEndpoint = "http://" + ln.Addr().String() + vnfmhttp.TokenPath
	}
	// The VIM may still be starting: keep trying for a while.
	var id string
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err = client.Subscribe(*name, callback, subAuth, *behavior)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintf(stderr, "escalator vnfm: cannot subscribe at %s: %v\n", *vimURL, err)
		return exitHarness
	}
	log.Info("VNFM subscribed", "vnfm", *name, "subscription", id, "callback", callback, "behavior", *behavior)
	fmt.Fprintf(stdout, "VNFM %s subscribed (%s), notifications at %s\n", *name, id, callback)
	// A VIM that restarts, or drops us, forgets the subscription: keep it.
	keeper := &vnfmhttp.Keeper{Client: client, VNFM: *name, Callback: callback, Auth: subAuth, Behavior: *behavior, CheckEvery: *checkEvery, Log: log,
		Resubscribed: func(string, string, int) { loop.Post(peer.VNFM.Resubscribed) }}
	kept := make(chan struct{})
	go func() { defer close(kept); keeper.Run(ctx, id) }()
	defer func() { cancel(); <-kept }()
	if err := loop.Run(ctx, 0); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "escalator vnfm:", err)
		return exitHarness
	}
	log.Info("VNFM stopped")
	return exitPass
}

// logTrace is the standalone VNFM's trace: each event becomes a log line.
type logTrace struct {
	log *slog.Logger
	now func() time.Duration
}

func (t *logTrace) Emit(actor, kind, subject string, f escalator.Fields) {
	attrs := []any{"t", t.now().Round(time.Millisecond).String(), "subject", subject}
	for k, v := range f {
		attrs = append(attrs, k, v)
	}
	t.log.Info(kind, attrs...)
}
