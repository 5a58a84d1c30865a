package sim

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// The registry is the one place a behaviour is defined: every entry is
// named once, says in one line what it does, acts at a known layer, and a
// maintenance profile departs from the reference somewhere (an endpoint or
// subscription profile acts in sim/vnfmhttp, never through hooks).
func TestProfilesRegistry(t *testing.T) {
	require.Equal(t, BehaviorReference, Profiles[0].Name, "the reference comes first")
	require.True(t, reflect.ValueOf(Profiles[0].hooks).IsZero(), "the reference is the zero hooks")
	seen := map[string]bool{}
	for _, p := range Profiles {
		require.NotEmpty(t, p.Name)
		require.False(t, seen[p.Name], "profile %s is registered twice", p.Name)
		seen[p.Name] = true
		require.NotEmpty(t, p.Summary, p.Name)
		require.NotContains(t, p.Summary, "\n", "%s: the summary is one line (docs tables, --help)", p.Name)
		require.NotContains(t, p.Summary, "|", "%s: the summary goes into Markdown tables", p.Name)
		require.Contains(t, []string{LayerMaintenance, LayerEndpoint, LayerSubscription}, p.Layer, p.Name)
		set := !reflect.ValueOf(p.hooks).IsZero()
		switch {
		case p.Name == BehaviorReference:
		case p.Layer == LayerMaintenance:
			require.True(t, set, "maintenance profile %s sets no hook: it would behave as the reference", p.Name)
		default:
			require.False(t, set, "%s profile %s sets hooks, which only the maintenance layer reads", p.Layer, p.Name)
		}
	}
	require.Equal(t, len(Profiles), len(BehaviorNames()))
	for i, n := range BehaviorNames() {
		require.Equal(t, Profiles[i].Name, n, "BehaviorNames keeps the registry's order")
		require.True(t, KnownBehavior(n), n)
	}
	require.False(t, KnownBehavior("sleepy"))
	require.False(t, KnownBehavior(""))
	require.True(t, reflect.ValueOf(hooksOf("sleepy")).IsZero(), "an unknown name behaves as the reference")
	require.False(t, reflect.ValueOf(hooksOf(BehaviorNack)).IsZero())
}

// profileWorld is the small world every profile case runs in: three nodes;
// two active-standby VNFs whose actives share n1; two load-balanced pools
// with a member on each node, each able to spare one member, web
// declaring minPreserved 2.
func profileWorld(t *testing.T, r *rig) {
	t.Helper()
	as := func(name string) VNFConfig {
		return VNFConfig{Name: name, Mode: ModeActiveStandby, Load: 100, CapacityPerInstance: 100,
			ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second}
	}
	lb := func(name string, l *Limits) VNFConfig {
		return VNFConfig{Name: name, Mode: ModeLoadBalanced, Load: 400, CapacityPerInstance: 400,
			ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second, Limits: l}
	}
	require.NoError(t, r.w.AddVNF(as("mme"), "vnfm-1", 2, 2, 4, true, []string{"n1", "n2"}))
	require.NoError(t, r.w.AddVNF(as("sgw"), "vnfm-1", 2, 2, 4, true, []string{"n1", "n3"}))
	require.NoError(t, r.w.AddVNF(lb("web", &Limits{MinPreserved: 2}), "vnfm-1", 3, 2, 4, true, []string{"n1", "n2", "n3"}))
	require.NoError(t, r.w.AddVNF(lb("api", nil), "vnfm-1", 3, 2, 4, true, []string{"n1", "n2", "n3"}))
}

// profileRun is what one case's script produced.
type profileRun struct {
	replies []timedReply
	events  []escalator.Event
	marks   map[string]time.Duration // when the script delivered what
}

type timedReply struct {
	at  time.Duration
	rep orchestrator.Reply
}

func (o profileRun) count(kind string, match func(escalator.Event) bool) int {
	n := 0
	for _, e := range o.events {
		if e.Kind == kind && (match == nil || match(e)) {
			n++
		}
	}
	return n
}

func (o profileRun) times(kind string) []time.Duration {
	var out []time.Duration
	for _, e := range o.events {
		if e.Kind == kind {
			out = append(out, e.At)
		}
	}
	return out
}

// script delivers notifications to a VNFM at scenario times.
type script struct {
	r     *rig
	m     *VNFM
	marks map[string]time.Duration
	seq   int
}

const profileReplyWindow = time.Minute

// maintenance delivers, at d, a notification of state naming every
// instance on nodes, due profileReplyWindow later.
func (s *script) maintenance(d time.Duration, state string, nodes ...string) orchestrator.Notification {
	s.seq++
	n := orchestrator.Notification{ID: fmt.Sprintf("n-%d", s.seq), NotificationType: orchestrator.TypeMaintenance,
		SessionID: "s-1", State: state, AffectedNodes: nodes}
	for _, v := range s.r.w.VNFs {
		for _, i := range v.Instances {
			if slices.Contains(nodes, i.VM.Host.ID) {
				n.AffectedInstances = append(n.AffectedInstances,
					orchestrator.AffectedInstance{InstanceID: i.VM.ID, VnfInstanceID: v.Name, NodeID: i.VM.Host.ID})
			}
		}
	}
	s.deliver(d, "maintenance "+strings.Join(nodes, ","), func() orchestrator.Notification {
		n.TimeStamp = s.r.loop.Now()
		by := n.TimeStamp.Add(profileReplyWindow)
		n.ReplyBy = &by
		return n
	})
	return n
}

func (s *script) available(d time.Duration, nodes ...string) {
	s.seq++
	n := orchestrator.Notification{ID: fmt.Sprintf("n-%d", s.seq), NotificationType: orchestrator.TypeNodeAvailable,
		SessionID: "s-1", AffectedNodes: nodes}
	s.deliver(d, "available "+strings.Join(nodes, ","), func() orchestrator.Notification { return n })
}

func (s *script) sessionEnd(d time.Duration) {
	s.seq++
	n := orchestrator.Notification{ID: fmt.Sprintf("n-%d", s.seq), NotificationType: orchestrator.TypeSessionStatus,
		SessionID: "s-1", SessionState: "MAINTENANCE_DONE"}
	s.deliver(d, "session end", func() orchestrator.Notification { return n })
}

func (s *script) deliver(d time.Duration, mark string, n func() orchestrator.Notification) {
	s.marks[mark] = d
	s.r.at(d, func() { s.m.Deliver(n()) })
}

// usual is the script most cases share: n1's maintenance at 10s, its
// "node available" at 2m, the session's end at 4m.
func usual(s *script) {
	s.maintenance(10*time.Second, orchestrator.StatePlannedMaintenance, "n1")
	s.available(2*time.Minute, "n1")
	s.sessionEnd(4 * time.Minute)
}

// runProfile runs a script against a VNFM with the given behaviour in the
// profile world and returns what happened.
func runProfile(t *testing.T, behavior string, extra func(*rig), play func(*script)) profileRun {
	t.Helper()
	r := newRig(t, Timings{}, 3)
	profileWorld(t, r)
	if extra != nil {
		extra(r)
	}
	out := profileRun{}
	m := NewVNFM(VNFMConfig{Name: "vnfm-1", Behavior: behavior, ReplyAfter: time.Second, LateBy: 10 * time.Second, RestoreTime: 5 * time.Second},
		r.loop, r.trace, r.w, func(rep orchestrator.Reply) error {
			out.replies = append(out.replies, timedReply{r.loop.Elapsed(), rep})
			return nil
		})
	s := &script{r: r, m: m, marks: map[string]time.Duration{}}
	play(s)
	require.NoError(t, r.loop.Run(context.Background(), 10*time.Minute))
	out.events, out.marks = r.trace.Events, s.marks
	return out
}

func actionOf(r orchestrator.Reply, instance string) string {
	for _, a := range r.InstanceActions {
		if a.InstanceID == instance {
			return a.Action
		}
	}
	return ""
}

// TestProfileHooks holds every maintenance profile to what its summary
// says, on the same script run twice: under the profile the case's check
// must see the misbehaviour, and under the reference it must not, so no
// check passes for a reason the profile has nothing to do with. Every
// maintenance profile in the registry needs a case here.
func TestProfileHooks(t *testing.T) {
	cases := map[string]struct {
		extra func(*rig)             // more of the world, beyond profileWorld
		play  func(*script)          // nil: usual
		shows func(profileRun) error // nil when the run shows the profile's misbehaviour
	}{
		BehaviorSilent: {shows: func(o profileRun) error {
			if len(o.replies) > 0 || o.count("vnfm.ignored", nil) != 1 || o.count("vnf.undrain", nil) > 0 {
				return fmt.Errorf("replies %d, ignored %d, undrains %d", len(o.replies), o.count("vnfm.ignored", nil), o.count("vnf.undrain", nil))
			}
			return nil
		}},
		BehaviorLate: {shows: func(o profileRun) error {
			due := o.marks["maintenance n1"] + profileReplyWindow
			if len(o.replies) != 1 || o.replies[0].at != due+10*time.Second || o.replies[0].rep.Reply != "ACK_PLANNED_MAINTENANCE" {
				return fmt.Errorf("replies %+v, due at %v", o.replies, due)
			}
			return nil
		}},
		BehaviorNack: {shows: func(o profileRun) error {
			if len(o.replies) != 1 || o.replies[0].rep.Reply != "NACK_PLANNED_MAINTENANCE" || o.replies[0].rep.Reason != "the VNFM refuses maintenance (behavior nack)" ||
				o.count("vnf.switchover", nil) > 0 {
				return fmt.Errorf("replies %+v", o.replies)
			}
			return nil
		}},
		BehaviorAckWithoutMove: {shows: func(o profileRun) error {
			if len(o.replies) != 1 || o.replies[0].rep.Reply != "ACK_PLANNED_MAINTENANCE" || len(o.replies[0].rep.InstanceActions) > 0 ||
				o.count("vnf.switchover", nil)+o.count("vnf.drain", nil) > 0 {
				return fmt.Errorf("replies %+v", o.replies)
			}
			return nil
		}},
		BehaviorMalformed: {shows: func(o profileRun) error {
			if len(o.replies) != 1 || o.replies[0].rep.Reply != "ACK" || o.count("vnf.switchover", nil) != 2 {
				return fmt.Errorf("replies %+v", o.replies)
			}
			return nil
		}},
		BehaviorDuplicate: {shows: func(o profileRun) error {
			if len(o.replies) != 2 || !reflect.DeepEqual(o.replies[0], o.replies[1]) {
				return fmt.Errorf("replies %+v", o.replies)
			}
			return nil
		}},
		BehaviorWrongState: {
			play: func(s *script) {
				s.maintenance(10*time.Second, orchestrator.StateScaleIn, "n1", "n2", "n3")
				s.maintenance(time.Minute, orchestrator.StatePlannedMaintenance, "n1")
			},
			shows: func(o profileRun) error {
				var words []string
				for _, r := range o.replies {
					words = append(words, r.rep.Reply)
				}
				if !slices.Equal(words, []string{"ACK_PLANNED_MAINTENANCE", "ACK_SCALE_IN"}) {
					return fmt.Errorf("replies %v", words)
				}
				return nil
			}},
		BehaviorNoSwitchover: {shows: func(o profileRun) error {
			if o.count("vnf.switchover", nil) > 0 || o.count("vnf.drain", nil) != 2 || len(o.replies) != 1 || o.replies[0].rep.Reply != "ACK_PLANNED_MAINTENANCE" {
				return fmt.Errorf("switch-overs %d, drains %d", o.count("vnf.switchover", nil), o.count("vnf.drain", nil))
			}
			return nil
		}},
		BehaviorNoDrain: {shows: func(o profileRun) error {
			if o.count("vnf.drain", nil) > 0 || o.count("vnf.switchover", nil) != 2 || len(o.replies) != 1 || o.replies[0].rep.Reply != "ACK_PLANNED_MAINTENANCE" {
				return fmt.Errorf("switch-overs %d, drains %d", o.count("vnf.switchover", nil), o.count("vnf.drain", nil))
			}
			return nil
		}},
		BehaviorMisreport: {shows: func(o profileRun) error {
			if len(o.replies) != 1 || actionOf(o.replies[0].rep, "web-1") != orchestrator.ActionSwitchedOver ||
				actionOf(o.replies[0].rep, "mme-1") != orchestrator.ActionSwitchedOver || o.count("vnf.drain", nil) != 2 {
				return fmt.Errorf("replies %+v", o.replies)
			}
			return nil
		}},
		BehaviorNoRestore: {shows: func(o profileRun) error {
			if o.count("vnf.drain", nil) != 2 || o.count("vnf.undrain", nil) > 0 {
				return fmt.Errorf("drains %d, undrains %d", o.count("vnf.drain", nil), o.count("vnf.undrain", nil))
			}
			return nil
		}},
		BehaviorFirstSwitch: {shows: func(o profileRun) error {
			if n := o.count("vnf.switchover", nil); n != 1 || o.count("vnf.drain", nil) != 2 {
				return fmt.Errorf("switch-overs %d of the 2 actives on n1", n)
			}
			return nil
		}},
		BehaviorFirstPool: {shows: func(o profileRun) error {
			web := o.count("vnf.drain", func(e escalator.Event) bool { return e.Subject == "web" })
			api := o.count("vnf.drain", func(e escalator.Event) bool { return e.Subject == "api" })
			if web != 1 || api != 0 || o.count("vnf.switchover", nil) != 2 {
				return fmt.Errorf("drains: web %d, api %d", web, api)
			}
			return nil
		}},
		BehaviorRestoresAtEnd: {shows: func(o profileRun) error {
			at := o.times("vnf.undrain")
			if len(at) == 0 || slices.Min(at) < o.marks["session end"] {
				return fmt.Errorf("undrains at %v; the session ends at %v", at, o.marks["session end"])
			}
			return nil
		}},
		BehaviorFirstNode: {
			play: func(s *script) { s.maintenance(10*time.Second, orchestrator.StatePlannedMaintenance, "n1", "n2") },
			shows: func(o profileRun) error {
				if len(o.replies) != 1 {
					return fmt.Errorf("replies %+v", o.replies)
				}
				var named []string
				for _, a := range o.replies[0].rep.InstanceActions {
					named = append(named, a.InstanceID)
				}
				if !slices.Contains(named, "web-1") || slices.Contains(named, "web-2") || slices.Contains(named, "mme-2") {
					return fmt.Errorf("the reply covers %v: n1's instances and not n2's", named)
				}
				return nil
			}},
		BehaviorLazyRestore: {
			play: func(s *script) {
				s.maintenance(10*time.Second, orchestrator.StatePlannedMaintenance, "n1")
				s.available(2*time.Minute, "n1")
				s.maintenance(3*time.Minute, orchestrator.StatePlannedMaintenance, "n3")
			},
			shows: func(o profileRun) error {
				at := o.times("vnf.undrain")
				if len(at) == 0 || slices.Min(at) < o.marks["maintenance n3"] {
					return fmt.Errorf("undrains at %v; the next maintenance arrives at %v", at, o.marks["maintenance n3"])
				}
				return nil
			}},
		BehaviorNackLeaves: {
			// db has one instance, on n1, and forbids live migration: the
			// maintenance of n1 must be refused.
			extra: func(r *rig) {
				require.NoError(t, r.w.AddVNF(VNFConfig{Name: "db", Mode: ModeActiveStandby, Load: 10, CapacityPerInstance: 100,
					ServiceTime: 50 * time.Millisecond, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second,
					Limits: &Limits{MigrationTypes: []string{"cold"}}}, "vnfm-1", 1, 2, 4, true, []string{"n1"}))
			},
			shows: func(o profileRun) error {
				if len(o.replies) != 1 || o.replies[0].rep.Reply != "NACK_PLANNED_MAINTENANCE" || o.count("vnf.switchover", nil) != 2 {
					return fmt.Errorf("replies %+v, switch-overs %d", o.replies, o.count("vnf.switchover", nil))
				}
				return nil
			}},
		BehaviorNotIdempotent: {
			play: func(s *script) {
				n := s.maintenance(10*time.Second, orchestrator.StatePlannedMaintenance, "n1")
				s.r.at(20*time.Second, func() {
					n.TimeStamp = s.r.loop.Now()
					by := n.TimeStamp.Add(profileReplyWindow)
					n.ReplyBy = &by
					s.m.Deliver(n)
				})
			},
			shows: func(o profileRun) error {
				if len(o.replies) != 2 || o.count("vnfm.duplicate", nil) > 0 {
					return fmt.Errorf("replies %d, duplicates %d", len(o.replies), o.count("vnfm.duplicate", nil))
				}
				return nil
			}},
		BehaviorIgnoresLimits: {
			play: func(s *script) { s.maintenance(10*time.Second, orchestrator.StateScaleIn, "n1", "n2", "n3") },
			shows: func(o profileRun) error {
				web := o.count("vnf.scaled", func(e escalator.Event) bool {
					p, ok, err := event.As[event.VNFScaled](e)
					return ok && err == nil && e.Subject == "web" && p.To == 2
				})
				if web != 1 {
					return fmt.Errorf("web (minPreserved 2, needs 1 of 3) scaled in to 2: %d times", web)
				}
				return nil
			}},
	}
	for _, p := range Profiles {
		if p.Layer != LayerMaintenance || p.Name == BehaviorReference {
			require.NotContains(t, cases, p.Name, "%s acts outside this package", p.Name)
			continue
		}
		c, ok := cases[p.Name]
		require.True(t, ok, "maintenance profile %s has no case in TestProfileHooks", p.Name)
		t.Run(p.Name, func(t *testing.T) {
			play := c.play
			if play == nil {
				play = usual
			}
			require.NoError(t, c.shows(runProfile(t, p.Name, c.extra, play)), "under %s", p.Name)
			require.Error(t, c.shows(runProfile(t, BehaviorReference, c.extra, play)), "the reference passes %s's check too: it tells nothing", p.Name)
		})
	}
}

// Override gives one notification another profile's hooks: the rest keep
// the configured behaviour's.
func TestOverrideTakesTheProfileForOneNotification(t *testing.T) {
	r := newRig(t, Timings{}, 3)
	profileWorld(t, r)
	var replies []orchestrator.Reply
	m := NewVNFM(VNFMConfig{Name: "vnfm-1", Behavior: BehaviorReference, ReplyAfter: time.Second}, r.loop, r.trace, r.w,
		func(rep orchestrator.Reply) error { replies = append(replies, rep); return nil })
	m.Override = func(n orchestrator.Notification) string {
		if n.ID == "n-1" {
			return BehaviorWrongState
		}
		return ""
	}
	s := &script{r: r, m: m, marks: map[string]time.Duration{}}
	s.maintenance(10*time.Second, orchestrator.StatePlannedMaintenance, "n1")
	s.maintenance(time.Minute, orchestrator.StatePlannedMaintenance, "n2")
	require.NoError(t, r.loop.Run(context.Background(), 5*time.Minute))
	require.Len(t, replies, 2)
	require.Equal(t, "ACK_SCALE_IN", replies[0].Reply)
	require.Equal(t, "ACK_PLANNED_MAINTENANCE", replies[1].Reply)
	faults := 0
	for _, e := range r.trace.Events {
		if p, ok, err := event.As[event.FaultVNFM](e); ok {
			require.NoError(t, err)
			faults++
			require.Equal(t, BehaviorWrongState, p.Behavior)
		}
	}
	require.Equal(t, 1, faults)
}

// A notification id seen under an old subscription counts as new after
// Resubscribed: a restarted VIM numbers its notifications from the same
// seed, and the VNFM must not take them for repeats. Without it, the
// repeat is dropped.
func TestResubscribedForgetsSeenNotifications(t *testing.T) {
	for _, resubscribe := range []bool{false, true} {
		o := runProfile(t, BehaviorReference, nil, func(s *script) {
			n := s.maintenance(10*time.Second, orchestrator.StatePlannedMaintenance, "n1")
			if resubscribe {
				s.r.at(15*time.Second, s.m.Resubscribed)
			}
			s.r.at(20*time.Second, func() {
				n.TimeStamp = s.r.loop.Now()
				by := n.TimeStamp.Add(profileReplyWindow)
				n.ReplyBy = &by
				s.m.Deliver(n)
			})
		})
		if resubscribe {
			require.Len(t, o.replies, 2, "the same id after a new subscription is a new notification")
			require.Zero(t, o.count("vnfm.duplicate", nil))
		} else {
			require.Len(t, o.replies, 1)
			require.Equal(t, 1, o.count("vnfm.duplicate", nil))
		}
	}
}
