package vimhttp_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/eventtest"
	"github.com/escalator-testbed/escalator/orchestrator/vimhttp"
	"github.com/escalator-testbed/escalator/scenarios"
)

// longScenario keeps a session going for a quarter of an hour of virtual
// time, so that the notifications to a dead subscriber span more than the
// drop policy's five minutes.
var longScenario = strings.Replace(silentScenario, "nodeUpgradeTime: 1m", "nodeUpgradeTime: 5m", 1)

// A subscriber whose deliveries keep failing is dropped once the policy's
// limits are both passed (10 failed attempts in a row, over at least 5
// minutes): the subscription is gone, the trace says why, and nothing is
// posted to it any more. One that fails often but not always stays.
func TestDeadSubscriberIsDropped(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(s *subscriber)
		dropped bool
		error   string
	}{
		{"always 500", func(s *subscriber) { s.answer = func(int, *http.Request) int { return http.StatusInternalServerError } }, true, "the subscriber answered 500"},
		{"endpoint gone", func(s *subscriber) { s.srv.Close() }, true, "connection refused"},
		{"fails four in five", func(s *subscriber) {
			s.answer = func(n int, _ *http.Request) int {
				if n%5 == 0 {
					return http.StatusNoContent
				}
				return http.StatusServiceUnavailable
			}
		}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := build(t, longScenario, scenarios.BuildOptions{})
			vnfm := tb.Scenario.VNFM.Name
			sub := newSubscriber(t)
			id := subscribed(t, tb, map[string]any{"vnfmId": vnfm, "callbackUri": sub.url("/dead")})
			tc.setup(sub)
			createSession(t, tb, `{"targetVersion":"2.0","replyTimeout":20}`)
			run(t, tb, 30*time.Minute)

			drops := events(tb, "subscription.dropped")
			if !tc.dropped {
				require.Empty(t, drops)
				require.Greater(t, len(sub.posted()), 2*vimhttp.DefaultDrop.Failures, "enough failures to have dropped a subscriber that never recovered")
				require.Equal(t, http.StatusOK, get(t, tb, "/subscriptions/"+id).Status)
				return
			}
			require.Len(t, drops, 1)
			require.Equal(t, id, drops[0].Subject)
			d := eventtest.As[event.SubscriptionDropped](t, drops[0])
			require.Equal(t, vnfm, d.VNFM)
			require.Equal(t, sub.url("/dead"), d.CallbackURI)
			require.GreaterOrEqual(t, d.Failures, vimhttp.DefaultDrop.Failures)
			since, err := time.ParseDuration(d.Since)
			require.NoError(t, err)
			require.GreaterOrEqual(t, since, vimhttp.DefaultDrop.For)
			require.Contains(t, d.LastError, tc.error)
			requireProblem(t, get(t, tb, "/subscriptions/"+id), http.StatusNotFound, id)

			// The drop ends the delivery in hand, and no attempt follows.
			var after []string
			for _, e := range tb.Trace.Events {
				if e.Seq > drops[0].Seq && e.Subject == id && e.Kind == "delivery.attempt" {
					after = append(after, e.String())
				}
			}
			require.Empty(t, after, "attempts after the drop")
			fails := failures(tb, id)
			require.NotEmpty(t, fails)
			var ended bool
			for _, f := range fails {
				if f.Seq == drops[0].Seq+1 {
					ended = true
					require.Contains(t, eventtest.As[event.DeliveryFailed](t, f).Error, "dropped")
				}
			}
			require.True(t, ended, "the delivery in hand is given up on right after the drop")
			require.Less(t, drops[0].At, 10*time.Minute, "dropped soon after the five minutes, not at the end")
			require.NotEmpty(t, events(tb, "session.state"))
		})
	}
}
