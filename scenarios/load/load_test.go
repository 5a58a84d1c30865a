package load

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	escalator "github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// loadBadCases are scenario files the loader must reject, each with the
// complete error text it must print. FuzzLoadBytes seeds from them too.
var loadBadCases = []struct {
	name string
	in   string
	want string
}{
	{
		name: "unknown field with hint",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", maxParalel: 2}
`,
		want: `bad.yaml:3:33: upgrade.maxParalel: unknown field (hint: did you mean "maxParallel"?)`,
	},
	{
		name: "unknown nested field",
		in: `name: t
nodes: {count: 2}
vnfs:
  - name: fw
    mode: active-standby
    flavor: {vcpu: 4}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:6:14: vnfs[0].flavor.vcpu: unknown field (hint: did you mean "vcpus"?)`,
	},
	{
		name: "unknown field without a close match",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
owner: me
`,
		want: `bad.yaml:4:1: owner: unknown field (hint: known fields: name, description, labels, seed, nodes, vnfs, vnfm, nfvi, upgrade, faults, checks, clock, expect, conformance)`,
	},
	{
		name: "string for int",
		in: `name: t
nodes: {count: four}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:16: nodes.count: expected an integer, got "four"`,
	},
	{
		name: "quoted int",
		in: `name: t
nodes: {count: "3"}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:16: nodes.count: expected an integer, got "3" (hint: write it without quotes)`,
	},
	{
		name: "list for map",
		in: `name: t
labels: [a, b]
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:9: labels: expected a mapping, got a list`,
	},
	{
		name: "map for list",
		in: `name: t
nodes: {count: 2}
vnfs: {name: fw, mode: active-standby}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:3:7: vnfs: expected a list, got a mapping`,
	},
	{
		name: "scalar for list",
		in: `name: t
nodes: {count: 2, zones: az1}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:26: nodes.zones: expected a list, got "az1" (hint: write a list as [a, b] or as lines starting with "- ")`,
	},
	{
		name: "yes for bool",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", rollback: yes}
`,
		want: `bad.yaml:3:43: upgrade.rollback: expected true or false, got "yes"`,
	},
	{
		name: "bad duration",
		in: `name: t
nodes: {count: 2}
upgrade:
  targetVersion: "2.0"
  verifyTime: soon
`,
		want: `bad.yaml:5:15: upgrade.verifyTime: invalid duration "soon" (hint: write it the Go way, e.g. 500ms, 30s, 10m or 1h30m)`,
	},
	{
		name: "bare-number duration",
		in: `name: t
nodes: {count: 2}
upgrade:
  targetVersion: "2.0"
  replyTimeout: 30
`,
		want: `bad.yaml:5:17: upgrade.replyTimeout: duration 30 has no unit (hint: add a unit, e.g. 30s)`,
	},
	{
		name: "negative duration",
		in: `name: t
nodes: {count: 2}
vnfm: {replyAfter: -1s}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:3:20: vnfm.replyAfter: duration "-1s" must not be negative`,
	},
	{
		name: "explicit zero where zero means default",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", verifyTime: 0s}
`,
		want: `bad.yaml:3:45: upgrade.verifyTime: must be greater than 0 (hint: leave the key out for the default)`,
	},
	{
		name: "bad rate",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: fw, mode: active-standby, load: fast}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:44: vnfs[0].load: invalid rate "fast" (hint: write requests per second or per minute, e.g. 1000/s, 60/m or 1000)`,
	},
	{
		name: "negative rate",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: fw, mode: active-standby, load: -5/s}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:44: vnfs[0].load: rate "-5/s" must not be negative`,
	},
	{
		name: "missing name",
		in: `nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:1:1: name: required field is missing`,
	},
	{
		name: "missing nodes",
		in: `name: t
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:1:1: nodes: required field is missing`,
	},
	{
		name: "missing upgrade",
		in: `name: t
nodes: {count: 2}
`,
		want: `bad.yaml:1:1: upgrade: required field is missing`,
	},
	{
		name: "missing upgrade.targetVersion",
		in: `name: t
nodes: {count: 2}
upgrade: {flow: F1}
`,
		want: `bad.yaml:3:10: upgrade.targetVersion: required field is missing`,
	},
	{
		name: "missing vnfs[0].mode",
		in: `name: t
nodes: {count: 2}
vnfs:
  - name: fw
    instances: 2
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:5: vnfs[0].mode: required field is missing`,
	},
	{
		name: "required key without a value",
		in: `name:
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:1:1: name: required field has no value`,
	},
	{
		name: "empty list item",
		in: `name: t
nodes: {count: 2}
vnfs:
  -
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:4: vnfs[0]: expected a mapping, got an empty item`,
	},
	{
		name: "duplicate key",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
name: u
`,
		want: `bad.yaml:4:1: name: duplicate key, first at line 1`,
	},
	{
		name: "unknown mode with hint",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: fw, mode: active-standy}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:22: vnfs[0].mode: unknown mode "active-standy" (hint: did you mean "active-standby"?)`,
	},
	{
		name: "bad behavior",
		in: `name: t
nodes: {count: 2}
vnfm: {behavior: sleepy}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:3:18: vnfm.behavior: unknown behavior "sleepy" (hint: one of ` + strings.Join(spec.Behaviors(), ", ") + ")",
	},
	{
		name: "bad flow",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", flow: F3}
`,
		want: `bad.yaml:3:39: upgrade.flow: unknown flow "F3" (hint: did you mean "F1"?)`,
	},
	{
		name: "undefined node in upgrade.nodes",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", nodes: [compute-1, compute-3]}
`,
		want: `bad.yaml:3:52: upgrade.nodes[1]: unknown node "compute-3" (hint: the nodes are compute-1 and compute-2)`,
	},
	{
		name: "undefined listed node in upgrade.nodes",
		in: `name: t
nodes:
  list: [{name: alpha}, {name: beta}]
upgrade: {targetVersion: "2.0", nodes: [alpa]}
`,
		want: `bad.yaml:4:41: upgrade.nodes[0]: unknown node "alpa" (hint: did you mean "alpha"?)`,
	},
	{
		name: "undefined node in a fault",
		in: `name: t
nodes: {count: 4}
upgrade: {targetVersion: "2.0"}
faults:
  - {do: upgrade-fails, node: compute-5}
`,
		want: `bad.yaml:5:31: faults[0].node: unknown node "compute-5" (hint: the nodes are compute-1 to compute-4)`,
	},
	{
		name: "node fault without a node",
		in: `name: t
nodes: {count: 4}
upgrade: {targetVersion: "2.0"}
faults:
  - {do: verify-fails}
`,
		want: `bad.yaml:5:5: faults[0].node: a verify-fails fault needs a node (hint: name the node it hits)`,
	},
	{
		name: "fault on a node that is not upgraded",
		in: `name: t
nodes: {count: 4}
upgrade: {targetVersion: "2.0", nodes: [compute-1]}
faults:
  - {do: upgrade-hangs, node: compute-2}
`,
		want: `bad.yaml:5:31: faults[0].node: node "compute-2" is not upgraded, so this fault never fires (hint: add it to upgrade.nodes or drop the fault)`,
	},
	{
		name: "unknown fault",
		in: `name: t
nodes: {count: 4}
upgrade: {targetVersion: "2.0"}
faults:
  - {do: upgrade-fail, node: compute-1}
`,
		want: `bad.yaml:5:10: faults[0].do: unknown fault "upgrade-fail" (hint: did you mean "upgrade-fails"?)`,
	},
	{
		name: "anti-affinity impossible",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: web, mode: load-balanced, instances: 3}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:49: vnfs[0].instances: 3 anti-affine instances need 3 distinct nodes, the topology has 2 (hint: set antiAffinity: false or add nodes)`,
	},
	{
		name: "flavor too big",
		in: `name: t
nodes: {count: 2}
vnfs:
  - name: db
    mode: active-standby
    flavor: {vcpus: 64}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:6:13: vnfs[0].flavor: flavor 64 vCPUs / 4 GiB fits on no node (nodes have at most 32 vCPUs and 128 GiB)`,
	},
	{
		name: "demand beyond the nodes",
		in: `name: t
nodes: {count: 2, vcpus: 4}
vnfs:
  - {name: a, mode: active-standby, flavor: {vcpus: 4}}
  - {name: b, mode: active-standby, flavor: {vcpus: 4}}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:3: vnfs: the VNFs need 16 vCPUs in all, the nodes have 8 (hint: add nodes or use smaller flavors)`,
	},
	{
		name: "LB capacity below load",
		in: `name: t
nodes: {count: 2}
vnfs:
  - name: web
    mode: load-balanced
    load: 1000/s
    capacityPerInstance: 300/s
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:7:26: vnfs[0].capacityPerInstance: capacity 600/s below load 1000/s (hint: raise instances or capacityPerInstance)`,
	},
	{
		name: "active-standby with one instance",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: fw, mode: active-standby, instances: 1}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:49: vnfs[0].instances: active-standby needs at least 2 instances, got 1 (hint: an active-standby VNF needs a standby)`,
	},
	{
		name: "zero instances",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: fw, mode: active-standby, instances: 0}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:49: vnfs[0].instances: must be at least 1`,
	},
	{
		name: "duplicate VNF names",
		in: `name: t
nodes: {count: 4}
vnfs:
  - {name: fw, mode: active-standby}
  - {name: fw, mode: load-balanced}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:5:12: vnfs[1].name: VNF "fw" is already defined at line 4`,
	},
	{
		name: "placement on an unknown node",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: fw, mode: active-standby, placement: [compute-1, compute-7]}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:61: vnfs[0].placement[1]: unknown node "compute-7" (hint: the nodes are compute-1 and compute-2)`,
	},
	{
		name: "count and list",
		in: `name: t
nodes:
  count: 2
  list: [{name: a}]
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:3:10: nodes.count: set either count or list, not both`,
	},
	{
		name: "no nodes",
		in: `name: t
nodes: {zones: [az1]}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:8: nodes: no nodes defined (hint: set nodes.count, or list the nodes under nodes.list)`,
	},
	{
		name: "duplicate node names",
		in: `name: t
nodes:
  list:
    - {name: a}
    - {name: a}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:5:14: nodes.list[1].name: node "a" is already defined at line 4`,
	},
	{
		name: "unknown check name",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
checks:
  zero-los: {disabled: flaky}
`,
		want: `bad.yaml:5:3: checks.zero-los: unknown check "zero-los" (hint: did you mean "zero-loss"?)`,
	},
	{
		name: "bound on the wrong check",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
checks:
  zero-loss: {bound: 2s}
`,
		want: `bad.yaml:5:22: checks.zero-loss.bound: bound applies only to max-interruption`,
	},
	{
		name: "unknown violation name",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
expect: {violations: [max-paralel]}
`,
		want: `bad.yaml:4:23: expect.violations[0]: unknown check "max-paralel" (hint: did you mean "max-parallel"?)`,
	},
	{
		name: "duplicate violation",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
expect: {violations: [zero-loss, zero-loss]}
`,
		want: `bad.yaml:4:34: expect.violations[1]: check "zero-loss" is listed twice`,
	},
	{
		name: "bad outcome",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
expect: {outcome: success}
`,
		want: `bad.yaml:4:19: expect.outcome: unknown outcome "success" (hint: one of completed, rollback, failed, refused)`,
	},
	{
		name: "bad defect",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", defects: [ignore-max-paralel]}
`,
		want: `bad.yaml:3:43: upgrade.defects[0]: unknown defect "ignore-max-paralel" (hint: did you mean "ignore-max-parallel"?)`,
	},
	{
		name: "bad onNack",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", onNack: retry}
`,
		want: `bad.yaml:3:41: upgrade.onNack: unknown onNack action "retry" (hint: one of fail, skip)`,
	},
	{
		name: "maxParallel 0",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", maxParallel: 0}
`,
		want: `bad.yaml:3:46: upgrade.maxParallel: must be at least 1`,
	},
	{
		name: "node count beyond what fits in memory",
		in: `name: t
nodes: {count: 1000000000}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:16: nodes.count: must be at most 100000 (hint: a larger world would not fit in memory; split the scenario)`,
	},
	{
		name: "maxParallel above the node count",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0", maxParallel: 3}
`,
		want: `bad.yaml:3:46: upgrade.maxParallel: 3 is more than the 2 nodes of the topology`,
	},
	{
		name: "two documents",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
---
name: u
`,
		want: `bad.yaml:4:1: a file holds one scenario, but this starts a second YAML document (hint: split it into one file per scenario)`,
	},
	{
		name: "empty file",
		in:   ``,
		want: `bad.yaml:1:1: the file is empty (hint: a scenario needs at least name, nodes and upgrade)`,
	},
	{
		name: "only comments",
		in: `# nothing here yet
`,
		want: `bad.yaml:1:1: the file is empty (hint: a scenario needs at least name, nodes and upgrade)`,
	},
	{
		name: "top level is a list",
		in: `- name: t
`,
		want: `bad.yaml:1:1: expected a mapping, got a list`,
	},
	{
		name: "syntax error",
		in:   "name: t\nnodes:\n\tcount: 2\nupgrade: {targetVersion: \"2.0\"}\n",
		want: `bad.yaml:3:1: YAML syntax error: found character that cannot start any token (hint: indent with spaces; YAML does not allow tabs there)`,
	},
	{
		name: "bad indentation",
		in: `name: t
  nodes: {count: 2}
`,
		want: `bad.yaml:2:1: YAML syntax error: mapping values are not allowed in this context`,
	},
	{
		name: "merge that includes itself",
		in: `name: t
nodes: &n {count: 2, <<: *n}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:26: nodes: a merge (<<) includes the mapping that contains it`,
	},
	{
		name: "integer out of range",
		in: `name: t
nodes: {count: 99999999999999999999}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:2:16: nodes.count: integer 99999999999999999999 is out of range`,
	},
	{
		name: "infinite rate",
		in: `name: t
nodes: {count: 2}
vnfs:
  - {name: fw, mode: active-standby, load: .inf}
upgrade: {targetVersion: "2.0"}
`,
		want: `bad.yaml:4:44: vnfs[0].load: invalid rate .inf (hint: write requests per second or per minute, e.g. 1000/s, 60/m or 1000)`,
	},
	{
		name: "key that is not a string",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: "2.0"}
? [a, b]
: c
`,
		want: `bad.yaml:4:3: a key must be a plain string`,
	},
	{
		name: "unknown anchor",
		in: `name: t
nodes: {count: 2}
upgrade: {targetVersion: *version}
`,
		want: `bad.yaml:3:26: YAML syntax error: unknown anchor 'version' referenced`,
	},
	{
		name: "three errors at once in line order",
		in: `nodes: {count: 2}
upgrade:
  targetVersion: "2.0"
  nodeUpgradeTime: 10
vnfs:
  - {name: fw, mode: active-standby, laod: 10/s}
`,
		want: `bad.yaml:1:1: name: required field is missing
bad.yaml:4:20: upgrade.nodeUpgradeTime: duration 10 has no unit (hint: add a unit, e.g. 30s)
bad.yaml:6:38: vnfs[0].laod: unknown field (hint: did you mean "load"?)`,
	},
}

func TestLoadBytesRejects(t *testing.T) {
	require.GreaterOrEqual(t, len(loadBadCases), 25)
	for _, tt := range loadBadCases {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Bytes("bad.yaml", []byte(tt.in))
			require.Nil(t, s)
			require.Error(t, err)
			require.Equal(t, tt.want, err.Error())

			var le *Error
			require.ErrorAs(t, err, &le)
			require.Equal(t, "bad.yaml", le.Path)
			require.Len(t, le.Problems, strings.Count(tt.want, "\n")+1)
			require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
		})
	}
}

func TestLoadFullScenario(t *testing.T) {
	s, err := File("testdata/load/full.yaml")
	require.NoError(t, err)

	no, yes := false, true
	want := &spec.Scenario{
		Name:        "full",
		Description: "Every key of the scenario language.\n",
		Labels:      map[string]string{"team": "nfv", "tier": "gold"},
		Seed:        42,
		Nodes: spec.NodesSpec{
			Prefix: "node", Zones: []string{"az1", "az2"}, VCPUs: 16, MemoryGiB: 64, Version: "1.0",
			List: []spec.NodeSpec{
				{Name: "n1", Zone: "az1", VCPUs: 16, MemoryGiB: 64, Version: "1.0"},
				{Name: "n2", Zone: "az3", VCPUs: 8, MemoryGiB: 32, Version: "1.1"},
				{Name: "n3", Zone: "az1", VCPUs: 16, MemoryGiB: 64, Version: "1.0"},
			},
		},
		VNFs: []spec.VNFSpec{
			{
				Name: "mme", Mode: spec.ModeActiveStandby, Instances: 2,
				Flavor: spec.FlavorSpec{VCPUs: 4, MemoryGiB: 8},
				Load:   1, CapacityPerInstance: 1, AntiAffinity: &yes,
				ServiceTime: loadMS(20), SwitchoverGap: 0, FailoverTime: loadSec(2), HealthCheckWindow: loadSec(1),
				Placement: []string{"n1", "n2"},
			},
			{
				Name: "web", Mode: spec.ModeLoadBalanced, Instances: 3,
				Flavor: spec.FlavorSpec{VCPUs: 2, MemoryGiB: 4},
				Load:   1500, CapacityPerInstance: 1000, AntiAffinity: &no,
				ServiceTime: loadMS(50), FailoverTime: loadSec(3), HealthCheckWindow: loadSec(5),
			},
		},
		VNFM: spec.VNFMSpec{Name: "vnfm-a", Behavior: spec.BehaviorLate, ReplyAfter: loadSec(2), LateBy: loadSec(10), RestoreTime: loadSec(15)},
		NFVI: spec.NFVISpec{
			LiveMigration:     spec.LiveMigrationSpec{Duration: loadSec(10), Blackout: 0},
			ColdMigrationTime: loadSec(45),
		},
		Upgrade: spec.UpgradeSpec{
			Flow: spec.FlowF2, TargetVersion: "2.0", Nodes: []string{"n1", "n3"}, MaxParallel: 2,
			ReplyTimeout: loadSec(30), NodeUpgradeTime: loadSec(300), VerifyTime: loadSec(60), UpgradeTimeout: loadSec(1200),
			OnNack: "skip", Rollback: &no, Defects: []string{"ignore-reply"},
		},
		Faults: []spec.FaultSpec{
			{Do: spec.FaultUpgradeFails, Node: "n3"},
			{Do: spec.FaultBootVM, At: loadSec(90), IgnoreMaintenance: true},
		},
		Checks: map[string]spec.CheckSpec{
			"max-interruption": {Bound: loadSec(2)},
			"pair-redundancy":  {Disabled: "the pair shares one node on purpose"},
		},
		Expect: spec.ExpectSpec{Outcome: spec.OutcomeRollback, Violations: []string{"max-interruption", "outcome"}},
		Path:   "testdata/load/full.yaml",
	}
	require.Equal(t, want, s)
}

const loadMinimal = `name: minimal
nodes: {count: 3}
vnfs:
  - {name: fw, mode: active-standby, load: 100/s}
upgrade: {targetVersion: "2.0"}
`

func TestLoadAppliesDefaults(t *testing.T) {
	s, err := Bytes("minimal.yaml", []byte(loadMinimal))
	require.NoError(t, err)

	yes := true
	want := &spec.Scenario{
		Name: "minimal",
		Seed: 1,
		Nodes: spec.NodesSpec{
			Count: 3, Prefix: "compute", Zones: []string{"az1"}, VCPUs: 32, MemoryGiB: 128, Version: "1.0",
		},
		VNFs: []spec.VNFSpec{{
			Name: "fw", Mode: spec.ModeActiveStandby, Instances: 2,
			Flavor: spec.FlavorSpec{VCPUs: 2, MemoryGiB: 4},
			Load:   100, CapacityPerInstance: 100, AntiAffinity: &yes,
			ServiceTime: loadMS(50), FailoverTime: loadSec(3), HealthCheckWindow: loadSec(5),
		}},
		VNFM: spec.VNFMSpec{Name: "vnfm-1", Behavior: spec.BehaviorReference, ReplyAfter: loadSec(1), LateBy: loadSec(30)},
		NFVI: spec.NFVISpec{
			LiveMigration:     spec.LiveMigrationSpec{Duration: loadSec(20), Blackout: loadMS(500)},
			ColdMigrationTime: loadSec(60),
		},
		Upgrade: spec.UpgradeSpec{
			Flow: spec.FlowF1, TargetVersion: "2.0", MaxParallel: 1,
			ReplyTimeout: loadSec(60), NodeUpgradeTime: loadSec(600), VerifyTime: loadSec(30),
			UpgradeTimeout: loadSec(3 * 630), OnNack: "fail", Rollback: &yes,
		},
		Expect: spec.ExpectSpec{Outcome: spec.OutcomeCompleted},
		Path:   "minimal.yaml",
	}
	require.Equal(t, want, s)

	// The loader already applied them; applying again must change nothing.
	again, err := Bytes("minimal.yaml", []byte(loadMinimal))
	require.NoError(t, err)
	again.ApplyDefaults()
	require.Equal(t, s, again)
}

func TestLoadKeepsExplicitZeros(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		get  func(*spec.Scenario) spec.Duration
		want spec.Duration
	}{
		{"blackout 0s", "nfvi: {liveMigration: {blackout: 0s}}", loadBlackout, 0},
		{"blackout bare 0", "nfvi: {liveMigration: {blackout: 0}}", loadBlackout, 0},
		{"blackout absent", "nfvi: {liveMigration: {duration: 5s}}", loadBlackout, loadMS(500)},
		{"blackout null", "nfvi: {liveMigration: {blackout: null}}", loadBlackout, loadMS(500)},
		{"blackout set", "nfvi: {liveMigration: {blackout: 200ms}}", loadBlackout, loadMS(200)},
		{"switchoverGap 0s", "vnfs: [{name: fw, mode: active-standby, switchoverGap: 0s}]", loadSwitchoverGap, 0},
		{"switchoverGap absent", "vnfs: [{name: fw, mode: active-standby}]", loadSwitchoverGap, 0},
		{"switchoverGap set", "vnfs: [{name: fw, mode: active-standby, switchoverGap: 250ms}]", loadSwitchoverGap, loadMS(250)},
		{"restoreTime 0s", "vnfm: {restoreTime: 0s}", loadRestoreTime, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "name: z\nnodes: {count: 2}\nupgrade: {targetVersion: \"2.0\"}\n" + tt.yaml + "\n"
			s, err := Bytes("zero.yaml", []byte(in))
			require.NoError(t, err)
			require.Equal(t, tt.want, tt.get(s))
			s.ApplyDefaults()
			require.Equal(t, tt.want, tt.get(s), "ApplyDefaults must not undo it")
		})
	}
}

func TestLoadErrorUnwrap(t *testing.T) {
	_, err := Bytes("x.yaml", []byte("name: x\n"))
	var e *escalator.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, escalator.EINVALID, e.Code)
	require.Equal(t, err.Error(), e.Error())

	_, err = File(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))
	require.True(t, strings.HasSuffix(err.Error(), "missing.yaml: no such file or directory"), err.Error())
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	good := func(name string) string {
		return "name: " + name + "\nnodes: {count: 2}\nupgrade: {targetVersion: \"2.0\"}\n"
	}
	write("sub/b.yaml", good("b"))
	write("a.yml", good("a"))
	write("c.yaml", "name: c\nnodes: {count: 2}\n")
	write("notes.txt", "not a scenario")
	write("testdata/broken.yaml", "this: [is not loaded")
	write("sub/testdata/broken.yml", "neither: [is this")

	got, err := Paths([]string{dir})
	require.Len(t, got, 2)
	require.Equal(t, "a", got[0].Name)
	require.Equal(t, filepath.Join(dir, "a.yml"), got[0].Path)
	require.Equal(t, "b", got[1].Name)
	require.Equal(t, filepath.Join(dir, "sub", "b.yaml"), got[1].Path)

	var errs Errors
	require.ErrorAs(t, err, &errs)
	require.Len(t, errs, 1)
	require.Equal(t, filepath.Join(dir, "c.yaml"), errs[0].Path)
	require.Equal(t, filepath.Join(dir, "c.yaml")+":1:1: upgrade: required field is missing", err.Error())
	require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err))

	// A file named directly loads whatever its name; a bad path is reported
	// and the rest still loads.
	write("plain.txt", good("plain"))
	got, err = Paths([]string{filepath.Join(dir, "nope"), filepath.Join(dir, "plain.txt"), filepath.Join(dir, "sub")})
	require.Len(t, got, 2)
	require.Equal(t, "plain", got[0].Name)
	require.Equal(t, "b", got[1].Name)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Equal(t, filepath.Join(dir, "nope")+": no such file or directory", err.Error())

	got, err = Paths([]string{filepath.Join(dir, "sub")})
	require.NoError(t, err)
	require.Len(t, got, 1)

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "empty"), 0o755))
	_, err = Paths([]string{filepath.Join(dir, "empty")})
	require.EqualError(t, err, filepath.Join(dir, "empty")+": no .yaml or .yml files in this folder")
}

// The scenarios checked in (the suite in scenarios/) must all load.
func TestLoadPathsCheckedIn(t *testing.T) {
	got, err := Paths([]string{".."})
	require.NoError(t, err)
	require.NotEmpty(t, got)
}

func TestLoadAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: t\nnodes: {count: 2}\nupgrade: {targetVersion: \"2.0\"}\nvnfs:\n")
	b.WriteString("  - &v {name: a, mode: load-balanced, placement: [")
	b.WriteString(strings.TrimSuffix(strings.Repeat("compute-1, ", 1000), ", "))
	b.WriteString("]}\n")
	for range 200 {
		b.WriteString("  - *v\n")
	}
	start := time.Now()
	_, err := Bytes("bomb.yaml", []byte(b.String()))
	require.ErrorContains(t, err, "the document expands to more than 100000 values (hint: aliases (*name) and merges (<<) repeat parts of the file that many times: use fewer of them)")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestLoadMergeKeys(t *testing.T) {
	in := `name: merge
nodes: {count: 4}
vnfs:
  - &base {name: a, mode: active-standby, serviceTime: 10ms}
  - <<: *base
    name: b
    serviceTime: 20ms
upgrade: {targetVersion: "2.0"}
`
	s, err := Bytes("merge.yaml", []byte(in))
	require.NoError(t, err)
	require.Len(t, s.VNFs, 2)
	require.Equal(t, "b", s.VNFs[1].Name)
	require.Equal(t, spec.ModeActiveStandby, s.VNFs[1].Mode)
	require.Equal(t, loadMS(20), s.VNFs[1].ServiceTime)
}

func TestLoadSuggest(t *testing.T) {
	keys := []string{"flow", "targetVersion", "nodes", "maxParallel", "replyTimeout"}
	tests := []struct {
		got, want string
	}{
		{"maxParalel", "maxParallel"},
		{"max_parallel", "maxParallel"},
		{"MaxParallel", "maxParallel"},
		{"targetversion", "targetVersion"},
		{"target", "targetVersion"},
		{"replyTimeoutSeconds", "replyTimeout"},
		{"node", "nodes"},
		{"flo", "flow"},
		{"fluw", "flow"},
		{"lfow", "flow"},
		{"base", ""},
		{"xyz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := loadSuggest(tt.got, keys)
		require.Equal(t, tt.want, got, tt.got)
		require.Equal(t, tt.want != "", ok, tt.got)
	}
}

func loadMS(n int64) spec.Duration  { return spec.Duration(time.Duration(n) * time.Millisecond) }
func loadSec(n int64) spec.Duration { return spec.Duration(time.Duration(n) * time.Second) }

func loadBlackout(s *spec.Scenario) spec.Duration      { return s.NFVI.LiveMigration.Blackout }
func loadSwitchoverGap(s *spec.Scenario) spec.Duration { return s.VNFs[0].SwitchoverGap }
func loadRestoreTime(s *spec.Scenario) spec.Duration   { return s.VNFM.RestoreTime }

// TestLimitTags reads the limit tag of every struct a scenario holds (a
// malformed one would panic on the first load of that struct), and shows
// what each word of the tag means to the loader.
func TestLimitTags(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for _, lf := range loadFields(t) {
			walk(t.Field(lf.index).Type)
		}
	}
	require.NotPanics(t, func() { walk(reflect.TypeFor[spec.Scenario]()) })
	require.Greater(t, len(seen), 10)

	type sample struct {
		A int `yaml:"a" limit:"positive,max=7"`
		B int `yaml:"b" limit:"signed"`
		C int `yaml:"c"`
	}
	require.Equal(t, []loadField{
		{key: "a", index: 0, positive: true, max: 7, capped: true},
		{key: "b", index: 1, signed: true},
		{key: "c", index: 2},
	}, loadFields(reflect.TypeFor[sample]()))
	type bad struct {
		A int `yaml:"a" limit:"positve"`
	}
	require.PanicsWithValue(t, `scenarios: bad.A: unknown limit "positve"`, func() { loadFields(reflect.TypeFor[bad]()) })
}
