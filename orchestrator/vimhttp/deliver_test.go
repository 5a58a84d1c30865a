package vimhttp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
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
	"github.com/escalator-testbed/escalator/sim"
)

// referenceScenario: the reference VNFM answers, so a session runs to its
// end and sends every kind of notification. mme-1 (active) is on
// compute-1, mme-2 on compute-2; compute-3 is empty.
const referenceScenario = `name: deliver
seed: 11
nodes: {count: 3}
vnfs:
  - name: mme
    mode: active-standby
    instances: 2
    load: 100/s
    placement: [compute-1, compute-2]
vnfm: {behavior: reference, replyAfter: 1s}
upgrade:
  targetVersion: "2.0"
  replyTimeout: 20s
  nodeUpgradeTime: 1m
  verifyTime: 10s
`

// runSession starts an upgrade over the API and runs the loop until the
// session has ended and every retry has played out.
func runSession(t *testing.T, tb *scenarios.Testbed, body string) session {
	t.Helper()
	s := createSession(t, tb, body)
	run(t, tb, 6*time.Hour)
	st := sessionOf(t, get(t, tb, "/upgrade_sessions/"+s.ID))
	require.Contains(t, []string{"COMPLETED", "FAILED", "ROLLED_BACK", "ABORTED"}, st.State, "the session ended")
	return st
}

// notified lists the notifications the Manager sent to one VNFM, in order.
func notified(tb *scenarios.Testbed, vnfm string) []escalator.Event {
	var out []escalator.Event
	for _, e := range events(tb, "vnfm.notify") {
		if e.Subject == vnfm {
			out = append(out, e)
		}
	}
	return out
}

// note is a notification as a subscriber received it.
type note struct {
	ID                string `json:"id"`
	NotificationType  string `json:"notificationType"`
	SubscriptionID    string `json:"subscriptionId"`
	SessionID         string `json:"sessionId"`
	State             string `json:"state"`
	SessionState      string `json:"sessionState"`
	AffectedNodes     []string
	AffectedInstances []struct {
		InstanceID string `json:"instanceId"`
	}
	ReplyBy   *time.Time `json:"replyBy"`
	TimeStamp time.Time  `json:"timeStamp"`
	Links     map[string]struct {
		Href string `json:"href"`
	} `json:"_links"`
}

var notificationSpec = sync.OnceValues(func() (*edge.Spec, error) { return edge.Load("vnfm-notification") })

// checkNotifications validates every POST a subscriber received on path
// against the VNFM notification API and checks what each carries: the
// subscription it was sent for, and links to the VIM's API root. It returns
// the notifications in the order received.
func checkNotifications(t *testing.T, posts []seen, path, subID, root string) []note {
	t.Helper()
	spec, err := notificationSpec()
	require.NoError(t, err)
	var out []note
	for _, p := range posts {
		if p.Path != path {
			continue
		}
		r := httptest.NewRequest(http.MethodPost, "http://vnfm.test"+p.Path, bytes.NewReader(p.Body))
		r.Header = p.Header.Clone()
		problems, ok := spec.CheckRequest(r, p.Body)
		require.True(t, ok, "the notification spec has POST on any path")
		require.Empty(t, problems, "%s", p.Body)
		require.Equal(t, edge.APIVersion, p.Header.Get(edge.HeaderVersion))
		require.Equal(t, "application/json", p.Header.Get("Content-Type"))

		var n note
		require.NoError(t, json.Unmarshal(p.Body, &n))
		require.Equal(t, subID, n.SubscriptionID)
		require.NotEmpty(t, n.ID)
		require.NotEmpty(t, n.SessionID)
		base := root + vimhttp.Base
		require.Equal(t, base+"/subscriptions/"+subID, n.Links["subscription"].Href, "%s", p.Body)
		require.Equal(t, base+"/upgrade_sessions/"+n.SessionID, n.Links["session"].Href, "%s", p.Body)
		if n.NotificationType == "MaintenanceNotification" {
			require.Equal(t, base+"/upgrade_sessions/"+n.SessionID+"/replies", n.Links["reply"].Href, "%s", p.Body)
			require.NotNil(t, n.ReplyBy)
		} else {
			require.NotContains(t, n.Links, "reply", "only a maintenance notification is answered")
		}
		out = append(out, n)
	}
	return out
}

func ids(ns []note) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

// attempts lists the delivery.attempt events of one subscription for one
// notification.
func attempts(tb *scenarios.Testbed, subID, notificationID string) []escalator.Event {
	var out []escalator.Event
	for _, e := range events(tb, "delivery.attempt") {
		if p, _ := eventtest.Payload[event.DeliveryAttempt](e); e.Subject == subID && p.NotificationID == notificationID {
			out = append(out, e)
		}
	}
	return out
}

func failures(tb *scenarios.Testbed, subID string) []escalator.Event {
	var out []escalator.Event
	for _, e := range events(tb, "delivery.failed") {
		if e.Subject == subID {
			out = append(out, e)
		}
	}
	return out
}

func TestNotifyEveryMatchingSubscription(t *testing.T) {
	const root = "http://vim.example:9000"
	tb := build(t, referenceScenario, scenarios.BuildOptions{APIRoot: root})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	a := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/a")})
	b := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/b")})
	other := subscribed(t, tb, map[string]any{"vnfmId": "vnfm-other", "callbackUri": sub.url("/other")})

	st := runSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1","compute-2"]}`)
	require.Equal(t, "COMPLETED", st.State)

	sent := notified(tb, vnfm)
	var want []string
	types := map[string]int{}
	for _, e := range sent {
		want = append(want, eventtest.As[event.VNFMNotify](t, e).NotificationID)
		types[eventtest.As[event.VNFMNotify](t, e).Type]++
	}
	require.Equal(t, map[string]int{"MaintenanceNotification": 2, "NodeAvailableNotification": 2, "SessionStatusNotification": 1}, types)

	posts := sub.posted()
	gotA := checkNotifications(t, posts, "/a", a, root)
	gotB := checkNotifications(t, posts, "/b", b, root)
	require.Equal(t, want, ids(gotA), "every notification, once, in order")
	require.Equal(t, want, ids(gotB), "the same ids to every subscription")
	require.Empty(t, checkNotifications(t, posts, "/other", other, root), "another VNFM's subscription hears nothing")
	for i, n := range gotA {
		require.Equal(t, eventtest.As[event.VNFMNotify](t, sent[i]).Type, n.NotificationType)
		require.Equal(t, st.ID, n.SessionID)
		// The copies differ only in the subscription they were sent for.
		var ma, mb map[string]any
		require.NoError(t, json.Unmarshal(posts[slices.IndexFunc(posts, func(p seen) bool { return p.Path == "/a" && bytes.Contains(p.Body, []byte(n.ID)) })].Body, &ma))
		require.NoError(t, json.Unmarshal(posts[slices.IndexFunc(posts, func(p seen) bool { return p.Path == "/b" && bytes.Contains(p.Body, []byte(n.ID)) })].Body, &mb))
		delete(ma, "subscriptionId")
		delete(mb, "subscriptionId")
		delete(ma, "_links")
		delete(mb, "_links")
		require.Equal(t, ma, mb)
	}
	last := gotA[len(gotA)-1]
	require.Equal(t, "SessionStatusNotification", last.NotificationType)
	require.Equal(t, "COMPLETED", last.SessionState)

	// Each delivery is one successful attempt in the trace.
	for _, id := range want {
		for _, s := range []string{a, b} {
			at := attempts(tb, s, id)
			require.Len(t, at, 1, "subscription %s, notification %s", s, id)
			require.EqualValues(t, http.StatusNoContent, eventtest.As[event.DeliveryAttempt](t, at[0]).Status)
			require.EqualValues(t, 1, eventtest.As[event.DeliveryAttempt](t, at[0]).Attempt)
		}
	}
	require.Empty(t, events(tb, "delivery.failed"))
	requireNoViolations(t, tb)
}

func TestNotifyWithoutSubscriber(t *testing.T) {
	tb := build(t, referenceScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	var list []struct{ ID string }
	get(t, tb, "/subscriptions").json(t, &list)
	require.Len(t, list, 1)
	require.Equal(t, http.StatusNoContent, call(t, tb, req{Method: http.MethodDelete, Path: "/subscriptions/" + list[0].ID}).Status)

	createSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"replyTimeout":5}`)
	run(t, tb, 2*time.Second)
	none := events(tb, "delivery.no-subscriber")
	require.Len(t, none, 1)
	require.Equal(t, vnfm, none[0].Subject)
	require.Equal(t, eventtest.As[event.VNFMNotify](t, notified(tb, vnfm)[0]).NotificationID, eventtest.As[event.DeliveryNoSubscriber](t, none[0]).NotificationID)
}

func TestDeliveryRetriesWithBackoff(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	sub.answer = func(n int, _ *http.Request) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}
	id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/cb")})

	createSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"replyTimeout":30}`)
	run(t, tb, 20*time.Second)
	first := notified(tb, vnfm)[0]
	require.Equal(t, "MaintenanceNotification", eventtest.As[event.VNFMNotify](t, first).Type)
	require.Zero(t, first.At)
	nid := eventtest.As[event.VNFMNotify](t, first).NotificationID

	at := attempts(tb, id, nid)
	require.Len(t, at, 3)
	var times []time.Duration
	for i, e := range at {
		times = append(times, e.At)
		require.EqualValues(t, i+1, eventtest.As[event.DeliveryAttempt](t, e).Attempt)
	}
	require.Equal(t, []time.Duration{0, time.Second, 3 * time.Second}, times, "1s, then doubled")
	require.Equal(t, "the subscriber answered 500", eventtest.As[event.DeliveryAttempt](t, at[0]).Error)
	require.Equal(t, "1s", eventtest.As[event.DeliveryAttempt](t, at[0]).RetryIn)
	require.Equal(t, "the subscriber answered 500", eventtest.As[event.DeliveryAttempt](t, at[1]).Error)
	require.Equal(t, "2s", eventtest.As[event.DeliveryAttempt](t, at[1]).RetryIn)
	require.EqualValues(t, http.StatusNoContent, eventtest.As[event.DeliveryAttempt](t, at[2]).Status)
	require.Empty(t, eventtest.As[event.DeliveryAttempt](t, at[2]).Error)
	require.Empty(t, failures(tb, id))

	got := checkNotifications(t, sub.posted(), "/cb", id, "http://vim.escalator")
	require.Len(t, got, 3)
	for _, n := range got {
		require.Equal(t, nid, n.ID, "a retry is the same notification")
	}
	posts := sub.posted()
	require.Equal(t, posts[0].Body, posts[2].Body, "a retry sends the same document")
	requireNoViolations(t, tb)
}

// schedule is when a notification is attempted when every attempt fails:
// first at start, then after 1s, doubling, capped at 30s, while the next
// attempt would still come before the deadline.
func schedule(start, deadline time.Duration) []time.Duration {
	var out []time.Duration
	at, wait := start, time.Second
	for {
		out = append(out, at)
		if at+wait >= deadline {
			return out
		}
		at += wait
		wait = min(2*wait, 30*time.Second)
	}
}

func TestDeliveryGivesUpAtTheDeadline(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *subscriber)
		error string
	}{
		{"always 500", func(s *subscriber) { s.answer = func(int, *http.Request) int { return http.StatusInternalServerError } }, "the subscriber answered 500"},
		{"always 401", func(s *subscriber) { s.answer = func(int, *http.Request) int { return http.StatusUnauthorized } }, "the subscriber answered 401"},
		{"unreachable", func(s *subscriber) { s.srv.Close() }, "Post \"http://127.0.0.1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := build(t, silentScenario, scenarios.BuildOptions{})
			vnfm := tb.Scenario.VNFM.Name
			sub := newSubscriber(t)
			id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/cb")})
			tc.setup(sub)

			st := runSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"replyTimeout":10}`)
			require.Equal(t, "COMPLETED", st.State, "the reference VNFM's own endpoint is silent, the VIM goes on after the timeout")

			sent := notified(tb, vnfm)
			require.Len(t, sent, 3)
			failed := failures(tb, id)
			require.Len(t, failed, len(sent), "every notification fails in the end")
			total := 0
			// Delivery is in order per subscriber: a notification waits
			// for the one before it to be taken or given up on, while its
			// own deadline runs from when it was sent.
			free := time.Duration(0)
			for i, n := range sent {
				deadline := n.At + 2*time.Minute
				if eventtest.As[event.VNFMNotify](t, n).Type == "MaintenanceNotification" {
					deadline = n.At + 10*time.Second
				}
				want := schedule(max(n.At, free), deadline)
				at := attempts(tb, id, eventtest.As[event.VNFMNotify](t, n).NotificationID)
				var times []time.Duration
				for k, e := range at {
					times = append(times, e.At)
					require.EqualValues(t, k+1, eventtest.As[event.DeliveryAttempt](t, e).Attempt)
					require.Contains(t, eventtest.As[event.DeliveryAttempt](t, e).Error, tc.error)
					require.Zero(t, eventtest.As[event.DeliveryAttempt](t, e).Status)
					if k < len(at)-1 {
						require.NotEmpty(t, eventtest.As[event.DeliveryAttempt](t, e).RetryIn)
					} else {
						require.Empty(t, eventtest.As[event.DeliveryAttempt](t, e).RetryIn, "the last attempt schedules nothing")
					}
				}
				require.Equal(t, want, times, "%s sent at %s retries until %s", eventtest.As[event.VNFMNotify](t, n).Type, n.At, deadline)
				f := failed[i]
				require.Equal(t, eventtest.As[event.VNFMNotify](t, n).NotificationID, eventtest.As[event.DeliveryFailed](t, f).NotificationID, "given up in order")
				require.Equal(t, event.Ptr(len(want)), eventtest.As[event.DeliveryFailed](t, f).Attempts)
				require.Equal(t, want[len(want)-1], f.At)
				require.Contains(t, eventtest.As[event.DeliveryFailed](t, f).Error, "deadline")
				free = f.At
				total += len(want)
			}
			// The maintenance notification got 0s, 1s, 3s and 7s.
			require.Len(t, attempts(tb, id, eventtest.As[event.VNFMNotify](t, sent[0]).NotificationID), 4)
			if tc.name != "unreachable" {
				require.Len(t, sub.posted(), total)
			}
		})
	}
}

func TestDeliveryInOrderPerSubscriber(t *testing.T) {
	tb := build(t, referenceScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	// The first node-available notification is refused twice. (The
	// subscriber calls answerBody under its own lock.)
	refused := 0
	sub.answerBody = func(body []byte) int {
		if bytes.Contains(body, []byte(`"NodeAvailableNotification"`)) && refused < 2 {
			refused++
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}
	id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/cb")})
	st := runSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1","compute-2"]}`)
	require.Equal(t, "COMPLETED", st.State)

	var want []string
	for _, e := range notified(tb, vnfm) {
		want = append(want, eventtest.As[event.VNFMNotify](t, e).NotificationID)
	}
	got := checkNotifications(t, sub.posted(), "/cb", id, "http://vim.escalator")
	require.Len(t, got, len(want)+2)
	require.Equal(t, want, slices.Compact(ids(got)), "each notification waits for the one before it")
	require.Equal(t, "NodeAvailableNotification", got[1].NotificationType)
	require.Equal(t, got[1].ID, got[3].ID, "retried twice")
	require.Equal(t, "MaintenanceNotification", got[4].NotificationType, "compute-2's maintenance after compute-1 is available")
	require.Empty(t, failures(tb, id))
	requireNoViolations(t, tb)
}

func TestQueuedMaintenanceNotSentAfterItsDeadline(t *testing.T) {
	tb := build(t, referenceScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	// This subscriber never takes a node-available notification, so the
	// next maintenance notification queues behind two minutes of retries.
	sub.answerBody = func(body []byte) int {
		if bytes.Contains(body, []byte(`"NodeAvailableNotification"`)) {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	}
	id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/cb")})
	st := runSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1","compute-2"],"replyTimeout":20}`)
	require.Equal(t, "COMPLETED", st.State, "the reference VNFM's own subscription keeps the session going")

	var late []string
	for _, n := range notified(tb, vnfm) {
		if eventtest.As[event.VNFMNotify](t, n).Type != "MaintenanceNotification" {
			continue
		}
		replyBy, err := time.Parse(time.RFC3339Nano, eventtest.As[event.VNFMNotify](t, n).ReplyBy)
		require.NoError(t, err)
		for _, e := range attempts(tb, id, eventtest.As[event.VNFMNotify](t, n).NotificationID) {
			if at := sim.Epoch.Add(e.At); at.After(replyBy) {
				late = append(late, fmt.Sprintf("%s (replyBy %s) attempted at %s", eventtest.As[event.VNFMNotify](t, n).NotificationID, replyBy.Format(time.TimeOnly), at.Format(time.TimeOnly)))
			}
		}
	}
	if len(late) > 0 {
		t.Fatalf("regression: with ordered delivery (Notifier.enqueue), a maintenance notification queued behind a notification "+
			"that is being retried is first POSTed after its own replyBy deadline has passed, when the VNFM can no longer answer "+
			"it and the VIM has already acted on the nodes; the notifier should give it up (delivery.failed) instead: %s", strings.Join(late, "; "))
	}
}

func TestNoRetriesAfterUnsubscribe(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	sub.answer = func(int, *http.Request) int { return http.StatusInternalServerError }
	id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/cb")})
	createSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"replyTimeout":60}`)
	run(t, tb, 2*time.Second) // attempts at 0s and 1s
	require.Len(t, sub.posted(), 2)
	require.Equal(t, http.StatusNoContent, call(t, tb, req{Method: http.MethodDelete, Path: "/subscriptions/" + id}).Status)
	run(t, tb, time.Minute)
	if n := len(sub.posted()); n > 2 {
		t.Fatalf("regression: after DELETE /subscriptions/%s answered 204, the VIM still POSTed %d retries to its callbackUri: "+
			"Notifier.attempt's retry closure holds the *Subscription and never checks that it is still in the Store", id, n-2)
	}
}

func TestDeliveryBasicAuth(t *testing.T) {
	const user, password = "vim-at-vnfm", "b4sic-PASSWORD-frobozz"
	tb := build(t, referenceScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	want := (&edge.Credential{Scheme: "basic", User: user, Password: password}).Header()
	sub.answer = func(_ int, r *http.Request) int {
		if r.Header.Get("Authorization") != want {
			return http.StatusUnauthorized
		}
		return http.StatusNoContent
	}
	id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/cb"),
		"authentication": map[string]any{"authType": []string{"BASIC"}, "paramsBasic": map[string]any{"userName": user, "password": password}}})

	runSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"]}`)
	posts := sub.posted()
	got := checkNotifications(t, posts, "/cb", id, "http://vim.escalator")
	require.Len(t, got, 3)
	for _, p := range posts {
		require.Equal(t, want, p.Header.Get("Authorization"))
	}
	for _, g := range sub.gets() {
		require.Equal(t, want, g.Header.Get("Authorization"), "the endpoint test carries the credentials too")
	}
	for _, e := range events(tb, "delivery.attempt") {
		if e.Subject == id {
			require.EqualValues(t, http.StatusNoContent, eventtest.As[event.DeliveryAttempt](t, e).Status, "%s", e)
		}
	}
	require.NotContains(t, traceJSON(t, tb), password)
	require.NotContains(t, traceJSON(t, tb), strings.TrimPrefix(want, "Basic "))
	requireNoViolations(t, tb)
}

// oauthServer is a VNFM's token endpoint (/token) and notification endpoint
// (/cb) on one socket. It accepts only the last token it issued, and can
// revoke it.
type oauthServer struct {
	srv                  *httptest.Server
	clientID, secret     string
	mu                   sync.Mutex
	tokenReqs            []seen
	issued               int
	valid                string
	revokeAfterFirstPost bool
	posts                []seen
}

func (o *oauthServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case r.URL.Path == "/token":
		o.tokenReqs = append(o.tokenReqs, seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		id, secret, ok := r.BasicAuth()
		if !ok || id != o.clientID || secret != o.secret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		o.issued++
		o.valid = fmt.Sprintf("t0ken-%d-GRUE", o.issued)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, o.valid)
	case r.Method == http.MethodGet:
		w.Header().Set(edge.HeaderVersion, edge.APIVersion)
		w.WriteHeader(http.StatusNoContent)
	default:
		o.posts = append(o.posts, seen{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		if o.valid == "" || r.Header.Get("Authorization") != "Bearer "+o.valid {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vnfm"`)
			edge.WriteProblem(w, http.StatusUnauthorized, "the token is not valid")
			return
		}
		if o.revokeAfterFirstPost {
			o.revokeAfterFirstPost = false
			o.valid = ""
		}
		w.Header().Set(edge.HeaderVersion, edge.APIVersion)
		w.WriteHeader(http.StatusNoContent)
	}
}

func TestDeliveryOAuth2ClientCredentials(t *testing.T) {
	tb := build(t, referenceScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	o := &oauthServer{clientID: "vim-client", secret: "s3cret-XYZZY-client", revokeAfterFirstPost: true}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": o.srv.URL + "/cb",
		"authentication": map[string]any{"authType": []string{"OAUTH2_CLIENT_CREDENTIALS"},
			"paramsOauth2ClientCredentials": map[string]any{"clientId": o.clientID, "clientPassword": o.secret, "tokenEndpoint": o.srv.URL + "/token"}}})

	runSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"]}`)
	sent := notified(tb, vnfm)
	require.Len(t, sent, 3)

	o.mu.Lock()
	tokenReqs, posts := slices.Clone(o.tokenReqs), slices.Clone(o.posts)
	o.mu.Unlock()

	// One token for the endpoint test when subscribing (SOL013: the test
	// carries the notifications' credentials), one for the first
	// notification; the subscriber then revokes it, so the second gets a
	// 401 and the VIM drops the token. The retry of the second fetches a
	// new one, which the third (queued behind it) reuses.
	require.Len(t, tokenReqs, 3, "a token for the endpoint test, then once, and again after a 401")
	for _, r := range tokenReqs {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		require.Equal(t, "grant_type=client_credentials", string(r.Body))
		id, secret, ok := (&http.Request{Header: r.Header}).BasicAuth()
		require.True(t, ok, "client credentials as basic auth")
		require.Equal(t, o.clientID, id)
		require.Equal(t, o.secret, secret)
	}
	var auths []string
	for _, p := range posts {
		auths = append(auths, p.Header.Get("Authorization"))
	}
	require.Equal(t, []string{"Bearer t0ken-2-GRUE", "Bearer t0ken-2-GRUE", "Bearer t0ken-3-GRUE", "Bearer t0ken-3-GRUE"}, auths)

	got := checkNotifications(t, posts, "/cb", id, "http://vim.escalator")
	nid := func(i int) string { return eventtest.As[event.VNFMNotify](t, sent[i]).NotificationID }
	require.Equal(t, []string{nid(0), nid(1), nid(1), nid(2)}, ids(got), "in order, the second retried once")
	at := attempts(tb, id, eventtest.As[event.VNFMNotify](t, sent[1]).NotificationID)
	require.Len(t, at, 2)
	require.Equal(t, "the subscriber answered 401", eventtest.As[event.DeliveryAttempt](t, at[0]).Error)
	require.EqualValues(t, http.StatusNoContent, eventtest.As[event.DeliveryAttempt](t, at[1]).Status)
	require.Equal(t, time.Second, at[1].At-at[0].At)
	require.Empty(t, failures(tb, id))

	trace := traceJSON(t, tb)
	for _, secret := range []string{o.secret, "GRUE"} {
		require.NotContains(t, trace, secret)
	}
	requireNoViolations(t, tb)
}

func TestDeliveryOAuth2TokenEndpointRefuses(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	o := &oauthServer{clientID: "vim-client", secret: "right-SECRET"}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	auth := func(secret string) map[string]any {
		return map[string]any{"vnfmId": vnfm, "callbackUri": o.srv.URL + "/cb",
			"authentication": map[string]any{"authType": []string{"OAUTH2_CLIENT_CREDENTIALS"},
				"paramsOauth2ClientCredentials": map[string]any{"clientId": o.clientID, "clientPassword": secret, "tokenEndpoint": o.srv.URL + "/token"}}}
	}
	// Wrong credentials are refused when subscribing: the endpoint test
	// cannot get a token.
	r := subscribe(t, tb, auth("wrong-SECRET"))
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.Body)
	require.Contains(t, r.Body, "token endpoint answered 401")
	// Credentials that stop working after the subscription (a rotated
	// secret) make every delivery attempt fail at the token fetch.
	id := subscribed(t, tb, auth("right-SECRET"))
	o.mu.Lock()
	o.secret = "rotated-SECRET"
	o.mu.Unlock()
	createSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"replyTimeout":10}`)
	run(t, tb, 15*time.Second)

	nid := eventtest.As[event.VNFMNotify](t, notified(tb, vnfm)[0]).NotificationID
	at := attempts(tb, id, nid)
	require.Len(t, at, len(schedule(0, 10*time.Second)))
	for _, e := range at {
		require.Contains(t, eventtest.As[event.DeliveryAttempt](t, e).Error, "token endpoint answered 401")
	}
	o.mu.Lock()
	require.Empty(t, o.posts, "no notification goes out without a token")
	require.Len(t, o.tokenReqs, len(at)+2, "each attempt asks for a token, after the two endpoint tests")
	o.mu.Unlock()
	require.Len(t, failures(tb, id), 1)
	require.NotContains(t, traceJSON(t, tb), "SECRET")
}

func TestDeliveryFilters(t *testing.T) {
	tb := build(t, referenceScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	filters := map[string]map[string]any{
		"/all":       nil,
		"/available": {"notificationTypes": []string{"NodeAvailableNotification"}},
		"/compute-2": {"nodeIds": []string{"compute-2"}},
		"/maint-c1":  {"notificationTypes": []string{"MaintenanceNotification"}, "nodeIds": []string{"compute-1"}},
		"/status":    {"notificationTypes": []string{"SessionStatusNotification", "NodeAvailableNotification"}, "nodeIds": []string{"compute-3"}},
	}
	subs := map[string]string{}
	for path, f := range filters {
		body := map[string]any{"vnfmId": vnfm, "callbackUri": sub.url(path)}
		if f != nil {
			body["filter"] = f
		}
		subs[path] = subscribed(t, tb, body)
	}

	st := runSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1","compute-2"]}`)
	require.Equal(t, "COMPLETED", st.State)
	posts := sub.posted()
	got := map[string][]note{}
	for path, id := range subs {
		got[path] = checkNotifications(t, posts, path, id, "http://vim.escalator")
	}

	all := got["/all"]
	require.Len(t, all, 5)
	// pick keeps the notifications of /all that pass keep, in order.
	pick := func(keep func(n note) bool) []string {
		var out []string
		for _, n := range all {
			if keep(n) {
				out = append(out, n.ID)
			}
		}
		return out
	}
	about := func(n note, node string) bool { return slices.Contains(n.AffectedNodes, node) }

	require.Equal(t, pick(func(n note) bool { return n.NotificationType == "NodeAvailableNotification" }), ids(got["/available"]))
	require.Len(t, got["/available"], 2)
	require.Equal(t, pick(func(n note) bool { return n.NotificationType == "MaintenanceNotification" && about(n, "compute-1") }), ids(got["/maint-c1"]))
	require.Len(t, got["/maint-c1"], 1)
	// A node filter keeps what concerns its nodes; a session-status
	// notification concerns no node and passes it.
	require.Equal(t, pick(func(n note) bool { return about(n, "compute-2") || len(n.AffectedNodes) == 0 }), ids(got["/compute-2"]))
	for _, n := range got["/compute-2"] {
		if len(n.AffectedNodes) > 0 {
			require.Contains(t, n.AffectedNodes, "compute-2")
		}
	}
	require.Len(t, got["/compute-2"], 3)
	require.Equal(t, pick(func(n note) bool { return n.NotificationType == "SessionStatusNotification" }), ids(got["/status"]))
	requireNoViolations(t, tb)
}

func TestNotificationTimesAndDeadline(t *testing.T) {
	tb := build(t, silentScenario, scenarios.BuildOptions{})
	vnfm := tb.Scenario.VNFM.Name
	sub := newSubscriber(t)
	id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/cb")})
	createSession(t, tb, `{"targetVersion":"2.0","nodeIds":["compute-1"],"replyTimeout":42}`)
	run(t, tb, 5*time.Second)
	got := checkNotifications(t, sub.posted(), "/cb", id, "http://vim.escalator")
	require.Len(t, got, 1)
	n := got[0]
	require.Equal(t, "PLANNED_MAINTENANCE", n.State)
	require.Equal(t, []string{"compute-1"}, n.AffectedNodes)
	require.Len(t, n.AffectedInstances, 1)
	require.Equal(t, "mme-1", n.AffectedInstances[0].InstanceID)
	require.Equal(t, 42*time.Second, n.ReplyBy.Sub(n.TimeStamp), "replyBy is the request's replyTimeout after the notification")
}
