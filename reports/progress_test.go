package reports

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := &Progress{W: &b, Width: 20}
	steps := []struct {
		do   func()
		want string
	}{
		{func() { p.Show("[1/3] running a …") }, "\r[1/3] running a …"},
		{func() { p.Show("[1/3] running a …") }, ""}, // unchanged: nothing written
		{func() { p.Show("[2/3]") }, "\r[2/3]            \r[2/3]"},
		{func() { p.Show("[2/3] running a-very-long-name …") }, "\r[2/3] running a-ve…"},
		{func() { p.Clear() }, "\r                   \r"},
		{func() { p.Clear() }, ""}, // nothing shown: nothing to erase
	}
	for i, s := range steps {
		b.Reset()
		s.do()
		require.Equal(t, s.want, b.String(), "step %d", i)
	}
	require.NotContains(t, b.String(), "\x1b", "no escape codes")

	var nilProgress *Progress
	nilProgress.Show("x")
	nilProgress.Clear()
}

func TestProgressLine(t *testing.T) {
	tests := []struct {
		done, total int
		running     []string
		want        string
	}{
		{0, 31, nil, "[0/31]"},
		{12, 31, []string{"f1-mixed"}, "[12/31] running f1-mixed …"},
		{12, 31, []string{"f1-mixed", "f2-late", "neg-outcome"}, "[12/31] running f1-mixed +2 …"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, ProgressLine(tc.done, tc.total, tc.running))
	}
}

func TestCut(t *testing.T) {
	require.Equal(t, "abc", cut("abc", 3))
	require.Equal(t, "ab…", cut("abcd", 3))
	require.Equal(t, "éé…", cut("éééé", 3))
	require.Equal(t, "…", cut("abcd", 1))
	require.Equal(t, "", cut("abcd", 0))
}
