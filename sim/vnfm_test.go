package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// A notification delivered twice (a VIM retry whose first attempt did
// arrive) is handled once: one switch-over, one reply.
func TestVNFMHandlesDuplicateNotificationsOnce(t *testing.T) {
	r := newRig(t, Timings{}, 3)
	r.vnf(t, VNFConfig{Name: "mme", Mode: ModeActiveStandby, Load: 1000, CapacityPerInstance: 1000,
		ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}, 2)
	var replies []orchestrator.Reply
	m := NewVNFM(VNFMConfig{Name: "vnfm-1", Behavior: BehaviorReference, ReplyAfter: time.Second}, r.loop, r.trace, r.w,
		func(rep orchestrator.Reply) error { replies = append(replies, rep); return nil })
	deadline := Epoch.Add(time.Minute)
	n := orchestrator.Notification{ID: "n-1", NotificationType: orchestrator.TypeMaintenance, SessionID: "s",
		State: orchestrator.StatePlannedMaintenance, AffectedNodes: []string{"n1"}, TimeStamp: Epoch, ReplyBy: &deadline,
		AffectedInstances: []orchestrator.AffectedInstance{{InstanceID: "mme-1", VnfInstanceID: "mme", NodeID: "n1"}}}
	m.Deliver(n)
	m.Deliver(n)
	require.NoError(t, r.loop.Run(context.Background(), time.Minute))
	require.Len(t, replies, 1)
	require.Equal(t, "ACK_PLANNED_MAINTENANCE", replies[0].Reply)
	switchovers := 0
	for _, e := range r.trace.Events {
		if e.Kind == "vnf.switchover" {
			switchovers++
		}
	}
	require.Equal(t, 1, switchovers)
	require.Equal(t, RoleActive, r.w.VNF("mme").Instances[1].Role)
}

// A VNFM serves one session after another (escalator conform runs every
// case against the same VNFM): what one session's notifications named must
// not be acted on in the next, whose instances may bear the same names.
func TestVNFMForgetsASessionWhenItEnds(t *testing.T) {
	r := newRig(t, Timings{}, 3)
	r.vnf(t, VNFConfig{Name: "mme", Mode: ModeActiveStandby, Load: 1000, CapacityPerInstance: 1000,
		ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}, 2)
	m := NewVNFM(VNFMConfig{Name: "vnfm-1", Behavior: BehaviorReference, ReplyAfter: time.Second}, r.loop, r.trace, r.w,
		func(orchestrator.Reply) error { return nil })
	deadline := Epoch.Add(time.Minute)
	m.Deliver(orchestrator.Notification{ID: "n-1", NotificationType: orchestrator.TypeMaintenance, SessionID: "s-1",
		State: orchestrator.StatePlannedMaintenance, AffectedNodes: []string{"n1"}, TimeStamp: Epoch, ReplyBy: &deadline,
		AffectedInstances: []orchestrator.AffectedInstance{{InstanceID: "mme-1", VnfInstanceID: "mme", NodeID: "n1"}}})
	// The session fails before n1 is ever available again.
	m.Deliver(orchestrator.Notification{ID: "n-2", NotificationType: orchestrator.TypeSessionStatus, SessionID: "s-1"})
	require.NoError(t, r.loop.Run(context.Background(), time.Minute))
	m.Deliver(orchestrator.Notification{ID: "n-3", NotificationType: orchestrator.TypeNodeAvailable, SessionID: "s-2", AffectedNodes: []string{"n1"}})
	require.NoError(t, r.loop.Run(context.Background(), 2*time.Minute))
	for _, e := range r.trace.Events {
		if p, ok, err := event.As[event.VNFUndrain](e); ok {
			require.NoError(t, err)
			require.Failf(t, "undrained across sessions", "session s-2 restored %s, which only session s-1 had named", p.Instance)
		}
	}
}

// awayControl is a VNF control API that answers "unavailable" until a
// given time: the element manager being restarted.
type awayControl struct {
	VNFControl
	loop  *Loop
	until time.Duration
	// midway: only the switch-over is away (the API went as the VNFM
	// began to move).
	midway bool
}

func (c awayControl) away() error {
	if c.loop.Elapsed() < c.until {
		return escalator.Errorf(escalator.EUNAVAILABLE, "VNF control: connection refused")
	}
	return nil
}

func (c awayControl) GetVNF(name string) (VNFView, error) {
	if err := c.away(); err != nil && !c.midway {
		return VNFView{}, err
	}
	return c.VNFControl.GetVNF(name)
}

func (c awayControl) SwitchOver(vnf, to string) error {
	if err := c.away(); err != nil {
		return err
	}
	return c.VNFControl.SwitchOver(vnf, to)
}

// A VNF control API that is away for a while (in the testbed, a VIM
// process being restarted serves it) is waited for while the deadline
// leaves room, so the reply still reports the business moved; past the
// deadline's room the VNFM replies with what it could do, as before.
func TestVNFMWaitsForTheVNFControlAPI(t *testing.T) {
	for _, tc := range []struct {
		name      string
		away      time.Duration
		midway    bool
		switched  bool
		waitCount int
	}{
		{"back before the deadline", 5 * time.Second, false, true, 2},
		{"back too late", 2 * time.Minute, false, false, 29},
		{"away midway, back before the deadline", 5 * time.Second, true, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Timings{}, 3)
			r.vnf(t, VNFConfig{Name: "mme", Mode: ModeActiveStandby, Load: 1000, CapacityPerInstance: 1000,
				ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}, 2)
			var replies []orchestrator.Reply
			m := NewVNFM(VNFMConfig{Name: "vnfm-1", Behavior: BehaviorReference, ReplyAfter: time.Second}, r.loop, r.trace,
				awayControl{r.w, r.loop, tc.away, tc.midway},
				func(rep orchestrator.Reply) error { replies = append(replies, rep); return nil })
			deadline := Epoch.Add(time.Minute)
			m.Deliver(orchestrator.Notification{ID: "n-1", NotificationType: orchestrator.TypeMaintenance, SessionID: "s",
				State: orchestrator.StatePlannedMaintenance, AffectedNodes: []string{"n1"}, TimeStamp: Epoch, ReplyBy: &deadline,
				AffectedInstances: []orchestrator.AffectedInstance{{InstanceID: "mme-1", VnfInstanceID: "mme", NodeID: "n1"}}})
			require.NoError(t, r.loop.Run(context.Background(), 3*time.Minute))
			require.Len(t, replies, 1)
			waits := 0
			for _, e := range r.trace.Events {
				if e.Kind == (event.VNFMWaiting{}).Kind() {
					waits++
				}
			}
			require.Equal(t, tc.waitCount, waits)
			if tc.switched {
				require.Equal(t, []orchestrator.InstanceAction{{InstanceID: "mme-1", Action: orchestrator.ActionSwitchedOver}}, replies[0].InstanceActions)
			} else {
				require.Empty(t, replies[0].InstanceActions)
			}
		})
	}
}
