package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// T0 is the time the sample records start at: UTC with nanoseconds, so a
// store that rounds or moves times fails.
var T0 = time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.UTC)

// Spec is the first commit of a session over nodes: its spec and a
// running header.
func Spec(id string, nodes ...string) orchestrator.Commit {
	return orchestrator.Commit{
		ID: id,
		Spec: &orchestrator.SessionSpec{
			ID: id,
			Config: orchestrator.Config{
				Flow: orchestrator.FlowF1, TargetVersion: "2.0", MaxParallel: 2,
				ReplyTimeout: time.Minute, UpgradeTimeout: 15 * time.Minute, Rollback: true,
				GroupLimits:   map[string]int{"mme": 1},
				GroupLeadTime: map[string]time.Duration{"mme": 30 * time.Second},
			},
			Order:   nodes,
			Created: T0,
		},
		Session: orchestrator.SessionHeader{State: orchestrator.SessionRunning},
	}
}

// Typical is the i-th step of a session in the middle of a batch: a new
// header, two node rows (nodes[0] and nodes[1] when given, else node-a and
// node-b) and one notification with a fresh id; the commit the benchmarks
// time.
func Typical(id string, i int, nodes ...string) orchestrator.Commit {
	if len(nodes) < 2 {
		nodes = []string{"node-a", "node-b"}
	}
	at := T0.Add(time.Duration(i) * time.Second)
	replyBy := at.Add(time.Minute)
	note := fmt.Sprintf("%s-note-%d", id, i)
	node := func(n string) orchestrator.NodeRecord {
		return orchestrator.NodeRecord{
			NodeStatus: orchestrator.NodeStatus{Node: n, Status: orchestrator.StatusMaintenance, FromVersion: "1.0", ToVersion: "2.0"},
			Original:   "1.0", Step: "upgrade", Since: at, Seq: i,
		}
	}
	return orchestrator.Commit{
		ID: id,
		Session: orchestrator.SessionHeader{
			State: orchestrator.SessionRunning, VNFMs: []string{"vnfm-1"}, Upgrades: i,
			ImpactEnd: map[string]time.Time{"mme": at},
			Batch: &orchestrator.BatchRecord{
				Gen: 1, Size: 2, State: orchestrator.StatePlannedMaintenance, Notified: at,
				Phase: "notified", Started: true,
				Pending: map[string]string{"vnfm-1": note},
				Notes:   map[string]string{note: "vnfm-1"},
			},
		},
		Nodes: []orchestrator.NodeRecord{node(nodes[0]), node(nodes[1])},
		Notes: []orchestrator.Notification{{
			ID: note, NotificationType: orchestrator.TypeMaintenance, TimeStamp: at, SessionID: id,
			State: orchestrator.StatePlannedMaintenance, AffectedNodes: nodes[:2],
			AffectedInstances: []orchestrator.AffectedInstance{
				{InstanceID: "vm-1", VnfInstanceID: "mme", NodeID: nodes[0]},
				{InstanceID: "vm-2", VnfInstanceID: "web", NodeID: nodes[1]},
			},
			AllowedActions: []string{orchestrator.ActionSwitchedOver, orchestrator.ActionMigrate},
			ReplyBy:        &replyBy, TargetVersion: "2.0",
		}},
	}
}

// Answer is a commit of one accepted reply to note, with a header.
func Answer(id, note string, state string) orchestrator.Commit {
	return orchestrator.Commit{
		ID:      id,
		Session: orchestrator.SessionHeader{State: state},
		Replies: []orchestrator.Reply{{
			SessionID: id, NotificationID: note, VnfmID: "vnfm-1", Reply: "ACK_PLANNED_MAINTENANCE",
			InstanceActions: []orchestrator.InstanceAction{{InstanceID: "vm-1", Action: orchestrator.ActionSwitchedOver}},
		}},
	}
}

// row is a node row with a status.
func row(node, status string) orchestrator.NodeRecord {
	return orchestrator.NodeRecord{NodeStatus: orchestrator.NodeStatus{Node: node, Status: status, FromVersion: "1.0", ToVersion: "2.0"}, Original: "1.0"}
}

type step struct {
	c orchestrator.Commit
	// fails: the store must refuse this commit and keep nothing of it.
	fails bool
}

func ok(cs ...orchestrator.Commit) []step {
	out := make([]step, len(cs))
	for i, c := range cs {
		out[i] = step{c: c}
	}
	return out
}

// Run runs the conformance suite; open returns an empty store, closed by
// the test's cleanup if it needs closing.
func Run(t *testing.T, open func(t *testing.T) orchestrator.Store) {
	withNodes := func(c orchestrator.Commit, rows ...orchestrator.NodeRecord) orchestrator.Commit {
		c.Nodes = rows
		return c
	}
	running := orchestrator.SessionHeader{State: orchestrator.SessionRunning}
	cases := []struct {
		name  string
		steps []step
		check func(t *testing.T, got []orchestrator.SessionRecord)
	}{
		{
			name: "empty",
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Empty(t, got)
			},
		},
		{
			name:  "a first commit without a spec is refused",
			steps: []step{{c: Typical("s1", 1), fails: true}},
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Empty(t, got)
			},
		},
		{
			name: "spec, header, nodes, notes and replies come back as written",
			steps: ok(Spec("s1", "node-a", "node-b"), Typical("s1", 1),
				Answer("s1", "s1-note-1", orchestrator.SessionRunning)),
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Len(t, got, 1)
				r := got[0]
				want := Spec("s1", "node-a", "node-b").Spec
				require.Equal(t, *want, r.Spec)
				require.True(t, r.Spec.Created.Equal(T0) && r.Spec.Created.Nanosecond() == T0.Nanosecond(), "times keep their nanoseconds")
				require.Equal(t, running, r.Session, "the last header wins")
				typical := Typical("s1", 1)
				require.Equal(t, typical.Nodes, r.Nodes)
				require.Len(t, r.Notes, 1)
				require.Equal(t, typical.Notes[0].ID, r.Notes[0].ID)
				require.True(t, typical.Notes[0].ReplyBy.Equal(*r.Notes[0].ReplyBy))
				require.Equal(t, Answer("s1", "s1-note-1", "").Replies, r.Replies)
			},
		},
		{
			name: "node rows: first-written order, last row wins",
			steps: ok(
				Spec("s1", "n1", "n2", "n3"),
				withNodes(orchestrator.Commit{ID: "s1", Session: running}, row("n3", orchestrator.StatusMaintenance), row("n1", orchestrator.StatusMaintenance)),
				withNodes(orchestrator.Commit{ID: "s1", Session: running}, row("n2", orchestrator.StatusPending), row("n3", orchestrator.StatusUpgrading)),
				withNodes(orchestrator.Commit{ID: "s1", Session: running}, row("n3", orchestrator.StatusDone)),
			),
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Len(t, got, 1)
				var order, status []string
				for _, n := range got[0].Nodes {
					order = append(order, n.Node)
					status = append(status, n.Status)
				}
				require.Equal(t, []string{"n3", "n1", "n2"}, order)
				require.Equal(t, []string{orchestrator.StatusDone, orchestrator.StatusMaintenance, orchestrator.StatusPending}, status)
			},
		},
		{
			name: "notes and replies accumulate in commit order",
			steps: ok(Spec("s1", "node-a", "node-b"), Typical("s1", 1), Typical("s1", 2),
				Answer("s1", "s1-note-2", orchestrator.SessionRunning), Typical("s1", 3), Answer("s1", "s1-note-1", orchestrator.SessionRunning)),
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Len(t, got, 1)
				var notes, replies []string
				for _, n := range got[0].Notes {
					notes = append(notes, n.ID)
				}
				for _, r := range got[0].Replies {
					replies = append(replies, r.NotificationID)
				}
				require.Equal(t, []string{"s1-note-1", "s1-note-2", "s1-note-3"}, notes)
				require.Equal(t, []string{"s1-note-2", "s1-note-1"}, replies)
			},
		},
		{
			name: "a notification committed twice is kept twice",
			steps: ok(Spec("s1", "node-a", "node-b"), Typical("s1", 1), func() orchestrator.Commit {
				c := Typical("s1", 1)
				c.Nodes = nil
				return c
			}()),
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Len(t, got[0].Notes, 2)
			},
		},
		{
			name: "sessions in creation order, their rows apart",
			steps: ok(Spec("b", "node-a", "node-b"), Spec("a", "node-a", "node-b"), Typical("a", 1), Typical("b", 2),
				func() orchestrator.Commit {
					c := Typical("a", 3)
					c.Session.State = orchestrator.SessionCompleted
					return c
				}()),
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Len(t, got, 2)
				require.Equal(t, "b", got[0].Spec.ID)
				require.Equal(t, "a", got[1].Spec.ID)
				require.Equal(t, orchestrator.SessionRunning, got[0].Session.State)
				require.Equal(t, orchestrator.SessionCompleted, got[1].Session.State)
				require.Len(t, got[0].Notes, 1)
				require.Len(t, got[1].Notes, 2)
				require.Equal(t, 2, got[0].Nodes[0].Seq)
				require.Equal(t, 3, got[1].Nodes[0].Seq)
			},
		},
		{
			name: "a commit to an unknown session without its spec is refused and leaves nothing",
			steps: []step{
				{c: Spec("s1", "node-a", "node-b")},
				{c: Typical("s2", 1), fails: true},
				{c: Typical("s1", 2)},
			},
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Len(t, got, 1)
				require.Equal(t, "s1", got[0].Spec.ID)
				require.Len(t, got[0].Notes, 1)
			},
		},
		{
			name:  "the header written whole: a field cleared stays cleared",
			steps: ok(Spec("s1", "node-a", "node-b"), Typical("s1", 1), orchestrator.Commit{ID: "s1", Session: orchestrator.SessionHeader{State: orchestrator.SessionPaused, Paused: true}}),
			check: func(t *testing.T, got []orchestrator.SessionRecord) {
				require.Equal(t, orchestrator.SessionHeader{State: orchestrator.SessionPaused, Paused: true}, got[0].Session)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			ref := orchestrator.NewMemoryStore()
			for i, st := range tc.steps {
				err := s.Commit(st.c)
				refErr := ref.Commit(st.c)
				if st.fails {
					require.Error(t, err, "step %d", i)
					require.Error(t, refErr, "step %d: the memory store", i)
					require.Equal(t, escalator.ErrorCode(refErr), escalator.ErrorCode(err), "step %d: the code of the error", i)
					continue
				}
				require.NoError(t, err, "step %d", i)
				require.NoError(t, refErr, "step %d: the memory store", i)
			}
			got, err := s.Load()
			require.NoError(t, err)
			want, err := ref.Load()
			require.NoError(t, err)
			require.Equal(t, want, got, "what the memory store gives back for the same commits")
			tc.check(t, got)
		})
	}

	t.Run("a commit's slices are not kept", func(t *testing.T) {
		s := open(t)
		c := Typical("s1", 1)
		c.Spec = Spec("s1", "node-a", "node-b").Spec
		require.NoError(t, s.Commit(c))
		before, err := s.Load()
		require.NoError(t, err)
		c.Nodes[0].Status = "scribbled"
		c.Notes[0].ID = "scribbled"
		c.Spec.Order[0] = "scribbled"
		c.Session.Batch.Notes[c.Notes[0].ID] = "scribbled"
		after, err := s.Load()
		require.NoError(t, err)
		require.Equal(t, before, after)
		after[0].Nodes[0].Status = "scribbled too"
		again, err := s.Load()
		require.NoError(t, err)
		require.Equal(t, before, again, "a loaded record is the caller's")
	})

	t.Run("random commits agree with the memory store", func(t *testing.T) {
		s := open(t)
		ref := orchestrator.NewMemoryStore()
		rng := rand.New(rand.NewPCG(14, 14))
		nodes := []string{"n1", "n2", "n3", "n4", "n5"}
		var sessions []string
		for i := range 300 {
			var c orchestrator.Commit
			if len(sessions) == 0 || rng.IntN(20) == 0 {
				id := fmt.Sprintf("s%d", len(sessions))
				sessions = append(sessions, id)
				c = Spec(id, nodes...)
			} else {
				id := sessions[rng.IntN(len(sessions))]
				a, b := nodes[rng.IntN(len(nodes))], nodes[rng.IntN(len(nodes))]
				c = Typical(id, i, a, b)
				if rng.IntN(2) == 0 {
					c.Notes = nil
				}
				if rng.IntN(3) == 0 {
					c.Replies = Answer(id, fmt.Sprintf("%s-note-%d", id, i-1), "").Replies
				}
				c.Nodes = c.Nodes[:rng.IntN(3)]
			}
			require.NoError(t, s.Commit(c), "commit %d", i)
			require.NoError(t, ref.Commit(c), "commit %d", i)
		}
		got, err := s.Load()
		require.NoError(t, err)
		want, err := ref.Load()
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Len(t, got, len(sessions))
	})
}
