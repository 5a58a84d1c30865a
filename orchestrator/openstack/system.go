package openstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/aggregates"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/services"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// Outcome is what one install or verification on a host came to, as the
// trace records it (node.command).
type Outcome struct {
	Command  string
	Exit     int // -1: it never exited by itself
	Output   string
	Duration time.Duration
	TimedOut bool
	Err      error
}

// Installer does the work on a host. Its methods run on goroutines of their
// own and may block; their outcome goes back to the loop.
type Installer interface {
	Install(ctx context.Context, host, version string) Outcome
	Verify(ctx context.Context, host, version string) Outcome
}

// System is the orchestrator's SystemSupport on a real cloud: it runs an
// Installer per node, keeps the node's state in the Cloud's view and in
// the trace as the simulated node agent does (upgrading, verifying, the
// version, failed), and after a verification also requires the host's
// nova-compute service to be up. A hung installer simply never reports:
// the Manager's expected-duration timer covers that, as in the simulator,
// and a late report is dropped.
type System struct {
	Cloud     *Cloud
	Installer Installer
}

func (y *System) node(id string, done func(error)) *node {
	n := y.Cloud.byID[id]
	if n == nil {
		err := escalator.Errorf(escalator.ENOTFOUND, "node %q does not exist", id)
		y.Cloud.cfg.Post(func() { done(err) })
	}
	return n
}

func (y *System) record(n *node, step string, o Outcome) {
	p := event.NodeCommand{Step: step, Command: o.Command, Exit: o.Exit, Duration: o.Duration.Round(time.Millisecond).String(),
		TimedOut: o.TimedOut, Output: o.Output}
	if o.Err != nil {
		p.Error = o.Err.Error()
	}
	event.Emit(y.Cloud.cfg.Trace, actor, n.id, p)
}

// Upgrade installs version on a node.
func (y *System) Upgrade(nodeID, version string, done func(error)) {
	n := y.node(nodeID, done)
	if n == nil {
		return
	}
	c := y.Cloud
	n.after = n.state
	if n.after != orchestrator.NodeNormal {
		n.after = orchestrator.NodeMaintenance
	}
	n.op++
	op := n.op
	c.setNodeState(n, orchestrator.NodeUpgrading)
	event.Emit(c.cfg.Trace, actor, n.id, event.NodeUpgradeStarted{From: n.version, To: version})
	c.wait(func(ctx context.Context) {
		o := y.Installer.Install(ctx, nodeID, version)
		c.cfg.Post(func() {
			if n.op != op || n.state != orchestrator.NodeUpgrading {
				return // declared hung, or rolled back meanwhile
			}
			y.record(n, "upgrade", o)
			if o.Err != nil {
				c.setNodeState(n, orchestrator.NodeFailed)
				done(fmt.Errorf("installing %s on %s: %w", version, n.id, o.Err))
				return
			}
			from := n.version
			n.version = version
			event.Emit(c.cfg.Trace, actor, n.id, event.NodeVersion{From: from, To: version})
			c.setNodeState(n, n.after)
			done(nil)
		})
	})
}

// Verify runs the installer's health test, then checks that Nova reports
// the host's compute service up.
func (y *System) Verify(nodeID, version string, done func(error)) {
	n := y.node(nodeID, done)
	if n == nil {
		return
	}
	c := y.Cloud
	back := n.state
	n.op++
	op := n.op
	c.setNodeState(n, orchestrator.NodeVerifying)
	c.wait(func(ctx context.Context) {
		o := y.Installer.Verify(ctx, nodeID, version)
		if o.Err == nil {
			o.Err = c.computeUp(ctx, nodeID)
		}
		c.cfg.Post(func() {
			if n.op != op || n.state != orchestrator.NodeVerifying {
				return
			}
			y.record(n, "verify", o)
			switch {
			case o.Err != nil:
				c.setNodeState(n, orchestrator.NodeFailed)
				done(fmt.Errorf("verifying %s on %s: %w", version, n.id, o.Err))
			case n.version != version:
				c.setNodeState(n, orchestrator.NodeFailed)
				done(fmt.Errorf("node %s runs %s, not %s", n.id, n.version, version))
			default:
				c.setNodeState(n, back)
				done(nil)
			}
		})
	})
}

func (c *Cloud) computeUp(ctx context.Context, host string) error {
	pages, err := services.List(c.nova, services.ListOpts{Binary: "nova-compute", Host: host}).AllPages(ctx)
	if err != nil {
		return novaErr("list compute services", err)
	}
	svcs, err := services.ExtractServices(pages)
	if err != nil {
		return novaErr("list compute services", err)
	}
	for _, s := range svcs {
		if s.Host == host && s.State == "up" {
			return nil
		}
	}
	return escalator.Errorf(escalator.EUNAVAILABLE, "Nova reports the nova-compute service of %s down", host)
}

// Command runs a shell command per host: UpgradeCmd for the install,
// VerifyCmd (optional) for the health test. {host} and {version} are replaced,
// shell-quoted, before `sh -c` runs the line. A command that outlives
// Timeout is killed with its whole process group (an ssh and what it
// started), and its last MaxOutput bytes of output are kept.
type Command struct {
	UpgradeCmd, VerifyCmd string
	Timeout               time.Duration // default 30 min
	MaxOutput             int           // default 4096 bytes
}

// Expand fills a command template for one host.
func Expand(template, host, version string) string {
	return strings.NewReplacer("{host}", shellQuote(host), "{version}", shellQuote(version)).Replace(template)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (k *Command) Install(ctx context.Context, host, version string) Outcome {
	return k.run(ctx, Expand(k.UpgradeCmd, host, version))
}

func (k *Command) Verify(ctx context.Context, host, version string) Outcome {
	if k.VerifyCmd == "" {
		return Outcome{Command: "(no verify command; Nova's compute service state decides)", Exit: 0}
	}
	return k.run(ctx, Expand(k.VerifyCmd, host, version))
}

func (k *Command) run(ctx context.Context, line string) Outcome {
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	limit := k.MaxOutput
	if limit <= 0 {
		limit = 4096
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out := &tail{max: limit}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	err := cmd.Run()
	// ExitCode is -1 when the process never exited by itself.
	o := Outcome{Command: line, Exit: cmd.ProcessState.ExitCode(), Output: out.String(), Duration: time.Since(start)}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		o.TimedOut, o.Exit = true, -1
		o.Err = escalator.Errorf(escalator.EUNAVAILABLE, "command timed out after %s", timeout)
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			o.Err = escalator.Errorf(escalator.ECONFLICT, "command exited with %d", o.Exit)
		} else {
			o.Err = &escalator.Error{Code: escalator.EINTERNAL, Op: "run command", Err: err}
		}
	}
	return o
}

// tail keeps the last max bytes written to it: an installer's verdict is
// at the end of its output.
type tail struct {
	mu    sync.Mutex
	max   int
	buf   bytes.Buffer
	total int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += len(p)
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total > t.max {
		return fmt.Sprintf("[%d bytes cut] ", t.total-t.max) + t.buf.String()
	}
	return t.buf.String()
}

// AggregateVersion is the installer of the tests: it installs nothing, and
// records the new version where the cloud shows it, in the metadata
// (escalator_version) of a host aggregate of the host's own
// (escalator-version-HOST), after Delay. Fail names hosts whose install
// fails, Hang hosts whose install never ends: the faults of the simulator's
// node agent. Verify reads the metadata back from Nova.
type AggregateVersion struct {
	Cloud *Cloud
	Delay time.Duration
	// Fail and Hang strike a host's first install only, as the
	// simulator's node faults do: the rollback's reinstall then works.
	Fail map[string]bool
	Hang map[string]bool
	mu   sync.Mutex
}

// strike reports and disarms a host's fault.
func (a *AggregateVersion) strike(faults map[string]bool, host string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	hit := faults[host]
	delete(faults, host)
	return hit
}

// AggregateName is the version aggregate of a host.
func AggregateName(host string) string { return "escalator-version-" + host }

func (a *AggregateVersion) Install(ctx context.Context, host, version string) Outcome {
	start := time.Now()
	o := Outcome{Command: fmt.Sprintf("aggregate %s: set metadata %s=%s", AggregateName(host), MetaVersion, version)}
	if a.strike(a.Hang, host) {
		<-ctx.Done()
		o.Exit, o.Duration, o.Err = -1, time.Since(start), ctx.Err()
		return o
	}
	select {
	case <-time.After(a.Delay):
	case <-ctx.Done():
		o.Exit, o.Duration, o.Err = -1, time.Since(start), ctx.Err()
		return o
	}
	fail := a.strike(a.Fail, host)
	if fail {
		o.Exit, o.Duration, o.Output = 1, time.Since(start), "injected install failure"
		o.Err = escalator.Errorf(escalator.ECONFLICT, "install failed on %s (injected)", host)
		return o
	}
	err := a.Cloud.setVersion(ctx, host, version)
	o.Duration = time.Since(start)
	if err != nil {
		o.Exit, o.Err = 1, err
	}
	return o
}

func (a *AggregateVersion) Verify(ctx context.Context, host, version string) Outcome {
	start := time.Now()
	o := Outcome{Command: fmt.Sprintf("aggregate %s: read metadata %s", AggregateName(host), MetaVersion)}
	got, err := a.Cloud.readVersions(ctx)
	o.Duration = time.Since(start)
	switch {
	case err != nil:
		o.Exit, o.Err = 1, err
	case got[host] != version:
		o.Exit, o.Output = 1, fmt.Sprintf("%s=%q", MetaVersion, got[host])
		o.Err = escalator.Errorf(escalator.ECONFLICT, "Nova shows %s at version %q, not %q", host, got[host], version)
	default:
		o.Output = fmt.Sprintf("%s=%s", MetaVersion, version)
	}
	return o
}

// setVersion writes a host's version into its own aggregate, creating the
// aggregate (and adding the host) the first time.
func (c *Cloud) setVersion(ctx context.Context, host, version string) error {
	id, err := c.versionAggregate(ctx, host)
	if err != nil {
		return err
	}
	_, err = aggregates.SetMetadata(ctx, c.nova, id, aggregates.SetMetadataOpts{Metadata: map[string]any{MetaVersion: version}}).Extract()
	if err != nil {
		return novaErr("set aggregate metadata", err)
	}
	return nil
}

func (c *Cloud) versionAggregate(ctx context.Context, host string) (int, error) {
	pages, err := aggregates.List(c.nova).AllPages(ctx)
	if err != nil {
		return 0, novaErr("list aggregates", err)
	}
	aggs, err := aggregates.ExtractAggregates(pages)
	if err != nil {
		return 0, novaErr("list aggregates", err)
	}
	name := AggregateName(host)
	for _, a := range aggs {
		if a.Name == name {
			return a.ID, nil
		}
	}
	a, err := aggregates.Create(ctx, c.nova, aggregates.CreateOpts{Name: name}).Extract()
	if err != nil {
		return 0, novaErr("create aggregate "+name, err)
	}
	if _, err := aggregates.AddHost(ctx, c.nova, a.ID, aggregates.AddHostOpts{Host: host}).Extract(); err != nil {
		return 0, novaErr("add "+host+" to aggregate "+name, err)
	}
	return a.ID, nil
}

// RemoveVersionAggregates deletes the version aggregates of the hosts (a
// test's cleanup, or an operator's reset): the hosts are then at the base
// version again. It touches no other aggregate.
func RemoveVersionAggregates(ctx context.Context, nova *gophercloud.ServiceClient, hosts []string) error {
	pages, err := aggregates.List(nova).AllPages(ctx)
	if err != nil {
		return novaErr("list aggregates", err)
	}
	aggs, err := aggregates.ExtractAggregates(pages)
	if err != nil {
		return novaErr("list aggregates", err)
	}
	for _, a := range aggs {
		for _, h := range hosts {
			if a.Name != AggregateName(h) {
				continue
			}
			for _, in := range a.Hosts {
				if _, err := aggregates.RemoveHost(ctx, nova, a.ID, aggregates.RemoveHostOpts{Host: in}).Extract(); err != nil {
					return novaErr("remove "+in+" from "+a.Name, err)
				}
			}
			if err := aggregates.Delete(ctx, nova, a.ID).ExtractErr(); err != nil {
				return novaErr("delete aggregate "+a.Name, err)
			}
		}
	}
	return nil
}
