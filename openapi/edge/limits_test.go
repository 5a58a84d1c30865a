package edge

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/openapi"
)

// Each spec declares its body cap, and Load hands it to the edge.
func TestSpecsDeclareTheirBodyCap(t *testing.T) {
	for name, want := range map[string]int64{
		openapi.VIMMaintenance:   1 << 20,
		openapi.VNFMNotification: 1 << 20,
		openapi.VNFControl:       64 << 10,
	} {
		s, err := Load(name)
		require.NoError(t, err)
		require.Equal(t, want, s.MaxBody, name)
	}
	require.Equal(t, int64(DefaultMaxBody), loadPets(t).MaxBody, "a spec without x-max-body-bytes gets the default")
}

// requireProblemOf checks a ProblemDetails answer: media type, Version,
// status in the body equal to the status line, the title, the detail.
func requireProblemOf(t *testing.T, status int, h http.Header, body []byte, detail string) Problem {
	t.Helper()
	require.Equal(t, MediaProblem, h.Get("Content-Type"), string(body))
	require.Equal(t, APIVersion, h.Get(HeaderVersion))
	var p Problem
	require.NoError(t, json.Unmarshal(body, &p), string(body))
	require.Equal(t, status, p.Status)
	require.Equal(t, http.StatusText(status), p.Title)
	require.Contains(t, p.Detail, detail)
	return p
}

// capped is the pets API behind NewEcho with a 1 KiB body cap; reads counts
// the bytes its handler got.
func capped(t *testing.T) *echo.Echo {
	t.Helper()
	spec := loadPets(t)
	spec.MaxBody = 1 << 10
	e := NewEcho(spec, Credential{}, func(Violation) {})
	e.PUT("/api/v1/pets/:petId", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	return e
}

// onlyReader hides a reader's type, so that net/http cannot learn its
// length and the body goes without Content-Length.
type onlyReader struct{ io.Reader }

func TestLimitBody(t *testing.T) {
	pet := func(pad int) string { return `{"name":"` + strings.Repeat("x", pad) + `"}` }
	tests := []struct {
		name     string
		body     string
		declared bool // Content-Length sent
		status   int
	}{
		{"small, declared", pet(10), true, http.StatusNoContent},
		{"exactly the cap", pet(1024 - len(pet(0))), true, http.StatusNoContent},
		{"one byte over, declared", pet(1025 - len(pet(0))), true, http.StatusRequestEntityTooLarge},
		{"one byte over, undeclared", pet(1025 - len(pet(0))), false, http.StatusRequestEntityTooLarge},
		{"far over, undeclared", pet(1 << 20), false, http.StatusRequestEntityTooLarge},
		{"small, undeclared", pet(10), false, http.StatusNoContent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, "/api/v1/pets/rex", nil)
			r.Body = io.NopCloser(strings.NewReader(tc.body))
			r.ContentLength = -1
			if tc.declared {
				r.ContentLength = int64(len(tc.body))
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(HeaderVersion, APIVersion)
			w := httptest.NewRecorder()
			capped(t).ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == http.StatusRequestEntityTooLarge {
				requireProblemOf(t, w.Code, w.Header(), w.Body.Bytes(), "exceeds this API's limit of 1 KiB (1024 bytes)")
				require.Equal(t, "close", w.Header().Get("Connection"))
			}
		})
	}
}

// serveLimited serves h behind NewServer(l) on a loopback port.
func serveLimited(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := NewServer(h, l)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// short are limits small enough for a test to see each of them act.
var short = Limits{MaxBody: 1 << 20, MaxConcurrent: 2, RetryAfter: 3 * time.Second,
	ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
	WriteTimeout: 5 * time.Second, IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10}

// rawAnswer reads what the server sends on conn until it closes it, or
// fails after bound: a server that keeps the connection open is the bug.
func rawAnswer(t *testing.T, conn net.Conn, bound time.Duration) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(start.Add(bound)))
	got, err := io.ReadAll(conn)
	took := time.Since(start)
	var ne net.Error
	if err != nil && (!isNetError(err, &ne) || ne.Timeout()) {
		t.Fatalf("the server kept the connection open for %s: %v (read %q)", bound, err, got)
	}
	return string(got), took
}

func isNetError(err error, ne *net.Error) bool {
	e, ok := err.(net.Error)
	if ok {
		*ne = e
	}
	// A reset after the answer is a close too.
	return ok || strings.Contains(err.Error(), "reset")
}

// A caller that sends its body slowly is cut off at ReadTimeout with a
// 408 ProblemDetails, and the connection is closed.
func TestSlowBodyIsCutOff(t *testing.T) {
	addr := serveLimited(t, capped(t), short)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "PUT /api/v1/pets/rex HTTP/1.1\r\nHost: x\r\nVersion: 1.0.0\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
	require.NoError(t, err)
	answer, took := rawAnswer(t, conn, 5*time.Second)
	require.Less(t, took, 3*time.Second, "cut off at the 300 ms read timeout, not held open")
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(answer)), nil)
	require.NoError(t, err, answer)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	requireProblemOf(t, resp.StatusCode, resp.Header, body, "read timeout")
}

// A caller that never finishes its headers is dropped at ReadHeaderTimeout.
func TestSlowHeadersAreCutOff(t *testing.T) {
	addr := serveLimited(t, capped(t), short)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "GET /api/v1/pets/rex HTTP/1.1\r\nHost: x\r\nVers")
	require.NoError(t, err)
	answer, took := rawAnswer(t, conn, 5*time.Second)
	require.Less(t, took, 3*time.Second, "dropped at the 200 ms header timeout")
	require.NotContains(t, answer, "200 OK")
}

// An idle keep-alive connection is closed at IdleTimeout.
func TestIdleConnectionIsClosed(t *testing.T) {
	addr := serveLimited(t, capped(t), short)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "GET /api/v1/pets/rex HTTP/1.1\r\nHost: x\r\nVersion: 1.0.0\r\n\r\n")
	require.NoError(t, err)
	answer, took := rawAnswer(t, conn, 5*time.Second)
	require.Less(t, took, 3*time.Second)
	require.Contains(t, answer, "HTTP/1.1 405", "one answer (no GET route here), then the idle connection is closed")
}

// Headers past MaxHeaderBytes are refused by net/http itself with 431
// before any handler (and so before any ProblemDetails) runs; the server
// reads no more than the cap and goes on serving.
func TestHugeHeadersAreRefused(t *testing.T) {
	addr := serveLimited(t, capped(t), short)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	go func() {
		_, _ = fmt.Fprintf(conn, "GET /api/v1/pets/rex HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 1<<20))
	}()
	answer, took := rawAnswer(t, conn, 5*time.Second)
	require.Less(t, took, 3*time.Second)
	require.Contains(t, answer, "431 Request Header Fields Too Large")
	resp, err := http.Get("http://" + addr + "/api/v1/pets/rex")
	require.NoError(t, err, "the server still answers")
	resp.Body.Close()
}

// Past MaxConcurrent requests in flight, the next is answered at once with
// 503, Retry-After and ProblemDetails; once one finishes, calls get in
// again.
func TestConcurrencyCap(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusNoContent)
	})
	addr := serveLimited(t, h, short)
	var wg sync.WaitGroup
	for range short.MaxConcurrent {
		wg.Go(func() {
			resp, err := http.Get("http://" + addr + "/hold")
			if err == nil {
				resp.Body.Close()
			}
		})
		<-entered
	}
	start := time.Now()
	resp, err := http.Get("http://" + addr + "/more")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Less(t, time.Since(start), 2*time.Second, "refused at once, not queued")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "3", resp.Header.Get("Retry-After"))
	requireProblemOf(t, resp.StatusCode, resp.Header, body, "at most 2 requests at a time")

	close(release)
	wg.Wait()
	resp, err = http.Get("http://" + addr + "/more")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "a slot is free again")
}

// The server-wide ceiling answers a declared oversized body 413 even for a
// handler with no cap of its own, and makes an undeclared one fail to read.
func TestServerWideBodyCeiling(t *testing.T) {
	var readErr error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	l := short
	l.MaxBody = 1 << 10
	addr := serveLimited(t, h, l)
	resp, err := http.Post("http://"+addr+"/x", "application/json", strings.NewReader(strings.Repeat("a", 2<<10)))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	requireProblemOf(t, resp.StatusCode, resp.Header, body, "1 KiB")

	resp, err = http.Post("http://"+addr+"/x", "application/json", onlyReader{strings.NewReader(strings.Repeat("a", 2<<10))})
	require.NoError(t, err)
	resp.Body.Close()
	var tooBig *http.MaxBytesError
	require.ErrorAs(t, readErr, &tooBig)
}
