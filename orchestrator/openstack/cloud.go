package openstack

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/aggregates"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/hypervisors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/services"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// The actor of every event a real cloud emits: the same as the simulated
// NFVI's, so every check reads a real run as it reads a simulated one.
const actor = "nfvi"

// Server metadata that binds a Nova server to the testbed. A server that
// carries none of it is still listed and still moved; it simply belongs to
// no VNFM, so no VNFM is asked before it is touched.
const (
	MetaVM    = "escalator_vm"    // the VM's ID in the trace and the APIs (default: the server's UUID)
	MetaVNF   = "escalator_vnf"   // the VNF it runs
	MetaVNFM  = "escalator_vnfm"  // the VNFM that manages it
	MetaGroup = "escalator_group" // its anti-affinity (instance) group
)

// MetaVersion is the host aggregate metadata key that holds a host's
// software version (see doc.go for why aggregates).
const MetaVersion = "escalator_version"

// ReasonPrefix starts the disabled_reason of every compute service the
// orchestrator disables, so that it never re-enables one an operator
// disabled for a reason of their own.
const ReasonPrefix = "escalator"

// Config is how the orchestrator reaches Nova and gets back to its own
// goroutine.
type Config struct {
	// Compute is an authenticated compute client (Connect).
	Compute *gophercloud.ServiceClient
	// Post runs fn on the orchestrator's goroutine: the real-time loop's
	// Post. Every completion and every event goes through it, so the
	// Manager and the trace stay single-goroutine.
	Post func(fn func())
	// Trace receives the NFVI's events; it is only called from Post'ed
	// functions or from the port methods (both on the loop).
	Trace escalator.Emitter
	// Hosts limits the nodes to these compute hosts (empty: all).
	Hosts []string
	// Session names the upgrade session in progress, for the
	// disabled_reason; nil or "" gives a reason without it.
	Session func() string
	// Business, when set, says whether a VM still serves traffic, from a
	// traffic model bound to the servers (known false: a server the model
	// does not run). Nova cannot see traffic, so any other ACTIVE server
	// counts as serving and is moved before its host is upgraded.
	Business func(vm string) (carries, known bool)
	// BaseVersion is the version of a host no aggregate names (default
	// "1.0").
	BaseVersion string
	// Poll is how often a migration's progress is read (default 1 s).
	Poll time.Duration
	// MigrationTimeout bounds one migration (default 10 min).
	MigrationTimeout time.Duration
}

type node struct {
	id, serviceID, zone, version, state  string
	vcpus, memGiB, usedVCPUs, usedMemGiB int
	// ours says the compute service is disabled by us, so we may enable it.
	ours bool
	// after is the state an upgrade or a verification ends in; op counts
	// system-support operations so that a late one is recognised.
	after string
	op    int
}

type server struct {
	uuid, vm, host, status, state string
	vnf, vnfm, group              string
	vcpus, memGiB                 int
}

// Cloud is the orchestrator's CloudManager on a real Nova. Its methods run
// on the orchestrator's goroutine and never block: they answer from its
// own view of the cloud, read once by New and kept current by its own
// operations, and send every request to Nova from other goroutines, whose
// answers come back through Config.Post. Requests that change the cloud go
// out one at a time in the order they were made (a host is disabled before
// a server is moved off it); the waits for Nova to finish run beside them.
type Cloud struct {
	cfg   Config
	nova  *gophercloud.ServiceClient
	nodes []*node
	byID  map[string]*node
	vms   map[string]*server // by VM ID (the metadata's, or the UUID)

	ctx    context.Context
	cancel context.CancelFunc
	// The queue of requests that change the cloud. It has no bound, so
	// that the loop never waits to add to it (a batch of a thousand hosts
	// queues a thousand PUTs at once).
	mu      sync.Mutex
	pending []func(context.Context)
	wake    chan struct{}
	wg      sync.WaitGroup
}

// New reads the cloud (compute services, hypervisors, servers, the
// version aggregates) and starts the request queue. Call it before the
// loop runs: it blocks on Nova. Post and Trace may come later, through
// Attach, but before any other method is called. Close stops it.
func New(ctx context.Context, cfg Config) (*Cloud, error) {
	if cfg.Compute == nil {
		return nil, escalator.Errorf(escalator.EINTERNAL, "openstack.New needs a compute client")
	}
	if cfg.BaseVersion == "" {
		cfg.BaseVersion = "1.0"
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.MigrationTimeout <= 0 {
		cfg.MigrationTimeout = 10 * time.Minute
	}
	c := &Cloud{cfg: cfg, nova: cfg.Compute, byID: map[string]*node{}, vms: map[string]*server{}, wake: make(chan struct{}, 1)}
	if err := c.load(ctx); err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go c.work()
	return c, nil
}

// Attach joins the cloud to the loop it will serve, once the loop and
// the trace exist (a testbed built from what New found): the loop's Post,
// the trace, the bound traffic model and the session in progress. Nil
// arguments leave Config's values.
func (c *Cloud) Attach(post func(func()), trace escalator.Emitter, business func(string) (bool, bool), session func() string) {
	if post != nil {
		c.cfg.Post = post
	}
	if trace != nil {
		c.cfg.Trace = trace
	}
	if business != nil {
		c.cfg.Business = business
	}
	if session != nil {
		c.cfg.Session = session
	}
}

// Close stops the queue and every wait on Nova; what was under way is
// left as Nova has it. Call it once the loop no longer runs.
func (c *Cloud) Close() {
	c.cancel()
	c.wg.Wait()
}

func (c *Cloud) work() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.mu.Unlock()
			select {
			case <-c.ctx.Done():
				return
			case <-c.wake:
			}
			continue
		}
		job := c.pending[0]
		c.pending = c.pending[1:]
		c.mu.Unlock()
		if c.ctx.Err() != nil {
			return
		}
		job(c.ctx)
	}
}

// do queues a request that changes the cloud; it runs after every one
// queued before it. It never blocks.
func (c *Cloud) do(job func(ctx context.Context)) {
	c.mu.Lock()
	c.pending = append(c.pending, job)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// wait runs a long wait on Nova beside the queue.
func (c *Cloud) wait(job func(ctx context.Context)) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		job(c.ctx)
	}()
}

func novaErr(op string, err error) error {
	code := escalator.EUNAVAILABLE
	switch {
	case gophercloud.ResponseCodeIs(err, 400), gophercloud.ResponseCodeIs(err, 409):
		code = escalator.ECONFLICT
	case gophercloud.ResponseCodeIs(err, 404):
		code = escalator.ENOTFOUND
	case gophercloud.ResponseCodeIs(err, 403), gophercloud.ResponseCodeIs(err, 401):
		code = escalator.EINVALID
	}
	return &escalator.Error{Code: code, Op: "nova " + op, Err: err}
}

func (c *Cloud) load(ctx context.Context) error {
	pages, err := services.List(c.nova, services.ListOpts{Binary: "nova-compute"}).AllPages(ctx)
	if err != nil {
		return novaErr("list compute services (admin needed)", err)
	}
	svcs, err := services.ExtractServices(pages)
	if err != nil {
		return novaErr("list compute services", err)
	}
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Host < svcs[j].Host })
	for _, s := range svcs {
		if len(c.cfg.Hosts) > 0 && !slices.Contains(c.cfg.Hosts, s.Host) {
			continue
		}
		n := &node{id: s.Host, serviceID: s.ID, zone: s.Zone, version: c.cfg.BaseVersion, state: orchestrator.NodeNormal}
		switch {
		case s.State != "up":
			n.state = orchestrator.NodeFailed
		case s.Status == "disabled":
			n.state = orchestrator.NodeMaintenance
			n.ours = strings.HasPrefix(s.DisabledReason, ReasonPrefix)
		}
		c.nodes = append(c.nodes, n)
		c.byID[n.id] = n
	}
	for _, h := range c.cfg.Hosts {
		if c.byID[h] == nil {
			return escalator.Errorf(escalator.ENOTFOUND, "no nova-compute service on host %q", h)
		}
	}
	if len(c.nodes) == 0 {
		return escalator.Errorf(escalator.ENOTFOUND, "the cloud has no nova-compute service")
	}
	hpages, err := hypervisors.List(c.nova, hypervisors.ListOpts{}).AllPages(ctx)
	if err != nil {
		return novaErr("list hypervisors", err)
	}
	hyps, err := hypervisors.ExtractHypervisors(hpages)
	if err != nil {
		return novaErr("list hypervisors", err)
	}
	for _, h := range hyps {
		if n := c.byID[h.Service.Host]; n != nil {
			n.vcpus += h.VCPUs
			n.memGiB += h.MemoryMB / 1024
		}
	}
	versions, err := c.readVersions(ctx)
	if err != nil {
		return err
	}
	for host, v := range versions {
		if n := c.byID[host]; n != nil {
			n.version = v
		}
	}
	all, err := c.listServers(ctx, "")
	if err != nil {
		return err
	}
	for _, s := range all {
		if c.byID[s.host] == nil {
			continue
		}
		c.vms[s.vm] = s
		n := c.byID[s.host]
		n.usedVCPUs += s.vcpus
		n.usedMemGiB += s.memGiB
	}
	return nil
}

// readVersions reads each host's version from the aggregates' metadata.
func (c *Cloud) readVersions(ctx context.Context) (map[string]string, error) {
	pages, err := aggregates.List(c.nova).AllPages(ctx)
	if err != nil {
		return nil, novaErr("list aggregates", err)
	}
	aggs, err := aggregates.ExtractAggregates(pages)
	if err != nil {
		return nil, novaErr("list aggregates", err)
	}
	out := map[string]string{}
	for _, a := range aggs {
		if v := a.Metadata[MetaVersion]; v != "" {
			for _, h := range a.Hosts {
				out[h] = v
			}
		}
	}
	return out, nil
}

func (c *Cloud) listServers(ctx context.Context, host string) ([]*server, error) {
	pages, err := servers.List(c.nova, servers.ListOpts{AllTenants: true, Host: host}).AllPages(ctx)
	if err != nil {
		return nil, novaErr("list servers (all_tenants, admin needed)", err)
	}
	list, err := servers.ExtractServers(pages)
	if err != nil {
		return nil, novaErr("list servers", err)
	}
	out := make([]*server, 0, len(list))
	for _, s := range list {
		out = append(out, serverOf(s))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].vm < out[j].vm })
	return out, nil
}

func serverOf(s servers.Server) *server {
	v := &server{uuid: s.ID, vm: s.ID, host: s.Host, status: s.Status,
		vnf: s.Metadata[MetaVNF], vnfm: s.Metadata[MetaVNFM], group: s.Metadata[MetaGroup]}
	if id := s.Metadata[MetaVM]; id != "" {
		v.vm = id
	}
	v.state = vmState(s.Status)
	// Since 2.47 the server embeds its flavor's sizes.
	if f, ok := s.Flavor["vcpus"].(float64); ok {
		v.vcpus = int(f)
	}
	if f, ok := s.Flavor["ram"].(float64); ok {
		v.memGiB = int((f + 1023) / 1024)
	}
	return v
}

// vmState maps Nova's server status to the VM states of the ports.
func vmState(status string) string {
	switch status {
	case "ACTIVE":
		return orchestrator.VMRunning
	case "MIGRATING", "RESIZE", "VERIFY_RESIZE":
		return orchestrator.VMMigrating
	default:
		return orchestrator.VMDown
	}
}

// Announce puts the cloud as found into the trace (node.added, vm.placed),
// as the simulated NFVI does when it builds its world. A testbed whose
// simulated world already announced the same hosts and VMs skips it.
func (c *Cloud) Announce() {
	for _, n := range c.nodes {
		event.Emit(c.cfg.Trace, actor, n.id, event.NodeAdded{Zone: n.zone, Version: n.version, VCPUs: n.vcpus, MemoryGiB: n.memGiB})
		if n.state != orchestrator.NodeNormal {
			event.Emit(c.cfg.Trace, actor, n.id, event.NodeState{From: orchestrator.NodeNormal, To: n.state})
		}
	}
	for _, id := range c.vmIDs() {
		s := c.vms[id]
		event.Emit(c.cfg.Trace, actor, s.vm, event.VMPlaced{Node: s.host, VNF: s.vnf, VNFM: s.vnfm, Group: s.group, NodeState: c.byID[s.host].state})
	}
}

// AnnounceBeside puts into the trace what a simulated world announcing the
// same hosts and the simulated VMs did not: the hosts not in normal
// service, and the servers simulated says it does not run.
func (c *Cloud) AnnounceBeside(simulated func(vm string) bool) {
	for _, n := range c.nodes {
		if n.state != orchestrator.NodeNormal {
			event.Emit(c.cfg.Trace, actor, n.id, event.NodeState{From: orchestrator.NodeNormal, To: n.state})
		}
	}
	for _, id := range c.vmIDs() {
		if s := c.vms[id]; !simulated(id) {
			event.Emit(c.cfg.Trace, actor, s.vm, event.VMPlaced{Node: s.host, VNF: s.vnf, VNFM: s.vnfm, Group: s.group, NodeState: c.byID[s.host].state})
		}
	}
}

// Host is one compute host as the cloud was found.
type Host struct {
	ID, Zone, Version, State string
	VCPUs, MemoryGiB         int
}

// Server is one server as the cloud was found, with its escalator metadata.
type Server struct {
	VM, UUID, Host, Status string
	VNF, VNFM, Group       string
}

// Inventory is the cloud as New found it and its own operations changed
// it, hosts and servers in ID order. Call it on the loop, or before it runs.
func (c *Cloud) Inventory() ([]Host, []Server) {
	hosts := make([]Host, len(c.nodes))
	for i, n := range c.nodes {
		hosts[i] = Host{ID: n.id, Zone: n.zone, Version: n.version, State: n.state, VCPUs: n.vcpus, MemoryGiB: n.memGiB}
	}
	var list []Server
	for _, id := range c.vmIDs() {
		s := c.vms[id]
		list = append(list, Server{VM: s.vm, UUID: s.uuid, Host: s.host, Status: s.status, VNF: s.vnf, VNFM: s.vnfm, Group: s.group})
	}
	return hosts, list
}

// Finish records each host's final state and version (node.final).
func (c *Cloud) Finish() {
	for _, n := range c.nodes {
		event.Emit(c.cfg.Trace, actor, n.id, event.NodeFinal{State: n.state, Version: n.version})
	}
}

func (c *Cloud) vmIDs() []string {
	ids := make([]string, 0, len(c.vms))
	for id := range c.vms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ServerID is the Nova UUID of a VM, "" if the cloud has no such VM.
func (c *Cloud) ServerID(vm string) string {
	if s := c.vms[vm]; s != nil {
		return s.uuid
	}
	return ""
}

func (c *Cloud) setNodeState(n *node, state string) {
	if n.state == state {
		return
	}
	from := n.state
	n.state = state
	event.Emit(c.cfg.Trace, actor, n.id, event.NodeState{From: from, To: state})
}

func (c *Cloud) setVMState(s *server, state, cause string) {
	if s.state == state {
		return
	}
	from := s.state
	s.state = state
	event.Emit(c.cfg.Trace, actor, s.vm, event.VMState{From: from, To: state, Node: s.host, Cause: cause})
}

// --- orchestrator.CloudManager ---

// Nodes lists the compute hosts, in host-name order.
func (c *Cloud) Nodes() []orchestrator.NodeInfo {
	out := make([]orchestrator.NodeInfo, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = orchestrator.NodeInfo{ID: n.id, Zone: n.zone, Version: n.version, State: n.state,
			VCPUs: n.vcpus, MemoryGiB: n.memGiB, UsedVCPUs: n.usedVCPUs, UsedMemGiB: n.usedMemGiB}
	}
	return out
}

// VMsOn lists the servers on a host (all projects), in VM-ID order.
func (c *Cloud) VMsOn(node string) []orchestrator.VMInfo {
	var out []orchestrator.VMInfo
	for _, id := range c.vmIDs() {
		s := c.vms[id]
		if s.host == node {
			out = append(out, orchestrator.VMInfo{ID: s.vm, Host: s.host, State: s.state, VNFM: s.vnfm, VNF: s.vnf,
				Group: s.group, VCPUs: s.vcpus, MemoryGiB: s.memGiB})
		}
	}
	return out
}

// SetMaintenance disables a host's compute service with a reason naming
// the session, so that the scheduler places nothing there, or enables it
// again. The view changes at once and the request follows in order; if
// Nova refuses it, the node turns failed, since a maintenance Nova does
// not know of would let the scheduler use the host.
func (c *Cloud) SetMaintenance(nodeID string, on bool) error {
	n := c.byID[nodeID]
	if n == nil {
		return escalator.Errorf(escalator.ENOTFOUND, "node %q does not exist", nodeID)
	}
	var opts services.UpdateOpts
	switch {
	case on && n.state == orchestrator.NodeNormal:
		reason := ReasonPrefix + " upgrade: maintenance"
		if c.cfg.Session != nil {
			if id := c.cfg.Session(); id != "" {
				reason = ReasonPrefix + " upgrade session " + id + ": maintenance"
			}
		}
		opts = services.UpdateOpts{Status: services.ServiceDisabled, DisabledReason: reason}
		n.ours = true
		c.setNodeState(n, orchestrator.NodeMaintenance)
	case on:
		return nil
	case n.state == orchestrator.NodeNormal:
		return nil
	case n.state == orchestrator.NodeMaintenance && n.ours:
		opts = services.UpdateOpts{Status: services.ServiceEnabled}
		n.ours = false
		c.setNodeState(n, orchestrator.NodeNormal)
	case n.state == orchestrator.NodeMaintenance:
		return escalator.Errorf(escalator.ECONFLICT, "node %s was disabled by someone else; escalator leaves it disabled", nodeID)
	default:
		return escalator.Errorf(escalator.ECONFLICT, "node %s is %s", nodeID, n.state)
	}
	id := n.serviceID
	c.do(func(ctx context.Context) {
		_, err := services.Update(ctx, c.nova, id, opts).Extract()
		if err == nil {
			return
		}
		err = novaErr("update compute service "+nodeID, err)
		c.cfg.Post(func() {
			event.Emit(c.cfg.Trace, actor, nodeID, event.NodeCommand{Step: "maintenance", Exit: -1,
				Command: fmt.Sprintf("PUT /os-services/%s status=%s", id, opts.Status), Error: err.Error()})
			c.setNodeState(n, orchestrator.NodeFailed)
		})
	})
	return nil
}

// CarriesBusiness asks the bound traffic model, or else takes an ACTIVE
// server as serving.
func (c *Cloud) CarriesBusiness(vm string) bool {
	if c.cfg.Business != nil {
		if carries, known := c.cfg.Business(vm); known {
			return carries
		}
	}
	s := c.vms[vm]
	return s != nil && s.status == "ACTIVE"
}
