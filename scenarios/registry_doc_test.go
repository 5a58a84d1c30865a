package scenarios

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/escalator-testbed/escalator/sim"
	"github.com/stretchr/testify/require"
)

// TestDocRegistries keeps the tables of docs/SCENARIOS.md that list the
// built-in checks and the fault kinds (between the GENERATED markers) true
// to builtinChecks and spec.FaultKinds; -update rewrites them.
//
//	go test ./scenarios/ -run DocRegistries -update
//
// scenariosDoc is the language's reference, whose tables these registries
// generate.
const scenariosDoc = "../docs/SCENARIOS.md"

func TestDocRegistries(t *testing.T) {
	cur, err := os.ReadFile(scenariosDoc)
	require.NoError(t, err)
	doc := string(cur)
	doc = replaceRegistryDoc(t, doc, "checks", renderCheckTable())
	doc = replaceRegistryDoc(t, doc, "node-faults", renderFaultTable(spec.FaultNode))
	doc = replaceRegistryDoc(t, doc, "timed-faults", renderFaultTable(spec.FaultTimed))
	doc = replaceRegistryDoc(t, doc, "occasion-faults", renderFaultTable(spec.FaultOccasion))
	if *update {
		require.NoError(t, os.WriteFile(scenariosDoc, []byte(doc), 0o644))
		return
	}
	require.Equal(t, string(cur), doc, "docs/SCENARIOS.md is stale: go test ./scenarios/ -run DocRegistries -update")
}

func replaceRegistryDoc(t *testing.T, doc, name, body string) string {
	begin := "<!-- BEGIN GENERATED " + name + " (go test ./scenarios/ -run DocRegistries -update) -->\n"
	end := "<!-- END GENERATED " + name + " -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	require.True(t, i >= 0 && j > i, "docs/SCENARIOS.md lacks the markers %q … %q", begin, end)
	return doc[:i+len(begin)] + body + doc[j:]
}

func renderCheckTable() string {
	var b strings.Builder
	b.WriteString("| check | the rule |\n|---|---|\n")
	for _, c := range judge.BuiltinChecks() {
		if !c.Always {
			fmt.Fprintf(&b, "| `%s` | %s |\n", c.Name, c.Doc)
		}
	}
	return b.String()
}

func renderFaultTable(class spec.FaultClass) string {
	var b strings.Builder
	if class == spec.FaultOccasion {
		b.WriteString("| kind | the occasion | what happens |\n|---|---|---|\n")
	} else {
		b.WriteString("| kind | what happens |\n|---|---|\n")
	}
	for _, k := range spec.FaultKinds {
		switch {
		case k.Class != class:
		case class == spec.FaultOccasion:
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", k.Name, k.Occasion, k.What)
		default:
			fmt.Fprintf(&b, "| `%s` | %s |\n", k.Name, k.What)
		}
	}
	return b.String()
}

// TestRegistriesWellFormed: every fault kind says what the schema and
// the docs need, and names no kind or check twice.
func TestRegistriesWellFormed(t *testing.T) {
	// The checks' registry is the judge's (judge.TestCheckRegistryWellFormed).
	seen := map[string]bool{}
	for _, k := range spec.FaultKinds {
		require.False(t, seen[k.Name], "fault kind %s is registered twice", k.Name)
		seen[k.Name] = true
		require.NotEmpty(t, k.Doc, k.Name)
		require.NotEmpty(t, k.What, k.Name)
		require.Equal(t, k.Class == spec.FaultOccasion, k.Occasion != "", "%s: an occasion fault, and only one, says its occasion", k.Name)
		if k.Class == spec.FaultTimed {
			require.NotNil(t, faultActions[k.Name], "%s: a timed fault must do something when it fires", k.Name)
		}
	}
}

// TestEveryProbedCheckHasAProbe: the judge holds the conformance checks,
// the testbed the probes some of them judge; each such check has its
// probe, and no probe waits for a check that is gone.
func TestEveryProbedCheckHasAProbe(t *testing.T) {
	require.ElementsMatch(t, judge.ProbedChecks(), slices.Collect(maps.Keys(probes)))
}

// TestSessionOfCopiesEveryField: the judge's Session is the orchestrator's
// SessionStatus field for field, so that a result stores the same JSON.
func TestSessionOfCopiesEveryField(t *testing.T) {
	st := orchestrator.SessionStatus{ID: "s", State: "COMPLETED", Flow: "F1", TargetVersion: "2.0", Reason: "r",
		Nodes: []orchestrator.NodeStatus{{Node: "n", Status: "done", FromVersion: "1.0", ToVersion: "2.0", Reason: "why"}}}
	want, err := json.Marshal(st)
	require.NoError(t, err)
	got, err := json.Marshal(SessionOf(st))
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
	require.Equal(t, reflect.TypeFor[orchestrator.SessionStatus]().NumField(), reflect.TypeFor[judge.Session]().NumField(), "a field the copy misses")
}

// TestFaultActionsMatchTheRegistry: the testbed acts only for kinds the
// language registers, and for none that the VNFM's Override or the node
// agent handle instead.
func TestFaultActionsMatchTheRegistry(t *testing.T) {
	for name := range faultActions {
		k, ok := spec.FaultKindOf(name)
		require.True(t, ok, "faultActions names %q, which spec.FaultKinds does not register", name)
		require.Empty(t, k.Behavior, "%s: a VNFM misbehaviour acts through the VNFM's Override", name)
		require.NotEqual(t, spec.FaultNode, k.Class, "%s: a node fault acts through the node agent", name)
	}
}

// TestBehaviorsAreTheSimulatorsProfiles: the language's list of VNFM
// behaviours is the simulator's registry of profiles, name for name and
// in order, and every misbehaviour fault names a profile.
func TestBehaviorsAreTheSimulatorsProfiles(t *testing.T) {
	require.Equal(t, sim.BehaviorNames(), spec.Behaviors())
	for _, k := range spec.FaultKinds {
		if k.Behavior != "" {
			require.True(t, sim.KnownBehavior(k.Behavior), "%s: behaviour %q is no profile", k.Name, k.Behavior)
		}
	}
}

// TestSchemaIsTheCheckedInFile: Schema serves the file scenarios/load
// generates (its TestSchemaIsFresh holds the file to the code).
func TestSchemaIsTheCheckedInFile(t *testing.T) {
	want, err := os.ReadFile(load.SchemaFile)
	require.NoError(t, err)
	got, err := Schema()
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "Schema() must return the checked-in file")
}
