package sqlitestore

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator/storetest"
)

func events(from, to int64) []escalator.Event {
	var out []escalator.Event
	for seq := from; seq <= to; seq++ {
		out = append(out, escalator.Event{Seq: seq, At: time.Duration(seq) * time.Second, Actor: "nfvi", Kind: "node.state",
			Subject: "node-a", Fields: escalator.Fields{"from": "normal", "to": "maintenance"}})
	}
	return out
}

func TestTraceAndDocuments(t *testing.T) {
	s, path := openTemp(t)
	got, err := s.Events()
	require.NoError(t, err)
	require.Empty(t, got)

	require.NoError(t, s.AppendEvents(events(1, 3)))
	require.NoError(t, s.CommitWith(first("s1"), events(4, 5)))
	err = s.AppendEvents(events(7, 8))
	require.Error(t, err, "a gap")
	require.Contains(t, err.Error(), "does not follow event 5")
	require.Error(t, s.AppendEvents(events(5, 6)), "a repeat")

	// A commit that fails leaves its events out too, and the other way.
	require.Error(t, s.CommitWith(storetest.Typical("nobody", 2), events(6, 6)))
	require.Error(t, s.CommitWith(storetest.Typical("s1", 2), events(7, 7)))
	recs := load(t, s)
	require.Len(t, recs[0].Notes, 1)
	got, err = s.Events()
	require.NoError(t, err)
	require.Equal(t, events(1, 5), got)

	type doc struct{ Scenario string }
	var d doc
	found, err := s.Get("run", &d)
	require.NoError(t, err)
	require.False(t, found)
	require.NoError(t, s.Put("run", doc{"e2e-f1"}))
	require.NoError(t, s.Put("run", doc{"e2e-f2"}))
	found, err = s.Get("run", &d)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "e2e-f2", d.Scenario)
	require.NoError(t, s.Close())

	s2, err := Open(path)
	require.NoError(t, err)
	defer s2.Close()
	got, err = s2.Events()
	require.NoError(t, err)
	require.Equal(t, events(1, 5), got, "the trace outlives the process")
	found, err = s2.Get("run", &d)
	require.NoError(t, err)
	require.True(t, found)
}

func TestTraceFailsMidway(t *testing.T) {
	s, _ := openTemp(t)
	boom := errors.New("injected")
	failAt = func(at string) error {
		if at == "notes" {
			return boom
		}
		return nil
	}
	t.Cleanup(func() { failAt = nil })
	require.ErrorIs(t, s.CommitWith(first("s1"), events(1, 4)), boom)
	got, err := s.Events()
	require.NoError(t, err)
	require.Empty(t, got, "the events went with the failed commit")
	require.Empty(t, load(t, s))
}
