package sim

import (
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// InstanceView is one VNF instance as the VNF control API shows it.
type InstanceView struct {
	InstanceID string `json:"instanceId"`
	Node       string `json:"nodeId"`
	Role       string `json:"role"`
	Health     string `json:"health"` // up | down
	InRotation bool   `json:"inRotation"`
	Drained    bool   `json:"drained"`
	Ready      bool   `json:"ready"`
}

// VNFView is a VNF as the VNF control API shows it.
type VNFView struct {
	Name                string         `json:"vnfInstanceId"`
	Mode                string         `json:"mode"`
	Load                float64        `json:"load"`
	CapacityPerInstance float64        `json:"capacityPerInstance"`
	Instances           []InstanceView `json:"instances"`
	// Maintenance is what the VNF declared about maintenance (nil: nothing).
	Maintenance *MaintenanceView `json:"maintenance,omitempty"`
}

// MaintenanceView is a VNF's declared maintenance tolerance as a VNFM sees
// it: enough to refuse what it cannot honour and to keep its own actions
// within the same limits.
type MaintenanceView struct {
	MaxImpacted    int      `json:"maxImpacted,omitempty"`
	MinPreserved   int      `json:"minPreserved,omitempty"`
	MigrationTypes []string `json:"migrationTypes,omitempty"`
}

// Migratable reports whether the VIM may move the VNF's VMs at all (live
// when live is set, else live or cold).
func (m *MaintenanceView) Migratable(live bool) bool {
	if m == nil || len(m.MigrationTypes) == 0 {
		return true
	}
	for _, t := range m.MigrationTypes {
		if t == "live" || (!live && t == "cold") {
			return true
		}
	}
	return false
}

// VNFControl is the element-manager side of a VNF: how any VNFM moves
// business. The World implements it in-process.
type VNFControl interface {
	GetVNF(name string) (VNFView, error)
	SwitchOver(vnf, to string) error
	// Drain takes an instance out of service and calls done when its
	// in-flight work has finished.
	Drain(vnf, instance string, done func()) error
	Undrain(vnf, instance string) error
	// Scale sets the number of instances of a load-balanced VNF.
	Scale(vnf string, instances int) error
}

func (w *World) lookup(vnf, instance string) (*VNF, *Instance, error) {
	v := w.byVNF[vnf]
	if v == nil {
		return nil, nil, escalator.Errorf(escalator.ENOTFOUND, "no VNF %q", vnf)
	}
	if instance == "" {
		return v, nil, nil
	}
	for _, i := range v.Instances {
		if i.VM.ID == instance {
			return v, i, nil
		}
	}
	return nil, nil, escalator.Errorf(escalator.ENOTFOUND, "VNF %s has no instance %q", vnf, instance)
}

func (w *World) GetVNF(name string) (VNFView, error) {
	v, _, err := w.lookup(name, "")
	if err != nil {
		return VNFView{}, err
	}
	out := VNFView{Name: v.Name, Mode: v.Mode, Load: v.Load, CapacityPerInstance: v.CapacityPerInstance}
	if l := v.Limits; l != nil {
		out.Maintenance = &MaintenanceView{MaxImpacted: l.MaxImpacted, MinPreserved: l.MinPreserved, MigrationTypes: l.MigrationTypes}
	}
	for _, i := range v.Instances {
		h := "up"
		if !i.up() {
			h = "down"
		}
		out.Instances = append(out.Instances, InstanceView{InstanceID: i.VM.ID, Node: i.VM.Host.ID, Role: i.Role,
			Health: h, InRotation: i.InRotation, Drained: i.Drained, Ready: i.Ready})
	}
	return out, nil
}

// SwitchOver makes `to` the active of an active-standby VNF: the planned
// switch-over, costing SwitchoverGap of service.
func (w *World) SwitchOver(vnf, to string) error {
	v, i, err := w.lookup(vnf, to)
	if err != nil {
		return err
	}
	switch {
	case v.Mode != ModeActiveStandby:
		return escalator.Errorf(escalator.ECONFLICT, "VNF %s is %s; only active-standby VNFs switch over", vnf, v.Mode)
	case v.active == i:
		return escalator.Errorf(escalator.ECONFLICT, "%s is already active", to)
	case !i.up() || !i.Ready:
		return escalator.Errorf(escalator.ECONFLICT, "standby %s is not ready to take over", to)
	}
	from := ""
	if old := v.active; old != nil {
		from = old.VM.ID
	}
	v.change("switch-over to "+to, func() {
		if old := v.active; old != nil {
			old.Role = RoleStandby
		}
		v.active = i
		i.Role = RoleActive
		v.switching = v.SwitchoverGap > 0
	})
	event.Emit(w.tr, actorVNF, vnf, event.VNFSwitchover{From: from, To: to, Gap: v.SwitchoverGap.String()})
	if v.switching {
		w.loop.AfterFunc(v.SwitchoverGap, func() { v.change("switch-over to "+to+" done", func() { v.switching = false }) })
	}
	return nil
}

func (w *World) Drain(vnf, instance string, done func()) error {
	v, i, err := w.lookup(vnf, instance)
	if err != nil {
		return err
	}
	if v.Mode == ModeActiveStandby && v.active == i {
		return escalator.Errorf(escalator.ECONFLICT, "%s is the active instance; switch over before draining it", instance)
	}
	wait := v.ServiceTime
	if v.Mode == ModeActiveStandby || !i.InRotation {
		wait = 0
	}
	v.change("drain "+instance, func() {
		i.Drained = true
		i.InRotation = false
		i.Ready = false
	})
	event.Emit(w.tr, actorVNF, vnf, event.VNFDrain{Instance: instance})
	w.loop.AfterFunc(wait, func() {
		event.Emit(w.tr, actorVNF, vnf, event.VNFDrained{Instance: instance})
		done()
	})
	return nil
}

// DrainAt drains an instance and returns when its in-flight work will be
// done: the form the HTTP API needs, which cannot hold a callback.
func (w *World) DrainAt(vnf, instance string) (time.Time, error) {
	v, i, err := w.lookup(vnf, instance)
	if err != nil {
		return time.Time{}, err
	}
	wait := v.ServiceTime
	if v.Mode == ModeActiveStandby || !i.InRotation {
		wait = 0
	}
	if err := w.Drain(vnf, instance, func() {}); err != nil {
		return time.Time{}, err
	}
	return w.loop.Now().Add(wait), nil
}

func (w *World) Undrain(vnf, instance string) error {
	v, i, err := w.lookup(vnf, instance)
	if err != nil {
		return err
	}
	if !i.up() {
		return escalator.Errorf(escalator.ECONFLICT, "instance %s is down", instance)
	}
	v.change("undrain "+instance, func() {
		i.Drained = false
		if v.Mode == ModeLoadBalanced {
			i.InRotation = true
		} else {
			i.Ready = true
		}
	})
	event.Emit(w.tr, actorVNF, vnf, event.VNFUndrain{Instance: instance})
	return nil
}

// Scale sets the instance count of a load-balanced VNF. Scaling in takes
// the newest members out of rotation and deletes their VMs, freeing room;
// scaling out places new members (never on a node in maintenance) and puts
// them in rotation.
func (w *World) Scale(vnf string, n int) error {
	v, _, err := w.lookup(vnf, "")
	if err != nil {
		return err
	}
	switch {
	case v.Mode != ModeLoadBalanced:
		return escalator.Errorf(escalator.ECONFLICT, "VNF %s is %s; only load-balanced VNFs scale", vnf, v.Mode)
	case n < 1:
		return escalator.Errorf(escalator.EINVALID, "a VNF needs at least one instance")
	case float64(n)*v.CapacityPerInstance < v.Load:
		return escalator.Errorf(escalator.ECONFLICT, "%d instances of %.0f/s cannot carry the load of %.0f/s", n, v.CapacityPerInstance, v.Load)
	}
	from := len(v.Instances)
	for len(v.Instances) > n {
		i := v.Instances[len(v.Instances)-1]
		v.change("scale in: remove "+i.VM.ID, func() {
			i.InRotation = false
			v.Instances = v.Instances[:len(v.Instances)-1]
		})
		w.NFVI.Delete(i.VM)
	}
	for len(v.Instances) < n {
		proto := v.Instances[0].VM
		vm := &VM{ID: fmt.Sprintf("%s-%d", v.Name, v.next()), VNFM: proto.VNFM, VNF: v.Name, Group: proto.Group, VCPUs: proto.VCPUs, MemoryGiB: proto.MemoryGiB}
		if err := w.NFVI.PlaceVM(vm, "", false); err != nil {
			return escalator.Errorf(escalator.ECONFLICT, "scaling %s out: %v", vnf, err)
		}
		i := &Instance{vnf: v, VM: vm, Role: RoleMember, Ready: true}
		vm.inst = i
		v.change("scale out: add "+vm.ID, func() {
			i.InRotation = true
			v.Instances = append(v.Instances, i)
		})
	}
	event.Emit(w.tr, actorVNF, vnf, event.VNFScaled{From: from, To: n})
	return nil
}
