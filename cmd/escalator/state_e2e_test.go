package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
)

// TestVIMKilledAndRestarted is issue 14's real process test: `escalator
// vim --state FILE` and `escalator vnfm` over TCP on loopback, the VIM
// killed with SIGKILL at a point of an F1 upgrade and started again on the
// same file and port. The restarted VIM must take the session up (the
// VNFM, still running, subscribes to nothing again), finish it, and judge
// the whole upgrade: the trace on the file from the first process and the
// second's, as one run.
func TestVIMKilledAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	bin := filepath.Join(t.TempDir(), "escalator")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))

	for _, kp := range []struct {
		name string
		// at: kill once the trace on record holds this.
		at func(events []escalator.Event) bool
	}{
		{"after the first notification", func(es []escalator.Event) bool { return has(es, "vnfm.notify", "") }},
		{"mid node upgrade", func(es []escalator.Event) bool {
			return has(es, "node.upgrade-started", "") && !has(es, "node.version", "")
		}},
		{"after a reply", func(es []escalator.Event) bool { return has(es, "vnfm.reply", "") }},
	} {
		t.Run(kp.name, func(t *testing.T) { killAndRestart(t, bin, kp.at) })
	}
}

func has(es []escalator.Event, kind, subject string) bool {
	for _, e := range es {
		if e.Kind == kind && (subject == "" || e.Subject == subject) {
			return true
		}
	}
	return false
}

// recorded reads the trace a running VIM has put on its state file, through
// a read-only connection beside the VIM's (WAL lets a reader in while the
// writer holds the file).
func recorded(t *testing.T, path string) []escalator.Event {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=1000")
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query(`SELECT doc FROM events ORDER BY seq`)
	if err != nil {
		return nil // not made yet
	}
	defer rows.Close()
	var out []escalator.Event
	for rows.Next() {
		var doc []byte
		require.NoError(t, rows.Scan(&doc))
		var e escalator.Event
		require.NoError(t, json.Unmarshal(doc, &e))
		out = append(out, e)
	}
	return out
}

// startVIM starts `escalator vim` and returns it with its URL. A restart
// names neither --listen nor --speed: the state file has them.
func startVIM(t *testing.T, ctx context.Context, bin string, restart bool, state, traceDir string) (*exec.Cmd, string, *bufio.Scanner, *syncBuffer) {
	t.Helper()
	args := []string{"vim", "--scenario", "testdata/e2e-f1.yaml", "--state", state, "--trace", traceDir}
	if !restart {
		args = append(args, "--listen", "127.0.0.1:0", "--speed", "60")
	}
	vim := exec.CommandContext(ctx, bin, args...)
	var stderr syncBuffer
	vim.Stderr = &stderr
	stdout, err := vim.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, vim.Start())
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "the VIM printed nothing; stderr:\n%s", stderr.String())
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(lines.Text())
	require.NotEmpty(t, url, lines.Text())
	return vim, url, lines, &stderr
}

func killAndRestart(t *testing.T, bin string, at func([]escalator.Event) bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	state, traceDir := filepath.Join(dir, "state.db"), filepath.Join(dir, "trace")

	began := time.Now()
	vim, url, _, vimErr := startVIM(t, ctx, bin, false, state, traceDir)
	vnfm := exec.CommandContext(ctx, bin, "vnfm", "--vim", url, "--speed", "60")
	var vnfmOut, vnfmErr syncBuffer
	vnfm.Stdout, vnfm.Stderr = &vnfmOut, &vnfmErr
	require.NoError(t, vnfm.Start())
	vnfmDone := false
	defer func() {
		if !vnfmDone {
			_ = vnfm.Process.Kill()
			_ = vnfm.Wait()
		}
	}()

	// Poll the file for the kill point: the trace on record is what the
	// restarted VIM will know.
	var seen []escalator.Event
	for !at(seen) {
		require.NoError(t, ctx.Err(), "the kill point never came; vim:\n%s\nvnfm:\n%s", vimErr.String(), vnfmErr.String())
		time.Sleep(10 * time.Millisecond)
		seen = recorded(t, state)
	}
	require.NoError(t, vim.Process.Signal(syscall.SIGKILL))
	_ = vim.Wait()
	killed := time.Now()
	last := seen[len(seen)-1]
	t.Logf("killed %.2fs after start, %d events on record, the last #%d %s %s", killed.Sub(began).Seconds(), len(seen), last.Seq, last.Kind, last.Subject)

	vim2, url2, lines, vimErr2 := startVIM(t, ctx, bin, true, state, traceDir)
	require.Equal(t, url, url2, "the restarted VIM serves where the VNFM calls it")
	t.Logf("restarted VIM listening %.2fs after the kill", time.Since(killed).Seconds())
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	err := vim2.Wait()
	done := time.Now()
	t.Logf("restarted: finished %.2fs after the restart, %.2fs in all", done.Sub(killed).Seconds(), done.Sub(began).Seconds())
	require.NoError(t, err, "restarted vim: %s\n%s\nfirst vim: %s\nvnfm: %s", rest.String(), vimErr2.String(), vimErr.String(), vnfmErr.String())
	verdict := regexp.MustCompile(`PASS\s+e2e-f1\s+COMPLETED F1, 3 nodes in .*, 0 requests lost.*`).FindString(rest.String())
	require.NotEmpty(t, verdict, rest.String())
	t.Logf("verdict: %s", strings.Join(strings.Fields(verdict), " "))
	require.Contains(t, vimErr2.String(), "resuming", "the restarted VIM took the session up")

	// The verdict covers the whole upgrade: the trace holds both
	// processes, one session, every node upgraded once.
	f, err := os.Open(filepath.Join(traceDir, "e2e-f1.ndjson"))
	require.NoError(t, err)
	defer f.Close()
	events, err := escalator.ReadNDJSON(f)
	require.NoError(t, err)
	require.Equal(t, seen, events[:len(seen)], "the first process's trace, as it was on record, opens the run's")
	count := map[string]int{}
	var nodes []string
	for i, e := range events {
		if e.Kind == "node.added" {
			nodes = append(nodes, e.Subject)
		}
		require.Equal(t, int64(i+1), e.Seq)
		if i > 0 {
			require.GreaterOrEqual(t, e.At, events[i-1].At, "times only move forward: #%d", e.Seq)
		}
		count[e.Kind]++
		if e.Kind == "node.upgrade-started" || e.Kind == "node.version" {
			count[e.Kind+" "+e.Subject]++
		}
	}
	require.Equal(t, 1, count["session.created"])
	require.Equal(t, 1, count["orchestrator.restarted"])
	require.Len(t, nodes, 3)
	for _, n := range nodes {
		require.LessOrEqual(t, count["node.upgrade-started "+n], 1, "node %s upgraded once: %v", n, count)
		require.Equal(t, 1, count["node.version "+n], "node %s reached the target once", n)
	}
	all := vimErr.String() + vimErr2.String() + vnfmErr.String()
	require.NotContains(t, all, "spec violation")

	require.NoError(t, vnfm.Process.Signal(syscall.SIGTERM))
	vnfmDone = true
	require.NoError(t, vnfm.Wait(), vnfmErr.String())
	// The VNFM acted on no notification twice: one it was sent again is
	// one it knew (vnfm.duplicate) and did nothing about.
	received := regexp.MustCompile(`msg=vnfm\.received .*notificationId=(\S+)`).FindAllStringSubmatch(vnfmErr.String(), -1)
	dups := strings.Count(vnfmErr.String(), "msg=vnfm.duplicate")
	ids := map[string]int{}
	for _, m := range received {
		ids[m[1]]++
	}
	for id, n := range ids {
		require.LessOrEqual(t, n, 2, "notification %s delivered %d times", id, n)
	}
	t.Logf("the VNFM received %d notifications (%d distinct), %d of them repeats it recognised", len(received), len(ids), dups)
	require.Equal(t, len(received)-len(ids), dups, "every repeat recognised as one")
}
