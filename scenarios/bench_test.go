package scenarios

import (
	"context"
	"testing"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// BenchmarkScaleF1 runs the bundled 1,000-node, 20,000-VM F1 upgrade
// (scenarios/scale/f1-1000-nodes.yaml) in virtual time over the in-process
// HTTP wire. Run with -benchtime=1x, and under /usr/bin/time -v for the
// peak memory.
func BenchmarkScaleF1(b *testing.B) {
	s, err := load.File("scale/f1-1000-nodes.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r := Run(context.Background(), s, Options{})
		if r.Verdict != judge.VerdictPass {
			for _, c := range r.Failed() {
				b.Logf("%s: %v", c.Name, c.Violations[0].Message)
			}
			b.Fatalf("verdict %s: %v", r.Verdict, r.Err)
		}
		b.ReportMetric(float64(len(r.Events)), "events")
		b.ReportMetric(r.UpgradeDuration.Hours(), "virtual-hours")
	}
}
