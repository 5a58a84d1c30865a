// Package eventtest reads typed events back in tests: one event as the
// payload a test expects, failing the test (or panicking, where no test is
// at hand) when the event does not fit.
package eventtest

import (
	"testing"

	"github.com/stretchr/testify/require"

	escalator "github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// As reads e as the payload T, failing the test when e is another kind or
// its fields do not fit T.
func As[T event.Payload](t testing.TB, e escalator.Event) T {
	t.Helper()
	p, ok, err := event.As[T](e)
	require.True(t, ok, "%s is not a %s event", e, p.Kind())
	require.NoError(t, err)
	return p
}

// Payload reads e as the payload T; ok is false when e is another kind. A
// field that does not fit T is a producer's bug: it panics.
func Payload[T event.Payload](e escalator.Event) (p T, ok bool) {
	p, ok, err := event.As[T](e)
	if err != nil {
		panic(err)
	}
	return p, ok
}
