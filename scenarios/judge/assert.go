package judge

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event/replay"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// judgeExpectations evaluates the scenario's own expectations, after the
// built-in checks: one check per threshold ("threshold:<metric>", sorted by
// metric), then one per assertion ("assert:<name>", in file order). w is
// the trace's world as it ended.
func judgeExpectations(s *spec.Scenario, events []escalator.Event, w *replay.World) []CheckResult {
	var out []CheckResult
	if len(s.Expect.Thresholds) > 0 {
		ms := computeMetrics(events, w)
		names := make([]string, 0, len(s.Expect.Thresholds))
		for name := range s.Expect.Thresholds {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			out = append(out, judgeThreshold(name, s.Expect.Thresholds[name], ms))
		}
	}
	for i := range s.Expect.Assertions {
		out = append(out, judgeAssertion(&s.Expect.Assertions[i], events))
	}
	return out
}

// expectCheckNames names the checks the scenario's expectations add, for
// expect.violations.
func expectCheckNames(s *spec.Scenario) []string {
	var out []string
	for name := range s.Expect.Thresholds {
		out = append(out, spec.ThresholdPrefix+name)
	}
	sort.Strings(out)
	for _, a := range s.Expect.Assertions {
		if a.Name != "" {
			out = append(out, spec.AssertPrefix+a.Name)
		}
	}
	return out
}

// result turns violations into a check result, capped like the built-in
// checks' ones.
func result(name string, v []Violation) CheckResult {
	r := CheckResult{Name: name, Status: CheckPassed}
	if len(v) == 0 {
		return r
	}
	if len(v) > maxViolations {
		more := len(v) - maxViolations
		v = append(v[:maxViolations:maxViolations], Violation{Message: fmt.Sprintf("... and %d more", more)})
	}
	r.Status, r.Violations = CheckFailed, v
	return r
}

func judgeThreshold(metric, expr string, ms *metricSet) CheckResult {
	name := spec.ThresholdPrefix + metric
	c, bad := parseThreshold(metric, expr)
	if bad != nil {
		return result(name, []Violation{{Message: bad.String()}})
	}
	v, ok := ms.values[metric]
	if !ok {
		return result(name, []Violation{{Message: fmt.Sprintf("%s has no value: %s; wants %s", metric, ms.absent(metric), c)}})
	}
	if c.holds(v) {
		return result(name, nil)
	}
	return result(name, []Violation{{
		Message: fmt.Sprintf("%s was %s, wants %s", metric, FormatMetric(metric, v), c),
		Events:  ms.evidence[metric],
	}})
}

func judgeAssertion(a *spec.AssertionSpec, events []escalator.Event) CheckResult {
	name := spec.AssertPrefix + a.Name
	if missing := a.Missing(); missing != "" {
		return result(name, []Violation{{Message: "the assertion is incomplete: " + missing}})
	}
	switch a.Kind() {
	case spec.AssertOrder:
		return result(name, assertOrder(a, events))
	case spec.AssertNever:
		return result(name, assertNever(a, events))
	case spec.AssertWithin:
		return result(name, assertWithin(a, events))
	}
	return result(name, assertCount(a, events))
}

// assertOrder: every event matching after has one matching before earlier.
func assertOrder(a *spec.AssertionSpec, events []escalator.Event) []Violation {
	var out []Violation
	seen := false
	for _, e := range events {
		// An event matching both is not earlier than itself.
		if !seen && Match(a.After, e) {
			out = append(out, Violation{
				Message: fmt.Sprintf("%s came with no %s before it", describeEvent(e), a.Before),
				Events:  []escalator.Event{e},
			})
		}
		if Match(a.Before, e) {
			seen = true
		}
	}
	return out
}

// assertNever: no event matches never, or none inside a while window.
func assertNever(a *spec.AssertionSpec, events []escalator.Event) []Violation {
	var out []Violation
	if a.While == nil {
		for _, e := range events {
			if Match(a.Never, e) {
				out = append(out, Violation{
					Message: fmt.Sprintf("%s matched never: %s", describeEvent(e), a.Never),
					Events:  []escalator.Event{e},
				})
			}
		}
		return out
	}
	var open *escalator.Event
	for _, e := range events {
		if open == nil {
			if Match(a.While.From, e) {
				open = &e
			}
			continue
		}
		if a.While.Until != nil && Match(a.While.Until, e) {
			open = nil
			continue
		}
		if Match(a.Never, e) {
			until := "the end of the trace"
			if a.While.Until != nil {
				until = "the next " + a.While.Until.String()
			}
			out = append(out, Violation{
				Message: fmt.Sprintf("%s matched never: %s inside the window from %s to %s",
					describeEvent(e), a.Never, describeEvent(*open), until),
				Events: []escalator.Event{*open, e},
			})
		}
	}
	return out
}

// assertWithin: every event matching from is followed by one matching to
// at most within later.
func assertWithin(a *spec.AssertionSpec, events []escalator.Event) []Violation {
	// next[i] is the index of the first event after i matching to, or -1.
	next := make([]int, len(events))
	following := -1
	for i := len(events) - 1; i >= 0; i-- {
		next[i] = following
		if Match(a.To, events[i]) {
			following = i
		}
	}
	limit := a.Within.D()
	var out []Violation
	for i, e := range events {
		if !Match(a.From, e) {
			continue
		}
		j := next[i]
		switch {
		case j < 0:
			out = append(out, Violation{
				Message: fmt.Sprintf("%s was followed by no %s (wants one within %s)", describeEvent(e), a.To, limit),
				Events:  []escalator.Event{e},
			})
		case events[j].At-e.At > limit:
			out = append(out, Violation{
				Message: fmt.Sprintf("%s was followed by %s %s later, wants within %s",
					describeEvent(e), describeEvent(events[j]), events[j].At-e.At, limit),
				Events: []escalator.Event{e, events[j]},
			})
		}
	}
	return out
}

// assertCount: the number of events matching count satisfies is.
func assertCount(a *spec.AssertionSpec, events []escalator.Event) []Violation {
	c, bad := parseCount(a.Is)
	if bad != nil {
		return []Violation{{Message: bad.String()}}
	}
	n := 0
	for _, e := range events {
		if Match(a.Count, e) {
			n++
		}
	}
	if c.holds(float64(n)) {
		return nil
	}
	return []Violation{{Message: fmt.Sprintf("%d events matched %s, wants %s", n, a.Count, c)}}
}

// describeEvent names an event in a violation message.
func describeEvent(e escalator.Event) string {
	s := fmt.Sprintf("event #%d %s", e.Seq, e.Kind)
	if e.Subject != "" {
		s += " " + e.Subject
	}
	return s
}

// Match tells whether e matches m (see EventMatcher). It is a function of
// the judge, not a method of the language's type, because it reads events. A nil matcher
// matches nothing.
func Match(m *spec.EventMatcher, e escalator.Event) bool {
	if m == nil {
		return false
	}
	if m.Kind != "" {
		if prefix, wild := strings.CutSuffix(m.Kind, "*"); wild {
			if !strings.HasPrefix(e.Kind, prefix) {
				return false
			}
		} else if e.Kind != m.Kind {
			return false
		}
	}
	if m.Actor != "" && e.Actor != m.Actor {
		return false
	}
	if m.Subject != "" && e.Subject != m.Subject {
		return false
	}
	for key, want := range m.Fields {
		got, ok := e.Fields[key]
		if !ok || !matchValue(got, want, true) {
			return false
		}
	}
	return true
}

// matchValue compares an event's field with the value a matcher wrote, by
// the field's type; a list matches when a member does (one level deep).
func matchValue(got any, want string, lists bool) bool {
	switch x := got.(type) {
	case string:
		return x == want
	case bool:
		b, ok := parseBool(want)
		return ok && b == x
	case time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(want))
		return err == nil && d == x
	case []string:
		return lists && slices.Contains(x, want)
	case []any:
		if !lists {
			return false
		}
		for _, item := range x {
			if matchValue(item, want, false) {
				return true
			}
		}
		return false
	}
	f, ok := toFloat(got)
	if !ok {
		return false
	}
	w, ok := parseNumber(want)
	return ok && w == f
}

func parseBool(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// parseNumber reads a plain decimal number: no hex, inf or nan, which
// strconv would take.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E')
	}) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// comparison is a parsed "OP VALUE".
type comparison struct {
	op    string
	value float64 // durations in seconds
	text  string  // the value as written
}

func (c comparison) holds(x float64) bool {
	switch c.op {
	case "==":
		return x == c.value
	case "!=":
		return x != c.value
	case "<":
		return x < c.value
	case "<=":
		return x <= c.value
	case ">":
		return x > c.value
	case ">=":
		return x >= c.value
	}
	return false
}

func (c comparison) String() string { return c.op + " " + c.text }

// ExprProblem is what is wrong with an expression, with a hint; the loader
// reports it at the expression's place in the file.
type ExprProblem struct {
	Message, Hint string
}

func (p *ExprProblem) String() string {
	if p.Hint == "" {
		return p.Message
	}
	return p.Message + " (hint: " + p.Hint + ")"
}

var comparisonRE = regexp.MustCompile(`^\s*(==|!=|<=|>=|<|>)\s*(.*?)\s*$`)

const operators = "==, !=, <, <=, >, >="

// splitComparison cuts "OP VALUE" in two.
func splitComparison(expr string) (op, value string, ok bool) {
	m := comparisonRE.FindStringSubmatch(expr)
	if m == nil || m[2] == "" {
		return "", "", false
	}
	return m[1], m[2], true
}

// parseThreshold reads a threshold on metric: a duration with its unit for
// a duration metric, a plain number for any other.
func parseThreshold(metric, expr string) (comparison, *ExprProblem) {
	isDuration := MetricIsDuration(metric)
	example := `"< 100"`
	if isDuration {
		example = `"< 1s"`
	}
	op, text, ok := splitComparison(expr)
	if !ok {
		return comparison{}, &ExprProblem{
			fmt.Sprintf("invalid threshold %q", expr),
			fmt.Sprintf("write an operator and a value, e.g. %s; the operators are %s", example, operators),
		}
	}
	c := comparison{op: op, text: text}
	if isDuration {
		if f, ok := parseNumber(text); ok {
			if f == 0 { // zero is zero in every unit
				return c, nil
			}
			return comparison{}, &ExprProblem{
				fmt.Sprintf("duration %s has no unit", text),
				fmt.Sprintf("%s is a duration; add a unit, e.g. %s", metric, example),
			}
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return comparison{}, &ExprProblem{
				fmt.Sprintf("invalid duration %q", text),
				"write it the Go way, e.g. 500ms, 30s, 10m or 1h30m",
			}
		}
		if d < 0 {
			return comparison{}, &ExprProblem{fmt.Sprintf("duration %s must not be negative", text), ""}
		}
		c.value = d.Seconds()
		return c, nil
	}
	f, ok := parseNumber(text)
	if !ok {
		hint := ""
		if _, err := time.ParseDuration(text); err == nil {
			hint = fmt.Sprintf("%s is a count, not a duration; write a plain number, e.g. %s", metric, example)
		}
		return comparison{}, &ExprProblem{fmt.Sprintf("invalid number %q", text), hint}
	}
	c.value = f
	return c, nil
}

// parseCount reads a count assertion's "is": an operator and a whole
// number at least 0.
func parseCount(expr string) (comparison, *ExprProblem) {
	const hint = `write an operator and a whole number, e.g. "== 6"; the operators are ` + operators
	op, text, ok := splitComparison(expr)
	if !ok {
		return comparison{}, &ExprProblem{fmt.Sprintf("invalid count %q", expr), hint}
	}
	n, err := strconv.ParseUint(text, 10, 53)
	if err != nil {
		return comparison{}, &ExprProblem{fmt.Sprintf("invalid count %q: %s is not a whole number", expr, text), hint}
	}
	return comparison{op: op, value: float64(n), text: text}, nil
}
