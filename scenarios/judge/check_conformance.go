package judge

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/replay"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The checks only conformance cases run. Each judges the VNFM under test
// (the scenario's vnfm.name) from what the testbed itself saw: the
// notifications it sent, the replies it got, the calls on the VNF control
// API, the traffic model and the probes it made of the VNFM's endpoint. A
// check returns "not applicable" (with why) when the case had nothing for
// it to judge by design; when something it needs to judge never happened
// it fails, so no check passes by having looked at nothing.

type conformanceCheck struct {
	doc string
	fn  func(j *judge) (v []Violation, notApplicable string)
	// probed: the testbed sends requests to the VNFM's endpoint before
	// the upgrade starts (scenarios/probe.go, which holds the probes, since
	// sending is no business of the judge); the check judges the answers.
	probed bool
}

var conformanceChecks = map[string]conformanceCheck{
	"subscription-types": {doc: "the VNFM holds a subscription, and its filter lets through every notification type of the maintenance flow",
		fn: checkSubscriptionTypes},
	"single-subscription": {doc: "the VNFM holds exactly one subscription: a repeated request is answered 303 and creates none",
		fn: checkSingleSubscription},
	"endpoint-methods": {doc: "the notification endpoint answers 204 to GET and to POST of a valid notification (the VIM's own deliveries included), and 405 to PUT, PATCH and DELETE",
		fn: checkProbe("endpoint-methods", checkDeliveries), probed: true},
	"unknown-type-tolerated": {doc: "the notification endpoint answers 204 to a notification type it does not know",
		fn: checkProbe("unknown-type-tolerated", nil), probed: true},
	"version-header": {doc: "the notification endpoint answers 400 ProblemDetails to a request without the Version header and 406 to a major version it does not serve",
		fn: checkProbe("version-header", nil), probed: true},
	"auth-basic": {doc: "with BASIC notification credentials: the right ones are accepted, missing or wrong ones refused with 401",
		fn: checkAuth("auth-basic", event.AuthBasic), probed: true},
	"auth-oauth2": {doc: "with OAuth2 client credentials: a token from the VNFM's token endpoint is accepted; a wrong client secret, a made-up token and no token are refused with 401",
		fn: checkAuth("auth-oauth2", event.AuthOAuth2), probed: true},
	"reply-in-time": {doc: "every maintenance notification that asks for a reply gets one the VIM accepts before its replyBy",
		fn: checkReplyInTime},
	"switchover-before-reply": {doc: "an active instance on a node going into maintenance is switched over (or its migration asked for) before the VNFM acknowledges",
		fn: checkSwitchoverBeforeReply},
	"drain-before-reply": {doc: "a load-balanced member in rotation on a node going into maintenance is drained, its in-flight work finished (or its migration asked for), before the VNFM acknowledges",
		fn: checkDrainBeforeReply},
	"honest-reply": {doc: "every SWITCHED_OVER and DRAINED a reply claims happened on the VNF control API between the notification and the reply",
		fn: checkHonestReply},
	"vnfm-messages-conform": {doc: "every request the VNFM sends to the VIM and VNF control APIs, and every answer it gives to a notification, validates against the OpenAPI specs (as the testbed's validators see them)",
		fn: checkVNFMMessages},
	"redundancy-restored": {doc: "once the upgrade is over every VNF of the VNFM is back at full strength: its size, every member in rotation, every standby in sync",
		fn: checkRedundancyRestored},
	"nack-clean": {doc: "maintenance the VNFM cannot honour is refused (NACK), and the refusal leaves every instance as the notification found it",
		fn: checkNackClean},
	"idempotent-notifications": {doc: "a notification delivered twice is acted on once: one reply, no operation repeated",
		fn: checkIdempotent},
	"vnfm-own-limits": {doc: "the VNFM never scales a VNF in below the minPreserved the VNF declared",
		fn: checkOwnLimits},
}

// ProbedChecks lists the conformance checks that judge the answers to
// probes the testbed sends before the upgrade, in a stable order.
func ProbedChecks() []string {
	var out []string
	for n, c := range conformanceChecks {
		if c.probed {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func judgeConformance(j *judge) []CheckResult {
	if j.s.Conformance == nil {
		return nil
	}
	var out []CheckResult
	for _, name := range j.s.Conformance.DecidedBy {
		c, ok := conformanceChecks[name]
		if !ok {
			continue // a built-in check, judged already
		}
		r := CheckResult{Name: name, Status: CheckPassed}
		v, na := c.fn(j)
		switch {
		case len(v) > 0:
			r.Status = CheckFailed
			if len(v) > maxViolations {
				more := len(v) - maxViolations
				v = append(v[:maxViolations], Violation{Message: fmt.Sprintf("... and %d more", more)})
			}
			r.Violations = v
		case na != "":
			r.Status, r.Reason = CheckNotApplicable, na
		}
		out = append(out, r)
	}
	return out
}

func (j *judge) vnfm() string { return j.s.VNFM.Name }

// ---- subscriptions ----

var flowTypes = []string{event.TypeMaintenance, event.TypeNodeAvailable, event.TypeSessionStatus}

func (j *judge) held() []escalator.Event {
	var out []escalator.Event
	for _, e := range j.find("subscription.held", "") {
		if evt[event.SubscriptionHeld](e).VNFM == j.vnfm() {
			out = append(out, e)
		}
	}
	return out
}

func (j *judge) noSubscription() Violation {
	return Violation{Message: fmt.Sprintf("VNFM %s holds no subscription at the VIM", j.vnfm()),
		Events: j.find("subscription.refused", "")}
}

func checkSubscriptionTypes(j *judge) ([]Violation, string) {
	held := j.held()
	if len(held) == 0 {
		return []Violation{j.noSubscription()}, ""
	}
	got := map[string]bool{}
	for _, e := range held {
		types := evt[event.SubscriptionHeld](e).Types
		if len(types) == 0 {
			types = flowTypes
		}
		for _, t := range types {
			got[t] = true
		}
	}
	var missing []string
	for _, t := range flowTypes {
		if !got[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return []Violation{{Message: fmt.Sprintf("the subscription filter leaves out %s: the VNFM will never hear of it", strings.Join(missing, " and ")), Events: held}}, ""
	}
	return nil, ""
}

func checkSingleSubscription(j *judge) ([]Violation, string) {
	held := j.held()
	switch {
	case len(held) == 0:
		return []Violation{j.noSubscription()}, ""
	case len(held) > 1:
		var cbs []string
		for _, e := range held {
			cbs = append(cbs, evt[event.SubscriptionHeld](e).CallbackURI)
		}
		return []Violation{{Message: fmt.Sprintf("VNFM %s holds %d subscriptions (%s): each notification reaches it %d times", j.vnfm(), len(held), strings.Join(cbs, ", "), len(held)),
			Events: held}}, ""
	}
	return nil, ""
}

// ---- probes ----

// checkProbe judges the exchanges a probe recorded: each answer must be
// one the probe expected. extra adds what the run itself shows.
func checkProbe(name string, extra func(j *judge) []Violation) func(j *judge) ([]Violation, string) {
	return func(j *judge) ([]Violation, string) {
		var out []Violation
		ran := false
		for _, e := range j.find("probe.exchange", name) {
			ran = true
			p := evt[event.ProbeExchange](e)
			if p.Error != "" {
				out = append(out, Violation{Message: fmt.Sprintf("%s %s: %s", p.Method, p.URL, p.Error), Events: []escalator.Event{e}})
				continue
			}
			if !probeAnswered(p) {
				out = append(out, Violation{Message: fmt.Sprintf("%s: %s %s answered %d, want %s", p.Case, p.Method, event.Deref(p.Path), p.Status, p.Want),
					Events: []escalator.Event{e}})
			}
		}
		for _, e := range j.find("probe.skipped", name) {
			return nil, evt[event.ProbeSkipped](e).Reason
		}
		if !ran {
			out = append(out, Violation{Message: "the probe did not run: the testbed found no notification endpoint for VNFM " + j.vnfm(), Events: j.find("subscription.refused", "")})
		}
		if extra != nil {
			out = append(out, extra(j)...)
		}
		return out, ""
	}
}

// probeAnswered reports whether a probe exchange got an expected answer:
// the status, and a ProblemDetails body when one was asked for.
func probeAnswered(p event.ProbeExchange) bool {
	ok := false
	for _, w := range strings.Split(p.Want, " or ") {
		if fmt.Sprint(p.Status) == w {
			ok = true
		}
	}
	if ok && p.Problem {
		ok = strings.HasPrefix(event.Deref(p.ContentType), "application/problem+json")
	}
	return ok
}

// checkDeliveries: the VIM's own notifications were taken with 204.
func checkDeliveries(j *judge) []Violation {
	subs := map[string]bool{}
	for _, e := range j.held() {
		subs[e.Subject] = true
	}
	var out []Violation
	for _, e := range j.find("delivery.attempt", "") {
		// Status is written only when an answer came (omitempty: no HTTP
		// status is 0), so 0 is "no answer", which is not judged here.
		p := evt[event.DeliveryAttempt](e)
		if !subs[e.Subject] || p.Status == 0 {
			continue
		}
		if p.Status != 204 {
			out = append(out, Violation{Message: fmt.Sprintf("the VNFM answered %d to notification %s, want 204", p.Status, p.NotificationID),
				Events: append([]escalator.Event{e}, j.exchangesFor(p.NotificationID)...)})
		}
	}
	return out
}

func checkAuth(name, scheme string) func(j *judge) ([]Violation, string) {
	probe := checkProbe(name, checkDeliveries)
	return func(j *judge) ([]Violation, string) {
		held := j.held()
		if len(held) == 0 {
			return []Violation{j.noSubscription()}, ""
		}
		if !slices.ContainsFunc(held, func(e escalator.Event) bool { return evt[event.SubscriptionHeld](e).Auth == scheme }) {
			return nil, fmt.Sprintf("the VNFM's subscription asks for no %s credentials", scheme)
		}
		return probe(j)
	}
}

// ---- maintenance ----

// note is one maintenance notification to the VNFM under test, with what
// the world looked like when it was sent and when it was answered.
type note struct {
	notify  escalator.Event
	id      string
	state   string
	nodes   []string
	named   []string
	within  time.Duration
	replies []escalator.Event
	// accepted is the reply the VIM took, if any, and reply its fields.
	accepted *escalator.Event
	reply    event.VNFMReply
	// judged is the moment the business must have moved by: the accepted
	// reply, or else the VIM's first touch of an affected node.
	judged bool
	at     escalator.Event
	// what held when it was sent
	activeAtNotify  map[string]bool // named instances that were active
	rotatingAtStart map[string]bool // named members in rotation
	drainedAtStart  map[string]bool // named instances already drained
	// what happened from then to the judged moment
	switchedFrom map[string]bool
	drainStarted map[string]bool
	drainDone    map[string]bool
	// what held at the judged moment
	activeAtJudge   map[string]bool
	rotatingAtJudge map[string]bool
	// ops counts VNF control operations per "kind instance" while open
	ops map[string]int
}

// actions is what the accepted reply said, instance → action.
func (n *note) actions() map[string]string {
	out := map[string]string{}
	if n.accepted == nil {
		return out
	}
	for _, a := range n.reply.Actions {
		inst, act, _ := strings.Cut(a, ":")
		out[inst] = act
	}
	return out
}

func (n *note) ack() bool {
	return n.accepted != nil && strings.HasPrefix(n.reply.Reply, "ACK")
}

func (n *note) nack() bool {
	return n.accepted != nil && strings.HasPrefix(n.reply.Reply, "NACK")
}

// followMaintenance follows the VNFM's maintenance notifications through
// Judge's replay, into j.notes when finish is called after the last event.
func (j *judge) followMaintenance() (step func(i int, e escalator.Event, w *replay.World), finish func()) {
	var notes []*note
	byID := map[string]*note{}
	active := func(w *replay.World, inst string) bool {
		vm, _ := w.VM(inst)
		vnf, _ := w.VNF(vm.VNF)
		return vnf.Active == inst
	}
	rotating := func(w *replay.World, inst string) bool {
		vm, _ := w.VM(inst)
		vnf, _ := w.VNF(vm.VNF)
		return vnf.Mode == spec.ModeLoadBalanced && !vm.Drained && !vm.Deleted
	}
	judge := func(w *replay.World, n *note, at escalator.Event) {
		n.judged, n.at = true, at
		n.activeAtJudge, n.rotatingAtJudge = map[string]bool{}, map[string]bool{}
		for _, inst := range n.named {
			if active(w, inst) {
				n.activeAtJudge[inst] = true
			}
			if rotating(w, inst) {
				n.rotatingAtJudge[inst] = true
			}
		}
	}
	step = func(i int, e escalator.Event, w *replay.World) {
		switch e.Kind {
		case "vnfm.notify":
			p := evt[event.VNFMNotify](e)
			if e.Subject != j.vnfm() || p.Type != event.TypeMaintenance || p.ReplyBy == "" {
				break
			}
			within, _ := time.ParseDuration(p.ReplyWithin)
			n := &note{notify: e, id: p.NotificationID, state: p.State, nodes: p.Nodes, named: p.Instances, within: within,
				activeAtNotify: map[string]bool{}, rotatingAtStart: map[string]bool{}, drainedAtStart: map[string]bool{},
				switchedFrom: map[string]bool{}, drainStarted: map[string]bool{}, drainDone: map[string]bool{}, ops: map[string]int{}}
			for _, inst := range n.named {
				vm, _ := w.VM(inst)
				vnf, _ := w.VNF(vm.VNF)
				if vnf.Mode == spec.ModeActiveStandby && vnf.Active == inst {
					n.activeAtNotify[inst] = true
				}
				if rotating(w, inst) {
					n.rotatingAtStart[inst] = true
				}
				if vm.Drained {
					n.drainedAtStart[inst] = true
				}
			}
			notes = append(notes, n)
			byID[n.id] = n
		case "vnfm.reply":
			n := byID[evt[event.VNFMReply](e).NotificationID]
			if n == nil {
				break
			}
			n.replies = append(n.replies, e)
			if nt, _ := w.Notification(n.id); nt.Accepted != nil && nt.Accepted.Seq == e.Seq {
				n.accepted, n.reply = nt.Accepted, nt.AcceptedReply
				if !n.judged {
					judge(w, n, e)
				}
			}
		case "vnf.switchover", "vnf.drain", "vnf.drained", "vnf.undrain", "vnf.scaled":
			var inst string
			switch e.Kind {
			case "vnf.switchover":
				inst = evt[event.VNFSwitchover](e).From
			case "vnf.drain":
				inst = evt[event.VNFDrain](e).Instance
			case "vnf.drained":
				inst = evt[event.VNFDrained](e).Instance
			case "vnf.undrain":
				inst = evt[event.VNFUndrain](e).Instance
			}
			// A notification counts repeated operations to the end of
			// the trace, after its node is available again too.
			for _, n := range notes {
				if !slices.Contains(n.named, inst) {
					continue
				}
				n.ops[e.Kind+" "+inst]++
				if n.judged {
					continue
				}
				switch e.Kind {
				case "vnf.switchover":
					n.switchedFrom[inst] = true
				case "vnf.drain":
					n.drainStarted[inst] = true
				case "vnf.drained":
					n.drainDone[inst] = true
				}
			}
		case "node.upgrade-started", "vm.migrating":
			node := e.Subject
			if e.Kind == "vm.migrating" {
				node = evt[event.VMMigrating](e).From
			}
			for _, n := range notes {
				if !n.judged && slices.Contains(n.nodes, node) {
					judge(w, n, e)
				}
			}
		}
	}
	finish = func() {
		end := escalator.Event{}
		if len(j.events) > 0 {
			end = j.events[len(j.events)-1]
		}
		for _, n := range notes {
			if !n.judged {
				judge(j.world, n, end)
			}
		}
		j.notes = notes
	}
	return step, finish
}

func (j *judge) noteEvidence(n *note) []escalator.Event {
	out := []escalator.Event{n.notify}
	out = append(out, n.replies...)
	if n.accepted == nil && n.at.Kind != "" {
		out = append(out, n.at)
	}
	return append(out, j.exchangesFor(n.id)...)
}

func checkReplyInTime(j *judge) ([]Violation, string) {
	notes := j.notes
	if len(notes) == 0 {
		return []Violation{{Message: "the VIM sent the VNFM no maintenance notification to answer", Events: j.find("delivery.no-subscriber", "")}}, ""
	}
	var out []Violation
	for _, n := range notes {
		switch {
		case n.accepted == nil:
			why := "no reply"
			if len(n.replies) > 0 {
				why = fmt.Sprintf("%d replies, none accepted (%s)", len(n.replies), evt[event.VNFMReply](n.replies[0]).Error)
			}
			out = append(out, Violation{Message: fmt.Sprintf("%s notification %s (nodes %s): %s within %s", n.state, n.id, strings.Join(n.nodes, ","), why, n.within),
				Events: j.noteEvidence(n)})
		case n.accepted.At > n.notify.At+n.within:
			out = append(out, Violation{Message: fmt.Sprintf("%s notification %s answered %s after it was sent, past replyBy (%s)", n.state, n.id, n.accepted.At-n.notify.At, n.within),
				Events: j.noteEvidence(n)})
		}
	}
	return out, ""
}

// acknowledged keeps the notes the VNFM acknowledged, or that the VIM went
// ahead on; refusals are judged by nack-clean.
func acknowledgedWith(notes []*note, has func(n *note) bool) (out []*note) {
	for _, n := range notes {
		if !n.nack() && has(n) {
			out = append(out, n)
		}
	}
	return out
}

func checkSwitchoverBeforeReply(j *judge) ([]Violation, string) {
	notes := acknowledgedWith(j.notes, func(n *note) bool { return len(n.activeAtNotify) > 0 })
	if len(notes) == 0 {
		return []Violation{{Message: "no maintenance of a node with an active instance was acknowledged or went ahead: nothing shows the VNFM switching over"}}, ""
	}
	var out []Violation
	for _, n := range notes {
		acts := n.actions()
		for inst := range n.activeAtNotify {
			if a := acts[inst]; a == event.ActionMigrate || a == event.ActionLiveMigrate {
				continue // asked the VIM to move it
			}
			if n.activeAtJudge[inst] {
				out = append(out, Violation{Message: fmt.Sprintf("active instance %s of %s was still active on node %s when %s", inst, j.vnfOf(inst), strings.Join(n.nodes, ","), judgedAs(n)),
					Events: j.noteEvidence(n)})
			}
		}
	}
	return out, ""
}

func checkDrainBeforeReply(j *judge) ([]Violation, string) {
	notes := acknowledgedWith(j.notes, func(n *note) bool { return len(n.rotatingAtStart) > 0 })
	if len(notes) == 0 {
		return []Violation{{Message: "no maintenance of a node with a load-balanced member in rotation was acknowledged or went ahead: nothing shows the VNFM draining"}}, ""
	}
	var out []Violation
	for _, n := range notes {
		acts := n.actions()
		for inst := range n.rotatingAtStart {
			if a := acts[inst]; a == event.ActionMigrate || a == event.ActionLiveMigrate {
				continue
			}
			switch {
			case n.rotatingAtJudge[inst]:
				out = append(out, Violation{Message: fmt.Sprintf("member %s of %s was still in rotation on node %s when %s", inst, j.vnfOf(inst), strings.Join(n.nodes, ","), judgedAs(n)),
					Events: j.noteEvidence(n)})
			case !n.drainDone[inst] && n.drainStarted[inst]:
				out = append(out, Violation{Message: fmt.Sprintf("member %s of %s still had requests in flight when %s: the drain had not finished", inst, j.vnfOf(inst), judgedAs(n)),
					Events: j.noteEvidence(n)})
			}
		}
	}
	return out, ""
}

func judgedAs(n *note) string {
	if n.accepted != nil {
		return "the VNFM acknowledged"
	}
	return "the VIM went ahead without a reply"
}

func (j *judge) vnfOf(inst string) string {
	if vm, ok := j.world.VM(inst); ok && vm.VNF != "" {
		return vm.VNF
	}
	return "?"
}

func checkHonestReply(j *judge) ([]Violation, string) {
	var out []Violation
	judged := 0
	for _, n := range j.notes {
		if !n.ack() {
			continue
		}
		for inst, act := range n.actions() {
			judged++
			var wrong string
			switch {
			case !slices.Contains(n.named, inst):
				wrong = fmt.Sprintf("claims %s for %s, which the notification did not name", act, inst)
			case act == event.ActionSwitchedOver && !(n.activeAtNotify[inst] && n.switchedFrom[inst]):
				wrong = fmt.Sprintf("claims SWITCHED_OVER for %s, but no switch-over away from it happened (it was %s)", inst, j.roleWord(n, inst))
			case act == event.ActionDrained && !n.drainStarted[inst] && !n.drainedAtStart[inst]:
				wrong = fmt.Sprintf("claims DRAINED for %s, but it was never drained", inst)
			}
			if wrong != "" {
				out = append(out, Violation{Message: fmt.Sprintf("the reply to %s notification %s %s", n.state, n.id, wrong), Events: j.noteEvidence(n)})
			}
		}
	}
	if judged == 0 {
		// Nothing claimed, nothing to belie; whether the VNFM answered at
		// all is reply-in-time's question.
		return nil, "no acknowledgement the VIM accepted claimed an instance action"
	}
	return out, ""
}

func (j *judge) roleWord(n *note, inst string) string {
	switch {
	case n.activeAtNotify[inst]:
		return "the active"
	case n.rotatingAtStart[inst]:
		return "a load-balanced member"
	}
	return "not an active instance"
}

func checkRedundancyRestored(j *judge) ([]Violation, string) {
	available := slices.ContainsFunc(j.find("vnfm.notify", j.vnfm()), func(e escalator.Event) bool {
		return evt[event.VNFMNotify](e).Type == event.TypeNodeAvailable
	})
	if !available {
		return []Violation{{Message: "the VIM never told the VNFM a node was available again: nothing to restore"}}, ""
	}
	var out []Violation
	var vnfs []replay.VNF
	for _, name := range j.world.VNFs() {
		if v, _ := j.world.VNF(name); v.VNFM == j.vnfm() {
			vnfs = append(vnfs, v)
		}
	}
	slices.SortFunc(vnfs, func(a, b replay.VNF) int { return strings.Compare(a.Name, b.Name) })
	for _, vnf := range vnfs {
		if vnf.Size < vnf.Made {
			out = append(out, Violation{Message: fmt.Sprintf("%s ended with %d instances; it was deployed with %d", vnf.Name, vnf.Size, vnf.Made), Events: j.find("vnf.scaled", vnf.Name)})
		}
		var left []string
		for _, inst := range j.world.Members(vnf.Name) {
			if vm, _ := j.world.VM(inst); vm.Drained {
				left = append(left, inst)
			}
		}
		if len(left) > 0 {
			slices.Sort(left)
			word := "out of rotation"
			if vnf.Mode == spec.ModeActiveStandby {
				word = "a standby out of sync"
			}
			out = append(out, Violation{Message: fmt.Sprintf("%s ended with %s %s after the upgrade", vnf.Name, strings.Join(left, ", "), word),
				Events: lastN(j.find("vnf.drain", vnf.Name), 3)})
		}
	}
	return out, ""
}

func checkNackClean(j *judge) ([]Violation, string) {
	var out []Violation
	nacks := 0
	for _, n := range j.notes {
		if !n.nack() {
			continue
		}
		nacks++
		var left []string
		for inst := range n.rotatingAtStart {
			if !n.rotatingAtJudge[inst] {
				left = append(left, inst+" drained")
			}
		}
		for inst := range n.activeAtNotify {
			if !n.activeAtJudge[inst] {
				left = append(left, inst+" no longer active")
			}
		}
		if len(left) > 0 {
			slices.Sort(left)
			out = append(out, Violation{Message: fmt.Sprintf("the VNFM refused %s notification %s but left %s", n.state, n.id, strings.Join(left, ", ")), Events: j.noteEvidence(n)})
		}
	}
	if nacks == 0 {
		return []Violation{{Message: "the VNFM refused nothing, though this case's world holds a maintenance it cannot honour (see the case's pre-conditions)",
			Events: firstN(j.find("vnfm.reply", ""), 3)}}, ""
	}
	return out, ""
}

func checkIdempotent(j *judge) ([]Violation, string) {
	twice := map[string]bool{}
	for _, e := range j.find("fault.injected", "") {
		if p := evt[event.FaultInjected](e); p.Fault == spec.FaultNotifyTwice {
			twice[p.NotificationID] = true
		}
	}
	if len(twice) == 0 {
		return []Violation{{Message: "no notification was delivered twice: the case's notify-duplicate fault never fired"}}, ""
	}
	var out []Violation
	for _, n := range j.notes {
		if !twice[n.id] {
			continue
		}
		if len(n.replies) > 1 {
			out = append(out, Violation{Message: fmt.Sprintf("notification %s, delivered twice, was answered %d times", n.id, len(n.replies)), Events: j.noteEvidence(n)})
		}
		for op, c := range n.ops {
			if c > 1 {
				out = append(out, Violation{Message: fmt.Sprintf("notification %s, delivered twice, set off %s %d times", n.id, op, c), Events: j.noteEvidence(n)})
			}
		}
	}
	return out, ""
}

func checkOwnLimits(j *judge) ([]Violation, string) {
	declared := false
	for _, name := range j.world.VNFs() {
		if v, _ := j.world.VNF(name); v.Limits != nil && v.Limits.MinPreserved > 0 {
			declared = true
		}
	}
	if !declared {
		return nil, "no VNF of the case declares minPreserved"
	}
	var out []Violation
	for _, e := range j.find("vnf.scaled", "") {
		// Drains for a maintenance are the VIM's impact, which the planner
		// keeps within the limits (ifa011-limits); scaling is the VNFM's
		// own decision. A VNF's limits and VNFM are set at deployment.
		vnf, _ := j.world.VNF(e.Subject)
		if vnf.Limits == nil || vnf.Limits.MinPreserved == 0 || vnf.VNFM != j.vnfm() {
			continue
		}
		if n, min := evt[event.VNFScaled](e).To, vnf.Limits.MinPreserved; n < min {
			out = append(out, Violation{Message: fmt.Sprintf("the VNFM scaled %s in to %d instances, below the minPreserved %d it declared", vnf.Name, n, min), Events: []escalator.Event{e}})
		}
	}
	return out, ""
}

// exchangesFor returns the recorded HTTP exchanges that carry a
// notification id (the notification itself, the reply to it).
func (j *judge) exchangesFor(id string) []escalator.Event {
	if id == "" {
		return nil
	}
	var out []escalator.Event
	for _, e := range j.events {
		if e.Kind == "http.exchange" && evt[event.HTTPExchange](e).Ref == id {
			out = append(out, e)
		}
	}
	return out
}

// checkVNFMMessages counts the spec violations the testbed's own
// validators found in what the VNFM sent: in its requests to the VIM
// (vim) and VNF control (vnf) APIs and in its answers to the VIM's
// notifications. An in-process VNFM's own validators also report, but an
// external VNFM's cannot, so they are not counted: the verdict must not
// depend on where the VNFM runs.
func checkVNFMMessages(j *judge) ([]Violation, string) {
	var out []Violation
	for _, e := range j.find("spec.violation", "") {
		if e.Subject != "vim" && e.Subject != "vnf" {
			continue
		}
		p := evt[event.SpecViolation](e)
		out = append(out, Violation{Message: fmt.Sprintf("%s %s (%s): %s", p.Method, p.Path, p.Spec, p.Message),
			Events: []escalator.Event{e}})
	}
	return out, ""
}
