package main

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The cloud flags are checked before anything connects to a cloud.
func TestCloudFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--cloud", "openstack", "--fake-upgrade", "2s"}, true},
		{[]string{"--cloud", "openstack", "--upgrade-cmd", "ssh {host} up {version}"}, true},
		{[]string{"--cloud", "openstack"}, false},
		{[]string{"--cloud", "openstack", "--fake-upgrade", "0s", "--upgrade-cmd", "x"}, false},
		{[]string{"--upgrade-cmd", "x"}, false},
		{[]string{"--os-cloud", "staging"}, false},
		{[]string{"--cloud", "vmware"}, false},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("vim", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f cloudFlags
		f.register(fs)
		require.NoError(t, fs.Parse(tc.args))
		err := f.check(fs)
		if tc.ok {
			require.NoError(t, err, "%v", tc.args)
		} else {
			require.Equal(t, escalator.EINVALID, escalator.ErrorCode(err), "%v", tc.args)
		}
	}
}

// A real cloud plays the install faults (with the fake installer) and the
// VNFM's, and refuses those of the simulated infrastructure by name.
func TestRealFaults(t *testing.T) {
	tests := []struct {
		fault string
		fake  bool
		ok    bool
	}{
		{spec.FaultUpgradeFails, true, true},
		{spec.FaultUpgradeHangs, true, true},
		{spec.FaultUpgradeFails, false, false},
		{spec.FaultVNFMSilent, false, true},
		{spec.FaultVIMDown, false, true},
		{spec.FaultMigrationFails, true, false},
		{spec.FaultNodeCrash, true, false},
		{spec.FaultVerifyFails, true, false},
	}
	for _, tc := range tests {
		err := realFaults(&spec.Scenario{Faults: []spec.FaultSpec{{Do: tc.fault, Node: "compute-1"}}}, tc.fake)
		if tc.ok {
			require.NoError(t, err, tc.fault)
		} else {
			require.ErrorContains(t, err, tc.fault)
		}
	}
}
