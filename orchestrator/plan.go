package orchestrator

import (
	"fmt"
	"slices"
)

// plan picks the next batch. F1 takes up to maxParallel nodes, skipping any
// node that would put more instances of one instance group out of service
// than the group allows; each skipped node gets the reason, nomad-style, so a
// trace explains why a batch is smaller than maxParallel. F2 and the naive
// strategy take one node (naive takes maxParallel).
func (m *Manager) plan(s *session) (nodes []string, deferred map[string]string) {
	limit := s.cfg.MaxParallel
	if s.cfg.has(DefectIgnoreMaxParallel) {
		limit *= 2
	}
	if s.cfg.Flow == FlowF2 {
		limit = 1
	}
	checkGroups := s.cfg.Flow == FlowF1 && !s.cfg.has(DefectIgnoreVNFGroups)
	impacted := map[string]int{}
	for _, node := range s.pending {
		if len(nodes) == limit {
			break
		}
		groups := map[string]int{}
		if checkGroups {
			for _, vm := range m.p.Cloud.VMsOn(node) {
				if vm.Group != "" {
					groups[vm.Group]++
				}
			}
		}
		// The first node always goes: a group over its limit on one node
		// alone (anti-affinity off) cannot be helped by waiting.
		if why := overLimit(s, groups, impacted); why != "" && len(nodes) > 0 {
			if deferred == nil {
				deferred = map[string]string{}
			}
			deferred[node] = why
			continue
		}
		for g, n := range groups {
			impacted[g] += n
		}
		nodes = append(nodes, node)
	}
	return nodes, deferred
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
