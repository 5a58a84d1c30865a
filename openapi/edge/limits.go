package edge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// Limits bound what one server spends on its callers, so that no caller,
// hostile or broken, can take its memory, its connections or the event
// loop behind it. Every server escalator ships is built with NewServer and
// serves its APIs behind LimitBody with the cap its spec declares; this is
// the one place those limits live (docs/ARCHITECTURE.md, "Limits").
type Limits struct {
	// MaxBody is the server-wide ceiling on a request body in bytes, a
	// backstop for handlers not behind a per-API LimitBody (the demo's
	// dashboard). 0: none.
	MaxBody int64
	// MaxConcurrent is how many requests the server handles at once; the
	// next is answered 503 with Retry-After rather than queued, so a flood
	// costs a ProblemDetails each and never piles up goroutines waiting on
	// the event loop. 0: no bound.
	MaxConcurrent int
	// RetryAfter is what a 503 tells the caller to wait.
	RetryAfter time.Duration
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the
	// whole request with its body (a slow-body caller is cut off),
	// WriteTimeout the handler and its answer, IdleTimeout a keep-alive
	// connection waiting for its next request.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers; net/http answers
	// a larger one with 431 itself, before any handler runs.
	MaxHeaderBytes int
}

// DefaultLimits are the limits of every server escalator ships. WriteTimeout
// leaves room for the VIM's 10 s test of a new subscriber's callbackUri,
// which runs inside the subscribing request.
var DefaultLimits = Limits{
	MaxBody:           DefaultMaxBody,
	MaxConcurrent:     64,
	RetryAfter:        time.Second,
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    64 << 10,
}

// DefaultMaxBody caps a request body when the spec declares no cap of its
// own (x-max-body-bytes).
const DefaultMaxBody = 1 << 20

// ExtMaxBody is the spec extension, in a spec's info, that declares the
// largest request body its operations take, in bytes.
const ExtMaxBody = "x-max-body-bytes"

// NewServer returns an http.Server serving h within l: its timeouts and
// header cap, and h behind l.Handler.
func NewServer(h http.Handler, l Limits) *http.Server {
	return &http.Server{
		Handler:           l.Handler(h),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// Handler puts h behind the concurrency bound and the server-wide body
// ceiling.
func (l Limits) Handler(h http.Handler) http.Handler {
	var slots chan struct{}
	if l.MaxConcurrent > 0 {
		slots = make(chan struct{}, l.MaxConcurrent)
	}
	retry := strconv.Itoa(max(1, int(math.Ceil(l.RetryAfter.Seconds()))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slots != nil {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			default:
				w.Header().Set("Retry-After", retry)
				WriteProblem(w, http.StatusServiceUnavailable,
					fmt.Sprintf("the server is busy: it handles at most %d requests at a time; retry after %s s", l.MaxConcurrent, retry))
				return
			}
		}
		if l.MaxBody > 0 {
			if r.ContentLength > l.MaxBody {
				tooLarge(w, l.MaxBody)
				return
			}
			// Lazy: a handler that reads more than the ceiling gets an
			// error, and the connection is closed after the answer.
			r.Body = http.MaxBytesReader(w, r.Body, l.MaxBody)
		}
		h.ServeHTTP(w, r)
	})
}

// LimitBody is echo middleware that caps a request's body at max bytes
// before anything reads it: a declared Content-Length above the cap is
// answered 413 without reading a byte, and any other body is read up to
// one byte past the cap, so at most max+1 bytes are ever held. What
// passes is handed on in memory, so the validator and the handler read it
// as before. A body still arriving when the server's ReadTimeout ends is
// answered 408. Mount it first, in front of anything that reads the body.
func LimitBody(max int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if capBody(c.Response(), c.Request(), max) {
				return next(c)
			}
			return nil
		}
	}
}

// capBody enforces the cap on r and answers when it refuses; it reports
// whether the request may go on.
func capBody(w http.ResponseWriter, r *http.Request, max int64) bool {
	if r.ContentLength > max {
		tooLarge(w, max)
		return false
	}
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		// A server-wide ceiling below this API's cap spoke first.
		tooLarge(w, tooBig.Limit)
		return false
	case errors.Is(err, os.ErrDeadlineExceeded):
		WriteProblem(w, http.StatusRequestTimeout, "the request body did not arrive within the server's read timeout")
		return false
	case err != nil:
		WriteProblem(w, http.StatusBadRequest, "cannot read the request body: "+err.Error())
		return false
	case int64(len(body)) > max:
		tooLarge(w, max)
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

func tooLarge(w http.ResponseWriter, max int64) {
	// The rest of the body is never read: have net/http close the
	// connection rather than drain it.
	w.Header().Set("Connection", "close")
	WriteProblem(w, http.StatusRequestEntityTooLarge,
		fmt.Sprintf("the request body exceeds this API's limit of %s (%d bytes)", size(max), max))
}

// size writes a byte count the way the specs document it.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
