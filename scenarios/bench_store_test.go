package scenarios

import (
	"context"
	"testing"

	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// BenchmarkScaleF1Store measures what the Upgrade Manager's state store
// costs on the 1,000-node F1 upgrade: no store, and the in-memory one
// (every commit JSON-encoded, as to a file). Compare the sub-benchmarks'
// ns/op in one run: go test ./scenarios/ -run '^$' -bench ScaleF1Store
// -benchtime 1x.
func BenchmarkScaleF1Store(b *testing.B) {
	s, err := load.File("scale/f1-1000-nodes.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		build func() (BuildOptions, func() int)
	}{
		{"none", func() (BuildOptions, func() int) { return BuildOptions{NoStateStore: true}, func() int { return 0 } }},
		{"memory", func() (BuildOptions, func() int) {
			m := orchestrator.NewMemoryStore()
			return BuildOptions{StateStore: m}, func() int { return m.Commits }
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				opt, commits := c.build()
				r := Run(context.Background(), s, Options{Build: opt})
				if r.Verdict != judge.VerdictPass {
					b.Fatalf("verdict %s: %v", r.Verdict, r.Err)
				}
				b.ReportMetric(float64(commits()), "commits")
			}
		})
	}
}
