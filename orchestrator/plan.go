package orchestrator

import (
	"fmt"
	"slices"
	"time"
)

// The planner picks the next batch by running each pending node, in order,
// through the session's chain of filters, the way nomad's feasibility
// checkers vet a node: the first filter that defers a node keeps it out of
// this batch and says why; a node no filter defers joins the batch. The
// chain comes from the session's flow (flow.go), less whatever its defects
// take out (defect.go).

// A filter is one check of the chain.
type filter struct {
	// name identifies the filter in its chain, for a defect that takes it
	// out and for the tests.
	name string
	// traced: the filter's reasons go into the plan event's deferred
	// field. The filters that only shape the batch (its size, its zone)
	// are not traced: their reasons are kept in the plan result only.
	traced bool
	// check says why node may not join the batch r is building, or "" when
	// it may. until, when set, is when the reason ends.
	check func(r *round, node string) (why string, until time.Time)
}

// round is one pass of the planner: the world as it is now and the batch
// built so far.
type round struct {
	now       time.Time
	cloud     CloudManager
	nodes     map[string]NodeInfo
	impactEnd map[string]time.Time // the session's, read only
	batch     []string
	// inBatch counts, per instance group, the instances the batch's nodes
	// put out of service.
	inBatch map[string]int
	// out counts, per instance group, the instances out of service outside
	// the batch (a failed node, a VM down); nil until a filter asks.
	out    map[string]int
	groups map[string]map[string]int // node → its groups, as asked so far
}

func newRound(cloud CloudManager, now time.Time, impactEnd map[string]time.Time) *round {
	r := &round{now: now, cloud: cloud, nodes: map[string]NodeInfo{}, impactEnd: impactEnd,
		inBatch: map[string]int{}, groups: map[string]map[string]int{}}
	for _, n := range cloud.Nodes() {
		r.nodes[n.ID] = n
	}
	return r
}

// groupsOf counts the instances of each group that node would put out of
// service. A failed node puts none: its VMs are already out of service,
// and they must not hold it (or anything) back; it will be skipped when
// its batch starts.
func (r *round) groupsOf(node string) map[string]int {
	if g, ok := r.groups[node]; ok {
		return g
	}
	g := map[string]int{}
	if r.nodes[node].State != NodeFailed {
		for _, vm := range r.cloud.VMsOn(node) {
			if vm.Group != "" {
				g[vm.Group]++
			}
		}
	}
	r.groups[node] = g
	return g
}

// outside counts the instances already out of service outside the batch
// (a node failed unplanned, a VM down): they count against their group's
// limit, since taking the other member of a pair whose standby is down
// would take the VNF down.
func (r *round) outside() map[string]int {
	if r.out != nil {
		return r.out
	}
	r.out = map[string]int{}
	for _, n := range r.cloud.Nodes() {
		for _, vm := range r.cloud.VMsOn(n.ID) {
			if vm.Group != "" && (n.State != NodeNormal || vm.State == "down") {
				r.out[vm.Group]++
			}
		}
	}
	return r.out
}

func (r *round) admit(node string) {
	r.batch = append(r.batch, node)
	for g, n := range r.groupsOf(node) {
		r.inBatch[g] += n
	}
}

// deferral is one node a filter kept out of the batch.
type deferral struct {
	node, filter, reason string
	traced               bool
	until                time.Time
}

// planResult is what one pass of the planner decided.
type planResult struct {
	nodes    []string
	deferred []deferral // in pending order
	// wait, when nodes is empty, is how long until the planner should look
	// again.
	wait time.Duration
}

// traced is the plan event's deferred field: node → reason, for the
// traced filters only.
func (p planResult) traced() map[string]string {
	var out map[string]string
	for _, d := range p.deferred {
		if d.traced {
			if out == nil {
				out = map[string]string{}
			}
			out[d.node] = d.reason
		}
	}
	return out
}

// planBatch runs every pending node through the chain.
func planBatch(pending []string, chain []filter, r *round) planResult {
	var p planResult
	for _, node := range pending {
		held := false
		for _, f := range chain {
			if why, until := f.check(r, node); why != "" {
				p.deferred = append(p.deferred, deferral{node: node, filter: f.name, reason: why, traced: f.traced, until: until})
				held = true
				break
			}
		}
		if !held {
			r.admit(node)
		}
	}
	p.nodes = r.batch
	if len(p.nodes) > 0 || len(p.deferred) == 0 {
		return p
	}
	// Nothing can go: come back when the first reason ends, or, held back
	// by instances out of service elsewhere, in a while.
	for _, d := range p.deferred {
		if w := d.until.Sub(r.now); !d.until.IsZero() && (p.wait == 0 || w < p.wait) {
			p.wait = w
		}
	}
	if p.wait == 0 {
		p.wait = replanInterval
	}
	return p
}

// plan picks the session's next batch.
func (m *Manager) plan(s *session) planResult {
	p := planBatch(s.pending, s.chain, newRound(m.p.Cloud, m.p.Clock.Now(), s.impactEnd))
	if m.onPlan != nil {
		m.onPlan(p)
	}
	return p
}

// replanInterval is how often a planner held back by instances out of
// service outside the upgrade looks again.
const replanInterval = time.Minute

// The filters.

// batchSize closes the batch at limit nodes.
func batchSize(name string, limit int, why string) filter {
	return filter{name: name, check: func(r *round, _ string) (string, time.Time) {
		if len(r.batch) >= limit {
			return why, time.Time{}
		}
		return "", time.Time{}
	}}
}

const filterMaxParallel = "max-parallel"

// maxParallel takes up to the operator's maxParallel nodes.
func maxParallel(limit int) filter {
	return batchSize(filterMaxParallel, limit, fmt.Sprintf("maxParallel %d reached", limit))
}

// oneNode is F2's batch: one node.
var oneNode = batchSize("one-node", 1, "F2 upgrades one node at a time")

// sameZone fills a batch from the zone of its first node; a node of
// another zone waits its turn.
var sameZone = filter{name: "zone", check: func(r *round, node string) (string, time.Time) {
	if len(r.batch) > 0 {
		if z, first := r.nodes[node].Zone, r.nodes[r.batch[0]].Zone; z != first {
			return fmt.Sprintf("zone %s, the batch is zone %s", z, first), time.Time{}
		}
	}
	return "", time.Time{}
}}

const filterRecovery = "recovery"

// recovery is the IFA 011 recovery time: a group hit recently may not be
// hit again yet, whatever the batch.
func recovery(cfg *Config) filter {
	return filter{name: filterRecovery, traced: true, check: func(r *round, node string) (string, time.Time) {
		groups := r.groupsOf(node)
		for _, g := range sortedKeys(groups) {
			rec := cfg.GroupRecovery[g]
			end, hit := r.impactEnd[g]
			if rec > 0 && hit && r.now.Before(end.Add(rec)) {
				until := end.Add(rec)
				return fmt.Sprintf("instance group %s is recovering until %s (minimum %s between impacts)", g, until.Format(time.RFC3339), rec), until
			}
		}
		return "", time.Time{}
	}}
}

const filterGroups = "groups"

// groupLimits keeps the instances of each group out of service at once
// within the group's limit (IFA 011 maxImpacted), counting those out of
// service outside the batch.
func groupLimits(cfg *Config) filter {
	return filter{name: filterGroups, traced: true, check: func(r *round, node string) (string, time.Time) {
		groups, out := r.groupsOf(node), r.outside()
		for _, g := range sortedKeys(groups) {
			total, limit := out[g]+r.inBatch[g]+groups[g], cfg.groupLimit(g)
			if total <= limit {
				continue
			}
			// The first node always goes: a group over its limit on one
			// node alone (anti-affinity off) cannot be helped by waiting,
			// unless a group of the node is impacted elsewhere already.
			if len(r.batch) == 0 && !hitOutside(groups, out) {
				return "", time.Time{}
			}
			return fmt.Sprintf("instance group %s would have %d instances out of service, at most %d allowed", g, total, limit), time.Time{}
		}
		return "", time.Time{}
	}}
}

// hitOutside reports whether a group of the node is already impacted by
// something other than this batch.
func hitOutside(groups, out map[string]int) bool {
	for g := range groups {
		if out[g] > 0 {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// without returns chain less the filter named name.
func without(chain []filter, name string) []filter {
	return slices.DeleteFunc(slices.Clone(chain), func(f filter) bool { return f.name == name })
}

// replaced returns chain with the filter of f's name, if any, swapped for f.
func replaced(chain []filter, f filter) []filter {
	out := slices.Clone(chain)
	for i := range out {
		if out[i].name == f.name {
			out[i] = f
		}
	}
	return out
}
