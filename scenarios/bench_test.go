package scenarios

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// scaleScenario is a 1,000-node, 20,000-VM F1 upgrade: 5,000 active-standby
// pairs and 100 load-balanced pools of 100 members, 20 nodes per batch.
func scaleScenario() *Scenario {
	s := &Scenario{
		Name:  "scale-f1-1000-nodes",
		Nodes: NodesSpec{Count: 1000, Zones: []string{"az1", "az2", "az3", "az4"}, VCPUs: 64, MemoryGiB: 256},
		NFVI:  NFVISpec{LiveMigration: LiveMigrationSpec{Blackout: Duration(500 * time.Millisecond)}},
		Upgrade: UpgradeSpec{
			TargetVersion: "2.0", MaxParallel: 20,
			NodeUpgradeTime: Duration(10 * time.Minute), VerifyTime: Duration(30 * time.Second),
		},
	}
	for i := range 5000 {
		s.VNFs = append(s.VNFs, VNFSpec{Name: fmt.Sprintf("as%04d", i+1), Mode: ModeActiveStandby, Instances: 2, Load: 100})
	}
	for i := range 100 {
		s.VNFs = append(s.VNFs, VNFSpec{Name: fmt.Sprintf("lb%03d", i+1), Mode: ModeLoadBalanced, Instances: 100,
			Load: 5000, CapacityPerInstance: 100})
	}
	s.ApplyDefaults()
	return s
}

// BenchmarkScaleF1 reports the wall time and memory of a whole 1,000-node
// upgrade in virtual time; run with -benchtime=1x and /usr/bin/time -v for
// peak memory.
func BenchmarkScaleF1(b *testing.B) {
	s := scaleScenario()
	for b.Loop() {
		r := Run(context.Background(), s, Options{})
		if r.Verdict != VerdictPass {
			for _, c := range r.Failed() {
				b.Logf("%s: %v", c.Name, c.Violations[0].Message)
			}
			b.Fatalf("verdict %s: %v", r.Verdict, r.Err)
		}
		b.ReportMetric(float64(len(r.Events)), "events")
		b.ReportMetric(r.Elapsed.Hours(), "virtual-hours")
	}
}
