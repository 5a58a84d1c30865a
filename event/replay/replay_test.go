package replay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// trace records payloads as the producers do, so the test reads fields
// with the Go types a live trace holds (not JSON's).
type trace struct {
	tr *escalator.Trace
	at time.Duration
}

func newTrace() *trace {
	tt := &trace{}
	tt.tr = escalator.NewTrace(func() time.Duration { return tt.at })
	return tt
}

func (tt *trace) emit(at time.Duration, subject string, p event.Payload) {
	tt.at = at
	event.Emit(tt.tr, "test", subject, p)
}

func (tt *trace) world() *World {
	w := New()
	for _, e := range tt.tr.Events {
		w.Apply(e)
	}
	return w
}

func TestApply(t *testing.T) {
	base := func() *trace {
		tt := newTrace()
		tt.emit(0, "n1", event.NodeAdded{Version: "1.0"})
		tt.emit(0, "n2", event.NodeAdded{Version: "1.0"})
		tt.emit(0, "a-1", event.VMPlaced{Node: "n1", VNF: "a", VNFM: "m"})
		tt.emit(0, "a-2", event.VMPlaced{Node: "n2", VNF: "a", VNFM: "m"})
		tt.emit(0, "a", event.VNFDeployed{Mode: "active-standby", Instances: 2})
		tt.emit(0, "a-1", event.VMBusiness{VNF: "a", Carrying: true, Node: "n1", Role: "active"})
		return tt
	}
	tests := []struct {
		name  string
		then  func(tt *trace)
		check func(t *testing.T, w *World)
	}{
		{"a node joins normal at its version", nil, func(t *testing.T, w *World) {
			n, ok := w.Node("n1")
			require.True(t, ok)
			require.Equal(t, Node{ID: "n1", State: "normal", Version: "1.0", Original: "1.0"}, n)
			require.Equal(t, []string{"n1", "n2"}, w.Nodes())
			_, ok = w.Node("n3")
			require.False(t, ok)
		}},
		{"a node's state, since when, and its version", func(tt *trace) {
			tt.emit(time.Minute, "n1", event.NodeState{From: "normal", To: "upgrading"})
			tt.emit(2*time.Minute, "n1", event.NodeVersion{From: "1.0", To: "2.0"})
		}, func(t *testing.T, w *World) {
			n, _ := w.Node("n1")
			require.Equal(t, Node{ID: "n1", State: "upgrading", Since: time.Minute, Version: "2.0", Original: "1.0"}, n)
		}},
		{"the active carries business; a switch-over moves it", func(tt *trace) {
			tt.emit(time.Second, "a", event.VNFSwitchover{From: "a-1", To: "a-2", Gap: "0s"})
		}, func(t *testing.T, w *World) {
			v, _ := w.VNF("a")
			require.Equal(t, "a-2", v.Active)
			vm, _ := w.VM("a-1")
			require.True(t, vm.Carrying, "only vm.business says whether a VM carries business")
			require.Equal(t, "active", vm.Role)
		}},
		{"a migrated VM is on its new node", func(tt *trace) {
			tt.emit(time.Second, "a-1", event.VMMigrated{From: "n1", To: "n2"})
		}, func(t *testing.T, w *World) {
			require.Empty(t, w.VMsOn("n1"))
			require.Equal(t, []string{"a-1", "a-2"}, w.VMsOn("n2"))
			vm, _ := w.VM("a-1")
			require.Equal(t, "n2", vm.Host)
		}},
		{"a deleted VM leaves its node and its VNF", func(tt *trace) {
			tt.emit(time.Second, "a-2", event.VMDeleted{Node: "n2"})
		}, func(t *testing.T, w *World) {
			require.Empty(t, w.VMsOn("n2"))
			require.Equal(t, []string{"a-1"}, w.Members("a"))
			vm, ok := w.VM("a-2")
			require.True(t, ok, "a deleted VM is still known")
			require.Equal(t, VM{ID: "a-2", State: "deleted", VNF: "a", VNFM: "m", Deleted: true}, vm)
		}},
		{"a drained instance stays drained until restored", func(tt *trace) {
			tt.emit(time.Second, "a", event.VNFDrain{Instance: "a-2"})
			tt.emit(2*time.Second, "a", event.VNFDrained{Instance: "a-2"})
		}, func(t *testing.T, w *World) {
			vm, _ := w.VM("a-2")
			require.True(t, vm.Drained)
		}},
		{"a notice opens for the VMs named and closes when their node is available", func(tt *trace) {
			tt.emit(time.Second, "m", event.VNFMNotify{VNFM: "m", NotificationID: "n-1", Type: event.TypeMaintenance, Nodes: []string{"n1"}, Instances: []string{"a-1"}})
			tt.emit(2*time.Second, "m", event.VNFMNotify{VNFM: "m", NotificationID: "n-2", Type: event.TypeNodeAvailable, Nodes: []string{"n1"}})
		}, func(t *testing.T, w *World) {
			n, ok := w.Notice("a-1")
			require.True(t, ok, "a closed notice is still the last")
			require.False(t, n.Open)
			require.Equal(t, int64(7), n.Event.Seq)
			require.Equal(t, "n-1", n.Notify.NotificationID)
			_, ok = w.Notice("a-2")
			require.False(t, ok)
		}},
		{"the first accepted reply is the one", func(tt *trace) {
			tt.emit(time.Second, "m", event.VNFMNotify{VNFM: "m", NotificationID: "n-1", Type: event.TypeMaintenance, Instances: []string{"a-1"}})
			tt.emit(2*time.Second, "s", event.VNFMReply{VNFM: "m", NotificationID: "n-1", Reply: "ACK_X", Accepted: true})
			tt.emit(3*time.Second, "s", event.VNFMReply{VNFM: "m", NotificationID: "n-1", Reply: "NACK_X", Accepted: true})
		}, func(t *testing.T, w *World) {
			n, ok := w.Notification("n-1")
			require.True(t, ok)
			require.Len(t, n.Replies, 2)
			require.Equal(t, int64(8), n.Accepted.Seq)
			require.Equal(t, "ACK_X", n.AcceptedReply.Reply)
			require.Equal(t, "m", n.Notify.VNFM)
		}},
		{"limits only when declared", func(tt *trace) {
			tt.emit(0, "b", event.VNFDeployed{Mode: "load-balanced", Instances: 3, LeadTime: "30s", MaxImpacted: event.Ptr(1), MinPreserved: event.Ptr(2)})
		}, func(t *testing.T, w *World) {
			a, _ := w.VNF("a")
			require.Nil(t, a.Limits)
			b, _ := w.VNF("b")
			require.Equal(t, &Limits{LeadTime: 30 * time.Second, MaxImpacted: 1, MinPreserved: 2}, b.Limits)
			require.Equal(t, []string{"a", "b"}, w.VNFs())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt := base()
			if tc.then != nil {
				tc.then(tt)
			}
			w := tt.world()
			require.NoError(t, w.Err())
			tc.check(t, w)
		})
	}
}

// TestReadOnly: what the accessors return is a copy; changing it leaves
// the world as it was.
func TestReadOnly(t *testing.T) {
	tt := newTrace()
	tt.emit(0, "a-1", event.VMPlaced{Node: "n1", VNF: "a", VNFM: "m"})
	w := tt.world()
	w.Members("a")[0] = "x"
	w.Nodes()
	vm, _ := w.VM("a-1")
	vm.Host = "elsewhere"
	require.Equal(t, []string{"a-1"}, w.Members("a"))
	again, _ := w.VM("a-1")
	require.Equal(t, "n1", again.Host)
}
