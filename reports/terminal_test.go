package reports

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./reports/ -update to create it")
	require.Equal(t, string(want), string(got))
}

// TestTerminalGolden renders a pass, an expected failure, a failure (a
// negative control stripped of its expectation) and a harness error.
func TestTerminalGolden(t *testing.T) {
	load := func(p string) *scenarios.Scenario {
		s, err := scenarios.LoadFile(filepath.Join("..", "scenarios", p))
		require.NoError(t, err)
		return s
	}
	pass := load("flows/f2-active-standby.yaml")
	xfail := load("negative/neg-zero-loss.yaml")
	fail := load("negative/neg-pair-redundancy.yaml")
	fail.Expect.Violations = nil
	broken := load("flows/f1-load-balanced.yaml")
	broken.Upgrade.Nodes = []string{"compute-99"}

	var results []*scenarios.Result
	var b bytes.Buffer
	term := Terminal{W: &b, Command: "escalator run"}
	for _, s := range []*scenarios.Scenario{pass, xfail, fail, broken} {
		r := scenarios.Run(context.Background(), s, scenarios.Options{})
		results = append(results, r)
		term.Scenario(r, 12*time.Millisecond)
	}
	term.Summary(results, 48*time.Millisecond)
	golden(t, "terminal.golden", b.Bytes())
}

func TestHumanDuration(t *testing.T) {
	for in, want := range map[time.Duration]string{
		750 * time.Microsecond:                            "750µs",
		12345 * time.Microsecond:                          "12ms",
		1234567 * time.Microsecond:                        "1.23s",
		time.Hour + 2*time.Minute + 3500*time.Millisecond: "1h2m4s",
	} {
		require.Equal(t, want, HumanDuration(in))
	}
}
