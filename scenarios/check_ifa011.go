package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// vnfLimits are the IFA 011 limits a VNF declared, as the trace recorded
// them at deployment.
type vnfLimits struct {
	lead, recovery time.Duration
	maxImpacted    int
	minPreserved   int
	migration      []string
}

// checkIFA011 holds every VNF that declared maintenance limits to them,
// from the trace alone. An instance is impacted while its VM is down or
// moving, or its node is upgrading, verifying or failed (maintenance mode
// alone does not touch it).
func checkIFA011(j *judge) []Violation {
	limits := map[string]vnfLimits{}
	for _, e := range j.find("vnf.deployed", "") {
		if _, ok := e.Fields["maxImpacted"]; !ok {
			continue
		}
		lead, _ := time.ParseDuration(e.Str("leadTime"))
		rec, _ := time.ParseDuration(e.Str("minRecoveryTime"))
		limits[e.Subject] = vnfLimits{lead: lead, recovery: rec, maxImpacted: int(e.Num("maxImpacted")),
			minPreserved: int(e.Num("minPreserved")), migration: e.Strs("migrationTypes")}
	}
	if len(limits) == 0 {
		return nil
	}
	names := make([]string, 0, len(limits))
	for vnf := range limits {
		names = append(names, vnf)
	}
	slices.Sort(names) // violations come out in a stable order
	var out []Violation
	reported := map[string]bool{}
	report := func(key string, v Violation) {
		if !reported[key] {
			reported[key] = true
			out = append(out, v)
		}
	}
	notified := map[string]escalator.Event{} // VM → the last maintenance notification naming it
	wasImpacted := map[string]bool{}         // VNF → impacted after the previous event
	lastEnd := map[string]escalator.Event{}  // VNF → the event that ended its last impact
	j.replay(func(i int, e escalator.Event, w *world) {
		if e.Kind == "vnfm.notify" && e.Str("type") == orchestrator.TypeMaintenance {
			for _, vm := range e.Strs("instances") {
				notified[vm] = e
			}
		}
		// Lead time and migration types: at each touch of an instance.
		var touched []string
		switch e.Kind {
		case "node.upgrade-started":
			touched = w.vmsOn(e.Subject)
		case "vm.migrating":
			touched = []string{e.Subject}
			lim, ok := limits[w.vmVNF[e.Subject]]
			if ok && len(lim.migration) > 0 {
				kind := "cold"
				if e.Fields["live"] == true {
					kind = "live"
				}
				if !slices.Contains(lim.migration, kind) {
					report("migration "+e.Subject, Violation{
						Message: fmt.Sprintf("VM %s of %s was moved by %s migration; the VNF allows %v", e.Subject, w.vmVNF[e.Subject], kind, lim.migration),
						Events:  []escalator.Event{e},
					})
				}
			}
		}
		for _, vm := range touched {
			lim, ok := limits[w.vmVNF[vm]]
			if !ok || lim.lead == 0 {
				continue
			}
			n, told := notified[vm]
			if told && e.At-n.At < lim.lead {
				report("lead "+vm, Violation{
					Message: fmt.Sprintf("VM %s of %s was impacted %s after its notification; the VNF needs a lead time of %s", vm, w.vmVNF[vm], e.At-n.At, lim.lead),
					Events:  []escalator.Event{n, e},
				})
			}
		}
		// Impact counts and recovery time: whenever a state could change.
		switch e.Kind {
		case "node.state", "vm.state", "vm.migrated":
		default:
			return
		}
		for _, vnf := range names {
			lim := limits[vnf]
			vms := w.vnfVMs[vnf]
			hit := 0
			for _, vm := range vms {
				switch {
				case w.vmState[vm] != "running":
					hit++
				case slices.Contains([]string{orchestrator.NodeUpgrading, orchestrator.NodeVerifying, orchestrator.NodeFailed}, w.nodeState[w.vmHost[vm]]):
					hit++
				}
			}
			if lim.maxImpacted > 0 && hit > lim.maxImpacted {
				report("max "+vnf, Violation{Message: fmt.Sprintf("%d instances of %s were impacted at once; the VNF allows %d", hit, vnf, lim.maxImpacted), Events: []escalator.Event{e}})
			}
			if lim.minPreserved > 0 && len(vms)-hit < lim.minPreserved {
				report("min "+vnf, Violation{Message: fmt.Sprintf("only %d instances of %s stayed in service; the VNF needs %d", len(vms)-hit, vnf, lim.minPreserved), Events: []escalator.Event{e}})
			}
			now := hit > 0
			switch {
			case now && !wasImpacted[vnf]:
				// An impact that resumes at the very instant it ended (a
				// member moved off, then its node upgraded) is one impact.
				if end, ok := lastEnd[vnf]; ok && lim.recovery > 0 && e.At > end.At && e.At-end.At < lim.recovery {
					report(fmt.Sprintf("recovery %s %d", vnf, e.Seq), Violation{
						Message: fmt.Sprintf("%s was impacted again %s after its last impact ended; the VNF needs %s to recover", vnf, e.At-end.At, lim.recovery),
						Events:  []escalator.Event{end, e},
					})
				}
			case !now && wasImpacted[vnf]:
				lastEnd[vnf] = e
			}
			wasImpacted[vnf] = now
		}
	})
	slices.SortStableFunc(out, func(a, b Violation) int { return int(a.Events[len(a.Events)-1].Seq - b.Events[len(b.Events)-1].Seq) })
	return out
}
