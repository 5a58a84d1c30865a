package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/sim"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// testBinary builds escalator once for the tests that run it as separate
// processes.
func testBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "escalator-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "escalator")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

// conformance is one `escalator conform` run against one `escalator vnfm`
// process: each case's verdict by ID, and what both printed.
type conformance struct {
	verdicts map[string]string
	out      string
	wall     time.Duration
}

func (c conformance) with(verdict string) []string {
	var out []string
	for id, v := range c.verdicts {
		if v == verdict {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// runConformance starts the conformance run and the reference VNFM with
// a profile as two processes on loopback, and reads the JSON report. It
// runs on its own goroutine, so it reports trouble as a message.
//
// The VNFM's port must be known before either process starts (each is
// told the other's URL), so it is picked by listening on port 0 and
// closing; with many runs side by side another process can take it in
// between. A VNFM that could not bind is a harness accident, not a
// verdict: the run is tried again on a new port.
func runConformance(bin, behavior, notifyAuth string, extra ...string) (c conformance, problem string) {
	for range 3 {
		var portTaken bool
		c, problem, portTaken = runConformanceOnce(bin, behavior, notifyAuth, extra...)
		if !portTaken {
			break
		}
	}
	return c, problem
}

// runConformanceOnce is one try; portTaken says the VNFM could not bind
// the port picked for it.
func runConformanceOnce(bin, behavior, notifyAuth string, extra ...string) (c conformance, problem string, portTaken bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "conform-")
	if err != nil {
		return c, err.Error(), false
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return c, err.Error(), false
	}
	vnfmAddr := ln.Addr().String()
	ln.Close()
	endpoint := "http://" + vnfmAddr + "/vnfm_notification/v1/notifications"
	report := filepath.Join(dir, "conformance.json")
	args := append([]string{"conform", "--vnfm", endpoint, "--listen", "127.0.0.1:0", "--no-db", "--json", report,
		"--speed", "240", "--settle", "300ms", "--reply-timeout", "1500ms", "--wait", "30s"}, extra...)
	conf := exec.CommandContext(ctx, bin, args...)
	var confErr syncBuffer
	conf.Stderr = &confErr
	stdout, err := conf.StdoutPipe()
	if err != nil {
		return c, err.Error(), false
	}
	start := time.Now()
	if err := conf.Start(); err != nil {
		return c, err.Error(), false
	}
	lines := bufio.NewScanner(stdout)
	var head strings.Builder
	vim := ""
	for vim == "" && lines.Scan() {
		head.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "VIM maintenance API") {
			vim = strings.TrimSuffix(regexp.MustCompile(`http://\S+`).FindString(lines.Text()), "/vim_maintenance/v1")
		}
	}
	if vim == "" {
		_ = conf.Wait()
		return c, "conform never said where its VIM is:\n" + head.String() + confErr.String(), false
	}
	vargs := []string{"vnfm", "--vim", vim, "--listen", vnfmAddr, "--behavior", behavior, "--reply-after", "100ms", "--late-by", "1s"}
	if notifyAuth != "" {
		vargs = append(vargs, "--notify-auth", notifyAuth)
	}
	vnfm := exec.CommandContext(ctx, bin, vargs...)
	var vnfmOut syncBuffer
	vnfm.Stdout, vnfm.Stderr = &vnfmOut, &vnfmOut
	if err := vnfm.Start(); err != nil {
		return c, err.Error(), false
	}
	vnfmExited := make(chan struct{})
	go func() {
		_ = vnfm.Wait()
		close(vnfmExited)
		// A VNFM that dies early leaves the suite waiting --wait for a
		// subscription that cannot come; stop it at once.
		_ = conf.Process.Kill()
	}()
	defer func() { _ = vnfm.Process.Kill(); <-vnfmExited }()

	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	err = conf.Wait()
	select {
	case <-vnfmExited:
		return c, "the VNFM exited before the suite ended: " + vnfmOut.String(), strings.Contains(vnfmOut.String(), "cannot listen")
	default:
	}
	c = conformance{verdicts: map[string]string{}, out: head.String() + rest.String() + confErr.String(), wall: time.Since(start)}
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == exitFailed) {
		return c, fmt.Sprintf("conform: %v\n%s\nvnfm: %s", err, c.out, vnfmOut.String()), false
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return c, err.Error() + "\n" + c.out, false
	}
	var doc struct {
		Scenarios []struct {
			Verdict     string `json:"verdict"`
			Conformance struct {
				ID string `json:"id"`
			} `json:"conformance"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return c, err.Error(), false
	}
	for _, s := range doc.Scenarios {
		c.verdicts[s.Conformance.ID] = s.Verdict
	}
	return c, "", false
}

// TestConformanceOverTCP runs the conformance suite as it ships, with
// `escalator conform` and `escalator vnfm` as separate processes on
// loopback: the reference VNFM passes every case (BASIC and OAuth2
// notification credentials each in their turn), and every misbehaviour
// profile fails exactly the cases that name it in failedBy, and no other.
func TestConformanceOverTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the conformance suite in real time, many times")
	}
	bin := testBinary(t)
	cases, err := scenarios.Catalogue()
	require.NoError(t, err)
	ids := make([]string, 0, len(cases))
	for _, s := range cases {
		ids = append(ids, s.Conformance.ID)
	}
	const basicOnly, oauth2Only = "AUTH-002", "AUTH-001"
	type run struct {
		behavior, auth string
		wantFail       []string
		wantNA         string
	}
	runs := []run{
		{behavior: sim.BehaviorReference, auth: "basic:vim:basic-pw", wantNA: basicOnly},
		{behavior: sim.BehaviorReference, auth: "oauth2:vim-client:oauth2-pw", wantNA: oauth2Only},
		{behavior: sim.BehaviorAcceptsBadAuth, auth: "oauth2:vim-client:oauth2-pw", wantFail: []string{"AUTH-002"}, wantNA: oauth2Only},
	}
	for _, p := range sim.BehaviorNames() {
		if p == sim.BehaviorReference {
			continue
		}
		r := run{behavior: p, auth: "basic:vim:basic-pw", wantNA: basicOnly}
		for _, s := range cases {
			if slices.Contains(s.Conformance.FailedBy, p) && s.Conformance.ID != basicOnly {
				r.wantFail = append(r.wantFail, s.Conformance.ID)
			}
		}
		runs = append(runs, r)
	}
	// The runs mostly wait on the wall clock, so they go side by side
	// (go test's -parallel would allow only GOMAXPROCS at once); the slow
	// profiles, which sit out reply deadlines, start first.
	slow := []string{sim.BehaviorSilent, sim.BehaviorLate, sim.BehaviorMalformed, sim.BehaviorWrongState}
	slices.SortStableFunc(runs, func(a, b run) int {
		return boolInt(!slices.Contains(slow, a.behavior)) - boolInt(!slices.Contains(slow, b.behavior))
	})
	results := make([]conformance, len(runs))
	errs := make([]string, len(runs))
	sem := make(chan struct{}, 12)
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = runConformance(bin, r.behavior, r.auth)
		})
	}
	wg.Wait()
	failedSomewhere := map[string]bool{}
	for i, r := range runs {
		t.Run(r.behavior+"/"+strings.SplitN(r.auth, ":", 2)[0], func(t *testing.T) {
			require.Empty(t, errs[i])
			c := results[i]
			require.Len(t, c.verdicts, len(ids), c.out)
			want := slices.Clone(r.wantFail)
			sort.Strings(want)
			require.Equal(t, want, c.with(judge.VerdictFail), "%s must fail exactly the cases that name it:\n%s", r.behavior, c.out)
			// A misbehaving VNFM may leave a check nothing to judge (no
			// acknowledgement claims anything to verify); it must never
			// turn a failure into "not applicable".
			na := c.with(judge.VerdictNotApplicable)
			require.Contains(t, na, r.wantNA, c.out)
			if r.behavior == sim.BehaviorReference {
				require.Equal(t, []string{r.wantNA}, na, c.out)
				t.Logf("reference VNFM (%s): %d cases in %s", strings.SplitN(r.auth, ":", 2)[0], len(c.verdicts), c.wall.Round(time.Second))
			}
			require.Empty(t, c.with(judge.VerdictError), c.out)
			for _, id := range c.with(judge.VerdictFail) {
				failedSomewhere[id] = true
			}
		})
	}
	for _, id := range ids {
		require.True(t, failedSomewhere[id], "no profile made %s fail over TCP", id)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestConformUsage: bad flags are usage errors, and a VNFM that never
// subscribes ends the run with a message that says what to configure.
func TestConformUsage(t *testing.T) {
	dir := t.TempDir()
	notCase := write(t, dir, "plain.yaml", okScenario)
	endpoint := "http://127.0.0.1:1/vnfm_notification/v1/notifications"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help", []string{"--help"}, exitPass, "", "--vnfm URL"},
		{"no --vnfm", nil, exitUsage, "", "--vnfm URL is required"},
		{"not a URL", []string{"--vnfm", "vnfm:9100"}, exitUsage, "", "is not an http(s) URL"},
		{"bad speed", []string{"--vnfm", endpoint, "--speed", "0"}, exitUsage, "", "--speed and --wait must be positive"},
		{"bad auth", []string{"--vnfm", endpoint, "--auth", "token"}, exitUsage, "", "escalator conform:"},
		{"stray argument", []string{"--vnfm", endpoint, "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{"nothing selected", []string{"--vnfm", endpoint, "--run", "NOPE-999"}, exitUsage, "", "no conformance case selected"},
		{"cases that are not cases", []string{"--vnfm", endpoint, "--cases", notCase}, exitUsage, "", "no conformance case selected"},
		{"list without a VNFM", []string{"--list", "--run", "^MNT-00[23]$"}, exitPass, "switchover-before-reply\nMNT-003", ""},
		{"list counts", []string{"--list", "--run", "^MNT-00[23]$"}, exitPass, "\n2 cases\n", ""},
		{"list nothing", []string{"--list", "--run", "NOPE-999"}, exitUsage, "", "no conformance case selected"},
		{"no VNFM ever subscribes", []string{"--vnfm", endpoint, "--listen", "127.0.0.1:0", "--wait", "300ms", "--no-db", "--run", "SUB-001"}, exitHarness,
			"Configure the VNFM under test with:", "no VNFM subscribed as \"vnfm-1\" within 300ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"conform"}, tc.args...), &stdout, &stderr)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			require.Contains(t, stdout.String(), tc.stdout)
			require.Contains(t, stderr.String(), tc.stderr)
			require.NotContains(t, stderr.String(), "goroutine ", "no stack trace reaches the user")
		})
	}
}

// TestConformRefusedSubscription: a VNFM whose endpoint fails the VIM's
// GET test never gets its subscription; the run fails (exit 1) and says
// what the VIM answered, rather than that nobody came.
func TestConformRefusedSubscription(t *testing.T) {
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
	defer endpoint.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(context.Background(), []string{"conform", "--vnfm", endpoint.URL + "/notifications", "--listen", addr, "--wait", "2s", "--no-db", "--run", "SUB-001"}, &stdout, &stderr)
	}()
	body := `{"vnfmId": "vnfm-1", "callbackUri": "` + endpoint.URL + `/notifications"}`
	var status int
	require.Eventually(t, func() bool {
		status = subscribeTo(addr, body)
		return status != 0 && status != http.StatusServiceUnavailable
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	code := <-done
	require.Equal(t, exitFailed, code, stderr.String())
	require.Contains(t, stderr.String(), "the VIM refused 1 attempt(s): GET "+endpoint.URL+"/notifications answered 404, want 204")
}

// TestConformNamesTheNotificationPath: given only the VNFM's base URL, the
// probes meet 404, and the run ends with one line that says so and names
// the path the spec defines for the notification endpoint. A URL that
// already ends in that path gets no such suggestion.
func TestConformNamesTheNotificationPath(t *testing.T) {
	const path = "/vnfm_notification/v1/notifications"
	require.Equal(t, path, notificationPath(), "the path the VNFM notification spec defines")
	// A VNFM that serves its endpoint where the spec says, and 404 at any
	// other path. It acknowledges notifications but never replies: the
	// F2 case goes on at each reply timeout.
	vnfm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Version", "1.0.0")
		problem := func(status int, title string) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"title":%q,"status":%d,"detail":"%s %s"}`, title, status, r.Method, r.URL.Path)
		}
		switch {
		case r.URL.Path != path:
			problem(http.StatusNotFound, "Not Found")
		case r.Method != http.MethodGet && r.Method != http.MethodPost:
			w.Header().Set("Allow", "GET, POST")
			problem(http.StatusMethodNotAllowed, "Method Not Allowed")
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer vnfm.Close()

	for _, tc := range []struct {
		name, target, hint string
	}{
		{"base URL", vnfm.URL, "escalator conform: the VNFM answered 404 Not Found at " + vnfm.URL +
			": no notification endpoint there; the spec defines it at " + path + " under the VNFM's root, so try --vnfm " + vnfm.URL + path + "\n"},
		{"base URL with a slash", vnfm.URL + "/", "so try --vnfm " + vnfm.URL + path + "\n"},
		{"the right URL", vnfm.URL + path, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			require.NoError(t, ln.Close())
			var stdout, stderr bytes.Buffer
			done := make(chan int)
			go func() {
				done <- run(context.Background(), []string{"conform", "--vnfm", tc.target, "--listen", addr, "--wait", "5s",
					"--speed", "600", "--settle", "0s", "--reply-timeout", "200ms", "--no-db", "--run", "NEP-001"}, &stdout, &stderr)
			}()
			body := `{"vnfmId": "vnfm-1", "callbackUri": "` + vnfm.URL + path + `"}`
			require.Eventually(t, func() bool { return subscribeTo(addr, body) == http.StatusCreated },
				5*time.Second, 20*time.Millisecond)
			code := <-done
			if tc.hint == "" {
				require.Equal(t, exitPass, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
				require.NotContains(t, stderr.String(), "404")
				return
			}
			require.Equal(t, exitFailed, code, stderr.String())
			require.Contains(t, stderr.String(), tc.hint)
			require.Equal(t, 1, strings.Count(stderr.String(), "404 Not Found"), "one line says it")
		})
	}
}

// subscribeTo posts a subscription to the VIM listening at addr and
// returns the status it answered, 0 when it could not be reached (not
// listening yet).
func subscribeTo(addr, body string) int {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/vim_maintenance/v1/subscriptions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Version", "1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
