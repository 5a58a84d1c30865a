package dashboard

import "time"

// Snapshot is the world as the page draws it at one instant: every node
// with its VMs, and every VNF's service. The trace says what happened; the
// snapshot says where things stand, including the loss of an interruption
// still under way, which the trace records only when it ends.
type Snapshot struct {
	At    int64      `json:"at"` // milliseconds since the start
	T     string     `json:"t"`
	Nodes []NodeView `json:"nodes"`
	VNFs  []VNFView  `json:"vnfs"`
}

// NodeView is one compute node.
type NodeView struct {
	ID      string `json:"id"`
	Zone    string `json:"zone"`
	State   string `json:"state"`
	Version string `json:"version"`
	// Upgraded: the node runs the target version.
	Upgraded bool     `json:"upgraded"`
	VMs      []VMView `json:"vms"`
}

// VMView is one VM on a node.
type VMView struct {
	ID    string `json:"id"`
	VNF   string `json:"vnf,omitempty"`
	Role  string `json:"role,omitempty"` // active, standby, member
	State string `json:"state"`          // running, migrating, down
	// Carrying: the instance serves traffic right now.
	Carrying bool `json:"carrying"`
	// Color is the VNF's index in Snapshot.VNFs (-1: no VNF).
	Color int `json:"color"`
}

// VNFView is one VNF's service.
type VNFView struct {
	Name  string  `json:"name"`
	Mode  string  `json:"mode"`
	Color int     `json:"color"`
	Load  float64 `json:"load"` // offered requests/s
	// Lost is every request lost so far; Rate the requests/s being lost now.
	Lost float64 `json:"lost"`
	Rate float64 `json:"rate"`
	// Availability is the share of the requests offered so far that were
	// served (1 before any was offered).
	Availability float64 `json:"availability"`
	// Serving is the share of the load served right now.
	Serving   float64 `json:"serving"`
	Instances int     `json:"instances"`
	Up        int     `json:"up"`
}

// NewSnapshot is an empty snapshot taken now (time since the start): the
// command that owns the world fills in its nodes and VNFs, since the
// dashboard only draws a world and never reads one.
func NewSnapshot(now time.Duration) Snapshot {
	return Snapshot{At: now.Milliseconds(), T: clock(now)}
}
