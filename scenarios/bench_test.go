package scenarios

import (
	"context"
	"fmt"
	"testing"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// BenchmarkScaleF1 runs the bundled F1 scale scenarios
// (scenarios/scale/f1-N-nodes.yaml: N nodes, 20 VMs a node, N/50 nodes a
// batch) in virtual time over the in-process HTTP wire. Run one size with
// -benchtime=1x, e.g. -bench 'ScaleF1/nodes=1000$'; its peak memory and the
// whole curve come from make bench-scale, which runs each size in a
// process of its own.
func BenchmarkScaleF1(b *testing.B) {
	for _, n := range []int{1000, 2000, 5000, 10000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			s, err := load.File(fmt.Sprintf("scale/f1-%d-nodes.yaml", n))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				r := Run(context.Background(), s, Options{Discard: true})
				if r.Verdict != judge.VerdictPass {
					for _, c := range r.Failed() {
						b.Logf("%s: %v", c.Name, c.Violations[0].Message)
					}
					b.Fatalf("verdict %s: %v", r.Verdict, r.Err)
				}
				b.ReportMetric(float64(r.EventCount), "events")
				b.ReportMetric(r.UpgradeDuration.Hours(), "virtual-hours")
			}
		})
	}
}
