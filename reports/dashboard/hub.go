package dashboard

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/escalator-testbed/escalator"
)

// Run states, as the page shows them.
const (
	StateReady   = "ready"   // built, the upgrade not started
	StateRunning = "running" // the clock runs
	StatePaused  = "paused"  // the clock stands still
	StateEnded   = "ended"   // judged; restart to run again
)

// RunInfo is what the page shows about the current run.
type RunInfo struct {
	// ID changes at every (re)start: a browser whose trace belongs to
	// another run starts over.
	ID          string  `json:"id"`
	Scenario    string  `json:"scenario"`
	Description string  `json:"description,omitempty"`
	Seed        int64   `json:"seed"`
	Flow        string  `json:"flow"`
	Target      string  `json:"target"`
	State       string  `json:"state"`
	Speed       float64 `json:"speed"`
	// Verdict, Outcome and Summary say how an ended run was judged.
	Verdict string `json:"verdict,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Summary string `json:"summary,omitempty"`
	// Error is set when the run could not start.
	Error string `json:"error,omitempty"`
}

// entry is one recorded event, encoded once for every browser.
type entry struct {
	seq  int64
	data []byte
}

// Hub holds the current run for the pages watching it: its info, its
// trace as annotated items, and the latest snapshot of its world. The
// run's loop records into it; each page's event stream reads from it and
// sleeps until it changes. It is safe for concurrent use.
type Hub struct {
	mu      sync.Mutex
	info    RunInfo
	stepper Stepper
	entries []entry
	snap    []byte
	changed chan struct{}
	closed  bool
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{changed: make(chan struct{})} }

// wake tells every waiting stream that something changed. Hold mu.
func (h *Hub) wake() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Begin starts a new run: its info, and the events it recorded before
// the hub could watch it (a testbed records its nodes and VMs as it is
// built).
func (h *Hub) Begin(info RunInfo, past []escalator.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.info = info
	h.stepper = Stepper{Flow: info.Flow}
	h.entries = nil
	h.snap = nil
	for _, e := range past {
		h.record(e)
	}
	h.wake()
}

// Record adds one event of the current run. The run's loop calls it as
// the event is recorded, so encoding it here, once, also means no other
// goroutine ever reads the event's fields.
func (h *Hub) Record(e escalator.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.record(e)
	h.wake()
}

func (h *Hub) record(e escalator.Event) {
	it := h.stepper.Annotate(e)
	data, err := json.Marshal(it)
	if err != nil {
		// A field that cannot be encoded loses its details, not its place.
		it.Fields = nil
		data, _ = json.Marshal(it)
	}
	h.entries = append(h.entries, entry{e.Seq, data})
}

// Update changes the run's info.
func (h *Hub) Update(fn func(*RunInfo)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(&h.info)
	h.wake()
}

// Info returns the run's info.
func (h *Hub) Info() RunInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.info
}

// SetSnapshot replaces the world's snapshot; pages hear of it only when
// it differs from the last one.
func (h *Hub) SetSnapshot(s Snapshot) {
	data, err := json.Marshal(s)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if slices.Equal(data, h.snap) {
		return
	}
	h.snap = data
	h.wake()
}

// Close ends every event stream, for a server shutting down.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		h.wake()
	}
}

// view is what one stream needs at one moment.
type view struct {
	info    RunInfo
	items   []entry // the events after the asked sequence number
	snap    []byte
	changed <-chan struct{}
	closed  bool
}

// view reads the events after seq (every event when run is not the
// current run's ID).
func (h *Hub) view(run string, after int64) view {
	h.mu.Lock()
	defer h.mu.Unlock()
	if run != h.info.ID {
		after = 0
	}
	i, _ := slices.BinarySearchFunc(h.entries, after, func(e entry, seq int64) int {
		switch {
		case e.seq < seq:
			return -1
		case e.seq > seq:
			return 1
		}
		return 0
	})
	if i < len(h.entries) && h.entries[i].seq == after {
		i++
	}
	// The entries are never changed once appended, only replaced by a
	// new slice at Begin, so the stream may read them after the lock.
	return view{info: h.info, items: h.entries[i:len(h.entries):len(h.entries)], snap: h.snap, changed: h.changed, closed: h.closed}
}

// Len is how many events the current run recorded.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.entries)
}
