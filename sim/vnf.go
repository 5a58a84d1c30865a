package sim

import (
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator/event"
)

const actorVNF = "vnf"

// VNF modes.
const (
	ModeActiveStandby = event.ModeActiveStandby
	ModeLoadBalanced  = event.ModeLoadBalanced
)

// Instance roles.
const (
	RoleActive  = "active"
	RoleStandby = "standby"
	RoleMember  = "member"
)

// VNFConfig describes one VNF's service.
type VNFConfig struct {
	Name                string
	Mode                string
	Load                float64 // offered requests/s
	CapacityPerInstance float64 // requests/s one instance can serve
	ServiceTime         time.Duration
	SwitchoverGap       time.Duration
	FailoverTime        time.Duration
	HealthCheckWindow   time.Duration
	// Limits are the VNF's IFA 011 maintenance limits, recorded in the
	// trace so checks can hold the run to them.
	Limits *Limits
}

// Limits is a VNF's IFA 011 NfviMaintenanceInfo.
type Limits struct {
	LeadTime        time.Duration
	MaxImpacted     int
	MinPreserved    int
	MinRecoveryTime time.Duration
	MigrationTypes  []string
}

// Instance is one VNF component running in one VM.
type Instance struct {
	vnf *VNF
	VM  *VM
	// Role is active or standby for active-standby VNFs, member otherwise.
	Role string
	// InRotation: a load-balanced member receives traffic.
	InRotation bool
	// Drained: the VNFM took the instance out of service on purpose; the
	// load balancer's health check does not put it back.
	Drained bool
	// Ready: an active-standby standby is in sync and may take over.
	Ready  bool
	paused bool // inside a live-migration blackout
	// wasCarrying is the last business state written to the trace.
	wasCarrying bool
}

func (i *Instance) up() bool { return i.VM.State != vmDown }

func (i *Instance) serving() bool { return i.up() && !i.paused }

// carrying reports whether the instance holds business: the active of a
// pair, or a load-balanced member in rotation, of a VNF that has traffic.
func (i *Instance) carrying() bool {
	if !i.up() || i.vnf.Load <= 0 {
		return false
	}
	if i.vnf.Mode == ModeActiveStandby {
		return i.vnf.active == i
	}
	return i.InRotation
}

// Interruption is one stretch of time during which a service lost requests.
type Interruption struct {
	Start    time.Duration
	Duration time.Duration
	Lost     float64
	Cause    string
}

// VNF is a simulated VNF: its instances, its service and the exact count of
// requests it lost.
type VNF struct {
	VNFConfig
	Instances []*Instance
	w         *World
	active    *Instance
	// failingOver is set while an unplanned failover is under way.
	failingOver bool
	switching   bool

	// made counts the instances ever created, so a scaled-out member
	// never reuses a deleted one's name.
	made int

	lossRate      float64
	since         time.Duration
	Lost          float64
	Interruptions []Interruption
	open          *Interruption
}

// advance integrates the loss rate up to now. It must run before any state
// change, so that the piecewise-constant rate is charged for exactly the
// time it held.
func (v *VNF) advance() {
	now := v.w.loop.Elapsed()
	if dt := now - v.since; dt > 0 && v.lossRate > 0 {
		lost := v.lossRate * dt.Seconds()
		v.Lost += lost
		if v.open != nil {
			v.open.Lost += lost
		}
	}
	v.since = now
}

// change wraps every state change: charge the old rate, change, recompute.
func (v *VNF) change(cause string, fn func()) {
	v.advance()
	fn()
	v.recompute(cause)
}

// lose charges requests lost at once (in-flight work on an instance that
// died): Little's law, rate × service time.
func (v *VNF) lose(n float64, cause string) {
	if n <= 0 {
		return
	}
	v.advance()
	v.Lost += n
	if v.open != nil {
		v.open.Lost += n
		return
	}
	it := Interruption{Start: v.w.loop.Elapsed(), Lost: n, Cause: cause}
	v.Interruptions = append(v.Interruptions, it)
	v.emitInterruption(it)
}

func (v *VNF) emitInterruption(it Interruption) {
	event.Emit(v.w.tr, "traffic", v.Name, event.ServiceInterruption{
		Start: it.Start.String(), Duration: it.Duration.String(), Lost: round3(it.Lost), Cause: it.Cause,
	})
}

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}

// served is the request rate the VNF serves right now, and servedBy one
// instance's part of it.
func (v *VNF) servedBy(i *Instance) float64 { return v.servedOf(i, v.rotating()) }

// servedOf is servedBy with the members in rotation already counted:
// recompute counts them once for the whole pool rather than once per
// member (a pool of 100 is recomputed at each of its members' changes).
func (v *VNF) servedOf(i *Instance, rotating int) float64 {
	if v.Mode == ModeActiveStandby {
		if v.active == i && i.serving() && !v.switching {
			return min(v.Load, v.CapacityPerInstance)
		}
		return 0
	}
	if !i.InRotation || !i.serving() {
		return 0
	}
	return min(v.share(rotating), v.CapacityPerInstance)
}

// rotating counts the members in rotation.
func (v *VNF) rotating() int {
	n := 0
	for _, m := range v.Instances {
		if m.InRotation {
			n++
		}
	}
	return n
}

// share is the part of the load a load balancer sends a member: an even
// split over the n members in rotation (all members of a VNF have the same
// capacity), dead-but-undetected ones included.
func (v *VNF) share(n int) float64 {
	if n == 0 {
		return 0
	}
	return v.Load / float64(n)
}

func (v *VNF) recompute(cause string) {
	served, rotating := 0.0, v.rotating()
	for _, i := range v.Instances {
		served += v.servedOf(i, rotating)
	}
	rate := v.Load - served
	if rate < 1e-9 {
		rate = 0
	}
	now := v.w.loop.Elapsed()
	switch {
	case rate > 0 && v.open == nil:
		v.open = &Interruption{Start: now, Cause: cause}
	case rate == 0 && v.open != nil:
		v.closeInterruption(now)
	}
	v.lossRate = rate
	for _, i := range v.Instances {
		if c := i.carrying(); c != i.wasCarrying {
			i.wasCarrying = c
			event.Emit(v.w.tr, actorVNF, i.VM.ID, event.VMBusiness{VNF: v.Name, Carrying: c, Node: i.VM.Host.ID, Role: i.Role})
		}
	}
}

func (v *VNF) closeInterruption(now time.Duration) {
	it := *v.open
	it.Duration = now - it.Start
	v.open = nil
	v.Interruptions = append(v.Interruptions, it)
	v.emitInterruption(it)
}

// finish closes the books at the end of a run.
func (v *VNF) finish() {
	v.advance()
	if v.open != nil {
		v.open.Cause += " (still ongoing at the end)"
		v.closeInterruption(v.w.loop.Elapsed())
	}
	offered := v.Load * v.w.loop.Elapsed().Seconds()
	event.Emit(v.w.tr, "traffic", v.Name, event.ServiceSummary{
		Mode: v.Mode, Offered: round3(offered), Lost: round3(v.Lost), Interruptions: len(v.Interruptions),
	})
}

// vmStateChanged reacts to the infrastructure: a VM that went down drops
// its in-flight work (served is the rate it served just before) and, if it
// was the active, triggers a failover; a VM that came back may be needed to
// restore service.
func (v *VNF) vmStateChanged(i *Instance, from string, served float64, cause string) {
	switch {
	case i.VM.State == vmDown:
		inflight := served * v.ServiceTime.Seconds()
		v.change(fmt.Sprintf("%s down (%s)", i.VM.ID, cause), func() {})
		v.lose(inflight, fmt.Sprintf("in-flight requests on %s (%s)", i.VM.ID, cause))
		if v.Mode == ModeActiveStandby {
			if v.active == i {
				v.change("active "+i.VM.ID+" lost", func() { v.active = nil; i.Role = RoleStandby; i.Ready = false })
				v.failover()
			} else {
				i.Ready = false
			}
		} else if i.InRotation {
			// The load balancer keeps sending this member its share until
			// its health check notices.
			v.w.loop.AfterFunc(v.HealthCheckWindow, func() {
				if !i.up() && i.InRotation {
					v.change("health check removed "+i.VM.ID, func() { i.InRotation = false })
					event.Emit(v.w.tr, actorVNF, v.Name, event.VNFMemberRemoved{VM: i.VM.ID, By: "health-check"})
				}
			})
		}
	case from == vmDown:
		v.change(i.VM.ID+" up", func() {})
		if v.Mode == ModeActiveStandby && v.active == nil {
			v.failover()
		} else if v.Mode == ModeActiveStandby && !i.Drained && !i.Ready {
			// A standby that comes back on its own resyncs from the active
			// by itself, within a health-check period.
			v.w.loop.AfterFunc(v.HealthCheckWindow, func() {
				if i.up() && !i.Drained && !i.Ready && v.active != i {
					i.Ready = true
					event.Emit(v.w.tr, actorVNF, v.Name, event.VNFStandbySynced{Instance: i.VM.ID})
				}
			})
		} else if v.Mode == ModeLoadBalanced && !i.Drained && !i.InRotation {
			v.w.loop.AfterFunc(v.HealthCheckWindow, func() {
				if i.up() && !i.Drained && !i.InRotation {
					v.change("health check restored "+i.VM.ID, func() { i.InRotation = true })
					event.Emit(v.w.tr, actorVNF, v.Name, event.VNFMemberRestored{VM: i.VM.ID, By: "health-check"})
				}
			})
		}
	default:
		v.change(i.VM.ID+" "+i.VM.State, func() {})
	}
}

// failover is the unplanned takeover: after detection and takeover time the
// best standby that is up becomes active.
func (v *VNF) failover() {
	if v.failingOver {
		return
	}
	v.failingOver = true
	event.Emit(v.w.tr, actorVNF, v.Name, event.VNFFailoverStarted{Takes: v.FailoverTime.String()})
	v.w.loop.AfterFunc(v.FailoverTime, func() {
		v.failingOver = false
		if v.active != nil {
			return
		}
		var pick *Instance
		for _, i := range v.Instances {
			if i.up() && (pick == nil || (i.Ready && !pick.Ready)) {
				pick = i
			}
		}
		if pick == nil {
			event.Emit(v.w.tr, actorVNF, v.Name, event.VNFFailoverFailed{Reason: "no instance is up"})
			return
		}
		v.change("failover to "+pick.VM.ID, func() { v.active = pick; pick.Role = RoleActive })
		event.Emit(v.w.tr, actorVNF, v.Name, event.VNFFailover{To: pick.VM.ID})
	})
}

func (v *VNF) pause(i *Instance, on bool, cause string) {
	v.change(cause, func() { i.paused = on })
}

// next numbers a new instance.
func (v *VNF) next() int {
	v.made++
	return v.made
}
