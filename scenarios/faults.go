package scenarios

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
)

// watch is the testbed's emitter: it records every event in the trace and
// lets step triggers ("node compute-3 upgrading") see them go by.
type watch struct {
	trace *escalator.Trace
	hooks []func(escalator.Event)
	// mute drops what is emitted: a resumed world's making (resume.go).
	mute bool
}

func (w *watch) Emit(actor, kind, subject string, f escalator.Fields) {
	if w.mute {
		return
	}
	w.trace.Emit(actor, kind, subject, f)
	e := w.trace.Last()
	for _, h := range w.hooks {
		h(e)
	}
}

// gate is the VIM's availability. While it is down the orchestrator does
// nothing: the callbacks and timers meant for it are held and delivered, in
// order, when it comes back; its API answers 503. The NFVI, the VNFs and the
// VNF control API go on serving (Escalator R12).
type gate struct {
	loop *sim.Loop
	down bool
	held []func()
}

func (g *gate) hold(fn func()) func() {
	return func() {
		if g.down {
			g.held = append(g.held, fn)
			return
		}
		fn()
	}
}

func (g *gate) up() {
	g.down = false
	held := g.held
	g.held = nil
	for _, fn := range held {
		g.loop.AfterFunc(0, fn)
	}
}

// available answers 503 while the VIM is down, and for a request during
// which its process crashed (a virtual run buffers each answer to know).
func (tb *Testbed) available(h http.Handler) http.Handler {
	g := tb.gate
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		down := false
		var l *life
		g.loop.Exec(func() { down, l = g.down, tb.life })
		if down {
			edge.WriteProblem(w, http.StatusServiceUnavailable, "the VIM is unavailable (outage); the infrastructure keeps serving, retry later")
			return
		}
		if tb.opt.Real {
			h.ServeHTTP(w, r)
			return
		}
		buf := &aliveResponse{h: http.Header{}}
		h.ServeHTTP(buf, r)
		if l.dead {
			edge.WriteProblem(w, http.StatusServiceUnavailable, "the VIM crashed while serving this request; retry later")
			return
		}
		buf.send(w)
	})
}

// fault is one armed FaultSpec.
type fault struct {
	spec.FaultSpec
	index  int
	active bool
	left   int // occasions left; -1 unlimited
}

// faults arms a scenario's faults on a testbed and answers the hooks the
// world and the VNFM ask at each occasion.
type faults struct {
	tb    *Testbed
	rnd   *sim.Rand
	list  []*fault
	vnfmH http.Handler
	host  string
}

func (fs *faults) record(f *fault, what event.FaultInjected) {
	what.Fault = f.Do
	what.Index = event.Ptr(f.index)
	subject := f.Node
	if subject == "" {
		subject = fmt.Sprintf("faults[%d]", f.index)
	}
	event.Emit(fs.tb.emit, "fault", subject, what)
}

// arm schedules each fault's activation: at its time, at its step, or at
// the step once its time has come.
func (fs *faults) arm(specs []spec.FaultSpec) {
	for i, s := range specs {
		kind, _ := spec.FaultKindOf(s.Do) // known: the loader checked it
		f := &fault{FaultSpec: s, index: i, left: s.Count}
		if f.left == 0 {
			f.left = 1
			if s.Probability > 0 || kind.EveryOccasion {
				f.left = -1
			}
		}
		fs.list = append(fs.list, f)
		if kind.Class == spec.FaultNode {
			fs.tb.World.NFVI.SetFault(s.Node, sim.NodeFault(s.Do))
			continue
		}
		if s.When == "" {
			fs.tb.Loop.AfterFunc(s.At.D(), func() { fs.activate(f) })
			continue
		}
		w := strings.Fields(s.When) // "node NAME STATE", checked by the loader
		fs.tb.emit.hooks = append(fs.tb.emit.hooks, func(e escalator.Event) {
			st, ok, _ := event.As[event.NodeState](e)
			if f.active || !ok || e.Subject != w[1] || st.To != w[2] {
				return
			}
			wait := max(0, s.At.D()-fs.tb.Loop.Elapsed())
			// Not inside the emitting state change: as its own event.
			fs.tb.Loop.AfterFunc(wait, func() { fs.activate(f) })
		})
	}
}

func (fs *faults) activate(f *fault) {
	if f.active {
		return
	}
	f.active = true
	// Occasion faults without an action (VNFM misbehaviour, migrations)
	// now wait for their occasions.
	if act := faultActions[f.Do]; act != nil {
		act(fs, f)
	}
}

func (fs *faults) nodeFails(f *fault) {
	tb := fs.tb
	fs.record(f, event.FaultInjected{For: f.For.D().String()})
	tb.World.NFVI.FailNode(f.Node, "unplanned failure of node "+f.Node)
	if f.For > 0 {
		tb.Loop.AfterFunc(f.For.D(), func() { tb.World.NFVI.RepairNode(f.Node) })
	}
}

func (fs *faults) bootVM(f *fault) {
	tb := fs.tb
	id := fmt.Sprintf("boot-%d", f.index+1)
	fs.record(f, event.FaultInjected{VM: id, IgnoreMaintenance: event.Ptr(f.IgnoreMaintenance)})
	if err := tb.World.BootVM(id, 1, 1, f.IgnoreMaintenance); err != nil {
		event.Emit(tb.emit, "fault", id, event.FaultBootVMFailed{Error: err.Error()})
	}
}

func (fs *faults) vnfmCrash(f *fault) {
	tb := fs.tb
	if tb.vnfm == nil {
		return
	}
	fs.record(f, event.FaultInjected{VNFM: tb.vnfm.Name(), For: f.For.D().String()})
	tb.vnfm.Crash()
	tb.inproc.Handle(fs.host, nil)
	tb.Loop.AfterFunc(f.For.D(), func() {
		tb.inproc.Handle(fs.host, fs.vnfmH)
		tb.vnfm.Restart()
	})
}

func (fs *faults) vimDown(f *fault) {
	tb := fs.tb
	fs.record(f, event.FaultInjected{For: f.For.D().String()})
	tb.gate.down = true
	tb.Loop.AfterFunc(f.For.D(), func() {
		event.Emit(tb.emit, "fault", fmt.Sprintf("faults[%d]", f.index), event.FaultCleared{Fault: f.Do})
		tb.gate.up()
	})
}

func (fs *faults) orchestratorCrash(f *fault) {
	fs.tb.CrashOrchestrator(f.For.D(), func() { fs.record(f, event.FaultInjected{For: f.For.D().String()}) })
}

func (fs *faults) notify5xx(f *fault) {
	tb := fs.tb
	if tb.vnfmServer == nil {
		return
	}
	n := max(f.left, 1)
	fs.record(f, event.FaultInjected{Deliveries: event.Ptr(n)})
	tb.vnfmServer.FailNext += n
}

// take consumes one occasion of an active fault of one of the kinds, for
// node (when the fault names one): the count and the seeded draw decide.
func (fs *faults) take(node func(string) bool, kinds ...string) *fault {
	for _, f := range fs.list {
		if !f.active || f.left == 0 || !slices.Contains(kinds, f.Do) {
			continue
		}
		if f.Node != "" && !node(f.Node) {
			continue
		}
		if f.Probability > 0 && fs.rnd.Float64() >= f.Probability {
			continue
		}
		if f.left > 0 {
			f.left--
		}
		return f
	}
	return nil
}

// vnfmFaults are the kinds the VNFM's Override hook consults: those with a
// behavior.
var vnfmFaults = spec.FaultNames(func(k spec.FaultKind) bool { return k.Behavior != "" })

// vnfmOverride is the VNFM's Override hook.
func (fs *faults) vnfmOverride(n orchestrator.Notification) string {
	f := fs.take(func(node string) bool { return slices.Contains(n.AffectedNodes, node) }, vnfmFaults...)
	if f == nil {
		return ""
	}
	kind, _ := spec.FaultKindOf(f.Do)
	return kind.Behavior
}

// redeliver is the notifier's Redeliver hook.
func (fs *faults) redeliver(n orchestrator.Notification) bool {
	f := fs.take(func(node string) bool { return slices.Contains(n.AffectedNodes, node) }, spec.FaultNotifyTwice)
	if f == nil {
		return false
	}
	fs.record(f, event.FaultInjected{NotificationID: n.ID})
	return true
}

// migrationHook is the NFVI's MigrationHook.
func (fs *faults) migrationHook(vm *sim.VM) sim.MigrationFault {
	on := func(node string) bool { return vm.Host != nil && vm.Host.ID == node }
	var out sim.MigrationFault
	if f := fs.take(on, spec.FaultMigrationFails); f != nil {
		fs.record(f, event.FaultInjected{VM: vm.ID})
		out.Fail = true
	}
	if f := fs.take(on, spec.FaultMigrationSlow); f != nil {
		out.Factor = f.Factor
		if out.Factor == 0 {
			out.Factor = 3
		}
		fs.record(f, event.FaultInjected{VM: vm.ID, Factor: event.Ptr(out.Factor)})
	}
	return out
}
