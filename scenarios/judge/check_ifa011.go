package judge

import (
	"fmt"
	"slices"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/replay"
)

// checkIFA011 holds every VNF that declared maintenance limits to them,
// from the trace alone. An instance is impacted while its VM is down or
// moving, or its node is upgrading, verifying or failed (maintenance mode
// alone does not touch it).
func checkIFA011(j *judge) walk {
	var out []Violation
	reported := map[string]bool{}
	report := func(key string, v Violation) {
		if !reported[key] {
			reported[key] = true
			out = append(out, v)
		}
	}
	var names []string                      // the VNFs with limits, sorted: violations come out in a stable order
	wasImpacted := map[string]bool{}        // VNF → impacted after the previous event
	lastEnd := map[string]escalator.Event{} // VNF → the event that ended its last impact
	limitsOf := func(w *replay.World, vm string) (string, *replay.Limits) {
		v, _ := w.VM(vm)
		vnf, _ := w.VNF(v.VNF)
		return v.VNF, vnf.Limits
	}
	step := func(i int, e escalator.Event, w *replay.World) {
		if e.Kind == "vnf.deployed" {
			if vnf, _ := w.VNF(e.Subject); vnf.Limits != nil && !slices.Contains(names, e.Subject) {
				names = append(names, e.Subject)
				slices.Sort(names)
			}
		}
		// Lead time and migration types: at each touch of an instance.
		var touched []string
		switch e.Kind {
		case "node.upgrade-started":
			touched = w.VMsOn(e.Subject)
		case "vm.migrating":
			touched = []string{e.Subject}
			vnf, lim := limitsOf(w, e.Subject)
			if lim != nil && len(lim.MigrationTypes) > 0 {
				kind := "cold"
				if evt[event.VMMigrating](e).Live {
					kind = "live"
				}
				if !slices.Contains(lim.MigrationTypes, kind) {
					report("migration "+e.Subject, Violation{
						Message: fmt.Sprintf("VM %s of %s was moved by %s migration; the VNF allows %v", e.Subject, vnf, kind, lim.MigrationTypes),
						Events:  []escalator.Event{e},
					})
				}
			}
		}
		for _, vm := range touched {
			vnf, lim := limitsOf(w, vm)
			if lim == nil || lim.LeadTime == 0 {
				continue
			}
			n, told := w.Notice(vm)
			if told && e.At-n.Event.At < lim.LeadTime {
				report("lead "+vm, Violation{
					Message: fmt.Sprintf("VM %s of %s was impacted %s after its notification; the VNF needs a lead time of %s", vm, vnf, e.At-n.Event.At, lim.LeadTime),
					Events:  []escalator.Event{n.Event, e},
				})
			}
		}
		// Impact counts and recovery time: whenever a state could change.
		switch e.Kind {
		case "node.state", "vm.state", "vm.migrated":
		default:
			return
		}
		for _, name := range names {
			vnf, _ := w.VNF(name)
			lim := vnf.Limits
			vms := w.Members(name)
			hit := 0
			for _, id := range vms {
				vm, _ := w.VM(id)
				switch {
				case vm.State != "running":
					hit++
				case slices.Contains([]string{event.NodeUpgrading, event.NodeVerifying, event.NodeFailed}, nodeState(w, vm.Host)):
					hit++
				}
			}
			if lim.MaxImpacted > 0 && hit > lim.MaxImpacted {
				report("max "+name, Violation{Message: fmt.Sprintf("%d instances of %s were impacted at once; the VNF allows %d", hit, name, lim.MaxImpacted), Events: []escalator.Event{e}})
			}
			if lim.MinPreserved > 0 && len(vms)-hit < lim.MinPreserved {
				report("min "+name, Violation{Message: fmt.Sprintf("only %d instances of %s stayed in service; the VNF needs %d", len(vms)-hit, name, lim.MinPreserved), Events: []escalator.Event{e}})
			}
			now := hit > 0
			switch {
			case now && !wasImpacted[name]:
				// An impact that resumes at the very instant it ended (a
				// member moved off, then its node upgraded) is one impact.
				if end, ok := lastEnd[name]; ok && lim.MinRecoveryTime > 0 && e.At > end.At && e.At-end.At < lim.MinRecoveryTime {
					report(fmt.Sprintf("recovery %s %d", name, e.Seq), Violation{
						Message: fmt.Sprintf("%s was impacted again %s after its last impact ended; the VNF needs %s to recover", name, e.At-end.At, lim.MinRecoveryTime),
						Events:  []escalator.Event{end, e},
					})
				}
			case !now && wasImpacted[name]:
				lastEnd[name] = e
			}
			wasImpacted[name] = now
		}
	}
	done := func() []Violation {
		slices.SortStableFunc(out, func(a, b Violation) int { return int(a.Events[len(a.Events)-1].Seq - b.Events[len(b.Events)-1].Seq) })
		return out
	}
	return walk{step, done}
}
