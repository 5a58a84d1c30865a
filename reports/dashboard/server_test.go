package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi/edge"
)

// fakeControl records the controls it gets and answers err.
type fakeControl struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeControl) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}

func (f *fakeControl) Start() error             { return f.record("start") }
func (f *fakeControl) Pause() error             { return f.record("pause") }
func (f *fakeControl) Resume() error            { return f.record("resume") }
func (f *fakeControl) SetSpeed(s float64) error { return f.record("speed " + jsonString(s)) }
func (f *fakeControl) Restart(n string, seed int64) error {
	return f.record("restart " + n + " " + jsonString(seed))
}
func (f *fakeControl) Inject(fault string) error { return f.record("inject " + fault) }

func (f *fakeControl) took() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func traceEvent(seq int64, kind, subject string) escalator.Event {
	return escalator.Event{Seq: seq, At: time.Duration(seq) * time.Second, Actor: "nfvi", Kind: kind, Subject: subject,
		Fields: escalator.Fields{"from": "normal", "to": "maintenance"}}
}

func newTestServer(t *testing.T) (*Hub, *fakeControl, *httptest.Server) {
	t.Helper()
	hub := NewHub()
	ctl := &fakeControl{}
	srv := httptest.NewServer(Handler(Options{Hub: hub, Control: ctl, KeepAlive: 50 * time.Millisecond,
		Scenarios: []ScenarioInfo{{Name: "demo-a", Flow: "F1", Seed: 1}}}))
	t.Cleanup(func() {
		hub.Close()
		srv.Close()
	})
	return hub, ctl, srv
}

// sseEvent is one server-sent event as a browser's EventSource sees it.
type sseEvent struct {
	ID, Event, Data string
}

// stream connects to the event stream (lastID: the Last-Event-ID header,
// if any) and delivers its events on a channel until the test ends.
func stream(t *testing.T, url, lastID string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/events", nil)
	require.NoError(t, err)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	out := make(chan sseEvent, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Data != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return out
}

// next returns the next event that is not a keep-alive, or fails.
func next(t *testing.T, c <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case e, ok := <-c:
		require.True(t, ok, "the stream ended")
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return sseEvent{}
}

// quiet requires that nothing comes for a while.
func quiet(t *testing.T, c <-chan sseEvent) {
	t.Helper()
	select {
	case e := <-c:
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}

func traceIDs(t *testing.T, c <-chan sseEvent, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		e := next(t, c)
		require.Equal(t, "trace", e.Event, "%+v", e)
		var it Item
		require.NoError(t, json.Unmarshal([]byte(e.Data), &it))
		require.Equal(t, e.ID, "r1:"+jsonString(it.Seq), "the id is the run and the event's sequence number")
		ids = append(ids, e.ID)
	}
	return ids
}

// The stream replays the run's trace, then follows it: each event once,
// the snapshot only when it changed.
func TestEventStreamReplaysThenFollows(t *testing.T) {
	hub, _, srv := newTestServer(t)
	hub.Begin(RunInfo{ID: "r1", Scenario: "demo-a", Flow: "F1", State: StateReady}, []escalator.Event{
		traceEvent(1, "node.added", "compute-1"), traceEvent(2, "node.added", "compute-2"), traceEvent(3, "node.state", "compute-1"),
	})
	c := stream(t, srv.URL, "")
	run := next(t, c)
	require.Equal(t, "run", run.Event)
	require.JSONEq(t, `{"id":"r1","scenario":"demo-a","seed":0,"flow":"F1","target":"","state":"ready","speed":0}`, run.Data)
	require.Equal(t, []string{"r1:1", "r1:2", "r1:3"}, traceIDs(t, c, 3))
	quiet(t, c)

	hub.Record(traceEvent(4, "node.state", "compute-2"))
	require.Equal(t, []string{"r1:4"}, traceIDs(t, c, 1))
	hub.SetSnapshot(Snapshot{At: 4000, T: "00:00:04"})
	st := next(t, c)
	require.Equal(t, "state", st.Event)
	require.JSONEq(t, `{"at":4000,"t":"00:00:04","nodes":null,"vnfs":null}`, st.Data)
	hub.SetSnapshot(Snapshot{At: 4000, T: "00:00:04"})
	quiet(t, c)
	hub.Update(func(i *RunInfo) { i.State = StateRunning })
	run = next(t, c)
	require.Equal(t, "run", run.Event)
	require.Contains(t, run.Data, `"state":"running"`)
}

// A reconnecting browser sends the last id it saw and gets only what it
// missed; one that saw another run, or nothing parseable, gets it all.
func TestEventStreamCatchesUpFromTheTrace(t *testing.T) {
	hub, _, srv := newTestServer(t)
	var past []escalator.Event
	for i := range 5 {
		past = append(past, traceEvent(int64(i+1), "node.state", "compute-1"))
	}
	hub.Begin(RunInfo{ID: "r1", Flow: "F1"}, past)
	tests := []struct {
		lastID string
		want   []string
	}{
		{"r1:3", []string{"r1:4", "r1:5"}},
		{"r1:5", nil},
		{"r0:3", []string{"r1:1", "r1:2", "r1:3", "r1:4", "r1:5"}},
		{"garbage", []string{"r1:1", "r1:2", "r1:3", "r1:4", "r1:5"}},
		{"r1:-2", []string{"r1:1", "r1:2", "r1:3", "r1:4", "r1:5"}},
	}
	for _, tc := range tests {
		t.Run(tc.lastID, func(t *testing.T) {
			c := stream(t, srv.URL, tc.lastID)
			require.Equal(t, "run", next(t, c).Event)
			require.Equal(t, tc.want, traceIDs(t, c, len(tc.want)))
			quiet(t, c)
		})
	}
}

// A new run (a restart) reaches every open stream: its info first, then
// its whole trace.
func TestEventStreamFollowsARestart(t *testing.T) {
	hub, _, srv := newTestServer(t)
	hub.Begin(RunInfo{ID: "r1", Flow: "F1"}, []escalator.Event{traceEvent(1, "node.added", "compute-1")})
	c := stream(t, srv.URL, "")
	require.Equal(t, "run", next(t, c).Event)
	traceIDs(t, c, 1)
	hub.Begin(RunInfo{ID: "r2", Flow: "F2"}, []escalator.Event{traceEvent(1, "node.added", "compute-1"), traceEvent(2, "node.added", "compute-2")})
	run := next(t, c)
	require.Equal(t, "run", run.Event)
	require.Contains(t, run.Data, `"id":"r2"`)
	for _, want := range []string{"r2:1", "r2:2"} {
		e := next(t, c)
		require.Equal(t, want, e.ID)
	}
}

// Closing the hub ends the streams, so a server can shut down.
func TestHubCloseEndsStreams(t *testing.T) {
	hub, _, srv := newTestServer(t)
	hub.Begin(RunInfo{ID: "r1"}, nil)
	c := stream(t, srv.URL, "")
	require.Equal(t, "run", next(t, c).Event)
	hub.Close()
	select {
	case _, ok := <-c:
		require.False(t, ok, "nothing after close")
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end")
	}
}

// The controls call the controller; bad requests and refusals come back
// as ProblemDetails with the status their cause calls for.
func TestControls(t *testing.T) {
	hub, ctl, srv := newTestServer(t)
	hub.Begin(RunInfo{ID: "r1", State: StateRunning}, nil)
	tests := []struct {
		name, path, ctype, body string
		err                     error
		status                  int
		call                    string
		detail                  string
	}{
		{"start", "start", "application/json", `{}`, nil, 200, "start", ""},
		{"pause", "pause", "application/json; charset=utf-8", `{}`, nil, 200, "pause", ""},
		{"resume", "resume", "application/json", `{}`, nil, 200, "resume", ""},
		{"speed", "speed", "application/json", `{"speed": 50}`, nil, 200, "speed 50", ""},
		{"restart", "restart", "application/json", `{"scenario": "demo-a", "seed": 7}`, nil, 200, "restart demo-a 7", ""},
		{"fault", "faults", "application/json", `{"fault": "upgrade-fails"}`, nil, 200, "inject upgrade-fails", ""},
		{"refused", "pause", "application/json", `{}`, escalator.Errorf(escalator.ECONFLICT, "the run is ready"), 409, "pause", "the run is ready"},
		{"not JSON", "pause", "text/plain", `{}`, nil, 415, "", "application/json"},
		{"form post", "start", "application/x-www-form-urlencoded", `a=b`, nil, 415, "", "application/json"},
		{"broken JSON", "speed", "application/json", `{"speed":`, nil, 400, "", "not a valid control"},
		{"unknown field", "speed", "application/json", `{"sped": 5}`, nil, 400, "", "unknown field"},
		{"no speed", "speed", "application/json", `{}`, nil, 422, "", "speed must be"},
		{"speed zero", "speed", "application/json", `{"speed": 0}`, nil, 422, "", "speed must be"},
		{"negative seed", "restart", "application/json", `{"seed": -1}`, nil, 422, "", "seed must not be negative"},
		{"unknown fault", "faults", "application/json", `{"fault": "meteor"}`, nil, 422, "", `unknown fault "meteor"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctl.err = tc.err
			resp, err := http.Post(srv.URL+"/api/"+tc.path, tc.ctype, strings.NewReader(tc.body))
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode, string(body))
			if tc.call != "" {
				require.Equal(t, []string{tc.call}, ctl.took())
			} else {
				require.Empty(t, ctl.took(), "a bad request reaches no control")
			}
			if tc.status == 200 {
				require.Contains(t, string(body), `"id":"r1"`, "a control answers with the run's info")
				return
			}
			require.Equal(t, edge.MediaProblem, resp.Header.Get("Content-Type"))
			var p edge.Problem
			require.NoError(t, json.Unmarshal(body, &p))
			require.Equal(t, tc.status, p.Status)
			require.Contains(t, p.Detail, tc.detail)
		})
	}
	resp, err := http.Get(srv.URL + "/api/pause")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "controls are POSTs")
}

// The page and its assets come from the binary, with a policy that lets
// the page load nothing from anywhere else.
func TestPageAndAssets(t *testing.T) {
	_, _, srv := newTestServer(t)
	tests := []struct {
		path, ctype, contains string
		status                int
	}{
		{"/", "text/html; charset=utf-8", `<script src="/static/dashboard.js" defer></script>`, 200},
		{"/static/dashboard.js", "text/javascript; charset=utf-8", "new EventSource(\"/api/events\")", 200},
		{"/static/dashboard.css", "text/css; charset=utf-8", "Okabe", 200},
		{"/static/nope.js", edge.MediaProblem, "no resource at /static/nope.js", 404},
		{"/static/..%2fserver.go", edge.MediaProblem, "", 404},
		{"/api/nope", edge.MediaProblem, "no resource", 404},
		{"/api/config", "application/json", `"lifelines":["Upgrade Manager","Cloud Manager","VNFM","VNFs"]`, 200},
		{"/api/state", "application/json", `"run":`, 200},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode, string(body))
			require.Equal(t, tc.ctype, resp.Header.Get("Content-Type"))
			require.Contains(t, string(body), tc.contains)
			if tc.status == 200 && !strings.HasPrefix(tc.path, "/api/") {
				require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
			}
		})
	}
	// Nothing in the page or its assets points elsewhere.
	for _, p := range []string{"/", "/static/dashboard.js", "/static/dashboard.css"} {
		resp, err := http.Get(srv.URL + p)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NotRegexp(t, `(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`, strings.ReplaceAll(string(body), "http://www.w3.org/2000/svg", ""), p)
	}
}
