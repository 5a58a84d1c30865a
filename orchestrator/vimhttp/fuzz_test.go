package vimhttp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// FuzzVIMAPI sends arbitrary methods, paths and bodies to the VIM
// maintenance and VNF control APIs: whatever arrives, the answer is a
// well-formed response, never a 500, never a panic.
func FuzzVIMAPI(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "/vim_maintenance/v1/subscriptions", `{"vnfmId":"v","callbackUri":"http://x.invalid/cb"}`},
		{"POST", "/vim_maintenance/v1/upgrade_sessions", `{"targetVersion":"2.0","maxParallel":2}`},
		{"POST", "/vim_maintenance/v1/upgrade_sessions/x/replies", `{"notificationId":"n","vnfmId":"v","reply":"ACK_X"}`},
		{"POST", "/vim_maintenance/v1/upgrade_sessions", `{"targetVersion":`},
		{"GET", "/vim_maintenance/v1/subscriptions?filter=(eq,vnfmId,v)&nextpage_opaque_marker=%%%", ""},
		{"POST", "/vnf_control/v1/vnfs/mme/switchover", `{"targetInstanceId":"mme-2"}`},
		{"POST", "/vnf_control/v1/vnfs/mme/scale", `{"instances":0}`},
		{"DELETE", "/vim_maintenance/v1/vms/mme-1", ""},
		{"POST", "/vim_maintenance/v1/vms/mme-1/migrate", `{"live":false} }`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	// One testbed for all inputs: building one loads three specs, and the
	// property holds whatever state earlier inputs left behind.
	sc, err := load.Bytes("fuzz.yaml", []byte(silentScenario))
	if err != nil {
		f.Fatal(err)
	}
	tb, err := scenarios.Build(sc, scenarios.BuildOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t") || method == "" || strings.ContainsAny(method, " /\r\n\t()<>@,;:\\\"[]?={}") {
			t.Skip("not an HTTP request line")
		}
		req, err := http.NewRequest(method, "http://vim.escalator"+path, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set("Version", "1.0.0")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		tb.Handler.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s %q answered %d: %s", method, path, body, w.Code, w.Body.String())
		}
		if w.Code >= 400 && !strings.Contains(w.Header().Get("Content-Type"), "problem+json") {
			t.Fatalf("%s %s answered %d without ProblemDetails: %s", method, path, w.Code, w.Body.String())
		}
	})
}
