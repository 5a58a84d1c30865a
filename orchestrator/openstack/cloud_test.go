package openstack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// fakeNova answers the few compute API calls the Cloud makes, from a
// world of 3 hosts, and records the calls that change it, in order. The
// real-Nova tests (cmd/escalator, TestOpenStack*) judge the mapping
// against Nova itself; these pin the loop discipline and the requests
// without a stack.
type fakeNova struct {
	mu       sync.Mutex
	calls    []string
	disabled map[string]string // host -> reason
	hosts    map[string]string // server -> host
	migs     []map[string]any
}

func newFakeNova(t *testing.T) (*fakeNova, *gophercloud.ServiceClient) {
	f := &fakeNova{disabled: map[string]string{"compute-3": "hardware repair"}, hosts: map[string]string{"u1": "compute-1", "u2": "compute-2"}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	c := &gophercloud.ServiceClient{ProviderClient: &gophercloud.ProviderClient{HTTPClient: *srv.Client()}, Endpoint: srv.URL + "/", Microversion: Microversion}
	return f, c
}

func (f *fakeNova) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	reply := func(v any) { w.Header().Set("Content-Type", "application/json"); _ = json.NewEncoder(w).Encode(v) }
	p := r.URL.Path
	switch {
	case r.Method == "GET" && p == "/os-services":
		var list []map[string]any
		for _, h := range []string{"compute-1", "compute-2", "compute-3"} {
			st, reason := "enabled", ""
			if why, ok := f.disabled[h]; ok {
				st, reason = "disabled", why
			}
			list = append(list, map[string]any{"id": "svc-" + h, "host": h, "binary": "nova-compute", "zone": "nova", "state": "up", "status": st, "disabled_reason": reason})
		}
		reply(map[string]any{"services": list})
	case r.Method == "GET" && p == "/os-hypervisors/detail":
		var list []map[string]any
		for i, h := range []string{"compute-1", "compute-2", "compute-3"} {
			list = append(list, map[string]any{"id": fmt.Sprint(i), "hypervisor_hostname": h, "vcpus": 8, "memory_mb": 16384,
				"service": map[string]any{"host": h, "id": "svc-" + h}, "cpu_info": "{}", "hypervisor_version": 1, "local_gb": 10, "free_disk_gb": 10})
		}
		reply(map[string]any{"hypervisors": list})
	case r.Method == "GET" && p == "/os-aggregates":
		reply(map[string]any{"aggregates": []any{}})
	case r.Method == "GET" && p == "/servers/detail":
		var list []map[string]any
		for _, id := range []string{"u1", "u2"} {
			list = append(list, map[string]any{"id": id, "status": "ACTIVE", "OS-EXT-SRV-ATTR:host": f.hosts[id],
				"metadata": map[string]string{MetaVM: "mme-" + id[1:], MetaVNF: "mme", MetaVNFM: "vnfm-1", MetaGroup: "mme"},
				"flavor":   map[string]any{"vcpus": 1, "ram": 1024}})
		}
		reply(map[string]any{"servers": list})
	case r.Method == "PUT" && strings.HasPrefix(p, "/os-services/"):
		var b struct{ Status, DisabledReason string }
		_ = json.Unmarshal(body, &struct {
			Status         *string `json:"status"`
			DisabledReason *string `json:"disabled_reason"`
		}{&b.Status, &b.DisabledReason})
		host := strings.TrimPrefix(p, "/os-services/svc-")
		f.calls = append(f.calls, fmt.Sprintf("PUT %s %s %s", host, b.Status, b.DisabledReason))
		if b.Status == "disabled" {
			f.disabled[host] = b.DisabledReason
		} else {
			delete(f.disabled, host)
		}
		reply(map[string]any{"service": map[string]any{"id": "svc-" + host, "host": host, "status": b.Status}})
	case r.Method == "POST" && strings.HasSuffix(p, "/action"):
		id := strings.Split(p, "/")[2]
		var b map[string]map[string]any
		_ = json.Unmarshal(body, &b)
		host, _ := b["os-migrateLive"]["host"].(string)
		f.calls = append(f.calls, fmt.Sprintf("POST %s live-migrate to %q", id, host))
		status, dest := "completed", host
		if host == "" {
			status, dest = "error", ""
		} else {
			f.hosts[id] = host
		}
		f.migs = append(f.migs, map[string]any{"id": len(f.migs) + 1, "instance_uuid": id, "status": status, "migration_type": "live-migration",
			"source_compute": "compute-1", "dest_compute": dest, "created_at": "2026-01-01T00:00:00.000000", "updated_at": "2026-01-01T00:00:02.000000"})
		w.WriteHeader(http.StatusAccepted)
	case r.Method == "GET" && p == "/os-migrations":
		var list []map[string]any
		for _, m := range f.migs {
			if m["instance_uuid"] == r.URL.Query().Get("instance_uuid") {
				list = append(list, m)
			}
		}
		reply(map[string]any{"migrations": list})
	case r.Method == "GET" && strings.HasSuffix(p, "/os-instance-actions"):
		reply(map[string]any{"instanceActions": []any{map[string]any{"request_id": "req-1", "action": "live-migration"}}})
	case r.Method == "GET" && strings.Contains(p, "/os-instance-actions/"):
		reply(map[string]any{"instanceAction": map[string]any{"events": []any{map[string]any{"event": "conductor_live_migrate_instance", "result": "Error",
			"details": "No valid host was found. There are not enough hosts available."}}}})
	case r.Method == "GET" && strings.HasPrefix(p, "/servers/"):
		id := strings.TrimPrefix(p, "/servers/")
		reply(map[string]any{"server": map[string]any{"id": id, "status": "ACTIVE", "OS-EXT-SRV-ATTR:host": f.hosts[id]}})
	default:
		http.Error(w, "fake Nova has no "+r.Method+" "+p, http.StatusNotFound)
	}
}

func (f *fakeNova) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// testLoop is the orchestrator's goroutine in miniature: Post hands it
// work, and only it touches the Cloud and the trace.
type testLoop struct {
	inbox chan func()
	trace *escalator.Trace
}

func (l *testLoop) post(fn func()) { l.inbox <- fn }

// until runs posted work until cond holds (checked on the loop).
func (l *testLoop) until(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case fn := <-l.inbox:
			fn()
		case <-deadline:
			t.Fatal("the cloud did not report back")
		}
	}
}

func newTestCloud(t *testing.T) (*Cloud, *fakeNova, *testLoop) {
	f, nova := newFakeNova(t)
	l := &testLoop{inbox: make(chan func(), 64), trace: escalator.NewTrace(func() time.Duration { return 0 })}
	c, err := New(t.Context(), Config{Compute: nova, Post: l.post, Trace: l.trace, Poll: 10 * time.Millisecond,
		Session: func() string { return "s-42" }})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, f, l
}

func kindsOf(tr *escalator.Trace) []string {
	var out []string
	for _, e := range tr.Events {
		out = append(out, e.Kind+" "+e.Subject)
	}
	return out
}

func TestCloudReadsNova(t *testing.T) {
	c, _, _ := newTestCloud(t)
	nodes := c.Nodes()
	require.Len(t, nodes, 3)
	require.Equal(t, orchestrator.NodeInfo{ID: "compute-1", Zone: "nova", Version: "1.0", State: orchestrator.NodeNormal, VCPUs: 8, MemoryGiB: 16, UsedVCPUs: 1, UsedMemGiB: 1}, nodes[0])
	require.Equal(t, orchestrator.NodeMaintenance, nodes[2].State, "disabled by an operator: not ours to use")
	require.Equal(t, []orchestrator.VMInfo{{ID: "mme-1", Host: "compute-1", State: "running", VNFM: "vnfm-1", VNF: "mme", Group: "mme", VCPUs: 1, MemoryGiB: 1}}, c.VMsOn("compute-1"))
	require.True(t, c.CarriesBusiness("mme-1"), "without a traffic model an ACTIVE server serves")
	c.Attach(nil, nil, func(vm string) (bool, bool) { return false, vm == "mme-1" }, nil)
	require.False(t, c.CarriesBusiness("mme-1"))
	require.True(t, c.CarriesBusiness("mme-2"), "a server the model does not run falls back to its status")
}

func TestCloudMaintenance(t *testing.T) {
	c, f, l := newTestCloud(t)
	require.NoError(t, c.SetMaintenance("compute-1", true))
	// The view changes at once, on the loop; the request follows.
	require.Equal(t, orchestrator.NodeMaintenance, c.Nodes()[0].State)
	require.NoError(t, c.SetMaintenance("compute-1", false))
	require.Eventually(t, func() bool { return len(f.log()) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"PUT compute-1 disabled escalator upgrade session s-42: maintenance", "PUT compute-1 enabled "}, f.log())
	// A service an operator disabled stays disabled.
	err := c.SetMaintenance("compute-3", false)
	require.Equal(t, escalator.ECONFLICT, escalator.ErrorCode(err))
	require.Equal(t, escalator.ENOTFOUND, escalator.ErrorCode(c.SetMaintenance("compute-9", true)))
	require.Equal(t, []string{"node.state compute-1", "node.state compute-1"}, kindsOf(l.trace))
}

func TestCloudMigrate(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(c *Cloud)
		to      string
		err     string
		calls   []string
		kinds   []string
	}{
		{
			name: "live to the preferred free host",
			// compute-3 is an operator's (disabled); compute-2 holds mme-2,
			// which the test takes out of mme-1's group, so compute-2 fits.
			prepare: func(c *Cloud) { c.vms["mme-2"].group = "" },
			to:      "compute-2",
			calls:   []string{"PUT compute-1 disabled escalator upgrade session s-42: maintenance", `POST u1 live-migrate to "compute-2"`},
			kinds:   []string{"node.state compute-1", "vm.migrating mme-1", "vm.state mme-1", "nova.migration mme-1", "vm.migrated mme-1", "vm.state mme-1"},
		},
		{
			// compute-2 holds mme-2 of the same group: no host of ours
			// fits, and the scheduler is asked, and refuses.
			name:  "no host left: Nova's scheduler says no",
			err:   "No valid host was found",
			calls: []string{"PUT compute-1 disabled escalator upgrade session s-42: maintenance", `POST u1 live-migrate to ""`},
			kinds: []string{"node.state compute-1", "vm.state mme-1", "nova.migration mme-1", "vm.migration-failed mme-1", "vm.state mme-1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, f, l := newTestCloud(t)
			if tc.prepare != nil {
				tc.prepare(c)
			}
			require.NoError(t, c.SetMaintenance("compute-1", true))
			var to string
			var err error
			ended := false
			c.Migrate("mme-1", []string{"compute-3", "compute-2"}, true, func(t string, e error) { to, err, ended = t, e, true })
			l.until(t, func() bool { return ended })
			require.Equal(t, tc.to, to)
			if tc.err == "" {
				require.NoError(t, err)
				require.Equal(t, []orchestrator.VMInfo(nil), c.VMsOn("compute-1"))
			} else {
				require.ErrorContains(t, err, tc.err)
				require.Len(t, c.VMsOn("compute-1"), 1, "the server stays where it was")
			}
			require.Equal(t, tc.calls, f.log(), "maintenance reaches Nova before the migration")
			require.Equal(t, tc.kinds, kindsOf(l.trace))
			for _, e := range l.trace.Events {
				if e.Kind == "nova.migration" {
					m, _, err := event.As[event.NovaMigration](e)
					require.NoError(t, err)
					require.Equal(t, "2s", m.Window)
				}
			}
		})
	}
}
