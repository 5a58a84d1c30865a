package scenarios

import "github.com/escalator-testbed/escalator"

// Watch calls fn with every event recorded from now on, on the loop, as it
// is recorded: a live view (the demo dashboard) follows the trace without
// reading it from another goroutine. The events already in Trace.Events
// are not replayed; read them before the loop runs.
func (tb *Testbed) Watch(fn func(escalator.Event)) {
	tb.emit.hooks = append(tb.emit.hooks, fn)
}

// Emit records an event from outside the testbed, through the same
// emitter as the world's own, so step triggers and watchers see it: the
// events of a VNFM running beside a real-time testbed, or a fault an
// operator injects by hand. Call it on the loop.
func (tb *Testbed) Emit(actor, kind, subject string, f escalator.Fields) {
	tb.emit.Emit(actor, kind, subject, f)
}
