package orchestrator

import (
	"time"

	"github.com/escalator-testbed/escalator/event"
)

// Clock gives the time and timers. Timers fire on the same goroutine that
// calls the Manager, which is what makes the Manager lock-free.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, fn func()) (cancel func())
}

// Node states as the cloud manager reports them.
const (
	NodeNormal      = event.NodeNormal
	NodeMaintenance = event.NodeMaintenance
	NodeUpgrading   = event.NodeUpgrading
	NodeVerifying   = event.NodeVerifying
	NodeFailed      = event.NodeFailed
)

// NodeInfo is the cloud manager's view of one compute node.
type NodeInfo struct {
	ID         string
	Zone       string
	Version    string
	State      string
	VCPUs      int
	MemoryGiB  int
	UsedVCPUs  int
	UsedMemGiB int
}

// VM states as the cloud manager reports them (VMInfo.State).
const (
	VMRunning   = "running"
	VMMigrating = "migrating"
	VMDown      = "down"
)

// VMInfo is the cloud manager's view of one VM. VNFM and VNF say who owns
// it; Group is its anti-affinity (instance) group, the unit the planner
// limits impact on.
type VMInfo struct {
	ID        string
	Host      string
	State     string // VMRunning, VMMigrating or VMDown
	VNFM      string
	VNF       string
	Group     string
	VCPUs     int
	MemoryGiB int
}

// MigrationDone reports the end of a migration.
type MigrationDone func(target string, err error)

// CloudManager is the VIM's virtual-resource manager (Nova's role).
type CloudManager interface {
	Nodes() []NodeInfo
	VMsOn(node string) []VMInfo
	// SetMaintenance disables (on) or enables a node for placement.
	SetMaintenance(node string, on bool) error
	// CarriesBusiness tells whether a VM still serves traffic; the seed's
	// F1 step 6 ("judge whether the business on the target VM has all been
	// moved").
	CarriesBusiness(vm string) bool
	// Migrate moves a VM off its host, preferring the hosts in prefer in
	// order, and calls done when the VM runs on its new host.
	Migrate(vm string, prefer []string, live bool, done MigrationDone)
}

// SystemSupport is the agent on each node that installs software. done may
// never be called (a hung upgrade): the Manager's expected-duration timer
// covers that.
type SystemSupport interface {
	Upgrade(node, version string, done func(error))
	Verify(node, version string, done func(error))
}

// Notifier delivers notifications to a VNFM. Delivery is asynchronous; a
// VNFM answers through Manager.Reply.
type Notifier interface {
	Notify(vnfm string, n Notification)
}

// Store keeps the Manager's sessions outside its process, so that a new
// process can take an unfinished upgrade up again (Manager.Recover).
//
// The Manager writes ahead: every change it is about to act on (a node
// entering maintenance, a notification about to go out, an upgrade about
// to start) is committed before the effect is asked of a port, and every
// step that changed a session is committed before the step returns. A
// crash therefore loses at most effects whose intent is on record, and
// Recover settles those by asking the world.
type Store interface {
	// Load returns every recorded session, in creation order.
	Load() ([]SessionRecord, error)
	// Commit records one step of one session in one transaction: all of
	// it or nothing.
	Commit(c Commit) error
}

// Ports bundles what the Manager talks to.
type Ports struct {
	Clock  Clock
	Cloud  CloudManager
	System SystemSupport
	Notify Notifier
	// Store, when set, keeps the sessions beyond the process (store.go);
	// without it a crash loses them.
	Store Store
}
