package history

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// The crash test: a child process (this test binary again, running
// TestCrashChild) saves big runs in a loop and says on its standard output
// where it is in each save; the parent kills it with SIGKILL at a point
// drawn at random inside the first few saves, then opens the history. It
// must open cleanly, pass SQLite's integrity check, and hold every run
// either whole or not at all.

const (
	crashDBEnv     = "ESCALATOR_HISTORY_CRASH_DB"
	crashPrefixEnv = "ESCALATOR_HISTORY_CRASH_PREFIX"
	crashResults   = 20 // results in the first run a child saves; later ones have more
	crashSaves     = 3  // the kill falls within the first crashSaves saves
)

// crashBase is what the runs of the crash test repeat: a passing F1 run
// and a negative control with violations.
func crashBase(t testing.TB) []*judge.Result {
	var out []*judge.Result
	for _, f := range []string{realFiles[0], realFiles[2]} {
		s, err := load.File(f)
		require.NoError(t, err)
		out = append(out, scenarios.Run(context.Background(), s, scenarios.Options{}))
	}
	return out
}

// crashRun is the i-th run a child saves: crashResults+i copies of the
// base results, so the parent can tell how big each run should be.
func crashRun(rs []*judge.Result, id string, i int) reports.Run {
	run := reports.Run{ID: id, Started: time.Now(), Command: "crash", Version: "test"}
	for k := range crashResults + i {
		run.Results = append(run.Results, rs[k%len(rs)])
		run.Walls = append(run.Walls, time.Duration(k)*time.Millisecond)
	}
	return run
}

// TestCrashChild is the child's side; it does nothing unless TestCrash
// started it.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("the child process of TestCrash")
	}
	base := crashBase(t)
	s, err := Open(path, load.Bytes)
	if err != nil {
		fmt.Printf("crash open-error %v\n", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	// At each point of a save, wait for the parent's go-ahead: the parent
	// reads every line before the child goes on, and kills it either
	// there or just after letting it go on.
	in := bufio.NewReader(os.Stdin)
	hook = func(stage, id string, ordinal int) {
		say("crash %s %s %d", stage, id, ordinal)
		if _, err := in.ReadString('\n'); err != nil {
			os.Exit(3)
		}
	}
	prefix := os.Getenv(crashPrefixEnv)
	for i := range crashSaves + 2 {
		run := crashRun(base, fmt.Sprintf("%s-%d", prefix, i), i)
		say("crash save %s %d", run.ID, len(run.Results))
		if err := s.Save(run); err != nil {
			say("crash save-error %v", err)
			os.Exit(2)
		}
		say("crash saved %s -1", run.ID)
	}
	say("crash done")
}

// killPoint is where in the child's output the parent kills it: at the
// line of this stage, run and result ordinal.
type killPoint struct {
	run     int
	stage   string
	ordinal int
	// later lets the child go on before the kill, so that it dies
	// somewhere in the writes after the point rather than waiting at it.
	later bool
}

func (k killPoint) String() string {
	s := fmt.Sprintf("save %d, %s %d", k.run, k.stage, k.ordinal)
	if k.later {
		s += ", a little later"
	}
	return s
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	base := crashBase(t)
	path := filepath.Join(t.TempDir(), "history.db")
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill points drawn with seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	want := map[string]int{}    // run ID → results, for every run a child began to save
	saved := map[string]bool{}  // runs a child said it had saved
	present := map[string]int{} // how often the killed run was present, absent
	const rounds = 6
	for round := range rounds {
		// The first round kills in the first save of a new database, the
		// second in a commit, the others anywhere within the first few
		// saves of a database that has outlived the kills before.
		k := killPoint{run: rng.IntN(crashSaves), later: rng.IntN(2) == 0}
		if round == 0 {
			k.run = 0
		}
		switch n := crashResults + k.run; rng.IntN(8) {
		case 0:
			k.stage, k.ordinal = "begin", -1
		case 1:
			k.stage, k.ordinal = "commit", -1
		default:
			k.stage, k.ordinal = "result", rng.IntN(n)
		}
		if round == 1 {
			k.stage, k.ordinal, k.later = "commit", -1, true // dies in the commit, or just after it
		}
		prefix := fmt.Sprintf("round%d", round)
		killed := runChild(t, path, prefix, k, want, saved)
		t.Logf("round %d: killed at %s", round, k)

		s, err := Open(path, load.Bytes)
		require.NoError(t, err, "the history opens after a kill (round %d)", round)
		var check string
		require.NoError(t, s.w.QueryRow(`PRAGMA integrity_check`).Scan(&check))
		assert.Equal(t, "ok", check)
		rows, err := s.w.Query(`PRAGMA foreign_key_check`)
		require.NoError(t, err)
		assert.False(t, rows.Next(), "no row points at nothing")
		require.NoError(t, rows.Close())

		// Every run is whole: as many results, traces and checks as the
		// child wrote. The runs of this round are loaded in full, their
		// traces decoded; those of earlier rounds were, and are counted.
		runs, err := s.Runs(Filter{})
		require.NoError(t, err)
		ids := map[string]bool{}
		for _, r := range runs {
			ids[r.ID] = true
			n, ok := want[r.ID]
			require.True(t, ok, "run %s was saved by a child", r.ID)
			assert.Equal(t, n, r.Scenarios, "run %s is whole", r.ID)
			checks := 0
			for i := range n {
				checks += len(base[i%len(base)].Checks)
			}
			assert.Equal(t, n, count(t, s, "traces", r.ID), "run %s: traces", r.ID)
			assert.Equal(t, checks, count(t, s, "check_results", r.ID), "run %s: checks", r.ID)
			if !strings.HasPrefix(r.ID, prefix+"-") {
				continue
			}
			run, err := s.Load(r.ID)
			require.NoError(t, err, "run %s loads", r.ID)
			require.Len(t, run.Results, n)
			for i, res := range run.Results {
				b := base[i%len(base)]
				assert.Equal(t, len(b.Events), len(res.Events), "run %s result %d: its trace decodes whole", r.ID, i)
				assert.Equal(t, len(b.Checks), len(res.Checks), "run %s result %d: its checks", r.ID, i)
				assert.Equal(t, b.Verdict, res.Verdict)
			}
		}
		for id := range saved {
			assert.True(t, ids[id], "run %s, saved before the kill, is there", id)
		}
		if ids[killed] {
			present["present"]++
		} else {
			present["absent"]++
		}
		require.NoError(t, s.Close())
	}
	t.Logf("the run being saved at the kill: %v", present)
}

// runChild starts a child saving runs named prefix-0, prefix-1 ... into
// the history at path, reads its progress, and kills it at k. It returns
// the ID of the run being saved at k, and records in want each run the
// child began and in saved each one it finished.
func runChild(t *testing.T, path, prefix string, k killPoint, want map[string]int, saved map[string]bool) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path, crashPrefixEnv+"="+prefix)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	target := fmt.Sprintf("%s-%d", prefix, k.run)

	sc := bufio.NewScanner(stdout)
	var lines []string
	killed := false
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "crash" {
			continue
		}
		switch f[1] {
		case "save":
			require.Len(t, f, 4, line)
			n, err := strconv.Atoi(f[3])
			require.NoError(t, err)
			want[f[2]] = n
		case "saved":
			saved[f[2]] = true
		case "begin", "result", "commit":
			require.Len(t, f, 4, line)
			if killed {
				break // the child is dying; it waits for no one
			}
			ord, err := strconv.Atoi(f[3])
			require.NoError(t, err)
			at := f[2] == target && f[1] == k.stage && ord == k.ordinal
			if !at || k.later {
				_, err := io.WriteString(stdin, "go\n")
				require.NoError(t, err)
			}
			if at {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				killed = true
			}
		}
	}
	require.NoError(t, sc.Err())
	err = cmd.Wait()
	require.True(t, killed, "the child never reached %s; its output:\n%s\n%s", k, strings.Join(lines, "\n"), stderr.String())
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the child was killed: %v", err)
	ws, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	assert.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the child died of SIGKILL: %v\n%s", err, stderr.String())
	return target
}
