// Package vnfmhttp puts the reference VNFM on the wire. It serves the VNFM
// notification API (the endpoint a VIM POSTs notifications to, and its GET
// test), an OAuth2 token endpoint for subscriptions that ask for client
// credentials, and it reaches the VIM maintenance API and the VNF control
// API only as an HTTP client — exactly the interfaces a vendor's VNFM uses.
package vnfmhttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/openapi/vimapi"
	"github.com/escalator-testbed/escalator/openapi/vnfctlapi"
	"github.com/escalator-testbed/escalator/openapi/vnfmapi"
	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/sim"
)

// Base is where the reference VNFM serves its notification endpoint.
const Base = "/vnfm_notification/v1"

// TokenPath is the reference VNFM's OAuth2 token endpoint.
const TokenPath = "/oauth2/token"

// Server implements vnfmapi.ServerInterface for one VNFM.
type Server struct {
	VNFM *sim.VNFM
	Exec func(func())
	// FailNext makes the next deliveries answer 503: the fault injection
	// point for a VNFM whose endpoint errors.
	FailNext int
}

var _ vnfmapi.ServerInterface = (*Server)(nil)

func (s *Server) TestNotificationEndpoint(c echo.Context, _ vnfmapi.TestNotificationEndpointParams) error {
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) DeliverNotification(c echo.Context, _ vnfmapi.DeliverNotificationParams) error {
	fail := false
	s.Exec(func() {
		if s.FailNext > 0 {
			s.FailNext--
			fail = true
		}
	})
	if fail {
		return escalator.Errorf(escalator.EUNAVAILABLE, "the VNFM cannot take notifications right now (injected fault)")
	}
	var n orchestrator.Notification
	if err := json.NewDecoder(c.Request().Body).Decode(&n); err != nil {
		return escalator.Errorf(escalator.EINVALID, "the notification is not valid JSON: %v", err)
	}
	s.Exec(func() { s.VNFM.Deliver(n) })
	return c.NoContent(http.StatusNoContent)
}

// Security is what the VNFM demands of a VIM calling its endpoint.
type Security struct {
	// Basic credentials, or OAuth2 client credentials exchanged for a
	// bearer token at TokenPath.
	Basic        *edge.Credential
	ClientID     string
	ClientSecret string
	// tokens are those issued; the token endpoint and the notification
	// endpoint run on the server's goroutines, concurrently.
	mu     sync.Mutex
	tokens map[string]bool
}

// Handler returns the VNFM's server: the notification API under Base,
// validated against its spec, and the token endpoint when OAuth2 is on.
func Handler(s *Server, spec *edge.Spec, sec *Security, onViolation func(edge.Violation)) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = edge.ErrorHandler
	// First, so that neither the token endpoint's form parser nor
	// tolerateUnknownTypes nor the validator reads more than the cap.
	e.Use(edge.LimitBody(spec.MaxBody))
	if sec != nil && sec.ClientID != "" {
		e.POST(TokenPath, sec.issue)
	}
	behavior := s.VNFM.Behavior()
	versioned, auth, tolerant := edge.Versioned(), sec.middleware(), tolerateUnknownTypes
	switch behavior {
	case sim.BehaviorIgnoresVersion:
		versioned = anyVersion
	case sim.BehaviorAcceptsBadAuth:
		auth = func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	case sim.BehaviorStrictTypes:
		tolerant = func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	if behavior == sim.BehaviorNoVersionOut {
		inner := versioned
		versioned = func(next echo.HandlerFunc) echo.HandlerFunc {
			return inner(func(c echo.Context) error {
				c.Response().Before(func() { c.Response().Header().Del(edge.HeaderVersion) })
				return next(c)
			})
		}
	}
	g := e.Group(Base, versioned, auth, tolerant, edge.Validator(spec, onViolation))
	vnfmapi.RegisterHandlers(g, s)
	// echo answers an unrouted method inside a group with 404; SOL013
	// wants 405 with Allow for a resource that exists.
	other := func(c echo.Context) error {
		c.Response().Header().Set("Allow", "GET, POST")
		return echo.NewHTTPError(http.StatusMethodNotAllowed, "the notification endpoint takes GET and POST only")
	}
	if behavior == sim.BehaviorAnyMethod {
		other = func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	}
	g.Match([]string{http.MethodPut, http.MethodPatch, http.MethodDelete}, "/notifications", other)
	return e
}

// knownTypes are the notification types this VNFM understands.
var knownTypes = []string{orchestrator.TypeMaintenance, orchestrator.TypeNodeAvailable, orchestrator.TypeSessionStatus}

// tolerateUnknownTypes acknowledges, and drops, a notification of a type
// the VNFM does not know, before the body is checked against the types it
// does: the VIM may add types in a minor version of its API, and an older
// VNFM must not answer them with an error (vnfm-notification.yaml, POST
// /notifications).
func tolerateUnknownTypes(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodPost || r.Body == nil {
			return next(c)
		}
		// Bounded already: LimitBody, mounted first, read it into memory.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return escalator.Errorf(escalator.EINVALID, "reading the notification: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var head struct {
			Type *string `json:"notificationType"`
		}
		if json.Unmarshal(body, &head) == nil && head.Type != nil && *head.Type != "" && !slices.Contains(knownTypes, *head.Type) {
			return c.NoContent(http.StatusNoContent)
		}
		return next(c)
	}
}

// anyVersion is the ignores-version misbehaviour: whatever Version a
// request carries, or none, the endpoint treats it as the current one.
func anyVersion(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Request().Header.Set(edge.HeaderVersion, edge.APIVersion)
		c.Response().Header().Set(edge.HeaderVersion, edge.APIVersion)
		return next(c)
	}
}

// issue is the token endpoint: client credentials grant, RFC 6749 4.4.
func (sec *Security) issue(c echo.Context) error {
	id, secret, ok := c.Request().BasicAuth()
	if c.FormValue("grant_type") != "client_credentials" {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
	}
	if !ok || id != sec.ClientID || secret != sec.ClientSecret {
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="token"`)
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	sec.mu.Lock()
	if sec.tokens == nil {
		sec.tokens = map[string]bool{}
	}
	sec.tokens[tok] = true
	sec.mu.Unlock()
	return c.JSON(http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

func (sec *Security) middleware() echo.MiddlewareFunc {
	switch {
	case sec == nil:
		return edge.RequireAuth(edge.Credential{})
	case sec.Basic != nil:
		return edge.RequireAuth(*sec.Basic)
	case sec.ClientID != "":
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				h := c.Request().Header.Get("Authorization")
				sec.mu.Lock()
				ok := len(h) > 7 && h[:7] == "Bearer " && sec.tokens[h[7:]]
				sec.mu.Unlock()
				if ok {
					return next(c)
				}
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="vnfm"`)
				edge.WriteProblem(c.Response(), http.StatusUnauthorized, "a valid bearer token from the VNFM's token endpoint is required")
				return nil
			}
		}
	}
	return edge.RequireAuth(edge.Credential{})
}

// Client is the VNFM's side of the VIM maintenance and VNF control APIs.
// It implements sim.VNFControl, so the reference VNFM moves business
// through HTTP exactly as through the in-process world.
type Client struct {
	VIM  *vimapi.ClientWithResponses
	VNF  *vnfctlapi.ClientWithResponses
	Loop *sim.Loop
	// Timeout bounds each call.
	Timeout time.Duration
}

var _ sim.VNFControl = (*Client)(nil)

// NewClient builds the clients over one http.Client (whose transport may
// be in-process and validating), with the VIM API's credential if any.
func NewClient(vimURL, vnfURL string, hc *http.Client, cred edge.Credential, loop *sim.Loop) (*Client, error) {
	auth := func(_ context.Context, r *http.Request) error {
		if h := cred.Header(); h != "" {
			r.Header.Set("Authorization", h)
		}
		return nil
	}
	vim, err := vimapi.NewClientWithResponses(vimURL+"/vim_maintenance/v1", vimapi.WithHTTPClient(hc), vimapi.WithRequestEditorFn(auth))
	if err != nil {
		return nil, err
	}
	vnf, err := vnfctlapi.NewClientWithResponses(vnfURL+"/vnf_control/v1", vnfctlapi.WithHTTPClient(hc), vnfctlapi.WithRequestEditorFn(auth))
	if err != nil {
		return nil, err
	}
	return &Client{VIM: vim, VNF: vnf, Loop: loop, Timeout: 30 * time.Second}, nil
}

func (c *Client) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.Timeout)
}

// problem turns a non-success answer into a coded error.
func problem(op string, resp *http.Response, body []byte) error {
	var p edge.Problem
	_ = json.Unmarshal(body, &p)
	code := escalator.EINTERNAL
	switch resp.StatusCode {
	case http.StatusNotFound:
		code = escalator.ENOTFOUND
	case http.StatusConflict:
		code = escalator.ECONFLICT
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		code = escalator.EINVALID
	case http.StatusServiceUnavailable:
		code = escalator.EUNAVAILABLE
	}
	detail := p.Detail
	if detail == "" {
		detail = http.StatusText(resp.StatusCode)
	}
	return &escalator.Error{Code: code, Op: op, Message: fmt.Sprintf("%d %s", resp.StatusCode, detail)}
}

// Reply sends a reply to the VIM; it is the VNFM's sim.ReplyFunc.
func (c *Client) Reply(r orchestrator.Reply) error {
	ctx, cancel := c.ctx()
	defer cancel()
	body := vimapi.MaintenanceReply{NotificationID: r.NotificationID, VnfmID: r.VnfmID, Reply: r.Reply}
	if r.Reason != "" {
		body.Reason = &r.Reason
	}
	for _, a := range r.InstanceActions {
		body.InstanceActions = append(body.InstanceActions, vimapi.InstanceAction{InstanceID: a.InstanceID, Action: vimapi.InstanceActionType(a.Action)})
	}
	resp, err := c.VIM.SubmitReplyWithResponse(ctx, r.SessionID, &vimapi.SubmitReplyParams{Version: edge.APIVersion}, body)
	if err != nil {
		return escalator.Errorf(escalator.EUNAVAILABLE, "reply to the VIM: %v", err)
	}
	if resp.StatusCode() != http.StatusNoContent {
		return problem("reply", resp.HTTPResponse, resp.Body)
	}
	return nil
}

// Subscribe registers the VNFM's endpoint with the VIM and returns the
// subscription id (an existing identical one counts: 303). The profile
// decides what is asked for: the reference subscribes once to every
// notification type; narrow-filter leaves out session status;
// double-subscribe a second time under another callback URI.
func (c *Client) Subscribe(vnfm, callbackURI string, auth *vimapi.SubscriptionAuthentication, behavior string) (string, error) {
	req := vimapi.MaintenanceSubscriptionRequest{VnfmID: vnfm, CallbackURI: callbackURI, Authentication: auth}
	switch behavior {
	case sim.BehaviorNarrowFilter:
		req.Filter = &vimapi.MaintenanceNotificationsFilter{NotificationTypes: []vimapi.NotificationType{
			vimapi.NotificationTypeMaintenanceNotification, vimapi.NotificationTypeNodeAvailableNotification}}
	case sim.BehaviorDoubleSub:
		again := req
		again.CallbackURI += "?again=1"
		if _, err := c.subscribe(again); err != nil {
			return "", err
		}
	}
	return c.subscribe(req)
}

func (c *Client) subscribe(req vimapi.MaintenanceSubscriptionRequest) (string, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	resp, err := c.VIM.CreateSubscriptionWithResponse(ctx, &vimapi.CreateSubscriptionParams{Version: edge.APIVersion}, req)
	if err != nil {
		return "", escalator.Errorf(escalator.EUNAVAILABLE, "subscribe at the VIM: %v", err)
	}
	switch resp.StatusCode() {
	case http.StatusCreated:
		return resp.JSON201.ID, nil
	case http.StatusSeeOther:
		loc := resp.HTTPResponse.Header.Get("Location")
		return loc[len(loc)-len(lastSegment(loc)):], nil
	}
	return "", problem("subscribe", resp.HTTPResponse, resp.Body)
}

func lastSegment(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

func (c *Client) GetVNF(name string) (sim.VNFView, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	resp, err := c.VNF.GetVnfWithResponse(ctx, name, &vnfctlapi.GetVnfParams{Version: edge.APIVersion})
	if err != nil {
		return sim.VNFView{}, escalator.Errorf(escalator.EUNAVAILABLE, "VNF control: %v", err)
	}
	if resp.JSON200 == nil {
		return sim.VNFView{}, problem("get VNF", resp.HTTPResponse, resp.Body)
	}
	v := resp.JSON200
	out := sim.VNFView{Name: v.VnfInstanceID, Mode: string(v.Mode), Load: v.Load, CapacityPerInstance: v.CapacityPerInstance}
	for _, i := range v.Instances {
		out.Instances = append(out.Instances, sim.InstanceView{InstanceID: i.InstanceID, Node: i.NodeID, Role: string(i.Role),
			Health: string(i.Health), InRotation: i.InRotation, Drained: i.Drained, Ready: i.Ready})
	}
	if m := v.Maintenance; m != nil {
		mv := &sim.MaintenanceView{}
		if m.MaxImpacted != nil {
			mv.MaxImpacted = *m.MaxImpacted
		}
		if m.MinPreserved != nil {
			mv.MinPreserved = *m.MinPreserved
		}
		for _, t := range m.MigrationTypes {
			mv.MigrationTypes = append(mv.MigrationTypes, string(t))
		}
		out.Maintenance = mv
	}
	return out, nil
}

func (c *Client) SwitchOver(vnf, to string) error {
	ctx, cancel := c.ctx()
	defer cancel()
	resp, err := c.VNF.SwitchoverWithResponse(ctx, vnf, &vnfctlapi.SwitchoverParams{Version: edge.APIVersion}, vnfctlapi.SwitchoverRequest{TargetInstanceID: to})
	if err != nil {
		return escalator.Errorf(escalator.EUNAVAILABLE, "VNF control: %v", err)
	}
	if resp.StatusCode() != http.StatusOK {
		return problem("switch-over", resp.HTTPResponse, resp.Body)
	}
	return nil
}

// Drain asks for the drain and calls done on the VNFM's loop when the VNF
// said its in-flight work would be finished.
func (c *Client) Drain(vnf, instance string, done func()) error {
	ctx, cancel := c.ctx()
	defer cancel()
	resp, err := c.VNF.DrainInstanceWithResponse(ctx, vnf, instance, &vnfctlapi.DrainInstanceParams{Version: edge.APIVersion})
	if err != nil {
		return escalator.Errorf(escalator.EUNAVAILABLE, "VNF control: %v", err)
	}
	if resp.JSON202 == nil {
		return problem("drain", resp.HTTPResponse, resp.Body)
	}
	// The loop's clock reads the instant the callback calling Drain began,
	// not the wall: on a real-time loop the HTTP call above took time, so
	// DrainSeconds counted from that stale instant would fire early, and
	// the reply could overtake the drain (seen in CI under load). The
	// answer's absolute drainCompleteAt, on the clock the VIM and VNFM
	// share (as replyBy is), has no such error; DrainSeconds stays the
	// floor, for a peer whose clock is ahead of ours.
	wait := max(time.Duration(resp.JSON202.DrainSeconds*float64(time.Second)), resp.JSON202.DrainCompleteAt.Sub(c.Loop.Now()))
	c.Loop.AfterFunc(wait, done)
	return nil
}

func (c *Client) Undrain(vnf, instance string) error {
	ctx, cancel := c.ctx()
	defer cancel()
	resp, err := c.VNF.UndrainInstanceWithResponse(ctx, vnf, instance, &vnfctlapi.UndrainInstanceParams{Version: edge.APIVersion})
	if err != nil {
		return escalator.Errorf(escalator.EUNAVAILABLE, "VNF control: %v", err)
	}
	if resp.StatusCode() != http.StatusOK {
		return problem("undrain", resp.HTTPResponse, resp.Body)
	}
	return nil
}

func (c *Client) Scale(vnf string, instances int) error {
	ctx, cancel := c.ctx()
	defer cancel()
	resp, err := c.VNF.ScaleVnfWithResponse(ctx, vnf, &vnfctlapi.ScaleVnfParams{Version: edge.APIVersion}, vnfctlapi.ScaleRequest{Instances: instances})
	if err != nil {
		return escalator.Errorf(escalator.EUNAVAILABLE, "VNF control: %v", err)
	}
	if resp.StatusCode() != http.StatusOK {
		return problem("scale", resp.HTTPResponse, resp.Body)
	}
	return nil
}

// NotifySecurity reads a --notify-auth value (basic:USER:PASSWORD or
// oauth2:CLIENT_ID:SECRET; empty: none): what the VNFM demands of the VIM,
// and what its subscription tells the VIM to send.
func NotifySecurity(s string) (*Security, *vimapi.SubscriptionAuthentication, error) {
	if s == "" {
		return nil, nil, nil
	}
	scheme, rest, _ := strings.Cut(s, ":")
	a, b, ok := strings.Cut(rest, ":")
	if !ok || a == "" {
		return nil, nil, fmt.Errorf("--notify-auth: use basic:USER:PASSWORD or oauth2:CLIENT_ID:SECRET")
	}
	switch scheme {
	case "basic":
		c := edge.Credential{Scheme: "basic", User: a, Password: b}
		return &Security{Basic: &c}, &vimapi.SubscriptionAuthentication{AuthType: []vimapi.AuthType{vimapi.AuthTypeBASIC},
			ParamsBasic: &vimapi.ParamsBasic{UserName: a, Password: b}}, nil
	case "oauth2":
		return &Security{ClientID: a, ClientSecret: b}, &vimapi.SubscriptionAuthentication{AuthType: []vimapi.AuthType{vimapi.AuthTypeOAUTH2CLIENTCREDENTIALS},
			ParamsOauth2ClientCredentials: &vimapi.ParamsOauth2ClientCredentials{ClientID: a, ClientPassword: b}}, nil
	}
	return nil, nil, fmt.Errorf("--notify-auth %q: use basic:USER:PASSWORD or oauth2:CLIENT_ID:SECRET", scheme)
}

// PeerOptions assemble the reference VNFM as a peer of its own on the
// wire, as `escalator vnfm` runs it: it reaches the VIM and the VNF
// control API only over HTTP, every message checked against its spec.
type PeerOptions struct {
	VIM, VNF string // base URLs; VNF defaults to VIM
	Cred     edge.Credential
	Config   sim.VNFMConfig
	Loop     *sim.Loop
	Trace    escalator.Emitter
	// OnViolation hears every spec violation, of either direction.
	OnViolation func(edge.Violation)
	// Security is what its endpoint demands of the VIM (nil: nothing).
	Security *Security
	// Exec runs the endpoint's work on the VNFM's loop; default Loop.Exec.
	Exec func(func())
}

// Peer is the reference VNFM on the wire: serve Handler, then Subscribe
// with Client.
type Peer struct {
	VNFM    *sim.VNFM
	Client  *Client
	Handler http.Handler
}

// NewPeer assembles the reference VNFM as its own HTTP peer.
func NewPeer(o PeerOptions) (*Peer, error) {
	var specs []*edge.Spec
	for _, n := range []string{openapi.VIMMaintenance, openapi.VNFControl, openapi.VNFMNotification} {
		sp, err := edge.Load(n)
		if err != nil {
			return nil, escalator.Errorf(escalator.EINTERNAL, "loading the %s spec: %v", n, err)
		}
		specs = append(specs, sp)
	}
	if o.VNF == "" {
		o.VNF = o.VIM
	}
	if o.Exec == nil {
		o.Exec = o.Loop.Exec
	}
	hc := &http.Client{Transport: &edge.Checked{Specs: specs[:2], Next: http.DefaultTransport, OnViolation: o.OnViolation}, Timeout: 30 * time.Second}
	client, err := NewClient(strings.TrimSuffix(o.VIM, "/"), strings.TrimSuffix(o.VNF, "/"), hc, o.Cred, o.Loop)
	if err != nil {
		return nil, escalator.Errorf(escalator.EINVALID, "the VNFM's client: %v", err)
	}
	vnfm := sim.NewVNFM(o.Config, o.Loop, o.Trace, client, client.Reply)
	h := Handler(&Server{VNFM: vnfm, Exec: o.Exec}, specs[2], o.Security, o.OnViolation)
	return &Peer{VNFM: vnfm, Client: client, Handler: h}, nil
}
