package vnfmhttp_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/sim"
	"github.com/escalator-testbed/escalator/sim/vnfmhttp"
)

// Hostile requests to the reference VNFM's endpoint (issue 17): each is
// refused before it reaches the VNFM, with a ProblemDetails, and the
// endpoint still answers its test afterwards.
func TestVNFMEndpointProbes(t *testing.T) {
	sec, _, err := vnfmhttp.NotifySecurity("oauth2:client:s3cret")
	require.NoError(t, err)
	loop := sim.NewVirtualLoop()
	peer, err := vnfmhttp.NewPeer(vnfmhttp.PeerOptions{VIM: "http://127.0.0.1:1", Loop: loop, Security: sec,
		Trace: escalator.NewTrace(loop.Elapsed), OnViolation: func(edge.Violation) {},
		Config: sim.VNFMConfig{Name: "vnfm-1", Behavior: sim.BehaviorReference}})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := edge.NewServer(peer.Handler, edge.DefaultLimits)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	root := "http://" + ln.Addr().String()

	notifications := root + vnfmhttp.Base + "/notifications"
	// A caller with a token, for the probes that must get past auth.
	tr, err := http.NewRequest(http.MethodPost, root+vnfmhttp.TokenPath, strings.NewReader("grant_type=client_credentials"))
	require.NoError(t, err)
	tr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tr.SetBasicAuth("client", "s3cret")
	tresp, err := http.DefaultClient.Do(tr)
	require.NoError(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(tresp.Body).Decode(&tok))
	tresp.Body.Close()
	require.NotEmpty(t, tok.AccessToken)

	tests := []struct {
		name, url, contentType, body string
		chunked, token               bool
		status                       int
		detail                       string
	}{
		{"oversized notification", notifications, "application/json", `{"notificationType":"` + strings.Repeat("M", 2<<20) + `"}`, false, false,
			413, "exceeds this API's limit of 1 MiB"},
		{"oversized notification, chunked", notifications, "application/json", `{"notificationType":"` + strings.Repeat("M", 2<<20) + `"}`, true, false,
			413, "exceeds this API's limit of 1 MiB"},
		{"oversized token request", root + vnfmhttp.TokenPath, "application/x-www-form-urlencoded", "grant_type=client_credentials&x=" + strings.Repeat("a", 2<<20), true, false,
			413, "exceeds this API's limit of 1 MiB"},
		{"malformed notification, no credentials", notifications, "application/json", `{"notificationType":`, false, false,
			401, "a valid bearer token"},
		{"malformed notification", notifications, "application/json", `{"notificationType":`, false, true,
			400, "not a single well-formed JSON value"},
		{"notification as text/plain", notifications, "text/plain", `{}`, false, true,
			400, "Content-Type"},
		{"notification nested 20,000 deep", notifications, "application/json", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), false, true,
			400, "not a single well-formed JSON value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.NopCloser(body)
			}
			r, err := http.NewRequest(http.MethodPost, tc.url, body)
			require.NoError(t, err)
			r.Header.Set("Content-Type", tc.contentType)
			r.Header.Set(edge.HeaderVersion, edge.APIVersion)
			if tc.token {
				r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			}
			start := time.Now()
			resp, err := http.DefaultClient.Do(r)
			require.NoError(t, err)
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Less(t, time.Since(start), 5*time.Second)
			require.Equal(t, tc.status, resp.StatusCode, string(got))
			require.Equal(t, edge.MediaProblem, resp.Header.Get("Content-Type"))
			require.Equal(t, edge.APIVersion, resp.Header.Get(edge.HeaderVersion))
			var p edge.Problem
			require.NoError(t, json.Unmarshal(got, &p))
			require.Equal(t, tc.status, p.Status)
			require.Equal(t, http.StatusText(tc.status), p.Title)
			require.Contains(t, p.Detail, tc.detail)
			require.Less(t, len(got), 4<<10)

			// Still serving: the endpoint test asks for credentials first.
			r, err = http.NewRequest(http.MethodGet, notifications, nil)
			require.NoError(t, err)
			r.Header.Set(edge.HeaderVersion, edge.APIVersion)
			resp, err = http.DefaultClient.Do(r)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		})
	}
	require.Zero(t, loop.Elapsed(), "nothing reached the VNFM's loop")
}

// The token endpoint and the notification endpoint run on the server's
// goroutines at once: issuing and checking tokens must not race (run with
// -race; a map written and read concurrently can also crash the process).
func TestTokensIssuedAndCheckedConcurrently(t *testing.T) {
	sec, _, err := vnfmhttp.NotifySecurity("oauth2:client:s3cret")
	require.NoError(t, err)
	loop := sim.NewVirtualLoop()
	peer, err := vnfmhttp.NewPeer(vnfmhttp.PeerOptions{VIM: "http://127.0.0.1:1", Loop: loop, Security: sec,
		Trace: escalator.NewTrace(loop.Elapsed), OnViolation: func(edge.Violation) {},
		Config: sim.VNFMConfig{Name: "vnfm-1", Behavior: sim.BehaviorReference}})
	require.NoError(t, err)
	srv := httptest.NewServer(peer.Handler)
	defer srv.Close()
	var wg sync.WaitGroup
	statuses := make(chan int, 40)
	for range 20 {
		wg.Go(func() {
			r, _ := http.NewRequest(http.MethodPost, srv.URL+vnfmhttp.TokenPath, strings.NewReader("grant_type=client_credentials"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth("client", "s3cret")
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				statuses <- -1
				return
			}
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&tok)
			resp.Body.Close()
			statuses <- resp.StatusCode
			g, _ := http.NewRequest(http.MethodGet, srv.URL+vnfmhttp.Base+"/notifications", nil)
			g.Header.Set(edge.HeaderVersion, edge.APIVersion)
			g.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err = http.DefaultClient.Do(g)
			if err != nil {
				statuses <- -1
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		require.Contains(t, []int{http.StatusOK, http.StatusNoContent}, s)
	}
}
