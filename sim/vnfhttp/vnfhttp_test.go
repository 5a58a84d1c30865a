package vnfhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/openapi/vnfctlapi"
	"github.com/escalator-testbed/escalator/sim"
	"github.com/escalator-testbed/escalator/sim/vnfhttp"
)

// fixture is a small world on a virtual loop behind the VNF control API on
// a loopback socket. The loop has no goroutine of its own: whoever holds
// mu owns it, the server's handlers through Exec and the test through on
// and run, so time moves only when the test runs the loop and every read
// of the world is ordered after the request that changed it.
type fixture struct {
	mu    sync.Mutex
	loop  *sim.Loop
	trace *escalator.Trace
	w     *sim.World
	srv   *httptest.Server

	vmu        sync.Mutex
	violations []edge.Violation
}

const serviceTime = 50 * time.Millisecond

// loadSpec parses the VNF control spec once for all the fixtures.
var loadSpec = sync.OnceValues(func() (*edge.Spec, error) { return edge.Load(openapi.VNFControl) })

// newFixture serves a world of four nodes: mme, an active-standby pair
// (mme-1 active on n1, mme-2 standby on n2) that declares IFA 011 limits,
// and web, a load-balanced pool of three (web-1..3 on n1..n3) whose load
// needs two of them; n4 is empty. With bare, the world has no VNF.
func newFixture(t *testing.T, cred edge.Credential, bare bool) *fixture {
	t.Helper()
	f := &fixture{loop: sim.NewVirtualLoop()}
	f.trace = escalator.NewTrace(f.loop.Elapsed)
	var nodes []sim.NodeConfig
	for _, id := range []string{"n1", "n2", "n3", "n4"} {
		nodes = append(nodes, sim.NodeConfig{ID: id, Zone: "az1", VCPUs: 8, MemoryGiB: 32, Version: "1.0"})
	}
	f.w = sim.NewWorld(f.loop, f.trace, sim.Timings{}, nodes)
	if !bare {
		require.NoError(t, f.w.AddVNF(sim.VNFConfig{Name: "mme", Mode: sim.ModeActiveStandby, Load: 100, CapacityPerInstance: 100,
			ServiceTime: serviceTime, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second,
			Limits: &sim.Limits{MaxImpacted: 1, MinPreserved: 1, MigrationTypes: []string{"live"}}},
			"vnfm-1", 2, 2, 4, true, []string{"n1", "n2"}))
		require.NoError(t, f.w.AddVNF(sim.VNFConfig{Name: "web", Mode: sim.ModeLoadBalanced, Load: 500, CapacityPerInstance: 400,
			ServiceTime: serviceTime, FailoverTime: 3 * time.Second, HealthCheckWindow: 5 * time.Second},
			"vnfm-1", 3, 2, 4, true, []string{"n1", "n2", "n3"}))
	}
	spec, err := loadSpec()
	require.NoError(t, err)
	exec := func(fn func()) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.loop.Exec(fn)
	}
	h := vnfhttp.Handler(&vnfhttp.Server{World: f.w, Exec: exec}, spec, cred, func(v edge.Violation) {
		f.vmu.Lock()
		defer f.vmu.Unlock()
		f.violations = append(f.violations, v)
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// on runs fn on the loop, as the test.
func (f *fixture) on(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// run advances virtual time to d.
func (f *fixture) run(t *testing.T, d time.Duration) {
	t.Helper()
	f.on(func() { require.NoError(t, f.loop.Run(context.Background(), d)) })
}

func (f *fixture) view(t *testing.T, vnf string) sim.VNFView {
	t.Helper()
	var v sim.VNFView
	var err error
	f.on(func() { v, err = f.w.GetVNF(vnf) })
	require.NoError(t, err)
	return v
}

func (f *fixture) instance(t *testing.T, vnf, id string) sim.InstanceView {
	t.Helper()
	for _, i := range f.view(t, vnf).Instances {
		if i.InstanceID == id {
			return i
		}
	}
	t.Fatalf("%s has no instance %s", vnf, id)
	return sim.InstanceView{}
}

// snapshot is every VNF as the world shows it.
func (f *fixture) snapshot() []sim.VNFView {
	var out []sim.VNFView
	f.on(func() {
		for _, v := range f.w.VNFs {
			view, _ := f.w.GetVNF(v.Name)
			out = append(out, view)
		}
	})
	return out
}

func (f *fixture) events(kind string) []escalator.Event {
	var out []escalator.Event
	f.on(func() {
		for _, e := range f.trace.Events {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
	})
	return out
}

func (f *fixture) responseViolations() []edge.Violation {
	f.vmu.Lock()
	defer f.vmu.Unlock()
	var out []edge.Violation
	for _, v := range f.violations {
		if v.Message == "response" {
			out = append(out, v)
		}
	}
	return out
}

// request is one call; a nil header map sends the Version header alone.
type request struct {
	method, path, body string
	header             map[string]string
	user, password     string // basic credentials, when user is set
}

func (f *fixture) do(t *testing.T, r request) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, f.srv.URL+vnfhttp.Base+r.path, body)
	require.NoError(t, err)
	req.Header.Set(edge.HeaderVersion, edge.APIVersion)
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	if r.user != "" {
		req.SetBasicAuth(r.user, r.password)
	}
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, out
}

func decode[T any](t *testing.T, resp *http.Response, body []byte) T {
	t.Helper()
	require.Equal(t, "application/json", strings.Split(resp.Header.Get("Content-Type"), ";")[0], "%s", body)
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "%s", body)
	return v
}

func roles(v vnfctlapi.Vnf) map[string]string {
	out := map[string]string{}
	for _, i := range v.Instances {
		out[i.InstanceID] = string(i.Role)
	}
	return out
}

func ids(v vnfctlapi.Vnf) []string {
	var out []string
	for _, i := range v.Instances {
		out = append(out, i.InstanceID)
	}
	return out
}

// Each operation's success path: the answer is what the spec promises and
// says what the world now is.
func TestOperations(t *testing.T) {
	tests := []struct {
		name    string
		bare    bool             // a world without VNFs
		cred    edge.Credential  // demanded by the server
		prepare func(f *fixture) // on the loop, before the call
		req     request          //
		status  int              //
		check   func(t *testing.T, f *fixture, resp *http.Response, body []byte)
	}{
		{
			name: "list VNFs", req: request{method: http.MethodGet, path: "/vnfs"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				vnfs := decode[[]vnfctlapi.Vnf](t, resp, body)
				require.Len(t, vnfs, 2)
				mme, web := vnfs[0], vnfs[1]
				require.Equal(t, "mme", mme.VnfInstanceID)
				require.Equal(t, vnfctlapi.VnfMode(sim.ModeActiveStandby), mme.Mode)
				require.Equal(t, 100.0, mme.Load)
				require.Equal(t, map[string]string{"mme-1": sim.RoleActive, "mme-2": sim.RoleStandby}, roles(mme))
				require.NotNil(t, mme.Maintenance)
				require.Equal(t, 1, *mme.Maintenance.MaxImpacted)
				require.Equal(t, 1, *mme.Maintenance.MinPreserved)
				require.Equal(t, []vnfctlapi.MaintenanceInfoMigrationTypes{"live"}, mme.Maintenance.MigrationTypes)
				require.Equal(t, "web", web.VnfInstanceID)
				require.Equal(t, 400.0, web.CapacityPerInstance)
				require.Nil(t, web.Maintenance, "web declared nothing")
				require.Equal(t, []string{"web-1", "web-2", "web-3"}, ids(web))
				for k, i := range web.Instances {
					require.Equal(t, []string{"n1", "n2", "n3"}[k], i.NodeID)
					require.Equal(t, vnfctlapi.VnfcHealth("up"), i.Health)
					require.True(t, i.InRotation)
					require.False(t, i.Drained)
				}
			},
		},
		{
			name: "list VNFs of an empty world", bare: true, req: request{method: http.MethodGet, path: "/vnfs"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				require.JSONEq(t, `[]`, string(body), "an empty array, never null")
			},
		},
		{
			name: "read a VNF", req: request{method: http.MethodGet, path: "/vnfs/mme"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				mme := decode[vnfctlapi.Vnf](t, resp, body)
				require.Equal(t, "mme", mme.VnfInstanceID)
				require.Equal(t, []string{"mme-1", "mme-2"}, ids(mme))
				require.Equal(t, "n2", mme.Instances[1].NodeID)
				require.True(t, mme.Instances[1].Ready)
			},
		},
		{
			name:    "read a VNF whose instance is down",
			prepare: func(f *fixture) { f.w.NFVI.FailNode("n2", "test") },
			req:     request{method: http.MethodGet, path: "/vnfs/web"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				web := decode[vnfctlapi.Vnf](t, resp, body)
				require.Equal(t, vnfctlapi.VnfcHealth("up"), web.Instances[0].Health)
				require.Equal(t, vnfctlapi.VnfcHealth("down"), web.Instances[1].Health)
			},
		},
		{
			name:    "read a VNF whose standby is drained",
			prepare: func(f *fixture) { _, _ = f.w.DrainAt("mme", "mme-2") },
			req:     request{method: http.MethodGet, path: "/vnfs/mme"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				mme := decode[vnfctlapi.Vnf](t, resp, body)
				require.True(t, mme.Instances[0].Ready)
				require.False(t, mme.Instances[1].Ready, "a drained standby is out of sync")
				require.True(t, mme.Instances[1].Drained)
				require.False(t, mme.Instances[0].Drained)
			},
		},
		{
			name: "read a VNF with basic credentials", cred: edge.Credential{Scheme: "basic", User: "vnfm", Password: "pw"},
			req: request{method: http.MethodGet, path: "/vnfs/web", user: "vnfm", password: "pw"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				require.Equal(t, "web", decode[vnfctlapi.Vnf](t, resp, body).VnfInstanceID)
			},
		},
		{
			name:   "a Version with an implementation suffix is this version",
			req:    request{method: http.MethodGet, path: "/vnfs/web", header: map[string]string{edge.HeaderVersion: "1.0.0-impl:acme:vnfm:2"}},
			status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				require.Equal(t, "web", decode[vnfctlapi.Vnf](t, resp, body).VnfInstanceID)
			},
		},
		{
			name: "switch over", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":"mme-2"}`},
			status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				want := map[string]string{"mme-1": sim.RoleStandby, "mme-2": sim.RoleActive}
				require.Equal(t, want, roles(decode[vnfctlapi.Vnf](t, resp, body)), "the answer shows the VNF after the switch-over")
				require.Equal(t, sim.RoleActive, f.instance(t, "mme", "mme-2").Role)
				sw := f.events("vnf.switchover")
				require.Len(t, sw, 1)
				p, ok, err := event.As[event.VNFSwitchover](sw[0])
				require.True(t, ok)
				require.NoError(t, err)
				require.Equal(t, "mme-1", p.From)
				require.Equal(t, "mme-2", p.To)
			},
		},
		{
			name: "drain a member", req: request{method: http.MethodPost, path: "/vnfs/web/instances/web-2/drain"}, status: http.StatusAccepted,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				st := decode[vnfctlapi.DrainStatus](t, resp, body)
				require.Equal(t, "web-2", st.InstanceID)
				require.Equal(t, sim.Epoch.Add(serviceTime), st.DrainCompleteAt.UTC(), "in-flight work ends one service time from now")
				require.InDelta(t, serviceTime.Seconds(), st.DrainSeconds, 1e-9)
				i := f.instance(t, "web", "web-2")
				require.True(t, i.Drained)
				require.False(t, i.InRotation)
				require.Empty(t, f.events("vnf.drained"), "virtual time has not moved")
				f.run(t, time.Second)
				done := f.events("vnf.drained")
				require.Len(t, done, 1)
				require.Equal(t, serviceTime, done[0].At, "the drain ends when the answer said")
			},
		},
		{
			name: "drain a standby: nothing in flight",
			req:  request{method: http.MethodPost, path: "/vnfs/mme/instances/mme-2/drain"}, status: http.StatusAccepted,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				st := decode[vnfctlapi.DrainStatus](t, resp, body)
				require.Equal(t, sim.Epoch, st.DrainCompleteAt.UTC())
				require.Zero(t, st.DrainSeconds)
				require.False(t, f.instance(t, "mme", "mme-2").Ready)
			},
		},
		{
			name:    "drain a drained member again",
			prepare: func(f *fixture) { _, _ = f.w.DrainAt("web", "web-2") },
			req:     request{method: http.MethodPost, path: "/vnfs/web/instances/web-2/drain"}, status: http.StatusAccepted,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				st := decode[vnfctlapi.DrainStatus](t, resp, body)
				require.Equal(t, "web-2", st.InstanceID)
				require.Zero(t, st.DrainSeconds, "out of rotation already: nothing new in flight")
				require.True(t, f.instance(t, "web", "web-2").Drained)
			},
		},
		{
			name:    "undrain a member",
			prepare: func(f *fixture) { _, _ = f.w.DrainAt("web", "web-2") },
			req:     request{method: http.MethodPost, path: "/vnfs/web/instances/web-2/undrain"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				i := decode[vnfctlapi.VnfcInstance](t, resp, body)
				require.Equal(t, "web-2", i.InstanceID)
				require.True(t, i.InRotation)
				require.False(t, i.Drained)
				require.True(t, f.instance(t, "web", "web-2").InRotation)
				require.Len(t, f.events("vnf.undrain"), 1)
			},
		},
		{
			name:    "undrain a standby: back in sync",
			prepare: func(f *fixture) { _, _ = f.w.DrainAt("mme", "mme-2") },
			req:     request{method: http.MethodPost, path: "/vnfs/mme/instances/mme-2/undrain"}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				i := decode[vnfctlapi.VnfcInstance](t, resp, body)
				require.True(t, i.Ready)
				require.False(t, i.InRotation, "a standby takes no share")
				require.Equal(t, vnfctlapi.VnfcRole(sim.RoleStandby), i.Role)
			},
		},
		{
			name: "scale in", req: request{method: http.MethodPost, path: "/vnfs/web/scale", body: `{"instances":2}`}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				require.Equal(t, []string{"web-1", "web-2"}, ids(decode[vnfctlapi.Vnf](t, resp, body)), "the newest member goes")
				require.Len(t, f.view(t, "web").Instances, 2)
				var vm *sim.VM
				f.on(func() { vm = f.w.NFVI.VM("web-3") })
				require.Nil(t, vm, "its VM is deleted")
			},
		},
		{
			name: "scale out", req: request{method: http.MethodPost, path: "/vnfs/web/scale", body: `{"instances":4}`}, status: http.StatusOK,
			check: func(t *testing.T, f *fixture, resp *http.Response, body []byte) {
				web := decode[vnfctlapi.Vnf](t, resp, body)
				require.Equal(t, []string{"web-1", "web-2", "web-3", "web-4"}, ids(web))
				require.True(t, web.Instances[3].InRotation)
				sc := f.events("vnf.scaled")
				require.Len(t, sc, 1)
				p, ok, err := event.As[event.VNFScaled](sc[0])
				require.True(t, ok)
				require.NoError(t, err)
				require.Equal(t, 4, p.To)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.cred, tc.bare)
			if tc.prepare != nil {
				f.on(func() { tc.prepare(f) })
			}
			resp, body := f.do(t, tc.req)
			require.Equal(t, tc.status, resp.StatusCode, "%s", body)
			require.Equal(t, edge.APIVersion, resp.Header.Get(edge.HeaderVersion))
			tc.check(t, f, resp, body)
			require.Empty(t, f.responseViolations(), "the server's answer breaks its spec")
		})
	}
}

// Bad input is answered with RFC 7807 ProblemDetails, the status saying
// what is wrong and the detail why, and changes nothing.
func TestProblems(t *testing.T) {
	basic := edge.Credential{Scheme: "basic", User: "vnfm", Password: "pw"}
	tests := []struct {
		name    string
		cred    edge.Credential
		prepare func(f *fixture)
		req     request
		status  int
		detail  string // the detail contains this
		allow   string // a 405's Allow header
		changes bool   // the world may change (a scale-out that fails part-way)
		check   func(t *testing.T, resp *http.Response)
	}{
		// 404: no such VNF, instance or resource.
		{name: "read an unknown VNF", req: request{method: http.MethodGet, path: "/vnfs/nope"},
			status: http.StatusNotFound, detail: `no VNF "nope"`},
		{name: "switch over an unknown VNF", req: request{method: http.MethodPost, path: "/vnfs/nope/switchover", body: `{"targetInstanceId":"mme-2"}`},
			status: http.StatusNotFound, detail: `no VNF "nope"`},
		{name: "switch over to an unknown instance", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":"mme-9"}`},
			status: http.StatusNotFound, detail: `VNF mme has no instance "mme-9"`},
		{name: "drain an instance of an unknown VNF", req: request{method: http.MethodPost, path: "/vnfs/nope/instances/web-1/drain"},
			status: http.StatusNotFound, detail: `no VNF "nope"`},
		{name: "drain an unknown instance", req: request{method: http.MethodPost, path: "/vnfs/web/instances/mme-1/drain"},
			status: http.StatusNotFound, detail: `VNF web has no instance "mme-1"`},
		{name: "undrain an unknown instance", req: request{method: http.MethodPost, path: "/vnfs/web/instances/web-9/undrain"},
			status: http.StatusNotFound, detail: `VNF web has no instance "web-9"`},
		{name: "scale an unknown VNF", req: request{method: http.MethodPost, path: "/vnfs/nope/scale", body: `{"instances":2}`},
			status: http.StatusNotFound, detail: `no VNF "nope"`},
		{name: "an unknown resource", req: request{method: http.MethodGet, path: "/vnfs/web/members"},
			status: http.StatusNotFound, detail: "no resource at " + vnfhttp.Base + "/vnfs/web/members"},

		// 400: a body or header that does not match the spec.
		{name: "a body that is not JSON", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":`},
			status: http.StatusBadRequest, detail: "not a single well-formed JSON value"},
		{name: "a body with something after the JSON", req: request{method: http.MethodPost, path: "/vnfs/web/scale", body: `{"instances":2} }`},
			status: http.StatusBadRequest, detail: "not a single well-formed JSON value"},
		{name: "no body", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover"},
			status: http.StatusBadRequest, detail: "does not match the API"},
		{name: "a switch-over without a target", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{}`},
			status: http.StatusBadRequest, detail: "targetInstanceId"},
		{name: "a switch-over to an empty target", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":""}`},
			status: http.StatusBadRequest, detail: "does not match the API"},
		{name: "an unknown attribute", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":"mme-2","force":true}`},
			status: http.StatusBadRequest, detail: "force"},
		{name: "a count of the wrong type", req: request{method: http.MethodPost, path: "/vnfs/web/scale", body: `{"instances":"two"}`},
			status: http.StatusBadRequest, detail: "instances"},
		{name: "scale to no instance", req: request{method: http.MethodPost, path: "/vnfs/web/scale", body: `{"instances":0}`},
			status: http.StatusBadRequest, detail: "instances"},
		{name: "no Version header", req: request{method: http.MethodGet, path: "/vnfs", header: map[string]string{edge.HeaderVersion: ""}},
			status: http.StatusBadRequest, detail: "the Version header is required"},

		// 406: another major version.
		{name: "another major version", req: request{method: http.MethodGet, path: "/vnfs", header: map[string]string{edge.HeaderVersion: "2.0.0"}},
			status: http.StatusNotAcceptable, detail: "API version 2.0.0 is not supported"},

		// 401: credentials missing or wrong.
		{name: "no credentials", cred: basic, req: request{method: http.MethodGet, path: "/vnfs"},
			status: http.StatusUnauthorized, detail: "this API needs basic credentials",
			check: func(t *testing.T, resp *http.Response) {
				require.Equal(t, `Basic realm="escalator"`, resp.Header.Get("WWW-Authenticate"))
			}},
		{name: "wrong credentials", cred: basic, req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":"mme-2"}`, user: "vnfm", password: "guess"},
			status: http.StatusUnauthorized, detail: "the credentials are not valid"},

		// 405: a method the resource does not take.
		{name: "DELETE a VNF", req: request{method: http.MethodDelete, path: "/vnfs/mme"},
			status: http.StatusMethodNotAllowed, detail: "DELETE is not supported on " + vnfhttp.Base + "/vnfs/mme", allow: "OPTIONS, GET"},
		{name: "PUT the VNF list", req: request{method: http.MethodPut, path: "/vnfs", body: `[]`},
			status: http.StatusMethodNotAllowed, detail: "PUT is not supported", allow: "OPTIONS, GET"},
		{name: "GET a switch-over", req: request{method: http.MethodGet, path: "/vnfs/mme/switchover"},
			status: http.StatusMethodNotAllowed, detail: "GET is not supported", allow: "OPTIONS, POST"},
		{name: "GET a drain", req: request{method: http.MethodGet, path: "/vnfs/web/instances/web-1/drain"},
			status: http.StatusMethodNotAllowed, detail: "GET is not supported", allow: "OPTIONS, POST"},

		// 409: the request does not fit the VNF's state.
		{name: "switch over a load-balanced VNF", req: request{method: http.MethodPost, path: "/vnfs/web/switchover", body: `{"targetInstanceId":"web-2"}`},
			status: http.StatusConflict, detail: "only active-standby VNFs switch over"},
		{name: "switch over to the active", req: request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":"mme-1"}`},
			status: http.StatusConflict, detail: "mme-1 is already active"},
		{name: "switch over to a standby out of sync",
			prepare: func(f *fixture) { _, _ = f.w.DrainAt("mme", "mme-2") },
			req:     request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":"mme-2"}`},
			status:  http.StatusConflict, detail: "standby mme-2 is not ready"},
		{name: "switch over to a standby that is down",
			prepare: func(f *fixture) { f.w.NFVI.FailNode("n2", "test") },
			req:     request{method: http.MethodPost, path: "/vnfs/mme/switchover", body: `{"targetInstanceId":"mme-2"}`},
			status:  http.StatusConflict, detail: "standby mme-2 is not ready"},
		{name: "drain the active", req: request{method: http.MethodPost, path: "/vnfs/mme/instances/mme-1/drain"},
			status: http.StatusConflict, detail: "mme-1 is the active instance"},
		{name: "undrain an instance that is down",
			prepare: func(f *fixture) { _, _ = f.w.DrainAt("web", "web-3"); f.w.NFVI.FailNode("n3", "test") },
			req:     request{method: http.MethodPost, path: "/vnfs/web/instances/web-3/undrain"},
			status:  http.StatusConflict, detail: "instance web-3 is down"},
		{name: "scale an active-standby VNF", req: request{method: http.MethodPost, path: "/vnfs/mme/scale", body: `{"instances":3}`},
			status: http.StatusConflict, detail: "only load-balanced VNFs scale"},
		{name: "scale in below the load", req: request{method: http.MethodPost, path: "/vnfs/web/scale", body: `{"instances":1}`},
			status: http.StatusConflict, detail: "1 instances of 400/s cannot carry the load of 500/s"},
		{name: "scale out beyond the nodes", req: request{method: http.MethodPost, path: "/vnfs/web/scale", body: `{"instances":40}`},
			status: http.StatusConflict, detail: "scaling web out", changes: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.cred, false)
			if tc.prepare != nil {
				f.on(func() { tc.prepare(f) })
			}
			before := f.snapshot()
			resp, body := f.do(t, tc.req)
			require.Equal(t, tc.status, resp.StatusCode, "%s", body)
			require.Equal(t, edge.MediaProblem, resp.Header.Get("Content-Type"))
			require.Equal(t, edge.APIVersion, resp.Header.Get(edge.HeaderVersion))
			var p edge.Problem
			require.NoError(t, json.Unmarshal(body, &p), "%s", body)
			require.Equal(t, tc.status, p.Status, "the ProblemDetails status is the HTTP status")
			require.Equal(t, http.StatusText(tc.status), p.Title)
			require.Contains(t, p.Detail, tc.detail)
			if tc.status == http.StatusMethodNotAllowed {
				require.Equal(t, tc.allow, resp.Header.Get("Allow"), "a 405 says which methods the resource takes")
			}
			if tc.check != nil {
				tc.check(t, resp)
			}
			if !tc.changes {
				require.Equal(t, before, f.snapshot(), "a refused request changed the world")
			}
			require.Empty(t, f.responseViolations(), "the server's answer breaks its spec")
		})
	}
}
