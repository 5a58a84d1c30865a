package scenarios

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/sqlitestore"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// BenchmarkScaleF1Store measures what the Upgrade Manager's state store
// costs on the 1,000-node F1 upgrade: no store, the in-memory one (every
// commit JSON-encoded, as to a file), and the SQLite file of `escalator vim
// --state` (every commit a transaction synced to disk). Compare the
// sub-benchmarks' ns/op in one run: go test ./scenarios/ -run '^$' -bench
// ScaleF1Store -benchtime 1x.
func BenchmarkScaleF1Store(b *testing.B) {
	s, err := load.File("scale/f1-1000-nodes.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		build func(b *testing.B) (BuildOptions, func() int)
	}{
		{"none", func(*testing.B) (BuildOptions, func() int) {
			return BuildOptions{NoStateStore: true}, func() int { return 0 }
		}},
		{"memory", func(*testing.B) (BuildOptions, func() int) {
			m := orchestrator.NewMemoryStore()
			return BuildOptions{StateStore: m}, func() int { return m.Commits }
		}},
		{"sqlite", func(b *testing.B) (BuildOptions, func() int) {
			st, err := sqlitestore.Open(filepath.Join(b.TempDir(), "state.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return BuildOptions{StateStore: st}, st.Commits
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				opt, commits := c.build(b)
				b.StartTimer()
				r := Run(context.Background(), s, Options{Build: opt})
				if r.Verdict != judge.VerdictPass {
					b.Fatalf("verdict %s: %v", r.Verdict, r.Err)
				}
				b.ReportMetric(float64(commits()), "commits")
			}
		})
	}
}
