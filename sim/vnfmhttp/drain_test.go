package vnfmhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/sim"
)

// A drain's completion is an instant on the clock the VIM and VNFM share.
// On a real-time loop the callback that calls Drain started before the
// HTTP call, so its clock reads stale by the call's length; counted from
// there, drainSeconds fired before the VNF's work was done and the reply
// overtook the drain (TestConformanceOverTCP failed so in CI under load).
// Here the VNF takes 300ms to answer a drain that finishes 100ms later.
func TestDrainWaitsForTheVNFsInstant(t *testing.T) {
	const answerAfter, drainFor = 300 * time.Millisecond, 100 * time.Millisecond
	var completeAt time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(answerAfter)
		completeAt = time.Now().UTC().Add(drainFor) // speed 1: the shared clock is the wall
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Version", edge.APIVersion)
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"instanceId": "web-1", "drainCompleteAt": completeAt, "drainSeconds": drainFor.Seconds()})
	}))
	defer srv.Close()

	loop := sim.NewRealLoop(1)
	c, err := NewClient(srv.URL, srv.URL, srv.Client(), edge.Credential{}, loop)
	require.NoError(t, err)
	var doneAt time.Time
	loop.AfterFunc(0, func() {
		require.NoError(t, c.Drain("web", "web-1", func() {
			doneAt = time.Now().UTC()
			loop.Stop()
		}))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, loop.Run(ctx, 0))
	require.False(t, doneAt.Before(completeAt), "done ran %s before the VNF's drain completed", completeAt.Sub(doneAt))
}
