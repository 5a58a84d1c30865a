package judge

import (
	"math"
	"strings"

	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// checkDef is one built-in check: the only place a check is named. Judge
// runs them in this order; CheckNames, the loader's value sets (checks:,
// expect.violations, conformance.decidedBy), the schema and the checks
// table of docs/SCENARIOS.md are all derived from builtinChecks.
type checkDef struct {
	Name string
	// Doc is the rule the check holds, in one line: the schema's
	// description of checks.NAME and the docs' table say it.
	Doc string
	// Run judges a trace; the violations fail the check. A check that
	// judges the world event by event has Walk instead.
	Run  func(j *judge) []Violation
	Walk func(j *judge) walk
	// Always: the check runs in every scenario and cannot be tuned or
	// switched off under checks: (only outcome). It is no entry of
	// CheckNames, but a negative control may expect it to fail.
	Always bool
	// Bound: the check takes checks.NAME.bound.
	Bound bool
}

// builtinChecks is the registry of built-in checks. Adding one: an entry
// here, its function, and a negative control under scenarios/negative/ that makes it
// fail (TestEveryCheckPassesAndFails); then regenerate the schema (go
// generate ./scenarios/) and the docs (go test ./scenarios/ -run
// DocRegistries -update).
var builtinChecks = []checkDef{
	{Name: CheckOutcome, Always: true, Run: checkOutcome,
		Doc: "the session ended the way expect.outcome says"},
	{Name: "zero-loss", Run: checkZeroLoss,
		Doc: "no service loses a request"},
	{Name: "max-interruption", Run: checkMaxInterruption, Bound: true,
		Doc: "every service interruption is shorter than the bound (default 1s)"},
	{Name: "no-placement-in-maintenance", Walk: checkPlacement,
		Doc: "no VM is placed or migrated onto a node in maintenance"},
	{Name: "notify-before-touch", Walk: checkNotifyBeforeTouch,
		Doc: "a VNFM is notified about a VM before that VM is migrated or its node upgraded"},
	{Name: "upgrade-after-reply", Walk: checkUpgradeAfterReply,
		Doc: "a node hosting a VNFM's VMs is upgraded only after that VNFM replied or its reply deadline passed"},
	{Name: "business-moved-before-upgrade", Walk: checkBusinessMoved,
		Doc: "no VM carries business when its node's upgrade starts"},
	{Name: "pair-redundancy", Walk: checkPairRedundancy,
		Doc: "never are both members of an active-standby pair impacted at once"},
	{Name: "max-parallel", Walk: checkMaxParallel,
		Doc: "never are more nodes out of service at once than maxParallel"},
	{Name: "final-state", Run: checkFinalState,
		Doc: "at the end every selected node is at the target version (or its original one after a rollback) and none is in maintenance"},
	{Name: "ifa011-limits", Walk: checkIFA011,
		Doc: "a VNF's declared IFA 011 limits held: impacted/preserved instances, lead time, recovery time, migration types"},
	{Name: "spec-conformance", Run: checkSpecConformance,
		Doc: "every HTTP request and response on every interface matched its OpenAPI spec"},
}

// CheckNames lists the built-in checks a scenario can tune or switch off
// under checks: and expect to fail under expect.violations, in the order
// Judge runs them.
var CheckNames = checkNames(false)

// checkNames lists the registry's names: the tunable ones, or with always
// every one (outcome first).
func checkNames(always bool) []string {
	var out []string
	for _, c := range builtinChecks {
		if always || !c.Always {
			out = append(out, c.Name)
		}
	}
	return out
}

// checksWith lists the tunable checks that have a property.
func checksWith(has func(c checkDef) bool) []string {
	var out []string
	for _, c := range builtinChecks {
		if !c.Always && has(c) {
			out = append(out, c.Name)
		}
	}
	return out
}

// CheckInfo is what the loader, the schema and the docs read of a built-in
// check: the registry without the functions that judge.
type CheckInfo struct {
	Name, Doc     string
	Always, Bound bool
}

// BuiltinChecks lists the registry, in the order Judge runs the checks.
func BuiltinChecks() []CheckInfo {
	out := make([]CheckInfo, len(builtinChecks))
	for i, c := range builtinChecks {
		out[i] = CheckInfo{Name: c.Name, Doc: c.Doc, Always: c.Always, Bound: c.Bound}
	}
	return out
}

// AllCheckNames lists every built-in check, outcome first: the names
// expect.violations and conformance.decidedBy may give.
func AllCheckNames() []string { return checkNames(true) }

// BoundChecks lists the checks that take checks.NAME.bound.
func BoundChecks() []string { return checksWith(func(c checkDef) bool { return c.Bound }) }

// ExpectCheckNames names the checks a scenario's expectations add
// (threshold:METRIC, assert:NAME), for expect.violations.
func ExpectCheckNames(s *spec.Scenario) []string { return expectCheckNames(s) }

// ThresholdProblem says what is wrong with a threshold's "OP VALUE" on a
// metric, or nil when the judge can read it.
func ThresholdProblem(metric, expr string) *ExprProblem {
	_, bad := parseThreshold(metric, expr)
	return bad
}

// CountProblem says what is wrong with a count assertion's "OP INTEGER",
// or nil when the judge can read it.
func CountProblem(expr string) *ExprProblem {
	_, bad := parseCount(expr)
	return bad
}

// MetricIsWhole tells whether a metric only takes whole values: every
// count but the lost requests, which a partial second makes fractional.
func MetricIsWhole(name string) bool {
	return !MetricIsDuration(name) && name != MetricLostRequests && !strings.HasPrefix(name, MetricLostPrefix)
}

// ThresholdNever tells whether no run can satisfy a readable threshold on
// metric: every metric is at least 0, the whole ones (MetricIsWhole) take
// whole values, and none exceeds most (math.Inf(1) when the scenario puts
// no bound on it; the nodes upgraded are at most the nodes). Such a
// threshold is no check: it cannot pass.
func ThresholdNever(metric, expr string, most float64) bool {
	c, bad := parseThreshold(metric, expr)
	return bad == nil && c.never(most, MetricIsWhole(metric))
}

// CountNever is ThresholdNever for a count assertion's "is": a number of
// events, whole and at least 0.
func CountNever(expr string) bool {
	c, bad := parseCount(expr)
	return bad == nil && c.never(math.Inf(1), true)
}

// never tells whether no value in [0, most] (whole ones only, when whole)
// satisfies c.
func (c comparison) never(most float64, whole bool) bool {
	v := c.value
	switch c.op {
	case "==":
		return v < 0 || v > most || whole && v != math.Trunc(v)
	case "<":
		return v <= 0
	case "<=":
		return v < 0
	case ">":
		return v >= most
	case ">=":
		return v > most
	case "!=":
		return most == 0 && v == 0
	}
	return false
}
