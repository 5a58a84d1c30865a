package vimhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/eventtest"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// --- the testbed ---

// silentScenario is a small world whose VNFM never answers: a maintenance
// notification stays pending until its replyBy deadline.
const silentScenario = `name: api
seed: 7
nodes: {count: 3}
vnfs:
  - name: mme
    mode: active-standby
    instances: 2
    load: 100/s
    placement: [compute-1, compute-2]
vnfm: {behavior: silent}
upgrade:
  targetVersion: "2.0"
  replyTimeout: 20s
  nodeUpgradeTime: 1m
  verifyTime: 10s
`

// wire routes what the testbed's clients send: requests for 127.0.0.1
// (httptest servers) go over a real socket, everything else stays on the
// in-process transport. The testbed's callers are synchronous in virtual
// time, so a real exchange still completes inside one loop event.
type wire struct {
	inner http.RoundTripper
	real  *http.Transport
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Host, "127.0.0.1:") {
		return w.real.RoundTrip(r)
	}
	return w.inner.RoundTrip(r)
}

// build loads a scenario and assembles a virtual testbed whose wire reaches
// httptest servers on 127.0.0.1 too.
func build(t *testing.T, yaml string, opt scenarios.BuildOptions) *scenarios.Testbed {
	t.Helper()
	s, err := load.Bytes("t.yaml", []byte(yaml))
	require.NoError(t, err)
	real := &http.Transport{}
	t.Cleanup(real.CloseIdleConnections)
	opt.Tap = func(next http.RoundTripper) http.RoundTripper { return &wire{inner: next, real: real} }
	tb, err := scenarios.Build(s, opt)
	require.NoError(t, err)
	return tb
}

// run advances the virtual loop to the given elapsed time.
func run(t *testing.T, tb *scenarios.Testbed, until time.Duration) {
	t.Helper()
	require.NoError(t, tb.Loop.Run(context.Background(), until))
}

// resp is one answer of the testbed's handler.
type resp struct {
	Status int
	Header http.Header
	Body   string
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(r.Body), v), r.Body)
}

// req describes one request to the testbed.
type req struct {
	Method, Path, Body string
	// NoVersion leaves the Version header out; Version overrides it.
	NoVersion bool
	Version   string
	Header    http.Header
}

// call serves one request with tb.Handler and checks what every response
// must carry: the Version header, and ProblemDetails for an error.
func call(t *testing.T, tb *scenarios.Testbed, r req) resp {
	t.Helper()
	// Paths are relative to the API unless they already name a root
	// (a Link header's target, or a path outside the APIs).
	path := r.Path
	if !strings.HasPrefix(path, vimhttp.Base) && !strings.HasPrefix(path, "/elsewhere") {
		path = vimhttp.Base + path
	}
	hr := httptest.NewRequest(r.Method, path, strings.NewReader(r.Body))
	if r.Body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if !r.NoVersion {
		v := r.Version
		if v == "" {
			v = edge.APIVersion
		}
		hr.Header.Set(edge.HeaderVersion, v)
	}
	for k, vs := range r.Header {
		hr.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	tb.Handler.ServeHTTP(rec, hr)
	out := resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
	require.Equal(t, edge.APIVersion, out.Header.Get(edge.HeaderVersion), "every response carries Version: %s %s -> %s", r.Method, path, out)
	require.NotEqual(t, http.StatusInternalServerError, out.Status, "%s %s -> %s", r.Method, path, out)
	if out.Status >= 400 {
		requireProblem(t, out, out.Status, "")
	}
	return out
}

func get(t *testing.T, tb *scenarios.Testbed, path string) resp {
	t.Helper()
	return call(t, tb, req{Method: http.MethodGet, Path: path})
}

func post(t *testing.T, tb *scenarios.Testbed, path, body string) resp {
	t.Helper()
	return call(t, tb, req{Method: http.MethodPost, Path: path, Body: body})
}

// requireProblem checks a ProblemDetails answer; detail, when not empty,
// must appear in its detail.
func requireProblem(t *testing.T, r resp, status int, detail string) {
	t.Helper()
	require.Equal(t, status, r.Status, r.Body)
	require.Equal(t, edge.MediaProblem, r.Header.Get("Content-Type"), r.Body)
	var p struct {
		Status *int    `json:"status"`
		Detail *string `json:"detail"`
	}
	r.json(t, &p)
	require.NotNil(t, p.Status, "ProblemDetails has status: %s", r.Body)
	require.Equal(t, status, *p.Status, r.Body)
	require.NotNil(t, p.Detail, "ProblemDetails has detail: %s", r.Body)
	require.NotEmpty(t, *p.Detail, r.Body)
	require.Contains(t, *p.Detail, detail)
}

// events returns the trace events of one kind.
func events(tb *scenarios.Testbed, kind string) []escalator.Event {
	var out []escalator.Event
	for _, e := range tb.Trace.Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// requireNoViolations fails when any message broke its spec, except the
// requests a test sent to the VIM on purpose to see them refused.
func requireNoViolations(t *testing.T, tb *scenarios.Testbed) {
	t.Helper()
	for _, e := range events(tb, "spec.violation") {
		if v := eventtest.As[event.SpecViolation](t, e); v.Spec == "escalator VIM maintenance API" && v.Message == "request" {
			continue
		}
		t.Errorf("spec violation: %s", e)
	}
}

// traceJSON is the whole trace as JSON, to look for leaked secrets.
func traceJSON(t *testing.T, tb *scenarios.Testbed) string {
	t.Helper()
	b, err := json.Marshal(tb.Trace.Events)
	require.NoError(t, err)
	return string(b)
}

// --- subscribers: httptest servers on 127.0.0.1 ---

// seen is one request a subscriber received.
type seen struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// subscriber is a notification endpoint on a real socket. Every path
// answers, so one server stands for many callback URIs. answer decides the
// status of each POST (n counts the POSTs from 1), or answerBody from the
// body; GETs (the endpoint test) get testStatus, 204 by default. Both run
// under the subscriber's lock.
type subscriber struct {
	srv        *httptest.Server
	mu         sync.Mutex
	reqs       []seen
	posts      int
	answer     func(n int, r *http.Request) int
	answerBody func(body []byte) int
	testStatus int
}

func newSubscriber(t *testing.T) *subscriber {
	t.Helper()
	s := &subscriber{testStatus: http.StatusNoContent}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	status := s.testStatus
	if r.Method == http.MethodPost {
		s.posts++
		status = http.StatusNoContent
		if s.answer != nil {
			status = s.answer(s.posts, r)
		}
		if s.answerBody != nil {
			status = s.answerBody(body)
		}
	}
	s.mu.Unlock()
	if status == http.StatusNoContent {
		w.Header().Set(edge.HeaderVersion, edge.APIVersion)
		w.WriteHeader(status)
		return
	}
	edge.WriteProblem(w, status, "the subscriber answers "+http.StatusText(status))
}

// url is a callback URI on this server.
func (s *subscriber) url(path string) string { return s.srv.URL + path }

// posted returns the POSTs received so far.
func (s *subscriber) posted() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seen
	for _, r := range s.reqs {
		if r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

func (s *subscriber) gets() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []seen
	for _, r := range s.reqs {
		if r.Method == http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// subscribe POSTs a subscription request and returns the answer.
func subscribe(t *testing.T, tb *scenarios.Testbed, body map[string]any) resp {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	return post(t, tb, "/subscriptions", string(b))
}

// subscribed creates a subscription that must succeed and returns its id.
func subscribed(t *testing.T, tb *scenarios.Testbed, body map[string]any) string {
	t.Helper()
	r := subscribe(t, tb, body)
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	var sub struct {
		ID string `json:"id"`
	}
	r.json(t, &sub)
	require.NotEmpty(t, sub.ID)
	return sub.ID
}

// --- 1. subscriptions ---

func TestCreateSubscription(t *testing.T) {
	const password, secret = "pa55-w0rd-XYZZY", "cl1ent-s3cret-PLUGH"
	tests := []struct {
		name string
		auth map[string]any
	}{
		{"no authentication", nil},
		{"basic", map[string]any{"authType": []string{"BASIC"},
			"paramsBasic": map[string]any{"userName": "vim-user", "password": password}}},
		{"oauth2 client credentials", map[string]any{"authType": []string{"OAUTH2_CLIENT_CREDENTIALS"},
			"paramsOauth2ClientCredentials": map[string]any{"clientId": "vim-client", "clientPassword": secret, "tokenEndpoint": "TOKEN"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := build(t, silentScenario, scenarios.BuildOptions{})
			sub := newSubscriber(t)
			if p, ok := tc.auth["paramsOauth2ClientCredentials"].(map[string]any); ok {
				// The endpoint test fetches a token: give it a server.
				o := &oauthServer{clientID: "vim-client", secret: secret}
				o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
				t.Cleanup(o.srv.Close)
				p["tokenEndpoint"] = o.srv.URL + "/token"
			}
			body := map[string]any{"vnfmId": "vnfm-x", "callbackUri": sub.url("/cb"),
				"filter": map[string]any{"notificationTypes": []string{"MaintenanceNotification"}, "nodeIds": []string{"compute-1"}}}
			if tc.auth != nil {
				body["authentication"] = tc.auth
			}
			r := subscribe(t, tb, body)
			require.Equal(t, http.StatusCreated, r.Status, r.Body)
			require.Equal(t, "application/json", strings.Split(r.Header.Get("Content-Type"), ";")[0])
			var got map[string]any
			r.json(t, &got)
			id, _ := got["id"].(string)
			require.NotEmpty(t, id)
			require.Equal(t, vimhttp.Base+"/subscriptions/"+id, r.Header.Get("Location"))
			require.Equal(t, "vnfm-x", got["vnfmId"])
			require.Equal(t, sub.url("/cb"), got["callbackUri"])
			require.Equal(t, map[string]any{"notificationTypes": []any{"MaintenanceNotification"}, "nodeIds": []any{"compute-1"}}, got["filter"])
			require.Equal(t, map[string]any{"self": map[string]any{"href": vimhttp.Base + "/subscriptions/" + id}}, got["_links"])
			require.NotContains(t, got, "authentication", "authentication is write-only")

			// The endpoint was tested with a GET carrying Version (and the
			// basic credentials when asked for).
			gets := sub.gets()
			require.Len(t, gets, 1)
			require.Equal(t, "/cb", gets[0].Path)
			require.Equal(t, edge.APIVersion, gets[0].Header.Get(edge.HeaderVersion))
			if tc.name == "basic" {
				u, p, ok := (&http.Request{Header: gets[0].Header}).BasicAuth()
				require.True(t, ok)
				require.Equal(t, "vim-user", u)
				require.Equal(t, password, p)
			}

			// The credentials appear in no answer and nowhere in the trace.
			one := get(t, tb, "/subscriptions/"+id)
			list := get(t, tb, "/subscriptions")
			for _, out := range []resp{r, one, list} {
				for _, s := range []string{password, secret} {
					require.NotContains(t, out.Body, s)
					for k, vs := range out.Header {
						require.NotContains(t, strings.Join(vs, " "), s, k)
					}
				}
				require.NotContains(t, out.Body, "authentication")
			}
			trace := traceJSON(t, tb)
			require.NotContains(t, trace, password)
			require.NotContains(t, trace, secret)
			require.Len(t, events(tb, "subscription.created"), 2, "the reference VNFM's and ours")
			requireNoViolations(t, tb)
		})
	}
}

func TestRefusedSubscriptionLeaksNoSecret(t *testing.T) {
	const secret = "n3ver-SHOWN-zorkmid"
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	failing := newSubscriber(t)
	failing.testStatus = http.StatusInternalServerError
	good := newSubscriber(t)
	basic := `"authentication":{"authType":["BASIC"],"paramsBasic":{"userName":"u","password":"` + secret + `"}}`
	for _, body := range []string{
		`{"vnfmId":"v","callbackUri":"` + failing.url("/cb") + `",` + basic + `}`,
		`{"vnfmId":"v","callbackUri":"ftp://x/cb",` + basic + `}`,
		`{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","extra":1,` + basic + `}`,
		`{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","authentication":{"authType":["BASIC"],"paramsBasic":{"userName":"u","password":"` + secret + `","hint":"` + secret + `"}}}`,
		`{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","authentication":{"authType":["OAUTH2_CLIENT_CREDENTIALS"],"paramsOauth2ClientCredentials":{"clientId":"c","clientPassword":"` + secret + `"}}}`,
		`{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","authentication":{"authType":["BASIC"],"paramsBasic":{"userName":"u","password":"` + secret + `"}`,
	} {
		r := post(t, tb, "/subscriptions", body)
		require.GreaterOrEqual(t, r.Status, 400, r.Body)
		require.NotContains(t, r.Body, secret)
	}
	require.NotContains(t, traceJSON(t, tb), secret)
}

func TestCreateSubscriptionChecksTokenEndpoint(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	sub := newSubscriber(t)
	r := subscribe(t, tb, map[string]any{"vnfmId": "v", "callbackUri": sub.url("/cb"),
		"authentication": map[string]any{"authType": []string{"OAUTH2_CLIENT_CREDENTIALS"},
			"paramsOauth2ClientCredentials": map[string]any{"clientId": "c", "clientPassword": "p", "tokenEndpoint": "not a uri"}}})
	if r.Status == http.StatusCreated {
		t.Fatal("regression: a subscription whose paramsOauth2ClientCredentials.tokenEndpoint is \"not a uri\" is accepted (201), " +
			"though the spec declares it format: uri; kin-openapi does not check the uri format and toSubscription checks " +
			"only callbackUri, so every notification to it later fails at the token fetch")
	}
	require.Contains(t, []int{400, 422}, r.Status, r.Body)
}

func TestListSubscriptionsFilterOnNestedAttribute(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	sub := newSubscriber(t)
	id := subscribed(t, tb, map[string]any{"vnfmId": "v", "callbackUri": sub.url("/cb"), "filter": map[string]any{"nodeIds": []string{"compute-1"}}})
	r := get(t, tb, "/subscriptions?filter="+url.QueryEscape("(eq,filter.nodeIds,compute-1)"))
	if r.Status == http.StatusBadRequest {
		t.Fatalf("regression: the spec's filter parameter says \"Every attribute of MaintenanceSubscription can be filtered on\", "+
			"but parseFilter supports only id, vnfmId and callbackUri: %s", r.Body)
	}
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, id)
}

func TestLocationAbsoluteWhenTheAPIRootIsKnown(t *testing.T) {
	const root = "http://vim.example:9000"
	tb := build(t, silentScenario, scenarios.BuildOptions{APIRoot: root})
	sub := newSubscriber(t)
	r := subscribe(t, tb, map[string]any{"vnfmId": "v", "callbackUri": sub.url("/cb")})
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, root) {
		t.Fatalf("regression: with the API root configured (BuildOptions.APIRoot %s, which notifications' _links already use), "+
			"Location is %q and _links.self relative; the spec says Location and Link.href are \"absolute when the VIM knows "+
			"its apiRoot\". vimhttp.Server has no API root at all", root, loc)
	}
}

func TestCreateSubscriptionDuplicateSeesOther(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	sub := newSubscriber(t)
	body := map[string]any{"vnfmId": "vnfm-x", "callbackUri": sub.url("/cb"),
		"filter": map[string]any{"nodeIds": []string{"compute-1", "compute-2"}}}
	first := subscribed(t, tb, body)

	// The same request, the filter's values in another order: 303 to the
	// first, nothing created.
	body["filter"] = map[string]any{"nodeIds": []string{"compute-2", "compute-1"}}
	r := subscribe(t, tb, body)
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	require.Equal(t, vimhttp.Base+"/subscriptions/"+first, r.Header.Get("Location"))
	require.Empty(t, r.Body)
	var all []map[string]any
	get(t, tb, "/subscriptions?filter=(eq,vnfmId,vnfm-x)").json(t, &all)
	require.Len(t, all, 1)

	// Another filter is another subscription.
	body["filter"] = map[string]any{"nodeIds": []string{"compute-1"}}
	require.NotEqual(t, first, subscribed(t, tb, body))
	requireNoViolations(t, tb)
}

func TestCreateSubscriptionRefused(t *testing.T) {
	failing := newSubscriber(t)
	failing.testStatus = http.StatusInternalServerError
	okButNot204 := newSubscriber(t)
	okButNot204.testStatus = http.StatusOK
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	good := newSubscriber(t)

	tests := []struct {
		name     string
		body     string
		statuses []int // any of
		detail   string
	}{
		{"endpoint test answers 500", `{"vnfmId":"v","callbackUri":"` + failing.url("/cb") + `"}`, []int{422}, "500"},
		{"endpoint test answers 200 not 204", `{"vnfmId":"v","callbackUri":"` + okButNot204.url("/cb") + `"}`, []int{422}, "200"},
		{"endpoint unreachable (socket)", `{"vnfmId":"v","callbackUri":"` + goneURL + `/cb"}`, []int{422}, "endpoint test failed"},
		{"endpoint unreachable (in-process)", `{"vnfmId":"v","callbackUri":"http://nobody.escalator/cb"}`, []int{422}, "endpoint test failed"},
		{"callbackUri not a URI", `{"vnfmId":"v","callbackUri":"not a uri"}`, []int{400, 422}, ""},
		{"callbackUri relative", `{"vnfmId":"v","callbackUri":"/cb"}`, []int{400, 422}, ""},
		{"callbackUri not http", `{"vnfmId":"v","callbackUri":"ftp://127.0.0.1/cb"}`, []int{400, 422}, ""},
		{"callbackUri without host", `{"vnfmId":"v","callbackUri":"http:///cb"}`, []int{400, 422}, ""},
		{"missing vnfmId", `{"callbackUri":"` + good.url("/cb") + `"}`, []int{400}, "vnfmId"},
		{"empty vnfmId", `{"vnfmId":"","callbackUri":"` + good.url("/cb") + `"}`, []int{400}, "vnfmId"},
		{"unknown field", `{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","colour":"red"}`, []int{400}, "colour"},
		{"unknown notification type", `{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","filter":{"notificationTypes":["Gossip"]}}`, []int{400}, "notificationTypes"},
		{"basic without params", `{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","authentication":{"authType":["BASIC"]}}`, []int{422}, "paramsBasic"},
		{"oauth2 without params", `{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","authentication":{"authType":["OAUTH2_CLIENT_CREDENTIALS"]}}`, []int{422}, "paramsOauth2ClientCredentials"},
		{"empty authType", `{"vnfmId":"v","callbackUri":"` + good.url("/cb") + `","authentication":{"authType":[]}}`, []int{400}, "authType"},
		{"malformed JSON", `{"vnfmId":"v",`, []int{400}, ""},
		{"not an object", `[]`, []int{400}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := build(t, silentScenario, scenarios.BuildOptions{})
			r := post(t, tb, "/subscriptions", tc.body)
			require.Contains(t, tc.statuses, r.Status, r.Body)
			requireProblem(t, r, r.Status, tc.detail)
			require.Empty(t, r.Header.Get("Location"))
			var all []map[string]any
			get(t, tb, "/subscriptions?filter=(eq,vnfmId,v)").json(t, &all)
			require.Empty(t, all, "nothing was created")
		})
	}
	require.Empty(t, good.gets(), "a request refused by the schema is never tested against the endpoint")
}

func TestListSubscriptionsFilter(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	sub := newSubscriber(t)
	a1 := subscribed(t, tb, map[string]any{"vnfmId": "vnfm-a", "callbackUri": sub.url("/a1")})
	a2 := subscribed(t, tb, map[string]any{"vnfmId": "vnfm-a", "callbackUri": sub.url("/a2")})
	b1 := subscribed(t, tb, map[string]any{"vnfmId": "vnfm-b", "callbackUri": sub.url("/b1")})
	ref := tb.Scenario.VNFM.Name // subscribed at build time

	ids := func(r resp) []string {
		var list []struct {
			ID     string `json:"id"`
			VnfmID string `json:"vnfmId"`
		}
		r.json(t, &list)
		out := []string{}
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	tests := []struct {
		name, filter string
		want         []string // nil: the reference VNFM's too
	}{
		{"eq vnfmId", "(eq,vnfmId,vnfm-a)", []string{a1, a2}},
		{"eq vnfmId alternatives", "(eq,vnfmId,vnfm-a,vnfm-b)", []string{a1, a2, b1}},
		{"neq vnfmId", "(neq,vnfmId," + ref + ")", []string{a1, a2, b1}},
		{"eq id", "(eq,id," + b1 + ")", []string{b1}},
		{"eq callbackUri", "(eq,callbackUri," + sub.url("/a2") + ")", []string{a2}},
		{"two terms ANDed", "(eq,vnfmId,vnfm-a);(neq,id," + a1 + ")", []string{a2}},
		{"no match", "(eq,vnfmId,nobody)", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, tb, "/subscriptions?filter="+url.QueryEscape(tc.filter))
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			require.Empty(t, r.Header.Get("Link"))
			require.Equal(t, tc.want, ids(r))
		})
	}
	t.Run("no filter", func(t *testing.T) {
		r := get(t, tb, "/subscriptions")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Len(t, ids(r), 4)
	})
	t.Run("unescaped filter as a client types it", func(t *testing.T) {
		r := get(t, tb, "/subscriptions?filter=(eq,vnfmId,vnfm-b)")
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		require.Equal(t, []string{b1}, ids(r))
	})

	for _, bad := range []string{"eq,vnfmId,x", "(eq,vnfmId)", "(like,vnfmId,x)", "(eq,password,x)", "(eq,vnfmId,x);junk", "(eq,vnfmId,x", "()"} {
		t.Run("bad filter "+bad, func(t *testing.T) {
			r := get(t, tb, "/subscriptions?filter="+url.QueryEscape(bad))
			requireProblem(t, r, http.StatusBadRequest, "filter")
		})
	}
	t.Run("bad marker", func(t *testing.T) {
		r := get(t, tb, "/subscriptions?nextpage_opaque_marker=%21%21%21")
		requireProblem(t, r, http.StatusBadRequest, "nextpage_opaque_marker")
	})
	requireNoViolations(t, tb)
}

// nextLink reads the rel="next" target from a Link header ("" when none).
var linkNext = regexp.MustCompile(`^<([^>]+)>;\s*rel="next"$`)

func nextLink(t *testing.T, h http.Header) string {
	t.Helper()
	l := h.Get("Link")
	if l == "" {
		return ""
	}
	m := linkNext.FindStringSubmatch(l)
	require.NotNil(t, m, "Link header %q", l)
	return m[1]
}

func TestListSubscriptionsPaging(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	sub := newSubscriber(t)
	const n = 2*vimhttp.PageSize + 7
	want := map[string]bool{}
	for i := range n {
		vnfm := "vnfm-odd"
		if i%2 == 0 {
			vnfm = "vnfm-even"
		}
		want[subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url(fmt.Sprintf("/cb/%d", i))})] = true
	}
	require.Len(t, sub.gets(), n)

	collect := func(first string) (ids []string, pages []int) {
		next := first
		for next != "" {
			require.Less(t, len(pages), 10, "the pages never end")
			r := get(t, tb, next)
			require.Equal(t, http.StatusOK, r.Status, r.Body)
			var page []struct {
				ID string `json:"id"`
			}
			r.json(t, &page)
			require.LessOrEqual(t, len(page), vimhttp.PageSize)
			pages = append(pages, len(page))
			for _, s := range page {
				ids = append(ids, s.ID)
			}
			next = nextLink(t, r.Header)
			if next != "" {
				require.True(t, strings.HasPrefix(next, vimhttp.Base+"/subscriptions?"), next)
				u, err := url.Parse(next)
				require.NoError(t, err)
				require.NotEmpty(t, u.Query().Get("nextpage_opaque_marker"))
			}
		}
		return ids, pages
	}

	t.Run("all", func(t *testing.T) {
		ids, pages := collect("/subscriptions")
		require.Equal(t, []int{vimhttp.PageSize, vimhttp.PageSize, n + 1 - 2*vimhttp.PageSize}, pages)
		require.Len(t, ids, n+1, "ours and the reference VNFM's")
		got := map[string]bool{}
		for _, id := range ids {
			require.False(t, got[id], "subscription %s listed twice", id)
			got[id] = true
		}
		for id := range want {
			require.True(t, got[id], "subscription %s missing", id)
		}
	})
	t.Run("filtered pages keep the filter", func(t *testing.T) {
		ids, pages := collect("/subscriptions?filter=" + url.QueryEscape("(eq,vnfmId,vnfm-even)"))
		require.Equal(t, []int{vimhttp.PageSize, (n+1)/2 - vimhttp.PageSize}, pages)
		require.Len(t, ids, (n+1)/2)
		for _, id := range ids {
			var s struct {
				VnfmID string `json:"vnfmId"`
			}
			get(t, tb, "/subscriptions/"+id).json(t, &s)
			require.Equal(t, "vnfm-even", s.VnfmID)
		}
	})
	requireNoViolations(t, tb)
}

func TestGetAndDeleteSubscription(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	sub := newSubscriber(t)
	id := subscribed(t, tb, map[string]any{"vnfmId": "vnfm-x", "callbackUri": sub.url("/cb")})

	r := get(t, tb, "/subscriptions/"+id)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	var got struct {
		ID, VnfmID, CallbackURI string
	}
	r.json(t, &got)
	require.Equal(t, id, got.ID)
	require.Equal(t, "vnfm-x", got.VnfmID)

	requireProblem(t, get(t, tb, "/subscriptions/no-such-id"), http.StatusNotFound, "no-such-id")
	requireProblem(t, call(t, tb, req{Method: http.MethodDelete, Path: "/subscriptions/no-such-id"}), http.StatusNotFound, "no-such-id")

	r = call(t, tb, req{Method: http.MethodDelete, Path: "/subscriptions/" + id})
	require.Equal(t, http.StatusNoContent, r.Status, r.Body)
	require.Empty(t, r.Body)
	requireProblem(t, get(t, tb, "/subscriptions/"+id), http.StatusNotFound, id)
	requireProblem(t, call(t, tb, req{Method: http.MethodDelete, Path: "/subscriptions/" + id}), http.StatusNotFound, id)
	require.Len(t, events(tb, "subscription.deleted"), 1)

	// Gone means gone: the same request creates a new subscription.
	require.NotEqual(t, id, subscribed(t, tb, map[string]any{"vnfmId": "vnfm-x", "callbackUri": sub.url("/cb")}))
	requireNoViolations(t, tb)
}

// --- 2. upgrade sessions ---

type session struct {
	ID            string `json:"id"`
	State         string `json:"state"`
	Flow          string `json:"flow"`
	TargetVersion string `json:"targetVersion"`
	Reason        string `json:"reason"`
	Nodes         []struct {
		NodeID, Status, FromVersion, ToVersion string
	} `json:"nodes"`
	Links struct {
		Self    struct{ Href string } `json:"self"`
		Replies struct{ Href string } `json:"replies"`
	} `json:"_links"`
}

func sessionOf(t *testing.T, r resp) session {
	t.Helper()
	var s session
	r.json(t, &s)
	return s
}

func createSession(t *testing.T, tb *scenarios.Testbed, body string) session {
	t.Helper()
	r := post(t, tb, "/upgrade_sessions", body)
	require.Equal(t, http.StatusCreated, r.Status, r.Body)
	s := sessionOf(t, r)
	require.NotEmpty(t, s.ID)
	require.Equal(t, tb.Options().APIRoot+vimhttp.Base+"/upgrade_sessions/"+s.ID, r.Header.Get("Location"), "absolute when the API root is known")
	return s
}

func TestUpgradeSessionLifecycle(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	s := createSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-2","compute-1"],"flow":"F2","replyTimeout":5}`)
	require.Equal(t, "RUNNING", s.State)
	require.Equal(t, "F2", s.Flow)
	require.Equal(t, "2.0", s.TargetVersion)
	require.Len(t, s.Nodes, 2)
	require.Equal(t, "compute-2", s.Nodes[0].NodeID, "the requested order")
	require.Equal(t, "pending", s.Nodes[0].Status)
	require.Equal(t, "1.0", s.Nodes[0].FromVersion)
	require.Equal(t, "2.0", s.Nodes[0].ToVersion)
	require.Equal(t, vimhttp.Base+"/upgrade_sessions/"+s.ID, s.Links.Self.Href)
	require.Equal(t, vimhttp.Base+"/upgrade_sessions/"+s.ID+"/replies", s.Links.Replies.Href)

	// One session at a time.
	requireProblem(t, post(t, tb, "/upgrade_sessions", `{"targetVersion":"3.0"}`), http.StatusConflict, s.ID)

	r := get(t, tb, "/upgrade_sessions/"+s.ID)
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Equal(t, s.ID, sessionOf(t, r).ID)
	var list []session
	get(t, tb, "/upgrade_sessions").json(t, &list)
	require.Len(t, list, 1)
	require.Equal(t, s.ID, list[0].ID)

	// Resume before pause is a conflict.
	requireProblem(t, post(t, tb, "/upgrade_sessions/"+s.ID+"/resume", ""), http.StatusConflict, "not paused")

	run(t, tb, 2*time.Second) // compute-2 is in maintenance, waiting on the silent VNFM
	r = post(t, tb, "/upgrade_sessions/"+s.ID+"/pause", "")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Equal(t, "PAUSED", sessionOf(t, r).State)
	r = post(t, tb, "/upgrade_sessions/"+s.ID+"/pause", "")
	require.Equal(t, http.StatusOK, r.Status, "pausing twice is harmless: %s", r.Body)
	require.Equal(t, "PAUSED", sessionOf(t, r).State)
	require.Equal(t, "PAUSED", sessionOf(t, get(t, tb, "/upgrade_sessions/"+s.ID)).State)

	r = post(t, tb, "/upgrade_sessions/"+s.ID+"/resume", "")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Equal(t, "RUNNING", sessionOf(t, r).State)

	r = post(t, tb, "/upgrade_sessions/"+s.ID+"/abort", "")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, []string{"RUNNING", "ABORTED"}, sessionOf(t, r).State, "the batch in flight finishes first")
	run(t, tb, time.Hour)
	st := sessionOf(t, get(t, tb, "/upgrade_sessions/"+s.ID))
	require.Equal(t, "ABORTED", st.State)
	require.NotEmpty(t, st.Reason)

	// An ended session takes no more orders; a new one may start.
	for _, op := range []string{"pause", "resume", "abort"} {
		requireProblem(t, post(t, tb, "/upgrade_sessions/"+s.ID+"/"+op, ""), http.StatusConflict, "ended")
	}
	s2 := createSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-3"]}`)
	require.NotEqual(t, s.ID, s2.ID)
	require.Equal(t, "F1", s2.Flow, "the default flow")
	get(t, tb, "/upgrade_sessions").json(t, &list)
	require.Len(t, list, 2)
	require.Equal(t, []string{s.ID, s2.ID}, []string{list[0].ID, list[1].ID}, "creation order")
	requireNoViolations(t, tb)
}

func TestAbortBeforeTheFirstStep(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	s := createSession(t, tb, `{"targetVersion":"2.0"}`)
	r := post(t, tb, "/upgrade_sessions/"+s.ID+"/abort", "")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Equal(t, "ABORTED", sessionOf(t, r).State)
	run(t, tb, time.Minute)
	require.Equal(t, "ABORTED", sessionOf(t, get(t, tb, "/upgrade_sessions/"+s.ID)).State)
	require.Empty(t, events(tb, "vnfm.notify"), "an aborted session notifies no one")
}

func TestCreateUpgradeSessionRefused(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		detail     string
	}{
		{"unknown node", `{"targetVersion":"2.0","nodeIds":["compute-9"]}`, 422, "compute-9"},
		{"node listed twice", `{"targetVersion":"2.0","nodeIds":["compute-1","compute-1"]}`, 422, "twice"},
		{"flow naive is not on the wire", `{"targetVersion":"2.0","flow":"naive"}`, 400, "flow"},
		{"missing targetVersion", `{"nodeIds":["compute-1"]}`, 400, "targetVersion"},
		{"empty targetVersion", `{"targetVersion":""}`, 400, "targetVersion"},
		{"maxParallel 0", `{"targetVersion":"2.0","maxParallel":0}`, 400, "maxParallel"},
		{"replyTimeout 0", `{"targetVersion":"2.0","replyTimeout":0}`, 400, "replyTimeout"},
		{"onNack unknown", `{"targetVersion":"2.0","onNack":"retry"}`, 400, "onNack"},
		{"unknown field", `{"targetVersion":"2.0","dryRun":true}`, 400, "dryRun"},
		{"malformed JSON", `{"targetVersion":`, 400, ""},
		{"wrong type", `{"targetVersion":2}`, 400, "targetVersion"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := build(t, silentScenario, scenarios.BuildOptions{})
			r := post(t, tb, "/upgrade_sessions", tc.body)
			requireProblem(t, r, tc.status, tc.detail)
			require.Empty(t, r.Header.Get("Location"))
			var list []session
			get(t, tb, "/upgrade_sessions").json(t, &list)
			require.Empty(t, list)
		})
	}
}

func TestUnknownSession(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	reply := `{"notificationId":"n","vnfmId":"vnfm-1","reply":"ACK_PLANNED_MAINTENANCE"}`
	for _, r := range []req{
		{Method: http.MethodGet, Path: "/upgrade_sessions/nope"},
		{Method: http.MethodPost, Path: "/upgrade_sessions/nope/pause"},
		{Method: http.MethodPost, Path: "/upgrade_sessions/nope/resume"},
		{Method: http.MethodPost, Path: "/upgrade_sessions/nope/abort"},
		{Method: http.MethodPost, Path: "/upgrade_sessions/nope/replies", Body: reply},
	} {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			requireProblem(t, call(t, tb, r), http.StatusNotFound, "nope")
		})
	}
}

// --- 3. replies ---

// pending starts a session with the silent VNFM and returns it with the
// maintenance notification it waits on.
func pending(t *testing.T, tb *scenarios.Testbed, body string) (session, escalator.Event) {
	t.Helper()
	s := createSession(t, tb, body)
	run(t, tb, 2*time.Second)
	var note escalator.Event
	for _, e := range events(tb, "vnfm.notify") {
		if n := eventtest.As[event.VNFMNotify](t, e); n.Type == "MaintenanceNotification" && n.Session == s.ID {
			note = e
		}
	}
	n, _ := eventtest.Payload[event.VNFMNotify](note)
	require.NotEmpty(t, n.NotificationID, "no maintenance notification was sent")
	require.NotEmpty(t, n.Instances)
	return s, note
}

func replyBody(notification, vnfm, reply string, extra string) string {
	return fmt.Sprintf(`{"notificationId":%q,"vnfmId":%q,"reply":%q%s}`, notification, vnfm, reply, extra)
}

func TestReplies(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	s, note := pending(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"replyTimeout":30}`)
	id, vnfm, inst := eventtest.As[event.VNFMNotify](t, note).NotificationID, note.Subject, eventtest.As[event.VNFMNotify](t, note).Instances[0]
	path := "/upgrade_sessions/" + s.ID + "/replies"

	refused := []struct {
		name, body string
		status     int
		detail     string
	}{
		{"reply MAYBE breaks the pattern", replyBody(id, vnfm, "MAYBE", ""), 400, "reply"},
		{"reply lower case", replyBody(id, vnfm, "ack_planned_maintenance", ""), 400, "reply"},
		{"unknown field", replyBody(id, vnfm, "ACK_PLANNED_MAINTENANCE", `,"mood":"happy"`), 400, "mood"},
		{"unknown action", replyBody(id, vnfm, "ACK_PLANNED_MAINTENANCE", `,"instanceActions":[{"instanceId":"`+inst+`","action":"REBOOT"}]`), 400, "action"},
		{"missing notificationId", `{"vnfmId":"` + vnfm + `","reply":"ACK_PLANNED_MAINTENANCE"}`, 400, "notificationId"},
		{"malformed JSON", `{"notificationId":`, 400, ""},
		{"JSON array", `[]`, 400, ""},
		{"JSON null", `null`, 400, ""},
		{"JSON string", `"ACK"`, 400, ""},
		{"empty body", ``, 400, ""},
		{"wrong state", replyBody(id, vnfm, "ACK_SCALE_IN", ""), 409, "SCALE_IN"},
		{"unknown notification", replyBody("no-such-notification", vnfm, "ACK_PLANNED_MAINTENANCE", ""), 409, "no-such-notification"},
		{"another VNFM", replyBody(id, "vnfm-other", "ACK_PLANNED_MAINTENANCE", ""), 409, "vnfm-other"},
		{"instance not in the notification", replyBody(id, vnfm, "ACK_PLANNED_MAINTENANCE", `,"instanceActions":[{"instanceId":"mme-2","action":"MIGRATE"}]`), 422, "mme-2"},
		{"unknown session", replyBody(id, vnfm, "ACK_PLANNED_MAINTENANCE", ""), 404, "nope"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			p := path
			if tc.status == 404 {
				p = "/upgrade_sessions/nope/replies"
			}
			requireProblem(t, post(t, tb, p, tc.body), tc.status, tc.detail)
		})
	}
	// Nothing above was taken: the notification is still awaited.
	for _, e := range events(tb, "vnfm.reply") {
		require.False(t, eventtest.As[event.VNFMReply](t, e).Accepted, "%s", e)
	}

	t.Run("valid ACK", func(t *testing.T) {
		r := post(t, tb, path, replyBody(id, vnfm, "ACK_PLANNED_MAINTENANCE", `,"instanceActions":[{"instanceId":"`+inst+`","action":"LIVE_MIGRATE"}]`))
		require.Equal(t, http.StatusNoContent, r.Status, r.Body)
		require.Empty(t, r.Body)
	})
	t.Run("the same again", func(t *testing.T) {
		requireProblem(t, post(t, tb, path, replyBody(id, vnfm, "ACK_PLANNED_MAINTENANCE", "")), http.StatusConflict, id)
	})
	t.Run("a NACK after the ACK", func(t *testing.T) {
		requireProblem(t, post(t, tb, path, replyBody(id, vnfm, "NACK_PLANNED_MAINTENANCE", "")), http.StatusConflict, "")
	})
	var accepted int
	for _, e := range events(tb, "vnfm.reply") {
		if r := eventtest.As[event.VNFMReply](t, e); r.Accepted {
			accepted++
			require.Equal(t, id, r.NotificationID)
		}
	}
	require.Equal(t, 1, accepted)
	// The ACK asked for a live migration: the VIM moves the VM.
	run(t, tb, time.Minute)
	var moved bool
	for _, e := range events(tb, "vm.migrate") {
		moved = moved || e.Subject == inst
	}
	require.True(t, moved, "the VIM migrates the instance the ACK named")
	requireNoViolations(t, tb)
}

func TestReplyWithTrailingGarbage(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	s, note := pending(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"]}`)
	path := "/upgrade_sessions/" + s.ID + "/replies"
	valid := replyBody(eventtest.As[event.VNFMNotify](t, note).NotificationID, note.Subject, "ACK_PLANNED_MAINTENANCE", "")
	r := post(t, tb, path, valid+`}`)
	if r.Status == http.StatusNoContent {
		t.Fatal("regression: a body that is not JSON (a valid reply followed by a stray \"}\") is accepted with 204 and the reply taken: " +
			"neither edge.Validator (kin-openapi decodes with json.Decoder) nor vimhttp's bind (echo's DefaultBinder) rejects data " +
			"after the first JSON value; the same holds for every JSON request body of the API")
	}
	requireProblem(t, r, http.StatusBadRequest, "")
	require.Equal(t, http.StatusNoContent, post(t, tb, path, valid).Status, "the notification is still awaited")
}

func TestBadVersionDetailNamesTheHeader(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	r := call(t, tb, req{Method: "GET", Path: "/nodes", Version: "1"})
	requireProblem(t, r, http.StatusBadRequest, "")
	if !strings.Contains(r.Body, "Version") {
		t.Fatalf("regression: a malformed Version header (\"1\") gets a 400 whose detail does not name the header: %s. "+
			"edge.flatten matches openapi3.MultiError before *openapi3filter.RequestError, and RequestError unwraps to the "+
			"MultiError of its schema errors, so describe() (\"header parameter Version: ...\") is never reached for parameters", r.Body)
	}
}

func TestReplyAfterTheDeadline(t *testing.T) {
	for _, flow := range []string{"F1", "F2"} {
		t.Run(flow, func(t *testing.T) {
			tb := build(t, silentScenario, scenarios.BuildOptions{})
			s, note := pending(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"flow":"`+flow+`","replyTimeout":10}`)
			run(t, tb, 11*time.Second)
			require.Len(t, events(tb, "vnfm.reply-timeout"), 1)
			r := post(t, tb, "/upgrade_sessions/"+s.ID+"/replies", replyBody(eventtest.As[event.VNFMNotify](t, note).NotificationID, note.Subject, "ACK_PLANNED_MAINTENANCE", ""))
			requireProblem(t, r, http.StatusConflict, "")
		})
	}
}

func TestNackEndsTheSession(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	s, note := pending(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"]}`)
	r := post(t, tb, "/upgrade_sessions/"+s.ID+"/replies", replyBody(eventtest.As[event.VNFMNotify](t, note).NotificationID, note.Subject, "NACK_PLANNED_MAINTENANCE", `,"reason":"busy hour"`))
	require.Equal(t, http.StatusNoContent, r.Status, r.Body)
	run(t, tb, time.Hour)
	st := sessionOf(t, get(t, tb, "/upgrade_sessions/"+s.ID))
	require.Equal(t, "FAILED", st.State)
	require.Contains(t, st.Reason, "busy hour")
}

// --- 4. conventions ---

func TestConventions(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	tests := []struct {
		name   string
		r      req
		status int
		detail string
	}{
		{"missing Version", req{Method: "GET", Path: "/nodes", NoVersion: true}, 400, "Version"},
		{"missing Version on POST", req{Method: "POST", Path: "/upgrade_sessions", Body: `{"targetVersion":"2.0"}`, NoVersion: true}, 400, "Version"},
		{"Version 2.0.0", req{Method: "GET", Path: "/nodes", Version: "2.0.0"}, 406, "2.0.0"},
		{"Version 1.1.0 is the same major", req{Method: "GET", Path: "/nodes", Version: "1.1.0"}, 200, ""},
		{"Version not semver", req{Method: "GET", Path: "/nodes", Version: "1"}, 400, ""},
		{"api_versions without Version", req{Method: "GET", Path: "/api_versions", NoVersion: true}, 200, ""},
		{"api_versions with Version", req{Method: "GET", Path: "/api_versions"}, 200, ""},
		{"unknown path under the API", req{Method: "GET", Path: "/nothing/here"}, 404, "/nothing/here"},
		{"unknown path elsewhere", req{Method: "GET", Path: "/elsewhere"}, 404, "/elsewhere"},
		{"DELETE on upgrade_sessions", req{Method: "DELETE", Path: "/upgrade_sessions"}, 405, "DELETE"},
		{"PUT on a subscription", req{Method: "PUT", Path: "/subscriptions/x", Body: `{}`}, 405, "PUT"},
		{"GET on replies", req{Method: "GET", Path: "/upgrade_sessions/x/replies"}, 405, "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tb, tc.r)
			require.Equal(t, tc.status, r.Status, r.Body)
			if tc.status >= 400 {
				requireProblem(t, r, tc.status, tc.detail)
			}
		})
	}
	t.Run("api_versions body", func(t *testing.T) {
		var v struct {
			URIPrefix   string `json:"uriPrefix"`
			APIVersions []struct {
				Version string `json:"version"`
			} `json:"apiVersions"`
		}
		call(t, tb, req{Method: "GET", Path: "/api_versions", NoVersion: true}).json(t, &v)
		require.Equal(t, vimhttp.Base, v.URIPrefix)
		require.Len(t, v.APIVersions, 1)
		require.Equal(t, edge.APIVersion, v.APIVersions[0].Version)
	})
	requireNoViolations(t, tb)
}

func TestAuth(t *testing.T) {
	bearer := edge.Credential{Scheme: "bearer", Token: "t0ken-SESAME"}
	basic := edge.Credential{Scheme: "basic", User: "operator", Password: "pw-SESAME"}
	wrongBasic := edge.Credential{Scheme: "basic", User: "operator", Password: "nope"}
	tests := []struct {
		name      string
		cred      edge.Credential
		challenge string
		wrong     []string
	}{
		{"bearer", bearer, "Bearer ", []string{"Bearer nope", "bearer t0ken-SESAME-x", basic.Header(), "t0ken-SESAME"}},
		{"basic", basic, "Basic ", []string{wrongBasic.Header(), bearer.Header(), "Basic !!!", "Basic " + "b3BlcmF0b3I="}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The reference VNFM subscribes with the credential, so the
			// build itself proves the right one is accepted.
			tb := build(t, silentScenario, scenarios.BuildOptions{Auth: tc.cred})
			require.True(t, tb.Subscribed())
			for _, path := range []string{"/nodes", "/subscriptions", "/upgrade_sessions"} {
				r := call(t, tb, req{Method: "GET", Path: path})
				requireProblem(t, r, http.StatusUnauthorized, "credentials")
				require.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), tc.challenge), "challenge %q", r.Header.Get("WWW-Authenticate"))
				for _, h := range tc.wrong {
					r := call(t, tb, req{Method: "GET", Path: path, Header: http.Header{"Authorization": {h}}})
					requireProblem(t, r, http.StatusUnauthorized, "not valid")
					require.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), tc.challenge))
				}
				r = call(t, tb, req{Method: "GET", Path: path, Header: http.Header{"Authorization": {tc.cred.Header()}}})
				require.Equal(t, http.StatusOK, r.Status, r.Body)
				require.Empty(t, r.Header.Get("WWW-Authenticate"))
			}
			// A write needs it too.
			r := post(t, tb, "/upgrade_sessions", `{"targetVersion":"2.0"}`)
			requireProblem(t, r, http.StatusUnauthorized, "")
			var list []session
			call(t, tb, req{Method: "GET", Path: "/upgrade_sessions", Header: http.Header{"Authorization": {tc.cred.Header()}}}).json(t, &list)
			require.Empty(t, list)
			require.NotContains(t, traceJSON(t, tb), "SESAME")
		})
	}
}

// --- 4b. nodes and VMs ---

type vm struct {
	VMID          string `json:"vmId"`
	NodeID        string `json:"nodeId"`
	VnfmID        string `json:"vnfmId"`
	VnfInstanceID string `json:"vnfInstanceId"`
	State         string `json:"state"`
}

func TestNodesAndVMs(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})

	var nodes []struct {
		NodeID, Zone, Version, State string
		VCPUs                        int `json:"vcpus"`
		UsedVCPUs                    int `json:"usedVcpus"`
	}
	r := get(t, tb, "/nodes")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	r.json(t, &nodes)
	require.Len(t, nodes, 3)
	for i, n := range nodes {
		require.Equal(t, fmt.Sprintf("compute-%d", i+1), n.NodeID)
		require.Equal(t, "1.0", n.Version)
		require.Equal(t, "normal", n.State)
	}
	require.Positive(t, nodes[0].UsedVCPUs, "mme-1 is on compute-1")
	require.Zero(t, nodes[2].UsedVCPUs)

	r = get(t, tb, "/nodes/compute-2")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	require.Contains(t, r.Body, `"nodeId":"compute-2"`)
	requireProblem(t, get(t, tb, "/nodes/compute-9"), http.StatusNotFound, "compute-9")

	vms := func(path string) []vm {
		r := get(t, tb, path)
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		var out []vm
		r.json(t, &out)
		require.NotNil(t, out, "an empty list is [], not null: %s", r.Body)
		return out
	}
	require.Len(t, vms("/vms"), 2)
	on1 := vms("/vms?nodeId=compute-1")
	require.Len(t, on1, 1)
	require.Equal(t, vm{VMID: "mme-1", NodeID: "compute-1", VnfmID: tb.Scenario.VNFM.Name, VnfInstanceID: "mme", State: "running"}, on1[0])
	require.Empty(t, vms("/vms?nodeId=compute-3"))
	require.Empty(t, vms("/vms?nodeId=compute-9"))
	require.Len(t, vms("/vms?vnfInstanceId=mme"), 2)
	require.Len(t, vms("/vms?vnfInstanceId=mme&nodeId=compute-2"), 1)
	require.Empty(t, vms("/vms?vnfInstanceId=sgw"))

	r = get(t, tb, "/vms/mme-2")
	require.Equal(t, http.StatusOK, r.Status, r.Body)
	var one vm
	r.json(t, &one)
	require.Equal(t, "compute-2", one.NodeID)
	requireProblem(t, get(t, tb, "/vms/mme-9"), http.StatusNotFound, "mme-9")
	requireNoViolations(t, tb)
}

func TestMigrateVM(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	r := post(t, tb, "/vms/mme-1/migrate", `{}`)
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	var v vm
	r.json(t, &v)
	require.Equal(t, "mme-1", v.VMID)

	// Migrating already: 409.
	requireProblem(t, post(t, tb, "/vms/mme-1/migrate", `{"live":true}`), http.StatusConflict, "mme-1")
	requireProblem(t, post(t, tb, "/vms/mme-9/migrate", `{}`), http.StatusNotFound, "mme-9")
	requireProblem(t, post(t, tb, "/vms/mme-2/migrate", `{"live":"yes"}`), http.StatusBadRequest, "live")
	requireProblem(t, post(t, tb, "/vms/mme-2/migrate", `{"where":"compute-3"}`), http.StatusBadRequest, "where")

	run(t, tb, 5*time.Minute)
	r = get(t, tb, "/vms/mme-1")
	r.json(t, &v)
	require.Equal(t, "running", v.State)
	require.Equal(t, "compute-3", v.NodeID, "anti-affinity leaves only compute-3")
	fin := events(tb, "vm.migrate-finished")
	require.Len(t, fin, 1)
	require.Equal(t, "compute-3", eventtest.As[event.VMMigrateFinished](t, fin[0]).To)
	require.Len(t, events(tb, "vm.migrate-requested"), 1)

	// Cold.
	r = post(t, tb, "/vms/mme-2/migrate", `{"live":false}`)
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	requireProblem(t, post(t, tb, "/vms/mme-2/migrate", `{}`), http.StatusConflict, "mme-2")
	run(t, tb, 15*time.Minute)
	r = get(t, tb, "/vms/mme-2")
	r.json(t, &v)
	require.Equal(t, "running", v.State)
	require.Equal(t, "compute-1", v.NodeID)
	requireNoViolations(t, tb)
}

func TestMigrateVMAnswersMigrating(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	r := post(t, tb, "/vms/mme-1/migrate", `{}`)
	require.Equal(t, http.StatusAccepted, r.Status, r.Body)
	var v vm
	r.json(t, &v)
	if v.State != "migrating" {
		t.Fatal("regression: POST /vms/{vmId}/migrate answers 202 with the VM as it was before the move (state \"running\"), " +
			"but the spec says \"202 returns the VM in state `migrating`\": Server.MigrateVM returns got[0], read before Cloud.Migrate")
	}
	require.Equal(t, "migrating", v.State)
}

func TestMigrateVMNowhereToGo(t *testing.T) {
	// Two nodes, two anti-affine instances: mme-1 cannot move anywhere.
	tb := build(t, strings.Replace(silentScenario, "nodes: {count: 3}", "nodes: {count: 2}", 1), scenarios.BuildOptions{})
	r := post(t, tb, "/vms/mme-1/migrate", `{}`)
	run(t, tb, time.Minute)
	fin := events(tb, "vm.migrate-finished")
	require.Len(t, fin, 1)
	require.NotEmpty(t, eventtest.As[event.VMMigrateFinished](t, fin[0]).Error, "the move failed: %s", fin[0])
	if r.Status == http.StatusAccepted {
		t.Fatal("regression: POST /vms/{vmId}/migrate answers 202 when no node can take the VM; the spec says 409 " +
			"(\"409 when the VM is already migrating, is down, or no node can take it\"): Server.MigrateVM never checks placement " +
			"and the failure only shows as a vm.migrate-finished event with an error")
	}
	requireProblem(t, r, http.StatusConflict, "mme-1")
}
