package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator/openstack"
	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// cloudFlags choose the cloud behind the orchestrator: the simulated NFVI
// (the default) or a real OpenStack, and how a real node is upgraded.
type cloudFlags struct {
	cloud       string
	osCloud     string
	upgradeCmd  string
	verifyCmd   string
	cmdTimeout  time.Duration
	fakeUpgrade time.Duration
	fake        bool
}

func (f *cloudFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cloud, "cloud", "sim", "the cloud the orchestrator drives: `sim` (simulated NFVI) or openstack (Nova; credentials from OS_CLOUD/clouds.yaml or OS_* variables)")
	fs.StringVar(&f.osCloud, "os-cloud", "", "with --cloud openstack: the clouds.yaml entry `NAME` (default: $OS_CLOUD)")
	fs.StringVar(&f.upgradeCmd, "upgrade-cmd", "", "with --cloud openstack: the `COMMAND` that upgrades one host, {host} and {version} replaced, e.g. 'ssh {host} sudo upgrade-to {version}'")
	fs.StringVar(&f.verifyCmd, "verify-cmd", "", "with --cloud openstack: the `COMMAND` that health-tests one host after its upgrade (default: Nova's compute service must be up)")
	fs.DurationVar(&f.cmdTimeout, "upgrade-timeout", 30*time.Minute, "with --upgrade-cmd: kill an upgrade or verify command after `D`")
	fs.DurationVar(&f.fakeUpgrade, "fake-upgrade", 0, "with --cloud openstack: install nothing; after `D` record the new version in the host's aggregate metadata (tests, demos)")
}

func (f *cloudFlags) check(fs *flag.FlagSet) error {
	fs.Visit(func(fl *flag.Flag) { f.fake = f.fake || fl.Name == "fake-upgrade" })
	switch f.cloud {
	case "sim":
		if f.upgradeCmd != "" || f.fake || f.osCloud != "" {
			return escalator.Errorf(escalator.EINVALID, "--upgrade-cmd, --fake-upgrade and --os-cloud need --cloud openstack")
		}
	case "openstack":
		if (f.upgradeCmd == "") == !f.fake {
			return escalator.Errorf(escalator.EINVALID, "--cloud openstack needs exactly one of --upgrade-cmd COMMAND or --fake-upgrade DURATION")
		}
	default:
		return escalator.Errorf(escalator.EINVALID, "--cloud is sim or openstack, not %q", f.cloud)
	}
	return nil
}

// openstackCloud connects to the cloud, binds the scenario to it and
// returns the testbed's hook. The scenario's nodes become the cloud's
// compute hosts, and each VNF's instances the servers whose metadata
// names it (escalator_vnf), in escalator_vm order, where they run; the
// simulated VNFs' traffic model is then bound to those servers by VM ID.
func openstackCloud(ctx context.Context, s *spec.Scenario, f cloudFlags) (func(scenarios.CloudEnv) (scenarios.CloudPorts, error), func(), error) {
	nova, err := openstack.Connect(ctx, f.osCloud)
	if err != nil {
		return nil, nil, err
	}
	c, err := openstack.New(ctx, openstack.Config{Compute: nova, BaseVersion: s.Nodes.Version})
	if err != nil {
		return nil, nil, err
	}
	if err := bindScenario(s, c); err != nil {
		c.Close()
		return nil, nil, err
	}
	var inst openstack.Installer = &openstack.Command{UpgradeCmd: f.upgradeCmd, VerifyCmd: f.verifyCmd, Timeout: f.cmdTimeout}
	if f.fake {
		fake := &openstack.AggregateVersion{Cloud: c, Delay: f.fakeUpgrade, Fail: map[string]bool{}, Hang: map[string]bool{}}
		inst = fake
		// A failing or hanging install is the fake installer's to play;
		// the rollback and hang detection that follow are the real ones.
		for _, ft := range s.Faults {
			switch ft.Do {
			case spec.FaultUpgradeFails:
				fake.Fail[ft.Node] = true
			case spec.FaultUpgradeHangs:
				fake.Hang[ft.Node] = true
			}
		}
	}
	if err := realFaults(s, f.fake); err != nil {
		c.Close()
		return nil, nil, err
	}
	hook := func(env scenarios.CloudEnv) (scenarios.CloudPorts, error) {
		c.Attach(env.Post, env.Trace, env.Business, env.Session)
		return scenarios.CloudPorts{
			Cloud:  c,
			System: &openstack.System{Cloud: c, Installer: inst},
			Announce: func() {
				c.AnnounceBeside(func(vm string) bool { _, known := env.Business(vm); return known })
			},
			Finish: c.Finish,
		}, nil
	}
	return hook, c.Close, nil
}

// bindScenario rewrites the scenario's nodes and VNF instances from the
// cloud, so that the simulated world mirrors it host for host and server
// for server.
func bindScenario(s *spec.Scenario, c *openstack.Cloud) error {
	hosts, servers := c.Inventory()
	s.Nodes.Count = len(hosts)
	s.Nodes.List = nil
	for _, h := range hosts {
		s.Nodes.List = append(s.Nodes.List, spec.NodeSpec{Name: h.ID, Zone: h.Zone, VCPUs: max(h.VCPUs, 1), MemoryGiB: max(h.MemoryGiB, 1), Version: h.Version})
	}
	for i := range s.VNFs {
		v := &s.VNFs[i]
		if v.Replicas > 1 {
			return escalator.Errorf(escalator.EINVALID, "VNF %s: replicas cannot be bound to a real cloud; list each VNF", v.Name)
		}
		var mine []openstack.Server
		for _, sv := range servers {
			if sv.VNF == v.Name {
				mine = append(mine, sv)
			}
		}
		if len(mine) == 0 {
			return escalator.Errorf(escalator.EINVALID, "VNF %s: no server in the cloud carries the metadata %s=%s", v.Name, openstack.MetaVNF, v.Name)
		}
		v.Instances = len(mine)
		v.Placement = nil
		for k, sv := range mine {
			want := fmt.Sprintf("%s-%d", v.Name, k+1)
			if sv.VM != want {
				return escalator.Errorf(escalator.EINVALID, "VNF %s: server %s is %s=%q; its instances must be named %s-1..%s-%d in %s",
					v.Name, sv.UUID, openstack.MetaVM, sv.VM, v.Name, v.Name, len(mine), openstack.MetaVM)
			}
			if sv.VNFM != "" && sv.VNFM != s.VNFM.Name {
				return escalator.Errorf(escalator.EINVALID, "VNF %s: server %s belongs to VNFM %q, the scenario's is %q", v.Name, sv.UUID, sv.VNFM, s.VNFM.Name)
			}
			v.Placement = append(v.Placement, sv.Host)
		}
	}
	return nil
}

// realFaults refuses the faults a real cloud cannot play: those of the
// simulated infrastructure (a node crash, a failed verification, a failing
// or slow migration, a VM booted by a broken scheduler). A failing or
// hanging install needs the fake installer; the faults of the VNFM, the
// notifications and the VIM itself work as in the simulator.
func realFaults(s *spec.Scenario, fake bool) error {
	for _, ft := range s.Faults {
		switch ft.Do {
		case spec.FaultUpgradeFails, spec.FaultUpgradeHangs:
			if !fake {
				return escalator.Errorf(escalator.EINVALID, "fault %s on a real cloud needs --fake-upgrade", ft.Do)
			}
		case spec.FaultVerifyFails, spec.FaultNodeCrash, spec.FaultNodeFails, spec.FaultBootVM, spec.FaultMigrationFails, spec.FaultMigrationSlow:
			return escalator.Errorf(escalator.EINVALID, "fault %s acts on the simulated infrastructure; a real cloud cannot play it", ft.Do)
		}
	}
	return nil
}
