package openstack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
)

// The command installer runs on this machine's shell; what it records is
// what the trace will say about a real node's upgrade.
func TestCommandOutcome(t *testing.T) {
	tests := []struct {
		name     string
		cmd      Command
		host     string
		exit     int
		timedOut bool
		code     string
		output   string // a substring of the recorded output
	}{
		{name: "success", cmd: Command{UpgradeCmd: "echo upgrading {host} to {version}"}, host: "compute-1", exit: 0, output: "upgrading compute-1 to 2.0"},
		{name: "exit code kept", cmd: Command{UpgradeCmd: "echo broke >&2; exit 7"}, host: "h", exit: 7, code: escalator.ECONFLICT, output: "broke"},
		// A host name is data, not shell: it cannot run a second command.
		{name: "host quoted", cmd: Command{UpgradeCmd: "echo [{host}]"}, host: "h; echo pwned", exit: 0, output: "[h; echo pwned]"},
		// A hung installer (and what it started) is killed at the timeout.
		{name: "timeout", cmd: Command{UpgradeCmd: "sleep 30 & sleep 30", Timeout: 200 * time.Millisecond}, host: "h", exit: -1, timedOut: true, code: escalator.EUNAVAILABLE},
		// Only the end of a chatty installer's output is kept.
		{name: "output bounded", cmd: Command{UpgradeCmd: "seq 1 5000; echo the-end", MaxOutput: 64}, host: "h", exit: 0, output: "the-end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			o := tc.cmd.Install(context.Background(), tc.host, "2.0")
			require.Less(t, time.Since(start), 10*time.Second)
			require.Equal(t, tc.exit, o.Exit, o.Output)
			require.Equal(t, tc.timedOut, o.TimedOut)
			require.Equal(t, tc.code, escalator.ErrorCode(o.Err))
			require.Contains(t, o.Output, tc.output)
			require.LessOrEqual(t, len(o.Output), max(tc.cmd.MaxOutput, 4096)+32)
			require.NotContains(t, o.Output, "pwned\n")
		})
	}
}

func TestCommandVerifyOptional(t *testing.T) {
	o := (&Command{UpgradeCmd: "true"}).Verify(context.Background(), "h", "2.0")
	require.NoError(t, o.Err)
	o = (&Command{VerifyCmd: "test {version} = 2.0"}).Verify(context.Background(), "h", "2.0")
	require.NoError(t, o.Err)
	require.Equal(t, "test '2.0' = 2.0", o.Command)
	o = (&Command{VerifyCmd: "test {version} = 3.0"}).Verify(context.Background(), "h", "2.0")
	require.Error(t, o.Err)
	require.Equal(t, 1, o.Exit)
}

func TestTailKeepsTheEnd(t *testing.T) {
	tl := &tail{max: 10}
	for range 5 {
		_, _ = tl.Write([]byte("0123456789"))
	}
	_, _ = tl.Write([]byte("END"))
	require.True(t, strings.HasSuffix(tl.String(), "3456789END"), tl.String())
	require.True(t, strings.HasPrefix(tl.String(), "[43 bytes cut] "), tl.String())
}
