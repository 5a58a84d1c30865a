package scenarios

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
)

//go:embed conformance/*.yaml
var catalogue embed.FS

// Catalogue loads the bundled conformance cases (scenarios/conformance),
// compiled into the binary so a vendor needs nothing but escalator.
func Catalogue() ([]*spec.Scenario, error) {
	names, err := fs.Glob(catalogue, "conformance/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*spec.Scenario
	for _, n := range names {
		data, err := catalogue.ReadFile(n)
		if err != nil {
			return nil, err
		}
		s, err := load.Bytes(path.Join("scenarios", n), data)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *spec.Scenario) int { return strings.Compare(a.Conformance.ID, b.Conformance.ID) })
	return out, nil
}

// ConformOptions configure a conformance run against an external VNFM.
type ConformOptions struct {
	// Handler is set by Conform: serve it on the listener whose URL is
	// APIRoot. It serves the VIM maintenance and VNF control APIs of the
	// case under way.
	APIRoot string
	// VNFM is the vnfmId the VNFM under test subscribes with; the cases'
	// VNFs are given to it.
	VNFM string
	// ProbeTarget is the VNFM's notification endpoint, for the probes;
	// empty: the callbackUri of its subscription.
	ProbeTarget string
	// Auth is what the VIM API demands of the VNFM.
	Auth edge.Credential
	// Speed divides every duration of the simulated world (upgrades,
	// migrations, switch-over gaps, ...), but not what the VNFM must do
	// itself in real time: reply deadlines, lead and recovery times.
	Speed float64
	// ReplyTimeout, when set, replaces every case's reply deadlines.
	ReplyTimeout time.Duration
	// Wait bounds the wait for the VNFM's subscription (wall time).
	Wait time.Duration
	// Settle is the wall time given after a session ends for the VNFM to
	// restore what it moved, before the books close.
	Settle time.Duration
	// CaseLimit bounds one case (wall time).
	CaseLimit time.Duration
	// Nonce is mixed into every case's seed so that notification and
	// instance ids never repeat across cases or runs (a VNFM remembers
	// the ids it handled); 0 draws one.
	Nonce int64
	// OnCase, when set, hears each result as it comes.
	OnCase func(r *judge.Result, wall time.Duration)
}

// NoSubscriptionError is a conformance run that could not start: the
// VNFM never got a subscription. Refused lists why the VIM refused its
// attempts, if it made any.
type NoSubscriptionError struct {
	VNFM    string
	Waited  time.Duration
	Refused []string
}

func (e *NoSubscriptionError) Error() string {
	if len(e.Refused) == 0 {
		return fmt.Sprintf("no VNFM subscribed as %q within %s", e.VNFM, e.Waited)
	}
	return fmt.Sprintf("VNFM %q never got a subscription: the VIM refused %d attempt(s): %s", e.VNFM, len(e.Refused), strings.Join(e.Refused, "; "))
}

// Conformer runs conformance cases in real time against an external VNFM
// that talks to it over HTTP exactly as the reference VNFM does. One
// subscription store outlives the cases: the VNFM subscribes once.
type Conformer struct {
	opt   ConformOptions
	store *vimhttp.Store
	cur   atomic.Pointer[http.Handler]
}

// NewConformer prepares a run; serve its Handler before calling Run.
func NewConformer(opt ConformOptions) *Conformer {
	if opt.Speed <= 0 {
		opt.Speed = 1
	}
	if opt.Nonce == 0 {
		opt.Nonce = rand.Int64N(1 << 40)
	}
	if opt.CaseLimit == 0 {
		opt.CaseLimit = 10 * time.Minute
	}
	ids := sim.NewRand(opt.Nonce)
	var mu sync.Mutex
	return &Conformer{opt: opt, store: vimhttp.NewStore(func() string { mu.Lock(); defer mu.Unlock(); return ids.UUID() })}
}

// Options are the run's options with defaults filled in.
func (c *Conformer) Options() ConformOptions { return c.opt }

// Handler serves the APIs of the case under way.
func (c *Conformer) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := c.cur.Load()
		if h == nil {
			edge.WriteProblem(w, http.StatusServiceUnavailable, "the conformance run is starting; retry in a moment")
			return
		}
		(*h).ServeHTTP(w, r)
	})
}

// Run runs the cases in order. It returns a result per case, or an error
// when the VNFM never subscribed (*NoSubscriptionError) or ctx ended.
func (c *Conformer) Run(ctx context.Context, cases []*spec.Scenario) ([]*judge.Result, error) {
	var out []*judge.Result
	var prev *Testbed
	for i, s := range cases {
		t0 := time.Now()
		cs := c.prepare(s)
		tb, err := Build(cs, BuildOptions{Seed: cs.Seed, Real: true, Speed: 1, APIRoot: c.opt.APIRoot, Auth: c.opt.Auth,
			Store: c.store, Record: true, ProbeTarget: c.opt.ProbeTarget})
		if err != nil {
			res := &judge.Result{Scenario: s, Seed: cs.Seed, Verdict: judge.VerdictError, Err: err}
			out = append(out, res)
			c.report(res, t0)
			continue
		}
		done := make(chan struct{})
		go func() {
			_ = tb.Loop.Run(ctx, 0)
			close(done)
		}()
		h := tb.Handler
		c.cur.Store(&h)
		if prev != nil {
			retire(prev)
		}
		prev = tb
		if i == 0 {
			if err := c.awaitSubscription(ctx, tb); err != nil {
				tb.Loop.Post(tb.Loop.Stop)
				<-done
				return out, err
			}
		}
		res := c.runCase(ctx, s, cs, tb, done)
		out = append(out, res)
		c.report(res, t0)
		if ctx.Err() != nil {
			break
		}
	}
	if prev != nil {
		retire(prev)
	}
	c.cur.Store(nil)
	return out, ctx.Err()
}

func (c *Conformer) report(r *judge.Result, t0 time.Time) {
	if c.opt.OnCase != nil {
		c.opt.OnCase(r, time.Since(t0))
	}
}

// retire stops a finished case's loop a little later: requests the VNFM
// sent just before the next case took over still get their answers.
func retire(tb *Testbed) {
	time.AfterFunc(500*time.Millisecond, func() { tb.Loop.Post(tb.Loop.Stop) })
}

// awaitSubscription waits for the VNFM under test to hold a subscription.
func (c *Conformer) awaitSubscription(ctx context.Context, tb *Testbed) error {
	deadline := time.Now().Add(c.opt.Wait)
	for {
		if slices.Contains(c.store.VNFMs(), c.opt.VNFM) {
			return nil
		}
		if time.Now().After(deadline) {
			e := &NoSubscriptionError{VNFM: c.opt.VNFM, Waited: c.opt.Wait}
			tb.Loop.Exec(func() {
				for _, ev := range tb.Trace.Events {
					if r, ok, _ := event.As[event.SubscriptionRefused](ev); ok {
						e.Refused = append(e.Refused, r.Error)
					}
				}
			})
			return e
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runCase runs one case on a started testbed and judges it.
func (c *Conformer) runCase(ctx context.Context, orig, s *spec.Scenario, tb *Testbed, done <-chan struct{}) *judge.Result {
	res := &judge.Result{Scenario: orig, Seed: s.Seed}
	tb.BeginCase()
	ended := make(chan struct{})
	var startErr error
	tb.Loop.Exec(func() {
		tb.OnEnd(func(st orchestrator.SessionStatus) {
			res.Session = SessionOf(st)
			res.UpgradeDuration = tb.Loop.Elapsed()
			tb.Loop.AfterFunc(c.opt.Settle, func() {
				tb.Conclude(res)
				res.Scenario = orig
				close(ended)
			})
		})
		st, err := tb.Manager.CreateSession(tb.Config)
		if err != nil {
			res.Session = judge.Session{State: judge.SessionRefused, Reason: err.Error(), Flow: tb.Config.Flow, TargetVersion: tb.Config.TargetVersion}
			tb.Conclude(res)
			res.Scenario = orig
			startErr = err
			return
		}
		res.Session = SessionOf(st)
	})
	if startErr != nil {
		return res
	}
	select {
	case <-ended:
	case <-done:
		res.Verdict, res.Err = judge.VerdictError, escalator.Errorf(escalator.EINTERNAL, "the case's loop stopped before its session ended")
	case <-ctx.Done():
		res.Verdict, res.Err = judge.VerdictError, escalator.Errorf(escalator.EINTERNAL, "interrupted")
	case <-time.After(c.opt.CaseLimit):
		res.Verdict, res.Err = judge.VerdictError, escalator.Errorf(escalator.EINTERNAL, "the session was still running after %s", c.opt.CaseLimit)
	}
	return res
}

// prepare makes a case ready for an external VNFM: its VNFs given to the
// VNFM under test, the world's durations divided by the speed, and a seed
// of its own.
func (c *Conformer) prepare(orig *spec.Scenario) *spec.Scenario {
	s := *orig
	s.VNFM.Name = c.opt.VNFM
	s.VNFs = slices.Clone(orig.VNFs)
	s.Faults = slices.Clone(orig.Faults)
	h := fnv.New64a()
	h.Write([]byte(orig.Conformance.ID))
	s.Seed = int64(h.Sum64()>>24) ^ c.opt.Nonce
	if s.Seed == 0 {
		s.Seed = 1
	}
	f := c.opt.Speed
	scale := func(d *spec.Duration) { *d = spec.Duration(time.Duration(float64(*d) / f)) }
	u := &s.Upgrade
	scale(&u.NodeUpgradeTime)
	scale(&u.VerifyTime)
	scale(&u.UpgradeTimeout)
	scale(&s.NFVI.LiveMigration.Duration)
	scale(&s.NFVI.LiveMigration.Blackout)
	scale(&s.NFVI.ColdMigrationTime)
	for i := range s.VNFs {
		v := &s.VNFs[i]
		scale(&v.ServiceTime)
		scale(&v.SwitchoverGap)
		scale(&v.FailoverTime)
		scale(&v.HealthCheckWindow)
	}
	for i := range s.Faults {
		scale(&s.Faults[i].At)
		scale(&s.Faults[i].For)
	}
	if c.opt.ReplyTimeout > 0 {
		u.ReplyTimeout = spec.Duration(c.opt.ReplyTimeout)
		u.ReplyDeadlines = nil
	}
	return &s
}
