package sqlitestore

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator/storetest"
)

// The kill test: a child process (this test binary again, running
// TestCommitterProcess) commits steps of one session as fast as it can
// and says on its standard output after each Commit returned; the parent
// kills it with SIGKILL after a step drawn at random, while it goes on
// committing, and opens the file. Every commit the child saw return must
// be there, and the last one in flight must be there whole or not at all.
// Three children in turn, each taking the session up where the last
// died, as a restarted VIM would.

const killDBEnv = "ESCALATOR_SQLITESTORE_KILL_DB"

func TestCommitterProcess(t *testing.T) {
	path := os.Getenv(killDBEnv)
	if path == "" {
		t.Skip("the child process of TestKillMidCommit")
	}
	s, err := Open(path)
	if err != nil {
		fmt.Printf("open-error %v\n", err)
		os.Exit(2)
	}
	recs, err := s.Load()
	if err != nil {
		fmt.Printf("load-error %v\n", err)
		os.Exit(2)
	}
	next := 1
	if len(recs) == 1 {
		next = len(recs[0].Notes) + 1
	}
	out := bufio.NewWriter(os.Stdout)
	for i := next; i < next+100000; i++ {
		c := storetest.Typical("s", i)
		if i == 1 {
			c = first("s")
		}
		if err := s.Commit(c); err != nil {
			fmt.Fprintf(out, "commit-error %v\n", err)
			out.Flush()
			os.Exit(2)
		}
		fmt.Fprintf(out, "ok %d\n", i)
		out.Flush()
	}
}

func TestKillMidCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill points drawn with seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 14))
	acked := 0
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCommitterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), killDBEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		killAt := acked + 5 + rng.IntN(100)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			if len(f) == 2 && f[0] == "ok" {
				n, err := strconv.Atoi(f[1])
				require.NoError(t, err)
				require.Equal(t, acked+1, n, "round %d: the child takes up where the last left", round)
				acked = n
				if n == killAt {
					break
				}
				continue
			}
			if strings.HasPrefix(lines.Text(), "PASS") || strings.HasPrefix(lines.Text(), "ok ") {
				continue
			}
			t.Fatalf("round %d: child: %s", round, lines.Text())
		}
		require.Equal(t, killAt, acked, "round %d: the child reached the kill point", round)

		// While the child lives, the file is its own.
		_, err = Open(path)
		require.Error(t, err)
		require.Equal(t, escalator.EUNAVAILABLE, escalator.ErrorCode(err))

		require.NoError(t, cmd.Process.Kill()) // SIGKILL
		_ = cmd.Wait()

		s, err := Open(path)
		require.NoError(t, err, "round %d: the kernel dropped the dead child's lock", round)
		recs := load(t, s)
		require.NoError(t, s.Close())
		require.Len(t, recs, 1)
		r := recs[0]
		n := len(r.Notes)
		t.Logf("round %d: killed after commit %d was acknowledged; the file holds %d commits", round, killAt, n)
		require.GreaterOrEqual(t, n, acked, "round %d: every acknowledged commit survived", round)
		require.Equal(t, n, r.Session.Upgrades, "round %d: the last commit whole: its header and its note together", round)
		for _, node := range r.Nodes {
			require.Equal(t, n, node.Seq, "round %d: and its node rows", round)
		}
		acked = n
	}
}
