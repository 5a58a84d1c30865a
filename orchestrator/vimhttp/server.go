package vimhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/openapi/vimapi"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// Defaults fill what an upgrade-session request leaves out.
type Defaults struct {
	ReplyTimeout   time.Duration
	UpgradeTimeout time.Duration
}

// Server implements vimapi.ServerInterface over the Manager, the cloud
// manager port and the subscription store.
type Server struct {
	Manager  *orchestrator.Manager
	Cloud    orchestrator.CloudManager
	Store    *Store
	Defaults Defaults
	// Exec runs a function on the event loop and waits for it.
	Exec func(func())
	// Client tests a new subscription's callbackUri (GET, expecting 204).
	Client *http.Client
	// TokenClient fetches an OAuth2 token for that test; it does not
	// validate against the notification spec, which the token endpoint is
	// not part of.
	TokenClient *http.Client
	Trace       escalator.Emitter
	// APIRoot ("http://127.0.0.1:8700"), when known, makes Location and
	// links absolute, as the spec asks.
	APIRoot string
}

// url is an absolute link to path under the API when the root is known.
func (s *Server) url(path string) string { return s.APIRoot + Base + path }

var _ vimapi.ServerInterface = (*Server)(nil)

// loop runs fn on the event loop and returns its error.
func (s *Server) loop(fn func() error) error {
	var err error
	s.Exec(func() { err = fn() })
	return err
}

func (s *Server) GetAPIVersions(c echo.Context) error {
	return c.JSON(http.StatusOK, vimapi.APIVersionInformation{URIPrefix: Base,
		APIVersions: []vimapi.APIVersion{{Version: edge.APIVersion}}})
}

// --- subscriptions ---

func bind(c echo.Context, v any) error {
	if err := (&echo.DefaultBinder{}).BindBody(c, v); err != nil {
		return escalator.Errorf(escalator.EINVALID, "the body is not valid JSON for this request: %v", err)
	}
	return nil
}

func toSubscription(in vimapi.MaintenanceSubscriptionRequest) (*Subscription, error) {
	sub := &Subscription{VNFM: in.VnfmID, CallbackURI: in.CallbackURI}
	if u, err := url.Parse(in.CallbackURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, escalator.Errorf(escalator.EINVALID, "callbackUri %q is not an absolute http(s) URI", in.CallbackURI)
	}
	if f := in.Filter; f != nil {
		for _, t := range f.NotificationTypes {
			sub.Types = append(sub.Types, string(t))
		}
		sub.NodeIDs = f.NodeIDs
	}
	if a := in.Authentication; a != nil {
		switch {
		case slices.Contains(a.AuthType, vimapi.AuthTypeOAUTH2CLIENTCREDENTIALS):
			p := a.ParamsOauth2ClientCredentials
			if p == nil {
				return nil, escalator.Errorf(escalator.EINVALID, "authType OAUTH2_CLIENT_CREDENTIALS needs paramsOauth2ClientCredentials")
			}
			if u, err := url.Parse(p.TokenEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, escalator.Errorf(escalator.EINVALID, "tokenEndpoint %q is not an absolute http(s) URI", p.TokenEndpoint)
			}
			sub.Auth = &Auth{Type: AuthOAuth2, ClientID: p.ClientID, ClientSecret: p.ClientPassword, TokenEndpoint: p.TokenEndpoint}
		case slices.Contains(a.AuthType, vimapi.AuthTypeBASIC):
			p := a.ParamsBasic
			if p == nil {
				return nil, escalator.Errorf(escalator.EINVALID, "authType BASIC needs paramsBasic")
			}
			sub.Auth = &Auth{Type: AuthBasic, UserName: p.UserName, Password: p.Password}
		}
	}
	return sub, nil
}

func (s *Server) fromSubscription(sub *Subscription) vimapi.MaintenanceSubscription {
	out := vimapi.MaintenanceSubscription{ID: sub.ID, VnfmID: sub.VNFM, CallbackURI: sub.CallbackURI,
		Links: vimapi.SubscriptionLinks{Self: vimapi.Link{Href: s.url("/subscriptions/" + sub.ID)}}}
	if len(sub.Types) > 0 || len(sub.NodeIDs) > 0 {
		f := &vimapi.MaintenanceNotificationsFilter{NodeIDs: sub.NodeIDs}
		for _, t := range sub.Types {
			f.NotificationTypes = append(f.NotificationTypes, vimapi.NotificationType(t))
		}
		out.Filter = f
	}
	return out
}

func (s *Server) CreateSubscription(c echo.Context, _ vimapi.CreateSubscriptionParams) error {
	var in vimapi.MaintenanceSubscriptionRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	sub, err := toSubscription(in)
	if err != nil {
		return err
	}
	// SOL013: the VIM tests the endpoint before it accepts the
	// subscription. This runs off the loop: a slow subscriber must not
	// stall the simulation.
	if err := s.testCallback(c.Request().Context(), sub); err != nil {
		// Recorded: a conformance report shows why a VNFM never got its
		// subscription.
		_ = s.loop(func() error {
			event.Emit(s.Trace, actor, sub.VNFM, event.SubscriptionRefused{CallbackURI: sub.CallbackURI, Error: err.Error()})
			return nil
		})
		return escalator.Errorf(escalator.EINVALID, "the notification endpoint test failed: %v", err)
	}
	var got *Subscription
	var created bool
	_ = s.loop(func() error {
		got, created = s.Store.Add(sub)
		event.Emit(s.Trace, actor, got.ID, event.SubscriptionCreated{VNFM: got.VNFM, CallbackURI: got.CallbackURI, Created: created, Auth: got.Auth.String()})
		return nil
	})
	loc := s.url("/subscriptions/" + got.ID)
	c.Response().Header().Set(echo.HeaderLocation, loc)
	if !created {
		return c.NoContent(http.StatusSeeOther)
	}
	return c.JSON(http.StatusCreated, s.fromSubscription(got))
}

func (s *Server) testCallback(ctx context.Context, sub *Subscription) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sub.CallbackURI, nil)
	if err != nil {
		return err
	}
	req.Header.Set(edge.HeaderVersion, edge.APIVersion)
	// The test carries the credentials the notifications will: an endpoint
	// that demands them must still answer it.
	switch a := sub.Auth; {
	case a != nil && a.Type == AuthBasic:
		req.SetBasicAuth(a.UserName, a.Password)
	case a != nil && a.Type == AuthOAuth2 && s.TokenClient != nil:
		treq, err := tokenRequest(a)
		if err != nil {
			return err
		}
		tresp, err := s.TokenClient.Do(treq.WithContext(ctx))
		var body []byte
		if err == nil {
			body, err = io.ReadAll(tresp.Body)
			tresp.Body.Close()
		}
		value, _, err := parseToken(tresp, body, err)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+value)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("GET %s answered %d, want 204", sub.CallbackURI, resp.StatusCode)
	}
	return nil
}

func (s *Server) ListSubscriptions(c echo.Context, p vimapi.ListSubscriptionsParams) error {
	var page []*Subscription
	var next string
	filter, marker := "", ""
	if p.Filter != nil {
		filter = *p.Filter
	}
	if p.NextpageOpaqueMarker != nil {
		marker = *p.NextpageOpaqueMarker
	}
	err := s.loop(func() (err error) {
		page, next, err = s.Store.List(filter, marker)
		return err
	})
	if err != nil {
		return badRequest(err)
	}
	if next != "" {
		q := url.Values{"nextpage_opaque_marker": {next}}
		if filter != "" {
			q.Set("filter", filter)
		}
		c.Response().Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, s.url("/subscriptions"), q.Encode()))
	}
	out := make([]vimapi.MaintenanceSubscription, 0, len(page))
	for _, sub := range page {
		out = append(out, s.fromSubscription(sub))
	}
	return c.JSON(http.StatusOK, out)
}

// badRequest turns a query-parameter error into a 400: the request's
// syntax, not its meaning, is wrong.
func badRequest(err error) error {
	var e *escalator.Error
	if errors.As(err, &e) && e.Code == escalator.EINVALID {
		return echo.NewHTTPError(http.StatusBadRequest, e.Message)
	}
	return err
}

func (s *Server) GetSubscription(c echo.Context, id vimapi.SubscriptionID, _ vimapi.GetSubscriptionParams) error {
	var sub *Subscription
	if err := s.loop(func() (err error) { sub, err = s.Store.Get(id); return err }); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.fromSubscription(sub))
}

func (s *Server) DeleteSubscription(c echo.Context, id vimapi.SubscriptionID, _ vimapi.DeleteSubscriptionParams) error {
	err := s.loop(func() error {
		if err := s.Store.Delete(id); err != nil {
			return err
		}
		event.Emit(s.Trace, actor, id, event.SubscriptionDeleted{})
		return nil
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- upgrade sessions ---

func (s *Server) fromSession(st orchestrator.SessionStatus) vimapi.UpgradeSession {
	out := vimapi.UpgradeSession{ID: st.ID, State: vimapi.UpgradeSessionState(st.State), Flow: vimapi.Flow(st.Flow),
		TargetVersion: st.TargetVersion, Nodes: []vimapi.NodeUpgradeStatus{},
		Links: vimapi.UpgradeSessionLinks{
			Self:    vimapi.Link{Href: s.url("/upgrade_sessions/" + st.ID)},
			Replies: vimapi.Link{Href: s.url("/upgrade_sessions/" + st.ID + "/replies")},
		}}
	if st.Reason != "" {
		out.Reason = &st.Reason
	}
	for _, n := range st.Nodes {
		ns := vimapi.NodeUpgradeStatus{NodeID: n.Node, Status: vimapi.NodeUpgradeState(n.Status), FromVersion: n.FromVersion, ToVersion: n.ToVersion}
		if n.Reason != "" {
			ns.Reason = &n.Reason
		}
		out.Nodes = append(out.Nodes, ns)
	}
	return out
}

func (s *Server) CreateUpgradeSession(c echo.Context, _ vimapi.CreateUpgradeSessionParams) error {
	var in vimapi.UpgradeSessionRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	cfg := orchestrator.Config{Flow: orchestrator.FlowF1, TargetVersion: in.TargetVersion, Nodes: in.NodeIDs, MaxParallel: 1,
		ReplyTimeout: s.Defaults.ReplyTimeout, UpgradeTimeout: s.Defaults.UpgradeTimeout, OnNack: orchestrator.OnNackFail, Rollback: true}
	if in.Flow != nil {
		cfg.Flow = string(*in.Flow)
	}
	if in.MaxParallel != nil {
		cfg.MaxParallel = *in.MaxParallel
	}
	if in.ReplyTimeout != nil {
		cfg.ReplyTimeout = time.Duration(*in.ReplyTimeout) * time.Second
	}
	if in.UpgradeTimeout != nil {
		cfg.UpgradeTimeout = time.Duration(*in.UpgradeTimeout) * time.Second
	}
	if in.OnNack != nil {
		cfg.OnNack = string(*in.OnNack)
	}
	if in.Rollback != nil {
		cfg.Rollback = *in.Rollback
	}
	var st orchestrator.SessionStatus
	if err := s.loop(func() (err error) { st, err = s.Manager.CreateSession(cfg); return err }); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, s.url("/upgrade_sessions/"+st.ID))
	return c.JSON(http.StatusCreated, s.fromSession(st))
}

func (s *Server) ListUpgradeSessions(c echo.Context, _ vimapi.ListUpgradeSessionsParams) error {
	var all []orchestrator.SessionStatus
	_ = s.loop(func() error { all = s.Manager.Sessions(); return nil })
	out := make([]vimapi.UpgradeSession, 0, len(all))
	for _, st := range all {
		out = append(out, s.fromSession(st))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) session(c echo.Context, op func() (orchestrator.SessionStatus, error)) error {
	var st orchestrator.SessionStatus
	if err := s.loop(func() (err error) { st, err = op(); return err }); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.fromSession(st))
}

func (s *Server) GetUpgradeSession(c echo.Context, id vimapi.SessionID, _ vimapi.GetUpgradeSessionParams) error {
	return s.session(c, func() (orchestrator.SessionStatus, error) { return s.Manager.Session(id) })
}

func (s *Server) PauseUpgradeSession(c echo.Context, id vimapi.SessionID, _ vimapi.PauseUpgradeSessionParams) error {
	return s.session(c, func() (orchestrator.SessionStatus, error) { return s.Manager.Pause(id) })
}

func (s *Server) ResumeUpgradeSession(c echo.Context, id vimapi.SessionID, _ vimapi.ResumeUpgradeSessionParams) error {
	return s.session(c, func() (orchestrator.SessionStatus, error) { return s.Manager.Resume(id) })
}

func (s *Server) AbortUpgradeSession(c echo.Context, id vimapi.SessionID, _ vimapi.AbortUpgradeSessionParams) error {
	return s.session(c, func() (orchestrator.SessionStatus, error) { return s.Manager.Abort(id) })
}

func (s *Server) SubmitReply(c echo.Context, id vimapi.SessionID, _ vimapi.SubmitReplyParams) error {
	var in vimapi.MaintenanceReply
	if err := bind(c, &in); err != nil {
		return err
	}
	r := orchestrator.Reply{SessionID: id, NotificationID: in.NotificationID, VnfmID: in.VnfmID, Reply: in.Reply}
	if in.Reason != nil {
		r.Reason = *in.Reason
	}
	for _, a := range in.InstanceActions {
		r.InstanceActions = append(r.InstanceActions, orchestrator.InstanceAction{InstanceID: a.InstanceID, Action: string(a.Action)})
	}
	if err := s.loop(func() error { return s.Manager.Reply(r) }); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- nodes and VMs ---

func fromNode(n orchestrator.NodeInfo) vimapi.Node {
	return vimapi.Node{NodeID: n.ID, Zone: n.Zone, Version: n.Version, State: vimapi.NodeState(n.State),
		VCPUs: n.VCPUs, MemoryGiB: n.MemoryGiB, UsedVCPUs: n.UsedVCPUs, UsedMemoryGiB: n.UsedMemGiB}
}

func (s *Server) ListNodes(c echo.Context, _ vimapi.ListNodesParams) error {
	var out []vimapi.Node
	_ = s.loop(func() error {
		for _, n := range s.Cloud.Nodes() {
			out = append(out, fromNode(n))
		}
		return nil
	})
	if out == nil {
		out = []vimapi.Node{}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) GetNode(c echo.Context, id vimapi.NodeID, _ vimapi.GetNodeParams) error {
	var out *vimapi.Node
	_ = s.loop(func() error {
		for _, n := range s.Cloud.Nodes() {
			if n.ID == id {
				v := fromNode(n)
				out = &v
			}
		}
		return nil
	})
	if out == nil {
		return escalator.Errorf(escalator.ENOTFOUND, "no node %q", id)
	}
	return c.JSON(http.StatusOK, out)
}

func fromVM(v orchestrator.VMInfo) vimapi.VM {
	return vimapi.VM{VMID: v.ID, NodeID: v.Host, VnfmID: v.VNFM, VnfInstanceID: v.VNF, Group: v.Group,
		VCPUs: v.VCPUs, MemoryGiB: v.MemoryGiB, State: vimapi.VMState(v.State)}
}

// vms lists the VMs that pass keep, on the loop.
func (s *Server) vms(keep func(orchestrator.VMInfo) bool) []vimapi.VM {
	out := []vimapi.VM{}
	_ = s.loop(func() error {
		for _, n := range s.Cloud.Nodes() {
			for _, v := range s.Cloud.VMsOn(n.ID) {
				if keep(v) {
					out = append(out, fromVM(v))
				}
			}
		}
		return nil
	})
	return out
}

func (s *Server) ListVMs(c echo.Context, p vimapi.ListVMsParams) error {
	return c.JSON(http.StatusOK, s.vms(func(v orchestrator.VMInfo) bool {
		return (p.NodeID == nil || *p.NodeID == v.Host) && (p.VnfInstanceID == nil || *p.VnfInstanceID == v.VNF)
	}))
}

func (s *Server) GetVM(c echo.Context, id vimapi.VMID, _ vimapi.GetVMParams) error {
	got := s.vms(func(v orchestrator.VMInfo) bool { return v.ID == id })
	if len(got) == 0 {
		return escalator.Errorf(escalator.ENOTFOUND, "no VM %q", id)
	}
	return c.JSON(http.StatusOK, got[0])
}

func (s *Server) MigrateVM(c echo.Context, id vimapi.VMID, _ vimapi.MigrateVMParams) error {
	var in vimapi.MigrationRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	live := in.Live == nil || *in.Live
	got := s.vms(func(v orchestrator.VMInfo) bool { return v.ID == id })
	if len(got) == 0 {
		return escalator.Errorf(escalator.ENOTFOUND, "no VM %q", id)
	}
	if got[0].State != vimapi.VMStateRunning {
		return escalator.Errorf(escalator.ECONFLICT, "VM %s is %s", id, got[0].State)
	}
	var refused error
	_ = s.loop(func() error {
		event.Emit(s.Trace, actor, id, event.VMMigrateRequested{Live: live, By: got[0].VnfmID})
		// A refusal (no room anywhere) comes back inside Migrate's turn of
		// the loop, before the callback's own turn: catch it there.
		started := true
		s.Cloud.Migrate(id, nil, live, func(to string, err error) {
			e := event.VMMigrateFinished{To: to}
			if err != nil {
				e.Error = err.Error()
			}
			event.Emit(s.Trace, actor, id, e)
		})
		for _, v := range s.Cloud.VMsOn(got[0].NodeID) {
			if v.ID == id && v.State == "running" {
				started = false
			}
		}
		if !started {
			refused = escalator.Errorf(escalator.ECONFLICT, "VM %s cannot be moved now: no node in normal service has room for it within its anti-affinity rules", id)
		}
		return nil
	})
	if refused != nil {
		return refused
	}
	now := s.vms(func(v orchestrator.VMInfo) bool { return v.ID == id })
	return c.JSON(http.StatusAccepted, now[0])
}
