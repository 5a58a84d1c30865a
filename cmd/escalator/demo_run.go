package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/reports/dashboard"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
	"github.com/escalator-testbed/escalator/sim/vnfmhttp"
)

// demoSettle is the scenario time a demo run goes on after its session
// ends, for the VNFM to restore redundancy before the books close (as
// `escalator vim` does).
const demoSettle = time.Minute

// demoTick is how often (wall time) the dashboard gets a snapshot of the
// world: often enough to look live, rarely enough to cost nothing.
const demoTick = 200 * time.Millisecond

// demo runs the dashboard's runs, one at a time, and implements its
// controls. Each run is a real-time testbed (the orchestrator, the NFVI
// and the VNFs, serving the VIM and VNF control APIs on a loopback port)
// and the reference VNFM on a loop and a loopback port of its own: the two
// talk HTTP, as `escalator vim` and `escalator vnfm` do.
type demo struct {
	mu    sync.Mutex // one control at a time
	hub   *dashboard.Hub
	list  []*spec.Scenario
	speed float64 // the speed set by flag or by the page (0: the scenario's)
	out   io.Writer
	log   *slog.Logger
	token string // tells this process's run IDs from another's
	runs  int
	cur   *demoRun
	first sync.Once
}

func newDemo(hub *dashboard.Hub, list []*spec.Scenario, speed float64, out io.Writer, log *slog.Logger) *demo {
	return &demo{hub: hub, list: list, speed: speed, out: out, log: log,
		token: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// infos lists the scenarios the page offers.
func (d *demo) infos() []dashboard.ScenarioInfo {
	var out []dashboard.ScenarioInfo
	for _, s := range d.list {
		out = append(out, dashboard.ScenarioInfo{Name: s.Name, Description: s.Description, Flow: s.Upgrade.Flow, Seed: s.Seed, Speed: s.Clock.Speed})
	}
	return out
}

// speedFor is the speed a run of s starts at: the one chosen last, else
// the scenario's own, else the default.
func (d *demo) speedFor(s *spec.Scenario) float64 {
	switch {
	case d.speed > 0:
		return d.speed
	case s.Clock.Speed > 0:
		return s.Clock.Speed
	}
	return demoDefaultSpeed
}

func conflict(format string, a ...any) error {
	return escalator.Errorf(escalator.ECONFLICT, format, a...)
}

// errEnded: the run's loop has stopped.
var errEnded = conflict("the run has ended; restart it to run again")

// startFirst starts the first run when its first watcher arrives, unless
// someone started (or replaced) it already.
func (d *demo) startFirst() {
	d.first.Do(func() {
		_ = d.control(func(r *demoRun) error {
			if r.id != d.token+"-1" || r.state != dashboard.StateReady {
				return nil
			}
			return r.start()
		}, (*sim.Loop).Resume)
	})
}

// Restart implements dashboard.Controller.
func (d *demo) Restart(name string, seed int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var s *spec.Scenario
	if name == "" && d.cur != nil {
		s = d.cur.s
	}
	for _, x := range d.list {
		if x.Name == name {
			s = x
		}
	}
	if s == nil {
		return escalator.Errorf(escalator.EINVALID, "no scenario %q in this demo", name)
	}
	if seed == 0 {
		seed = s.Seed
	}
	if d.cur != nil {
		d.cur.stop()
		d.cur = nil
	}
	d.runs++
	r, err := d.launch(s, seed, fmt.Sprintf("%s-%d", d.token, d.runs))
	if err != nil {
		d.hub.Begin(dashboard.RunInfo{ID: fmt.Sprintf("%s-%d", d.token, d.runs), Scenario: s.Name, Seed: seed,
			Flow: s.Upgrade.Flow, Target: s.Upgrade.TargetVersion, State: dashboard.StateEnded, Error: err.Error()}, nil)
		return err
	}
	d.cur = r
	return nil
}

// Start implements dashboard.Controller: the orchestrator starts the
// scenario's upgrade and the clocks run.
func (d *demo) Start() error {
	return d.control(func(r *demoRun) error {
		if r.state != dashboard.StateReady {
			return conflict("the run is %s: only a run that is ready can start", r.state)
		}
		return r.start()
	}, (*sim.Loop).Resume)
}

// start asks the orchestrator for the scenario's upgrade and lets the
// testbed's clock run. On the testbed's loop.
func (r *demoRun) start() error {
	st, err := r.tb.Manager.CreateSession(r.tb.Config)
	if err != nil {
		r.end(nil, "the orchestrator refused the upgrade: "+err.Error())
		return nil
	}
	r.tb.Loop.Resume()
	r.setState(dashboard.StateRunning)
	fmt.Fprintf(r.d.out, "escalator demo: %s (%s, seed %d) started at %g×: session %s\n", r.s.Name, st.Flow, r.seed, r.tb.Loop.Speed(), st.ID)
	return nil
}

// Pause implements dashboard.Controller.
func (d *demo) Pause() error {
	return d.control(func(r *demoRun) error {
		if r.state != dashboard.StateRunning {
			return conflict("the run is %s: only a running run can pause", r.state)
		}
		r.tb.Loop.Pause()
		r.setState(dashboard.StatePaused)
		return nil
	}, (*sim.Loop).Pause)
}

// Resume implements dashboard.Controller.
func (d *demo) Resume() error {
	return d.control(func(r *demoRun) error {
		if r.state != dashboard.StatePaused {
			return conflict("the run is %s: only a paused run can resume", r.state)
		}
		r.tb.Loop.Resume()
		r.setState(dashboard.StateRunning)
		return nil
	}, (*sim.Loop).Resume)
}

// SetSpeed implements dashboard.Controller. The speed holds for the runs
// that follow too.
func (d *demo) SetSpeed(speed float64) error {
	err := d.control(func(r *demoRun) error {
		r.tb.Loop.SetSpeed(speed)
		r.d.hub.Update(func(i *dashboard.RunInfo) { i.Speed = speed })
		return nil
	}, func(l *sim.Loop) { l.SetSpeed(speed) })
	if err == nil {
		d.mu.Lock()
		d.speed = speed
		d.mu.Unlock()
	}
	return err
}

// Inject implements dashboard.Controller.
func (d *demo) Inject(fault string) error {
	return d.control(func(r *demoRun) error {
		if r.state != dashboard.StateRunning && r.state != dashboard.StatePaused {
			return conflict("the run is %s: faults go into a running or paused run", r.state)
		}
		switch fault {
		case dashboard.FaultVNFMSilent:
			return r.injectSilent()
		case dashboard.FaultUpgradeFails:
			return r.injectUpgradeFails()
		}
		return escalator.Errorf(escalator.EINVALID, "unknown fault %q", fault)
	}, nil)
}

// control runs fn on the current run's testbed loop, where the run's
// state lives, then vnfm on the VNFM's loop, which must follow the
// testbed's (pause, resume, speed).
func (d *demo) control(fn func(*demoRun) error, vnfm func(*sim.Loop)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.cur
	if r == nil {
		return conflict("no run: restart one")
	}
	var err error
	// An ended run answers the same whether its loop has stopped yet
	// (onVIM's errEnded) or is still winding down.
	guarded := func() {
		if r.state == dashboard.StateEnded {
			err = errEnded
			return
		}
		err = fn(r)
	}
	if e := r.onVIM(guarded); e != nil {
		return e
	}
	if err == nil && vnfm != nil {
		if e := r.onVNFM(func() { vnfm(r.vnfmLoop) }); e != nil {
			return e
		}
	}
	return err
}

// close stops the current run.
func (d *demo) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur != nil {
		d.cur.stop()
		d.cur = nil
	}
}

// demoRun is one run: a testbed, a VNFM, their loops and servers.
type demoRun struct {
	d        *demo
	id       string
	s        *spec.Scenario
	seed     int64
	tb       *scenarios.Testbed
	vnfm     *sim.VNFM
	vnfmLoop *sim.Loop
	// vnfmClient is the VNFM's side of the VIM and VNF control APIs.
	vnfmClient *vnfmhttp.Client
	// vimDone and vnfmDone close when the loops' Run returns; stopVIM and
	// stopVNFM end them.
	vimDone, vnfmDone chan struct{}
	stopVIM, stopVNFM context.CancelFunc
	servers           []*http.Server
	stopOnce          sync.Once
	began             time.Time
	session           orchestrator.SessionStatus
	// silent counts the maintenance notifications the VNFM is to ignore.
	silent atomic.Int32
	// armed are the nodes set to fail their upgrade, until one starts.
	armed []string
	// state and concluded are read and written on the testbed's loop.
	state     string
	concluded bool
}

// launch builds a run, ready to start: both loops paused at time zero, the
// VNFM subscribed.
func (d *demo) launch(s *spec.Scenario, seed int64, id string) (*demoRun, error) {
	speed := d.speedFor(s)
	r := &demoRun{d: d, id: id, s: s, seed: seed, vimDone: make(chan struct{}), vnfmDone: make(chan struct{}), state: dashboard.StateReady}
	vimLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, escalator.Errorf(escalator.EUNAVAILABLE, "no loopback port for the VIM: %v", err)
	}
	vnfmLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		vimLn.Close()
		return nil, escalator.Errorf(escalator.EUNAVAILABLE, "no loopback port for the VNFM: %v", err)
	}
	root := "http://" + vimLn.Addr().String()
	tb, err := scenarios.Build(s, scenarios.BuildOptions{Seed: seed, Real: true, Speed: speed, APIRoot: root})
	if err != nil {
		vimLn.Close()
		vnfmLn.Close()
		return nil, err
	}
	r.tb = tb
	vnfmHandler, err := r.buildVNFM(root)
	if err != nil {
		vimLn.Close()
		vnfmLn.Close()
		return nil, err
	}
	d.hub.Begin(dashboard.RunInfo{ID: id, Scenario: s.Name, Description: s.Description, Seed: seed, Flow: s.Upgrade.Flow,
		Target: s.Upgrade.TargetVersion, State: dashboard.StateReady, Speed: speed}, tb.Trace.Events)
	tb.Watch(d.hub.Record)
	tb.Watch(r.disarm)
	tb.OnEnd(func(st orchestrator.SessionStatus) {
		r.session = st
		elapsed := tb.Loop.Elapsed()
		tb.Loop.AfterFunc(demoSettle, func() { r.end(&elapsed, "") })
	})

	// Both clocks stand still until Start; the loops run all the same, to
	// answer the VNFM's subscription and the dashboard.
	tb.Loop.Pause()
	r.vnfmLoop.Pause()
	vimCtx, stopVIM := context.WithCancel(context.Background())
	vnfmCtx, stopVNFM := context.WithCancel(context.Background())
	r.stopVIM, r.stopVNFM = stopVIM, stopVNFM
	go func() {
		defer close(r.vimDone)
		_ = tb.Loop.Run(vimCtx, 0)
	}()
	go func() {
		defer close(r.vnfmDone)
		_ = r.vnfmLoop.Run(vnfmCtx, 0)
	}()
	r.serve(vimLn, tb.Handler)
	r.serve(vnfmLn, vnfmHandler)
	callback := "http://" + vnfmLn.Addr().String() + vnfmhttp.Base + "/notifications"
	if _, err := r.vnfmClient.Subscribe(s.VNFM.Name, callback, nil, s.VNFM.Behavior); err != nil {
		r.stop()
		return nil, escalator.Errorf(escalator.EINTERNAL, "the VNFM could not subscribe at the VIM: %v", err)
	}
	r.began = time.Now()
	go r.tick()
	d.log.Info("demo run ready", "scenario", s.Name, "seed", seed, "vim", root, "vnfm", callback, "speed", speed)
	return r, nil
}

// buildVNFM makes the reference VNFM on a loop of its own, as `escalator
// vnfm` does: it reaches the VIM and the VNF control API only over HTTP,
// every message checked against its spec. Its events go into the run's
// trace, through the testbed's loop, so the page shows its side too. It
// returns the VNFM's notification endpoint.
func (r *demoRun) buildVNFM(root string) (http.Handler, error) {
	r.vnfmLoop = sim.NewRealLoop(r.tb.Loop.Speed())
	v := r.s.VNFM
	// The endpoint reaches the VNFM's loop through onVNFM, which gives up
	// once the loop has stopped: a late notification must not hang.
	peer, err := vnfmhttp.NewPeer(vnfmhttp.PeerOptions{VIM: root, Loop: r.vnfmLoop, Trace: vnfmEmitter{r}, OnViolation: r.violation(v.Name),
		Config: sim.VNFMConfig{Name: v.Name, Behavior: v.Behavior, ReplyAfter: v.ReplyAfter.D(), LateBy: v.LateBy.D(), RestoreTime: v.RestoreTime.D()},
		Exec:   func(fn func()) { _ = r.onVNFM(fn) }})
	if err != nil {
		return nil, err
	}
	r.vnfmClient, r.vnfm = peer.Client, peer.VNFM
	r.vnfm.Override = r.override
	return peer.Handler, nil
}

// serve serves h on ln until the run stops.
func (r *demoRun) serve(ln net.Listener, h http.Handler) {
	srv := edge.NewServer(h, edge.DefaultLimits)
	r.servers = append(r.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

// onVIM runs fn on the testbed's loop and waits for it; errEnded if the
// loop has stopped (or stops first).
func (r *demoRun) onVIM(fn func()) error { return onLoop(r.tb.Loop, r.vimDone, fn) }

// onVNFM runs fn on the VNFM's loop and waits for it.
func (r *demoRun) onVNFM(fn func()) error { return onLoop(r.vnfmLoop, r.vnfmDone, fn) }

// onLoop is Loop.Exec for a loop that may have stopped: Exec would wait
// forever.
func onLoop(l *sim.Loop, done <-chan struct{}, fn func()) error {
	select {
	case <-done:
		return errEnded
	default:
	}
	ran := make(chan struct{})
	l.Post(func() {
		defer close(ran)
		fn()
	})
	select {
	case <-ran:
		return nil
	case <-done:
		return errEnded
	}
}

// postVIM hands fn to the testbed's loop without waiting, unless it has
// stopped.
func (r *demoRun) postVIM(fn func()) {
	select {
	case <-r.vimDone:
	default:
		r.tb.Loop.Post(fn)
	}
}

// vnfmEmitter records the VNFM's events in the run's trace.
type vnfmEmitter struct{ r *demoRun }

func (e vnfmEmitter) Emit(actor, kind, subject string, f escalator.Fields) {
	e.r.postVIM(func() { e.r.tb.Emit(actor, kind, subject, f) })
}

// violation records a message of the VNFM's that broke its spec, as the
// testbed records the VIM's.
func (r *demoRun) violation(who string) func(edge.Violation) {
	return func(v edge.Violation) {
		r.postVIM(func() {
			event.Emit(r.tb, "spec", who, event.SpecViolation{Spec: v.Spec, Message: v.Message,
				Method: v.Method, Path: v.Path, Status: v.Status, Detail: v.Detail})
		})
	}
}

// override is the VNFM's Override hook: the page's "VNFM goes silent"
// makes it ignore its next maintenance notification. It runs on the
// VNFM's loop; the count is shared with the page's goroutine.
func (r *demoRun) override(n orchestrator.Notification) string {
	if n.NotificationType != orchestrator.TypeMaintenance {
		return ""
	}
	for {
		left := r.silent.Load()
		if left <= 0 {
			return ""
		}
		if r.silent.CompareAndSwap(left, left-1) {
			return sim.BehaviorSilent
		}
	}
}

// injectSilent arms the VNFM's silence. On the testbed's loop.
func (r *demoRun) injectSilent() error {
	r.silent.Add(1)
	event.Emit(r.tb, "fault", r.s.VNFM.Name, event.FaultInjected{Fault: dashboard.FaultVNFMSilent, By: "dashboard"})
	return nil
}

// injectUpgradeFails makes the next node whose upgrade starts fail it:
// every node still waiting for its upgrade is armed through the node
// agent, and the first to start disarms the others. On the testbed's loop.
func (r *demoRun) injectUpgradeFails() error {
	if len(r.armed) > 0 {
		return conflict("the next node's upgrade is already set to fail")
	}
	sessions := r.tb.Manager.Sessions()
	if len(sessions) == 0 {
		return conflict("no upgrade session yet")
	}
	st := sessions[len(sessions)-1]
	if orchestrator.Terminal(st.State) {
		return conflict("the session has ended (%s): no upgrade is left to fail", st.State)
	}
	nodes := map[string]string{}
	for _, n := range r.tb.World.NFVI.Nodes() {
		nodes[n.ID] = n.State
	}
	var armed []string
	for _, n := range st.Nodes {
		waiting := n.Status == orchestrator.StatusPending || n.Status == orchestrator.StatusMaintenance || n.Status == orchestrator.StatusMigrating ||
			st.State == orchestrator.SessionRollingBack && n.Status == orchestrator.StatusDone
		if ns := nodes[n.Node]; waiting && (ns == orchestrator.NodeNormal || ns == orchestrator.NodeMaintenance) {
			armed = append(armed, n.Node)
		}
	}
	if len(armed) == 0 {
		return conflict("every node has started its upgrade: no upgrade is left to fail")
	}
	for _, n := range armed {
		r.tb.World.NFVI.SetFault(n, sim.FaultUpgradeFails)
	}
	r.armed = armed
	event.Emit(r.tb, "fault", "next-node", event.FaultInjected{Fault: dashboard.FaultUpgradeFails, By: "dashboard", Nodes: slices.Clone(armed)})
	return nil
}

// disarm watches the trace: the first armed node to start upgrading keeps
// the fault, the others lose it.
func (r *demoRun) disarm(e escalator.Event) {
	if e.Kind != "node.upgrade-started" || !slices.Contains(r.armed, e.Subject) {
		return
	}
	for _, n := range r.armed {
		if n != e.Subject {
			r.tb.World.NFVI.SetFault(n, sim.FaultNone)
		}
	}
	r.armed = nil
}

// setState changes the run's state, for the page too. On the testbed's loop.
func (r *demoRun) setState(st string) {
	r.state = st
	r.d.hub.Update(func(i *dashboard.RunInfo) { i.State = st })
}

// end closes the run's books and judges it (elapsed: the session's
// length), or records why it could not run (failure). On the testbed's
// loop. The loops stop afterwards, off the loop.
func (r *demoRun) end(elapsed *time.Duration, failure string) {
	if r.concluded {
		return
	}
	r.concluded = true
	r.state = dashboard.StateEnded
	if failure != "" {
		r.d.hub.Update(func(i *dashboard.RunInfo) { i.State, i.Error = dashboard.StateEnded, failure })
		fmt.Fprintf(r.d.out, "escalator demo: %s: %s\n", r.s.Name, failure)
		go r.stop()
		return
	}
	res := &judge.Result{Scenario: r.s, Seed: r.seed, Session: scenarios.SessionOf(r.session), UpgradeDuration: *elapsed}
	r.tb.Conclude(res)
	r.d.hub.SetSnapshot(snapshotOf(r.tb.World, r.tb.Config.TargetVersion, r.tb.Loop.Elapsed()))
	var b bytes.Buffer
	term := reports.Terminal{W: &b, Command: "escalator run"}
	term.Scenario(res, time.Since(r.began))
	summary := strings.Join(strings.Fields(strings.SplitN(b.String(), "\n", 2)[0]), " ")
	r.d.hub.Update(func(i *dashboard.RunInfo) {
		i.State, i.Verdict, i.Outcome, i.Summary = dashboard.StateEnded, res.Verdict, r.session.State, summary
	})
	fmt.Fprint(r.d.out, b.String())
	go r.stop()
}

// tick sends the page a snapshot of the world now and then, until the run
// stops.
func (r *demoRun) tick() {
	t := time.NewTicker(demoTick)
	defer t.Stop()
	target := r.tb.Config.TargetVersion
	snap := func() { r.d.hub.SetSnapshot(snapshotOf(r.tb.World, target, r.tb.Loop.Elapsed())) }
	r.postVIM(snap)
	for {
		select {
		case <-r.vimDone:
			return
		case <-t.C:
			r.postVIM(snap)
		}
	}
}

// stop ends the run: the VNFM first, so no call of its waits on a
// testbed that is gone, then the testbed, then the servers.
func (r *demoRun) stop() {
	r.stopOnce.Do(func() {
		r.stopVNFM()
		<-r.vnfmDone
		r.stopVIM()
		<-r.vimDone
		for _, s := range r.servers {
			_ = s.Close()
		}
	})
}
