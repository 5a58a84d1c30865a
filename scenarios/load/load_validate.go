package load

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

var (
	loadModes         = []string{spec.ModeActiveStandby, spec.ModeLoadBalanced}
	loadBehaviors     = spec.Behaviors()
	loadNotifyAuth    = []string{"", "basic", "oauth2"}
	loadFlows         = []string{spec.FlowF1, spec.FlowF2, spec.FlowNaive}
	loadOnNack        = []string{spec.OnNackFail, spec.OnNackSkip}
	loadDefects       = []string{"ignore-reply", "ignore-max-parallel", "ignore-vnf-groups", "ignore-vnf-limits", "forget-on-restart"}
	loadFaults        = spec.FaultNames(func(spec.FaultKind) bool { return true })
	loadUpgradeFaults = spec.FaultNames(func(k spec.FaultKind) bool { return k.Class == spec.FaultNode })
	loadTimedFaults   = spec.FaultNames(func(k spec.FaultKind) bool { return k.Class == spec.FaultTimed })
	loadNodeFaults    = spec.FaultNames(func(k spec.FaultKind) bool { return k.NeedsNode })
	loadLastingFaults = spec.FaultNames(func(k spec.FaultKind) bool { return k.For != spec.ForNone })
	loadForFaults     = spec.FaultNames(func(k spec.FaultKind) bool { return k.For == spec.ForRequired })
	loadFactorFaults  = spec.FaultNames(func(k spec.FaultKind) bool { return k.Factor })
	loadBatchBy       = []string{"", "zone"}
	loadPrechecks     = []string{"capacity", "none"}
	loadDeadlines     = []string{"PLANNED_MAINTENANCE", "SCALE_IN", "MAINTENANCE_COMPLETE"}
	loadMigrations    = []string{spec.MigrationLive, spec.MigrationCold, spec.MigrationNone}
	loadClocks        = []string{"virtual", "real"}
	loadNodeStates    = []string{"normal", "maintenance", "upgrading", "verifying", "failed"}
	loadOutcomes      = []string{spec.OutcomeCompleted, spec.OutcomeRollback, spec.OutcomeFailed, spec.OutcomeRefused}

	// The outcome check always runs, so it is no name for checks:, but a
	// negative control may expect it to fail.
	loadViolationNames = judge.AllCheckNames()
	loadBoundChecks    = judge.BoundChecks()
)

// nodeAt is where path was written, or where its closest written ancestor
// was: a defaulted field is best blamed on the mapping that left it out.
func (d *loadDecoder) nodeAt(path string) *yaml.Node {
	for {
		if n, ok := d.at[path]; ok {
			return n
		}
		if path == "" {
			return d.root
		}
		if i := strings.LastIndexAny(path, ".["); i >= 0 {
			path = path[:i]
		} else {
			path = ""
		}
	}
}

func (d *loadDecoder) problem(path, hint, format string, args ...any) {
	d.addAt(d.nodeAt(path), path, hint, format, args...)
}

// keyProblem blames the key itself, for problems with a map key's name.
func (d *loadDecoder) keyProblem(path, hint, format string, args ...any) {
	n, ok := d.keys[path]
	if !ok {
		n = d.nodeAt(path)
	}
	d.addAt(n, path, hint, format, args...)
}

func (d *loadDecoder) enum(path, what, got string, options []string) bool {
	if slices.Contains(options, got) {
		return true
	}
	d.problem(path, loadEnumHint(got, options), "unknown %s %q", what, got)
	return false
}

func (d *loadDecoder) nonEmpty(path, got string) bool {
	if strings.TrimSpace(got) != "" {
		return true
	}
	d.problem(path, "", "must not be empty")
	return false
}

// firstLine is the line where path was written, for "first at line N".
func (d *loadDecoder) firstLine(path string) int {
	if n := d.nodeAt(path); n != nil {
		return n.Line
	}
	return 0
}

// validate checks what decoding cannot: values against their sets and
// fields against each other. It runs after ApplyDefaults, on the values
// the run will use.
func (d *loadDecoder) validate(s *spec.Scenario) {
	d.validateName(s.Name)
	topo := d.topology(&s.Nodes)
	d.validateVNFs(s, topo)
	d.validateWorld(s, topo)
	d.identifier("vnfm.name", "VNFM name", "it names the VNFM's endpoint", s.VNFM.Name)
	d.enum("vnfm.behavior", "behavior", s.VNFM.Behavior, loadBehaviors)
	d.enum("vnfm.notifyAuth", "notifyAuth", s.VNFM.NotifyAuth, loadNotifyAuth)
	d.validateConformance(s)
	d.validateUpgrade(&s.Upgrade, topo)
	d.validateFaults(s, topo)
	d.validateHorizon(s, topo)
	d.validateChecks(s)
	d.enum("expect.outcome", "outcome", s.Expect.Outcome, loadOutcomes)
	// A negative control may also expect its own thresholds and assertions to fail.
	d.names("expect.violations", "check", s.Expect.Violations, slices.Concat(loadViolationNames, judge.ExpectCheckNames(s)))
	d.validateExpectations(s)
}

// loadTopology answers questions about the nodes without materialising
// "count: 100000" generated nodes.
type loadTopology struct {
	count  int // generated nodes; 0 when listed
	prefix string
	vcpus  int // of every generated node
	mem    int
	list   []spec.NodeSpec
	index  map[string]int
}

func (t *loadTopology) size() int {
	if t.count > 0 {
		return t.count
	}
	return len(t.list)
}

func (t *loadTopology) has(name string) bool {
	if t.count == 0 {
		_, ok := t.index[name]
		return ok
	}
	num, ok := strings.CutPrefix(name, t.prefix+"-")
	if !ok || num == "" || num[0] == '0' || len(num) > 19 {
		return false
	}
	i, err := strconv.Atoi(num)
	return err == nil && i >= 1 && i <= t.count && strconv.Itoa(i) == num
}

func (t *loadTopology) hint(name string) string {
	if t.count > 0 {
		switch t.count {
		case 1:
			return fmt.Sprintf("the only node is %s-1", t.prefix)
		case 2:
			return fmt.Sprintf("the nodes are %s-1 and %s-2", t.prefix, t.prefix)
		}
		return fmt.Sprintf("the nodes are %s-1 to %s-%d", t.prefix, t.prefix, t.count)
	}
	names := make([]string, len(t.list))
	for i, n := range t.list {
		names[i] = n.Name
	}
	if s, ok := loadSuggest(name, names); ok {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return "the nodes are " + strings.Join(names, ", ")
}

func (t *loadTopology) fits(vcpus, mem int) bool {
	if t.count > 0 {
		return vcpus <= t.vcpus && mem <= t.mem
	}
	for _, n := range t.list {
		if vcpus <= n.VCPUs && mem <= n.MemoryGiB {
			return true
		}
	}
	return false
}

func (t *loadTopology) largest() (vcpus, mem int) {
	if t.count > 0 {
		return t.vcpus, t.mem
	}
	for _, n := range t.list {
		vcpus, mem = max(vcpus, n.VCPUs), max(mem, n.MemoryGiB)
	}
	return vcpus, mem
}

// total is in float64 so that absurd sizes compare without overflowing.
func (t *loadTopology) total() (vcpus, mem float64) {
	if t.count > 0 {
		return float64(t.count) * float64(t.vcpus), float64(t.count) * float64(t.mem)
	}
	for _, n := range t.list {
		vcpus += float64(n.VCPUs)
		mem += float64(n.MemoryGiB)
	}
	return vcpus, mem
}

// topology validates the nodes and returns them, or nil when they are too
// broken to check anything against (those checks would only echo this).
func (d *loadDecoder) topology(n *spec.NodesSpec) *loadTopology {
	for i, z := range n.Zones {
		d.nonEmpty(loadIndex("nodes.zones", i), z)
	}
	switch {
	case n.Count > 0 && len(n.List) > 0:
		d.problem("nodes.count", "", "set either count or list, not both")
		return nil
	case n.Count == 0 && len(n.List) == 0:
		path := "nodes"
		if _, ok := d.at["nodes.list"]; ok {
			path = "nodes.list"
		}
		if _, ok := d.at["nodes.count"]; ok {
			path = "nodes.count"
		}
		d.problem(path, "set nodes.count, or list the nodes under nodes.list", "no nodes defined")
		return nil
	case n.Count > 0:
		return &loadTopology{count: n.Count, prefix: n.Prefix, vcpus: n.VCPUs, mem: n.MemoryGiB}
	}
	t := &loadTopology{list: n.List, index: map[string]int{}}
	for i, node := range n.List {
		p := loadIndex("nodes.list", i) + ".name"
		if !d.nonEmpty(p, node.Name) {
			continue
		}
		if first, dup := t.index[node.Name]; dup {
			d.problem(p, "", "node %q is already defined at line %d", node.Name,
				d.firstLine(loadIndex("nodes.list", first)+".name"))
			continue
		}
		t.index[node.Name] = i
	}
	return t
}

func (d *loadDecoder) validateVNFs(s *spec.Scenario, topo *loadTopology) {
	var needCPU, needMem float64
	seen := map[string]int{}
	for i, v := range s.VNFs {
		p := loadIndex("vnfs", i)
		if d.identifier(p+".name", "VNF name", "it names the VNF's instances and its path in the VNF control API", v.Name) {
			if first, dup := seen[v.Name]; dup {
				d.problem(p+".name", "", "VNF %q is already defined at line %d", v.Name,
					d.firstLine(loadIndex("vnfs", first)+".name"))
			} else {
				seen[v.Name] = i
			}
		}
		if d.enum(p+".mode", "mode", v.Mode, loadModes) {
			switch v.Mode {
			case spec.ModeActiveStandby:
				if v.Instances < 2 {
					d.problem(p+".instances", "an active-standby VNF needs a standby",
						"active-standby needs at least 2 instances, got %d", v.Instances)
				}
			case spec.ModeLoadBalanced:
				if capacity := float64(v.Instances) * float64(v.CapacityPerInstance); capacity < float64(v.Load) {
					d.problem(p+".capacityPerInstance", "raise instances or capacityPerInstance",
						"capacity %s/s below load %s/s", spec.FormatNumber(capacity), spec.FormatNumber(float64(v.Load)))
				}
			}
		}
		antiAffine := v.AntiAffinity == nil || *v.AntiAffinity
		if len(v.Placement) > v.Instances {
			d.problem(p+".placement", "give at most one node per instance",
				"%d placement entries for %d instances", len(v.Placement), v.Instances)
		}
		placed := map[string]bool{}
		for j, node := range v.Placement {
			pj := loadIndex(p+".placement", j)
			switch {
			case topo != nil && !topo.has(node):
				d.problem(pj, topo.hint(node), "unknown node %q", node)
			case antiAffine && placed[node]:
				d.problem(pj, "set antiAffinity: false or pick another node",
					"node %q is already used by another instance, but the instances are anti-affine", node)
			}
			placed[node] = true
		}
		if topo == nil {
			continue
		}
		d.validateLimits(p+".maintenance", v)
		copies := float64(max(1, v.Replicas))
		if topo.fits(v.Flavor.VCPUs, v.Flavor.MemoryGiB) {
			// A flavor that fits nowhere is reported once, not again in the sum.
			needCPU += copies * float64(v.Instances) * float64(v.Flavor.VCPUs)
			needMem += copies * float64(v.Instances) * float64(v.Flavor.MemoryGiB)
		} else {
			cpu, mem := topo.largest()
			d.problem(p+".flavor", "",
				"flavor %d vCPUs / %d GiB fits on no node (nodes have at most %d vCPUs and %d GiB)",
				v.Flavor.VCPUs, v.Flavor.MemoryGiB, cpu, mem)
		}
		if antiAffine && v.Instances > topo.size() {
			d.problem(p+".instances", "set antiAffinity: false or add nodes",
				"%d anti-affine instances need %d distinct nodes, the topology has %d",
				v.Instances, v.Instances, topo.size())
		}
	}
	if topo == nil {
		return
	}
	haveCPU, haveMem := topo.total()
	if needCPU > haveCPU {
		d.problem("vnfs", "add nodes or use smaller flavors",
			"the VNFs need %s vCPUs in all, the nodes have %s",
			spec.FormatNumber(needCPU), spec.FormatNumber(haveCPU))
	}
	if needMem > haveMem {
		d.problem("vnfs", "add nodes or use smaller flavors",
			"the VNFs need %s GiB of memory in all, the nodes have %s",
			spec.FormatNumber(needMem), spec.FormatNumber(haveMem))
	}
}

// validateLimits checks a VNF's IFA 011 maintenance limits against its
// own size.
func (d *loadDecoder) validateLimits(p string, v spec.VNFSpec) {
	m := v.Maintenance
	if m == nil {
		return
	}
	if m.MaxImpacted > v.Instances {
		d.problem(p+".maxImpacted", "", "%d is more than the VNF's %d instances", m.MaxImpacted, v.Instances)
	}
	if m.MinPreserved >= v.Instances {
		d.problem(p+".minPreserved", "keep fewer than all instances, or no node hosting one can ever be upgraded",
			"%d leaves no instance that may be impacted (the VNF has %d)", m.MinPreserved, v.Instances)
	}
	seen := map[string]bool{}
	for i, t := range m.MigrationTypes {
		pi := loadIndex(p+".migrationTypes", i)
		if d.enum(pi, "migration type", t, loadMigrations) && seen[t] {
			d.problem(pi, "", "migration type %q is listed twice", t)
		}
		seen[t] = true
	}
	if seen[spec.MigrationNone] && len(m.MigrationTypes) > 1 {
		d.problem(p+".migrationTypes", "", "none cannot be combined with other migration types")
	}
}

func (d *loadDecoder) validateUpgrade(u *spec.UpgradeSpec, topo *loadTopology) {
	d.enum("upgrade.batchBy", "batchBy", u.BatchBy, loadBatchBy)
	if u.Precheck != "" {
		d.enum("upgrade.precheck", "precheck", u.Precheck, loadPrechecks)
	}
	for _, st := range slices.Sorted(maps.Keys(u.ReplyDeadlines)) {
		p := loadJoin("upgrade.replyDeadlines", st)
		if !slices.Contains(loadDeadlines, st) {
			d.keyProblem(p, loadEnumHint(st, loadDeadlines), "unknown maintenance state %q", st)
		} else if u.ReplyDeadlines[st] <= 0 {
			d.problem(p, "", "must be greater than 0")
		}
	}
	d.enum("upgrade.flow", "flow", u.Flow, loadFlows)
	d.nonEmpty("upgrade.targetVersion", u.TargetVersion)
	if topo != nil {
		seen := map[string]bool{}
		for i, node := range u.Nodes {
			p := loadIndex("upgrade.nodes", i)
			switch {
			case !topo.has(node):
				d.problem(p, topo.hint(node), "unknown node %q", node)
			case seen[node]:
				d.problem(p, "", "node %q is listed twice", node)
			}
			seen[node] = true
		}
		if u.MaxParallel > topo.size() {
			d.problem("upgrade.maxParallel", "",
				"%d is more than the %d nodes of the topology", u.MaxParallel, topo.size())
		}
	}
	d.enum("upgrade.onNack", "onNack action", u.OnNack, loadOnNack)
	for i, defect := range u.Defects {
		d.enum(loadIndex("upgrade.defects", i), "defect", defect, loadDefects)
	}
}

func (d *loadDecoder) validateFaults(s *spec.Scenario, topo *loadTopology) {
	if s.Clock.Mode != "" {
		d.enum("clock.mode", "clock mode", s.Clock.Mode, loadClocks)
	}
	for i, f := range s.Faults {
		p := loadIndex("faults", i)
		if !d.enum(p+".do", "fault", f.Do, loadFaults) {
			continue
		}
		upgradeFault := slices.Contains(loadUpgradeFaults, f.Do)
		if slices.Contains(loadNodeFaults, f.Do) && f.Node == "" {
			d.problem(p+".node", "name the node it hits", "a %s fault needs a node", f.Do)
		}
		if f.Factor != 0 && !slices.Contains(loadFactorFaults, f.Do) {
			d.problem(p+".factor", "", "factor applies only to %s", loadAnd(loadFactorFaults))
		}
		if f.Factor != 0 && f.Factor < 1 {
			d.problem(p+".factor", "a slow migration takes longer: use 2 for twice as long", "must be at least 1")
		}
		if f.For != 0 && !slices.Contains(loadLastingFaults, f.Do) {
			d.problem(p+".for", "", "for applies only to %s", loadAnd(loadLastingFaults))
		}
		if slices.Contains(loadForFaults, f.Do) && f.For <= 0 {
			d.problem(p+".for", "say how long, e.g. for: 2m", "a %s fault needs a duration", f.Do)
		}
		if upgradeFault && (f.At != 0 || f.When != "") {
			d.problem(p+".do", "a node fault fires at the node's first upgrade; drop at and when", "%s takes no at or when", f.Do)
		}
		if slices.Contains(loadTimedFaults, f.Do) && f.Count > 1 {
			d.problem(p+".count", "", "%s happens once; add another fault for a second time", f.Do)
		}
		if f.When != "" {
			d.validateWhen(p+".when", f.When, topo)
		}
		if f.Node == "" || topo == nil {
			continue
		}
		switch {
		case !topo.has(f.Node):
			d.problem(p+".node", topo.hint(f.Node), "unknown node %q", f.Node)
		case upgradeFault && len(s.Upgrade.Nodes) > 0 && !slices.Contains(s.Upgrade.Nodes, f.Node):
			d.problem(p+".node", "add it to upgrade.nodes or drop the fault",
				"node %q is not upgraded, so this fault never fires", f.Node)
		}
	}
}

// validateWhen checks a step trigger: "node NAME STATE".
func (d *loadDecoder) validateWhen(p, when string, topo *loadTopology) {
	f := strings.Fields(when)
	if len(f) != 3 || f[0] != "node" {
		d.problem(p, `write "node compute-3 upgrading" (states: `+strings.Join(loadNodeStates, ", ")+`)`, "cannot read trigger %q", when)
		return
	}
	if topo != nil && !topo.has(f[1]) {
		d.problem(p, topo.hint(f[1]), "unknown node %q", f[1])
	}
	d.enum(p, "node state", f[2], loadNodeStates)
}

func (d *loadDecoder) validateChecks(s *spec.Scenario) {
	for _, name := range slices.Sorted(maps.Keys(s.Checks)) {
		p := loadJoin("checks", name)
		if !slices.Contains(judge.CheckNames, name) {
			d.keyProblem(p, loadEnumHint(name, judge.CheckNames), "unknown check %q", name)
			continue
		}
		// An empty reason is no reason: the check would run though the
		// author meant to switch it off, or, read the other way, be off
		// without saying why. Either way the file does not say what it means.
		if _, written := d.at[p+".disabled"]; written && strings.TrimSpace(s.Checks[name].Disabled) == "" {
			d.problem(p+".disabled", `say why, e.g. disabled: "the naive flow never notifies", or drop the key to keep the check`,
				"switching a check off takes a reason")
		}
		if s.Checks[name].Bound != 0 && !slices.Contains(loadBoundChecks, name) {
			d.problem(p+".bound", "", "bound applies only to %s", loadAnd(loadBoundChecks))
		}
	}
}

// names checks a list of names against their set, each at most once.
func (d *loadDecoder) names(path, what string, got, options []string) {
	seen := map[string]bool{}
	for i, name := range got {
		p := loadIndex(path, i)
		if !d.enum(p, what, name, options) {
			continue
		}
		if seen[name] {
			d.problem(p, "", "%s %q is listed twice", what, name)
		}
		seen[name] = true
	}
}

var conformanceID = regexp.MustCompile(`^[A-Z]{2,6}-[0-9]{3}$`)

func (d *loadDecoder) validateConformance(s *spec.Scenario) {
	c := s.Conformance
	if c == nil {
		return
	}
	if !conformanceID.MatchString(c.ID) {
		d.problem("conformance.id", "use AREA-NNN, e.g. MNT-002", "conformance id %q is not AREA-NNN", c.ID)
	}
	d.nonEmpty("conformance.title", c.Title)
	d.nonEmpty("conformance.objective", c.Objective)
	d.nonEmpty("conformance.reference", c.Reference)
	if len(c.DecidedBy) == 0 {
		d.problem("conformance.decidedBy", "name the checks that decide the case, e.g. [reply-in-time]", "a conformance case needs at least one deciding check")
	}
	d.names("conformance.decidedBy", "check", c.DecidedBy, slices.Concat(judge.AllCheckNames(), judge.ConformanceCheckNames()))
	profiles := slices.DeleteFunc(spec.Behaviors(), func(n string) bool { return n == spec.BehaviorReference })
	d.names("conformance.failedBy", "misbehaviour profile", c.FailedBy, profiles)
}

// loadAnd joins names the way a sentence lists them: "a, b and c".
func loadAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
