package vnfmhttp_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/sim/vnfmhttp"
)

// vim is the real VIM maintenance API's subscriptions on a loopback
// socket, with a store of its own: restart gives a VIM that has forgotten
// every subscription, on the same address, as a restarted process would.
type vim struct {
	t     *testing.T
	addr  string
	mu    sync.Mutex // the VIM's "loop"
	store *vimhttp.Store
	srv   *http.Server
	n     int
	// refuse makes the next subscription requests fail (the VIM answers
	// 422 because the callback test fails).
	refuse int
}

func newVIM(t *testing.T) *vim {
	v := &vim{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	v.addr = ln.Addr().String()
	v.start(ln)
	t.Cleanup(func() { v.stop() })
	return v
}

func (v *vim) start(ln net.Listener) {
	spec, err := edge.Load(openapi.VIMMaintenance)
	require.NoError(v.t, err)
	v.mu.Lock()
	v.store = vimhttp.NewStore(func() string { v.n++; return fmt.Sprintf("sub-%d", v.n) })
	v.mu.Unlock()
	callbackTest := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		v.mu.Lock()
		refuse := v.refuse > 0
		if refuse {
			v.refuse--
		}
		v.mu.Unlock()
		if refuse {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: http.NoBody, Header: http.Header{}}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	s := &vimhttp.Server{Store: v.store, Client: callbackTest, Trace: escalator.NewTrace(func() time.Duration { return 0 }),
		Exec: func(fn func()) { v.mu.Lock(); defer v.mu.Unlock(); fn() }}
	v.srv = edge.NewServer(vimhttp.Handler(s, spec, edge.Credential{}, func(edge.Violation) {}), edge.DefaultLimits)
	go func() { _ = v.srv.Serve(ln) }()
}

func (v *vim) stop() { _ = v.srv.Close() }

// restart stops the VIM and starts a new one, knowing no subscription, on
// the same port.
func (v *vim) restart() {
	v.stop()
	var ln net.Listener
	var err error
	for range 100 { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp", v.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(v.t, err)
	v.start(ln)
}

func (v *vim) subscriptions() []*vimhttp.Subscription {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.store.All()
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// syncBuffer is a log sink read while the Keeper writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type resub struct {
	old, id  string
	attempts int
}

// keeperRig is a VNFM endpoint answering the VIM's test, a Keeper with
// short timings (checks every every) subscribed at v, and what the Keeper
// reports.
func keeperRig(t *testing.T, v *vim, every time.Duration) (*vnfmhttp.Keeper, string, <-chan resub, *[]time.Duration, *syncBuffer) {
	t.Helper()
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(edge.HeaderVersion, edge.APIVersion)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(endpoint.Close)
	specs := []*edge.Spec{}
	for _, n := range []string{openapi.VIMMaintenance, openapi.VNFControl} {
		s, err := edge.Load(n)
		require.NoError(t, err)
		specs = append(specs, s)
	}
	var violations []edge.Violation
	var vmu sync.Mutex
	t.Cleanup(func() {
		vmu.Lock()
		defer vmu.Unlock()
		require.Empty(t, violations, "every message of the Keeper's and the VIM's matches the spec")
	})
	hc := &http.Client{Transport: &edge.Checked{Specs: specs, Next: http.DefaultTransport,
		OnViolation: func(x edge.Violation) { vmu.Lock(); violations = append(violations, x); vmu.Unlock() }}}
	client, err := vnfmhttp.NewClient("http://"+v.addr, "http://"+v.addr, hc, edge.Credential{}, nil)
	require.NoError(t, err)
	client.Timeout = 2 * time.Second
	logs := &syncBuffer{}
	got := make(chan resub, 10)
	var bmu sync.Mutex
	var backoffs []time.Duration
	k := &vnfmhttp.Keeper{Client: client, VNFM: "vnfm-1", Callback: endpoint.URL + "/cb", Behavior: "reference",
		CheckEvery: every, MinBackoff: time.Millisecond, MaxBackoff: 8 * time.Millisecond,
		Log:          slog.New(slog.NewTextHandler(logs, nil)),
		Resubscribed: func(old, id string, attempts int) { got <- resub{old, id, attempts} },
		Backoff:      func(d time.Duration) { bmu.Lock(); backoffs = append(backoffs, d); bmu.Unlock() }}
	id, err := client.Subscribe(k.VNFM, k.Callback, nil, k.Behavior)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.Run(ctx, id) }()
	t.Cleanup(func() { cancel(); <-done })
	return k, id, got, &backoffs, logs
}

func waitResub(t *testing.T, got <-chan resub) resub {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the VNFM never subscribed again")
	}
	return resub{}
}

func TestKeeperResubscribes(t *testing.T) {
	tests := []struct {
		name string
		lose func(t *testing.T, v *vim, id string, logs *syncBuffer)
	}{
		{"subscription deleted at the VIM", func(t *testing.T, v *vim, id string, _ *syncBuffer) {
			v.mu.Lock()
			defer v.mu.Unlock()
			require.NoError(t, v.store.Delete(id))
		}},
		{"VIM restarted", func(_ *testing.T, v *vim, _ string, _ *syncBuffer) { v.restart() }},
		{"VIM down for a while, then back", func(t *testing.T, v *vim, _ string, logs *syncBuffer) {
			v.stop()
			// A check finds nobody; the keeper must keep looking.
			require.Eventually(t, func() bool { return strings.Contains(logs.String(), "cannot check the VNFM's subscription") },
				10*time.Second, 5*time.Millisecond)
			v.restart()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVIM(t)
			k, first, got, _, logs := keeperRig(t, v, 20*time.Millisecond)
			require.Len(t, v.subscriptions(), 1)
			tc.lose(t, v, first, logs)

			r := waitResub(t, got)
			require.Equal(t, first, r.old)
			require.Equal(t, k.ID(), r.id)
			subs := v.subscriptions()
			require.Len(t, subs, 1, "exactly one subscription again")
			require.Equal(t, r.id, subs[0].ID)
			require.Equal(t, "vnfm-1", subs[0].VNFM)
			require.Contains(t, logs.String(), "VNFM re-subscribed")
			require.Contains(t, logs.String(), "previous="+first)
		})
	}
}

// Re-subscribing retries with a back-off that doubles up to its bound; a
// check finds the subscription in place afterwards and does nothing more.
func TestKeeperBacksOffBoundedly(t *testing.T) {
	v := newVIM(t)
	_, id, got, backoffs, logs := keeperRig(t, v, 20*time.Millisecond)
	v.mu.Lock()
	v.refuse = 6
	require.NoError(t, v.store.Delete(id))
	v.mu.Unlock()

	r := waitResub(t, got)
	require.Equal(t, 7, r.attempts, "six refusals, then the subscription")
	ms := time.Millisecond
	require.Equal(t, []time.Duration{1 * ms, 2 * ms, 4 * ms, 8 * ms, 8 * ms, 8 * ms}, *backoffs)
	require.Equal(t, 6, strings.Count(logs.String(), "re-subscription failed"))
	select {
	case r := <-got:
		t.Fatalf("subscribed again though the subscription is in place: %+v", r)
	case <-time.After(100 * time.Millisecond): // five checks' worth
	}
	require.Len(t, v.subscriptions(), 1)
}

// Check asks for a look at once, without waiting for the period.
func TestKeeperCheckNow(t *testing.T) {
	v := newVIM(t)
	k, id, got, _, _ := keeperRig(t, v, time.Hour) // no periodic check within the test: only Check
	v.mu.Lock()
	require.NoError(t, v.store.Delete(id))
	v.mu.Unlock()
	k.Check()
	waitResub(t, got)
}
