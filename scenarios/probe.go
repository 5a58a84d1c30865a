package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
)

// BeginCase opens a conformance case before its upgrade starts: it
// records the subscriptions the VIM holds (the case's pre-condition) and
// sends the probes its deciding checks ask for to the VNFM's notification
// endpoint. A plain scenario needs neither.
func (tb *Testbed) BeginCase() {
	s := tb.Scenario
	if s.Conformance == nil {
		return
	}
	var mine *vimhttp.Subscription
	for _, sub := range tb.Store.All() {
		held := event.SubscriptionHeld{VNFM: sub.VNFM, CallbackURI: sub.CallbackURI, Types: slices.Clone(sub.Types)}
		if sub.Auth != nil {
			held.Auth = sub.Auth.Type
		}
		tb.exec(func() { event.Emit(tb.emit, "vim", sub.ID, held) })
		if sub.VNFM == s.VNFM.Name && mine == nil {
			mine = sub
		}
	}
	target := tb.opt.ProbeTarget
	if target == "" && mine != nil {
		target = mine.CallbackURI
	}
	p := &prober{tb: tb, target: target, sub: mine, client: &http.Client{Transport: tb.wire, Timeout: 10 * time.Second}}
	for _, name := range s.Conformance.DecidedBy {
		probe := probes[name]
		if probe == nil {
			continue
		}
		if target == "" {
			continue // the check says the probe could not run
		}
		p.check = name
		probe(p)
	}
}

// probes are what the testbed sends the VNFM's endpoint for the
// conformance checks that judge the answers (judge.ProbedChecks; the
// judge holds the checks, the testbed the sending, and
// TestEveryProbedCheckHasAProbe keeps the two lists equal).
var probes = map[string]func(p *prober){
	"endpoint-methods":       probeMethods,
	"unknown-type-tolerated": probeUnknownType,
	"version-header":         probeVersion,
	"auth-basic":             probeAuthBasic,
	"auth-oauth2":            probeAuthOAuth2,
}

// exec runs fn on the testbed's loop (at once in virtual time).
func (tb *Testbed) exec(fn func()) { tb.Loop.Exec(fn) }

// prober sends a conformance check's requests to the VNFM's endpoint and
// records every exchange as a probe.exchange event, which the check then
// judges.
type prober struct {
	tb     *Testbed
	client *http.Client
	target string
	sub    *vimhttp.Subscription
	check  string
	n      int
	token  string
}

// credentials says what a probe request carries.
type credentials int

const (
	credGood credentials = iota
	credNone
	credWrong
)

func (p *prober) notification(kind string) []byte {
	p.n++
	subID := "probe"
	if p.sub != nil {
		subID = p.sub.ID
	}
	n := map[string]any{
		"id":               fmt.Sprintf("probe-%s-%d", p.check, p.n),
		"notificationType": kind,
		"subscriptionId":   subID,
		"timeStamp":        p.tb.Loop.Now().UTC().Format(time.RFC3339),
		"sessionId":        "probe-session",
		"_links": map[string]any{
			"subscription": map[string]string{"href": "http://vim.invalid/vim_maintenance/v1/subscriptions/" + subID},
			"session":      map[string]string{"href": "http://vim.invalid/vim_maintenance/v1/upgrade_sessions/probe-session"},
		},
	}
	if kind == orchestrator.TypeSessionStatus {
		n["sessionState"] = orchestrator.SessionCompleted
	}
	b, _ := json.Marshal(n)
	return b
}

// send makes one probe request; want is "204" or "400 or 406"; problem
// asks for a ProblemDetails body as well.
func (p *prober) send(label, method string, body []byte, version string, cred credentials, want string, problem bool) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	x := event.ProbeExchange{Case: label, Method: method, URL: p.target, Path: event.Ptr(pathOf(p.target)), Want: want, Problem: problem}
	req, err := http.NewRequest(method, p.target, rd)
	if err == nil {
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if version != "" {
			req.Header.Set(edge.HeaderVersion, version)
		}
		err = p.authorize(req, cred)
	}
	var resp *http.Response
	if err == nil {
		x.RequestHeaders = headerLines(req.Header)
		if body != nil {
			x.RequestBody = redact(body)
		}
		resp, err = p.client.Do(req)
	}
	if err != nil {
		x.Error = err.Error()
	} else {
		rb, _ := io.ReadAll(io.LimitReader(resp.Body, maxRecorded))
		resp.Body.Close()
		x.Status = resp.StatusCode
		x.ContentType = event.Ptr(resp.Header.Get("Content-Type"))
		x.ResponseHeaders = event.Ptr(headerLines(resp.Header))
		if len(rb) > 0 {
			x.ResponseBody = redact(rb)
		}
	}
	p.tb.exec(func() { event.Emit(p.tb.emit, "harness", p.check, x) })
}

func (p *prober) skip(reason string) {
	p.tb.exec(func() { event.Emit(p.tb.emit, "harness", p.check, event.ProbeSkipped{Reason: reason}) })
}

// authorize adds the credentials the VNFM's subscription asked for
// (cred good), none, or wrong ones.
func (p *prober) authorize(req *http.Request, cred credentials) error {
	if cred == credNone || p.sub == nil || p.sub.Auth == nil {
		return nil
	}
	a := p.sub.Auth
	switch a.Type {
	case vimhttp.AuthBasic:
		pw := a.Password
		if cred == credWrong {
			pw += "-wrong"
		}
		req.SetBasicAuth(a.UserName, pw)
	case vimhttp.AuthOAuth2:
		if cred == credWrong {
			req.Header.Set("Authorization", "Bearer made-up-token")
			return nil
		}
		if p.token == "" {
			tok, err := p.fetchToken(a.ClientSecret, "")
			if err != nil {
				return err
			}
			p.token = tok
		}
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	return nil
}

// fetchToken runs the client credentials grant at the subscription's
// token endpoint. With label set it records the exchange as a probe.
func (p *prober) fetchToken(secret, label string) (string, error) {
	a := p.sub.Auth
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req, err := http.NewRequest(http.MethodPost, a.TokenEndpoint, strings.NewReader(form))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(a.ClientID, secret)
	resp, err := p.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("token endpoint %s: %v", a.TokenEndpoint, err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRecorded))
	resp.Body.Close()
	if label != "" {
		x := event.ProbeExchange{Case: label, Method: http.MethodPost, URL: a.TokenEndpoint, Path: event.Ptr(pathOf(a.TokenEndpoint)), Want: "401",
			RequestHeaders: headerLines(req.Header), RequestBody: form, Status: resp.StatusCode,
			ContentType: event.Ptr(resp.Header.Get("Content-Type")), ResponseHeaders: event.Ptr(headerLines(resp.Header)), ResponseBody: redact(body)}
		p.tb.exec(func() { event.Emit(p.tb.emit, "harness", p.check, x) })
		return "", nil
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token endpoint %s answered %d to the subscription's own client credentials", a.TokenEndpoint, resp.StatusCode)
	}
	return tok.AccessToken, nil
}

func probeMethods(p *prober) {
	v := edge.APIVersion
	p.send("GET answers 204", http.MethodGet, nil, v, credGood, "204", false)
	p.send("POST of a valid notification answers 204", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), v, credGood, "204", false)
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
		p.send(m+" answers 405", m, p.notification(orchestrator.TypeSessionStatus), v, credGood, "405", false)
	}
}

func probeUnknownType(p *prober) {
	p.send("an unknown notification type answers 204", http.MethodPost, p.notification("MaintenanceForecastNotification"), edge.APIVersion, credGood, "204", false)
}

func probeVersion(p *prober) {
	body := p.notification(orchestrator.TypeSessionStatus)
	p.send("no Version header answers 400", http.MethodPost, body, "", credGood, "400", true)
	p.send("Version 9.0.0 answers 406", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), "9.0.0", credGood, "406", true)
}

func probeAuthBasic(p *prober) {
	if p.sub == nil || p.sub.Auth == nil || p.sub.Auth.Type != vimhttp.AuthBasic {
		p.skip("the VNFM's subscription asks for no BASIC credentials")
		return
	}
	v := edge.APIVersion
	p.send("no credentials answer 401", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), v, credNone, "401", false)
	p.send("a wrong password answers 401", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), v, credWrong, "401", false)
	p.send("the subscription's credentials answer 204", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), v, credGood, "204", false)
}

func probeAuthOAuth2(p *prober) {
	if p.sub == nil || p.sub.Auth == nil || p.sub.Auth.Type != vimhttp.AuthOAuth2 {
		p.skip("the VNFM's subscription asks for no OAuth2 client credentials")
		return
	}
	v := edge.APIVersion
	if _, err := p.fetchToken(p.sub.Auth.ClientSecret+"-wrong", "a wrong client secret gets no token (401)"); err != nil {
		p.tb.exec(func() {
			event.Emit(p.tb.emit, "harness", p.check, event.ProbeExchange{Case: "token endpoint", Method: http.MethodPost, URL: p.sub.Auth.TokenEndpoint, Error: err.Error()})
		})
	}
	p.send("no token answers 401", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), v, credNone, "401", false)
	p.send("a made-up token answers 401", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), v, credWrong, "401", false)
	p.send("a token from the token endpoint answers 204", http.MethodPost, p.notification(orchestrator.TypeSessionStatus), v, credGood, "204", false)
}

// ---- recording the wire ----

// maxRecorded caps a body kept as evidence.
const maxRecorded = 4 << 10

var secretJSON = regexp.MustCompile(`("(?:password|clientPassword|client_secret|access_token|refresh_token)"\s*:\s*)"[^"]*"`)

// redact hides the secrets a body may carry; evidence must be safe to
// publish.
func redact(b []byte) string {
	s := string(b)
	if len(s) > maxRecorded {
		s = s[:maxRecorded] + "…(truncated)"
	}
	return secretJSON.ReplaceAllString(s, `$1"***"`)
}

// headerLines renders headers as sorted "Name: value" lines, credentials
// masked and the Date left out (it would make virtual traces differ).
func headerLines(h http.Header) []string {
	var out []string
	for k, vs := range h {
		if k == "Date" {
			continue
		}
		for _, v := range vs {
			if k == "Authorization" {
				scheme, _, _ := strings.Cut(v, " ")
				v = scheme + " ***"
			}
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.RequestURI()
}

// refOf finds the notification a body is about: a notification's id, or
// a reply's notificationId.
func refOf(body []byte) string {
	var head struct {
		ID     string `json:"id"`
		Type   string `json:"notificationType"`
		NoteID string `json:"notificationId"`
	}
	if json.Unmarshal(body, &head) != nil {
		return ""
	}
	if head.NoteID != "" {
		return head.NoteID
	}
	if head.Type != "" {
		return head.ID
	}
	return ""
}

func (tb *Testbed) recordExchange(from, to string, req *http.Request, reqBody []byte, status int, respHeader http.Header, respBody []byte, err error) {
	x := event.HTTPExchange{From: from, To: to, Method: req.Method, Path: req.URL.RequestURI(), RequestHeaders: headerLines(req.Header)}
	if len(reqBody) > 0 {
		x.RequestBody = redact(reqBody)
		x.Ref = refOf(reqBody)
	}
	if err != nil {
		x.Error = err.Error()
	} else {
		x.Status = status
		x.ResponseHeaders = event.Ptr(headerLines(respHeader))
		x.ResponseBody = redact(respBody)
	}
	tb.exec(func() { event.Emit(tb.emit, "harness", req.Method+" "+req.URL.Path, x) })
}

// recordingTransport records what the VIM sends (notifications, the
// endpoint test, token requests) and what comes back.
type recordingTransport struct {
	tb   *Testbed
	next http.RoundTripper
}

func (rt recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		rt.tb.recordExchange("vim", "vnfm", req, body, 0, nil, nil, err)
		return nil, err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	rt.tb.recordExchange("vim", "vnfm", req, body, resp.StatusCode, resp.Header, rb, nil)
	return resp, nil
}

// recordingHandler records what the VNFM asks of the VIM and VNF control
// APIs and what it was answered.
func (tb *Testbed) recordingHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		cw := &capture{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(cw, r)
		tb.recordExchange("vnfm", "vim", r, body, cw.status, w.Header(), cw.body.Bytes(), nil)
	})
}

type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.body.Len() < maxRecorded {
		c.body.Write(b[:min(len(b), maxRecorded-c.body.Len())])
	}
	return c.ResponseWriter.Write(b)
}
