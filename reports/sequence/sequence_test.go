package sequence

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

func ev(p event.Payload, subject string) escalator.Event {
	return escalator.Event{Seq: 1, Actor: "x", Kind: p.Kind(), Subject: subject, Fields: event.Fields(p)}
}

// Each kind that draws an arrow, between the lifelines and with the label
// and tone both diagrams show.
func TestOf(t *testing.T) {
	tests := []struct {
		name string
		e    escalator.Event
		want Arrow
	}{
		{"session opened", ev(event.SessionCreated{Flow: "F1", TargetVersion: "2.0"}, ""),
			Arrow{UpgradeManager, UpgradeManager, "upgrade session opened: F1 to version 2.0", Normal}},
		{"next batch", ev(event.PlanBatch{Nodes: []string{"compute-1", "compute-2"}}, "s1"),
			Arrow{UpgradeManager, UpgradeManager, "next: compute-1, compute-2", Normal}},
		{"session state with a reason", ev(event.SessionState{State: "ROLLING_BACK", Reason: "compute-1 failed"}, "s1"),
			Arrow{UpgradeManager, UpgradeManager, "session ROLLING_BACK: compute-1 failed", Normal}},
		{"session state without one", ev(event.SessionState{State: "COMPLETED"}, "s1"),
			Arrow{UpgradeManager, UpgradeManager, "session COMPLETED", Normal}},
		{"node into maintenance", ev(event.NodeStatus{Status: event.StatusMaintenance}, "compute-1"),
			Arrow{UpgradeManager, CloudManager, "maintenance mode on compute-1", Normal}},
		{"node done", ev(event.NodeStatus{Status: event.StatusDone}, "compute-1"),
			Arrow{UpgradeManager, CloudManager, "compute-1 back in service", Normal}},
		{"node rolled back", ev(event.NodeStatus{Status: event.StatusRolledBack}, "compute-1"),
			Arrow{UpgradeManager, CloudManager, "compute-1 rolled back, in service", Normal}},
		{"node failed", ev(event.NodeStatus{Status: event.StatusFailed, Reason: "upgrade failed"}, "compute-1"),
			Arrow{UpgradeManager, UpgradeManager, "✗ compute-1 failed: upgrade failed", Bad}},
		{"maintenance notification", ev(event.VNFMNotify{Type: event.TypeMaintenance, State: "PLANNED_MAINTENANCE", Nodes: []string{"compute-1"}, Instances: []string{"mme-1", "sgw-1"}}, "vnfm-1"),
			Arrow{UpgradeManager, VNFM, "PLANNED_MAINTENANCE: mme-1, sgw-1 on compute-1", Normal}},
		{"session-wide maintenance notification", ev(event.VNFMNotify{Type: event.TypeMaintenance, State: "SCALE_IN"}, "vnfm-1"),
			Arrow{UpgradeManager, VNFM, "SCALE_IN", Normal}},
		{"node available", ev(event.VNFMNotify{Type: event.TypeNodeAvailable, Nodes: []string{"compute-1"}}, "vnfm-1"),
			Arrow{UpgradeManager, VNFM, "node available: compute-1", Normal}},
		{"session status", ev(event.VNFMNotify{Type: event.TypeSessionStatus, SessionState: "COMPLETED"}, "vnfm-1"),
			Arrow{UpgradeManager, VNFM, "session COMPLETED", Normal}},
		{"a notification type of another VIM's", ev(event.VNFMNotify{Type: "ScaleNotification", State: "SCALE_OUT"}, "vnfm-1"),
			Arrow{UpgradeManager, VNFM, "Scale SCALE_OUT", Normal}},
		{"delivery failed", ev(event.DeliveryFailed{NotificationID: "n1", Error: "refused"}, "sub-1"),
			Arrow{UpgradeManager, VNFM, "✗ notification not delivered", Bad}},
		{"VNFM ignores", ev(event.VNFMIgnored{NotificationID: "n1", Behavior: "silent"}, "vnfm-1"),
			Arrow{VNFM, VNFM, "ignores it: no reply", Normal}},
		{"VNFM waits", ev(event.VNFMWaiting{NotificationID: "n1", For: "a standby to resync"}, "vnfm-1"),
			Arrow{VNFM, VNFM, "waits for a standby to resync", Normal}},
		{"VNFM acts on an instance", ev(event.VNFMAction{VNF: "mme", Instance: "mme-1", Action: "SWITCHED_OVER"}, "vnfm-1"),
			Arrow{VNFM, VNFM, "SWITCHED_OVER mme-1", Normal}},
		{"VNFM scales a VNF", ev(event.VNFMAction{VNF: "web", Action: "SCALED_IN 4->3"}, "vnfm-1"),
			Arrow{VNFM, VNFs, "scaled_in 4->3 web", Normal}},
		{"switch-over without a gap", ev(event.VNFSwitchover{From: "mme-1", To: "mme-2", Gap: "0s"}, "mme"),
			Arrow{VNFM, VNFs, "switch-over mme-1 → mme-2", Normal}},
		{"switch-over with a gap", ev(event.VNFSwitchover{From: "mme-1", To: "mme-2", Gap: "2s"}, "mme"),
			Arrow{VNFM, VNFs, "switch-over mme-1 → mme-2 (gap 2s)", Normal}},
		{"drain", ev(event.VNFDrain{Instance: "web-1"}, "web"), Arrow{VNFM, VNFs, "drain web-1", Normal}},
		{"drained", ev(event.VNFDrained{Instance: "web-1"}, "web"), Arrow{VNFs, VNFM, "web-1 drained", Reply}},
		{"undrain", ev(event.VNFUndrain{Instance: "web-1"}, "web"), Arrow{VNFM, VNFs, "restore web-1", Normal}},
		{"reply accepted", ev(event.VNFMReply{Reply: "ACK_PLANNED_MAINTENANCE", Accepted: true}, "s1"),
			Arrow{VNFM, UpgradeManager, "ACK_PLANNED_MAINTENANCE", Reply}},
		{"reply refused", ev(event.VNFMReply{Reply: "ACK", Accepted: false}, "s1"),
			Arrow{VNFM, UpgradeManager, "✗ ACK (refused)", Bad}},
		{"reply timeout", ev(event.VNFMReplyTimeout{VNFMs: []string{"vnfm-1"}, After: "1m0s"}, "s1"),
			Arrow{UpgradeManager, UpgradeManager, "no reply within 1m0s: going on", Bad}},
		{"reply rejected, retried", ev(event.VNFMReplyRejected{NotificationID: "n1", Error: "503", RetryIn: "2s"}, "vnfm-1"),
			Arrow{VNFM, VNFM, "✗ reply rejected, retrying in 2s", Bad}},
		{"reply rejected for good", ev(event.VNFMReplyRejected{NotificationID: "n1", Error: "400"}, "vnfm-1"),
			Arrow{VNFM, VNFM, "✗ reply rejected", Bad}},
		{"VNFM's control call failed", ev(event.VNFMError{VNF: "mme", Error: "switch-over refused"}, "vnfm-1"),
			Arrow{VNFM, VNFM, "✗ switch-over refused", Bad}},
		{"migrate", ev(event.VMMigrate{From: "compute-1", Reason: "carries business", Live: event.Ptr(true)}, "vm-1"),
			Arrow{UpgradeManager, CloudManager, "migrate vm-1 off compute-1", Normal}},
		{"migration refused by the VNF", ev(event.VMMigrate{From: "compute-1", Refused: "the VNF allows no migration"}, "vm-1"),
			Arrow{UpgradeManager, UpgradeManager, "✗ vm-1 may not migrate: the VNF allows no migration", Bad}},
		{"live migration", ev(event.VMMigrating{From: "compute-1", To: "compute-2", Live: true}, "vm-1"),
			Arrow{CloudManager, VNFs, "live-migrate vm-1 compute-1 → compute-2", Normal}},
		{"cold migration", ev(event.VMMigrating{From: "compute-1", To: "compute-2"}, "vm-1"),
			Arrow{CloudManager, VNFs, "cold-migrate vm-1 compute-1 → compute-2", Normal}},
		{"migrated", ev(event.VMMigrated{From: "compute-1", To: "compute-2"}, "vm-1"),
			Arrow{CloudManager, UpgradeManager, "vm-1 now on compute-2", Reply}},
		{"migration failed", ev(event.VMMigrationFailed{From: "compute-1", Error: "no room"}, "vm-1"),
			Arrow{CloudManager, UpgradeManager, "✗ migration of vm-1 failed", Bad}},
		{"upgrade", ev(event.NodeUpgradeStarted{From: "1.0", To: "2.0"}, "compute-1"),
			Arrow{UpgradeManager, CloudManager, "upgrade compute-1 1.0 → 2.0", Normal}},
		{"new version", ev(event.NodeVersion{From: "1.0", To: "2.0"}, "compute-1"),
			Arrow{CloudManager, UpgradeManager, "compute-1 runs 2.0", Reply}},
		{"install fails", ev(event.FaultUpgradeFails{}, "compute-1"),
			Arrow{CloudManager, UpgradeManager, "✗ installing on compute-1 failed", Fault}},
		{"upgrade hangs", ev(event.FaultUpgradeHangs{}, "compute-1"),
			Arrow{CloudManager, UpgradeManager, "✗ the upgrade of compute-1 hangs", Fault}},
		{"verification fails", ev(event.FaultVerifyFails{}, "compute-1"),
			Arrow{CloudManager, UpgradeManager, "✗ the health test of compute-1 failed", Fault}},
		{"node crashes", ev(event.FaultNodeCrash{}, "compute-1"),
			Arrow{CloudManager, UpgradeManager, "✗ compute-1 crashed while upgrading", Fault}},
		{"VNFM fault injected", ev(event.FaultInjected{Fault: "vnfm-crash", Index: event.Ptr(0)}, "vnfm-1"),
			Arrow{VNFM, VNFM, "⚡ injected: vnfm-crash", Fault}},
		{"infrastructure fault injected", ev(event.FaultInjected{Fault: "vm-crash", Index: event.Ptr(1), VM: "vm-1"}, "vm-1"),
			Arrow{CloudManager, CloudManager, "⚡ injected: vm-crash", Fault}},
		{"VNFM misbehaves once", ev(event.FaultVNFM{NotificationID: "n1", Behavior: "silent"}, "vnfm-1"),
			Arrow{VNFM, VNFM, "⚡ fault: silent this time", Fault}},
		{"requests lost", ev(event.ServiceInterruption{Lost: 2500, Duration: "1s"}, "web"),
			Arrow{VNFs, VNFs, "✗ web lost 2,500 requests", Bad}},
		{"failover", ev(event.VNFFailover{To: "mme-2"}, "mme"), Arrow{VNFs, VNFs, "mme fails over to mme-2", Normal}},
		{"failover failed", ev(event.VNFFailoverFailed{Reason: "no standby"}, "mme"),
			Arrow{VNFs, VNFs, "✗ mme cannot fail over: no standby", Bad}},
		{"spec violation", ev(event.SpecViolation{Spec: "vim", Message: "reply", Detail: "missing field"}, "POST /replies"),
			Arrow{UpgradeManager, UpgradeManager, "✗ spec violation: reply", Bad}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Of(tc.e)
			require.True(t, ok, "%s draws an arrow", tc.e.Kind)
			require.Equal(t, tc.want, got)
		})
	}
}

// Bookkeeping and the statuses between maintenance and return draw no
// arrow: the diagrams show the conversation, not every state.
func TestOfNone(t *testing.T) {
	for _, e := range []escalator.Event{
		ev(event.NodeAdded{Version: "1.0"}, "compute-1"),
		ev(event.VMPlaced{Node: "compute-1"}, "vm-1"),
		ev(event.DeliveryAttempt{NotificationID: "n1", Attempt: 1}, "sub-1"),
		ev(event.VMBusiness{VNF: "mme", Carrying: true}, "mme-1"),
		ev(event.VNFMReceived{NotificationID: "n1", Type: event.TypeMaintenance}, "vnfm-1"),
		ev(event.NodeState{From: "normal", To: "maintenance"}, "compute-1"),
		ev(event.NodeStatus{Status: "upgrading"}, "compute-1"),
		{Seq: 1, Kind: "node.exploded", Subject: "compute-1"},
	} {
		_, ok := Of(e)
		require.False(t, ok, "%s %v draws no arrow", e.Kind, e.Fields)
	}
}

// A field of the wrong type (a trace written by hand) reads as empty: the
// arrow is still drawn.
func TestOfTolerant(t *testing.T) {
	e := escalator.Event{Seq: 1, Kind: event.VNFSwitchover{}.Kind(), Subject: "mme", Fields: escalator.Fields{"from": "mme-1", "to": 2, "gap": "0s"}}
	got, ok := Of(e)
	require.True(t, ok)
	require.Equal(t, Arrow{VNFM, VNFs, "switch-over mme-1 → ", Normal}, got)
}

func TestLifelines(t *testing.T) {
	require.Equal(t, []string{"Upgrade Manager", "Cloud Manager", "VNFM", "VNFs"}, Lifelines())
	for i, name := range Lifelines() {
		require.Equal(t, name, Lifeline(i).String())
	}
	Lifelines()[0] = "changed"
	require.Equal(t, "Upgrade Manager", UpgradeManager.String(), "callers get a copy")
}

// The package draws a trace from the vocabulary alone: it imports the root
// package and event, never the orchestrator or the simulator.
func TestImportsOnlyTheVocabulary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	const mod = "github.com/escalator-testbed/escalator"
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		require.NoError(t, err)
		for _, im := range parsed.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			if strings.HasPrefix(path, mod) {
				require.Contains(t, []string{mod, mod + "/event"}, path, "%s imports %s", f, path)
			}
		}
	}
}

func TestCount(t *testing.T) {
	require.Equal(t, "0", Count(0))
	require.Equal(t, "999", Count(999.4))
	require.Equal(t, "1,000", Count(999.5))
	require.Equal(t, "1,234,567", Count(1234567))
}
