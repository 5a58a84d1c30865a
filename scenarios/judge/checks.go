package judge

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/replay"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// Check statuses.
const (
	CheckPassed   = "passed"
	CheckFailed   = "failed"
	CheckDisabled = "disabled"
)

// CheckOutcome is the check every scenario runs and none may switch off:
// the session ended the way the scenario expects.
const CheckOutcome = "outcome"

// Violation is one breach of a rule, with the events that show it.
type Violation struct {
	Message string
	Events  []escalator.Event
}

// CheckResult is one check's verdict on a run.
type CheckResult struct {
	Name       string
	Status     string
	Reason     string // why a check is disabled
	Violations []Violation
}

// maxViolations caps what one check reports; the first ones explain it.
const maxViolations = 5

// Judge runs every check over a trace: the built-in ones in the order of
// builtinChecks (outcome first), then the conformance checks the case is
// decided by, then the scenario's thresholds and assertions. The checks
// that judge the world event by event share one replay of the trace.
func Judge(s *spec.Scenario, events []escalator.Event) []CheckResult {
	st := newStream(newJudge(s, events))
	for _, e := range events {
		st.Add(e)
	}
	return st.Done()
}

// Stream judges a trace as it is emitted: Add each event in order (a trace
// sink), then Done. It replays the world once, runs the checks that walk it
// event by event as the events come, and keeps of the events only what the
// other checks and the metrics read at the end (keepKinds), so a run's
// memory does not grow with its trace. A scenario with assertions or a
// conformance block keeps every event: those read the trace as a whole,
// and such scenarios are small.
type Stream struct {
	j      *judge
	keep   func(kind string) bool
	steps  []func(i int, e escalator.Event, w *replay.World)
	dones  map[string]func() []Violation
	finish func()
	i      int
}

// NewStream starts judging a trace of s that is still to come.
func NewStream(s *spec.Scenario) *Stream {
	st := newStream(&judge{s: s, world: replay.New(), streaming: true})
	if s.Conformance == nil && len(s.Expect.Assertions) == 0 {
		st.keep = func(kind string) bool { return keepKinds[kind] }
	}
	return st
}

// keepKinds are the kinds a streamed judge keeps: what the checks that do
// not walk the trace (outcome, zero-loss, max-interruption, final-state,
// spec-conformance) and the metrics read once it is over. None grows with
// the number of events per node: a run keeps a few per node, per service
// and per notification.
var keepKinds = map[string]bool{
	"session.created": true, "session.state": true, "session.refused": true,
	"service.summary": true, "service.interruption": true, "node.final": true, "node.version": true,
	"spec.violation": true, "vnfm.notify": true, "vnfm.reply": true, "vm.migrating": true,
	"delivery.attempt": true, "delivery.failed": true,
}

func newStream(j *judge) *Stream {
	st := &Stream{j: j, dones: map[string]func() []Violation{}, finish: func() {}}
	s := j.s
	for _, c := range builtinChecks {
		if c.Walk != nil && !disabled(s, c) {
			wk := c.Walk(j)
			st.steps = append(st.steps, wk.step)
			st.dones[c.Name] = wk.done
		}
	}
	if s.Conformance != nil {
		var step func(i int, e escalator.Event, w *replay.World)
		step, st.finish = j.followMaintenance()
		st.steps = append(st.steps, step)
	}
	return st
}

// Add judges the next event of the trace.
func (st *Stream) Add(e escalator.Event) {
	j := st.j
	if j.streaming {
		j.see(e)
		if st.keep == nil || st.keep(e.Kind) {
			j.events = append(j.events, e)
		}
	}
	j.world.Apply(e)
	for _, step := range st.steps {
		step(st.i, e, j.world)
	}
	st.i++
}

// Metrics are the trace's metrics (Metrics), from what the stream kept.
func (st *Stream) Metrics() map[string]float64 {
	return computeMetrics(st.j.events, st.j.world).values
}

// Done runs the checks that judge the trace as a whole and returns every
// check's result, as Judge does.
func (st *Stream) Done() []CheckResult {
	j, s := st.j, st.j.s
	st.finish()
	out := make([]CheckResult, 0, len(builtinChecks))
	for _, c := range builtinChecks {
		r := CheckResult{Name: c.Name, Status: CheckPassed}
		if disabled(s, c) {
			r.Status, r.Reason = CheckDisabled, s.Checks[c.Name].Disabled
			out = append(out, r)
			continue
		}
		var v []Violation
		if c.Walk != nil {
			v = st.dones[c.Name]()
		} else {
			v = c.Run(j)
		}
		if len(v) > 0 {
			r.Status = CheckFailed
			if len(v) > maxViolations {
				more := len(v) - maxViolations
				v = append(v[:maxViolations], Violation{Message: fmt.Sprintf("... and %d more", more)})
			}
			r.Violations = v
		}
		out = append(out, r)
	}
	out = append(out, judgeConformance(j)...)
	return append(out, judgeExpectations(s, j.events, j.world)...)
}

func disabled(s *spec.Scenario, c checkDef) bool {
	spec, ok := s.Checks[c.Name]
	return ok && spec.Disabled != "" && !c.Always
}

// judge holds what every check needs: the trace and the session's terms as
// the trace recorded them, so checks can also judge a trace read from disk.
type judge struct {
	s       *spec.Scenario
	events  []escalator.Event
	created escalator.Event
	final   string // the session's last state
	nodes   []string
	// world is the trace's world: after Judge's replay, as it ended.
	world *replay.World
	// notes are the VNFM's maintenance notifications, which the
	// conformance checks judge (followMaintenance).
	notes []*note
	// streaming: the trace comes one event at a time (NewStream), and the
	// session's terms are learnt as its events go by; otherwise newJudge
	// read them from the whole trace first.
	streaming bool
	// sessions counts the session.created seen, so that a check that
	// indexes the session's nodes knows when they change.
	sessions int
}

func newJudge(s *spec.Scenario, events []escalator.Event) *judge {
	j := &judge{s: s, events: events, world: replay.New()}
	for _, e := range events {
		j.see(e)
	}
	return j
}

// see takes in the session's terms and end from its events.
func (j *judge) see(e escalator.Event) {
	switch e.Kind {
	case "session.created":
		j.created = e
		j.nodes = evt[event.SessionCreated](e).Nodes
		j.sessions++
	case "session.state":
		j.final = evt[event.SessionState](e).State
	case "session.refused":
		j.final = SessionRefused
	}
}

// evt reads an event's fields as its kind's type. A field that does not
// fit (a trace written by hand) reads as its zero value, as the checks
// always have.
func evt[T event.Payload](e escalator.Event) T {
	p, _, _ := event.As[T](e)
	return p
}

func (j *judge) find(kind, subject string) []escalator.Event {
	var out []escalator.Event
	for _, e := range j.events {
		if e.Kind == kind && (subject == "" || e.Subject == subject) {
			out = append(out, e)
		}
	}
	return out
}

func checkOutcome(j *judge) []Violation {
	want := map[string][]string{
		spec.OutcomeCompleted: {event.SessionCompleted},
		spec.OutcomeRollback:  {event.SessionRolledBack},
		spec.OutcomeFailed:    {event.SessionFailed, event.SessionAborted},
		spec.OutcomeRefused:   {SessionRefused},
	}[j.s.Expect.Outcome]
	if slices.Contains(want, j.final) {
		return nil
	}
	evidence := lastN(j.find("session.state", ""), 2)
	if j.final == SessionRefused {
		evidence = j.find("session.refused", "")
	}
	return []Violation{{
		Message: fmt.Sprintf("the session ended %s; the scenario expects outcome %q", j.final, j.s.Expect.Outcome),
		Events:  evidence,
	}}
}

func lastN(es []escalator.Event, n int) []escalator.Event {
	if len(es) > n {
		return es[len(es)-n:]
	}
	return es
}

func checkZeroLoss(j *judge) []Violation {
	var out []Violation
	for _, e := range j.find("service.summary", "") {
		if p := evt[event.ServiceSummary](e); p.Lost > 0 {
			out = append(out, Violation{
				Message: fmt.Sprintf("service %s lost %s requests in %d interruptions", e.Subject, fmtNum(p.Lost), p.Interruptions),
				Events:  append(firstN(j.find("service.interruption", e.Subject), 3), e),
			})
		}
	}
	return out
}

func firstN(es []escalator.Event, n int) []escalator.Event {
	if len(es) > n {
		return es[:n]
	}
	return es
}

func fmtNum(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.3f", f)
}

func checkMaxInterruption(j *judge) []Violation {
	bound := time.Second
	if c, ok := j.s.Checks["max-interruption"]; ok && c.Bound > 0 {
		bound = c.Bound.D()
	}
	var out []Violation
	for _, e := range j.find("service.interruption", "") {
		p := evt[event.ServiceInterruption](e)
		d, _ := time.ParseDuration(p.Duration)
		if d >= bound {
			out = append(out, Violation{
				Message: fmt.Sprintf("service %s was interrupted for %s (bound %s): %s", e.Subject, d, bound, p.Cause),
				Events:  []escalator.Event{e},
			})
		}
	}
	return out
}

// walk is a check that judges the world event by event, inside the one
// replay Judge makes: step sees each event just after the world took it
// in, done gives the violations once the trace is over.
type walk struct {
	step func(i int, e escalator.Event, w *replay.World)
	done func() []Violation
}

// nodeState is a node's state, "" for one the trace never named.
func nodeState(w *replay.World, node string) string {
	n, _ := w.Node(node)
	return n.State
}

func checkPlacement(j *judge) walk {
	var out []Violation
	// The last node.state of each node, the evidence of a violation: kept
	// here because a streamed judge does not keep the trace.
	lastState := map[string]escalator.Event{}
	step := func(i int, e escalator.Event, w *replay.World) {
		var node, vm string
		switch e.Kind {
		case "node.state":
			lastState[e.Subject] = e
			return
		case "vm.placed":
			node, vm = evt[event.VMPlaced](e).Node, e.Subject
		case "vm.migrating":
			node, vm = evt[event.VMMigrating](e).To, e.Subject
		default:
			return
		}
		if st := nodeState(w, node); st != event.NodeNormal {
			out = append(out, Violation{
				Message: fmt.Sprintf("VM %s was put on node %s while the node was %s", vm, node, st),
				Events:  []escalator.Event{lastState[node], e},
			})
		}
	}
	return walk{step, func() []Violation { return out }}
}

func checkNotifyBeforeTouch(j *judge) walk {
	var out []Violation
	step := func(i int, e escalator.Event, w *replay.World) {
		var touched []string
		var how string
		switch e.Kind {
		case "vm.migrating":
			touched, how = []string{e.Subject}, "migrated"
		case "node.upgrade-started":
			touched, how = w.VMsOn(e.Subject), "on node "+e.Subject+" when its upgrade started"
		default:
			return
		}
		for _, id := range touched {
			vm, _ := w.VM(id)
			if vm.VNFM == "" {
				continue
			}
			if n, ok := w.Notice(id); !ok || !n.Open {
				out = append(out, Violation{
					Message: fmt.Sprintf("VM %s of VNFM %s was %s without a maintenance notification to its VNFM", id, vm.VNFM, how),
					Events:  []escalator.Event{e},
				})
			}
		}
	}
	return walk{step, func() []Violation { return out }}
}

func checkUpgradeAfterReply(j *judge) walk {
	var out []Violation
	step := func(i int, e escalator.Event, w *replay.World) {
		if e.Kind != "node.upgrade-started" {
			return
		}
		seen := map[string]bool{}
		for _, id := range w.VMsOn(e.Subject) {
			vm, _ := w.VM(id)
			vnfm := vm.VNFM
			if vnfm == "" || seen[vnfm] {
				continue
			}
			seen[vnfm] = true
			notice, ok := w.Notice(id)
			if !ok || !notice.Open {
				out = append(out, Violation{
					Message: fmt.Sprintf("node %s was upgraded with VMs of VNFM %s on it, and that VNFM was never asked", e.Subject, vnfm),
					Events:  []escalator.Event{e},
				})
				continue
			}
			note := notice.Event
			within, _ := time.ParseDuration(notice.Notify.ReplyWithin)
			n, _ := w.Notification(notice.Notify.NotificationID)
			reply := n.AcceptedReply.Reply
			switch {
			case len(reply) > 4 && strings.HasPrefix(reply, "NACK"):
				out = append(out, Violation{
					Message: fmt.Sprintf("node %s was upgraded although VNFM %s refused (%s)", e.Subject, vnfm, reply),
					Events:  []escalator.Event{note, *n.Accepted, e},
				})
			case n.Accepted != nil:
			case e.At-note.At >= within:
			default:
				out = append(out, Violation{
					Message: fmt.Sprintf("node %s was upgraded %s after VNFM %s was notified, with no reply and before the %s deadline", e.Subject, e.At-note.At, vnfm, within),
					Events:  []escalator.Event{note, e},
				})
			}
		}
	}
	return walk{step, func() []Violation { return out }}
}

func checkBusinessMoved(j *judge) walk {
	var out []Violation
	step := func(i int, e escalator.Event, w *replay.World) {
		if e.Kind != "node.upgrade-started" {
			return
		}
		for _, id := range w.VMsOn(e.Subject) {
			if vm, _ := w.VM(id); vm.Carrying {
				out = append(out, Violation{
					Message: fmt.Sprintf("VM %s (%s) still carried business when node %s started upgrading", id, vm.VNF, e.Subject),
					Events:  []escalator.Event{e},
				})
			}
		}
	}
	return walk{step, func() []Violation { return out }}
}

func checkPairRedundancy(j *judge) walk {
	reported := map[string]bool{}
	var out []Violation
	step := func(i int, e escalator.Event, w *replay.World) {
		// Only the VNFs this event can have changed need a look.
		var vnfs []string
		switch e.Kind {
		case "node.state":
			for _, id := range w.VMsOn(e.Subject) {
				vm, _ := w.VM(id)
				vnfs = append(vnfs, vm.VNF)
			}
		case "vm.state", "vm.migrated":
			vm, _ := w.VM(e.Subject)
			vnfs = append(vnfs, vm.VNF)
		}
		for _, name := range vnfs {
			if name == "" || reported[name] {
				continue
			}
			if vnf, _ := w.VNF(name); vnf.Mode != spec.ModeActiveStandby {
				continue
			}
			var vms []replay.VM
			for _, id := range w.Members(name) {
				vm, _ := w.VM(id)
				if nodeState(w, vm.Host) != event.NodeNormal || vm.State != "running" {
					vms = append(vms, vm)
				}
			}
			if len(vms) < 2 {
				continue
			}
			reported[name] = true
			slices.SortFunc(vms, func(a, b replay.VM) int { return strings.Compare(a.ID, b.ID) })
			desc := ""
			for _, vm := range vms {
				desc += fmt.Sprintf(" %s (node %s %s, VM %s)", vm.ID, vm.Host, nodeState(w, vm.Host), vm.State)
			}
			out = append(out, Violation{
				Message: fmt.Sprintf("both members of active-standby VNF %s were impacted at once:%s", name, desc),
				Events:  []escalator.Event{e},
			})
		}
	}
	done := func() []Violation {
		slices.SortFunc(out, func(a, b Violation) int { return int(a.Events[0].Seq - b.Events[0].Seq) })
		return out
	}
	return walk{step, done}
}

func checkMaxParallel(j *judge) walk {
	var out []Violation
	// busy is the session's nodes out of normal service, kept up to date
	// from the events that change a node's state, rather than counted over
	// every node at every node.state: that count made this check
	// quadratic in the nodes (bench/PROFILE.md).
	var (
		session   = -1 // j.sessions when busy was built
		inSession map[string]bool
		busy      map[string]bool
		// limit is read once per session: decoding session.created at each
		// node.state decoded its list of every node each time, quadratic
		// again.
		limit int
	)
	out1 := func(w *replay.World, node string) bool {
		n, ok := w.Node(node)
		return ok && n.State != event.NodeNormal
	}
	step := func(i int, e escalator.Event, w *replay.World) {
		if len(out) > 0 {
			return
		}
		switch e.Kind {
		case "node.state", "node.added", "node.version":
		default:
			return
		}
		if session != j.sessions {
			session = j.sessions
			limit = evt[event.SessionCreated](j.created).MaxParallel
			inSession, busy = map[string]bool{}, map[string]bool{}
			for _, node := range j.nodes {
				inSession[node] = true
				if out1(w, node) {
					busy[node] = true
				}
			}
		} else if inSession[e.Subject] {
			if out1(w, e.Subject) {
				busy[e.Subject] = true
			} else {
				delete(busy, e.Subject)
			}
		}
		if e.Kind != "node.state" {
			return
		}
		if len(busy) > limit {
			list := slices.Sorted(maps.Keys(busy))
			out = append(out, Violation{
				Message: fmt.Sprintf("%d nodes were out of service at once %v; maxParallel is %d", len(busy), list, limit),
				Events:  []escalator.Event{e},
			})
		}
	}
	return walk{step, func() []Violation { return out }}
}

func checkFinalState(j *judge) []Violation {
	target := evt[event.SessionCreated](j.created).TargetVersion
	final := map[string][]escalator.Event{}
	for _, e := range j.events {
		if e.Kind == "node.final" {
			final[e.Subject] = []escalator.Event{e}
		}
	}
	var out []Violation
	for _, node := range j.nodes {
		n, _ := j.world.Node(node)
		st, ver := n.State, n.Version
		finals := final[node]
		switch j.s.Expect.Outcome {
		case spec.OutcomeRollback:
			if ver != n.Original || st != event.NodeNormal {
				out = append(out, Violation{Message: fmt.Sprintf("after the rollback node %s is %s at version %s; expected normal at %s", node, st, ver, n.Original), Events: finals})
			}
		case spec.OutcomeFailed:
			if st == event.NodeMaintenance {
				out = append(out, Violation{Message: fmt.Sprintf("node %s was left in maintenance", node), Events: finals})
			}
		default:
			if ver != target || st != event.NodeNormal {
				out = append(out, Violation{Message: fmt.Sprintf("node %s ended %s at version %s; expected normal at %s", node, st, ver, target), Events: finals})
			}
		}
	}
	return out
}

func checkSpecConformance(j *judge) []Violation {
	var out []Violation
	for _, e := range j.find("spec.violation", "") {
		who := e.Subject
		p := evt[event.SpecViolation](e)
		msg := fmt.Sprintf("%s: %s %s %s", who, p.Method, p.Path, p.Message)
		if p.Status > 0 {
			msg += fmt.Sprintf(" %d", p.Status)
		}
		out = append(out, Violation{Message: msg + " broke the " + p.Spec + " spec: " + p.Detail, Events: []escalator.Event{e}})
	}
	return out
}
