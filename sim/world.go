package sim

import (
	"fmt"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// World is the whole simulated environment of one run: the loop, the
// infrastructure and the VNFs on it.
type World struct {
	loop  *Loop
	tr    escalator.Emitter
	NFVI  *NFVI
	VNFs  []*VNF
	byVNF map[string]*VNF
}

// NewWorld builds the infrastructure; add VNFs with AddVNF.
func NewWorld(loop *Loop, tr escalator.Emitter, t Timings, nodes []NodeConfig) *World {
	return &World{loop: loop, tr: tr, NFVI: NewNFVI(loop, tr, t, nodes), byVNF: map[string]*VNF{}}
}

// Loop returns the world's event loop.
func (w *World) Loop() *Loop { return w.loop }

// VNF returns a VNF by name.
func (w *World) VNF(name string) *VNF { return w.byVNF[name] }

// AddVNF deploys a VNF: one VM per instance, placed by the placement
// function or on the nodes listed in placement. The first instance of an
// active-standby VNF starts active; every load-balanced member starts in
// rotation.
func (w *World) AddVNF(c VNFConfig, vnfm string, instances int, vcpus, memGiB int, antiAffinity bool, placement []string) error {
	if _, dup := w.byVNF[c.Name]; dup {
		return fmt.Errorf("VNF %s is defined twice", c.Name)
	}
	v := &VNF{VNFConfig: c, w: w}
	group := ""
	if antiAffinity {
		group = c.Name
	}
	for k := range instances {
		vm := &VM{ID: fmt.Sprintf("%s-%d", c.Name, k+1), VNFM: vnfm, VNF: c.Name, Group: group, VCPUs: vcpus, MemoryGiB: memGiB}
		on := ""
		if k < len(placement) {
			on = placement[k]
		}
		if err := w.NFVI.PlaceVM(vm, on, false); err != nil {
			return err
		}
		i := &Instance{vnf: v, VM: vm, Role: RoleMember, Ready: true}
		vm.inst = i
		if c.Mode == ModeActiveStandby {
			i.Role = RoleStandby
			if k == 0 {
				i.Role = RoleActive
				v.active = i
			}
		} else {
			i.InRotation = true
		}
		v.Instances = append(v.Instances, i)
	}
	v.made = instances
	w.VNFs = append(w.VNFs, v)
	w.byVNF[c.Name] = v
	v.since = w.loop.Elapsed()
	v.recompute("deployed")
	p := event.VNFDeployed{Mode: c.Mode, Instances: instances, Load: c.Load, CapacityPerInstance: c.CapacityPerInstance}
	if l := c.Limits; l != nil {
		p.LeadTime = l.LeadTime.String()
		p.MaxImpacted = event.Ptr(l.MaxImpacted)
		p.MinPreserved = event.Ptr(l.MinPreserved)
		p.MinRecoveryTime = l.MinRecoveryTime.String()
		if len(l.MigrationTypes) > 0 {
			p.MigrationTypes = l.MigrationTypes
		}
	}
	event.Emit(w.tr, actorVNF, c.Name, p)
	return nil
}

// BootVM starts a VM that belongs to no VNF. ignoreMaintenance models a
// broken scheduler (a negative control for the placement check).
func (w *World) BootVM(id string, vcpus, memGiB int, ignoreMaintenance bool) error {
	return w.NFVI.PlaceVM(&VM{ID: id, VCPUs: vcpus, MemoryGiB: memGiB}, "", ignoreMaintenance)
}

// Finish closes every service's books; call it once, at the end of a run.
func (w *World) Finish() {
	w.FinishServices()
	for _, n := range w.NFVI.nodes {
		event.Emit(w.tr, actorNFVI, n.ID, event.NodeFinal{State: n.State, Version: n.Version})
	}
}

// FinishServices closes the services' books only: when a real cloud
// stands in for the simulated nodes, their final state is the cloud's to
// record, not the idle simulated nodes'.
func (w *World) FinishServices() {
	for _, v := range w.VNFs {
		v.finish()
	}
}

// LostRequests is the total lost over all services.
func (w *World) LostRequests() float64 {
	total := 0.0
	for _, v := range w.VNFs {
		total += v.Lost
	}
	return total
}
