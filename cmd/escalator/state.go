package main

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/sqlitestore"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
)

// `escalator vim --state FILE`: the run kept in a SQLite file
// (orchestrator/sqlitestore) so that a VIM killed mid-upgrade and started
// again on the same file carries on the same run. The file holds the
// Manager's sessions (its Store port), the run's trace, the VNFMs'
// subscriptions, and what the run was started from.

// Names of the documents the state file keeps beside the sessions.
const (
	stateRunDoc  = "run"
	stateSubsDoc = "subscriptions"
)

// stateRun is what a run was started from: a restart must be the same run.
type stateRun struct {
	Scenario string    `json:"scenario"`
	Seed     int64     `json:"seed"`
	Speed    float64   `json:"speed"`
	Origin   time.Time `json:"origin"`
	// Listen is where the VIM served: a restart serves there again, where
	// the VNFM, still running, calls it.
	Listen string `json:"listen"`
	// Concluded: the run ended and was judged; the file is done with.
	Concluded bool `json:"concluded,omitempty"`
}

// stateFile is an open state file and the trace not yet written to it.
type stateFile struct {
	st      *sqlitestore.Store
	run     stateRun
	fresh   bool // nothing on record: a new run
	events  []escalator.Event
	subs    []*vimhttp.Subscription
	pending []escalator.Event
	// subsErr is the last failure to write the subscriptions, reported
	// by the next flush.
	subsErr error
	// resumed is the Manager's unfinished session, once recovered.
	sessions []orchestrator.SessionRecord
}

// openState opens the state file of a run of s and reads what it holds.
// A file holding another scenario's run, or a run already concluded, is
// refused (EINVALID): it is never reset. speed is the run's --speed when
// one was given (else 0): a restart must keep the earlier run's.
func openState(path string, s *spec.Scenario, speed float64) (*stateFile, error) {
	st, err := sqlitestore.Open(path)
	if err != nil {
		return nil, err
	}
	f := &stateFile{st: st}
	fail := func(err error) (*stateFile, error) {
		_ = st.Close()
		return nil, err
	}
	found, err := st.Get(stateRunDoc, &f.run)
	if err != nil {
		return fail(err)
	}
	if !found {
		f.fresh = true
		f.run = stateRun{Scenario: s.Name, Seed: s.Seed, Speed: speed}
		return f, nil
	}
	switch {
	case f.run.Scenario != s.Name || f.run.Seed != s.Seed:
		return fail(escalator.Errorf(escalator.EINVALID, "state file %s holds a run of scenario %s (seed %d), not of %s (seed %d): name its scenario, or another file",
			path, f.run.Scenario, f.run.Seed, s.Name, s.Seed))
	case speed != 0 && f.run.Speed != speed:
		return fail(escalator.Errorf(escalator.EINVALID, "state file %s holds a run at --speed %g, not %g: its clock would not line up; start it at --speed %g",
			path, f.run.Speed, speed, f.run.Speed))
	case f.run.Concluded:
		return fail(escalator.Errorf(escalator.EINVALID, "state file %s holds a run that has ended and been judged; name another file for a new run", path))
	}
	if f.events, err = st.Events(); err != nil {
		return fail(err)
	}
	if _, err := st.Get(stateSubsDoc, &f.subs); err != nil {
		return fail(err)
	}
	if f.sessions, err = st.Load(); err != nil {
		return fail(err)
	}
	return f, nil
}

// resume is what the testbed needs to carry the run on; nil for a new run.
func (f *stateFile) resume() *scenarios.Resume {
	if f.fresh {
		return nil
	}
	return &scenarios.Resume{Events: f.events, Origin: f.run.Origin, Subscriptions: f.subs}
}

// unfinished reports whether a session on record has yet to end.
func (f *stateFile) unfinished() bool {
	return slices.ContainsFunc(f.sessions, func(r orchestrator.SessionRecord) bool { return !orchestrator.Terminal(r.Session.State) })
}

// attach follows the testbed's trace into the file: what the trace holds
// now and was not on record yet, then every event as it is recorded, each
// written with the Manager's next commit or the next flush. It writes the
// run's document on a new run. Call it before the loop runs.
func (f *stateFile) attach(tb *scenarios.Testbed) error {
	f.pending = slices.Clone(tb.Trace.Events[len(f.events):])
	tb.Watch(func(e escalator.Event) {
		f.pending = append(f.pending, e)
		switch e.Kind {
		case (event.SubscriptionCreated{}).Kind(), (event.SubscriptionDeleted{}).Kind(), (event.SubscriptionDropped{}).Kind():
			// Rare, and what a restart needs to reach the VNFM.
			f.saveSubs(tb)
		}
	})
	if f.fresh {
		f.run.Origin = tb.Origin()
		f.run.Listen = strings.TrimPrefix(tb.Options().APIRoot, "http://")
		if err := f.st.Put(stateRunDoc, f.run); err != nil {
			return err
		}
	}
	return f.flush()
}

func (f *stateFile) saveSubs(tb *scenarios.Testbed) {
	f.subsErr = f.st.Put(stateSubsDoc, tb.Store.All())
}

// flush writes the events not yet on record.
func (f *stateFile) flush() error {
	if err := f.subsErr; err != nil {
		f.subsErr = nil
		return err
	}
	if len(f.pending) == 0 {
		return nil
	}
	if err := f.st.AppendEvents(f.pending); err != nil {
		return err
	}
	f.pending = f.pending[:0]
	return nil
}

// Commit implements orchestrator.Store: the Manager's step and the events
// before it, in one transaction.
func (f *stateFile) Commit(c orchestrator.Commit) error {
	if err := f.st.CommitWith(c, f.pending); err != nil {
		return err
	}
	f.pending = f.pending[:0]
	return nil
}

// Load implements orchestrator.Store.
func (f *stateFile) Load() ([]orchestrator.SessionRecord, error) { return f.st.Load() }

// conclude marks the run judged, with the last of its trace.
func (f *stateFile) conclude() error {
	if err := f.flush(); err != nil {
		return err
	}
	f.run.Concluded = true
	return f.st.Put(stateRunDoc, f.run)
}

func (f *stateFile) Close() error { return f.st.Close() }

// durable makes each change asked of the VNF control API durable before
// it is answered: the VNFs live in this process, and a VNFM told that a
// switch-over or a drain was done must find it done after a restart, as
// it would in a cloud whose VNFs outlive the VIM. The change's events go
// to the file (on the loop) between the handler and the answer; a file
// that refuses them turns the answer into a 503, which the VNFM retries.
func (f *stateFile) durable(next http.Handler, loop *sim.Loop, base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || !strings.HasPrefix(r.URL.Path, base+"/") {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedResponse{h: http.Header{}}
		next.ServeHTTP(buf, r)
		var err error
		loop.Exec(func() { err = f.flush() })
		if err != nil {
			edge.WriteProblem(w, http.StatusServiceUnavailable, "the change could not be made durable: "+err.Error())
			return
		}
		buf.send(w)
	})
}

// bufferedResponse holds an answer until it may go.
type bufferedResponse struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.h }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedResponse) send(w http.ResponseWriter) {
	for k, v := range b.h {
		w.Header()[k] = v
	}
	if b.code == 0 {
		b.code = http.StatusOK
	}
	w.WriteHeader(b.code)
	_, _ = w.Write(b.body.Bytes())
}
