package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
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

// TestVNFMSurvivesAVIMRestart is issue 17's reproducer: a VIM finishes its
// run and exits, a new VIM starts on the same address knowing no
// subscription, and the VNFM that kept running must notice and subscribe
// again, or the new VIM gives up ("no VNFM subscribed", exit 3).
func TestVNFMSurvivesAVIMRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes")
	}
	bin := filepath.Join(t.TempDir(), "escalator")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	runVIM := func(n int) {
		vim := exec.CommandContext(ctx, bin, "vim", "--listen", addr, "--scenario", "testdata/e2e-f1.yaml", "--speed", "60", "--wait", "30s")
		var vimOut, vimErr syncBuffer
		vim.Stdout, vim.Stderr = &vimOut, &vimErr
		err := vim.Run()
		t.Logf("VIM %d: %s\n%s", n, vimOut.String(), vimErr.String())
		require.NoError(t, err)
		require.Regexp(t, `PASS\s+e2e-f1\s+COMPLETED`, vimOut.String(), "VIM %d", n)
	}
	vimDone := make(chan struct{})
	go func() {
		defer close(vimDone)
		// The first VIM must be listening before the VNFM gives up on it
		// (it keeps trying for 30 s).
		runVIM(1)
	}()
	vnfm := exec.CommandContext(ctx, bin, "vnfm", "--vim", "http://"+addr, "--speed", "60", "--check-every", "200ms")
	var vnfmOut, vnfmErr syncBuffer
	vnfm.Stdout, vnfm.Stderr = &vnfmOut, &vnfmErr
	require.NoError(t, vnfm.Start())
	defer func() { _ = vnfm.Process.Kill(); _ = vnfm.Wait() }()
	<-vimDone
	if t.Failed() {
		return
	}
	require.NotContains(t, vnfmErr.String(), "VNFM re-subscribed", "the first VIM kept the subscription throughout")

	defer func() {
		if t.Failed() {
			t.Log("VNFM:\n" + vnfmErr.String())
		}
	}()
	runVIM(2)
	require.Contains(t, vnfmErr.String(), "VNFM re-subscribed", "the VNFM subscribed at the new VIM")
	require.NoError(t, vnfm.Process.Signal(syscall.SIGTERM))
	require.NoError(t, vnfm.Wait(), vnfmErr.String())
}
