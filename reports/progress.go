package reports

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Progress is one status line kept at the bottom of a terminal and
// rewritten in place with a carriage return. It writes no escape codes: a
// line is erased by overwriting it with spaces. Clear it before writing
// anything else to the same terminal. A nil *Progress does nothing, so a
// caller can leave it nil when the output is not a terminal.
type Progress struct {
	W io.Writer
	// Width is the terminal's width in columns; a line is cut to one
	// column less, so it never wraps (a wrapped line cannot be rewritten).
	// 0 means 80.
	Width int

	shown string // what is on screen
}

// Show replaces the status line with line.
func (p *Progress) Show(line string) {
	if p == nil {
		return
	}
	width := p.Width
	if width <= 0 {
		width = 80
	}
	line = cut(strings.ReplaceAll(line, "\n", " "), width-1)
	if line == p.shown {
		return
	}
	pad := max(0, utf8.RuneCountInString(p.shown)-utf8.RuneCountInString(line))
	fmt.Fprintf(p.W, "\r%s%s", line, strings.Repeat(" ", pad))
	if pad > 0 {
		fmt.Fprintf(p.W, "\r%s", line)
	}
	p.shown = line
}

// Clear erases the status line and leaves the cursor at the start of it.
func (p *Progress) Clear() {
	if p == nil || p.shown == "" {
		return
	}
	fmt.Fprintf(p.W, "\r%s\r", strings.Repeat(" ", utf8.RuneCountInString(p.shown)))
	p.shown = ""
}

// ProgressLine is the status of a run: "[12/31] running f1-mixed …", and
// "+N" when N more are running alongside the first.
func ProgressLine(done, total int, running []string) string {
	line := fmt.Sprintf("[%d/%d]", done, total)
	if len(running) == 0 {
		return line
	}
	line += " running " + running[0]
	if len(running) > 1 {
		line += fmt.Sprintf(" +%d", len(running)-1)
	}
	return line + " …"
}

// cut shortens s to at most n runes, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return strings.Repeat("…", max(0, n))
	}
	i := 0
	for range n - 1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}
