package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/reports/dashboard"
)

// demoSmall is a quick F1 upgrade: three nodes, one active-standby pair,
// so two maintenance notifications.
const demoSmall = `name: demo-small
description: A small upgrade for the demo's tests.
seed: 5
nodes: {count: 3}
vnfs:
  - {name: mme, mode: active-standby, instances: 2, load: 1000/s}
vnfm: {replyAfter: 2s}
upgrade: {flow: F1, targetVersion: "2.0", replyTimeout: 60s, nodeUpgradeTime: 10m}
`

// lines is an io.Writer that hands each complete line to a channel: a
// test waits for what a command prints instead of polling for it.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
	all bytes.Buffer
	ch  chan string
}

func newLines() *lines { return &lines{ch: make(chan string, 1024)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case l.ch <- strings.TrimSuffix(line, "\n"):
		default:
		}
	}
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

// demoProc is `escalator demo` running in the test's process.
type demoProc struct {
	url       string
	out, errs *lines
	stop      func() int
}

// startDemo runs `escalator demo` on a free loopback port and returns
// once it serves.
func startDemo(t *testing.T, args ...string) *demoProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := newLines(), newLines()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"demo", "--listen", "127.0.0.1:0"}, args...), out, errs)
	}()
	var once sync.Once
	exit := -1
	stop := func() int {
		once.Do(func() {
			cancel()
			select {
			case exit = <-code:
			case <-time.After(30 * time.Second):
				t.Errorf("escalator demo did not stop; stderr:\n%s", errs.String())
			}
		})
		return exit
	}
	t.Cleanup(func() { stop() })
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l := <-out.ch:
			if u := url.FindString(l); u != "" {
				return &demoProc{url: u, out: out, errs: errs, stop: stop}
			}
		case c := <-code:
			t.Fatalf("escalator demo exited with %d; stdout:\n%s\nstderr:\n%s", c, out.String(), errs.String())
		case <-deadline:
			t.Fatalf("escalator demo printed no URL; stdout:\n%s\nstderr:\n%s", out.String(), errs.String())
		}
	}
}

// post sends a control and returns the status and the body.
func (d *demoProc) post(t *testing.T, path string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(d.url+"/api/"+path, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// control sends a control that must succeed and returns the run's info.
func (d *demoProc) control(t *testing.T, path string, body any) dashboard.RunInfo {
	t.Helper()
	code, data := d.post(t, path, body)
	require.Equal(t, http.StatusOK, code, string(data))
	var info dashboard.RunInfo
	require.NoError(t, json.Unmarshal(data, &info))
	return info
}

// refused sends a control that must be refused with status and a detail
// containing detail.
func (d *demoProc) refused(t *testing.T, path string, body any, status int, detail string) {
	t.Helper()
	code, data := d.post(t, path, body)
	require.Equal(t, status, code, string(data))
	var p edge.Problem
	require.NoError(t, json.Unmarshal(data, &p), string(data))
	require.Contains(t, p.Detail, detail)
}

// feed follows the dashboard's event stream.
type feed struct {
	t      *testing.T
	events chan sseMsg
}

type sseMsg struct{ event, data string }

func (d *demoProc) follow(t *testing.T) *feed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url+"/api/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	f := &feed{t: t, events: make(chan sseMsg, 4096)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(f.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<16), 1<<22)
		var m sseMsg
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "" && m.data != "":
				f.events <- m
				m = sseMsg{}
			case strings.HasPrefix(line, "event: "):
				m.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.data = line[6:]
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return f
}

// until reads the stream until match accepts a message, and returns the
// trace kinds seen on the way (match's included).
func (f *feed) until(what string, within time.Duration, match func(event string, it dashboard.Item, run dashboard.RunInfo) bool) []string {
	f.t.Helper()
	var kinds []string
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-f.events:
			require.True(f.t, ok, "the stream ended waiting for %s", what)
			var it dashboard.Item
			var run dashboard.RunInfo
			switch m.event {
			case "trace":
				require.NoError(f.t, json.Unmarshal([]byte(m.data), &it))
				kinds = append(kinds, it.Kind)
			case "run":
				require.NoError(f.t, json.Unmarshal([]byte(m.data), &run))
			}
			if match(m.event, it, run) {
				return kinds
			}
		case <-deadline:
			f.t.Fatalf("no %s within %s; kinds seen: %v", what, within, kinds)
		}
	}
}

func (f *feed) kind(kind string, within time.Duration) []string {
	f.t.Helper()
	return f.until(kind, within, func(ev string, it dashboard.Item, _ dashboard.RunInfo) bool { return ev == "trace" && it.Kind == kind })
}

func (f *feed) state(state string, within time.Duration) dashboard.RunInfo {
	f.t.Helper()
	var got dashboard.RunInfo
	f.until("run state "+state, within, func(ev string, _ dashboard.Item, run dashboard.RunInfo) bool {
		got = run
		return ev == "run" && run.State == state
	})
	return got
}

// TestDemoUsage: the flags, and the errors a user can make.
func TestDemoUsage(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	dir := t.TempDir()
	bad := write(t, dir, "bad.yaml", badScenario)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"--help"}, exitPass, "Usage: escalator demo"},
		{"unknown flag", []string{"--frob"}, exitUsage, "flag provided but not defined"},
		{"an argument", []string{"extra"}, exitUsage, "takes no arguments"},
		{"negative speed", []string{"--speed", "-2"}, exitUsage, "must not be negative"},
		{"bad scenario", []string{"--scenario", bad}, exitUsage, bad + ":5:3: upgrade.maxParalel: unknown field"},
		{"missing scenario", []string{"--scenario", filepath.Join(dir, "nope.yaml")}, exitUsage, "nope.yaml"},
		{"port taken", []string{"--listen", busy.Addr().String()}, exitHarness, "cannot listen on " + busy.Addr().String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"demo"}, tc.args...), &out, &errb)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
			require.Contains(t, errb.String(), tc.stderr)
			require.NotContains(t, out.String()+errb.String(), "goroutine ", "no Go stack reaches a user")
		})
	}
	var out, errb bytes.Buffer
	require.Equal(t, exitPass, run(context.Background(), []string{"help"}, &out, &errb))
	require.Contains(t, out.String(), "escalator demo ")
}

// TestDemoOverHTTP drives a demo through its controls alone: the run waits
// until started, refuses what its state does not allow, runs the upgrade
// over real HTTP between the VIM and the VNFM (their messages in the
// trace), shows a silent VNFM and the orchestrator's reaction, ends judged,
// and restarts with another scenario and seed.
func TestDemoOverHTTP(t *testing.T) {
	file := write(t, t.TempDir(), "small.yaml", demoSmall)
	d := startDemo(t, "--scenario", file, "--speed", "400")

	resp, err := http.Get(d.url + "/api/config")
	require.NoError(t, err)
	var cfg dashboard.Config
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&cfg))
	resp.Body.Close()
	var names []string
	for _, s := range cfg.Scenarios {
		names = append(names, s.Name)
	}
	require.Equal(t, []string{"demo-small", "demo-f1-showcase", "demo-f1-rollback", "demo-f2-showcase"}, names,
		"the scenario given first, then the bundled showcases")

	d.refused(t, "pause", struct{}{}, http.StatusConflict, "only a running run can pause")
	d.refused(t, "faults", map[string]string{"fault": "vnfm-silent"}, http.StatusConflict, "faults go into a running or paused run")
	d.refused(t, "restart", map[string]any{"scenario": "nope"}, http.StatusUnprocessableEntity, `no scenario "nope"`)
	info := d.control(t, "start", struct{}{})
	require.Equal(t, dashboard.StateRunning, info.State)
	require.Equal(t, "demo-small", info.Scenario)
	require.Equal(t, int64(5), info.Seed)
	require.Equal(t, 400.0, info.Speed)
	d.refused(t, "start", struct{}{}, http.StatusConflict, "only a run that is ready can start")

	f := d.follow(t)
	kinds := f.kind("vnfm.reply", 20*time.Second)
	for _, k := range []string{"node.added", "subscription.created", "session.created", "vnfm.notify", "vnfm.received", "vnf.switchover"} {
		require.Contains(t, kinds, k, "the first batch's handshake, the VNFM's side included")
	}
	require.Less(t, indexOf(kinds, "vnfm.received"), indexOf(kinds, "vnf.switchover"), "the VNFM heard the notification, then switched over")

	// A silent VNFM: the next notification goes unanswered; the VIM waits
	// for its deadline, then moves the business itself.
	require.Equal(t, dashboard.StateRunning, d.control(t, "faults", map[string]string{"fault": "vnfm-silent"}).State)
	f.kind("fault.injected", 10*time.Second)
	seen := f.kind("vnfm.reply-timeout", 20*time.Second)
	require.Contains(t, seen, "vnfm.ignored", "the VNFM ignored the notification before the VIM's deadline passed")
	require.NotContains(t, seen, "vnfm.reply", "a silent VNFM does not reply")

	require.Equal(t, 2000.0, d.control(t, "speed", map[string]float64{"speed": 2000}).Speed)
	end := f.state(dashboard.StateEnded, 30*time.Second)
	require.Equal(t, "COMPLETED", end.Outcome)
	require.NotEmpty(t, end.Verdict)
	require.Contains(t, end.Summary, "demo-small")
	d.refused(t, "pause", struct{}{}, http.StatusConflict, "the run has ended; restart it")

	info = d.control(t, "restart", map[string]any{"scenario": "demo-f2-showcase", "seed": 9})
	require.Equal(t, dashboard.RunInfo{ID: info.ID, Scenario: "demo-f2-showcase", Description: info.Description, Seed: 9,
		Flow: "F2", Target: "2.0", State: dashboard.StateReady, Speed: 2000}, info, "a restart keeps the speed and waits for Start")
	require.NotEqual(t, end.ID, info.ID)
	require.Equal(t, dashboard.StateRunning, d.control(t, "start", struct{}{}).State)
	f.kind("session.created", 10*time.Second)
	require.Equal(t, exitPass, d.stop())
	require.Contains(t, d.out.String(), "demo-small")
	require.Contains(t, d.out.String(), "escalator demo: stopped")
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
