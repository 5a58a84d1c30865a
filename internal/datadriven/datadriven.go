// Package datadriven runs tests written as data, in the style of
// etcd-io/raft's testdata: a file holds cases, each a command with its
// input and the output it must give. A case is
//
//	# comments
//	<command> [key=value | flag ...]
//	<input lines>
//	----
//	<expected output, up to a blank line>
//
// The test says what each command does; this package reads the files,
// compares, and with -update rewrites each expected section from what the
// code does now, so a change of behaviour is reviewed as a diff of the
// data.
package datadriven

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Case is one command of a data file.
type Case struct {
	// Line is the command's line, from 1.
	Line int
	Cmd  string
	// Args are the command's key=value words; a bare word maps to "".
	Args map[string]string
	// Input holds the lines up to ----, trimmed, without blanks or comments.
	Input []string
	Want  string

	got string
	// wantFrom and wantTo delimit the expected lines, for -update.
	wantFrom, wantTo int
}

// Files lists the data files matching pattern, failing the test when
// there are none: a glob that matches nothing would test nothing.
func Files(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	require.NoError(t, err)
	require.NotEmpty(t, files, "no data files match %s", pattern)
	return files
}

// RunFile runs every case of the file at path, in order, each as a subtest
// named after its line and command, through run, which returns the case's
// output. Without update each output must equal the expected one; with
// update the file's expected sections are rewritten instead.
func RunFile(t *testing.T, path string, update bool, run func(t *testing.T, c *Case) string) {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	lines, cases := Parse(t, path, string(src))
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d_%s", c.Line, c.Cmd), func(t *testing.T) {
			c.got = run(t, c)
			if !update {
				require.Equal(t, c.Want, c.got, "%s:%d", path, c.Line)
			}
		})
	}
	if update {
		require.NoError(t, os.WriteFile(path, []byte(rewrite(lines, cases)), 0o644))
	}
}

// Parse splits a data file into its lines and its cases.
func Parse(t *testing.T, path, src string) ([]string, []*Case) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(src, "\n"), "\n")
	var cases []*Case
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		fields := strings.Fields(l)
		c := &Case{Line: i + 1, Cmd: fields[0], Args: map[string]string{}}
		for _, a := range fields[1:] {
			k, v, _ := strings.Cut(a, "=")
			c.Args[k] = v
		}
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			if s := strings.TrimSpace(lines[i]); s != "" && !strings.HasPrefix(s, "#") {
				c.Input = append(c.Input, s)
			}
		}
		require.Less(t, i, len(lines), "%s:%d: %s has no ---- line", path, c.Line, c.Cmd)
		c.wantFrom = i + 1
		for i++; i < len(lines) && lines[i] != ""; i++ {
		}
		c.wantTo = i
		c.Want = strings.Join(lines[c.wantFrom:c.wantTo], "\n")
		cases = append(cases, c)
	}
	return lines, cases
}

// rewrite is the file with each case's expected section replaced by what
// it gave.
func rewrite(lines []string, cases []*Case) string {
	var out []string
	at := 0
	for _, c := range cases {
		out = append(out, lines[at:c.wantFrom]...)
		out = append(out, strings.Split(c.got, "\n")...)
		at = c.wantTo
	}
	out = append(out, lines[at:]...)
	return strings.Join(out, "\n") + "\n"
}
