package dashboard

import (
	"fmt"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/reports/sequence"
)

// Lifelines names the sequence chart's lifelines by index, the order the
// page draws them in: the HTML report's, from package sequence.
var Lifelines = sequence.Lifelines()

// Step is one step of a seed flow, as the dashboard lists it.
type Step struct {
	N     int    `json:"n"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Steps are the seed flows of the OPNFV Escalator design, in our words:
// F1 "VIM as a whole" and F2 "inside the VIM". The naive negative control
// follows no flow and has none.
var Steps = map[string][]Step{
	event.FlowF1: {
		{1, "Start", "The operator starts the upgrade: the Upgrade Manager opens a session for the new version."},
		{2, "Maintenance", "The VIM picks the next nodes, puts them into maintenance and lists the VMs on them."},
		{3, "Notify", "The VIM tells the VNFM which of its VMs are affected and asks it to move the business."},
		{4, "Move business", "The VNFM moves the business: switch-over for an active-standby pair, drain for a pool member."},
		{5, "Reply", "The VNFM tells the VIM the business has moved (or the VIM's deadline passes)."},
		{6, "Upgrade", "The VIM checks the business left, migrates what still carries it, upgrades the nodes and returns them to service."},
		{7, "Next", "Nodes left: back to step 2. None left: the session ends."},
	},
	event.FlowF2: {
		{1, "Start", "The operator starts the upgrade: the Upgrade Manager opens a session for the new version."},
		{2, "Maintenance", "The Upgrade Manager picks one node, asks the Cloud Manager for its VMs and puts it into maintenance."},
		{3, "Notify", "The Upgrade Manager tells the VNFM which of its VMs are on that node."},
		{4, "Reply or timeout", "The VNFM moves the business and replies; the Upgrade Manager goes on at the reply or at its deadline."},
		{5, "Upgrade", "The node is upgraded and verified, and leaves maintenance."},
		{6, "Available", "The VNFM is told the node is available again and restores redundancy."},
		{7, "Next", "Nodes left: back to step 2. None left: the session ends."},
	},
}

// Message is an event drawn as an arrow between lifelines (From == To: a
// step of the lifeline's own), as the page receives it: a sequence.Arrow
// without its tone, which the page reads from the Item.
type Message struct {
	From  int    `json:"from"`
	To    int    `json:"to"`
	Label string `json:"label"`
}

// Item is one trace event as the page receives it: the event itself, a
// line a person reads, the arrow it draws in the sequence chart (if any),
// the step of the seed flow it belongs to, the step the page highlights
// after it, and its place on the session timeline.
type Item struct {
	Seq     int64            `json:"seq"`
	At      int64            `json:"at"` // milliseconds since the start
	T       string           `json:"t"`  // HH:MM:SS
	Actor   string           `json:"actor"`
	Kind    string           `json:"kind"`
	Subject string           `json:"subject,omitempty"`
	Fields  escalator.Fields `json:"fields,omitempty"`
	Text    string           `json:"text"`
	Msg     *Message         `json:"msg,omitempty"`
	Step    int              `json:"step,omitempty"`
	Current int              `json:"current,omitempty"`
	// Mark names a timeline milestone: session, batch, fault, reaction, end.
	Mark string `json:"mark,omitempty"`
	// Tone is how the page colours it: bad (something went wrong), fault
	// (injected), good, or "".
	Tone string `json:"tone,omitempty"`
}

// Stepper follows a run's trace and keeps the current step of its flow.
// The step only moves forward, except that a new batch (step 2) starts the
// cycle again. Events that trail behind the flow (a VNFM restoring
// redundancy on a node upgraded a batch ago, while the next batch is
// notified) keep their own step badge without moving the highlight.
type Stepper struct {
	Flow    string
	current int
}

// Annotate turns an event into an Item and advances the current step.
func (s *Stepper) Annotate(e escalator.Event) Item {
	it := Item{Seq: e.Seq, At: e.At.Milliseconds(), T: clock(e.At), Actor: e.Actor, Kind: e.Kind, Subject: e.Subject, Fields: e.Fields}
	it.Text = describe(e)
	it.Step = stepOf(s.Flow, e)
	it.Mark, it.Tone = markOf(e)
	if a, ok := arrow(e); ok {
		it.Msg = &Message{From: int(a.From), To: int(a.To), Label: a.Label}
		// What went wrong or struck is judged once, by the arrow; the
		// timeline's own tones (a good end) come first.
		if it.Tone == "" && (a.Tone == sequence.Bad || a.Tone == sequence.Fault) {
			it.Tone = string(a.Tone)
		}
	}
	switch n := it.Step; {
	case n == 0:
	case trailing(e):
		// Only from the step before it or its own: otherwise it belongs
		// to an earlier cycle.
		if n == s.current+1 {
			s.current = n
		}
	case n >= s.current || n == 2 && s.current >= 5:
		s.current = n
	}
	it.Current = s.current
	return it
}

// clock writes a scenario time as HH:MM:SS.
func clock(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// stepOf says which step of the flow an event belongs to (0: none). The
// steps are the design's, so the same kind of event sits at a different
// step in F1 and F2: F1 checks the business and migrates at step 6, F2
// waits for the reply or the deadline at step 4.
func stepOf(flow string, e escalator.Event) int {
	f1 := flow == event.FlowF1
	if flow != event.FlowF1 && flow != event.FlowF2 {
		return 0
	}
	switch p := event.Decode(e).(type) {
	case event.SessionCreated:
		return 1
	case event.PlanBatch, event.PlanWait:
		return 2
	case event.NodeStatus:
		switch p.Status {
		case event.StatusMaintenance:
			return 2
		case event.StatusMigrating:
			return pick(f1, 6, 4)
		case event.StatusUpgrading, event.StatusVerifying, event.StatusFailed:
			return pick(f1, 6, 5)
		case event.StatusDone, event.StatusRolledBack:
			return pick(f1, 6, 5)
		}
	case event.VNFMNotify:
		return notificationStep(f1, p.Type)
	case event.VNFMReceived:
		return notificationStep(f1, p.Type)
	case event.VNFMIgnored, event.VNFMWaiting, event.VNFSwitchover, event.VNFDrain, event.VNFDrained, event.FaultVNFM:
		return 4
	case event.VNFMAction:
		if restores(p) {
			return 6
		}
		return 4
	case event.VNFUndrain, event.VNFStandbySynced:
		return 6
	case event.VNFMReply, event.VNFMReplyTimeout, event.VNFMReplyRejected:
		return pick(f1, 5, 4)
	case event.VMMigrate, event.VMMigrating, event.VMMigrated, event.VMMigrationFailed:
		return pick(f1, 6, 4)
	case event.NodeUpgradeStarted, event.NodeVersion, event.FaultUpgradeFails, event.FaultUpgradeHangs, event.FaultVerifyFails, event.FaultNodeCrash:
		return pick(f1, 6, 5)
	case event.SessionState:
		if event.Terminal(p.State) {
			return 7
		}
	}
	return 0
}

// notificationStep is the step of a notification of type typ, sent or
// received.
func notificationStep(f1 bool, typ string) int {
	switch typ {
	case event.TypeMaintenance:
		return 3
	case event.TypeNodeAvailable:
		return 6
	case event.TypeSessionStatus:
		return 7
	}
	return 0
}

// restores reports whether a VNFM action brings back what it moved.
func restores(a event.VNFMAction) bool { return strings.HasPrefix(a.Action, "RESTORED") }

// trailing reports whether an event follows a node's return to service:
// the VNFM told the node is available, restoring what it moved. The
// orchestrator does not wait for it, so it may come during the next batch.
func trailing(e escalator.Event) bool {
	switch p := event.Decode(e).(type) {
	case event.VNFMNotify:
		return p.Type == event.TypeNodeAvailable
	case event.VNFMReceived:
		return p.Type == event.TypeNodeAvailable
	case event.VNFMAction:
		return restores(p)
	case event.VNFUndrain, event.VNFStandbySynced:
		return true
	}
	return false
}

func pick(f1 bool, a, b int) int {
	if f1 {
		return a
	}
	return b
}

// arrow is the event's arrow in the sequence chart, the HTML report's,
// except that the demo's own faults are said the way its buttons say them.
func arrow(e escalator.Event) (sequence.Arrow, bool) {
	a, ok := sequence.Of(e)
	f, injected, _ := event.As[event.FaultInjected](e)
	if !ok || !injected {
		return a, ok
	}
	switch f.Fault {
	case FaultVNFMSilent:
		a.Label = "⚡ injected: VNFM to go silent"
	case FaultUpgradeFails:
		a.Label = "⚡ injected: next upgrade to fail"
	}
	return a, true
}

// markOf places an event on the session timeline and gives it the tone of
// a milestone; Annotate adds the tone of its arrow.
func markOf(e escalator.Event) (mark, tone string) {
	switch p := event.Decode(e).(type) {
	case event.SessionCreated:
		return "session", ""
	case event.PlanBatch:
		return "batch", ""
	case event.FaultInjected, event.FaultVNFM, event.FaultUpgradeFails, event.FaultUpgradeHangs, event.FaultVerifyFails, event.FaultNodeCrash:
		return "fault", "fault"
	case event.VNFMReplyTimeout:
		return "reaction", "bad"
	case event.SessionState:
		switch {
		case p.State == event.SessionCompleted:
			return "end", "good"
		case event.Terminal(p.State):
			return "end", "bad"
		case p.State == event.SessionRollingBack:
			return "reaction", "bad"
		}
	case event.NodeStatus:
		if p.Status == event.StatusFailed {
			return "reaction", "bad"
		}
	}
	return "", ""
}

// describe is the one line a person reads for an event.
func describe(e escalator.Event) string {
	switch p := event.Decode(e).(type) {
	case event.SessionCreated:
		return fmt.Sprintf("Upgrade started: flow %s to version %s", p.Flow, p.TargetVersion)
	case event.PlanBatch:
		return "Next batch: " + strings.Join(p.Nodes, ", ")
	case event.SessionState:
		return strings.TrimSpace("Session " + p.State + ": " + p.Reason)
	case event.NodeState:
		return fmt.Sprintf("%s: %s → %s", e.Subject, p.From, p.To)
	case event.NodeVersion:
		return fmt.Sprintf("%s now runs %s", e.Subject, p.To)
	case event.VNFMReplyTimeout:
		return fmt.Sprintf("No reply from %s within %s: the VIM goes on without it", strings.Join(p.VNFMs, ", "), p.After)
	case event.FaultInjected:
		what := p.Fault
		switch what {
		case FaultVNFMSilent:
			what = "the VNFM goes silent on its next maintenance notification"
		case FaultUpgradeFails:
			what = "the next node's upgrade will fail"
		}
		return "Fault injected: " + what
	case event.FaultVNFM:
		return "Fault: the VNFM behaves " + p.Behavior + " on this notification"
	case event.FaultUpgradeFails:
		return "installing on " + e.Subject + " failed"
	case event.FaultUpgradeHangs:
		return "the upgrade of " + e.Subject + " hangs"
	case event.FaultVerifyFails:
		return "the health test of " + e.Subject + " failed"
	case event.FaultNodeCrash:
		return e.Subject + " crashed while upgrading"
	case event.VNFFailoverFailed:
		return fmt.Sprintf("%s cannot fail over: %s", e.Subject, p.Reason)
	case event.ServiceInterruption:
		return fmt.Sprintf("%s lost %s requests in %s: %s", e.Subject, sequence.Count(p.Lost), p.Duration, p.Cause)
	}
	if a, ok := sequence.Of(e); ok {
		return a.Label
	}
	return strings.TrimSpace(e.Kind + " " + e.Subject)
}
