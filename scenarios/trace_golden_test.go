package scenarios

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// withScale adds the scale suite (the 1,000-node scenario) to the trace
// golden test; make test leaves it out for time under the race detector.
var withScale = flag.Bool("golden-scale", false, "check (or -update) the scale scenarios' traces in testdata/traces.golden too")

const tracesGolden = "testdata/traces.golden"

// TestTracesGolden pins every bundled scenario's NDJSON trace, byte for
// byte, at its own seed: testdata/traces.golden holds each trace's SHA-256
// and event count. A change meant to keep behaviour (a refactor) must leave
// the file as it is; a change of behaviour rewrites it with -update, and
// the diff shows which scenarios it touched.
//
//	go test ./scenarios -run TracesGolden -update [-golden-scale]
func TestTracesGolden(t *testing.T) {
	all, err := load.Paths([]string{"."})
	require.NoError(t, err)
	want := readTracesGolden(t)
	var (
		mu  sync.Mutex
		got = map[string]string{}
	)
	t.Run("run", func(t *testing.T) {
		for _, s := range all {
			scale := s.Labels["suite"] == "scale"
			// The 2,000- to 10,000-node points of the scale curve
			// (run: manual) are minutes of CPU and hundreds of MB each;
			// the 1,000-node one pins the scale path's determinism.
			if scale && (!*withScale || s.Labels["run"] == "manual") {
				continue
			}
			t.Run(s.Name, func(t *testing.T) {
				t.Parallel()
				r := Run(context.Background(), s, Options{})
				require.NoError(t, r.Err)
				h := sha256.New()
				require.NoError(t, escalator.WriteNDJSON(h, r.Events))
				mu.Lock()
				got[filepath.ToSlash(s.Path)] = fmt.Sprintf("%s %d", hex.EncodeToString(h.Sum(nil)), len(r.Events))
				mu.Unlock()
			})
		}
	})
	if *update {
		// Keep the lines of scenarios not run this time (the scale suite
		// without -golden-scale).
		for p, v := range want {
			if _, ok := got[p]; !ok && fileExists(p) {
				got[p] = v
			}
		}
		writeTracesGolden(t, got)
		return
	}
	for p, v := range got {
		w, ok := want[p]
		require.True(t, ok, "%s is not in %s: go test ./scenarios -run TracesGolden -update", p, tracesGolden)
		require.Equal(t, w, v, "the trace of %s changed (sha256, events): if that is meant, go test ./scenarios -run TracesGolden -update", p)
	}
	// The pin holds: a run that differs in anything (here only its seed)
	// does not match its line.
	first := all[0]
	r := Run(context.Background(), first, Options{Seed: first.Seed + 1})
	h := sha256.New()
	require.NoError(t, escalator.WriteNDJSON(h, r.Events))
	require.NotEqual(t, want[filepath.ToSlash(first.Path)], fmt.Sprintf("%s %d", hex.EncodeToString(h.Sum(nil)), len(r.Events)),
		"%s at another seed matches its golden line", first.Path)
	for p := range want {
		require.True(t, fileExists(p), "%s lists %s, which is gone: go test ./scenarios -run TracesGolden -update", tracesGolden, p)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// readTracesGolden reads "path sha256 events" lines.
func readTracesGolden(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(tracesGolden)
	if os.IsNotExist(err) && *update {
		return map[string]string{}
	}
	require.NoError(t, err, "go test ./scenarios -run TracesGolden -update")
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		require.Len(t, fields, 3, "%s:%d: want path, sha256 and event count", tracesGolden, n)
		out[fields[0]] = fields[1] + " " + fields[2]
	}
	require.NoError(t, sc.Err())
	return out
}

func writeTracesGolden(t *testing.T, m map[string]string) {
	t.Helper()
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var b strings.Builder
	b.WriteString("# Each bundled scenario's NDJSON trace at its own seed: path, SHA-256, events.\n")
	b.WriteString("# Written by go test ./scenarios -run TracesGolden -update [-golden-scale].\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "%s %s\n", p, m[p])
	}
	require.NoError(t, os.WriteFile(tracesGolden, []byte(b.String()), 0o644))
}
