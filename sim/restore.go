package sim

import (
	"fmt"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/replay"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// Restore puts a freshly built world (the same scenario and seed, so the
// same nodes, VMs and VNFs) into the state the trace of an earlier run of
// it ends in: what a real cloud would still be in when the VIM process
// that drove it comes back after a kill. `escalator vim --state` needs it
// because its simulated world lives in the VIM's process and dies with
// it, while the world it stands for would not.
//
// The trace is read through event/replay, the same projection the judge
// reads, so the world carries on exactly from where the verdict's view of
// it stopped. Restore sets the state without emitting it (the trace holds
// it already), then lets what was under way at the kill carry on, as the
// parts of a cloud that do not live in the VIM's process would: a node
// being upgraded or verified finishes after the full step from now (its
// agent runs on the node), and a migration breaks off (the VIM's conductor
// died with it) and leaves the VM running where it was.
//
// It refuses, with an error, a trace whose VMs differ from the world's
// (VNFs scaled since they were deployed): restoring those is not
// implemented. The books of each service carry over (requests lost so
// far, the interruptions); the requests offered are counted from the
// restart.
func (w *World) Restore(events []escalator.Event) error {
	rw := replay.New()
	upgradingTo := map[string]string{}
	for _, e := range events {
		rw.Apply(e)
		p, ok, err := event.As[event.NodeUpgradeStarted](e)
		if err != nil {
			return fmt.Errorf("the trace's event %d: %w", e.Seq, err)
		}
		if ok {
			upgradingTo[e.Subject] = p.To
		}
	}
	if err := rw.Err(); err != nil {
		return fmt.Errorf("the trace does not replay: %w", err)
	}
	nf := w.NFVI
	for _, id := range rw.Nodes() {
		rn, _ := rw.Node(id)
		n := nf.byNode[id]
		if n == nil {
			return fmt.Errorf("the trace names node %s, which the scenario does not make", id)
		}
		if rn.Version != "" {
			n.Version = rn.Version
		}
		if rn.State != "" {
			n.State = rn.State
		}
		n.after = orchestrator.NodeMaintenance
	}
	// The VMs: each back on the host the trace last put it on.
	for _, vm := range nf.vms {
		rv, ok := rw.VM(vm.ID)
		if !ok || rv.Deleted || rv.Host == "" {
			return fmt.Errorf("VM %s of the scenario is not in the trace, or was deleted: a world whose VNFs scaled cannot be restored", vm.ID)
		}
		if rv.Host != vm.Host.ID {
			nf.detach(vm)
			nf.attach(vm, nf.byNode[rv.Host])
		}
		vm.State = rv.State
	}
	for _, id := range rw.Nodes() {
		if len(rw.VMsOn(id)) != len(nf.byNode[id].VMs) {
			return fmt.Errorf("node %s holds VMs the scenario does not make: a world whose VNFs scaled cannot be restored", id)
		}
	}
	for _, v := range w.VNFs {
		rv, _ := rw.VNF(v.Name)
		if rv.Size != len(v.Instances) {
			return fmt.Errorf("VNF %s has %d instances in the trace and %d in the scenario: a world whose VNFs scaled cannot be restored", v.Name, rv.Size, len(v.Instances))
		}
		v.active = nil
		for _, i := range v.Instances {
			r, _ := rw.VM(i.VM.ID)
			i.Drained, i.paused, i.wasCarrying = r.Drained, false, r.Carrying
			switch {
			case v.Mode == ModeActiveStandby && rv.Active == i.VM.ID:
				i.Role, v.active = RoleActive, i
			case v.Mode == ModeActiveStandby:
				i.Role = RoleStandby
				i.Ready = !r.Drained && i.up()
			default:
				i.InRotation = !r.Drained && i.up()
				i.Ready = !r.Drained
			}
		}
		v.Lost = 0
		v.Interruptions = nil
		for _, it := range rv.Interruptions {
			v.Lost += it.Lost
			v.Interruptions = append(v.Interruptions, Interruption{Start: it.Start, Duration: it.Duration, Lost: it.Lost, Cause: it.Cause})
		}
		v.open = nil
		v.since = w.loop.Elapsed()
	}
	// What was under way carries on.
	for _, vm := range nf.vms {
		if vm.State != vmMigrating && !(vm.State == vmDown && vm.Host.State != orchestrator.NodeUpgrading && vm.Host.State != orchestrator.NodeFailed) {
			continue
		}
		event.Emit(nf.tr, actorNFVI, vm.ID, event.VMMigrationFailed{From: vm.Host.ID, Error: "the VIM restarted: the migration broke off"})
		nf.setVMState(vm, vmRunning, "the VIM restarted")
	}
	for _, n := range nf.nodes {
		switch n.State {
		case orchestrator.NodeUpgrading:
			nf.finishUpgrade(n, upgradingTo[n.ID])
		case orchestrator.NodeVerifying:
			nf.loop.AfterFunc(nf.t.Verify, func() {
				if n.State == orchestrator.NodeVerifying {
					nf.setNodeState(n, orchestrator.NodeMaintenance)
				}
			})
		}
	}
	for _, v := range w.VNFs {
		v.recompute("the VIM restarted")
		if v.Mode == ModeActiveStandby && v.active == nil {
			v.failover()
		}
	}
	return nil
}

// finishUpgrade ends, after the upgrade's full time from now, the upgrade
// of a node that an earlier process started: its agent carried on while
// the VIM was away.
func (w *NFVI) finishUpgrade(n *Node, version string) {
	w.loop.AfterFunc(w.t.NodeUpgrade, func() {
		if n.State != orchestrator.NodeUpgrading || version == "" {
			return
		}
		from := n.Version
		n.Version = version
		event.Emit(w.tr, actorNFVI, n.ID, event.NodeVersion{From: from, To: version})
		w.setNodeState(n, n.after)
		for _, vm := range append([]*VM(nil), n.VMs...) {
			w.setVMState(vm, vmRunning, "node "+n.ID+" back")
		}
	})
}
