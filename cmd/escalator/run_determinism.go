package main

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
)

// checkDeterminism names the failure --verify-determinism adds to a run.
const checkDeterminism = "determinism"

// excerptWidth is how much of a differing trace line a message shows.
const excerptWidth = 120

// traceDifference is where two traces first part.
type traceDifference struct {
	Line, Col int    // 1-based; Col is the first differing byte of the line
	A, B      string // the two versions of the line, cut around Col; "(end of trace)" past the end
	LinesA    int
	LinesB    int
}

// firstDifference compares two NDJSON traces byte for byte and reports
// the first line that differs; ok is false when the traces are identical.
func firstDifference(a, b []byte) (d traceDifference, ok bool) {
	if bytes.Equal(a, b) {
		return d, false
	}
	d.LinesA, d.LinesB = bytes.Count(a, []byte("\n")), bytes.Count(b, []byte("\n"))
	for n := 1; ; n++ {
		la, ra := cutLine(a)
		lb, rb := cutLine(b)
		if bytes.Equal(la, lb) {
			a, b = ra, rb
			continue
		}
		col := 0
		for col < len(la) && col < len(lb) && la[col] == lb[col] {
			col++
		}
		d.Line, d.Col = n, col+1
		d.A, d.B = excerpt(la, col), excerpt(lb, col)
		return d, true
	}
}

// cutLine splits off the first line, newline included, so that a missing
// final newline is a difference too.
func cutLine(s []byte) (line, rest []byte) {
	if i := bytes.IndexByte(s, '\n'); i >= 0 {
		return s[:i+1], s[i+1:]
	}
	return s, nil
}

// excerpt shows a line without its newline, cut to excerptWidth around
// byte col so that the difference is in view.
func excerpt(line []byte, col int) string {
	if len(line) == 0 {
		return "(end of trace)"
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	if len(line) <= excerptWidth {
		return string(line)
	}
	start := 0
	if col > excerptWidth-20 {
		start = col - excerptWidth/3
	}
	for start > 0 && !utf8.RuneStart(line[start]) {
		start--
	}
	end := min(len(line), start+excerptWidth)
	for end < len(line) && !utf8.RuneStart(line[end]) {
		end--
	}
	out := string(line[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(line) {
		out += "…"
	}
	return out
}

func (d traceDifference) message(seed int64) string {
	return fmt.Sprintf("two runs with seed %d wrote different traces (%d and %d lines); the first difference is at line %d, column %d:\nrun 1: %s\nrun 2: %s",
		seed, d.LinesA, d.LinesB, d.Line, d.Col, d.A, d.B)
}

func ndjson(events []escalator.Event) ([]byte, error) {
	var b bytes.Buffer
	err := escalator.WriteNDJSON(&b, events)
	return b.Bytes(), err
}

// compareRuns judges the second run of a determinism check against the
// first: when their traces differ, the first run fails with a
// "determinism" check naming the first differing line.
func compareRuns(first, second *judge.Result) {
	a, errA := ndjson(first.Events)
	b, errB := ndjson(second.Events)
	var msg string
	switch {
	case errA != nil || errB != nil:
		msg = fmt.Sprintf("cannot write the traces to compare them: %v", cmp.Or(errA, errB))
	default:
		d, differ := firstDifference(a, b)
		if !differ {
			return
		}
		msg = d.message(first.Seed)
	}
	if first.Verdict == judge.VerdictError {
		// The error already fails the run and is what to fix first.
		return
	}
	first.Checks = append(slices.Clip(first.Checks), judge.CheckResult{
		Name:       checkDeterminism,
		Status:     judge.CheckFailed,
		Violations: []judge.Violation{{Message: msg}},
	})
	first.Verdict = judge.VerdictFail
}
