package sim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Live counts the loss of an interruption while it lasts; Lost only
// catches up when the state changes.
func TestVNFLiveCountsAnOpenInterruption(t *testing.T) {
	r := newRig(t, Timings{}, 2)
	v := r.vnf(t, VNFConfig{Name: "web", Mode: ModeLoadBalanced, Load: 1000, CapacityPerInstance: 400,
		HealthCheckWindow: time.Hour}, 2) // 800/s of capacity: 200/s lost from the start
	type look struct{ lost, rate, booked float64 }
	var looks []look
	for _, at := range []time.Duration{0, 10 * time.Second, 30 * time.Second} {
		r.at(at, func() {
			lost, rate := v.Live()
			looks = append(looks, look{lost, rate, v.Lost})
		})
	}
	require.NoError(t, r.loop.Run(context.Background(), time.Minute))
	require.Equal(t, []look{{0, 200, 0}, {2000, 200, 0}, {6000, 200, 0}}, looks)
}
