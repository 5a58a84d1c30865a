// Command benchscale measures the scale curve of the F1 upgrade: the
// bundled scenarios/scale/f1-N-nodes.yaml (N nodes, 20 VMs a node, N/50
// nodes a batch) at 1,000, 2,000, 5,000 and 10,000 nodes, each run by the
// escalator binary in a process of its own so that its peak RSS is its
// own. It writes bench/results.json and bench/results.md: wall time, peak
// RSS, events, events/s, virtual/wall speed-up and verdict per size, the
// 10k/1k ratios against the targets of issue 15, the makespan of the 1k
// run against its lower bound and against a one-node-at-a-time run, and
// the in-memory size of the world per node and per VM.
//
//	make bench-scale
//	go run ./cmd/benchscale --bin bin/escalator --sizes 1000,10000
//
// It is a benchmark, not a test: make test does not run it. The machine it
// runs on is usually shared, so it records the load average beside the
// figures; compare ratios from one run, not figures across runs.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/escalator-testbed/escalator/scenarios"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The targets of issue 15, at 10,000 nodes on the 2-core machine.
const (
	targetWall  = 30 * time.Second
	targetRSS   = 2 << 30
	targetRatio = 11.0
)

// Size is one point of the curve.
type Size struct {
	Nodes       int     `json:"nodes"`
	VMs         int     `json:"vms"`
	Scenario    string  `json:"scenario"`
	Verdict     string  `json:"verdict"`
	WallSeconds float64 `json:"wallSeconds"`
	// CPUSeconds is the child's user+system CPU time: on a shared machine
	// it moves far less with the load than the wall time does.
	CPUSeconds     float64 `json:"cpuSeconds"`
	PeakRSSBytes   int64   `json:"peakRssBytes"`
	Events         int     `json:"events"`
	EventsPerSec   float64 `json:"eventsPerSecond"`
	VirtualSeconds float64 `json:"virtualSeconds"` // the whole run's scenario time
	UpgradeSeconds float64 `json:"upgradeSeconds"` // the session's
	SpeedUp        float64 `json:"virtualPerWall"`
	Error          string  `json:"error,omitempty"`
	// Walls are every run's wall time; the fastest run gives the rest.
	Walls []float64 `json:"wallsSeconds,omitempty"`
}

// Makespan compares the 1k run's upgrade duration with its lower bound,
// ceil(nodes/maxParallel) × (node upgrade + verify), and with the same
// upgrade one node at a time (maxParallel 1, the Fenix way).
type Makespan struct {
	Nodes              int     `json:"nodes"`
	MaxParallel        int     `json:"maxParallel"`
	UpgradeSeconds     float64 `json:"upgradeSeconds"`
	LowerBoundSeconds  float64 `json:"lowerBoundSeconds"`
	VsLowerBound       float64 `json:"ratioToLowerBound"`
	SerialSeconds      float64 `json:"oneAtATimeSeconds"`
	VsSerial           float64 `json:"ratioToOneAtATime"`
	SerialVerdict      string  `json:"oneAtATimeVerdict"`
	SerialWallSeconds  float64 `json:"oneAtATimeWallSeconds"`
	SerialDescribedHow string  `json:"oneAtATime"`
}

// WorldSize is the heap a built testbed holds, per node and per VM.
type WorldSize struct {
	BytesPerNode float64 `json:"bytesPerNode"`
	BytesPerVM   float64 `json:"bytesPerVm"`
	How          string  `json:"how"`
}

// Results is bench/results.json.
type Results struct {
	When       string     `json:"when"`
	Version    string     `json:"version"`
	GoVersion  string     `json:"goVersion"`
	CPUs       int        `json:"cpus"`
	Runs       int        `json:"runsPerSize"`
	LoadBefore string     `json:"loadAverageBefore"`
	LoadAfter  string     `json:"loadAverageAfter"`
	Sizes      []Size     `json:"sizes"`
	WallRatio  float64    `json:"wallRatio10kTo1k,omitempty"`
	CPURatio   float64    `json:"cpuRatio10kTo1k,omitempty"`
	RSSRatio   float64    `json:"rssRatio10kTo1k,omitempty"`
	Targets    []Target   `json:"targets"`
	Makespan   *Makespan  `json:"makespan,omitempty"`
	World      *WorldSize `json:"world,omitempty"`
}

// Target is one goal of issue 15 and whether this run met it.
type Target struct {
	What string `json:"what"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func main() {
	bin := flag.String("bin", "bin/escalator", "the escalator binary to measure")
	dir := flag.String("scenarios", "scenarios/scale", "the folder of f1-N-nodes.yaml")
	sizesFlag := flag.String("sizes", "1000,2000,5000,10000", "the node counts to run, comma-separated")
	out := flag.String("out", "bench", "where to write results.json and results.md")
	runs := flag.Int("runs", 2, "run each size this many times and keep the fastest: on a shared machine the slower runs measure the neighbours")
	makespan := flag.Bool("makespan", true, "compare the 1k run's makespan with a one-node-at-a-time run (about as long as the 1k run itself)")
	flag.Parse()
	if err := run(*bin, *dir, *sizesFlag, *out, *runs, *makespan); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(3)
	}
}

func run(bin, dir, sizesFlag, out string, runs int, withMakespan bool) error {
	var sizes []int
	for _, f := range strings.Split(sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("--sizes: %q is not a node count", f)
		}
		sizes = append(sizes, n)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchscale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	res := Results{When: time.Now().UTC().Format(time.RFC3339), Version: version(bin), GoVersion: runtime.Version(),
		CPUs: runtime.NumCPU(), LoadBefore: loadavg(), Runs: max(1, runs)}
	byNodes := map[int]Size{}
	for _, n := range sizes {
		path := filepath.Join(dir, fmt.Sprintf("f1-%d-nodes.yaml", n))
		fmt.Fprintf(os.Stderr, "benchscale: %s (load %s) ...", path, loadavg())
		var sz Size
		var walls []float64
		for k := range max(1, runs) {
			m := measure(bin, path, filepath.Join(tmp, fmt.Sprintf("run-%d-%d.json", n, k)))
			walls = append(walls, m.WallSeconds)
			if k == 0 || m.Error == "" && m.WallSeconds < sz.WallSeconds {
				sz = m
			}
		}
		sz.Walls = walls
		sz.Nodes = n
		if s, err := load.File(path); err == nil {
			sz.VMs = vms(s)
		}
		fmt.Fprintf(os.Stderr, " %s in %.1fs, %.0f MB (runs: %v s)\n", sz.Verdict, sz.WallSeconds, float64(sz.PeakRSSBytes)/1e6, walls)
		res.Sizes = append(res.Sizes, sz)
		byNodes[n] = sz
	}
	one, okOne := byNodes[1000]
	ten, okTen := byNodes[10000]
	if okOne && okTen && one.WallSeconds > 0 && one.PeakRSSBytes > 0 {
		res.WallRatio = round2(ten.WallSeconds / one.WallSeconds)
		res.RSSRatio = round2(float64(ten.PeakRSSBytes) / float64(one.PeakRSSBytes))
		if one.CPUSeconds > 0 {
			res.CPURatio = round2(ten.CPUSeconds / one.CPUSeconds)
		}
	}
	if okTen {
		res.Targets = append(res.Targets,
			Target{"10k nodes pass", ten.Verdict, ten.Verdict == judge.VerdictPass},
			Target{"10k wall <= 30 s", fmt.Sprintf("%.1f s", ten.WallSeconds), ten.WallSeconds <= targetWall.Seconds()},
			Target{"10k peak RSS <= 2 GiB", fmt.Sprintf("%.2f GiB", float64(ten.PeakRSSBytes)/(1<<30)), ten.PeakRSSBytes <= targetRSS})
	}
	if res.WallRatio > 0 {
		res.Targets = append(res.Targets,
			Target{"wall 10k/1k <= 11", fmt.Sprint(res.WallRatio), res.WallRatio <= targetRatio},
			Target{"peak RSS 10k/1k <= 11", fmt.Sprint(res.RSSRatio), res.RSSRatio <= targetRatio})
	}
	if okOne && withMakespan {
		fmt.Fprintf(os.Stderr, "benchscale: makespan of the 1k run, one node at a time ...\n")
		m, err := makespanOf(filepath.Join(dir, "f1-1000-nodes.yaml"), one)
		if err != nil {
			return err
		}
		res.Makespan = m
	}
	if w, err := worldSize(filepath.Join(dir, "f1-1000-nodes.yaml")); err == nil {
		res.World = w
	} else {
		return err
	}
	res.LoadAfter = loadavg()
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	md := markdown(res)
	fmt.Print(md)
	return os.WriteFile(filepath.Join(out, "results.md"), []byte(md), 0o644)
}

// measure runs one scenario in a child process and reads its wall time,
// its peak RSS (rusage) and its JSON report.
func measure(bin, path, report string) Size {
	sz := Size{Scenario: path}
	cmd := exec.Command(bin, "run", "--no-db", "--color", "never", "--parallel", "1", "--json", report, path)
	cmd.Stderr = os.Stderr
	start := time.Now()
	outb, err := cmd.Output()
	sz.WallSeconds = round2(time.Since(start).Seconds())
	if cmd.ProcessState == nil {
		sz.Verdict, sz.Error = judge.VerdictError, err.Error()
		return sz
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		sz.PeakRSSBytes = ru.Maxrss * 1024 // kilobytes on Linux
		sz.CPUSeconds = round2(time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds())
	}
	if err != nil && cmd.ProcessState.ExitCode() != 1 {
		sz.Verdict, sz.Error = judge.VerdictError, fmt.Sprintf("%v: %s", err, strings.TrimSpace(string(outb)))
		return sz
	}
	var rep struct {
		Scenarios []struct {
			Verdict         string                     `json:"verdict"`
			EventCount      int                        `json:"eventCount"`
			Elapsed         *struct{ Seconds float64 } `json:"elapsed"`
			UpgradeDuration *struct{ Seconds float64 } `json:"upgradeDuration"`
		} `json:"scenarios"`
	}
	b, err := os.ReadFile(report)
	if err == nil {
		err = json.Unmarshal(b, &rep)
	}
	if err != nil || len(rep.Scenarios) != 1 {
		sz.Verdict, sz.Error = judge.VerdictError, fmt.Sprintf("reading the JSON report: %v", err)
		return sz
	}
	r := rep.Scenarios[0]
	sz.Verdict, sz.Events = r.Verdict, r.EventCount
	if r.Elapsed != nil {
		sz.VirtualSeconds = r.Elapsed.Seconds
	}
	if r.UpgradeDuration != nil {
		sz.UpgradeSeconds = r.UpgradeDuration.Seconds
	}
	if sz.WallSeconds > 0 {
		sz.EventsPerSec = math.Round(float64(sz.Events) / sz.WallSeconds)
		sz.SpeedUp = math.Round(sz.VirtualSeconds / sz.WallSeconds)
	}
	return sz
}

// makespanOf runs the 1k upgrade again one node at a time, in this
// process (the curve's figures are measured already).
func makespanOf(path string, one Size) (*Makespan, error) {
	s, err := load.File(path)
	if err != nil {
		return nil, err
	}
	u := s.Upgrade
	nodes := s.Nodes.Count
	batches := (nodes + u.MaxParallel - 1) / u.MaxParallel
	bound := time.Duration(batches) * (u.NodeUpgradeTime.D() + u.VerifyTime.D())
	m := &Makespan{Nodes: nodes, MaxParallel: u.MaxParallel, UpgradeSeconds: one.UpgradeSeconds, LowerBoundSeconds: bound.Seconds(),
		SerialDescribedHow: "the same scenario with maxParallel 1: one node per batch, notified, emptied, upgraded, verified and released before the next"}
	if bound > 0 {
		m.VsLowerBound = round4(one.UpgradeSeconds / bound.Seconds())
	}
	serial := *s
	serial.Upgrade.MaxParallel = 1
	serial.Expect.Thresholds = map[string]string{}
	start := time.Now()
	r := scenarios.Run(context.Background(), &serial, scenarios.Options{Discard: true, Limit: 10 * 365 * 24 * time.Hour})
	m.SerialWallSeconds = round2(time.Since(start).Seconds())
	m.SerialVerdict = r.Verdict
	m.SerialSeconds = r.UpgradeDuration.Seconds()
	if m.SerialSeconds > 0 {
		m.VsSerial = round4(one.UpgradeSeconds / m.SerialSeconds)
	}
	return m, nil
}

// worldSize measures the live heap of built testbeds (the simulated world,
// the orchestrator's view of it, the VNFM and the judge's replay, before
// the upgrade starts): per node from two worlds without VNFs, per VM from
// the 1k world with and without its 20,000 VMs.
func worldSize(path string) (*WorldSize, error) {
	s, err := load.File(path)
	if err != nil {
		return nil, err
	}
	bare := *s
	bare.VNFs = nil
	bare.Expect.Thresholds = map[string]string{}
	double := bare
	double.Nodes.Count *= 2
	a, err := heapOf(&bare)
	if err != nil {
		return nil, err
	}
	b, err := heapOf(&double)
	if err != nil {
		return nil, err
	}
	c, err := heapOf(s)
	if err != nil {
		return nil, err
	}
	return &WorldSize{
		BytesPerNode: math.Round(float64(b-a) / float64(bare.Nodes.Count)),
		BytesPerVM:   math.Round(float64(c-a) / float64(vms(s))),
		How:          fmt.Sprintf("live heap after GC of scenarios.Build (trace discarded): (%d nodes − %d nodes) / %d, and (%s with its VMs − without) / %d VMs", double.Nodes.Count, bare.Nodes.Count, bare.Nodes.Count, s.Name, vms(s)),
	}, nil
}

func heapOf(s *spec.Scenario) (uint64, error) {
	var ms runtime.MemStats
	runtime.GC()
	debug.FreeOSMemory()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	tb, err := scenarios.Build(s, scenarios.BuildOptions{Discard: true})
	if err != nil {
		return 0, err
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(tb)
	return ms.HeapAlloc - before, nil
}

func vms(s *spec.Scenario) int {
	n := 0
	for _, v := range s.Deployments() {
		n += v.Instances
	}
	return n
}

func markdown(r Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Scale curve: F1, 20 VMs a node, nodes/50 a batch\n\n")
	fmt.Fprintf(&b, "%s, escalator %s, %s, %d CPUs; load average before %s, after %s. Each size runs `escalator run --no-db` in a process of its own, %d times; the fastest run is shown; peak RSS is its rusage maxrss.\n\n",
		r.When, r.Version, r.GoVersion, r.CPUs, r.LoadBefore, r.LoadAfter, r.Runs)
	b.WriteString("| nodes | VMs | verdict | wall | CPU (user+sys) | peak RSS | events | events/s | virtual/wall |\n|---:|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range r.Sizes {
		verdict := s.Verdict
		if s.Error != "" {
			verdict += " (" + s.Error + ")"
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %.1f s | %.1f s | %.0f MB | %d | %.0f | %.0f× |\n", s.Nodes, s.VMs, verdict, s.WallSeconds,
			s.CPUSeconds, float64(s.PeakRSSBytes)/1e6, s.Events, s.EventsPerSec, s.SpeedUp)
	}
	if r.WallRatio > 0 {
		fmt.Fprintf(&b, "\n10k/1k: wall ×%.2f, CPU ×%.2f, peak RSS ×%.2f (linear would be ×10).\n", r.WallRatio, r.CPURatio, r.RSSRatio)
	}
	if len(r.Targets) > 0 {
		b.WriteString("\n| target | got | met |\n|---|---|---|\n")
		for _, t := range r.Targets {
			fmt.Fprintf(&b, "| %s | %s | %v |\n", t.What, t.Got, t.Met)
		}
	}
	if m := r.Makespan; m != nil {
		fmt.Fprintf(&b, "\nMakespan at %d nodes, maxParallel %d: the upgrade took %s; the lower bound ceil(nodes/maxParallel) × (upgrade + verify) is %s (ratio %.4f); one node at a time took %s (ratio %.4f, %s, %.1f s wall).\n",
			m.Nodes, m.MaxParallel, secs(m.UpgradeSeconds), secs(m.LowerBoundSeconds), m.VsLowerBound, secs(m.SerialSeconds), m.VsSerial, m.SerialVerdict, m.SerialWallSeconds)
	}
	if w := r.World; w != nil {
		fmt.Fprintf(&b, "\nWorld in memory: %.0f bytes per node, %.0f bytes per VM (%s).\n", w.BytesPerNode, w.BytesPerVM, w.How)
	}
	return b.String()
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func version(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
