package scenarios

import "time"

// Scenario is one YAML scenario file after loading. Field tags name the
// YAML keys; the loader rejects any key not listed here.
type Scenario struct {
	Name        string               `yaml:"name" required:"true"`
	Description string               `yaml:"description"`
	Labels      map[string]string    `yaml:"labels"`
	Seed        int64                `yaml:"seed"`
	Nodes       NodesSpec            `yaml:"nodes" required:"true"`
	VNFs        []VNFSpec            `yaml:"vnfs"`
	VNFM        VNFMSpec             `yaml:"vnfm"`
	NFVI        NFVISpec             `yaml:"nfvi"`
	Upgrade     UpgradeSpec          `yaml:"upgrade" required:"true"`
	Faults      []FaultSpec          `yaml:"faults"`
	Checks      map[string]CheckSpec `yaml:"checks"`
	Expect      ExpectSpec           `yaml:"expect"`

	// Path is the file the scenario came from ("" when built in code).
	Path string `yaml:"-"`
}

// NodesSpec describes the compute nodes: either Count generated nodes named
// "<prefix>-1".."<prefix>-N" spread over Zones in turn, or an explicit List.
type NodesSpec struct {
	Count     int        `yaml:"count"`
	Prefix    string     `yaml:"prefix"`    // default "compute"
	Zones     []string   `yaml:"zones"`     // default ["az1"]
	VCPUs     int        `yaml:"vcpus"`     // default 32
	MemoryGiB int        `yaml:"memoryGiB"` // default 128
	Version   string     `yaml:"version"`   // default "1.0"
	List      []NodeSpec `yaml:"list"`
}

// NodeSpec is one explicitly listed node; zero fields take NodesSpec's values.
type NodeSpec struct {
	Name      string `yaml:"name" required:"true"`
	Zone      string `yaml:"zone"`
	VCPUs     int    `yaml:"vcpus"`
	MemoryGiB int    `yaml:"memoryGiB"`
	Version   string `yaml:"version"`
}

// VNF modes.
const (
	ModeActiveStandby = "active-standby"
	ModeLoadBalanced  = "load-balanced"
)

// VNFSpec is one VNF: Instances VMs of one flavor behind one service.
type VNFSpec struct {
	Name                string     `yaml:"name" required:"true"`
	Mode                string     `yaml:"mode" required:"true"` // active-standby | load-balanced
	Instances           int        `yaml:"instances"`            // default 2
	Flavor              FlavorSpec `yaml:"flavor"`
	Load                Rate       `yaml:"load"`                // offered requests/s
	CapacityPerInstance Rate       `yaml:"capacityPerInstance"` // default: the load (one instance carries it all)
	AntiAffinity        *bool      `yaml:"antiAffinity"`        // default true
	ServiceTime         Duration   `yaml:"serviceTime"`         // time a request is in flight; default 50ms
	SwitchoverGap       Duration   `yaml:"switchoverGap"`       // planned switch-over outage; default 0
	FailoverTime        Duration   `yaml:"failoverTime"`        // unplanned: detection + takeover; default 3s
	HealthCheckWindow   Duration   `yaml:"healthCheckWindow"`   // load balancer detection of a dead member; default 5s
	Placement           []string   `yaml:"placement"`           // optional node per instance, in order
}

// FlavorSpec is a VM size.
type FlavorSpec struct {
	VCPUs     int `yaml:"vcpus"`     // default 2
	MemoryGiB int `yaml:"memoryGiB"` // default 4
}

// VNFM behaviours.
const (
	BehaviorReference      = "reference"
	BehaviorSilent         = "silent"
	BehaviorLate           = "late"
	BehaviorNack           = "nack"
	BehaviorAckWithoutMove = "ack-without-moving"
	BehaviorMalformed      = "malformed-reply"
)

// VNFMSpec selects the VNFM and how it behaves.
type VNFMSpec struct {
	Name        string   `yaml:"name"`        // default "vnfm-1"
	Behavior    string   `yaml:"behavior"`    // default reference
	ReplyAfter  Duration `yaml:"replyAfter"`  // reaction delay before moving business; default 1s
	LateBy      Duration `yaml:"lateBy"`      // behavior late: reply this long after replyBy; default 30s
	RestoreTime Duration `yaml:"restoreTime"` // time to bring an instance back after "node available"; default 0
}

// NFVISpec holds infrastructure timings.
type NFVISpec struct {
	LiveMigration     LiveMigrationSpec `yaml:"liveMigration"`
	ColdMigrationTime Duration          `yaml:"coldMigrationTime"` // VM down this long; default 60s
}

// LiveMigrationSpec: a live migration copies memory for Duration while the
// VM serves, then pauses it for Blackout (about 500 ms per the seed's RQ/104).
type LiveMigrationSpec struct {
	Duration Duration `yaml:"duration"` // default 20s
	// Blackout defaults to 500ms when the key is absent; 0 means a
	// migration with no pause. ApplyDefaults cannot tell the two apart and
	// leaves it alone, so scenarios built in code must set it.
	Blackout Duration `yaml:"blackout"`
}

// Flows and strategies.
const (
	FlowF1    = "F1"    // VIM as a whole: batches, verify, fallback migration
	FlowF2    = "F2"    // inside the VIM: one node, reply or timeout, upgrade
	FlowNaive = "naive" // negative control: upgrades without telling anyone
)

// UpgradeSpec is the operator's upgrade request plus the campaign timings.
type UpgradeSpec struct {
	Flow            string   `yaml:"flow"` // F1 (default) | F2 | naive
	TargetVersion   string   `yaml:"targetVersion" required:"true"`
	Nodes           []string `yaml:"nodes"`           // empty: every node, in topology order
	MaxParallel     int      `yaml:"maxParallel"`     // default 1
	ReplyTimeout    Duration `yaml:"replyTimeout"`    // default 60s
	NodeUpgradeTime Duration `yaml:"nodeUpgradeTime"` // default 10m
	VerifyTime      Duration `yaml:"verifyTime"`      // default 30s
	UpgradeTimeout  Duration `yaml:"upgradeTimeout"`  // expected duration of upgrade+verify; default 3×(upgrade+verify)
	OnNack          string   `yaml:"onNack"`          // OnNackFail (default) | OnNackSkip
	Rollback        *bool    `yaml:"rollback"`        // roll back on a failed node; default true
	Defects         []string `yaml:"defects"`         // negative controls only: deliberate orchestrator bugs
}

// Fault kinds.
const (
	FaultUpgradeFails = "upgrade-fails"
	FaultUpgradeHangs = "upgrade-hangs"
	FaultVerifyFails  = "verify-fails"
	FaultBootVM       = "boot-vm"
)

// FaultSpec injects one fault. Node faults apply to that node's first
// upgrade attempt; timed faults (boot-vm) fire At after the start.
type FaultSpec struct {
	Do                string   `yaml:"do" required:"true"`
	Node              string   `yaml:"node"`
	At                Duration `yaml:"at"`
	IgnoreMaintenance bool     `yaml:"ignoreMaintenance"` // boot-vm: a broken scheduler that places on nodes in maintenance
}

// CheckSpec tunes or disables one built-in check.
type CheckSpec struct {
	Disabled string   `yaml:"disabled"` // the reason; a non-empty reason switches the check off
	Bound    Duration `yaml:"bound"`    // max-interruption: the bound; the check uses 1s when 0
}

// NACK policies.
const (
	OnNackFail = "fail"
	OnNackSkip = "skip"
)

// Outcomes.
const (
	OutcomeCompleted = "completed"
	OutcomeRollback  = "rollback"
	OutcomeFailed    = "failed"
)

// ExpectSpec is what the scenario expects of the run.
type ExpectSpec struct {
	Outcome string `yaml:"outcome"` // completed (default) | rollback | failed
	// Violations makes the scenario a negative control: exactly these
	// checks (CheckNames, or "outcome") must fail.
	Violations []string `yaml:"violations"`
}

// Rate is requests per second, written "1000/s", "60/m" or a bare number.
type Rate float64

// Duration is a time.Duration written as Go writes it: "500ms", "10m", "1h30m".
type Duration time.Duration

func (d Duration) D() time.Duration { return time.Duration(d) }
