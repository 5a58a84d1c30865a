package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

const (
	actorNFVI = "nfvi"

	vmRunning   = orchestrator.VMRunning
	vmMigrating = orchestrator.VMMigrating
	vmDown      = orchestrator.VMDown
)

// NodeConfig describes one compute node.
type NodeConfig struct {
	ID, Zone  string
	VCPUs     int
	MemoryGiB int
	Version   string
}

// Timings are the infrastructure's durations.
type Timings struct {
	NodeUpgrade   time.Duration
	Verify        time.Duration
	LiveMigration time.Duration // memory copy while the VM serves
	Blackout      time.Duration // final pause of a live migration
	ColdMigration time.Duration // VM down while it moves
}

// NodeFault makes a node's first upgrade attempt misbehave.
type NodeFault string

const (
	FaultNone         NodeFault = ""
	FaultUpgradeFails NodeFault = "upgrade-fails"
	FaultUpgradeHangs NodeFault = "upgrade-hangs"
	FaultVerifyFails  NodeFault = "verify-fails"
	FaultNodeCrash    NodeFault = "node-crash"
)

// MigrationFault says what goes wrong with one migration: it fails at the
// end, or it takes Factor times longer (0 or 1: normal speed).
type MigrationFault struct {
	Fail   bool
	Factor float64
}

// Node is a simulated compute node.
type Node struct {
	ID, Zone   string
	VCPUs      int
	MemoryGiB  int
	UsedVCPUs  int
	UsedMemGiB int
	Version    string
	State      string
	VMs        []*VM
	index      int
	fault      NodeFault
	// after is the state a node returns to when an upgrade or a
	// verification ends well.
	after string
}

func (n *Node) fits(vm *VM) bool {
	return n.VCPUs-n.UsedVCPUs >= vm.VCPUs && n.MemoryGiB-n.UsedMemGiB >= vm.MemoryGiB
}

func (n *Node) hostsGroup(group string, except *VM) bool {
	if group == "" {
		return false
	}
	for _, v := range n.VMs {
		if v != except && v.Group == group {
			return true
		}
	}
	return false
}

// VM is a simulated virtual machine. inst links it to the VNF instance it
// runs, if any.
type VM struct {
	ID        string
	Host      *Node
	VNFM      string
	VNF       string
	Group     string // anti-affinity group; "" when the VM has none
	VCPUs     int
	MemoryGiB int
	State     string
	inst      *Instance
}

// NFVI is the simulated infrastructure: nodes, VMs, the placement function,
// migration and the node agents. It implements orchestrator.CloudManager and
// orchestrator.SystemSupport.
type NFVI struct {
	loop   *Loop
	tr     escalator.Emitter
	t      Timings
	nodes  []*Node
	byNode map[string]*Node
	vms    []*VM
	byVM   map[string]*VM
	// free orders the nodes for the spread placement.
	free *freeIndex
	// MigrationHook, when set, is asked about each migration as it starts:
	// the fault injection point for failing and slow migrations.
	MigrationHook func(vm *VM) MigrationFault
}

// NewNFVI builds the nodes. VMs come from PlaceVM.
func NewNFVI(loop *Loop, tr escalator.Emitter, t Timings, nodes []NodeConfig) *NFVI {
	w := &NFVI{loop: loop, tr: tr, t: t, byNode: map[string]*Node{}, byVM: map[string]*VM{}, free: newFreeIndex(len(nodes))}
	for i, c := range nodes {
		n := &Node{ID: c.ID, Zone: c.Zone, VCPUs: c.VCPUs, MemoryGiB: c.MemoryGiB, Version: c.Version, State: orchestrator.NodeNormal, index: i}
		w.nodes = append(w.nodes, n)
		w.byNode[n.ID] = n
		w.free.add(n.VCPUs, i)
		event.Emit(tr, actorNFVI, n.ID, event.NodeAdded{Zone: n.Zone, Version: n.Version, VCPUs: n.VCPUs, MemoryGiB: n.MemoryGiB})
	}
	return w
}

// Node returns a node by id.
func (w *NFVI) Node(id string) *Node { return w.byNode[id] }

// VM returns a VM by id.
func (w *NFVI) VM(id string) *VM { return w.byVM[id] }

// SetFault arms a fault for a node's next upgrade attempt.
func (w *NFVI) SetFault(node string, f NodeFault) { w.byNode[node].fault = f }

func (w *NFVI) setNodeState(n *Node, state string) {
	if n.State == state {
		return
	}
	from := n.State
	n.State = state
	event.Emit(w.tr, actorNFVI, n.ID, event.NodeState{From: from, To: state})
}

func (w *NFVI) setVMState(vm *VM, state, cause string) {
	if vm.State == state {
		return
	}
	from := vm.State
	served := 0.0
	if vm.inst != nil {
		served = vm.inst.vnf.servedBy(vm.inst)
	}
	vm.State = state
	event.Emit(w.tr, actorNFVI, vm.ID, event.VMState{From: from, To: state, Node: vm.Host.ID, Cause: cause})
	if vm.inst != nil {
		vm.inst.vnf.vmStateChanged(vm.inst, from, served, cause)
	}
}

// errNoHost is returned when no node can take a VM.
var errNoHost = errors.New("no node in normal service has room and satisfies anti-affinity")

// pick is the placement function: the first node in prefer (then topology
// order) that is in normal service (or, for a deliberately broken scheduler,
// in maintenance), has room, and hosts no other VM of the VM's anti-affinity
// group. With spread set and no preference it picks the emptiest node, as an
// initial deployment would.
func (w *NFVI) pick(vm *VM, prefer []string, spread, ignoreMaintenance bool) (*Node, error) {
	ok := func(n *Node) bool {
		if n == vm.Host || !n.fits(vm) || n.hostsGroup(vm.Group, vm) {
			return false
		}
		return n.State == orchestrator.NodeNormal || (ignoreMaintenance && n.State == orchestrator.NodeMaintenance)
	}
	for _, id := range prefer {
		if n := w.byNode[id]; n != nil && ok(n) {
			return n, nil
		}
	}
	if spread {
		// The emptiest node that qualifies, the first in topology order
		// among equals: the first the index gives.
		if i := w.free.first(func(i int) bool { return ok(w.nodes[i]) }); i >= 0 {
			return w.nodes[i], nil
		}
		return nil, errNoHost
	}
	for _, n := range w.nodes {
		if ok(n) {
			return n, nil
		}
	}
	return nil, errNoHost
}

// use books vcpus and memGiB more (or, negative, less) on a node, keeping
// the placement's index in step.
func (w *NFVI) use(n *Node, vcpus, memGiB int) {
	before := n.VCPUs - n.UsedVCPUs
	n.UsedVCPUs += vcpus
	n.UsedMemGiB += memGiB
	w.free.move(before, n.VCPUs-n.UsedVCPUs, n.index)
}

// PlaceVM creates a VM on a node: the named one if on is set, else the
// placement function's choice.
func (w *NFVI) PlaceVM(vm *VM, on string, ignoreMaintenance bool) error {
	if _, dup := w.byVM[vm.ID]; dup {
		return fmt.Errorf("VM %s exists", vm.ID)
	}
	var n *Node
	if on != "" {
		n = w.byNode[on]
		if n == nil {
			return fmt.Errorf("node %s does not exist", on)
		}
		if !n.fits(vm) {
			return fmt.Errorf("VM %s does not fit on node %s", vm.ID, on)
		}
	} else {
		var err error
		if n, err = w.pick(vm, nil, true, ignoreMaintenance); err != nil {
			return fmt.Errorf("placing VM %s: %w", vm.ID, err)
		}
	}
	w.attach(vm, n)
	vm.State = vmRunning
	w.vms = append(w.vms, vm)
	w.byVM[vm.ID] = vm
	event.Emit(w.tr, actorNFVI, vm.ID, event.VMPlaced{Node: n.ID, VNF: vm.VNF, VNFM: vm.VNFM, Group: vm.Group, NodeState: n.State})
	return nil
}

// Delete removes a VM and frees its room.
func (w *NFVI) Delete(vm *VM) {
	w.detach(vm)
	delete(w.byVM, vm.ID)
	for i, x := range w.vms {
		if x == vm {
			w.vms = append(w.vms[:i], w.vms[i+1:]...)
			break
		}
	}
	event.Emit(w.tr, actorNFVI, vm.ID, event.VMDeleted{Node: vm.Host.ID})
}

func (w *NFVI) attach(vm *VM, n *Node) {
	vm.Host = n
	n.VMs = append(n.VMs, vm)
	w.use(n, vm.VCPUs, vm.MemoryGiB)
}

func (w *NFVI) detach(vm *VM) {
	n := vm.Host
	for i, v := range n.VMs {
		if v == vm {
			n.VMs = append(n.VMs[:i], n.VMs[i+1:]...)
			break
		}
	}
	w.use(n, -vm.VCPUs, -vm.MemoryGiB)
}

// --- orchestrator.CloudManager ---

func (w *NFVI) Nodes() []orchestrator.NodeInfo {
	out := make([]orchestrator.NodeInfo, len(w.nodes))
	for i, n := range w.nodes {
		out[i] = orchestrator.NodeInfo{ID: n.ID, Zone: n.Zone, Version: n.Version, State: n.State,
			VCPUs: n.VCPUs, MemoryGiB: n.MemoryGiB, UsedVCPUs: n.UsedVCPUs, UsedMemGiB: n.UsedMemGiB}
	}
	return out
}

func (w *NFVI) VMsOn(node string) []orchestrator.VMInfo {
	n := w.byNode[node]
	if n == nil {
		return nil
	}
	out := make([]orchestrator.VMInfo, len(n.VMs))
	for i, v := range n.VMs {
		out[i] = orchestrator.VMInfo{ID: v.ID, Host: n.ID, State: v.State, VNFM: v.VNFM, VNF: v.VNF, Group: v.Group, VCPUs: v.VCPUs, MemoryGiB: v.MemoryGiB}
	}
	return out
}

func (w *NFVI) SetMaintenance(node string, on bool) error {
	n := w.byNode[node]
	if n == nil {
		return escalator.Errorf(escalator.ENOTFOUND, "node %q does not exist", node)
	}
	switch {
	case on && (n.State == orchestrator.NodeNormal):
		w.setNodeState(n, orchestrator.NodeMaintenance)
	case on:
		// Already out of placement. A failed node stays failed, and a hung
		// one stays upgrading, until it is reinstalled.
	case !on && (n.State == orchestrator.NodeMaintenance || n.State == orchestrator.NodeNormal):
		w.setNodeState(n, orchestrator.NodeNormal)
	default:
		return escalator.Errorf(escalator.ECONFLICT, "node %s is %s", node, n.State)
	}
	return nil
}

func (w *NFVI) CarriesBusiness(vm string) bool {
	v := w.byVM[vm]
	return v != nil && v.inst != nil && v.inst.carrying()
}

func (w *NFVI) Migrate(vmID string, prefer []string, live bool, done orchestrator.MigrationDone) {
	vm := w.byVM[vmID]
	if vm == nil {
		w.loop.AfterFunc(0, func() { done("", fmt.Errorf("VM %q does not exist", vmID)) })
		return
	}
	to, err := w.pick(vm, prefer, false, false)
	if err != nil || vm.State != vmRunning {
		if err == nil {
			err = fmt.Errorf("VM is %s", vm.State)
		}
		event.Emit(w.tr, actorNFVI, vm.ID, event.VMMigrationFailed{From: vm.Host.ID, Error: err.Error()})
		w.loop.AfterFunc(0, func() { done("", err) })
		return
	}
	from := vm.Host
	var fault MigrationFault
	if w.MigrationHook != nil {
		fault = w.MigrationHook(vm)
	}
	slow := func(d time.Duration) time.Duration {
		if fault.Factor > 1 {
			return time.Duration(float64(d) * fault.Factor)
		}
		return d
	}
	// Reserve room on the target for the whole move so that nothing else
	// is placed into it meanwhile.
	w.use(to, vm.VCPUs, vm.MemoryGiB)
	event.Emit(w.tr, actorNFVI, vm.ID, event.VMMigrating{From: from.ID, To: to.ID, Live: live, ToState: to.State})
	finish := func() {
		if fault.Fail {
			w.use(to, -vm.VCPUs, -vm.MemoryGiB)
			event.Emit(w.tr, actorNFVI, vm.ID, event.VMMigrationFailed{From: from.ID, To: to.ID, Error: "the migration broke off (injected fault)"})
			w.setVMState(vm, vmRunning, "migration to "+to.ID+" failed")
			done("", fmt.Errorf("migration of %s to %s failed", vm.ID, to.ID))
			return
		}
		w.use(to, -vm.VCPUs, -vm.MemoryGiB)
		w.detach(vm)
		w.attach(vm, to)
		event.Emit(w.tr, actorNFVI, vm.ID, event.VMMigrated{From: from.ID, To: to.ID})
		w.setVMState(vm, vmRunning, "migrated to "+to.ID)
		done(to.ID, nil)
	}
	if !live {
		w.setVMState(vm, vmDown, "cold migration")
		w.loop.AfterFunc(slow(w.t.ColdMigration), finish)
		return
	}
	w.setVMState(vm, vmMigrating, "live migration")
	w.loop.AfterFunc(slow(w.t.LiveMigration), func() {
		if fault.Fail {
			finish()
			return
		}
		if vm.inst != nil && w.t.Blackout > 0 {
			vm.inst.vnf.pause(vm.inst, true, "live-migration blackout of "+vm.ID)
		}
		w.loop.AfterFunc(w.t.Blackout, func() {
			if vm.inst != nil && w.t.Blackout > 0 {
				vm.inst.vnf.pause(vm.inst, false, "live-migration blackout of "+vm.ID)
			}
			finish()
		})
	})
}

// --- orchestrator.SystemSupport: the node agent ---

// Upgrade reinstalls a node. Its VMs go down with it (the hypervisor
// restarts) and come back when the install ends.
func (w *NFVI) Upgrade(node, version string, done func(error)) {
	n := w.byNode[node]
	if n == nil {
		w.loop.AfterFunc(0, func() { done(fmt.Errorf("node %q does not exist", node)) })
		return
	}
	n.after = n.State
	if n.after != orchestrator.NodeNormal {
		n.after = orchestrator.NodeMaintenance
	}
	w.setNodeState(n, orchestrator.NodeUpgrading)
	event.Emit(w.tr, actorNFVI, n.ID, event.NodeUpgradeStarted{From: n.Version, To: version})
	for _, vm := range append([]*VM(nil), n.VMs...) {
		if vm.State != vmDown {
			w.setVMState(vm, vmDown, "node "+n.ID+" upgrading")
		}
	}
	fault := n.fault
	if fault == FaultUpgradeFails || fault == FaultUpgradeHangs || fault == FaultNodeCrash {
		n.fault = FaultNone
	}
	if fault == FaultUpgradeHangs {
		event.Emit(w.tr, "fault", n.ID, event.FaultUpgradeHangs{})
		return
	}
	if fault == FaultNodeCrash {
		w.loop.AfterFunc(w.t.NodeUpgrade/2, func() {
			if n.State != orchestrator.NodeUpgrading {
				return
			}
			event.Emit(w.tr, "fault", n.ID, event.FaultNodeCrash{})
			w.setNodeState(n, orchestrator.NodeFailed)
			done(fmt.Errorf("node %s crashed halfway through installing %s", n.ID, version))
		})
		return
	}
	w.loop.AfterFunc(w.t.NodeUpgrade, func() {
		if n.State != orchestrator.NodeUpgrading {
			return
		}
		if fault == FaultUpgradeFails {
			event.Emit(w.tr, "fault", n.ID, event.FaultUpgradeFails{})
			w.setNodeState(n, orchestrator.NodeFailed)
			done(fmt.Errorf("installing %s on %s failed", version, n.ID))
			return
		}
		from := n.Version
		n.Version = version
		event.Emit(w.tr, actorNFVI, n.ID, event.NodeVersion{From: from, To: version})
		w.setNodeState(n, n.after)
		for _, vm := range append([]*VM(nil), n.VMs...) {
			w.setVMState(vm, vmRunning, "node "+n.ID+" back")
		}
		done(nil)
	})
}

// FailNode is an unplanned failure: the node goes down with its VMs.
func (w *NFVI) FailNode(id, cause string) {
	n := w.byNode[id]
	if n == nil || n.State == orchestrator.NodeFailed {
		return
	}
	n.after = n.State
	w.setNodeState(n, orchestrator.NodeFailed)
	for _, vm := range append([]*VM(nil), n.VMs...) {
		if vm.State != vmDown {
			w.setVMState(vm, vmDown, cause)
		}
	}
}

// RepairNode brings a failed node back, with its VMs, in the state it had.
func (w *NFVI) RepairNode(id string) {
	n := w.byNode[id]
	if n == nil || n.State != orchestrator.NodeFailed {
		return
	}
	back := n.after
	if back == orchestrator.NodeUpgrading || back == orchestrator.NodeVerifying || back == "" {
		back = orchestrator.NodeNormal
	}
	w.setNodeState(n, back)
	for _, vm := range append([]*VM(nil), n.VMs...) {
		w.setVMState(vm, vmRunning, "node "+n.ID+" repaired")
	}
}

// Verify runs the post-upgrade health test on a node.
func (w *NFVI) Verify(node, version string, done func(error)) {
	n := w.byNode[node]
	if n == nil {
		w.loop.AfterFunc(0, func() { done(fmt.Errorf("node %q does not exist", node)) })
		return
	}
	back := n.State
	w.setNodeState(n, orchestrator.NodeVerifying)
	fault := n.fault
	if fault == FaultVerifyFails {
		n.fault = FaultNone
	}
	w.loop.AfterFunc(w.t.Verify, func() {
		if n.State != orchestrator.NodeVerifying {
			return
		}
		switch {
		case fault == FaultVerifyFails:
			event.Emit(w.tr, "fault", n.ID, event.FaultVerifyFails{})
			w.setNodeState(n, orchestrator.NodeFailed)
			done(fmt.Errorf("health test failed on %s", n.ID))
		case n.Version != version:
			w.setNodeState(n, orchestrator.NodeFailed)
			done(fmt.Errorf("node %s runs %s, not %s", n.ID, n.Version, version))
		default:
			w.setNodeState(n, back)
			done(nil)
		}
	})
}
