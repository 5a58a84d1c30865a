package main

import (
	"time"

	"github.com/escalator-testbed/escalator/reports/dashboard"
	"github.com/escalator-testbed/escalator/sim"
)

// snapshotOf is the dashboard's picture of a world at now. Call it on the
// world's loop.
func snapshotOf(w *sim.World, target string, now time.Duration) dashboard.Snapshot {
	s := dashboard.NewSnapshot(now)
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
		view := dashboard.VNFView{Name: v.Name, Mode: v.Mode, Color: i, Load: v.Load, Lost: lost, Rate: rate,
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
		nv := dashboard.NodeView{ID: n.ID, Zone: n.Zone, State: n.State, Version: n.Version, Upgraded: n.Version == target, VMs: []dashboard.VMView{}}
		for _, vm := range w.NFVI.VMsOn(n.ID) {
			c, ok := color[vm.VNF]
			if !ok {
				c = -1
			}
			nv.VMs = append(nv.VMs, dashboard.VMView{ID: vm.ID, VNF: vm.VNF, Role: role[vm.ID], State: vm.State,
				Carrying: w.NFVI.CarriesBusiness(vm.ID), Color: c})
		}
		s.Nodes = append(s.Nodes, nv)
	}
	return s
}
