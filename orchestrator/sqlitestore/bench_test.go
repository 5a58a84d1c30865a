package sqlitestore

import (
	"path/filepath"
	"testing"

	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/storetest"
)

// BenchmarkCommit times a typical commit of a running session (its header,
// two node rows, one notification), each one transaction synced to disk,
// against the in-memory store's for the same commits. Run it with
// go test -run '^$' -bench Commit ./orchestrator/sqlitestore/; the
// commits/s of the file depend on the disk's fsync (the temporary folder).
func BenchmarkCommit(b *testing.B) {
	for _, bc := range []struct {
		name string
		open func(b *testing.B) orchestrator.Store
	}{
		{"sqlite", func(b *testing.B) orchestrator.Store {
			s, err := Open(filepath.Join(b.TempDir(), "state.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"memory", func(*testing.B) orchestrator.Store { return orchestrator.NewMemoryStore() }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := bc.open(b)
			if err := s.Commit(first("s")); err != nil {
				b.Fatal(err)
			}
			// The commits are made before the clock runs: the
			// benchmark times the store, not the building of steps.
			commits := make([]orchestrator.Commit, b.N)
			for i := range commits {
				commits[i] = storetest.Typical("s", i+2)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := s.Commit(commits[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}
