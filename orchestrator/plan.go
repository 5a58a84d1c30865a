package orchestrator

import (
	"fmt"
	"slices"
	"time"
)

// plan picks the next batch. F1 takes up to maxParallel nodes, skipping any
// node that would put more instances of one instance group out of service
// than the group allows; each skipped node gets the reason, nomad-style, so a
// trace explains why a batch is smaller than maxParallel. F2 and the naive
// strategy take one node (naive takes maxParallel).
func (m *Manager) plan(s *session) (nodes []string, deferred map[string]string, wait time.Duration) {
	limit := s.cfg.MaxParallel
	if s.cfg.has(DefectIgnoreMaxParallel) {
		limit *= 2
	}
	if s.cfg.Flow == FlowF2 {
		limit = 1
	}
	checkGroups := s.cfg.Flow == FlowF1 && !s.cfg.has(DefectIgnoreVNFGroups)
	// Instances already out of service outside the batch (a node failed
	// unplanned, a VM down) count against their group's limit: taking
	// the other member of a pair whose standby is down would take the VNF
	// down.
	impacted := map[string]int{}
	if checkGroups {
		for _, n := range m.p.Cloud.Nodes() {
			for _, vm := range m.p.Cloud.VMsOn(n.ID) {
				if vm.Group != "" && (n.State != NodeNormal || vm.State == "down") {
					impacted[vm.Group]++
				}
			}
		}
	}
	zones, states := map[string]string{}, map[string]string{}
	for _, n := range m.p.Cloud.Nodes() {
		zones[n.ID], states[n.ID] = n.Zone, n.State
	}
	now := m.p.Clock.Now()
	defer_ := func(node, why string) {
		if deferred == nil {
			deferred = map[string]string{}
		}
		deferred[node] = why
	}
	for _, node := range s.pending {
		if len(nodes) == limit {
			break
		}
		if s.cfg.BatchByZone && len(nodes) > 0 && zones[node] != zones[nodes[0]] {
			continue // not this batch's zone; no reason needed, it waits its turn
		}
		if states[node] == NodeFailed {
			// It will be skipped when its batch starts; its own dead VMs
			// must not hold it (or anything) back.
			nodes = append(nodes, node)
			continue
		}
		groups := map[string]int{}
		for _, vm := range m.p.Cloud.VMsOn(node) {
			if vm.Group != "" {
				groups[vm.Group]++
			}
		}
		// IFA 011 recovery time: a group hit recently may not be hit again
		// yet, whatever the batch.
		if why, until := recovering(s, groups, now); why != "" && !s.cfg.has(DefectIgnoreVNFLimits) {
			defer_(node, why)
			if w := until.Sub(now); wait == 0 || w < wait {
				wait = w
			}
			continue
		}
		if !checkGroups {
			groups = map[string]int{}
		}
		// The first node always goes: a group over its limit on one node
		// alone (anti-affinity off) cannot be helped by waiting.
		if why := overLimit(s, groups, impacted); why != "" && (len(nodes) > 0 || outside(groups, impacted)) {
			defer_(node, why)
			continue
		}
		for g, n := range groups {
			impacted[g] += n
		}
		nodes = append(nodes, node)
	}
	if len(nodes) > 0 {
		wait = 0
	} else if wait == 0 && len(deferred) > 0 {
		// Held back by instances down elsewhere: look again in a while.
		wait = replanInterval
	}
	return nodes, deferred, wait
}

// replanInterval is how often a planner held back by instances out of
// service outside the upgrade looks again.
const replanInterval = time.Minute

// outside reports whether a group of the node is already impacted by
// something other than this batch: then even a batch's first node must
// wait.
func outside(groups, impacted map[string]int) bool {
	for g := range groups {
		if impacted[g] > 0 {
			return true
		}
	}
	return false
}

// recovering names a group of the node still inside its recovery time,
// and when that ends.
func recovering(s *session, groups map[string]int, now time.Time) (string, time.Time) {
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	for _, g := range names {
		rec := s.cfg.GroupRecovery[g]
		end, hit := s.impactEnd[g]
		if rec > 0 && hit && now.Before(end.Add(rec)) {
			until := end.Add(rec)
			return fmt.Sprintf("instance group %s is recovering until %s (minimum %s between impacts)", g, until.Format(time.RFC3339), rec), until
		}
	}
	return "", time.Time{}
}

func overLimit(s *session, groups, impacted map[string]int) string {
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	for _, g := range names {
		if total, max := impacted[g]+groups[g], s.cfg.groupLimit(g); total > max {
			return fmt.Sprintf("instance group %s would have %d instances out of service, at most %d allowed", g, total, max)
		}
	}
	return ""
}
