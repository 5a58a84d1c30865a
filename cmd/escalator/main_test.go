package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const okScenario = `name: ok
nodes: {count: 3}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s}
upgrade: {targetVersion: "2.0"}
`

// failing breaks zero-loss with nothing to say it is expected.
const failingScenario = `name: gap
nodes: {count: 3}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s, switchoverGap: 100ms}
upgrade: {targetVersion: "2.0"}
`

const badScenario = `name: bad
nodes: {count: 3}
upgrade:
  targetVersion: "2.0"
  maxParalel: 2
`

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	failing := write(t, dir, "failing.yaml", failingScenario)
	bad := write(t, dir, "bad.yaml", badScenario)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no arguments", nil, exitUsage, "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"--help"}, exitPass, "Exit codes", ""},
		{"run help", []string{"run", "--help"}, exitPass, "", "-trace"},
		{"run without paths", []string{"run"}, exitUsage, "", "name at least one scenario"},
		{"unknown flag", []string{"run", "--frob", ok}, exitUsage, "", "flag provided but not defined"},
		{"passing scenario", []string{"run", ok}, exitPass, "PASS", ""},
		{"flags after paths", []string{"run", ok, "--seed", "9"}, exitPass, "PASS", ""},
		{"negative control counts as expected", []string{"run", "../../scenarios/negative/neg-zero-loss.yaml"}, exitPass, "XFAIL", ""},
		{"a check fails", []string{"run", ok, failing}, exitFailed, "rerun: escalator run --seed 1 " + failing, ""},
		{"bad scenario file", []string{"run", ok, bad}, exitUsage, "", bad + ":5:3: upgrade.maxParalel: unknown field"},
		{"missing file", []string{"run", filepath.Join(dir, "nope.yaml")}, exitUsage, "", "nope.yaml"},
		{"validate good", []string{"validate", ok}, exitPass, "ok  " + ok, ""},
		{"schema", []string{"schema"}, exitPass, `"$schema": "https://json-schema.org/draft/2020-12/schema"`, ""},
		{"schema takes no arguments", []string{"schema", "x"}, exitUsage, "", ""},
		{"validate bad", []string{"validate", bad}, exitUsage, "", `did you mean "maxParallel"?`},
		{"trace folder cannot be made", []string{"run", "--trace", filepath.Join(ok, "sub"), ok}, exitHarness, "", "cannot create trace folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
			require.Contains(t, out.String(), tc.stdout)
			require.Contains(t, errb.String(), tc.stderr)
			require.NotContains(t, out.String()+errb.String(), "goroutine ", "no Go stack reaches a user")
		})
	}
}

func TestRunWritesTraces(t *testing.T) {
	dir := t.TempDir()
	ok := write(t, dir, "ok.yaml", okScenario)
	traces := filepath.Join(dir, "traces")
	var out, errb bytes.Buffer
	require.Equal(t, exitPass, run(context.Background(), []string{"run", "--trace", traces, ok}, &out, &errb), errb.String())
	body, err := os.ReadFile(filepath.Join(traces, "ok.ndjson"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	require.Greater(t, len(lines), 20)
	require.True(t, strings.HasPrefix(lines[0], `{"seq":1,"t":"0s",`), lines[0])
}
