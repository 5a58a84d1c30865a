package load

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// loadEventKinds is the trace vocabulary (docs/ARCHITECTURE.md), read
// from the event package's types: an event matcher naming another kind is a
// typo that would silently match nothing.
var loadEventKinds = event.Kinds()

// loadEventActors are the actors of the trace.
var loadEventActors = []string{"fault", "harness", "nfvi", "orchestrator", "spec", "traffic", "vim", "vnf", "vnfm"}

var loadAssertionName = regexp.MustCompile(`^[a-z0-9-]+$`)

// loadAssertionKeys groups an assertion's keys by the kind they belong to;
// need are the keys that kind cannot do without.
var loadAssertionKeys = []struct {
	kind       string
	keys, need []string
	hint       string
}{
	{spec.AssertOrder, []string{"before", "after"}, []string{"before", "after"},
		"every event matching after must have an event matching before earlier in the trace"},
	{spec.AssertNever, []string{"never", "while"}, []string{"never"},
		"never names the events that must not happen; while, optional, limits that to a window"},
	{spec.AssertWithin, []string{"within", "from", "to"}, []string{"within", "from", "to"},
		"every event matching from must be followed by one matching to within the duration, e.g. within: 5s"},
	{spec.AssertCount, []string{"count", "is"}, []string{"count", "is"},
		`count matches events and is compares their number, e.g. is: "== 6"`},
}

// validateExpectations checks expect.thresholds and expect.assertions.
func (d *loadDecoder) validateExpectations(s *spec.Scenario) {
	d.validateThresholds(s)
	d.validateViolations(s)
	seen := map[string]int{}
	for i := range s.Expect.Assertions {
		a := &s.Expect.Assertions[i]
		p := loadIndex("expect.assertions", i)
		if d.nonEmpty(p+".name", a.Name) {
			switch first, dup := seen[a.Name]; {
			case !loadAssertionName.MatchString(a.Name):
				d.problem(p+".name", "use lower-case letters, digits and dashes, e.g. reply-before-upgrade",
					"invalid assertion name %q", a.Name)
			case dup:
				d.problem(p+".name", "", "assertion %q is already defined at line %d", a.Name,
					d.firstLine(loadIndex("expect.assertions", first)+".name"))
			default:
				seen[a.Name] = i
			}
		}
		d.validateAssertion(a, p)
	}
}

func (d *loadDecoder) validateThresholds(s *spec.Scenario) {
	names := make([]string, 0, len(s.Expect.Thresholds))
	for name := range s.Expect.Thresholds {
		names = append(names, name)
	}
	sort.Strings(names)
	var services []string
	for _, v := range s.Deployments() { // replicas are services of their own: pair-1, pair-2, ...
		services = append(services, v.Name)
	}
	for _, name := range names {
		p := loadJoin("expect.thresholds", name)
		if service, ok := strings.CutPrefix(name, judge.MetricLostPrefix); ok {
			if !slices.Contains(services, service) {
				d.keyProblem(p, loadServiceHint(service, services), "unknown service %q", service)
				continue
			}
		} else if !slices.Contains(judge.MetricNames, name) {
			hint := "the metrics are " + strings.Join(judge.MetricNames, ", ") + " and " + judge.MetricLostPrefix + "<service>"
			if sug, ok := loadSuggest(name, judge.MetricNames); ok {
				hint = fmt.Sprintf("did you mean %q?", sug)
			}
			d.keyProblem(p, hint, "unknown metric %q", name)
			continue
		}
		expr := s.Expect.Thresholds[name]
		if bad := judge.ThresholdProblem(name, expr); bad != nil {
			d.problem(p, bad.Hint, "%s", bad.Message)
			continue
		}
		most, why := d.metricMost(s, name)
		if judge.ThresholdNever(name, expr, most) {
			d.problem(p, "a threshold no run can meet is no check: write one a passing run can meet",
				"no run can satisfy %s %s: %s", name, strings.TrimSpace(expr), why)
		}
	}
}

// metricMost is the largest value a metric can take in a run of s, and
// what the bounds of its values are, for the message of a threshold no
// run can satisfy.
func (d *loadDecoder) metricMost(s *spec.Scenario, name string) (float64, string) {
	what := "it is never negative"
	switch {
	case judge.MetricIsDuration(name):
		what = "a duration is never negative"
	case judge.MetricIsWhole(name):
		what = "it counts, in whole numbers from 0"
	}
	if name != judge.MetricNodesUpgraded {
		return math.Inf(1), what
	}
	// The outcome is certain unless the scenario expects its check to fail.
	if s.Expect.Outcome == spec.OutcomeRefused && !slices.Contains(s.Expect.Violations, "outcome") {
		return 0, "with outcome refused the session never starts, so no node is upgraded"
	}
	n := len(s.Nodes.List)
	if s.Nodes.Count > 0 {
		n = s.Nodes.Count
	}
	return float64(n), fmt.Sprintf("%s, and the scenario has %d nodes", what, n)
}

// validateViolations refuses a negative control that names a check which
// cannot fail: one switched off under checks.
func (d *loadDecoder) validateViolations(s *spec.Scenario) {
	for i, name := range s.Expect.Violations {
		if c, ok := s.Checks[name]; ok && strings.TrimSpace(c.Disabled) != "" {
			d.problem(loadIndex("expect.violations", i), "drop it from expect.violations, or switch the check back on",
				"check %q is switched off (checks.%s.disabled), so it cannot fail", name, name)
		}
	}
}

func loadServiceHint(got string, services []string) string {
	if len(services) == 0 {
		return "the scenario has no VNFs"
	}
	if sug, ok := loadSuggest(got, services); ok {
		return fmt.Sprintf("did you mean %q?", judge.MetricLostPrefix+sug)
	}
	return "the services are the VNFs: " + strings.Join(services, ", ")
}

// validateAssertion checks that an assertion is exactly one kind, complete,
// with valid matchers, duration and count.
func (d *loadDecoder) validateAssertion(a *spec.AssertionSpec, p string) {
	type written struct {
		key   string
		group int
		node  *yaml.Node
	}
	var keys []written
	for g, grp := range loadAssertionKeys {
		for _, k := range grp.keys {
			if n, ok := d.keys[p+"."+k]; ok {
				keys = append(keys, written{k, g, n})
			}
		}
	}
	if len(keys) == 0 {
		d.problem(p, "give before and after, never (with an optional while), within with from and to, or count with is",
			"the assertion has nothing to check")
		return
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i].node, keys[j].node
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	for _, k := range keys[1:] {
		if k.group != keys[0].group {
			d.keyProblem(p+"."+k.key, "an assertion is one of before/after, never/while, within/from/to or count/is; split it in two",
				"%s cannot go with %s in one assertion", k.key, keys[0].key)
			return
		}
	}
	grp := loadAssertionKeys[keys[0].group]
	var missing []string
	for _, k := range grp.need {
		if _, ok := d.keys[p+"."+k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		d.keyProblem(p+"."+keys[0].key, grp.hint, "%s without %s", keys[0].key, strings.Join(missing, " and "))
	}

	matchers := map[string]*spec.EventMatcher{
		"before": a.Before, "after": a.After, "never": a.Never, "from": a.From, "to": a.To, "count": a.Count,
	}
	for _, k := range keys {
		kp := p + "." + k.key
		switch k.key {
		case "while":
			if a.While == nil {
				d.problem(kp, "write a window, e.g. {from: {kind: session.state}, until: {kind: session.state}}", "must not be empty")
				continue
			}
			if a.While.From != nil {
				d.validateMatcher(a.While.From, kp+".from")
			}
			if a.While.Until != nil {
				d.validateMatcher(a.While.Until, kp+".until")
			}
		case "within":
			switch {
			case a.Within == nil:
				d.problem(kp, "write a duration, e.g. 5s", "must not be empty")
			case *a.Within <= 0:
				d.problem(kp, "", "must be greater than 0")
			}
		case "is":
			if bad := judge.CountProblem(a.Is); bad != nil {
				d.problem(kp, bad.Hint, "%s", bad.Message)
			} else if judge.CountNever(a.Is) {
				d.problem(kp, "an assertion is what the run must show; write a count a run can meet",
					"no run can satisfy %s: a count of events is a whole number from 0", strings.TrimSpace(a.Is))
			}
		default:
			if m := matchers[k.key]; m != nil {
				d.validateMatcher(m, kp)
			} else {
				d.problem(kp, "write an event matcher, e.g. {kind: node.state, fields: {to: failed}}", "must not be empty")
			}
		}
	}
}

func (d *loadDecoder) validateMatcher(m *spec.EventMatcher, p string) {
	if m.Kind == "" && m.Actor == "" && m.Subject == "" && len(m.Fields) == 0 {
		d.problem(p, "give at least one of kind, actor, subject and fields", "an empty event matcher matches every event")
		return
	}
	if m.Kind != "" {
		d.validateKind(m.Kind, p+".kind")
	}
	if m.Actor != "" {
		d.enum(p+".actor", "actor", m.Actor, loadEventActors)
	}
}

func (d *loadDecoder) validateKind(kind, p string) {
	prefix, wild := strings.CutSuffix(kind, "*")
	switch {
	case strings.Contains(prefix, "*"):
		d.problem(p, `a "*" may only end the kind, as in vnfm.*`, "invalid kind %q", kind)
	case wild:
		if !slices.ContainsFunc(loadEventKinds, func(k string) bool { return strings.HasPrefix(k, prefix) }) {
			d.problem(p, loadKindHint(prefix), "no event kind starts with %q", prefix)
		}
	case !slices.Contains(loadEventKinds, kind):
		d.problem(p, loadKindHint(kind), "unknown event kind %q", kind)
	}
}

func loadKindHint(got string) string {
	if sug, ok := loadSuggest(got, loadEventKinds); ok {
		return fmt.Sprintf("did you mean %q?", sug)
	}
	return "see the trace vocabulary in docs/ARCHITECTURE.md"
}
