package vimhttp_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/scenarios"
)

// served puts a virtual testbed's handler (the VIM maintenance and VNF
// control APIs) on a loopback socket behind the servers' limits.
func served(t *testing.T, l edge.Limits) (*scenarios.Testbed, string) {
	t.Helper()
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := edge.NewServer(tb.Handler, l)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return tb, "http://" + ln.Addr().String()
}

// filler yields an endless run of one byte without holding it: the test
// streams its 100 MB rather than keeping them in memory.
type filler byte

func (f filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}

// peakRSS resets the process's peak resident set size (Linux
// /proc/self/clear_refs, "5") and returns a function reading how far it
// rose since; ok is false where /proc cannot do that.
func peakRSS(t *testing.T) (rise func() int64, ok bool) {
	t.Helper()
	read := func(field string) int64 {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return -1
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, found := strings.CutPrefix(line, field+":"); found {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				return kb << 10
			}
		}
		return -1
	}
	if os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) != nil || read("VmHWM") < 0 {
		return nil, false
	}
	before := read("VmRSS")
	return func() int64 { return read("VmHWM") - before }, true
}

// The reproducer of issue 17: one 100 MB POST to the subscriptions took
// the VIM from 30 MB to about 1 GB, because the validator read it whole.
// Now it is answered 413 after at most the API's cap has been read, the
// process's memory hardly moves, and the server goes on answering.
func TestHundredMegabytePostIsRefusedInBoundedMemory(t *testing.T) {
	const size = 100 << 20
	const bound = 64 << 20
	for _, declared := range []bool{false, true} {
		t.Run("Content-Length declared "+strconv.FormatBool(declared), func(t *testing.T) {
			_, root := served(t, edge.DefaultLimits)
			body := io.MultiReader(strings.NewReader(`{"vnfmId":"`), io.LimitReader(filler('x'), size))
			req, err := http.NewRequest(http.MethodPost, root+vimhttp.Base+"/subscriptions", io.NopCloser(body))
			require.NoError(t, err)
			req.ContentLength = -1 // chunked: only reading tells the size
			if declared {
				req.ContentLength = size + int64(len(`{"vnfmId":"`))
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(edge.HeaderVersion, edge.APIVersion)

			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			rise, haveRSS := peakRSS(t)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			runtime.ReadMemStats(&m1)

			require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(got))
			requireProblem(t, resp2(resp, got), http.StatusRequestEntityTooLarge, "exceeds this API's limit of 1 MiB")
			allocated := int64(m1.TotalAlloc - m0.TotalAlloc)
			t.Logf("allocated %d KiB while refusing %d MiB", allocated>>10, size>>20)
			require.Less(t, allocated, int64(bound), "the server (and this test's client) allocated %d MiB", allocated>>20)
			if haveRSS {
				t.Logf("peak RSS rose by %d KiB", rise()>>10)
				require.Less(t, rise(), int64(bound), "peak RSS rose by %d MiB", rise()>>20)
			}

			// Still serving, on a fresh connection.
			after, err := http.NewRequest(http.MethodGet, root+vimhttp.Base+"/api_versions", nil)
			require.NoError(t, err)
			r2, err := http.DefaultClient.Do(after)
			require.NoError(t, err)
			r2.Body.Close()
			require.Equal(t, http.StatusOK, r2.StatusCode)
		})
	}
}

func resp2(r *http.Response, body []byte) resp {
	return resp{Status: r.StatusCode, Header: r.Header, Body: string(body)}
}

// A raw request line for the probes that need to misbehave below net/http.
func rawRequest(t *testing.T, root, text string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(root, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, text)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}
