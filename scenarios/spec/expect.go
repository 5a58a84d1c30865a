package spec

import (
	"sort"
	"strings"
)

// Scenario-specific expectations: thresholds on the metrics of a run (see
// metrics.go) and assertions over the events of its trace (see assert.go).
// Both live under expect: and each becomes a check of its own, named
// "threshold:<metric>" or "assert:<name>", which a negative control can
// list under expect.violations like any built-in check.

// Check name prefixes for expectations.
const (
	ThresholdPrefix = "threshold:"
	AssertPrefix    = "assert:"
)

// AssertionSpec is one assertion over the trace. It is exactly one of four
// kinds, told apart by its keys:
//
//   - order:  before + after: every event matching After has an event
//     matching Before earlier in the trace.
//   - never:  never (+ while): no event matches Never; with While, none
//     while a window opened by While.From is open (up to the next event
//     matching While.Until, or the end of the trace).
//   - within: within + from + to: every event matching From is followed by
//     an event matching To at most Within later.
//   - count:  count + is: the number of events matching Count satisfies Is
//     ("OP INTEGER", e.g. "== 6").
//
// "Earlier" and "later" are positions in the trace, which is in time order.
type AssertionSpec struct {
	Name string `yaml:"name" required:"true"` // [a-z0-9-]+, unique; the check is "assert:<name>"

	Before *EventMatcher `yaml:"before"`
	After  *EventMatcher `yaml:"after"`

	Never *EventMatcher `yaml:"never"`
	While *WindowSpec   `yaml:"while"`

	Within *Duration     `yaml:"within"`
	From   *EventMatcher `yaml:"from"`
	To     *EventMatcher `yaml:"to"`

	Count *EventMatcher `yaml:"count"`
	Is    string        `yaml:"is"`
}

// Assertion kinds.
const (
	AssertOrder  = "order"
	AssertNever  = "never"
	AssertWithin = "within"
	AssertCount  = "count"
)

// Kind tells which kind of assertion a is ("" when it has none of the
// keys). The loader rejects assertions that mix kinds; for one built in
// code the first kind in the order count, never, within, order wins.
func (a *AssertionSpec) Kind() string {
	switch {
	case a.Count != nil || a.Is != "":
		return AssertCount
	case a.Never != nil || a.While != nil:
		return AssertNever
	case a.Within != nil || a.From != nil || a.To != nil:
		return AssertWithin
	case a.Before != nil || a.After != nil:
		return AssertOrder
	}
	return ""
}

// WindowSpec is a stretch of the trace: from an event matching From (not
// included) up to the next event matching Until (not included), or to the
// end of the trace when Until is absent or never matches.
type WindowSpec struct {
	From  *EventMatcher `yaml:"from" required:"true"`
	Until *EventMatcher `yaml:"until"`
}

// EventMatcher matches an event when every key given equals:
//
//   - Kind: the event's kind, or, ending in "*", a prefix of it ("vnfm.*");
//   - Actor, Subject: exactly;
//   - Fields: each named field equals the value as written, compared by the
//     field's type in the event: a number numerically (200 == 200.0), a
//     boolean as a boolean, a string exactly; a list field matches when one
//     of its members does (nodes: compute-1). An absent field never
//     matches.
type EventMatcher struct {
	Kind    string            `yaml:"kind"`
	Actor   string            `yaml:"actor"`
	Subject string            `yaml:"subject"`
	Fields  map[string]string `yaml:"fields"`
}

// Missing says which keys a's kind needs and a lacks ("" when none).
func (a *AssertionSpec) Missing() string {
	var need []string
	switch a.Kind() {
	case "":
		return "it has none of before/after, never, within/from/to or count/is"
	case AssertOrder:
		if a.Before == nil {
			need = append(need, "before")
		}
		if a.After == nil {
			need = append(need, "after")
		}
	case AssertNever:
		if a.Never == nil {
			need = append(need, "never")
		}
		if a.While != nil && a.While.From == nil {
			need = append(need, "while.from")
		}
	case AssertWithin:
		if a.Within == nil {
			need = append(need, "within")
		}
		if a.From == nil {
			need = append(need, "from")
		}
		if a.To == nil {
			need = append(need, "to")
		}
	case AssertCount:
		if a.Count == nil {
			need = append(need, "count")
		}
	}
	if len(need) == 0 {
		return ""
	}
	return "no " + strings.Join(need, ", ")
}

// String shows a matcher in messages: "vnfm.notify {type: MaintenanceNotification}",
// "node.upgrade-started compute-1", "any event by vnfm".
func (m *EventMatcher) String() string {
	if m == nil {
		return "nothing"
	}
	var b strings.Builder
	if m.Kind != "" {
		b.WriteString(m.Kind)
	} else {
		b.WriteString("any event")
	}
	if m.Subject != "" {
		b.WriteString(" " + m.Subject)
	}
	if m.Actor != "" {
		b.WriteString(" by " + m.Actor)
	}
	if len(m.Fields) > 0 {
		keys := make([]string, 0, len(m.Fields))
		for k := range m.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" {")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": " + m.Fields[k])
		}
		b.WriteString("}")
	}
	return b.String()
}
