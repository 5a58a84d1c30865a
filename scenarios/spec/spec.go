package spec

import (
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator/event"
)

// Scenario is one YAML scenario file after loading. Field tags name the
// YAML keys; the loader rejects any key not listed here.
type Scenario struct {
	Name        string               `yaml:"name" required:"true"`
	Description string               `yaml:"description"`
	Labels      map[string]string    `yaml:"labels"`
	Seed        int64                `yaml:"seed" limit:"signed"`
	Nodes       NodesSpec            `yaml:"nodes" required:"true"`
	VNFs        []VNFSpec            `yaml:"vnfs"`
	VNFM        VNFMSpec             `yaml:"vnfm"`
	NFVI        NFVISpec             `yaml:"nfvi"`
	Upgrade     UpgradeSpec          `yaml:"upgrade" required:"true"`
	Faults      []FaultSpec          `yaml:"faults"`
	Checks      map[string]CheckSpec `yaml:"checks"`
	Clock       ClockSpec            `yaml:"clock"`
	Expect      ExpectSpec           `yaml:"expect"`
	// Conformance makes the scenario a conformance test case: TST 010
	// metadata, and the checks that decide its verdict.
	Conformance *ConformanceSpec `yaml:"conformance"`

	// Path is the file the scenario came from ("" when built in code).
	Path string `yaml:"-"`
}

// NodesSpec describes the compute nodes: either Count generated nodes named
// "<prefix>-1".."<prefix>-N" spread over Zones in turn, or an explicit List.
type NodesSpec struct {
	Count     int        `yaml:"count" limit:"max=100000"`
	Prefix    string     `yaml:"prefix"`                     // default "compute"
	Zones     []string   `yaml:"zones"`                      // default ["az1"]
	VCPUs     int        `yaml:"vcpus" limit:"positive"`     // default 32
	MemoryGiB int        `yaml:"memoryGiB" limit:"positive"` // default 128
	Version   string     `yaml:"version"`                    // default "1.0"
	List      []NodeSpec `yaml:"list"`
}

// NodeSpec is one explicitly listed node; zero fields take NodesSpec's values.
type NodeSpec struct {
	Name      string `yaml:"name" required:"true"`
	Zone      string `yaml:"zone"`
	VCPUs     int    `yaml:"vcpus" limit:"positive"`
	MemoryGiB int    `yaml:"memoryGiB" limit:"positive"`
	Version   string `yaml:"version"`
}

// VNF modes.
const (
	ModeActiveStandby = event.ModeActiveStandby
	ModeLoadBalanced  = event.ModeLoadBalanced
)

// VNFSpec is one VNF: Instances VMs of one flavor behind one service.
type VNFSpec struct {
	Name                string     `yaml:"name" required:"true"`
	Mode                string     `yaml:"mode" required:"true"`                 // active-standby | load-balanced
	Instances           int        `yaml:"instances" limit:"positive,max=10000"` // default 2
	Flavor              FlavorSpec `yaml:"flavor"`
	Load                Rate       `yaml:"load"`                                 // offered requests/s
	CapacityPerInstance Rate       `yaml:"capacityPerInstance" limit:"positive"` // default: the load (one instance carries it all)
	AntiAffinity        *bool      `yaml:"antiAffinity"`                         // default true
	ServiceTime         Duration   `yaml:"serviceTime" limit:"positive"`         // time a request is in flight; default 50ms
	SwitchoverGap       Duration   `yaml:"switchoverGap"`                        // planned switch-over outage; default 0
	FailoverTime        Duration   `yaml:"failoverTime" limit:"positive"`        // unplanned: detection + takeover; default 3s
	HealthCheckWindow   Duration   `yaml:"healthCheckWindow" limit:"positive"`   // load balancer detection of a dead member; default 5s
	Placement           []string   `yaml:"placement"`                            // optional node per instance, in order
	// Replicas deploys this many copies of the VNF, named <name>-1 ..
	// <name>-N (for scale scenarios); 0 or 1 means one VNF named <name>.
	Replicas int `yaml:"replicas" limit:"max=100000"`
	// Maintenance is the VNF's IFA 011 NfviMaintenanceInfo: limits the
	// orchestrator honours and the ifa011-limits check verifies.
	Maintenance *MaintenanceLimits `yaml:"maintenance"`
}

// Migration types a VNF may allow (IFA 011 supportedMigrationType).
const (
	MigrationLive = "live"
	MigrationCold = "cold"
	MigrationNone = "none"
)

// MaintenanceLimits is a VNF's tolerance of infrastructure maintenance,
// after ETSI GS NFV-IFA 011 NfviMaintenanceInfo.
type MaintenanceLimits struct {
	// LeadTime is the least time between the notification and the first
	// impact on an instance (impactNotificationLeadTime).
	LeadTime Duration `yaml:"leadTime"`
	// MaxImpacted caps the instances out of service at once
	// (maxNumberOfImpactedInstances); 0 keeps the default.
	MaxImpacted int `yaml:"maxImpacted"`
	// MinPreserved is the least number of instances kept in service
	// (minNumberOfPreservedInstances).
	MinPreserved int `yaml:"minPreserved"`
	// MinRecoveryTime is the least time between the end of one impact on
	// the VNF and the start of the next (minRecoveryTimeBetweenImpacts).
	MinRecoveryTime Duration `yaml:"minRecoveryTime"`
	// MigrationTypes lists how the VIM may move the VNF's VMs: live, cold,
	// or none (supportedMigrationType); empty allows live and cold.
	MigrationTypes []string `yaml:"migrationTypes"`
}

// FlavorSpec is a VM size.
type FlavorSpec struct {
	VCPUs     int `yaml:"vcpus" limit:"positive"`     // default 2
	MemoryGiB int `yaml:"memoryGiB" limit:"positive"` // default 4
}

// VNFM behaviours a scenario names (vnfm.behavior), the trace's values.
const (
	BehaviorReference      = event.BehaviorReference
	BehaviorSilent         = event.BehaviorSilent
	BehaviorLate           = event.BehaviorLate
	BehaviorNack           = event.BehaviorNack
	BehaviorAckWithoutMove = event.BehaviorAckWithoutMove
	BehaviorMalformed      = event.BehaviorMalformed
)

// Behaviors lists the behaviours of the reference VNFM, the reference
// first: the values of vnfm.behavior, and without the reference those of
// conformance.failedBy. The simulator's registry of profiles (sim.Profiles)
// is keyed by the same names in the same order, which the testbed's
// TestBehaviorsAreTheSimulatorsProfiles holds; the language keeps its own
// list so that the loader need not import the simulator.
func Behaviors() []string {
	return []string{
		event.BehaviorReference,
		event.BehaviorSilent,
		event.BehaviorLate,
		event.BehaviorNack,
		event.BehaviorAckWithoutMove,
		event.BehaviorMalformed,
		event.BehaviorDuplicate,
		event.BehaviorWrongState,
		event.BehaviorNoSwitchover,
		event.BehaviorNoDrain,
		event.BehaviorMisreport,
		event.BehaviorNoRestore,
		event.BehaviorFirstSwitch,
		event.BehaviorFirstPool,
		event.BehaviorRestoresAtEnd,
		event.BehaviorFirstNode,
		event.BehaviorLazyRestore,
		event.BehaviorNackLeaves,
		event.BehaviorNotIdempotent,
		event.BehaviorIgnoresLimits,
		event.BehaviorAnyMethod,
		event.BehaviorStrictTypes,
		event.BehaviorIgnoresVersion,
		event.BehaviorAcceptsBadAuth,
		event.BehaviorNoVersionOut,
		event.BehaviorNarrowFilter,
		event.BehaviorDoubleSub,
	}
}

// VNFMSpec selects the VNFM and how it behaves.
type VNFMSpec struct {
	Name        string   `yaml:"name"`                        // default "vnfm-1"
	Behavior    string   `yaml:"behavior"`                    // default reference
	ReplyAfter  Duration `yaml:"replyAfter" limit:"positive"` // reaction delay before moving business; default 1s
	LateBy      Duration `yaml:"lateBy" limit:"positive"`     // behavior late: reply this long after replyBy; default 30s
	RestoreTime Duration `yaml:"restoreTime"`                 // time to bring an instance back after "node available"; default 0
	// NotifyAuth is what the reference VNFM's notification endpoint
	// demands and its subscription offers: basic or oauth2 (made-up
	// credentials), or empty for none.
	NotifyAuth string `yaml:"notifyAuth"`
}

// NFVISpec holds infrastructure timings.
type NFVISpec struct {
	LiveMigration     LiveMigrationSpec `yaml:"liveMigration"`
	ColdMigrationTime Duration          `yaml:"coldMigrationTime" limit:"positive"` // VM down this long; default 60s
}

// LiveMigrationSpec: a live migration copies memory for Duration while the
// VM serves, then pauses it for Blackout (about 500 ms per the seed's RQ/104).
type LiveMigrationSpec struct {
	Duration Duration `yaml:"duration" limit:"positive"` // default 20s
	// Blackout defaults to 500ms when the key is absent; 0 means a
	// migration with no pause. ApplyDefaults cannot tell the two apart and
	// leaves it alone, so scenarios built in code must set it.
	Blackout Duration `yaml:"blackout"`
}

// Flows and strategies.
const (
	FlowF1    = event.FlowF1    // VIM as a whole: batches, verify, fallback migration
	FlowF2    = event.FlowF2    // inside the VIM: one node, reply or timeout, upgrade
	FlowNaive = event.FlowNaive // negative control: upgrades without telling anyone
)

// UpgradeSpec is the operator's upgrade request plus the campaign timings.
type UpgradeSpec struct {
	Flow            string   `yaml:"flow"` // F1 (default) | F2 | naive
	TargetVersion   string   `yaml:"targetVersion" required:"true"`
	Nodes           []string `yaml:"nodes"`                                   // empty: every node, in topology order
	MaxParallel     int      `yaml:"maxParallel" limit:"positive,max=100000"` // default 1
	ReplyTimeout    Duration `yaml:"replyTimeout" limit:"positive"`           // default 60s
	NodeUpgradeTime Duration `yaml:"nodeUpgradeTime" limit:"positive"`        // default 10m
	VerifyTime      Duration `yaml:"verifyTime" limit:"positive"`             // default 30s
	UpgradeTimeout  Duration `yaml:"upgradeTimeout" limit:"positive"`         // expected duration of upgrade+verify; default 3×(upgrade+verify)
	OnNack          string   `yaml:"onNack"`                                  // fail (default): a NACK ends the session | skip: leave the refused nodes out
	Rollback        *bool    `yaml:"rollback"`                                // roll back on a failed node; default true
	Defects         []string `yaml:"defects"`                                 // negative controls only: deliberate orchestrator bugs
	// BatchBy zone takes a whole zone per batch (maxParallel still caps
	// it); empty takes nodes in order.
	BatchBy string `yaml:"batchBy"`
	// ReplyDeadlines overrides replyTimeout per maintenance state
	// (PLANNED_MAINTENANCE, SCALE_IN, MAINTENANCE_COMPLETE).
	ReplyDeadlines map[string]Duration `yaml:"replyDeadlines"`
	// Precheck "capacity" (the default for F1) refuses to start when a
	// batch's VMs could not be moved elsewhere; "none" skips it.
	Precheck string `yaml:"precheck"`
	// ScaleIn lets the orchestrator ask VNFMs to scale in (Fenix SCALE_IN)
	// when the capacity pre-check fails, and to scale back out at the end.
	ScaleIn bool `yaml:"scaleIn"`
}

// FaultSpec injects one fault. It becomes active At a time, or When a
// step happens ("node compute-3 upgrading"), or both (the later); then it
// hits the next Count occasions, each with Probability (default 1, drawn
// from the scenario's seed). Count defaults to 1, or to every occasion for
// migration-slow and for a fault with a probability.
type FaultSpec struct {
	Do                string   `yaml:"do" required:"true"`
	Node              string   `yaml:"node"`
	At                Duration `yaml:"at"`
	When              string   `yaml:"when"`
	For               Duration `yaml:"for"`
	Count             int      `yaml:"count"`
	Probability       float64  `yaml:"probability" limit:"max=1"`
	Factor            float64  `yaml:"factor" limit:"max=100"` // migration-slow: default 3
	IgnoreMaintenance bool     `yaml:"ignoreMaintenance"`      // boot-vm: a broken scheduler that places on nodes in maintenance
}

// CheckSpec tunes or disables one built-in check.
type CheckSpec struct {
	Disabled string   `yaml:"disabled"`               // the reason; a non-empty reason switches the check off
	Bound    Duration `yaml:"bound" limit:"positive"` // max-interruption: the bound; the check uses 1s when 0
}

// NACK policies.
const (
	OnNackFail = "fail"
	OnNackSkip = "skip"
)

// ClockSpec picks the clock: virtual (the default: time jumps, runs are
// deterministic) or real (wall time times Speed, for an external VNFM).
type ClockSpec struct {
	Mode  string  `yaml:"mode"`                    // virtual | real
	Speed float64 `yaml:"speed" limit:"max=10000"` // real mode: default 1
}

// Outcomes.
const (
	OutcomeCompleted = "completed"
	OutcomeRollback  = "rollback"
	OutcomeFailed    = "failed"
	OutcomeRefused   = "refused" // the pre-check refused to start the session
)

// ExpectSpec is what the scenario expects of the run.
type ExpectSpec struct {
	Outcome string `yaml:"outcome"` // completed (default) | rollback | failed | refused
	// Violations makes the scenario a negative control: exactly these
	// checks (CheckNames, or "outcome") must fail.
	Violations []string `yaml:"violations"`
	// Thresholds maps a metric (metrics.go) to "OP VALUE", e.g.
	// maxInterruption: "< 1s"; each is the check "threshold:<metric>".
	Thresholds map[string]string `yaml:"thresholds"`
	// Assertions over the trace (expect.go); each is the check
	// "assert:<name>".
	Assertions []AssertionSpec `yaml:"assertions"`
}

// Bounds of the language that no flag lifts.
const (
	// MaxDuration is the longest duration a scenario may write. The run's
	// clock counts nanoseconds in an int64 (about 292 years); the
	// orchestrator adds a scenario's durations up (3×(upgrade+verify) for
	// the hang timeout, deadlines on top of the current time, a campaign
	// of many nodes), and 1000h keeps those sums far from wrapping around
	// to a negative time.
	MaxDuration = Duration(1000 * time.Hour)
	// MaxHorizon caps the loader's worst-case estimate of how long a run's
	// scenario time can grow (every timing of one node's turn, times the
	// nodes; load.horizon), so that many nodes of long durations cannot
	// overflow the clock either: 1,000,000h is about 114 years, under half
	// of what the clock can count.
	MaxHorizon = Duration(1_000_000 * time.Hour)
	// RunLimit is the scenario time after which a run in virtual time
	// (escalator run) stops and counts as a harness error: a session still
	// running then is taken for hung. The loader refuses a scenario that
	// expects to complete but cannot within it.
	RunLimit = Duration(72 * time.Hour)
	// MaxNameLen bounds a scenario's name, which names its trace file: the
	// name, a seed and a suffix stay under the 255 bytes a file name may be.
	MaxNameLen = 128
)

// NamePattern is what a scenario's name may be: letters, digits, '.', '_'
// and '-', not starting with '.', at most MaxNameLen long. The name
// becomes a file name (escalator run --trace), so it must stay one path
// element of the folder it is written to: no separator, no "..", no NUL,
// nothing hidden.
const NamePattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`

// Rate is requests per second, written "1000/s", "60/m" or a bare number.
type Rate float64

// Duration is a time.Duration written as Go writes it: "500ms", "10m", "1h30m".
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }

// Deployments lists the VNFs to deploy, with replicas expanded into
// <name>-1 .. <name>-N.
func (s *Scenario) Deployments() []VNFSpec {
	var out []VNFSpec
	for _, v := range s.VNFs {
		if v.Replicas <= 1 {
			out = append(out, v)
			continue
		}
		for i := range v.Replicas {
			c := v
			c.Name = fmt.Sprintf("%s-%d", v.Name, i+1)
			c.Replicas = 0
			out = append(out, c)
		}
	}
	return out
}

// NodeNames returns the scenario's node names in topology order: the
// listed ones, or "<prefix>-1".."<prefix>-N".
func (s *Scenario) NodeNames() []string {
	ns := s.Nodes
	if len(ns.List) > 0 {
		out := make([]string, len(ns.List))
		for i, n := range ns.List {
			out[i] = n.Name
		}
		return out
	}
	out := make([]string, ns.Count)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", ns.Prefix, i+1)
	}
	return out
}
