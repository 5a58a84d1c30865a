package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

var update = flag.Bool("update", false, "rewrite the golden files: docs/API.md from a recorded exchange, testdata/traces.golden from the bundled scenarios")

// exchange is one HTTP request and its response as they crossed the wire.
type exchange struct {
	method, url         string
	reqHeader, respHead http.Header
	reqBody, respBody   []byte
	status              int
}

type recorder struct {
	next http.RoundTripper
	log  *[]exchange
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	*r.log = append(*r.log, exchange{req.Method, req.URL.String(), req.Header.Clone(), resp.Header.Clone(), body, rb, resp.StatusCode})
	return resp, nil
}

const apiDocScenario = `name: api-walkthrough
seed: 1
nodes: {count: 3}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s}
vnfm: {replyAfter: 2s}
upgrade: {flow: F1, targetVersion: "2.0", nodes: [compute-1]}
`

// TestAPIDoc renders docs/API.md from a real recorded run, so the document
// cannot drift from what the code sends. Run with -update after changing an
// interface.
func TestAPIDoc(t *testing.T) {
	s, err := load.Bytes("api-walkthrough.yaml", []byte(apiDocScenario))
	require.NoError(t, err)
	var log []exchange
	tb, err := Build(s, BuildOptions{Tap: func(next http.RoundTripper) http.RoundTripper { return recorder{next, &log} }})
	require.NoError(t, err)
	tb.Manager.OnEnd(func(orchestrator.SessionStatus) { tb.Loop.Stop() })
	_, err = tb.Manager.CreateSession(tb.Config)
	require.NoError(t, err)
	require.NoError(t, tb.Loop.Run(context.Background(), 2*time.Hour))

	pick := func(method, urlPart, bodyPart string) exchange {
		for _, x := range log {
			if x.method == method && strings.Contains(x.url, urlPart) && strings.Contains(string(x.reqBody), bodyPart) {
				return x
			}
		}
		t.Fatalf("no %s %s exchange with %q in the recording", method, urlPart, bodyPart)
		return exchange{}
	}
	var b strings.Builder
	b.WriteString(apiDocIntro)
	steps := []struct {
		title, text string
		x           exchange
	}{
		{"1. The VNFM subscribes", "The VNFM tells the VIM where to send notifications. Before it accepts, the VIM tests the endpoint (step 2). A second identical request would get `303 See Other` pointing at this subscription; credentials given under `authentication` are never echoed.",
			pick("POST", "/subscriptions", "callbackUri")},
		{"2. The VIM tests the notification endpoint", "SOL013's endpoint test: a `GET` that must answer `204`; anything else and the subscription is refused with `422`.",
			pick("GET", "/vnfm_notification/v1/notifications", "")},
		{"3. The VIM announces maintenance", "The node is in maintenance mode; the notification lists the VNFM's instances on it, the actions it may take, and the reply deadline (`replyBy`). Every subscription of the VNFM gets the same `id`.",
			pick("POST", "/vnfm_notification/v1/notifications", "PLANNED_MAINTENANCE")},
		{"4. The VNFM looks at its VNF", "Through the VNF control API it finds the active instance on the node and a ready standby elsewhere.",
			pick("GET", "/vnf_control/v1/vnfs/mme", "")},
		{"5. The VNFM switches over", "The standby becomes active; the former active, still on the node, becomes the standby.",
			pick("POST", "/switchover", "targetInstanceId")},
		{"6. The VNFM replies", "`ACK_<STATE>` with what it did per instance. A reply for another state, a second reply or one after `replyBy` gets `409`; an instance that was not in the notification gets `422`.",
			pick("POST", "/replies", "ACK_PLANNED_MAINTENANCE")},
		{"7. The node is available again", "After the upgrade and its verification the VIM takes the node out of maintenance and says so; the VNFM brings its standby back in sync.",
			pick("POST", "/vnfm_notification/v1/notifications", "NodeAvailableNotification")},
		{"8. The session ends", "", pick("POST", "/vnfm_notification/v1/notifications", "SessionStatusNotification")},
	}
	for _, st := range steps {
		fmt.Fprintf(&b, "\n## %s\n\n", st.title)
		if st.text != "" {
			b.WriteString(st.text + "\n\n")
		}
		writeExchange(&b, st.x)
	}
	got := []byte(b.String())
	if *update {
		require.NoError(t, os.WriteFile("../docs/API.md", got, 0o644))
	}
	want, err := os.ReadFile("../docs/API.md")
	require.NoError(t, err, "run go test ./scenarios/ -run APIDoc -update")
	require.Equal(t, string(want), string(got), "docs/API.md is stale: go test ./scenarios/ -run APIDoc -update")
}

func writeExchange(b *strings.Builder, x exchange) {
	b.WriteString("```http\n")
	u := x.url
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	host, path, _ := strings.Cut(u, "/")
	fmt.Fprintf(b, "%s /%s HTTP/1.1\nHost: %s\n", x.method, path, host)
	writeHeaders(b, x.reqHeader)
	writeBody(b, x.reqBody)
	b.WriteString("```\n\n```http\n")
	fmt.Fprintf(b, "HTTP/1.1 %d %s\n", x.status, http.StatusText(x.status))
	writeHeaders(b, x.respHead)
	writeBody(b, x.respBody)
	b.WriteString("```\n")
}

func writeHeaders(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		if k == "Content-Length" || k == "User-Agent" || k == "Accept-Encoding" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "%s: %s\n", k, strings.Join(h[k], ", "))
	}
}

func writeBody(b *strings.Builder, body []byte) {
	if len(bytes.TrimSpace(body)) == 0 {
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") != nil {
		pretty.Write(body)
	}
	b.WriteString("\n" + strings.TrimSpace(pretty.String()) + "\n")
}

const apiDocIntro = `# The interfaces on the wire

escalator's VIM and VNFM talk only through three OpenAPI-defined HTTP
interfaces (ETSI SOL013 conventions: camelCase, a ` + "`Version`" + ` header on
every request and response, RFC 7807 ProblemDetails, ` + "`Location`" + ` on 201):

| API | spec | served by | base path |
|---|---|---|---|
| VIM maintenance | [openapi/vim-maintenance.yaml](../openapi/vim-maintenance.yaml) | the VIM (orchestrator) | ` + "`/vim_maintenance/v1`" + ` |
| VNFM notification | [openapi/vnfm-notification.yaml](../openapi/vnfm-notification.yaml) | any VNFM, at its ` + "`callbackUri`" + ` | ` + "`/vnfm_notification/v1`" + ` (reference VNFM) |
| VNF control | [openapi/vnf-control.yaml](../openapi/vnf-control.yaml) | the VNFs' element manager | ` + "`/vnf_control/v1`" + ` |

Every request and response on every side is validated against its spec;
a breach is a ` + "`spec.violation`" + ` event in the trace and fails the
` + "`spec-conformance`" + ` check. Errors look like this:

` + "```http" + `
HTTP/1.1 409 Conflict
Content-Type: application/problem+json
Version: 1.0.0

{"status":409,"title":"Conflict","detail":"reply ACK_SCALE_IN does not match the notification's state PLANNED_MAINTENANCE"}
` + "```" + `

Below is one whole maintenance handshake for one node, recorded from a real
run (` + "`go test ./scenarios/ -run APIDoc -update`" + ` regenerates this page;
a test fails when it is stale). The hosts are those of the in-process
transport that virtual-time runs use; over TCP only the host differs.
`
