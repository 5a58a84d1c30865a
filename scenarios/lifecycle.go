package scenarios

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
)

// A life is one run of the Upgrade Manager's process. When it ends (an
// orchestrator crash), everything that process would have done is dropped
// on the spot: the effects it had yet to ask for, the timers and callbacks
// meant for it, its trace lines and its store writes. Only what it had
// committed to its store, and what it had done to the world, remain; a new
// life starts a new Manager on the same store and world.
type life struct{ dead bool }

// guard drops fn if the life ended before it runs.
func (l *life) guard(fn func()) func() {
	return func() {
		if !l.dead {
			fn()
		}
	}
}

type lifeClock struct {
	g *gate
	l *life
}

func (c lifeClock) Now() time.Time { return c.g.loop.Now() }
func (c lifeClock) AfterFunc(d time.Duration, fn func()) func() {
	return c.g.loop.AfterFunc(d, c.g.hold(c.l.guard(fn)))
}

// lifeCloud and lifeSystem are the cloud (the simulated NFVI or a real
// one) as one life of the Manager reaches it: its effects are not asked
// for once the life has ended, and its completions wait while the VIM is
// down and die with the life.
type lifeCloud struct {
	orchestrator.CloudManager
	g *gate
	l *life
}

func (n lifeCloud) SetMaintenance(node string, on bool) error {
	if n.l.dead {
		return nil
	}
	return n.CloudManager.SetMaintenance(node, on)
}

func (n lifeCloud) Migrate(vm string, prefer []string, live bool, done orchestrator.MigrationDone) {
	if n.l.dead {
		return
	}
	n.CloudManager.Migrate(vm, prefer, live, func(to string, err error) { n.g.hold(n.l.guard(func() { done(to, err) }))() })
}

type lifeSystem struct {
	sys orchestrator.SystemSupport
	g   *gate
	l   *life
}

func (n lifeSystem) Upgrade(node, version string, done func(error)) {
	if n.l.dead {
		return
	}
	n.sys.Upgrade(node, version, func(err error) { n.g.hold(n.l.guard(func() { done(err) }))() })
}

func (n lifeSystem) Verify(node, version string, done func(error)) {
	if n.l.dead {
		return
	}
	n.sys.Verify(node, version, func(err error) { n.g.hold(n.l.guard(func() { done(err) }))() })
}

type lifeNotifier struct {
	n *vimhttp.Notifier
	l *life
}

func (n lifeNotifier) Notify(vnfm string, note orchestrator.Notification) {
	if !n.l.dead {
		n.n.Notify(vnfm, note)
	}
}

type lifeEmitter struct {
	em escalator.Emitter
	l  *life
}

func (e lifeEmitter) Emit(actor, kind, subject string, f escalator.Fields) {
	if !e.l.dead {
		e.em.Emit(actor, kind, subject, f)
	}
}

// lifeStore loses the writes of a dead life: the process died before
// they reached the disk.
type lifeStore struct {
	orchestrator.Store
	l *life
}

func (s lifeStore) Commit(c orchestrator.Commit) error {
	if s.l.dead {
		return nil
	}
	return s.Store.Commit(c)
}

// startManager begins a life: a new Manager (and its notifier, whose
// queues and retries are the process's too) on the testbed's store.
func (tb *Testbed) startManager() *orchestrator.Manager {
	l := &life{}
	tb.life = l
	clock := lifeClock{tb.gate, l}
	n := *tb.notifierProto
	n.Clock = clock
	// The notifier's deliveries in flight are the process's too: their
	// answers die with it.
	for _, c := range []**edge.Caller{&n.Caller, &n.TokenCaller} {
		if *c != nil {
			cc := **c
			post := cc.Post
			cc.Post = func(fn func()) { post(l.guard(fn)) }
			*c = &cc
		}
	}
	notifier := &n
	tb.notifier = notifier
	ports := orchestrator.Ports{Clock: clock, Cloud: lifeCloud{tb.cloud, tb.gate, l}, System: lifeSystem{tb.system, tb.gate, l},
		Notify: lifeNotifier{notifier, l}}
	if tb.stateStore != nil {
		ports.Store = lifeStore{tb.stateStore, l}
	}
	m := orchestrator.New(ports, lifeEmitter{tb.emit, l}, tb.newID)
	notifier.OnDone = func(id string) {
		if !l.dead {
			m.Delivered(id)
		}
	}
	for _, fn := range tb.onEnd {
		m.OnEnd(fn)
	}
	tb.Manager = m
	tb.vimServer.Manager = m
	return m
}

// OnEnd registers fn for the end of the upgrade session, whichever life
// of the Manager ends it.
func (tb *Testbed) OnEnd(fn func(orchestrator.SessionStatus)) {
	tb.onEnd = append(tb.onEnd, fn)
	tb.Manager.OnEnd(fn)
}

// CrashOrchestrator kills the Manager's process now, in the middle of
// whatever it is doing, and starts a new one after restartAfter. Until
// then the VIM API answers 503; the NFVI, the VNFs and the VNFM go on.
func (tb *Testbed) CrashOrchestrator(restartAfter time.Duration, record func()) {
	var last *orchestrator.SessionStatus
	if all := tb.Manager.Sessions(); len(all) > 0 {
		last = &all[len(all)-1]
	}
	tb.life.dead = true
	tb.gate.down = true
	record()
	tb.Loop.AfterFunc(restartAfter, func() {
		event.Emit(tb.emit, "fault", "orchestrator", event.FaultCleared{Fault: "orchestrator-crash"})
		tb.gate.up()
		m := tb.startManager()
		resumed, err := m.Recover()
		if err != nil {
			tb.recoverErr = err
			tb.Loop.Stop()
			return
		}
		if len(resumed) == 0 && last != nil && !orchestrator.Terminal(last.State) {
			// The new process knows nothing of the session: nobody will
			// finish it. The run ends as the session was last seen.
			lost := *last
			lost.Reason = fmt.Sprintf("the orchestrator restarted without the session (it was %s): nodes left as they were", last.State)
			for _, fn := range tb.onEnd {
				fn(lost)
			}
		}
	})
}

// RecoverErr is the error with which a restarted Manager refused its
// store, if it did.
func (tb *Testbed) RecoverErr() error { return tb.recoverErr }

// aliveResponse buffers a VIM API response, so that a request whose
// process died while serving it gets the 503 a dead process's client sees
// (a reset connection, retried), not the answer it never sent.
type aliveResponse struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (r *aliveResponse) Header() http.Header         { return r.h }
func (r *aliveResponse) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *aliveResponse) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *aliveResponse) send(w http.ResponseWriter) {
	for k, v := range r.h {
		w.Header()[k] = v
	}
	if r.code == 0 {
		r.code = http.StatusOK
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}
