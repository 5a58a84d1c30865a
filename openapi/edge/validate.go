package edge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/escalator-testbed/escalator/openapi"
)

// Violation is one message that broke its spec.
type Violation struct {
	Spec    string // the spec's title
	Message string // "request" or "response"
	Method  string
	Path    string
	Status  int // the response status, 0 for a request
	Detail  string
}

func (v Violation) String() string {
	s := fmt.Sprintf("%s %s %s", v.Method, v.Path, v.Message)
	if v.Status != 0 {
		s += fmt.Sprintf(" %d", v.Status)
	}
	return s + ": " + v.Detail
}

// Spec is a loaded OpenAPI document with its base path, able to find the
// operation behind a request.
type Spec struct {
	Doc  *openapi3.T
	Base string // path prefix the spec's paths hang under, e.g. /vim_maintenance/v1
	// AnyPath matches requests by method alone when the spec has a single
	// path: a VNFM serves its notification endpoint wherever its
	// callbackUri says.
	AnyPath bool
	// MaxBody is the largest request body the API takes, in bytes: the
	// spec's info.x-max-body-bytes, else DefaultMaxBody.
	MaxBody int64
	paths   []string
	// segs are paths split at "/", once: splitting every template for
	// every request was 7% of a large run's CPU (bench/PROFILE.md).
	segs [][]string
	// memo remembers what validating a message found.
	memo memo
}

// memo remembers the outcome of validating a message, by a digest of
// everything the outcome depends on (the request's method, URL, headers
// and body, and for a response its status, headers and body). Validation
// is a pure function of those, so a message met again (the response the
// server checked and the client then checks, a VNF read twice unchanged)
// is still checked: its outcome is looked up instead of recomputed.
// Validation was most of a large run's CPU (bench/PROFILE.md). Bounded:
// it forgets everything when full.
type memo struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte][]string
}

// memoSize bounds a spec's memo; a digest and its few lines are ~100 bytes.
const memoSize = 1 << 14

func (m *memo) get(k [sha256.Size]byte) ([]string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.m[k]
	return p, ok
}

func (m *memo) put(k [sha256.Size]byte, problems []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil || len(m.m) >= memoSize {
		m.m = map[[sha256.Size]byte][]string{}
	}
	m.m[k] = problems
}

// digest is the memo's key of a request (status 0, no response) or of a
// response with its request.
func digest(r *http.Request, reqBody []byte, status int, h http.Header, body []byte) [sha256.Size]byte {
	d := sha256.New()
	field := func(s string) {
		_, _ = io.WriteString(d, s)
		d.Write([]byte{0})
	}
	header := func(h http.Header) {
		for _, k := range slices.Sorted(maps.Keys(h)) {
			field(k)
			for _, v := range h[k] {
				field(v)
			}
		}
		d.Write([]byte{1})
	}
	field(r.Method)
	field(r.URL.RequestURI()) // the host is not validated: client and server share outcomes
	header(r.Header)
	field(strconv.Itoa(len(reqBody)))
	d.Write(reqBody)
	field(strconv.Itoa(status))
	if status != 0 {
		header(h)
		field(strconv.Itoa(len(body)))
		d.Write(body)
	}
	var k [sha256.Size]byte
	d.Sum(k[:0])
	return k
}

// NewSpec prepares doc for matching requests under base.
func NewSpec(doc *openapi3.T, base string) *Spec {
	s := &Spec{Doc: doc, Base: strings.TrimSuffix(base, "/"), MaxBody: maxBodyOf(doc)}
	s.paths = doc.Paths.InMatchingOrder()
	for _, p := range s.paths {
		s.segs = append(s.segs, strings.Split(strings.Trim(p, "/"), "/"))
	}
	return s
}

// maxBodyOf reads the body cap a spec declares (ExtMaxBody in its info).
func maxBodyOf(doc *openapi3.T) int64 {
	if doc.Info != nil {
		switch v := doc.Info.Extensions[ExtMaxBody].(type) {
		case float64:
			if v >= 1 {
				return int64(v)
			}
		case int:
			if v >= 1 {
				return int64(v)
			}
		case json.Number:
			if n, err := v.Int64(); err == nil && n >= 1 {
				return n
			}
		}
	}
	return DefaultMaxBody
}

func (s *Spec) title() string {
	if s.Doc.Info != nil {
		return s.Doc.Info.Title
	}
	return "spec"
}

// Route finds the operation for a method and URL path.
func (s *Spec) Route(method, path string) (*routers.Route, map[string]string, bool) {
	if s.AnyPath && len(s.paths) == 1 {
		item := s.Doc.Paths.Value(s.paths[0])
		if op := item.GetOperation(method); op != nil {
			return &routers.Route{Spec: s.Doc, Path: s.paths[0], PathItem: item, Method: method, Operation: op}, map[string]string{}, true
		}
		return nil, nil, false
	}
	rel, ok := strings.CutPrefix(path, s.Base)
	if !ok {
		return nil, nil, false
	}
	if rel == "" {
		rel = "/"
	}
	ps := strings.Split(strings.Trim(rel, "/"), "/")
	for i, tmpl := range s.paths {
		params, ok := match(s.segs[i], ps)
		if !ok {
			continue
		}
		item := s.Doc.Paths.Value(tmpl)
		op := item.GetOperation(method)
		if op == nil {
			return nil, nil, false
		}
		return &routers.Route{Spec: s.Doc, Path: tmpl, PathItem: item, Method: method, Operation: op}, params, true
	}
	return nil, nil, false
}

// match matches a path's segments against a template's.
func match(ts, ps []string) (map[string]string, bool) {
	if len(ts) != len(ps) {
		return nil, false
	}
	for i, t := range ts {
		if !strings.HasPrefix(t, "{") && t != ps[i] {
			return nil, false
		}
	}
	params := map[string]string{}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if ps[i] == "" {
				return nil, false
			}
			params[t[1:len(t)-1]] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, false
		}
	}
	return params, true
}

var filterOptions = &openapi3filter.Options{
	MultiError: true,
	// Authentication is checked by the auth middleware, not the schema.
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
}

func (s *Spec) input(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, bool) {
	route, params, ok := s.Route(r.Method, r.URL.Path)
	if !ok {
		return nil, false
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: filterOptions}, true
}

// CheckRequest validates a request whose body has been read into body.
// ok is false when the spec has no such operation (the caller answers 404
// or 405).
func (s *Spec) CheckRequest(r *http.Request, body []byte) (problems []string, ok bool) {
	if _, _, ok := s.Route(r.Method, r.URL.Path); !ok {
		return nil, false
	}
	k := digest(r, body, 0, nil, nil)
	if p, hit := s.memo.get(k); hit {
		return p, true
	}
	in, ok := s.input(r, body)
	if !ok {
		return nil, false
	}
	problems = flatten(openapi3filter.ValidateRequest(context.Background(), in))
	s.memo.put(k, problems)
	return problems, true
}

// CheckResponse validates the response to a request.
func (s *Spec) CheckResponse(r *http.Request, reqBody []byte, status int, h http.Header, body []byte) []string {
	k := digest(r, reqBody, status, h, body)
	if p, hit := s.memo.get(k); hit {
		return p
	}
	in, ok := s.input(r, reqBody)
	if !ok {
		return []string{fmt.Sprintf("no operation %s %s in the spec", r.Method, r.URL.Path)}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: h, Options: filterOptions}
	out.SetBodyBytes(body)
	problems := flatten(openapi3filter.ValidateResponse(context.Background(), out))
	s.memo.put(k, problems)
	return problems
}

// flatten turns kin-openapi's nested errors into one readable line each.
func flatten(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var walk func(error)
	walk = func(err error) {
		// A RequestError first: it unwraps to its own MultiError, and
		// only it knows which parameter the errors are about.
		var re *openapi3filter.RequestError
		if errors.As(err, &re) {
			if multi, ok := err.(openapi3.MultiError); ok {
				for _, e := range multi {
					walk(e)
				}
				return
			}
			var inner openapi3.MultiError
			if errors.As(re.Err, &inner) {
				for _, e := range inner {
					out = append(out, describe(re, e))
				}
				return
			}
			out = append(out, describe(re, re.Err))
			return
		}
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			out = append(out, schemaLine(se))
			return
		}
		out = append(out, oneLine(err.Error()))
	}
	walk(err)
	sort.Strings(out)
	return slices.Compact(out)
}

func describe(re *openapi3filter.RequestError, err error) string {
	where := "body"
	if re.Parameter != nil {
		where = re.Parameter.In + " parameter " + re.Parameter.Name
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return where + ": " + schemaLine(se)
	}
	if err == nil {
		return where + ": " + oneLine(re.Reason)
	}
	return where + ": " + oneLine(err.Error())
}

func schemaLine(se *openapi3.SchemaError) string {
	path := strings.Join(se.JSONPointer(), ".")
	if path == "" {
		return oneLine(se.Reason)
	}
	return path + ": " + oneLine(se.Reason)
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// Validator is echo middleware that validates each request before its
// handler (400 ProblemDetails listing what is wrong) and each response
// after it. A response that breaks the spec is still sent, so a client sees
// what the server did, and is reported through onViolation.
func Validator(s *Spec, onViolation func(Violation)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			body, err := io.ReadAll(r.Body)
			if err != nil {
				WriteProblem(c.Response(), http.StatusBadRequest, "cannot read the request body: "+err.Error())
				return nil
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if strings.Contains(r.Header.Get("Content-Type"), "json") && !utf8.Valid(body) {
				// JSON is UTF-8 (RFC 8259 8.1); encoding/json would turn
				// the bad bytes into U+FFFD silently, and a VNFM id or a
				// reason would reach the trace altered.
				onViolation(Violation{Spec: s.title(), Message: "request", Method: r.Method, Path: r.URL.Path, Detail: "the body is not valid UTF-8"})
				WriteProblem(c.Response(), http.StatusBadRequest, "the body is not valid UTF-8")
				return nil
			}
			if len(bytes.TrimSpace(body)) > 0 && strings.Contains(r.Header.Get("Content-Type"), "json") && !json.Valid(body) {
				// One JSON value and nothing after it: a decoder that stops
				// at the first value would take "{...} }" as valid.
				onViolation(Violation{Spec: s.title(), Message: "request", Method: r.Method, Path: r.URL.Path, Detail: "the body is not a single well-formed JSON value"})
				WriteProblem(c.Response(), http.StatusBadRequest, "the body is not a single well-formed JSON value")
				return nil
			}
			problems, known := s.CheckRequest(r, body)
			if !known {
				return next(c) // echo answers 404 or 405
			}
			if len(problems) > 0 {
				onViolation(Violation{Spec: s.title(), Message: "request", Method: r.Method, Path: r.URL.Path, Detail: strings.Join(problems, "; ")})
				WriteProblem(c.Response(), http.StatusBadRequest, "the request does not match the API: "+strings.Join(problems, "; "))
				return nil
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec := &recorder{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rec
			err = next(c)
			if err != nil {
				c.Error(err)
			}
			c.Response().Writer = rec.ResponseWriter
			if problems := s.CheckResponse(r, body, rec.status, c.Response().Header(), rec.body.Bytes()); len(problems) > 0 {
				onViolation(Violation{Spec: s.title(), Message: "response", Method: r.Method, Path: r.URL.Path, Status: rec.status, Detail: strings.Join(problems, "; ")})
			}
			rec.flush()
			return nil
		}
	}
}

// recorder holds a response back until it has been validated.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) { r.status = status }

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.ResponseWriter.WriteHeader(r.status)
	_, _ = r.ResponseWriter.Write(r.body.Bytes())
}

// Load returns one of our specs ready to match requests: "vim-maintenance",
// "vnf-control" or "vnfm-notification" (matched on any path, since a VNFM
// serves it wherever its callbackUri says).
func Load(name string) (*Spec, error) {
	doc, err := openapi.Load(name)
	if err != nil {
		return nil, err
	}
	s := NewSpec(doc, openapi.BasePath(name))
	s.AnyPath = name == openapi.VNFMNotification
	return s, nil
}
