// Package vnfhttp serves the VNF control API — the element-manager side of
// the simulated VNFs — over the world: any VNFM, ours or a vendor's, moves
// business through it (switch-over, drain, undrain) and reads roles and
// health from it.
package vnfhttp

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/openapi/vnfctlapi"
	"github.com/escalator-testbed/escalator/sim"
)

// Base is where the VNF control API lives under the server's root.
const Base = "/vnf_control/v1"

// Server implements vnfctlapi.ServerInterface.
type Server struct {
	World *sim.World
	// Exec runs a function on the event loop and waits for it.
	Exec func(func())
}

var _ vnfctlapi.ServerInterface = (*Server)(nil)

// Handler returns the VNF control API as an echo server.
func Handler(s *Server, spec *edge.Spec, cred edge.Credential, onViolation func(edge.Violation)) *echo.Echo {
	e := edge.NewEcho(spec, cred, onViolation)
	vnfctlapi.RegisterHandlersWithBaseURL(e, s, Base)
	return e
}

func fromView(v sim.VNFView) vnfctlapi.Vnf {
	out := vnfctlapi.Vnf{VnfInstanceID: v.Name, Mode: vnfctlapi.VnfMode(v.Mode), Load: v.Load,
		CapacityPerInstance: v.CapacityPerInstance, Instances: []vnfctlapi.VnfcInstance{}}
	for _, i := range v.Instances {
		out.Instances = append(out.Instances, fromInstance(i))
	}
	if m := v.Maintenance; m != nil {
		info := &vnfctlapi.MaintenanceInfo{}
		if m.MaxImpacted > 0 {
			info.MaxImpacted = &m.MaxImpacted
		}
		if m.MinPreserved > 0 {
			info.MinPreserved = &m.MinPreserved
		}
		for _, t := range m.MigrationTypes {
			info.MigrationTypes = append(info.MigrationTypes, vnfctlapi.MaintenanceInfoMigrationTypes(t))
		}
		out.Maintenance = info
	}
	return out
}

func fromInstance(i sim.InstanceView) vnfctlapi.VnfcInstance {
	return vnfctlapi.VnfcInstance{InstanceID: i.InstanceID, NodeID: i.Node, Role: vnfctlapi.VnfcRole(i.Role),
		Health: vnfctlapi.VnfcHealth(i.Health), InRotation: i.InRotation, Drained: i.Drained, Ready: i.Ready}
}

func (s *Server) on(fn func() error) error {
	var err error
	s.Exec(func() { err = fn() })
	return err
}

func (s *Server) ListVnfs(c echo.Context, _ vnfctlapi.ListVnfsParams) error {
	out := []vnfctlapi.Vnf{}
	_ = s.on(func() error {
		for _, v := range s.World.VNFs {
			view, _ := s.World.GetVNF(v.Name)
			out = append(out, fromView(view))
		}
		return nil
	})
	return c.JSON(http.StatusOK, out)
}

func (s *Server) GetVnf(c echo.Context, id vnfctlapi.VnfInstanceID, _ vnfctlapi.GetVnfParams) error {
	var view sim.VNFView
	if err := s.on(func() (err error) { view, err = s.World.GetVNF(id); return err }); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fromView(view))
}

// change binds a request body into in, applies do to the VNF on the loop
// and answers with the VNF as it is then.
func (s *Server) change(c echo.Context, id string, in any, do func() error) error {
	if err := (&echo.DefaultBinder{}).BindBody(c, in); err != nil {
		return escalator.Errorf(escalator.EINVALID, "the body is not valid JSON for this request: %v", err)
	}
	var view sim.VNFView
	err := s.on(func() error {
		if err := do(); err != nil {
			return err
		}
		view, _ = s.World.GetVNF(id)
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fromView(view))
}

func (s *Server) Switchover(c echo.Context, id vnfctlapi.VnfInstanceID, _ vnfctlapi.SwitchoverParams) error {
	var in vnfctlapi.SwitchoverRequest
	return s.change(c, id, &in, func() error { return s.World.SwitchOver(id, in.TargetInstanceID) })
}

func (s *Server) DrainInstance(c echo.Context, id vnfctlapi.VnfInstanceID, inst vnfctlapi.InstanceID, _ vnfctlapi.DrainInstanceParams) error {
	var at, now time.Time
	err := s.on(func() error {
		// The answer says when the in-flight work will be done; the VNF
		// still finishes it on its own. Both instants are read in one
		// step: read apart, the clock could pass the first and make the
		// wait negative.
		var err error
		now = s.World.Loop().Now()
		at, err = s.World.DrainAt(id, inst)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, vnfctlapi.DrainStatus{InstanceID: inst, DrainCompleteAt: at, DrainSeconds: at.Sub(now).Seconds()})
}

func (s *Server) UndrainInstance(c echo.Context, id vnfctlapi.VnfInstanceID, inst vnfctlapi.InstanceID, _ vnfctlapi.UndrainInstanceParams) error {
	var out vnfctlapi.VnfcInstance
	err := s.on(func() error {
		if err := s.World.Undrain(id, inst); err != nil {
			return err
		}
		view, _ := s.World.GetVNF(id)
		for _, i := range view.Instances {
			if i.InstanceID == inst {
				out = fromInstance(i)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) ScaleVnf(c echo.Context, id vnfctlapi.VnfInstanceID, _ vnfctlapi.ScaleVnfParams) error {
	var in vnfctlapi.ScaleRequest
	return s.change(c, id, &in, func() error { return s.World.Scale(id, in.Instances) })
}
