package scenarios

import (
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
	"github.com/escalator-testbed/escalator/sim/vnfhttp"
	"github.com/escalator-testbed/escalator/sim/vnfmhttp"
)

// Hosts of the in-process transport in virtual runs.
const (
	vimHost = "vim.escalator"
)

func vnfmHost(name string) string { return name + ".vnfm.escalator" }

// Testbed is one assembled world: the simulated NFVI and VNFs, the real
// orchestrator behind the VIM maintenance API, and the VNF control API, all
// on one event loop. A virtual testbed also holds the reference VNFM,
// reached over the in-process transport; a real-time one serves its
// handler on a socket for an external VNFM.
type Testbed struct {
	Scenario *spec.Scenario
	Loop     *sim.Loop
	Trace    *escalator.Trace
	World    *sim.World
	Manager  *orchestrator.Manager
	// Handler serves the VIM maintenance API and the VNF control API.
	Handler http.Handler
	// Config is the upgrade the scenario asks for.
	Config orchestrator.Config
	// VNFMs are the scenario's VNFM names (those that must subscribe).
	VNFMs []string
	// Store holds the VNFMs' subscriptions.
	Store *vimhttp.Store
	vnfm  *sim.VNFM
	opt   BuildOptions
	// emit is what everything emits through; it records into Trace.
	emit       *watch
	gate       *gate
	inproc     *edge.InProcess
	vnfmServer *vnfmhttp.Server
	// wire is the transport under every client.
	wire http.RoundTripper
	// The Manager's process (lifecycle.go): its current life, the store
	// that outlives it, what every life is built from, and the session
	// end's listeners, handed to each new Manager.
	life          *life
	stateStore    orchestrator.Store
	notifierProto *vimhttp.Notifier
	notifier      *vimhttp.Notifier
	vimServer     *vimhttp.Server
	newID         func() string
	onEnd         []func(orchestrator.SessionStatus)
	recoverErr    error
	// offset is the scenario time at which the loop started: zero, or
	// where the earlier run stood for a resumed testbed (resume.go).
	offset time.Duration
	// cloud and system are what the Manager's cloud-manager and
	// system-support ports reach (the simulated NFVI, or a real cloud);
	// each life wraps them. cloudFinish records a real cloud's final node
	// states (BuildOptions.Cloud).
	cloud       orchestrator.CloudManager
	system      orchestrator.SystemSupport
	cloudFinish func()
	// judge judges the trace as it is emitted (a trace sink).
	judge *judge.Stream
}

// Options are the options the testbed was built with.
func (tb *Testbed) Options() BuildOptions { return tb.opt }

// Options for Build.
type BuildOptions struct {
	Seed int64
	// Real builds on a wall-clock loop at Speed, for an external VNFM.
	Real  bool
	Speed float64
	// APIRoot is the VIM's URL as subscribers reach it (real mode).
	APIRoot string
	// Auth is what the VIM API demands.
	Auth edge.Credential
	// Tap, when set, wraps the wire under every client: a test or a doc
	// generator can see each HTTP exchange as it crosses.
	Tap func(http.RoundTripper) http.RoundTripper
	// Store, when set, holds the subscriptions instead of a new one: a
	// conformance run keeps the VNFM's one subscription across its cases.
	Store *vimhttp.Store
	// Record puts every HTTP exchange of the VIM and VNF control APIs in
	// the trace (http.exchange), as evidence; conformance cases always do.
	Record bool
	// ProbeTarget is the VNFM notification endpoint the conformance
	// probes call; empty: the callbackUri of its subscription.
	ProbeTarget string
	// StateStore is where the Upgrade Manager keeps its sessions. Unset,
	// a virtual run keeps them in memory (a simulated crash keeps that
	// "disk"); NoStateStore gives the Manager none, so a crash loses the
	// session (the negative control of the crash tests).
	StateStore   orchestrator.Store
	NoStateStore bool
	// Resume, in real time, carries on an earlier run of the scenario
	// whose process died (resume.go); its faults are not armed again.
	Resume *Resume
	// Cloud, when set, puts a real cloud behind the orchestrator's cloud
	// manager and system support ports (and the VIM API's node and VM
	// queries) in place of the simulated NFVI; needs Real. The simulated
	// VNFs stay, bound to the cloud's servers by VM ID: their traffic
	// model says which VM still carries business, the VNFM moves it
	// through the VNF control API, and the checks judge the real run.
	Cloud func(CloudEnv) (CloudPorts, error)
	// Discard keeps no event in Trace.Events: the judge and Sinks see each
	// as it is emitted, and the run's memory stays the size of its world.
	Discard bool
	// Sinks see every event as it is emitted, from the first (the nodes
	// being added), in order; they must not emit.
	Sinks []func(escalator.Event)
}

// CloudEnv is what a real cloud gets from the testbed it joins.
type CloudEnv struct {
	// Post runs fn on the testbed's loop; the cloud's completions and
	// events go through it.
	Post func(fn func())
	// Trace is the run's trace (call it on the loop only).
	Trace escalator.Emitter
	// Business says whether a VM still serves traffic, by the bound
	// traffic model; known is false for a VM no simulated VNF runs.
	Business func(vm string) (carries, known bool)
	// Session is the ID of the upgrade session in progress ("" if none).
	Session func() string
}

// CloudPorts are a real cloud's implementations of the orchestrator's
// ports. Announce, when set, puts into the trace what the simulated world
// did not (nodes not in normal service, servers no VNF runs); Finish, when
// set, records each host's final state after the simulated books close.
type CloudPorts struct {
	Cloud    orchestrator.CloudManager
	System   orchestrator.SystemSupport
	Announce func()
	Finish   func()
}

// Build assembles a testbed from a scenario.
func Build(s *spec.Scenario, opt BuildOptions) (*Testbed, error) {
	seed := s.Seed
	if opt.Seed != 0 {
		seed = opt.Seed
	}
	tb := &Testbed{Scenario: s, VNFMs: []string{s.VNFM.Name}, opt: opt}
	if opt.Real {
		tb.Loop = sim.NewRealLoop(opt.Speed)
	} else {
		tb.Loop = sim.NewVirtualLoop()
	}
	loop := tb.Loop
	rnd := sim.NewRand(seed)
	if opt.Resume != nil {
		if !opt.Real {
			return nil, escalator.Errorf(escalator.EINTERNAL, "only a real-time testbed resumes an earlier run")
		}
		tb.offset = resumeOffset(loop, opt.Resume)
	}
	tb.Trace = escalator.NewTrace(tb.Elapsed)
	// A resumed world is made in silence: its trace holds its making.
	if opt.Discard {
		tb.Trace.Discard()
	}
	tb.judge = judge.NewStream(s)
	tb.Trace.Sink(tb.judge.Add)
	for _, fn := range opt.Sinks {
		tb.Trace.Sink(fn)
	}
	// A resumed world is made in silence: its trace holds its making.
	tr := &watch{trace: tb.Trace, mute: opt.Resume != nil}
	tb.emit = tr
	tb.gate = &gate{loop: loop}

	specs := map[string]*edge.Spec{}
	for _, name := range openapi.Names() {
		sp, err := edge.Load(name)
		if err != nil {
			return nil, escalator.Errorf(escalator.EINTERNAL, "loading the %s spec: %v", name, err)
		}
		specs[name] = sp
	}
	// A message that breaks its spec is an event like any other, so a
	// check (and a conformance report) can fail on it.
	// Validation runs on HTTP goroutines in real time, so the event goes
	// through the loop like every other.
	onViolation := func(who string) func(edge.Violation) {
		return func(v edge.Violation) {
			loop.Exec(func() {
				event.Emit(tr, "spec", who, event.SpecViolation{Spec: v.Spec, Message: v.Message,
					Method: v.Method, Path: v.Path, Status: v.Status, Detail: v.Detail})
			})
		}
	}

	u := s.Upgrade
	world := sim.NewWorld(loop, tr, sim.Timings{
		NodeUpgrade: u.NodeUpgradeTime.D(), Verify: u.VerifyTime.D(),
		LiveMigration: s.NFVI.LiveMigration.Duration.D(), Blackout: s.NFVI.LiveMigration.Blackout.D(),
		ColdMigration: s.NFVI.ColdMigrationTime.D(),
	}, nodeConfigs(s))
	tb.World = world
	groupLimits := map[string]int{}
	lead, recovery := map[string]time.Duration{}, map[string]time.Duration{}
	migration := map[string][]string{}
	for _, v := range s.Deployments() {
		cfg := sim.VNFConfig{Name: v.Name, Mode: v.Mode, Load: float64(v.Load), CapacityPerInstance: float64(v.CapacityPerInstance),
			ServiceTime: v.ServiceTime.D(), SwitchoverGap: v.SwitchoverGap.D(), FailoverTime: v.FailoverTime.D(), HealthCheckWindow: v.HealthCheckWindow.D()}
		if m := v.Maintenance; m != nil {
			cfg.Limits = &sim.Limits{LeadTime: m.LeadTime.D(), MaxImpacted: m.MaxImpacted, MinPreserved: m.MinPreserved,
				MinRecoveryTime: m.MinRecoveryTime.D(), MigrationTypes: m.MigrationTypes}
			lead[v.Name], recovery[v.Name] = m.LeadTime.D(), m.MinRecoveryTime.D()
			if len(m.MigrationTypes) > 0 {
				migration[v.Name] = m.MigrationTypes
			}
		}
		anti := v.AntiAffinity == nil || *v.AntiAffinity
		if err := world.AddVNF(cfg, s.VNFM.Name, v.Instances, v.Flavor.VCPUs, v.Flavor.MemoryGiB, anti, v.Placement); err != nil {
			return nil, escalator.Errorf(escalator.EINVALID, "deploying VNF %s: %v", v.Name, err)
		}
		groupLimits[v.Name] = maxImpacted(v)
	}
	// The wire: in-process and synchronous in virtual time, TCP in real
	// time. Every client validates what it sends and receives.
	var next http.RoundTripper = http.DefaultTransport
	inproc := edge.NewInProcess()
	tb.inproc = inproc
	if !opt.Real {
		next = inproc
	}
	if opt.Tap != nil {
		next = opt.Tap(next)
	}
	tb.wire = next
	record := opt.Record || s.Conformance != nil
	// What the VIM itself sends is recorded on its way out; what it is
	// sent, at its door (below), so nothing is recorded twice.
	vimNext := next
	if record {
		vimNext = recordingTransport{tb: tb, next: next}
	}
	checkedOver := func(rt http.RoundTripper, who string, names ...string) *http.Client {
		var list []*edge.Spec
		for _, n := range names {
			list = append(list, specs[n])
		}
		return &http.Client{Transport: &edge.Checked{Specs: list, Next: rt, OnViolation: onViolation(who)}}
	}
	checked := func(who string, names ...string) *http.Client { return checkedOver(next, who, names...) }
	g := tb.gate
	post := func(fn func()) { loop.AfterFunc(0, g.hold(fn)) }
	if opt.Real {
		post = func(fn func()) { loop.Post(g.hold(fn)) }
	}
	var vimCloud orchestrator.CloudManager = world.NFVI
	var vimSystem orchestrator.SystemSupport = world.NFVI
	var queryCloud orchestrator.CloudManager = world.NFVI
	if opt.Cloud != nil {
		if !opt.Real {
			return nil, escalator.Errorf(escalator.EINVALID, "a real cloud runs in real time only")
		}
		// The cloud's own completions are not the orchestrator's: only
		// the ports' callbacks wait behind the gate (lifecycle.go).
		ports, err := opt.Cloud(CloudEnv{Post: loop.Post, Trace: tr,
			Business: func(vm string) (bool, bool) {
				if world.NFVI.VM(vm) == nil {
					return false, false
				}
				return world.NFVI.CarriesBusiness(vm), true
			},
			Session: func() string {
				for _, st := range tb.Manager.Sessions() {
					if !event.Terminal(st.State) {
						return st.ID
					}
				}
				return ""
			}})
		if err != nil {
			return nil, err
		}
		vimCloud, vimSystem, queryCloud = ports.Cloud, ports.System, ports.Cloud
		tb.cloudFinish = ports.Finish
		if ports.Announce != nil {
			ports.Announce()
		}
	}
	tb.cloud, tb.system = vimCloud, vimSystem
	notifyClient := checkedOver(vimNext, "vim", openapi.VNFMNotification)
	if opt.Resume != nil {
		// The earlier process drew its IDs from the same seed: the
		// same draws again would name new notifications and sessions
		// as old ones, which a VNFM takes for repeats.
		rnd = sim.NewRand(resumeSeed(seed, opt.Resume))
	}
	store := opt.Store
	if store == nil {
		store = vimhttp.NewStore(rnd.UUID)
	}
	tb.Store = store
	if opt.Resume != nil {
		if err := tb.resume(opt.Resume); err != nil {
			return nil, err
		}
	}
	root := opt.APIRoot
	if root == "" {
		root = "http://" + vimHost
	}
	tb.notifierProto = &vimhttp.Notifier{Store: store, Trace: tr, APIRoot: root,
		Caller:      &edge.Caller{Client: notifyClient, Sync: !opt.Real, Post: post},
		TokenCaller: &edge.Caller{Client: &http.Client{Transport: vimNext}, Sync: !opt.Real, Post: post}}
	tb.newID = rnd.UUID
	switch {
	case opt.NoStateStore:
	case opt.StateStore != nil:
		tb.stateStore = opt.StateStore
	default:
		tb.stateStore = orchestrator.NewMemoryStore()
	}
	vimServer := &vimhttp.Server{Cloud: queryCloud, Store: store, Exec: loop.Exec, Client: notifyClient, TokenClient: &http.Client{Transport: vimNext}, Trace: tr, APIRoot: opt.APIRoot,
		Defaults: vimhttp.Defaults{ReplyTimeout: u.ReplyTimeout.D(), UpgradeTimeout: u.UpgradeTimeout.D()}}
	mux := http.NewServeMux()
	tb.vimServer = vimServer
	tb.startManager()
	mux.Handle(vimhttp.Base+"/", tb.available(vimhttp.Handler(vimServer, specs[openapi.VIMMaintenance], opt.Auth, onViolation("vim"))))
	mux.Handle(vnfhttp.Base+"/", vnfhttp.Handler(&vnfhttp.Server{World: world, Exec: loop.Exec}, specs[openapi.VNFControl], opt.Auth, onViolation("vnf")))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		edge.WriteProblem(w, http.StatusNotFound, "no resource at "+r.URL.Path+"; the APIs are under "+vimhttp.Base+" and "+vnfhttp.Base)
	})
	tb.Handler = mux
	if record {
		tb.Handler = tb.recordingHandler(mux)
	}

	rollback := u.Rollback == nil || *u.Rollback
	tb.Config = orchestrator.Config{
		Flow: u.Flow, TargetVersion: u.TargetVersion, Nodes: u.Nodes, MaxParallel: u.MaxParallel,
		ReplyTimeout: u.ReplyTimeout.D(), UpgradeTimeout: u.UpgradeTimeout.D(), OnNack: u.OnNack,
		Rollback: rollback, GroupLimits: groupLimits, Defects: u.Defects,
		GroupLeadTime: lead, GroupRecovery: recovery, GroupMigration: migration,
		BatchByZone: u.BatchBy == "zone", CheckCapacity: u.Precheck != "none", ScaleIn: u.ScaleIn,
	}
	if len(u.ReplyDeadlines) > 0 {
		tb.Config.ReplyDeadlines = map[string]time.Duration{}
		for st, d := range u.ReplyDeadlines {
			tb.Config.ReplyDeadlines[st] = d.D()
		}
	}
	fs := &faults{tb: tb, rnd: sim.NewRand(seed + 1)}
	world.NFVI.MigrationHook = fs.migrationHook
	tb.notifierProto.Redeliver = fs.redeliver
	tb.notifier.Redeliver = fs.redeliver
	if opt.Real {
		if opt.Resume == nil {
			fs.arm(s.Faults)
		}
		return tb, nil
	}

	// Virtual: the reference VNFM joins over the in-process wire.
	inproc.Handle(vimHost, tb.Handler)
	client, err := vnfmhttp.NewClient("http://"+vimHost, "http://"+vimHost, checked(s.VNFM.Name, openapi.VIMMaintenance, openapi.VNFControl), opt.Auth, loop)
	if err != nil {
		return nil, escalator.Errorf(escalator.EINTERNAL, "VNFM client: %v", err)
	}
	tb.vnfm = sim.NewVNFM(sim.VNFMConfig{Name: s.VNFM.Name, Behavior: s.VNFM.Behavior, ReplyAfter: s.VNFM.ReplyAfter.D(),
		LateBy: s.VNFM.LateBy.D(), RestoreTime: s.VNFM.RestoreTime.D()}, loop, tr, client, client.Reply)
	host := vnfmHost(s.VNFM.Name)
	tb.vnfmServer = &vnfmhttp.Server{VNFM: tb.vnfm, Exec: loop.Exec}
	sec, subAuth, err := vnfmhttp.NotifySecurity(notifyAuth[s.VNFM.NotifyAuth])
	if err != nil {
		return nil, escalator.Errorf(escalator.EINTERNAL, "VNFM security: %v", err)
	}
	if subAuth != nil && subAuth.ParamsOauth2ClientCredentials != nil {
		subAuth.ParamsOauth2ClientCredentials.TokenEndpoint = "http://" + host + vnfmhttp.TokenPath
	}
	fs.vnfmH, fs.host = vnfmhttp.Handler(tb.vnfmServer, specs[openapi.VNFMNotification], sec, onViolation(s.VNFM.Name)), host
	inproc.Handle(host, fs.vnfmH)
	tb.vnfm.Override = fs.vnfmOverride
	if _, err := client.Subscribe(s.VNFM.Name, "http://"+host+vnfmhttp.Base+"/notifications", subAuth, s.VNFM.Behavior); err != nil {
		return nil, escalator.Errorf(escalator.EINTERNAL, "the reference VNFM could not subscribe: %v", err)
	}
	fs.arm(s.Faults)
	return tb, nil
}

// notifyAuth are the made-up credentials of vnfm.notifyAuth.
var notifyAuth = map[string]string{"": "", "basic": "basic:vim:basic-secret", "oauth2": "oauth2:vim-client:oauth2-secret"}

// Conclude ends a run: the world closes its books (service summaries,
// final node states) and the trace is judged into res.
func (tb *Testbed) Conclude(res *judge.Result) {
	if tb.cloudFinish != nil {
		tb.World.FinishServices()
		tb.cloudFinish()
	} else {
		tb.World.Finish()
	}
	res.Events = tb.Trace.Events
	res.EventCount = int(tb.Trace.Len())
	res.Elapsed = tb.Elapsed()
	res.Lost = tb.World.LostRequests()
	res.Checks = tb.judge.Done()
	res.Metrics = tb.judge.Metrics()
	res.Verdict = judge.Verdict(tb.Scenario, res.Checks)
}

// maxImpacted is how many instances of a VNF may be out of service at once:
// what its IFA 011 limits say, or else one for an active-standby VNF (never
// both of a pair), and for a load-balanced pool as many as leave enough
// capacity for the load.
func maxImpacted(v spec.VNFSpec) int {
	n := 1
	if v.Mode == spec.ModeLoadBalanced && v.CapacityPerInstance > 0 {
		needed := int(math.Ceil(float64(v.Load) / float64(v.CapacityPerInstance)))
		n = max(1, v.Instances-needed)
	}
	if m := v.Maintenance; m != nil {
		if m.MaxImpacted > 0 {
			n = m.MaxImpacted
		}
		if m.MinPreserved > 0 {
			n = min(n, max(1, v.Instances-m.MinPreserved))
		}
	}
	return n
}

// Subscribed reports whether every VNFM the scenario names has subscribed.
func (tb *Testbed) Subscribed() bool {
	have := tb.Store.VNFMs()
	for _, v := range tb.VNFMs {
		if !slices.Contains(have, v) {
			return false
		}
	}
	return true
}
