package sequence

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// Lifeline is one actor of the diagram; its value is its place from the
// left.
type Lifeline int

// The lifelines, left to right: the VIM's two parts in the Escalator
// design, then the VNFM and the VNFs it manages.
const (
	UpgradeManager Lifeline = iota
	CloudManager
	VNFM
	VNFs
)

var names = [...]string{"Upgrade Manager", "Cloud Manager", "VNFM", "VNFs"}

// Lifelines names every lifeline, left to right.
func Lifelines() []string { return slices.Clone(names[:]) }

func (l Lifeline) String() string {
	if l < 0 || int(l) >= len(names) {
		return fmt.Sprintf("Lifeline(%d)", int(l))
	}
	return names[l]
}

// Tone says how an arrow reads, for a diagram to style it.
type Tone string

const (
	Normal Tone = "normal"
	Reply  Tone = "reply" // an answer to an earlier arrow
	Bad    Tone = "bad"   // something went wrong
	Fault  Tone = "fault" // a fault was injected or struck
)

// Arrow is one event drawn between lifelines; From == To is a step of
// the lifeline's own.
type Arrow struct {
	From, To Lifeline
	Label    string
	Tone     Tone
}

// read decodes e's fields as T. A field of the wrong type (a trace written
// by hand) reads as its zero value: a diagram draws what it can rather
// than nothing.
func read[T event.Payload](e escalator.Event) T {
	p, _, _ := event.As[T](e)
	return p
}

// Of maps an event to its arrow, or reports that the event draws none:
// bookkeeping (a VM placed, a delivery attempt) stays off the diagram.
func Of(e escalator.Event) (Arrow, bool) {
	a := func(from, to Lifeline, tone Tone, label string) (Arrow, bool) {
		return Arrow{From: from, To: to, Label: label, Tone: tone}, true
	}
	switch e.Kind {
	case event.SessionCreated{}.Kind():
		p := read[event.SessionCreated](e)
		return a(UpgradeManager, UpgradeManager, Normal, fmt.Sprintf("upgrade session opened: %s to version %s", p.Flow, p.TargetVersion))
	case event.PlanBatch{}.Kind():
		return a(UpgradeManager, UpgradeManager, Normal, "next: "+strings.Join(read[event.PlanBatch](e).Nodes, ", "))
	case event.SessionState{}.Kind():
		p := read[event.SessionState](e)
		return a(UpgradeManager, UpgradeManager, Normal, "session "+joinNonEmpty(": ", p.State, p.Reason))
	case event.NodeStatus{}.Kind():
		return nodeStatus(e.Subject, read[event.NodeStatus](e))
	case event.VNFMNotify{}.Kind():
		return a(UpgradeManager, VNFM, Normal, notification(read[event.VNFMNotify](e)))
	case event.DeliveryFailed{}.Kind():
		return a(UpgradeManager, VNFM, Bad, "✗ notification not delivered")
	case event.VNFMIgnored{}.Kind():
		return a(VNFM, VNFM, Normal, "ignores it: no reply")
	case event.VNFMWaiting{}.Kind():
		return a(VNFM, VNFM, Normal, "waits for "+cmp.Or(read[event.VNFMWaiting](e).For, "something"))
	case event.VNFMAction{}.Kind():
		p := read[event.VNFMAction](e)
		if strings.HasPrefix(p.Action, "SCALED") { // the VNFM resized the VNF itself
			return a(VNFM, VNFs, Normal, strings.ToLower(p.Action)+" "+p.VNF)
		}
		return a(VNFM, VNFM, Normal, joinNonEmpty(" ", p.Action, p.Instance))
	case event.VNFSwitchover{}.Kind():
		p := read[event.VNFSwitchover](e)
		label := fmt.Sprintf("switch-over %s → %s", p.From, p.To)
		if p.Gap != "" && p.Gap != "0s" {
			label += " (gap " + p.Gap + ")"
		}
		return a(VNFM, VNFs, Normal, label)
	case event.VNFDrain{}.Kind():
		return a(VNFM, VNFs, Normal, "drain "+read[event.VNFDrain](e).Instance)
	case event.VNFDrained{}.Kind():
		return a(VNFs, VNFM, Reply, read[event.VNFDrained](e).Instance+" drained")
	case event.VNFUndrain{}.Kind():
		return a(VNFM, VNFs, Normal, "restore "+read[event.VNFUndrain](e).Instance)
	case event.VNFMReply{}.Kind():
		p := read[event.VNFMReply](e)
		label := cmp.Or(p.Reply, "reply")
		if !p.Accepted {
			return a(VNFM, UpgradeManager, Bad, "✗ "+label+" (refused)")
		}
		return a(VNFM, UpgradeManager, Reply, label)
	case event.VNFMReplyTimeout{}.Kind():
		return a(UpgradeManager, UpgradeManager, Bad, "no reply within "+read[event.VNFMReplyTimeout](e).After+": going on")
	case event.VNFMReplyRejected{}.Kind():
		label := "✗ reply rejected"
		if in := read[event.VNFMReplyRejected](e).RetryIn; in != "" {
			label += ", retrying in " + in
		}
		return a(VNFM, VNFM, Bad, label)
	case event.VNFMError{}.Kind():
		return a(VNFM, VNFM, Bad, "✗ "+read[event.VNFMError](e).Error)
	case event.VMMigrate{}.Kind():
		p := read[event.VMMigrate](e)
		if p.Refused != "" { // nothing was asked of the Cloud Manager
			return a(UpgradeManager, UpgradeManager, Bad, fmt.Sprintf("✗ %s may not migrate: %s", e.Subject, p.Refused))
		}
		return a(UpgradeManager, CloudManager, Normal, fmt.Sprintf("migrate %s off %s", e.Subject, p.From))
	case event.VMMigrating{}.Kind():
		p := read[event.VMMigrating](e)
		how := "cold"
		if p.Live {
			how = "live"
		}
		return a(CloudManager, VNFs, Normal, fmt.Sprintf("%s-migrate %s %s → %s", how, e.Subject, p.From, p.To))
	case event.VMMigrated{}.Kind():
		return a(CloudManager, UpgradeManager, Reply, fmt.Sprintf("%s now on %s", e.Subject, read[event.VMMigrated](e).To))
	case event.VMMigrationFailed{}.Kind():
		return a(CloudManager, UpgradeManager, Bad, "✗ migration of "+e.Subject+" failed")
	case event.NodeUpgradeStarted{}.Kind():
		p := read[event.NodeUpgradeStarted](e)
		return a(UpgradeManager, CloudManager, Normal, fmt.Sprintf("upgrade %s %s → %s", e.Subject, p.From, p.To))
	case event.NodeVersion{}.Kind():
		return a(CloudManager, UpgradeManager, Reply, fmt.Sprintf("%s runs %s", e.Subject, read[event.NodeVersion](e).To))
	case event.FaultUpgradeFails{}.Kind():
		return a(CloudManager, UpgradeManager, Fault, "✗ installing on "+e.Subject+" failed")
	case event.FaultUpgradeHangs{}.Kind():
		return a(CloudManager, UpgradeManager, Fault, "✗ the upgrade of "+e.Subject+" hangs")
	case event.FaultVerifyFails{}.Kind():
		return a(CloudManager, UpgradeManager, Fault, "✗ the health test of "+e.Subject+" failed")
	case event.FaultNodeCrash{}.Kind():
		return a(CloudManager, UpgradeManager, Fault, "✗ "+e.Subject+" crashed while upgrading")
	case event.FaultInjected{}.Kind():
		f := read[event.FaultInjected](e).Fault
		l := faultLifeline(f)
		return a(l, l, Fault, "⚡ injected: "+f)
	case event.FaultVNFM{}.Kind():
		return a(VNFM, VNFM, Fault, "⚡ fault: "+read[event.FaultVNFM](e).Behavior+" this time")
	case event.ServiceInterruption{}.Kind():
		return a(VNFs, VNFs, Bad, fmt.Sprintf("✗ %s lost %s requests", e.Subject, Count(read[event.ServiceInterruption](e).Lost)))
	case event.VNFFailover{}.Kind():
		return a(VNFs, VNFs, Normal, fmt.Sprintf("%s fails over to %s", e.Subject, read[event.VNFFailover](e).To))
	case event.VNFFailoverFailed{}.Kind():
		return a(VNFs, VNFs, Bad, fmt.Sprintf("✗ %s cannot fail over: %s", e.Subject, read[event.VNFFailoverFailed](e).Reason))
	case event.SpecViolation{}.Kind():
		return a(UpgradeManager, UpgradeManager, Bad, "✗ spec violation: "+read[event.SpecViolation](e).Message)
	}
	return Arrow{}, false
}

// nodeStatus draws the session's moves of a node into and out of
// maintenance, which the Upgrade Manager asks of the Cloud Manager, and a
// node's failure; the statuses in between show as the Cloud Manager's own
// events (the upgrade, the new version).
func nodeStatus(node string, p event.NodeStatus) (Arrow, bool) {
	switch p.Status {
	case event.StatusMaintenance:
		return Arrow{UpgradeManager, CloudManager, "maintenance mode on " + node, Normal}, true
	case event.StatusDone:
		return Arrow{UpgradeManager, CloudManager, node + " back in service", Normal}, true
	case event.StatusRolledBack:
		return Arrow{UpgradeManager, CloudManager, node + " rolled back, in service", Normal}, true
	case event.StatusFailed:
		return Arrow{UpgradeManager, UpgradeManager, "✗ " + joinNonEmpty(": ", node+" failed", p.Reason), Bad}, true
	}
	return Arrow{}, false
}

// notification labels what the VIM told a VNFM: for maintenance, the
// state, the VNFM's instances affected (what it must act on, so first)
// and the nodes they are on.
func notification(p event.VNFMNotify) string {
	switch p.Type {
	case event.TypeMaintenance:
		label := cmp.Or(p.State, "maintenance")
		if len(p.Instances) > 0 {
			label += ": " + strings.Join(p.Instances, ", ")
		}
		if len(p.Nodes) > 0 {
			label += " on " + strings.Join(p.Nodes, ", ")
		}
		return label
	case event.TypeNodeAvailable:
		return "node available: " + strings.Join(p.Nodes, ", ")
	case event.TypeSessionStatus:
		return "session " + p.SessionState
	}
	// A type of another VIM's: say all it carries.
	return cmp.Or(joinNonEmpty(" ", strings.TrimSuffix(p.Type, "Notification"), cmp.Or(p.State, p.SessionState), strings.Join(p.Nodes, ", ")), "notification")
}

// faultLifeline is where an injected fault shows: on the VNFM for a VNFM's
// misbehaviour, on the Cloud Manager for the infrastructure's.
func faultLifeline(fault string) Lifeline {
	if strings.HasPrefix(fault, "vnfm") || fault == "silent" {
		return VNFM
	}
	return CloudManager
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Count writes a request count for people: whole numbers, with a
// thousands separator.
func Count(f float64) string {
	n := int64(f + 0.5)
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
