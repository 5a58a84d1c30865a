package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
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
// decided by, then the scenario's thresholds and assertions.
func Judge(s *Scenario, events []escalator.Event) []CheckResult {
	j := newJudge(s, events)
	out := make([]CheckResult, 0, len(builtinChecks))
	for _, c := range builtinChecks {
		r := CheckResult{Name: c.Name, Status: CheckPassed}
		if spec, ok := s.Checks[c.Name]; ok && spec.Disabled != "" && !c.Always {
			r.Status, r.Reason = CheckDisabled, spec.Disabled
			out = append(out, r)
			continue
		}
		if v := c.Run(j); len(v) > 0 {
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
	return append(out, judgeExpectations(s, events)...)
}

// judge holds what every check needs: the trace and the session's terms as
// the trace recorded them, so checks can also judge a trace read from disk.
type judge struct {
	s       *Scenario
	events  []escalator.Event
	created escalator.Event
	final   string // the session's last state
	nodes   []string
}

func newJudge(s *Scenario, events []escalator.Event) *judge {
	j := &judge{s: s, events: events}
	for _, e := range events {
		switch e.Kind {
		case "session.created":
			j.created = e
			j.nodes = e.Strs("nodes")
		case "session.state":
			j.final = e.Str("state")
		case "session.refused":
			j.final = SessionRefused
		}
	}
	return j
}

// world replays the trace into the state of the world at each event.
type world struct {
	nodeState   map[string]string
	nodeVersion map[string]string
	original    map[string]string
	vmHost      map[string]string
	vmState     map[string]string
	vmVNFM      map[string]string
	vmVNF       map[string]string
	carrying    map[string]bool
	vnfMode     map[string]string
	onNode      map[string]map[string]bool
	vnfVMs      map[string][]string
}

func newWorld() *world {
	return &world{nodeState: map[string]string{}, nodeVersion: map[string]string{}, original: map[string]string{},
		vmHost: map[string]string{}, vmState: map[string]string{}, vmVNFM: map[string]string{}, vmVNF: map[string]string{},
		carrying: map[string]bool{}, vnfMode: map[string]string{}, onNode: map[string]map[string]bool{}, vnfVMs: map[string][]string{}}
}

func (w *world) apply(e escalator.Event) {
	switch e.Kind {
	case "node.added":
		w.nodeState[e.Subject] = orchestrator.NodeNormal
		w.nodeVersion[e.Subject] = e.Str("version")
		w.original[e.Subject] = e.Str("version")
	case "node.state":
		w.nodeState[e.Subject] = e.Str("to")
	case "node.version":
		w.nodeVersion[e.Subject] = e.Str("to")
	case "vm.placed":
		w.move(e.Subject, e.Str("node"))
		w.vmState[e.Subject] = "running"
		w.vmVNFM[e.Subject] = e.Str("vnfm")
		if vnf := e.Str("vnf"); vnf != "" {
			w.vmVNF[e.Subject] = vnf
			w.vnfVMs[vnf] = append(w.vnfVMs[vnf], e.Subject)
		}
	case "vm.migrated":
		w.move(e.Subject, e.Str("to"))
	case "vm.deleted":
		delete(w.onNode[w.vmHost[e.Subject]], e.Subject)
		delete(w.vmHost, e.Subject)
		w.vmState[e.Subject] = "deleted"
		if vnf := w.vmVNF[e.Subject]; vnf != "" {
			w.vnfVMs[vnf] = slices.DeleteFunc(w.vnfVMs[vnf], func(vm string) bool { return vm == e.Subject })
		}
	case "vm.state":
		w.vmState[e.Subject] = e.Str("to")
	case "vm.business":
		w.carrying[e.Subject] = e.Fields["carrying"] == true
	case "vnf.deployed":
		w.vnfMode[e.Subject] = e.Str("mode")
	}
}

func (w *world) move(vm, to string) {
	if from, ok := w.vmHost[vm]; ok {
		delete(w.onNode[from], vm)
	}
	w.vmHost[vm] = to
	if w.onNode[to] == nil {
		w.onNode[to] = map[string]bool{}
	}
	w.onNode[to][vm] = true
}

func (w *world) vmsOn(node string) []string {
	out := make([]string, 0, len(w.onNode[node]))
	for vm := range w.onNode[node] {
		out = append(out, vm)
	}
	slices.Sort(out)
	return out
}

// replay walks the trace, calling fn after each event is applied.
func (j *judge) replay(fn func(i int, e escalator.Event, w *world)) {
	w := newWorld()
	for i, e := range j.events {
		w.apply(e)
		fn(i, e, w)
	}
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
		OutcomeCompleted: {orchestrator.SessionCompleted},
		OutcomeRollback:  {orchestrator.SessionRolledBack},
		OutcomeFailed:    {orchestrator.SessionFailed, orchestrator.SessionAborted},
		OutcomeRefused:   {SessionRefused},
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
		if lost := e.Num("lost"); lost > 0 {
			out = append(out, Violation{
				Message: fmt.Sprintf("service %s lost %s requests in %d interruptions", e.Subject, fmtNum(lost), int(e.Num("interruptions"))),
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
		d, _ := time.ParseDuration(e.Str("duration"))
		if d >= bound {
			out = append(out, Violation{
				Message: fmt.Sprintf("service %s was interrupted for %s (bound %s): %s", e.Subject, d, bound, e.Str("cause")),
				Events:  []escalator.Event{e},
			})
		}
	}
	return out
}

func checkPlacement(j *judge) []Violation {
	var out []Violation
	j.replay(func(i int, e escalator.Event, w *world) {
		var node string
		switch e.Kind {
		case "vm.placed":
			node = e.Str("node")
		case "vm.migrating":
			node = e.Str("to")
		default:
			return
		}
		if st := w.nodeState[node]; st != orchestrator.NodeNormal {
			out = append(out, Violation{
				Message: fmt.Sprintf("VM %s was put on node %s while the node was %s", e.Subject, node, st),
				Events:  []escalator.Event{lastStateChange(j.events[:i], node), e},
			})
		}
	})
	return out
}

func lastStateChange(es []escalator.Event, node string) escalator.Event {
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Kind == "node.state" && es[i].Subject == node {
			return es[i]
		}
	}
	return escalator.Event{}
}

// notices tracks, per VM, the maintenance notification that covers it: a
// notice opens when a VNFM is told about the VM and closes when the VNFM is
// told the VM's node is available again.
type notices struct {
	open map[string]escalator.Event // VM → the notify event
	node map[string]string          // VM → the node it was on when notified
}

func (n *notices) apply(e escalator.Event) {
	if e.Kind != "vnfm.notify" {
		return
	}
	switch e.Str("type") {
	case orchestrator.TypeMaintenance:
		for _, vm := range e.Strs("instances") {
			n.open[vm] = e
		}
	case orchestrator.TypeNodeAvailable:
		for _, node := range e.Strs("nodes") {
			for vm, on := range n.node {
				if on == node && n.open[vm].Subject == e.Subject {
					delete(n.open, vm)
				}
			}
		}
	}
}

func (j *judge) withNotices(fn func(i int, e escalator.Event, w *world, n *notices)) {
	n := &notices{open: map[string]escalator.Event{}, node: map[string]string{}}
	j.replay(func(i int, e escalator.Event, w *world) {
		if e.Kind == "vnfm.notify" && e.Str("type") == orchestrator.TypeMaintenance {
			for _, vm := range e.Strs("instances") {
				n.node[vm] = w.vmHost[vm]
			}
		}
		n.apply(e)
		fn(i, e, w, n)
	})
}

func checkNotifyBeforeTouch(j *judge) []Violation {
	var out []Violation
	j.withNotices(func(i int, e escalator.Event, w *world, n *notices) {
		var touched []string
		var how string
		switch e.Kind {
		case "vm.migrating":
			touched, how = []string{e.Subject}, "migrated"
		case "node.upgrade-started":
			touched, how = w.vmsOn(e.Subject), "on node "+e.Subject+" when its upgrade started"
		default:
			return
		}
		for _, vm := range touched {
			vnfm := w.vmVNFM[vm]
			if vnfm == "" {
				continue
			}
			if _, ok := n.open[vm]; !ok {
				out = append(out, Violation{
					Message: fmt.Sprintf("VM %s of VNFM %s was %s without a maintenance notification to its VNFM", vm, vnfm, how),
					Events:  []escalator.Event{e},
				})
			}
		}
	})
	return out
}

func checkUpgradeAfterReply(j *judge) []Violation {
	replies := map[string]escalator.Event{} // notification id → accepted reply
	var out []Violation
	j.withNotices(func(i int, e escalator.Event, w *world, n *notices) {
		if e.Kind == "vnfm.reply" && e.Fields["accepted"] == true {
			replies[e.Str("notificationId")] = e
		}
		if e.Kind != "node.upgrade-started" {
			return
		}
		seen := map[string]bool{}
		for _, vm := range w.vmsOn(e.Subject) {
			vnfm := w.vmVNFM[vm]
			if vnfm == "" || seen[vnfm] {
				continue
			}
			seen[vnfm] = true
			note, ok := n.open[vm]
			if !ok {
				out = append(out, Violation{
					Message: fmt.Sprintf("node %s was upgraded with VMs of VNFM %s on it, and that VNFM was never asked", e.Subject, vnfm),
					Events:  []escalator.Event{e},
				})
				continue
			}
			within, _ := time.ParseDuration(note.Str("replyWithin"))
			reply, answered := replies[note.Str("notificationId")]
			switch {
			case answered && len(reply.Str("reply")) > 4 && reply.Str("reply")[:4] == "NACK":
				out = append(out, Violation{
					Message: fmt.Sprintf("node %s was upgraded although VNFM %s refused (%s)", e.Subject, vnfm, reply.Str("reply")),
					Events:  []escalator.Event{note, reply, e},
				})
			case answered:
			case e.At-note.At >= within:
			default:
				out = append(out, Violation{
					Message: fmt.Sprintf("node %s was upgraded %s after VNFM %s was notified, with no reply and before the %s deadline", e.Subject, e.At-note.At, vnfm, within),
					Events:  []escalator.Event{note, e},
				})
			}
		}
	})
	return out
}

func checkBusinessMoved(j *judge) []Violation {
	var out []Violation
	j.replay(func(i int, e escalator.Event, w *world) {
		if e.Kind != "node.upgrade-started" {
			return
		}
		for _, vm := range w.vmsOn(e.Subject) {
			if w.carrying[vm] {
				out = append(out, Violation{
					Message: fmt.Sprintf("VM %s (%s) still carried business when node %s started upgrading", vm, w.vmVNF[vm], e.Subject),
					Events:  []escalator.Event{e},
				})
			}
		}
	})
	return out
}

func checkPairRedundancy(j *judge) []Violation {
	reported := map[string]bool{}
	var out []Violation
	j.replay(func(i int, e escalator.Event, w *world) {
		// Only the VNFs this event can have changed need a look.
		var vnfs []string
		switch e.Kind {
		case "node.state":
			for _, vm := range w.vmsOn(e.Subject) {
				vnfs = append(vnfs, w.vmVNF[vm])
			}
		case "vm.state", "vm.migrated":
			vnfs = append(vnfs, w.vmVNF[e.Subject])
		}
		for _, vnf := range vnfs {
			if vnf == "" || reported[vnf] || w.vnfMode[vnf] != "active-standby" {
				continue
			}
			var vms []string
			for _, vm := range w.vnfVMs[vnf] {
				if w.nodeState[w.vmHost[vm]] != orchestrator.NodeNormal || w.vmState[vm] != "running" {
					vms = append(vms, vm)
				}
			}
			if len(vms) < 2 {
				continue
			}
			reported[vnf] = true
			slices.Sort(vms)
			desc := ""
			for _, vm := range vms {
				desc += fmt.Sprintf(" %s (node %s %s, VM %s)", vm, w.vmHost[vm], w.nodeState[w.vmHost[vm]], w.vmState[vm])
			}
			out = append(out, Violation{
				Message: fmt.Sprintf("both members of active-standby VNF %s were impacted at once:%s", vnf, desc),
				Events:  []escalator.Event{e},
			})
		}
	})
	slices.SortFunc(out, func(a, b Violation) int { return int(a.Events[0].Seq - b.Events[0].Seq) })
	return out
}

func checkMaxParallel(j *judge) []Violation {
	limit := int(j.created.Num("maxParallel"))
	selected := map[string]bool{}
	for _, n := range j.nodes {
		selected[n] = true
	}
	var out []Violation
	j.replay(func(i int, e escalator.Event, w *world) {
		if e.Kind != "node.state" || len(out) > 0 {
			return
		}
		var busy []string
		for node, st := range w.nodeState {
			if selected[node] && st != orchestrator.NodeNormal {
				busy = append(busy, node)
			}
		}
		if len(busy) > limit {
			slices.Sort(busy)
			out = append(out, Violation{
				Message: fmt.Sprintf("%d nodes were out of service at once %v; maxParallel is %d", len(busy), busy, limit),
				Events:  []escalator.Event{e},
			})
		}
	})
	return out
}

func checkFinalState(j *judge) []Violation {
	w := newWorld()
	for _, e := range j.events {
		w.apply(e)
	}
	target := j.created.Str("targetVersion")
	final := map[string][]escalator.Event{}
	for _, e := range j.events {
		if e.Kind == "node.final" {
			final[e.Subject] = []escalator.Event{e}
		}
	}
	var out []Violation
	for _, node := range j.nodes {
		st, ver := w.nodeState[node], w.nodeVersion[node]
		finals := final[node]
		switch j.s.Expect.Outcome {
		case OutcomeRollback:
			if ver != w.original[node] || st != orchestrator.NodeNormal {
				out = append(out, Violation{Message: fmt.Sprintf("after the rollback node %s is %s at version %s; expected normal at %s", node, st, ver, w.original[node]), Events: finals})
			}
		case OutcomeFailed:
			if st == orchestrator.NodeMaintenance {
				out = append(out, Violation{Message: fmt.Sprintf("node %s was left in maintenance", node), Events: finals})
			}
		default:
			if ver != target || st != orchestrator.NodeNormal {
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
		msg := fmt.Sprintf("%s: %s %s %s", who, e.Str("method"), e.Str("path"), e.Str("message"))
		if st := e.Num("status"); st > 0 {
			msg += fmt.Sprintf(" %d", int(st))
		}
		out = append(out, Violation{Message: msg + " broke the " + e.Str("spec") + " spec: " + e.Str("detail"), Events: []escalator.Event{e}})
	}
	return out
}
