package replay

import (
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
)

// Node is a compute node as the trace tells it.
type Node struct {
	ID    string
	State string        // "" for a node only a node.version named
	Since time.Duration // when it entered State
	// Version is the one it runs; Original the one it joined with.
	Version, Original string
}

// VM is one VM, or one instance of a VNF (an instance is its VM).
type VM struct {
	ID    string
	Host  string // "" once deleted
	State string // running, down, migrating, ..., deleted
	VNF   string
	VNFM  string
	// Role and Carrying are what the VM's last vm.business said.
	Role     string
	Carrying bool
	// Drained: taken out of rotation (a standby: out of sync) by a drain
	// and not restored since by an undrain or a resync.
	Drained bool
	// Deleted: deleted and not placed again.
	Deleted bool
}

// VNF is one VNF and its service.
type VNF struct {
	Name       string
	Mode       string
	Deployed   bool // a vnf.deployed named it
	DeployedAt time.Duration
	// Made is the instance count it was deployed with, Size the count now.
	Made, Size int
	// Active is the active instance of an active-standby VNF.
	Active string
	// VNFM manages it, as its last placed VM says.
	VNFM string
	// Limits are its IFA 011 limits, nil when it declared none.
	Limits *Limits
	// Interruptions are its service's stretches of loss, in trace order.
	Interruptions []Interruption
	// Summary is its service's books at the end, nil before.
	Summary *event.ServiceSummary
}

// Limits are the IFA 011 maintenance limits a VNF declared.
type Limits struct {
	LeadTime, MinRecoveryTime time.Duration
	MaxImpacted, MinPreserved int
	MigrationTypes            []string
}

// Interruption is one stretch during which a service lost requests.
type Interruption struct {
	Start, Duration time.Duration
	Lost            float64
	Cause           string
}

// Notification is one notification the VIM sent, by its ID, with the
// replies to it.
type Notification struct {
	Event   escalator.Event // the vnfm.notify
	Notify  event.VNFMNotify
	Replies []escalator.Event // every vnfm.reply naming it, accepted or not
	// Accepted is the first reply the VIM took, nil until then, and
	// AcceptedReply its fields.
	Accepted      *escalator.Event
	AcceptedReply event.VNFMReply
}

// Notice is the last maintenance notification that named a VM.
type Notice struct {
	Event  escalator.Event // the vnfm.notify
	Notify event.VNFMNotify
	// Open: it covers the VM still, until its VNFM is told the node the
	// VM was on when it was sent is available again.
	Open bool
	node string
}

// World is the projected state. The zero value is not ready; use New.
type World struct {
	nodes     map[string]*Node
	nodeOrder []string
	onNode    map[string]map[string]bool
	vms       map[string]*VM
	vnfs      map[string]*VNF
	vnfOrder  []string
	members   map[string][]string        // VNF → its VMs, in placement order
	notices   map[string]*Notice         // VM → the notice naming it
	noticed   map[string]map[string]bool // node → the VMs noticed while on it: whose notices its availability closes
	notes     map[string]*Notification
	noteOrder []string
	err       error
}

// New returns the world before any event.
func New() *World {
	return &World{nodes: map[string]*Node{}, onNode: map[string]map[string]bool{}, vms: map[string]*VM{},
		vnfs: map[string]*VNF{}, members: map[string][]string{}, notices: map[string]*Notice{},
		noticed: map[string]map[string]bool{}, notes: map[string]*Notification{}}
}

// Err is the first event whose fields did not fit its kind's type (a
// trace written by hand or by another tool). Such an event is still
// applied with the fields that did fit, as the checks always read them.
func (w *World) Err() error { return w.err }

// as reads e as T, keeping the first error.
func as[T event.Payload](w *World, e escalator.Event) T {
	p, _, err := event.As[T](e)
	if err != nil && w.err == nil {
		w.err = err
	}
	return p
}

// Apply folds one event into the world. Events must come in trace order.
func (w *World) Apply(e escalator.Event) {
	switch e.Kind {
	case "node.added":
		p := as[event.NodeAdded](w, e)
		n := w.node(e.Subject)
		n.State, n.Since, n.Version, n.Original = event.NodeNormal, e.At, p.Version, p.Version
	case "node.state":
		p := as[event.NodeState](w, e)
		n := w.node(e.Subject)
		n.State, n.Since = p.To, e.At
	case "node.version":
		w.node(e.Subject).Version = as[event.NodeVersion](w, e).To
	case "vm.placed":
		p := as[event.VMPlaced](w, e)
		vm := w.vm(e.Subject)
		w.move(vm, p.Node)
		vm.State, vm.VNFM, vm.Deleted = "running", p.VNFM, false
		if p.VNF != "" {
			vm.VNF = p.VNF
			w.vnf(p.VNF).VNFM = p.VNFM
			if !slices.Contains(w.members[p.VNF], e.Subject) {
				w.members[p.VNF] = append(w.members[p.VNF], e.Subject)
			}
		}
	case "vm.migrated":
		w.move(w.vm(e.Subject), as[event.VMMigrated](w, e).To)
	case "vm.deleted":
		vm := w.vm(e.Subject)
		delete(w.onNode[vm.Host], vm.ID)
		vm.Host, vm.State, vm.Deleted = "", "deleted", true
		if vm.VNF != "" {
			w.members[vm.VNF] = slices.DeleteFunc(w.members[vm.VNF], func(id string) bool { return id == vm.ID })
		}
	case "vm.state":
		w.vm(e.Subject).State = as[event.VMState](w, e).To
	case "vm.business":
		p := as[event.VMBusiness](w, e)
		vm := w.vm(e.Subject)
		vm.Role, vm.Carrying = p.Role, p.Carrying
		if p.Role == "active" && p.Carrying {
			w.vnf(p.VNF).Active = e.Subject
		}
	case "vnf.deployed":
		p := as[event.VNFDeployed](w, e)
		v := w.vnf(e.Subject)
		v.Mode, v.Deployed, v.DeployedAt, v.Made, v.Size = p.Mode, true, e.At, p.Instances, p.Instances
		if p.MaxImpacted != nil {
			lead, _ := time.ParseDuration(p.LeadTime)
			rec, _ := time.ParseDuration(p.MinRecoveryTime)
			v.Limits = &Limits{LeadTime: lead, MinRecoveryTime: rec, MaxImpacted: *p.MaxImpacted,
				MinPreserved: event.Deref(p.MinPreserved), MigrationTypes: p.MigrationTypes}
		}
	case "vnf.scaled":
		w.vnf(e.Subject).Size = as[event.VNFScaled](w, e).To
	case "vnf.switchover":
		w.vnf(e.Subject).Active = as[event.VNFSwitchover](w, e).To
	case "vnf.failover":
		w.vnf(e.Subject).Active = as[event.VNFFailover](w, e).To
	case "vnf.drain":
		w.vm(as[event.VNFDrain](w, e).Instance).Drained = true
	case "vnf.undrain":
		w.vm(as[event.VNFUndrain](w, e).Instance).Drained = false
	case "vnf.standby-synced":
		w.vm(as[event.VNFStandbySynced](w, e).Instance).Drained = false
	case "service.interruption":
		p := as[event.ServiceInterruption](w, e)
		dur, _ := time.ParseDuration(p.Duration)
		start, err := time.ParseDuration(p.Start)
		if err != nil {
			start = e.At - dur // it is recorded when it ends
		}
		v := w.vnf(e.Subject)
		v.Interruptions = append(v.Interruptions, Interruption{Start: start, Duration: dur, Lost: p.Lost, Cause: p.Cause})
	case "service.summary":
		p := as[event.ServiceSummary](w, e)
		w.vnf(e.Subject).Summary = &p
	case "vnfm.notify":
		w.notify(e, as[event.VNFMNotify](w, e))
	case "vnfm.reply":
		p := as[event.VNFMReply](w, e)
		if n := w.notes[p.NotificationID]; n != nil {
			n.Replies = append(n.Replies, e)
			if p.Accepted && n.Accepted == nil {
				n.Accepted, n.AcceptedReply = &e, p
			}
		}
	}
}

func (w *World) notify(e escalator.Event, p event.VNFMNotify) {
	if p.NotificationID != "" {
		if w.notes[p.NotificationID] != nil {
			// The same notification sent again (a restarted orchestrator
			// resending what it has no reply to): it is the one already
			// projected, sent when it first was, with its deadline.
			return
		}
		w.noteOrder = append(w.noteOrder, p.NotificationID)
		w.notes[p.NotificationID] = &Notification{Event: e, Notify: p}
	}
	switch p.Type {
	case event.TypeMaintenance:
		for _, id := range p.Instances {
			node := ""
			if vm := w.vms[id]; vm != nil {
				node = vm.Host
			}
			if old := w.notices[id]; old != nil {
				delete(w.noticed[old.node], id)
			}
			w.notices[id] = &Notice{Event: e, Notify: p, Open: true, node: node}
			if w.noticed[node] == nil {
				w.noticed[node] = map[string]bool{}
			}
			w.noticed[node][id] = true
		}
	case event.TypeNodeAvailable:
		for _, node := range p.Nodes {
			for id := range w.noticed[node] {
				if n := w.notices[id]; n.Open && n.Event.Subject == e.Subject {
					n.Open = false
				}
			}
		}
	}
}

func (w *World) node(id string) *Node {
	n := w.nodes[id]
	if n == nil {
		n = &Node{ID: id}
		w.nodes[id] = n
		w.nodeOrder = append(w.nodeOrder, id)
	}
	return n
}

func (w *World) vm(id string) *VM {
	vm := w.vms[id]
	if vm == nil {
		vm = &VM{ID: id}
		w.vms[id] = vm
	}
	return vm
}

func (w *World) vnf(name string) *VNF {
	v := w.vnfs[name]
	if v == nil {
		v = &VNF{Name: name}
		w.vnfs[name] = v
		w.vnfOrder = append(w.vnfOrder, name)
	}
	return v
}

func (w *World) move(vm *VM, to string) {
	if vm.Host != "" {
		delete(w.onNode[vm.Host], vm.ID)
	}
	vm.Host = to
	if w.onNode[to] == nil {
		w.onNode[to] = map[string]bool{}
	}
	w.onNode[to][vm.ID] = true
}

// Node returns a node; ok is false for one the trace has not named.
func (w *World) Node(id string) (n Node, ok bool) {
	if p := w.nodes[id]; p != nil {
		return *p, true
	}
	return Node{}, false
}

// Nodes lists the nodes in the order the trace first named them.
func (w *World) Nodes() []string { return slices.Clone(w.nodeOrder) }

// VMsOn lists the VMs on a node, sorted.
func (w *World) VMsOn(node string) []string {
	out := make([]string, 0, len(w.onNode[node]))
	for vm := range w.onNode[node] {
		out = append(out, vm)
	}
	slices.Sort(out)
	return out
}

// VM returns a VM or instance; ok is false for one the trace has not named.
func (w *World) VM(id string) (vm VM, ok bool) {
	if p := w.vms[id]; p != nil {
		return *p, true
	}
	return VM{}, false
}

// VNF returns a VNF; ok is false for one the trace has not named.
func (w *World) VNF(name string) (v VNF, ok bool) {
	if p := w.vnfs[name]; p != nil {
		return *p, true
	}
	return VNF{}, false
}

// VNFs lists the VNFs in the order the trace first named them.
func (w *World) VNFs() []string { return slices.Clone(w.vnfOrder) }

// Members lists a VNF's VMs that are not deleted, in placement order.
func (w *World) Members(vnf string) []string { return slices.Clone(w.members[vnf]) }

// Notice returns the last maintenance notification that named a VM, open
// (covering it now) or not; ok is false for a VM never named in one.
func (w *World) Notice(vm string) (n Notice, ok bool) {
	if p := w.notices[vm]; p != nil {
		return *p, true
	}
	return Notice{}, false
}

// Notification returns the notification sent with an ID (the last, should
// two share it) and the replies to it so far.
func (w *World) Notification(id string) (Notification, bool) {
	if n := w.notes[id]; n != nil {
		return *n, true
	}
	return Notification{}, false
}

// Notifications lists every notification with an ID, in the order the IDs
// were first sent.
func (w *World) Notifications() []Notification {
	out := make([]Notification, 0, len(w.noteOrder))
	for _, id := range w.noteOrder {
		out = append(out, *w.notes[id])
	}
	return out
}
