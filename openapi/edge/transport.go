package edge

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// InProcess is an http.RoundTripper that hands each request to the handler
// registered for its host, with no socket: the request and response are
// still real HTTP messages with real JSON bodies, and the same middleware
// (Version, validation, auth) runs, but the call completes synchronously
// on the caller's goroutine, which keeps virtual-time runs deterministic.
type InProcess struct {
	mu       sync.RWMutex
	handlers map[string]http.Handler
}

// NewInProcess returns a transport with no hosts.
func NewInProcess() *InProcess { return &InProcess{handlers: map[string]http.Handler{}} }

// Handle serves host (as in a URL: "vim.local", "127.0.0.1:9000") with h;
// a nil h takes the host off the wire, so calls to it are refused as by a
// crashed server.
func (t *InProcess) Handle(host string, h http.Handler) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h == nil {
		delete(t.handlers, host)
		return
	}
	t.handlers[host] = h
}

// RoundTrip implements http.RoundTripper.
func (t *InProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.RLock()
	h := t.handlers[req.URL.Host]
	t.mu.RUnlock()
	if h == nil {
		return nil, &net404{host: req.URL.Host}
	}
	// The server side must see what a network server sees: a body it owns
	// and the request URI.
	body, err := takeBody(req)
	if err != nil {
		return nil, err
	}
	in := req.Clone(req.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "in-process"
	w := &responseWriter{header: http.Header{}}
	h.ServeHTTP(w, in)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status: http.StatusText(w.status), StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: io.NopCloser(bytes.NewReader(w.body.Bytes())), ContentLength: int64(w.body.Len()), Request: req,
	}, nil
}

// takeBody reads a request's body and leaves a fresh reader of the same
// bytes in its place, so the body can be read again downstream.
func takeBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

type net404 struct{ host string }

func (e *net404) Error() string {
	return "in-process transport: no server at " + e.host + " (connection refused)"
}

type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// Checked is an http.RoundTripper for our clients: it validates every
// outgoing request and every response that comes back against the spec
// of the API called, and reports breaches through OnViolation. The
// exchange itself is not altered.
type Checked struct {
	Specs       []*Spec
	Next        http.RoundTripper
	OnViolation func(Violation)
}

func (t *Checked) spec(r *http.Request) *Spec {
	for _, s := range t.Specs {
		if _, _, ok := s.Route(r.Method, r.URL.Path); ok {
			return s
		}
	}
	return nil
}

// RoundTrip implements http.RoundTripper.
func (t *Checked) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := takeBody(req)
	if err != nil {
		return nil, err
	}
	s := t.spec(req)
	if s == nil {
		t.OnViolation(Violation{Spec: "client", Message: "request", Method: req.Method, Path: req.URL.Path, Detail: "no API operation matches this request"})
	} else if problems, _ := s.CheckRequest(req, body); len(problems) > 0 {
		t.OnViolation(Violation{Spec: s.title(), Message: "request", Method: req.Method, Path: req.URL.Path, Detail: strings.Join(problems, "; ")})
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := t.Next.RoundTrip(req)
	if err != nil || s == nil {
		return resp, err
	}
	rbody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rbody))
	if problems := s.CheckResponse(req, body, resp.StatusCode, resp.Header, rbody); len(problems) > 0 {
		t.OnViolation(Violation{Spec: s.title(), Message: "response", Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Detail: strings.Join(problems, "; ")})
	}
	return resp, nil
}

// Caller sends requests for code that runs on the event loop and must get
// its answers there too. With Sync (in-process transport, virtual time) the
// call completes at once; otherwise it runs on its own goroutine so a slow
// or re-entrant peer never blocks the loop. Either way done runs through
// Post, as its own loop event.
type Caller struct {
	Client *http.Client
	Sync   bool
	Post   func(func())
}

// Do sends req and calls done with the status, headers and body.
func (c *Caller) Do(req *http.Request, done func(resp *http.Response, body []byte, err error)) {
	run := func() {
		resp, err := c.Client.Do(req)
		var body []byte
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		c.Post(func() { done(resp, body, err) })
	}
	if c.Sync {
		run()
		return
	}
	go run()
}

// OnLoop is echo middleware that runs the handler through exec: directly
// when the server is called in-process from the loop, or posted to the loop
// and waited for when a network server calls it on its own goroutine.
func OnLoop(exec func(func())) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var err error
			exec(func() { err = next(c) })
			return err
		}
	}
}
