package vimhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/orchestrator"
)

const actor = "vim"

// Retry timing for notifications a subscriber did not take.
const (
	firstRetry = time.Second
	maxRetry   = 30 * time.Second
	// noDeadline bounds the retries of notifications that carry no replyBy
	// (node available, session status).
	noDeadline = 2 * time.Minute
)

// DropPolicy is when the VIM gives up on a subscriber: after Failures
// delivery attempts in a row have failed (no answer, or any answer but
// 204) and the first of them is at least For ago. Both must hold: a burst
// of quick retries within one outage is not enough, nor is one failure
// long ago. The subscription is then deleted and the trace records
// subscription.dropped, so the VIM stops posting to a VNFM that is gone; a
// VNFM that comes back subscribes again (ours does on its own). Any
// successful delivery starts the count afresh.
type DropPolicy struct {
	Failures int
	For      time.Duration
}

// DefaultDrop is the policy of a Notifier that sets none: 10 failed
// attempts in a row over at least 5 minutes. With the retry back-off (1 s
// doubling to 30 s) that is about two notifications' worth of retries, far
// beyond a VNFM restart.
var DefaultDrop = DropPolicy{Failures: 10, For: 5 * time.Minute}

// Notifier implements orchestrator.Notifier over HTTP: one POST per
// matching subscription, all with the notification's one id, retried with
// backoff until the reply deadline. Every attempt is in the trace.
type Notifier struct {
	Store  *Store
	Clock  orchestrator.Clock
	Caller *edge.Caller
	// TokenCaller fetches OAuth2 tokens; it does not validate against the
	// notification spec, which the token endpoint is not part of.
	TokenCaller *edge.Caller
	Trace       escalator.Emitter
	// APIRoot is the VIM API's URL prefix ("http://127.0.0.1:9000"), for
	// the links a notification carries.
	APIRoot string
	tokens  map[string]token
	// Redeliver, when set, may ask for a notification to be sent a second
	// time after the subscriber took it: the fault injection point for a
	// retry whose first attempt did arrive (a lost 204).
	Redeliver func(n orchestrator.Notification) bool
	// OnDone, when set, hears when the notifier is done with a
	// notification (taken, or given up on): the Manager's outbox.
	OnDone func(id string)
	// queues keeps each subscriber's notifications in order: the next one
	// is sent only when the previous was taken or given up on, so a VNFM
	// never sees "node available" after the next node's maintenance.
	queues map[string]*queue
	// Drop is when a failing subscriber is dropped; the zero value means
	// DefaultDrop, a negative Failures never.
	Drop DropPolicy
	// failing holds each subscription's current run of failed attempts.
	failing map[string]*failRun
}

// failRun is a subscription's unbroken run of failed deliveries.
type failRun struct {
	count int
	since time.Time
}

// failed counts one failed attempt to sub and deletes it when the policy
// says so, returning what the trace is to record of that (nil: kept).
func (d *Notifier) failed(sub *Subscription, why string) *event.SubscriptionDropped {
	p := d.Drop
	if p == (DropPolicy{}) {
		p = DefaultDrop
	}
	if p.Failures < 0 {
		return nil
	}
	if d.failing == nil {
		d.failing = map[string]*failRun{}
	}
	run := d.failing[sub.ID]
	if run == nil {
		run = &failRun{since: d.Clock.Now()}
		d.failing[sub.ID] = run
	}
	run.count++
	failingFor := d.Clock.Now().Sub(run.since)
	if run.count < p.Failures || failingFor < p.For {
		return nil
	}
	delete(d.failing, sub.ID)
	if d.Store.Delete(sub.ID) != nil {
		return nil // its VNFM deleted it meanwhile: the next attempt sees that
	}
	return &event.SubscriptionDropped{VNFM: sub.VNFM, CallbackURI: sub.CallbackURI,
		Failures: run.count, Since: failingFor.String(), LastError: why}
}

type queue struct {
	busy  bool
	tasks []func(done func())
}

func (d *Notifier) enqueue(sub string, task func(done func())) {
	if d.queues == nil {
		d.queues = map[string]*queue{}
	}
	q := d.queues[sub]
	if q == nil {
		q = &queue{}
		d.queues[sub] = q
	}
	q.tasks = append(q.tasks, task)
	d.drain(q)
}

func (d *Notifier) drain(q *queue) {
	if q.busy || len(q.tasks) == 0 {
		return
	}
	task := q.tasks[0]
	q.tasks = q.tasks[1:]
	q.busy = true
	task(func() {
		q.busy = false
		d.drain(q)
	})
}

type token struct {
	value   string
	expires time.Time
}

// Notify implements orchestrator.Notifier.
func (d *Notifier) Notify(vnfm string, n orchestrator.Notification) {
	subs := d.Store.For(vnfm, n)
	if len(subs) == 0 {
		event.Emit(d.Trace, actor, vnfm, event.DeliveryNoSubscriber{NotificationID: n.ID, Type: n.NotificationType})
		d.done(n.ID)
		return
	}
	again := d.Redeliver != nil && d.Redeliver(n)
	deadline := d.Clock.Now().Add(noDeadline)
	if n.ReplyBy != nil {
		deadline = *n.ReplyBy
	}
	for _, sub := range subs {
		wire := n
		wire.SubscriptionID = sub.ID
		root := d.APIRoot + Base
		wire.Links = map[string]orchestrator.Link{
			"subscription": {Href: root + "/subscriptions/" + sub.ID},
			"session":      {Href: root + "/upgrade_sessions/" + n.SessionID},
		}
		if n.NotificationType == orchestrator.TypeMaintenance {
			wire.Links["reply"] = orchestrator.Link{Href: root + "/upgrade_sessions/" + n.SessionID + "/replies"}
		}
		body, err := json.Marshal(wire)
		if err != nil {
			event.Emit(d.Trace, actor, sub.ID, event.DeliveryFailed{NotificationID: n.ID, Error: err.Error()})
			continue
		}
		id := n.ID
		d.enqueue(sub.ID, func(done func()) {
			d.attempt(sub, id, body, 1, firstRetry, deadline, func() { done(); d.done(id) })
		})
		if again {
			d.enqueue(sub.ID, func(done func()) { d.attempt(sub, id, body, 1, firstRetry, deadline, done) })
		}
	}
}

func (d *Notifier) done(id string) {
	if d.OnDone != nil {
		d.OnDone(id)
	}
}

// attempt sends one notification once, and schedules the next try on
// failure; done runs when it was taken or given up on.
func (d *Notifier) attempt(sub *Subscription, id string, body []byte, try int, wait time.Duration, deadline time.Time, done func()) {
	if _, err := d.Store.Get(sub.ID); err != nil {
		// Unsubscribed meanwhile: nobody wants it any more.
		event.Emit(d.Trace, actor, sub.ID, event.DeliveryFailed{NotificationID: id, Attempts: event.Ptr(try - 1), Error: "the subscription was deleted"})
		done()
		return
	}
	if !d.Clock.Now().Before(deadline) {
		// Queued behind another delivery until its own deadline passed:
		// the VIM has acted already, so sending it now would only mislead.
		event.Emit(d.Trace, actor, sub.ID, event.DeliveryFailed{NotificationID: id, Attempts: event.Ptr(try - 1), Error: "its deadline passed before it could be sent"})
		done()
		return
	}
	retry := func(why string) {
		e := event.DeliveryAttempt{NotificationID: id, Attempt: try, Error: why}
		if dropped := d.failed(sub, why); dropped != nil {
			event.Emit(d.Trace, actor, sub.ID, e)
			event.Emit(d.Trace, actor, sub.ID, *dropped)
			event.Emit(d.Trace, actor, sub.ID, event.DeliveryFailed{NotificationID: id, Attempts: event.Ptr(try), Error: "the subscriber was dropped after failing too long: " + why})
			done()
			return
		}
		if next := d.Clock.Now().Add(wait); next.Before(deadline) {
			e.RetryIn = wait.String()
			event.Emit(d.Trace, actor, sub.ID, e)
			d.Clock.AfterFunc(wait, func() { d.attempt(sub, id, body, try+1, min(2*wait, maxRetry), deadline, done) })
			return
		}
		event.Emit(d.Trace, actor, sub.ID, e)
		event.Emit(d.Trace, actor, sub.ID, event.DeliveryFailed{NotificationID: id, Attempts: event.Ptr(try), Error: "gave up at the deadline: " + why})
		done()
	}
	d.withCredentials(sub, func(header string, err error) {
		if err != nil {
			retry(err.Error())
			return
		}
		req, err := http.NewRequest(http.MethodPost, sub.CallbackURI, bytes.NewReader(body))
		if err != nil {
			event.Emit(d.Trace, actor, sub.ID, event.DeliveryFailed{NotificationID: id, Error: err.Error()})
			done()
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(edge.HeaderVersion, edge.APIVersion)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		d.Caller.Do(req, func(resp *http.Response, _ []byte, err error) {
			switch {
			case err != nil:
				retry(err.Error())
			case resp.StatusCode == http.StatusNoContent:
				delete(d.failing, sub.ID)
				event.Emit(d.Trace, actor, sub.ID, event.DeliveryAttempt{NotificationID: id, Attempt: try, Status: resp.StatusCode})
				done()
			default:
				if resp.StatusCode == http.StatusUnauthorized && sub.Auth != nil {
					delete(d.tokens, tokenKey(sub.Auth)) // maybe expired: fetch anew
				}
				retry(fmt.Sprintf("the subscriber answered %d", resp.StatusCode))
			}
		})
	})
}

// withCredentials produces the Authorization header a subscription asked
// for, fetching an OAuth2 token (client credentials grant) when needed.
func (d *Notifier) withCredentials(sub *Subscription, use func(header string, err error)) {
	a := sub.Auth
	switch {
	case a == nil:
		use("", nil)
	case a.Type == AuthBasic:
		use(basic(a.UserName, a.Password), nil)
	case a.Type == AuthOAuth2:
		if t, ok := d.tokens[tokenKey(a)]; ok && d.Clock.Now().Before(t.expires) {
			use("Bearer "+t.value, nil)
			return
		}
		d.fetchToken(a, func(t token, err error) {
			if err != nil {
				use("", err)
				return
			}
			if d.tokens == nil {
				d.tokens = map[string]token{}
			}
			d.tokens[tokenKey(a)] = t
			use("Bearer "+t.value, nil)
		})
	default:
		use("", fmt.Errorf("unsupported authentication type %q", a.Type))
	}
}

func tokenKey(a *Auth) string { return a.TokenEndpoint + " " + a.ClientID }

func basic(user, password string) string {
	r := http.Request{Header: http.Header{}}
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

func (d *Notifier) fetchToken(a *Auth, done func(token, error)) {
	req, err := tokenRequest(a)
	if err != nil {
		done(token{}, err)
		return
	}
	d.TokenCaller.Do(req, func(resp *http.Response, body []byte, err error) {
		value, life, err := parseToken(resp, body, err)
		if err != nil {
			done(token{}, err)
			return
		}
		// Renew a little early so a token never expires in flight.
		done(token{value: value, expires: d.Clock.Now().Add(life * 9 / 10)}, nil)
	})
}

// tokenRequest is the OAuth2 client-credentials grant (RFC 6749 4.4) a
// subscription's authentication asks for.
func tokenRequest(a *Auth) (*http.Request, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequest(http.MethodPost, a.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(a.ClientID, a.ClientSecret)
	return req, nil
}

// parseToken reads a token endpoint's answer: the token and how long it
// lives.
func parseToken(resp *http.Response, body []byte, err error) (string, time.Duration, error) {
	if err != nil {
		return "", 0, fmt.Errorf("token endpoint: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("token endpoint answered %d", resp.StatusCode)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return "", 0, fmt.Errorf("token endpoint gave no access_token")
	}
	life := time.Duration(t.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	return t.AccessToken, life, nil
}
