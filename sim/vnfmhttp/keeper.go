package vnfmhttp

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/openapi/vimapi"
)

// Default timing of a Keeper.
const (
	DefaultCheckEvery = 10 * time.Second
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 30 * time.Second
)

// Keeper keeps a VNFM subscribed at its VIM. A VIM that restarts forgets
// its subscriptions, and one that drops a failing subscriber (vimhttp's
// DropPolicy) forgets it too; either way no notification would reach the
// VNFM again and the VIM would wait for a subscriber that never comes. So
// the Keeper looks at its subscription every CheckEvery (GET), and when the
// VIM answers 404 it subscribes again, retrying with a back-off that
// doubles from MinBackoff up to MaxBackoff. While the VIM cannot be reached
// it keeps looking: a VIM that comes back answers 404 for the old
// subscription. Each subscription gone, each failed attempt and each new
// subscription is logged.
//
// It runs on its own goroutine and its own timers, not the VNFM's event
// loop: its HTTP calls to a VIM that is down must not hold up the
// notifications the loop handles.
type Keeper struct {
	Client   *Client
	VNFM     string
	Callback string
	Auth     *vimapi.SubscriptionAuthentication
	Behavior string
	// CheckEvery, MinBackoff and MaxBackoff default to DefaultCheckEvery,
	// DefaultMinBackoff and DefaultMaxBackoff.
	CheckEvery, MinBackoff, MaxBackoff time.Duration
	// Log hears what the Keeper does (nil: nothing).
	Log *slog.Logger
	// Resubscribed, when set, hears each new subscription and how many
	// attempts it took.
	Resubscribed func(old, id string, attempts int)
	// Backoff, when set, hears each back-off wait before it starts.
	Backoff func(d time.Duration)

	mu   sync.Mutex
	id   string
	kick chan struct{}
}

// ID is the current subscription's id.
func (k *Keeper) ID() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.id
}

// Check asks for a look at the subscription now, without waiting for the
// period: for a caller that saw the VIM answer 404 for it.
func (k *Keeper) Check() {
	select {
	case k.kicks() <- struct{}{}:
	default: // a check is already due
	}
}

func (k *Keeper) kicks() chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.kick == nil {
		k.kick = make(chan struct{}, 1)
	}
	return k.kick
}

func (k *Keeper) log() *slog.Logger {
	if k.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return k.Log
}

func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run keeps subscription id alive until ctx ends.
func (k *Keeper) Run(ctx context.Context, id string) {
	k.mu.Lock()
	k.id = id
	k.mu.Unlock()
	kick := k.kicks()
	every := or(k.CheckEvery, DefaultCheckEvery)
	timer := time.NewTimer(every)
	defer timer.Stop()
	unreachable := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-kick:
			timer.Stop() // Go 1.23 timers: no stale tick after Stop
		}
		found, err := k.Client.SubscriptionExists(ctx, k.ID())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			// Say it once per outage, not once per period.
			if !unreachable {
				k.log().Warn("cannot check the VNFM's subscription; will keep looking", "subscription", k.ID(), "error", err)
			}
			unreachable = true
		case found:
			unreachable = false
		default:
			unreachable = false
			k.resubscribe(ctx)
		}
		timer.Reset(every)
	}
}

// resubscribe subscribes again until it succeeds or ctx ends.
func (k *Keeper) resubscribe(ctx context.Context) {
	old := k.ID()
	k.log().Warn("the VIM no longer knows the VNFM's subscription (404); subscribing again", "vnfm", k.VNFM, "subscription", old)
	wait, most := or(k.MinBackoff, DefaultMinBackoff), or(k.MaxBackoff, DefaultMaxBackoff)
	for attempt := 1; ; attempt++ {
		id, err := k.Client.Subscribe(k.VNFM, k.Callback, k.Auth, k.Behavior)
		if err == nil {
			k.mu.Lock()
			k.id = id
			k.mu.Unlock()
			k.log().Info("VNFM re-subscribed", "vnfm", k.VNFM, "subscription", id, "previous", old, "attempts", attempt)
			if k.Resubscribed != nil {
				k.Resubscribed(old, id, attempt)
			}
			return
		}
		k.log().Warn("re-subscription failed; retrying", "vnfm", k.VNFM, "attempt", attempt, "retryIn", wait.String(), "error", err)
		if k.Backoff != nil {
			k.Backoff(wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, most)
	}
}

// SubscriptionExists asks the VIM for a subscription: found on 200, not
// found on 404, an error for anything else (the VIM is down, or answers
// what it should not), when nothing can be concluded.
func (c *Client) SubscriptionExists(ctx context.Context, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	resp, err := c.VIM.GetSubscriptionWithResponse(ctx, id, &vimapi.GetSubscriptionParams{Version: edge.APIVersion})
	if err != nil {
		return false, escalator.Errorf(escalator.EUNAVAILABLE, "check the subscription at the VIM: %v", err)
	}
	switch resp.StatusCode() {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, problem("check the subscription", resp.HTTPResponse, resp.Body)
}
