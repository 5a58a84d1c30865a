package escalator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Fields carries an event's details. encoding/json sorts map keys, which is
// what keeps a written trace byte-identical from run to run.
type Fields map[string]any

// Event is one state change or message. Checks read only events; reports
// render only events; the run history stores them.
type Event struct {
	Seq     int64         // position in the trace, from 1
	At      time.Duration // time since the scenario started (virtual or scaled real)
	Actor   string        // who acted: orchestrator, nfvi, vnfm, vnf, traffic, fault, harness
	Kind    string        // what happened, dotted: node.state, vnfm.notify, ... (docs/ARCHITECTURE.md)
	Subject string        // what it happened to: a node, VM, VNF or session id
	Fields  Fields
}

type wireEvent struct {
	Seq     int64  `json:"seq"`
	T       string `json:"t"`
	Actor   string `json:"actor"`
	Kind    string `json:"kind"`
	Subject string `json:"subject,omitempty"`
	Fields  Fields `json:"fields,omitempty"`
}

// MarshalJSON writes the time as a Go duration string ("1m30.5s") so a
// trace reads well in a terminal and still parses back exactly.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireEvent{e.Seq, e.At.String(), e.Actor, e.Kind, e.Subject, e.Fields})
}

func (e *Event) UnmarshalJSON(b []byte) error {
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	at, err := time.ParseDuration(w.T)
	if err != nil {
		return fmt.Errorf("event %d: bad time %q: %w", w.Seq, w.T, err)
	}
	*e = Event{w.Seq, at, w.Actor, w.Kind, w.Subject, w.Fields}
	return nil
}

// Str returns a field as a string ("" when absent or not a string).
func (e Event) Str(key string) string {
	s, _ := e.Fields[key].(string)
	return s
}

// Num returns a numeric field as float64 (0 when absent), whatever numeric
// type it was recorded with.
func (e Event) Num(key string) float64 {
	switch v := e.Fields[key].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case time.Duration:
		return float64(v)
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return 0
}

// Strs returns a list field as strings.
func (e Event) Strs(key string) []string {
	switch v := e.Fields[key].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// String renders an event on one line for terminal excerpts.
func (e Event) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "#%d %s %s %s", e.Seq, fmtOffset(e.At), e.Actor, e.Kind)
	if e.Subject != "" {
		fmt.Fprintf(&b, " %s", e.Subject)
	}
	if len(e.Fields) > 0 {
		f, _ := json.Marshal(e.Fields)
		b.WriteByte(' ')
		b.Write(f)
	}
	return b.String()
}

func fmtOffset(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// Emitter is where events go. The orchestrator, the simulated world and the
// VNFM all emit through it; none of them owns the trace.
type Emitter interface {
	Emit(actor, kind, subject string, f Fields)
}

// Trace records events in order, stamping each with the time its clock
// gives, and hands each to its sinks as it is emitted. It is not safe for
// concurrent use: one event loop owns it.
//
// By default it also keeps every event in Events, which is what a report
// of the whole trace (HTML, the run history) needs. A run that needs only
// its sinks calls Discard first, so its memory stays the size of its world
// rather than growing with everything it ever emitted: at 10,000 nodes a
// trace is 2.4 million events, about 1 KB each in memory.
type Trace struct {
	Events  []Event
	now     func() time.Duration
	n       int64
	last    Event
	sinks   []func(Event)
	discard bool
}

// NewTrace returns an empty trace stamped by now.
func NewTrace(now func() time.Duration) *Trace { return &Trace{now: now} }

// Sink adds fn, which sees every event emitted from now on, in order, as it
// is emitted. A sink must not emit: an event emitted from inside a sink
// would reach the later sinks before the one being handed out.
func (t *Trace) Sink(fn func(Event)) { t.sinks = append(t.sinks, fn) }

// Discard stops the trace from keeping events in Events; only the sinks
// see them from now on.
func (t *Trace) Discard() { t.discard = true }

// Len is the number of events emitted so far, kept or not.
func (t *Trace) Len() int64 { return t.n }

// Continue puts an earlier run's events at the head of the trace, as if
// they had just been emitted: the sinks see them in order (a judge then
// judges the whole run), and the trace numbers its own events after them.
func (t *Trace) Continue(events []Event) {
	for _, e := range events {
		t.n, t.last = e.Seq, e
		if !t.discard {
			t.Events = append(t.Events, e)
		}
		for _, fn := range t.sinks {
			fn(e)
		}
	}
}

// Last is the event emitted last (the zero Event before any).
func (t *Trace) Last() Event { return t.last }

func (t *Trace) Emit(actor, kind, subject string, f Fields) {
	t.n++
	e := Event{Seq: t.n, At: t.now(), Actor: actor, Kind: kind, Subject: subject, Fields: f}
	t.last = e
	if !t.discard {
		t.Events = append(t.Events, e)
	}
	for _, fn := range t.sinks {
		fn(e)
	}
}

// NDJSONWriter writes events as NDJSON as they come: a trace sink that
// puts the trace on disk without holding it. Close flushes it and returns
// the first error met.
type NDJSONWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
	err error
}

// NewNDJSONWriter writes to w, buffered.
func NewNDJSONWriter(w io.Writer) *NDJSONWriter {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &NDJSONWriter{bw: bw, enc: enc}
}

// Write writes one event; after an error it does nothing.
func (w *NDJSONWriter) Write(e Event) {
	if w.err == nil {
		w.err = w.enc.Encode(e)
	}
}

// Close flushes what is buffered.
func (w *NDJSONWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	return w.bw.Flush()
}

// WriteNDJSON writes one JSON event per line.
func WriteNDJSON(w io.Writer, events []Event) error {
	nw := NewNDJSONWriter(w)
	for _, e := range events {
		nw.Write(e)
	}
	return nw.Close()
}

// ReadNDJSON parses a trace written by WriteNDJSON.
func ReadNDJSON(r io.Reader) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, Errorf(EINVALID, "trace line %d: %v", line, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
