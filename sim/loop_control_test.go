package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runReal runs a real-time loop on its own goroutine and returns a way to
// run code on it and a way to stop it.
func runReal(t *testing.T, l *Loop) (exec func(func()), stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx, 0) }()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return l.Exec, stop
}

// A paused clock stands still and fires no timer, yet work posted from
// another goroutine still runs; Resume carries on from the frozen instant.
func TestRealLoopPauseFreezesTheClock(t *testing.T) {
	l := NewRealLoop(1000) // a virtual second per wall millisecond
	fired := make(chan time.Duration, 1)
	exec, _ := runReal(t, l)
	var at time.Duration
	exec(func() {
		l.Pause()
		at = l.Elapsed()
		l.AfterFunc(time.Second, func() { fired <- l.Elapsed() })
	})
	// 50 ms of wall time would be 50 s of scenario time unpaused: the
	// one-second timer must not fire, and the clock must not move.
	select {
	case <-fired:
		t.Fatal("a timer fired while the loop was paused")
	case <-time.After(50 * time.Millisecond):
	}
	exec(func() {
		require.True(t, l.Paused())
		require.Equal(t, at, l.Elapsed(), "posted work runs at the frozen instant")
		l.Resume()
		require.False(t, l.Paused())
	})
	select {
	case got := <-fired:
		require.Equal(t, at+time.Second, got, "the timer fires a scenario second after it was set, pause excluded")
	case <-time.After(5 * time.Second):
		t.Fatal("the timer never fired after Resume")
	}
}

// SetSpeed changes the pace from now on without moving the clock.
func TestRealLoopSetSpeed(t *testing.T) {
	l := NewRealLoop(1)
	exec, _ := runReal(t, l)
	fired := make(chan struct{})
	var before time.Duration
	exec(func() {
		before = l.Elapsed()
		require.Equal(t, 1.0, l.Speed())
		l.SetSpeed(100000)
		require.Equal(t, 100000.0, l.Speed())
		require.InDelta(t, float64(before), float64(l.Elapsed()), float64(50*time.Millisecond), "changing the speed does not jump the clock")
		// An hour at speed 1 would outlast the test; at 100,000 it is 36 ms.
		l.AfterFunc(time.Hour, func() { close(fired) })
	})
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("the faster clock did not reach the timer")
	}
	exec(func() {
		l.SetSpeed(0) // ignored: a speed must be positive
		require.Equal(t, 100000.0, l.Speed())
	})
}

// A loop paused before it runs reads zero until Resume, however long it
// took to get going: a demo's clock starts when the upgrade does.
func TestRealLoopPausedBeforeRunStartsAtZero(t *testing.T) {
	// Made "a second ago" at speed 1000: unpaused, 1000 s would be due.
	l := newRealLoop(1000, time.Now().Add(-time.Second))
	l.Pause()
	fired := make(chan time.Duration, 1)
	l.AfterFunc(time.Second, func() { fired <- l.Elapsed() })
	exec, _ := runReal(t, l)
	exec(func() {
		require.Zero(t, l.Elapsed())
		l.Resume()
	})
	select {
	case got := <-fired:
		require.Equal(t, time.Second, got)
	case <-time.After(5 * time.Second):
		t.Fatal("the timer never fired after Resume")
	}
	exec(func() {
		require.Less(t, l.Elapsed(), 100*time.Second, "the clock started at Resume, not when the loop was made")
	})
}

// Pause, Resume and SetSpeed leave a virtual loop alone.
func TestVirtualLoopIgnoresPauseAndSpeed(t *testing.T) {
	l := NewVirtualLoop()
	l.Pause()
	require.False(t, l.Paused())
	l.SetSpeed(50)
	require.Equal(t, 1.0, l.Speed())
	ran := false
	l.AfterFunc(time.Hour, func() { ran = true })
	require.NoError(t, l.Run(context.Background(), 0))
	require.True(t, ran)
	l.Resume()
}
