package vimhttp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/sim/vnfhttp"
)

// The API probes of issue 17: hostile or broken requests sent over a real
// socket to the VIM (and the VNF control API beside it), each answered
// with the right status and a ProblemDetails (Version, status, title,
// detail), within time and memory bounds, and the server still serving
// afterwards.

// probeLimits are the servers' limits with timeouts short enough to watch.
var probeLimits = func() edge.Limits {
	l := edge.DefaultLimits
	l.ReadHeaderTimeout, l.ReadTimeout = 300*time.Millisecond, 500*time.Millisecond
	return l
}()

// bounds of any one probe: wall time (generous: the machine may be
// loaded) and bytes allocated by the whole process meanwhile.
const (
	probeTime  = 5 * time.Second
	probeAlloc = 48 << 20
)

// problemOf decodes and checks a ProblemDetails answer.
func problemOf(t *testing.T, resp *http.Response, body []byte, status int, detail string) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, string(body))
	require.Equal(t, edge.MediaProblem, resp.Header.Get("Content-Type"), string(body))
	require.Equal(t, edge.APIVersion, resp.Header.Get(edge.HeaderVersion))
	var p edge.Problem
	require.NoError(t, json.Unmarshal(body, &p), string(body))
	require.Equal(t, status, p.Status)
	require.Equal(t, http.StatusText(status), p.Title)
	require.Contains(t, p.Detail, detail)
	require.Less(t, len(body), 4<<10, "a ProblemDetails does not echo the request back")
}

// measured runs fn and fails when it took longer or allocated more than a
// probe may.
func measured(t *testing.T, fn func()) {
	t.Helper()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	fn()
	took := time.Since(start)
	runtime.ReadMemStats(&m1)
	require.Less(t, took, probeTime)
	require.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(probeAlloc), "allocated %d MiB", (m1.TotalAlloc-m0.TotalAlloc)>>20)
}

// stillServes checks the server answers an ordinary request.
func stillServes(t *testing.T, root string) {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, root+vimhttp.Base+"/subscriptions", nil)
	require.NoError(t, err)
	r.Header.Set(edge.HeaderVersion, edge.APIVersion)
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func nested(open, inner, close string, depth int) string {
	return strings.Repeat(open, depth) + inner + strings.Repeat(close, depth)
}

func TestAPIProbes(t *testing.T) {
	sub := `{"vnfmId":"v","callbackUri":"http://127.0.0.1:1/cb"}`
	tests := []struct {
		name        string
		method      string
		path        string // under the VIM API unless it starts with /vnf_control
		contentType string
		body        io.Reader
		length      int64 // Content-Length; -1: chunked
		header      http.Header
		status      int
		detail      string
	}{
		{name: "oversized body, declared", method: "POST", path: "/subscriptions", contentType: "application/json",
			body: strings.NewReader(`{"vnfmId":"` + strings.Repeat("v", 2<<20) + `"}`), length: 2<<20 + 13,
			status: 413, detail: "exceeds this API's limit of 1 MiB"},
		{name: "oversized body, chunked (8 MiB streamed)", method: "POST", path: "/subscriptions", contentType: "application/json",
			body: io.MultiReader(strings.NewReader(`{"vnfmId":"`), io.LimitReader(filler('v'), 8<<20)), length: -1,
			status: 413, detail: "exceeds this API's limit of 1 MiB"},
		{name: "oversized body on the VNF control API (64 KiB cap)", method: "POST", path: vnfhttp.Base + "/vnfs/mme/switchover", contentType: "application/json",
			body: strings.NewReader(`{"targetInstanceId":"` + strings.Repeat("i", 100<<10) + `"}`), length: -1,
			status: 413, detail: "exceeds this API's limit of 64 KiB"},
		{name: "wrong content type", method: "POST", path: "/subscriptions", contentType: "text/plain",
			body: strings.NewReader(sub), status: 400, detail: `Content-Type has unexpected value "text/plain"`},
		{name: "no content type", method: "POST", path: "/subscriptions",
			body: strings.NewReader(sub), status: 400, detail: "Content-Type"},
		{name: "form instead of JSON", method: "POST", path: "/subscriptions", contentType: "application/x-www-form-urlencoded",
			body: strings.NewReader("vnfmId=v&callbackUri=http://127.0.0.1:1/cb"), status: 400, detail: "Content-Type"},
		{name: "arrays nested 20,000 deep", method: "POST", path: "/subscriptions", contentType: "application/json",
			body: strings.NewReader(nested("[", "", "]", 20000)), status: 400, detail: "not a single well-formed JSON value"},
		{name: "objects nested 5,000 deep", method: "POST", path: "/subscriptions", contentType: "application/json",
			body: strings.NewReader(nested(`{"a":`, "1", "}", 5000)), status: 400, detail: `property "vnfmId" is missing`},
		{name: "malformed JSON", method: "POST", path: "/subscriptions", contentType: "application/json",
			body: strings.NewReader(`{"vnfmId": "v", `), status: 400, detail: "not a single well-formed JSON value"},
		{name: "two JSON values", method: "POST", path: "/subscriptions", contentType: "application/json",
			body: strings.NewReader(sub + sub), status: 400, detail: "not a single well-formed JSON value"},
		{name: "invalid UTF-8", method: "POST", path: "/subscriptions", contentType: "application/json",
			body: strings.NewReader("{\"vnfmId\":\"\xff\xfe\",\"callbackUri\":\"http://127.0.0.1:1/cb\"}"), status: 400, detail: "not valid UTF-8"},
		{name: "unknown subscription id", method: "GET", path: "/subscriptions/no-such-subscription",
			status: 404, detail: `no subscription "no-such-subscription"`},
		{name: "delete an unknown subscription", method: "DELETE", path: "/subscriptions/0b5e3a54-0000-4000-8000-000000000000",
			status: 404, detail: "no subscription"},
		{name: "subscription id with an escaped path", method: "GET", path: "/subscriptions/..%2F..%2Fupgrade_sessions",
			status: 404, detail: "no subscription"},
		{name: "reply to an unknown session", method: "POST", path: "/upgrade_sessions/nope/replies", contentType: "application/json",
			body: strings.NewReader(`{"notificationId":"n","vnfmId":"v","reply":"ACK_PLANNED_MAINTENANCE"}`), status: 404, detail: `no upgrade session "nope"`},
		{name: "a filter of 3,000 terms", method: "GET", path: "/subscriptions?filter=" + strings.Repeat("(eq,vnfmId,x);", 3000) + "(eq,vnfmId,x)",
			status: 200},
		{name: "an unknown filter operator", method: "GET", path: "/subscriptions?filter=(gt,vnfmId,x)",
			status: 400, detail: `filter operator "gt" is not supported`},
	}
	_, root := served(t, probeLimits)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := root + vimhttp.Base + tc.path
			if strings.HasPrefix(tc.path, vnfhttp.Base) {
				url = root + tc.path
			}
			var body io.Reader = http.NoBody
			if tc.body != nil {
				body = io.NopCloser(tc.body) // hides the length: Content-Length is the test's choice
			}
			r, err := http.NewRequest(tc.method, url, body)
			require.NoError(t, err)
			if tc.body != nil {
				r.ContentLength = tc.length
				if tc.length == 0 {
					b, _ := io.ReadAll(tc.body)
					r.Body, r.ContentLength = io.NopCloser(strings.NewReader(string(b))), int64(len(b))
				}
			}
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			r.Header.Set(edge.HeaderVersion, edge.APIVersion)
			measured(t, func() {
				resp, err := http.DefaultClient.Do(r)
				require.NoError(t, err)
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if tc.status == http.StatusOK {
					require.Equal(t, tc.status, resp.StatusCode, string(got))
					return
				}
				problemOf(t, resp, got, tc.status, tc.detail)
			})
			stillServes(t, root)
		})
	}
}

// Headers past the cap are refused by net/http with 431 before any handler
// runs (so without ProblemDetails, which no handler of ours wrote); the
// server reads no more than the cap and serves on.
func TestProbeHugeHeaders(t *testing.T) {
	_, root := served(t, probeLimits)
	r, err := http.NewRequest(http.MethodGet, root+vimhttp.Base+"/subscriptions", nil)
	require.NoError(t, err)
	r.Header.Set(edge.HeaderVersion, edge.APIVersion)
	r.Header.Set("X-Probe", strings.Repeat("h", 1<<20))
	measured(t, func() {
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	})
	stillServes(t, root)
}

// A body that arrives too slowly is cut off at the read timeout with 408.
func TestProbeSlowBody(t *testing.T) {
	_, root := served(t, probeLimits)
	var resp *http.Response
	var body string
	measured(t, func() {
		resp, body = rawRequest(t, root, "POST "+vimhttp.Base+"/subscriptions HTTP/1.1\r\nHost: vim\r\nVersion: 1.0.0\r\n"+
			"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"vnfmId\":")
	})
	problemOf(t, resp, []byte(body), http.StatusRequestTimeout, "read timeout")
	stillServes(t, root)
}

// Headers that never end are cut off at the header timeout: the server
// closes the connection.
func TestProbeSlowHeaders(t *testing.T) {
	_, root := served(t, probeLimits)
	conn, err := net.Dial("tcp", strings.TrimPrefix(root, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET "+vimhttp.Base+"/subscriptions HTTP/1.1\r\nHost: vim\r\nVersi")
	require.NoError(t, err)
	measured(t, func() {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(probeTime)))
		got, err := io.ReadAll(conn)
		var ne net.Error
		if e, ok := err.(net.Error); ok {
			ne = e
		}
		require.False(t, ne != nil && ne.Timeout(), "the connection is still open after %s", probeTime)
		require.NotContains(t, string(got), "200 OK")
	})
	stillServes(t, root)
}

// Past the concurrency bound the VIM answers 503 with Retry-After at once.
// The requests held in flight are subscriptions whose callback test the
// subscriber holds up.
func TestProbeTooManyConcurrentRequests(t *testing.T) {
	l := probeLimits
	l.MaxConcurrent = 2
	_, root := served(t, l)
	entered, release := make(chan struct{}), make(chan struct{})
	// The subscriber's endpoint holds each callback test until released.
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
		w.Header().Set(edge.HeaderVersion, edge.APIVersion)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer endpoint.Close()
	subscribeTo := func(path string) (int, error) {
		r, err := http.NewRequest(http.MethodPost, root+vimhttp.Base+"/subscriptions",
			strings.NewReader(fmt.Sprintf(`{"vnfmId":"v","callbackUri":%q}`, endpoint.URL+path)))
		if err != nil {
			return 0, err
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(edge.HeaderVersion, edge.APIVersion)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	held := make(chan int, 2)
	for i := range 2 {
		go func() {
			status, err := subscribeTo(fmt.Sprintf("/cb%d", i))
			if err != nil {
				status = -1
			}
			held <- status
		}()
		<-entered
	}
	measured(t, func() {
		r, err := http.NewRequest(http.MethodGet, root+vimhttp.Base+"/subscriptions", nil)
		require.NoError(t, err)
		r.Header.Set(edge.HeaderVersion, edge.APIVersion)
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		problemOf(t, resp, got, http.StatusServiceUnavailable, "at most 2 requests at a time")
		require.Equal(t, "1", resp.Header.Get("Retry-After"))
	})
	// One at a time: the held handlers then run the store's side one after
	// the other, as the loop would have them.
	for range 2 {
		release <- struct{}{}
		require.Equal(t, http.StatusCreated, <-held)
	}
	stillServes(t, root)
}
