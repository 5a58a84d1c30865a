package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi/edge"
)

// The faults the page can inject.
const (
	FaultVNFMSilent   = "vnfm-silent"   // the VNFM ignores its next maintenance notification
	FaultUpgradeFails = "upgrade-fails" // the next node's installation fails
)

// Fault is one fault the page offers.
type Fault struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Help  string `json:"help"`
}

// Faults are the faults the page offers, in its order.
var Faults = []Fault{
	{FaultVNFMSilent, "VNFM goes silent", "The VNFM ignores its next maintenance notification: watch the VIM wait for its deadline, then move the business itself."},
	{FaultUpgradeFails, "Fail next upgrade", "The next node's installation fails: watch the orchestrator stop and roll back."},
}

// Speeds are the speeds the page offers (the run's own is added if it is
// not among them).
var Speeds = []float64{1, 5, 10, 20, 50, 100, 200}

// Controller runs the demo: the page's buttons call it. Each method
// returns an *escalator.Error whose code says why it could not (a
// conflict: not in this state; invalid: a bad argument).
type Controller interface {
	Start() error
	Pause() error
	Resume() error
	SetSpeed(speed float64) error
	// Restart builds the named scenario (the current one when empty)
	// afresh with seed (its own seed when 0), ready to start.
	Restart(scenario string, seed int64) error
	Inject(fault string) error
}

// ScenarioInfo is one scenario the page can switch to.
type ScenarioInfo struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Flow        string  `json:"flow"`
	Seed        int64   `json:"seed"`
	Speed       float64 `json:"speed,omitempty"`
}

// Options configure the dashboard.
type Options struct {
	Hub       *Hub
	Control   Controller
	Scenarios []ScenarioInfo
	// KeepAlive is how often an idle event stream gets a comment line, so
	// proxies and browsers keep it open (default 15 s).
	KeepAlive time.Duration
	// OnWatch, when set, is called as each page starts following the run
	// (the demo starts its first run when someone watches).
	OnWatch func()
}

//go:embed web
var web embed.FS

// Handler returns the dashboard's server: the page and its assets, the
// configuration and state as JSON, the live event stream and the
// controls. Errors are ProblemDetails.
func Handler(o Options) *echo.Echo {
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = edge.ErrorHandler
	s := &server{Options: o}
	e.GET("/", s.asset("index.html"))
	e.GET("/static/:file", func(c echo.Context) error { return s.asset(c.Param("file"))(c) })
	api := e.Group("/api")
	api.GET("/config", s.config)
	api.GET("/state", s.state)
	api.GET("/events", s.events)
	post := func(path string, fn func(*request) error) { api.POST(path, s.do(fn), jsonOnly) }
	post("/start", func(_ *request) error { return o.Control.Start() })
	post("/pause", func(_ *request) error { return o.Control.Pause() })
	post("/resume", func(_ *request) error { return o.Control.Resume() })
	post("/speed", func(r *request) error {
		if r.Speed == nil || *r.Speed <= 0 || *r.Speed > 10000 {
			return escalator.Errorf(escalator.EINVALID, "speed must be a number above 0 and at most 10000")
		}
		return o.Control.SetSpeed(*r.Speed)
	})
	post("/restart", func(r *request) error {
		if r.Seed < 0 {
			return escalator.Errorf(escalator.EINVALID, "seed must not be negative")
		}
		return o.Control.Restart(r.Scenario, r.Seed)
	})
	post("/faults", func(r *request) error {
		for _, f := range Faults {
			if f.ID == r.Fault {
				return o.Control.Inject(r.Fault)
			}
		}
		return escalator.Errorf(escalator.EINVALID, "unknown fault %q (want %s or %s)", r.Fault, FaultVNFMSilent, FaultUpgradeFails)
	})
	return e
}

type server struct{ Options }

// request is the body every control accepts; each reads its own fields.
type request struct {
	Speed    *float64 `json:"speed"`
	Scenario string   `json:"scenario"`
	Seed     int64    `json:"seed"`
	Fault    string   `json:"fault"`
}

// jsonOnly refuses a control whose body is not JSON. Besides being the
// API's contract, it keeps other web pages from driving the demo: a
// browser sends a cross-site JSON POST only after a preflight this server
// never answers.
func jsonOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		if mt != echo.MIMEApplicationJSON {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the control as application/json")
		}
		return next(c)
	}
}

func (s *server) do(fn func(*request) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		var r request
		dec := json.NewDecoder(http.MaxBytesReader(c.Response(), c.Request().Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "the body is not a valid control: "+err.Error())
		}
		if err := fn(&r); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, s.Hub.Info())
	}
}

func (s *server) asset(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		data, err := fs.ReadFile(web, path.Join("web", path.Base(name)))
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = echo.MIMEOctetStream
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		// Everything the page needs comes from here: nothing is fetched
		// from the network, and the policy says so.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'")
		return c.Blob(http.StatusOK, ct, data)
	}
}

// Config is what the page needs to draw itself.
type Config struct {
	Lifelines []string          `json:"lifelines"`
	Steps     map[string][]Step `json:"steps"`
	Scenarios []ScenarioInfo    `json:"scenarios"`
	Faults    []Fault           `json:"faults"`
	Speeds    []float64         `json:"speeds"`
}

func (s *server) config(c echo.Context) error {
	return c.JSON(http.StatusOK, Config{Lifelines: Lifelines, Steps: Steps, Scenarios: s.Scenarios, Faults: Faults, Speeds: Speeds})
}

// State is the current run at one moment, for a client that does not
// follow the event stream.
type State struct {
	Run      RunInfo         `json:"run"`
	Events   int             `json:"events"`
	Snapshot json.RawMessage `json:"snapshot"`
}

func (s *server) state(c echo.Context) error {
	v := s.Hub.view("", 0)
	snap := v.snap
	if snap == nil {
		snap = []byte("null")
	}
	return c.JSON(http.StatusOK, State{Run: v.info, Events: len(v.items), Snapshot: snap})
}

// events is the live stream (server-sent events). Each trace event has the
// id RUN:SEQ, so a browser that reconnects (EventSource sends the last id
// it saw as Last-Event-ID) gets only what it missed; a browser that saw
// another run gets the whole current one. The stream sends "run" when the
// run's info changes, "trace" per event and "state" per new snapshot.
func (s *server) events(c echo.Context) error {
	run, after := parseEventID(c.Request().Header.Get("Last-Event-ID"))
	if q := c.QueryParam("last"); q != "" {
		run, after = parseEventID(q)
	}
	if s.OnWatch != nil {
		s.OnWatch()
	}
	w := c.Response()
	// The stream lasts as long as the page is open: lift the server's
	// write timeout (edge.Limits) for this one response, or it would be
	// cut every WriteTimeout and the page would reconnect.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var b bytes.Buffer
	b.WriteString("retry: 1000\n\n")
	var sentInfo, sentSnap []byte
	keep := time.NewTicker(s.KeepAlive)
	defer keep.Stop()
	ctx := c.Request().Context()
	for {
		v := s.Hub.view(run, after)
		if v.closed {
			return nil
		}
		info, _ := json.Marshal(v.info)
		if v.info.ID != run {
			// Another run: the page starts over, and the snapshot is new.
			run, sentSnap = v.info.ID, nil
		}
		if !bytes.Equal(info, sentInfo) {
			sse(&b, "", "run", info)
			sentInfo = info
		}
		for _, it := range v.items {
			sse(&b, run+":"+strconv.FormatInt(it.seq, 10), "trace", it.data)
			after = it.seq
		}
		if v.snap != nil && !bytes.Equal(v.snap, sentSnap) {
			sse(&b, "", "state", v.snap)
			sentSnap = v.snap
		}
		if b.Len() > 0 {
			if _, err := w.Write(b.Bytes()); err != nil {
				return nil
			}
			w.Flush()
			b.Reset()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-v.changed:
		case <-keep.C:
			b.WriteString(": keep-alive\n\n")
		}
	}
}

// sse writes one server-sent event.
func sse(b *bytes.Buffer, id, event string, data []byte) {
	if id != "" {
		fmt.Fprintf(b, "id: %s\n", id)
	}
	fmt.Fprintf(b, "event: %s\ndata: %s\n\n", event, data)
}

// parseEventID reads RUN:SEQ; anything else means "from the start".
func parseEventID(s string) (run string, seq int64) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || n < 0 {
		return "", 0
	}
	return s[:i], n
}
