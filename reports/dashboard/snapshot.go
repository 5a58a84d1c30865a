package dashboard

import (
	"time"

	"github.com/escalator-testbed/escalator/sim"
)

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

// FromWorld takes a snapshot of a world. Call it on the world's loop.
func FromWorld(w *sim.World, target string, now time.Duration) Snapshot {
	s := Snapshot{At: now.Milliseconds(), T: clock(now)}
	color := map[string]int{}
	role := map[string]string{}
	for i, v := range w.VNFs {
		color[v.Name] = i
		lost, rate := v.Live()
		up := 0
		for _, in := range v.Instances {
			role[in.VM.ID] = in.Role
			if in.VM.State != "down" {
				up++
			}
		}
		view := VNFView{Name: v.Name, Mode: v.Mode, Color: i, Load: v.Load, Lost: lost, Rate: rate,
			Availability: 1, Serving: 1, Instances: len(v.Instances), Up: up}
		if offered := v.Load * now.Seconds(); offered > 0 {
			view.Availability = max(0, 1-lost/offered)
		}
		if v.Load > 0 {
			view.Serving = max(0, 1-rate/v.Load)
		}
		s.VNFs = append(s.VNFs, view)
	}
	for _, n := range w.NFVI.Nodes() {
		nv := NodeView{ID: n.ID, Zone: n.Zone, State: n.State, Version: n.Version, Upgraded: n.Version == target, VMs: []VMView{}}
		for _, vm := range w.NFVI.VMsOn(n.ID) {
			c, ok := color[vm.VNF]
			if !ok {
				c = -1
			}
			nv.VMs = append(nv.VMs, VMView{ID: vm.ID, VNF: vm.VNF, Role: role[vm.ID], State: vm.State,
				Carrying: w.NFVI.CarriesBusiness(vm.ID), Color: c})
		}
		s.Nodes = append(s.Nodes, nv)
	}
	return s
}
