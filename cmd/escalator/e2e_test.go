package main

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTwoProcessUpgrade starts `escalator vim` and `escalator vnfm` as two
// real processes on loopback and runs a whole F1 upgrade between them over
// TCP: the VNFM subscribes, is notified, switches over and drains through
// the VNF control API, replies, and the upgrade loses no request.
func TestTwoProcessUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two processes")
	}
	bin := filepath.Join(t.TempDir(), "escalator")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	t.Run("no credentials", func(t *testing.T) { twoProcesses(t, bin, nil, nil) })
	// The VIM API demands a bearer token; the VNFM's endpoint demands an
	// OAuth2 token from its own token endpoint, which the VIM fetches with
	// the subscription's client credentials. No secret may reach a log.
	t.Run("credentials both ways", func(t *testing.T) {
		twoProcesses(t, bin, []string{"--auth", "bearer:vim-T0KEN-xyzzy"},
			[]string{"--auth", "bearer:vim-T0KEN-xyzzy", "--notify-auth", "oauth2:vim-client:cl1ent-S3CRET-plugh"},
			"vim-T0KEN-xyzzy", "cl1ent-S3CRET-plugh")
	})
}

func twoProcesses(t *testing.T, bin string, vimArgs, vnfmArgs []string, secrets ...string) {
	var err error
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	vim := exec.CommandContext(ctx, bin, append([]string{"vim", "--listen", "127.0.0.1:0", "--scenario", "testdata/e2e-f1.yaml", "--speed", "60"}, vimArgs...)...)
	var vimErr syncBuffer
	vim.Stderr = &vimErr
	stdout, err := vim.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, vim.Start())
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "the VIM printed nothing; stderr:\n%s", vimErr.String())
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(lines.Text())
	require.NotEmpty(t, url, lines.Text())

	vnfm := exec.CommandContext(ctx, bin, append([]string{"vnfm", "--vim", url, "--speed", "60"}, vnfmArgs...)...)
	var vnfmOut, vnfmErr syncBuffer
	vnfm.Stdout, vnfm.Stderr = &vnfmOut, &vnfmErr
	require.NoError(t, vnfm.Start())

	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	err = vim.Wait()
	require.NoError(t, err, "vim: %s\n%s\nvnfm: %s", rest.String(), vimErr.String(), vnfmErr.String())
	require.Regexp(t, `PASS\s+e2e-f1\s+COMPLETED F1, 3 nodes in .*, 0 requests lost`, rest.String())

	// The VNFM shuts down cleanly on SIGTERM.
	require.NoError(t, vnfm.Process.Signal(syscall.SIGTERM))
	require.NoError(t, vnfm.Wait(), vnfmErr.String())
	require.Contains(t, vnfmOut.String(), "VNFM vnfm-1 subscribed")
	require.Contains(t, vnfmErr.String(), "SWITCHED_OVER", "the VNFM moved the business itself")
	all := vimErr.String() + vnfmErr.String() + rest.String() + vnfmOut.String()
	require.NotContains(t, all, "spec violation")
	for _, secret := range secrets {
		require.NotContains(t, all, secret, "a credential reached a log")
	}
}

// syncBuffer is a bytes.Buffer a child process's output goroutine may
// write while the test reads it for a failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
