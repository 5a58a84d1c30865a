package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servergroups"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/services"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imagedata"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator/openstack"
)

// The tests below drive a real Nova: the stack .ci/openstack/up.sh brings
// up on loopback (3 nova-compute services with the fake virt driver). On a
// machine without it they skip, saying how to bring it up; in CI
// (CI=true) or with ESCALATOR_REQUIRE_OPENSTACK=1 they fail instead, so a
// stack that did not come up can never pass as skipped tests.

const upCommand = ".ci/openstack/install.sh && .ci/openstack/up.sh (as root; .ci/openstack/down.sh stops it)"

// novaRig is a test's hold on the cloud: what it created, to delete.
type novaRig struct {
	t       *testing.T
	ctx     context.Context
	nova    *gophercloud.ServiceClient
	image   string
	flavor  string
	servers []string
	groups  []string
	hosts   []string
}

func requireOpenStack(t *testing.T) *novaRig {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a real Nova")
	}
	must := os.Getenv("CI") == "true" || os.Getenv("ESCALATOR_REQUIRE_OPENSTACK") == "1"
	if os.Getenv("OS_CLOUD") == "" && os.Getenv("OS_AUTH_URL") == "" {
		dir := os.Getenv("ESCALATOR_OPENSTACK_DIR")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "escalator-openstack")
		}
		file := filepath.Join(dir, "clouds.yaml")
		if _, err := os.Stat(file); err != nil {
			if must {
				t.Fatalf("no OpenStack to test against (%s missing) and CI requires one; bring it up with: %s", file, upCommand)
			}
			t.Skipf("no OpenStack stack here (%s missing); bring it up with: %s", file, upCommand)
		}
		t.Setenv("OS_CLIENT_CONFIG_FILE", file)
		t.Setenv("OS_CLOUD", "escalator")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	nova, err := openstack.Connect(ctx, "")
	if err != nil {
		if must {
			t.Fatalf("cannot reach the OpenStack stack: %v; bring it up with: %s", err, upCommand)
		}
		t.Skipf("cannot reach an OpenStack stack (%v); bring it up with: %s", err, upCommand)
	}
	r := &novaRig{t: t, ctx: ctx, nova: nova}
	pages, err := services.List(nova, services.ListOpts{Binary: "nova-compute"}).AllPages(ctx)
	require.NoError(t, err)
	svcs, err := services.ExtractServices(pages)
	require.NoError(t, err)
	for _, s := range svcs {
		if s.State == "up" {
			r.hosts = append(r.hosts, s.Host)
		}
	}
	slices.Sort(r.hosts)
	require.GreaterOrEqual(t, len(r.hosts), 3, "the tests need 3 nova-compute services up: %+v", svcs)
	r.prepare()
	t.Cleanup(r.cleanup)
	return r
}

// prepare makes the flavor and the image the servers boot from (the fake
// driver never reads the image), and removes what an earlier, interrupted
// run may have left: version aggregates, and hosts it left disabled.
func (r *novaRig) prepare() {
	t, ctx := r.t, r.ctx
	require.NoError(t, openstack.RemoveVersionAggregates(ctx, r.nova, r.hosts))
	r.enableOurs()
	if f, err := flavors.Get(ctx, r.nova, "esc-tiny").Extract(); err == nil {
		r.flavor = f.ID
	} else {
		disk := 1
		f, err := flavors.Create(ctx, r.nova, flavors.CreateOpts{ID: "esc-tiny", Name: "esc-tiny", RAM: 64, VCPUs: 1, Disk: &disk}).Extract()
		require.NoError(t, err)
		r.flavor = f.ID
	}
	glance, err := gopenstack.NewImageV2(r.nova.ProviderClient, gophercloud.EndpointOpts{})
	require.NoError(t, err)
	pages, err := images.List(glance, images.ListOpts{Name: "escalator-fake-image"}).AllPages(ctx)
	require.NoError(t, err)
	list, err := images.ExtractImages(pages)
	require.NoError(t, err)
	for _, im := range list {
		if im.Status == images.ImageStatusActive {
			r.image = im.ID
			return
		}
	}
	im, err := images.Create(ctx, glance, images.CreateOpts{Name: "escalator-fake-image", DiskFormat: "raw", ContainerFormat: "bare"}).Extract()
	require.NoError(t, err)
	require.NoError(t, imagedata.Upload(ctx, glance, im.ID, bytes.NewReader(make([]byte, 1<<20))).ExtractErr())
	r.image = im.ID
}

// enableOurs re-enables the compute services the orchestrator (reason
// "escalator ...") or a test disabled.
func (r *novaRig) enableOurs() {
	pages, err := services.List(r.nova, services.ListOpts{Binary: "nova-compute"}).AllPages(r.ctx)
	require.NoError(r.t, err)
	svcs, err := services.ExtractServices(pages)
	require.NoError(r.t, err)
	for _, s := range svcs {
		if s.Status == "disabled" && strings.HasPrefix(s.DisabledReason, openstack.ReasonPrefix) {
			_, err := services.Update(r.ctx, r.nova, s.ID, services.UpdateOpts{Status: services.ServiceEnabled}).Extract()
			require.NoError(r.t, err)
		}
	}
}

// hostOpts boots on a named host: the 2.74 "host" field, which still goes
// through the scheduler's filters (unlike the old "nova:host" zone).
type hostOpts struct {
	servers.CreateOpts
	host string
}

func (o hostOpts) ToServerCreateMap() (map[string]any, error) {
	m, err := o.CreateOpts.ToServerCreateMap()
	if err == nil {
		m["server"].(map[string]any)["host"] = o.host
	}
	return m, err
}

// boot starts one server per spec "vm@host" of a VNF and waits until all
// are ACTIVE. group, when set, is a Nova server group they join.
func (r *novaRig) boot(vnf, vnfm, group string, specs ...string) map[string]string {
	t, ctx := r.t, r.ctx
	ids := map[string]string{}
	for _, sp := range specs {
		vm, host, _ := strings.Cut(sp, "@")
		var hints servers.SchedulerHintOptsBuilder
		if group != "" {
			hints = servers.SchedulerHintOpts{Group: group}
		}
		opts := hostOpts{host: host, CreateOpts: servers.CreateOpts{Name: "esc-test-" + vm, ImageRef: r.image, FlavorRef: r.flavor, Networks: "none",
			Metadata: map[string]string{openstack.MetaVM: vm, openstack.MetaVNF: vnf, openstack.MetaVNFM: vnfm, openstack.MetaGroup: vnf}}}
		s, err := servers.Create(ctx, r.nova, opts, hints).Extract()
		require.NoError(t, err, "boot %s on %s", vm, host)
		r.servers = append(r.servers, s.ID)
		ids[vm] = s.ID
	}
	for vm, id := range ids {
		deadline := time.Now().Add(3 * time.Minute)
		for {
			s, err := servers.Get(ctx, r.nova, id).Extract()
			require.NoError(t, err)
			require.NotEqual(t, "ERROR", s.Status, "server %s: %s", vm, s.Fault.Message)
			if s.Status == "ACTIVE" {
				break
			}
			require.True(t, time.Now().Before(deadline), "server %s not ACTIVE after 3 min (%s)", vm, s.Status)
			time.Sleep(500 * time.Millisecond)
		}
	}
	return ids
}

func (r *novaRig) antiAffinityGroup(name string) string {
	g, err := servergroups.Create(r.ctx, r.nova, servergroups.CreateOpts{Name: "esc-test-" + name, Policy: "anti-affinity"}).Extract()
	require.NoError(r.t, err)
	r.groups = append(r.groups, g.ID)
	return g.ID
}

func (r *novaRig) hostOf(id string) string {
	s, err := servers.Get(r.ctx, r.nova, id).Extract()
	require.NoError(r.t, err)
	return s.Host
}

// cleanup deletes only what the test created (never another server), and
// puts the hosts back as they were: enabled, at the base version.
func (r *novaRig) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, id := range r.servers {
		_ = servers.Delete(ctx, r.nova, id).ExtractErr()
	}
	for _, id := range r.servers {
		for ctx.Err() == nil {
			if _, err := servers.Get(ctx, r.nova, id).Extract(); gophercloud.ResponseCodeIs(err, 404) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	for _, g := range r.groups {
		_ = servergroups.Delete(ctx, r.nova, g).ExtractErr()
	}
	_ = openstack.RemoveVersionAggregates(ctx, r.nova, r.hosts)
	r.ctx = ctx
	r.enableOurs()
}

// runOnNova runs `escalator vim --cloud openstack` on a scenario and the
// reference VNFM (`escalator vnfm`) beside it, both in this process over
// loopback, and returns the VIM's exit code, its output and the trace.
func runOnNova(t *testing.T, scenario string, vnfmArgs ...string) (int, string, []escalator.Event) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "scenario.yaml")
	require.NoError(t, os.WriteFile(file, []byte(scenario), 0o644))
	// End before the test binary's deadline, so that the cleanup still
	// runs and leaves no host disabled and no server behind.
	limit := 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		limit = min(limit, time.Until(d)-3*time.Minute)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	pr, pw := io.Pipe()
	var vimOut syncBuffer
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		defer pw.Close()
		code <- cmdVIM(ctx, []string{"--cloud", "openstack", "--fake-upgrade", "2s", "--scenario", file, "--listen", "127.0.0.1:0",
			"--trace", dir, "--settle", "5s", "--wait", "2m"}, pw, &stderr)
	}()
	url := ""
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		_, _ = vimOut.Write([]byte(line + "\n"))
		if u, ok := strings.CutPrefix(line, "VIM listening on "); ok {
			url = u
			break
		}
	}
	if url == "" {
		c := <-code
		t.Fatalf("escalator vim did not start (exit %d): %s\n%s", c, vimOut.String(), stderr.String())
	}
	go func() {
		for sc.Scan() {
			_, _ = vimOut.Write([]byte(sc.Text() + "\n"))
		}
	}()
	vctx, stopVNFM := context.WithCancel(ctx)
	vnfmDone := make(chan int, 1)
	var vnfmErr syncBuffer
	go func() {
		vnfmDone <- cmdVNFM(vctx, append([]string{"--vim", url, "--reply-after", "1s"}, vnfmArgs...), io.Discard, &vnfmErr)
	}()
	var c int
	select {
	case c = <-code:
	case <-ctx.Done():
		t.Fatalf("the upgrade did not end within %s\n%s", limit, stderr.String())
	}
	stopVNFM()
	<-vnfmDone
	f, err := os.Open(filepath.Join(dir, firstLine(scenario, "name: ")+".ndjson"))
	require.NoError(t, err, "no trace; VIM said:\n%s\n%s", vimOut.String(), stderr.String())
	defer f.Close()
	events, err := escalator.ReadNDJSON(f)
	require.NoError(t, err)
	// CI may keep each real run's trace as an artifact.
	if keep := os.Getenv("ESCALATOR_OPENSTACK_TRACES"); keep != "" {
		require.NoError(t, os.MkdirAll(keep, 0o755))
		out, err := os.Create(filepath.Join(keep, strings.ReplaceAll(t.Name(), "/", "_")+".ndjson"))
		require.NoError(t, err)
		require.NoError(t, escalator.WriteNDJSON(out, events))
		require.NoError(t, out.Close())
	}
	t.Logf("VIM:\n%s", vimOut.String())
	return c, vimOut.String() + stderr.String(), events
}

func firstLine(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// as reads one typed event back.
func as[T event.Payload](t *testing.T, e escalator.Event) T {
	t.Helper()
	p, ok, err := event.As[T](e)
	require.NoError(t, err)
	require.True(t, ok, "%s is not a %T", e.Kind, p)
	return p
}

func kinds(events []escalator.Event, kind string) []escalator.Event {
	var out []escalator.Event
	for _, e := range events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func finalSession(t *testing.T, events []escalator.Event) event.SessionState {
	t.Helper()
	var last *event.SessionState
	for _, e := range kinds(events, "session.state") {
		st := as[event.SessionState](t, e)
		last = &st
	}
	require.NotNil(t, last, "no session.state in the trace")
	return *last
}

// TestOpenStackF1Upgrade: an F1 upgrade of the 3 compute hosts carrying an
// active-standby pair and a 3-member load-balanced pool, with the
// reference VNFM. It must end COMPLETED with every check passing, each
// host at 2.0 in its aggregate and back in service.
func TestOpenStackF1Upgrade(t *testing.T) {
	r := requireOpenStack(t)
	h := r.hosts
	r.boot("mme", "vnfm-1", "", "mme-1@"+h[0], "mme-2@"+h[1])
	r.boot("web", "vnfm-1", "", "web-1@"+h[0], "web-2@"+h[1], "web-3@"+h[2])
	start := time.Now()
	code, out, events := runOnNova(t, `name: os-f1
nodes: {count: 3, version: "1.0"}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s}
  - {name: web, mode: load-balanced, capacityPerInstance: 500/s, load: 900/s}
upgrade: {flow: F1, targetVersion: "2.0", maxParallel: 1, replyTimeout: 60s, upgradeTimeout: 5m}
`)
	t.Logf("F1 over real Nova took %s", time.Since(start).Round(time.Second))
	require.Equal(t, exitPass, code, out)
	require.Equal(t, event.SessionCompleted, finalSession(t, events).State, out)
	require.Len(t, kinds(events, "node.version"), 3)
	require.NotEmpty(t, kinds(events, "vnfm.reply"), "the VNFM replied")
	for _, e := range kinds(events, "node.command") {
		nc := as[event.NodeCommand](t, e)
		require.Equal(t, 0, nc.Exit, "%s on %s", nc.Step, e.Subject)
	}
	// What Nova shows: every service enabled again, every host at 2.0.
	pages, err := services.List(r.nova, services.ListOpts{Binary: "nova-compute"}).AllPages(r.ctx)
	require.NoError(t, err)
	svcs, err := services.ExtractServices(pages)
	require.NoError(t, err)
	for _, s := range svcs {
		require.Equal(t, "enabled", s.Status, "%s: %s", s.Host, s.DisabledReason)
	}
}

// TestOpenStackSilentVNFMLiveMigration: the VNFM never answers; after the
// reply timeout the orchestrator sees the active VM still serving and
// live-migrates it, and Nova really performs the migration.
func TestOpenStackSilentVNFMLiveMigration(t *testing.T) {
	r := requireOpenStack(t)
	h := r.hosts
	ids := r.boot("mme", "vnfm-1", "", "mme-1@"+h[0], "mme-2@"+h[1])
	start := time.Now()
	code, out, events := runOnNova(t, fmt.Sprintf(`name: os-silent
nodes: {count: 3, version: "1.0"}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s}
vnfm: {behavior: silent}
upgrade: {flow: F1, targetVersion: "2.0", nodes: [%s], replyTimeout: 10s, upgradeTimeout: 5m}
`, h[0]), "--behavior", "silent")
	t.Logf("silent VNFM over real Nova took %s", time.Since(start).Round(time.Second))
	require.Equal(t, exitPass, code, out)
	require.Equal(t, event.SessionCompleted, finalSession(t, events).State, out)
	require.NotEmpty(t, kinds(events, "vnfm.reply-timeout"))
	var live []event.NovaMigration
	for _, e := range kinds(events, "nova.migration") {
		live = append(live, as[event.NovaMigration](t, e))
	}
	require.Len(t, live, 1, "one migration: the active mme-1")
	require.Equal(t, ids["mme-1"], live[0].Server)
	require.Equal(t, "live-migration", live[0].Type)
	require.Equal(t, "completed", live[0].Status)
	require.Equal(t, h[0], live[0].Source)
	require.NotEqual(t, h[0], r.hostOf(ids["mme-1"]), "Nova moved the server")
	require.Equal(t, live[0].Dest, r.hostOf(ids["mme-1"]))
}

// TestOpenStackColdMigration: the VNF allows only cold migration (IFA 011),
// and the VNFM is silent; the orchestrator cold-migrates the active, which
// Nova stops, moves, holds in VERIFY_RESIZE until the Cloud confirms it,
// and records as a "migration" that ends confirmed.
func TestOpenStackColdMigration(t *testing.T) {
	r := requireOpenStack(t)
	h := r.hosts
	ids := r.boot("mme", "vnfm-1", "", "mme-1@"+h[0], "mme-2@"+h[1])
	start := time.Now()
	code, out, events := runOnNova(t, fmt.Sprintf(`name: os-cold
nodes: {count: 3, version: "1.0"}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s, maintenance: {migrationTypes: [cold]}}
vnfm: {behavior: silent}
upgrade: {flow: F1, targetVersion: "2.0", nodes: [%s], replyTimeout: 10s, upgradeTimeout: 5m}
`, h[0]), "--behavior", "silent")
	t.Logf("cold migration over real Nova took %s", time.Since(start).Round(time.Second))
	require.Equal(t, exitPass, code, out)
	require.Equal(t, event.SessionCompleted, finalSession(t, events).State, out)
	var recs []event.NovaMigration
	for _, e := range kinds(events, "nova.migration") {
		recs = append(recs, as[event.NovaMigration](t, e))
	}
	require.Len(t, recs, 1, out)
	require.Equal(t, ids["mme-1"], recs[0].Server)
	require.Equal(t, "migration", recs[0].Type)
	require.Equal(t, "confirmed", recs[0].Status)
	require.Equal(t, recs[0].Dest, r.hostOf(ids["mme-1"]))
	require.NotEqual(t, h[0], recs[0].Dest)
}

// TestOpenStackMigrationNoValidHost: three members of an active-standby
// VNF, one per host, in a Nova anti-affinity server group. The VNFM
// acknowledges without moving, so the active must be moved, and Nova's
// scheduler finds no valid host. As specified (onNack fail), the node is
// not upgraded, the session ends FAILED, no host stays in maintenance and
// the server stays where it was.
func TestOpenStackMigrationNoValidHost(t *testing.T) {
	r := requireOpenStack(t)
	h := r.hosts
	g := r.antiAffinityGroup("mme")
	ids := r.boot("mme", "vnfm-1", g, "mme-1@"+h[0], "mme-2@"+h[1], "mme-3@"+h[2])
	start := time.Now()
	code, out, events := runOnNova(t, fmt.Sprintf(`name: os-novalidhost
nodes: {count: 3, version: "1.0"}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s}
vnfm: {behavior: ack-without-moving}
upgrade: {flow: F1, targetVersion: "2.0", nodes: [%s], replyTimeout: 30s, onNack: fail}
expect: {outcome: failed}
`, h[0]), "--behavior", "ack-without-moving")
	t.Logf("no valid host over real Nova took %s", time.Since(start).Round(time.Second))
	require.Equal(t, exitPass, code, out)
	require.Equal(t, event.SessionFailed, finalSession(t, events).State, out)
	failed := kinds(events, "vm.migration-failed")
	require.Len(t, failed, 1, out)
	f := as[event.VMMigrationFailed](t, failed[0])
	t.Logf("the migration Nova refused: %s", f.Error)
	require.Contains(t, f.Error, "ended error", "Nova's migration record ended in error")
	require.Contains(t, f.Error, "No valid host was found", "the scheduler's own reason, from the instance action")
	require.Empty(t, kinds(events, "node.upgrade-started"), "a node whose business cannot move is not upgraded")
	require.Equal(t, h[0], r.hostOf(ids["mme-1"]))
	pages, err := services.List(r.nova, services.ListOpts{Binary: "nova-compute", Host: h[0]}).AllPages(r.ctx)
	require.NoError(t, err)
	svcs, err := services.ExtractServices(pages)
	require.NoError(t, err)
	require.Equal(t, "enabled", svcs[0].Status, "the host is back in service")
}

// TestOpenStackRollback: a host's install fails, or hangs past the
// upgrade's expected duration; the orchestrator rolls every upgraded host
// back in reverse order through the same maintenance handshake, as in the
// simulator, and Nova ends with every host enabled at its first version.
func TestOpenStackRollback(t *testing.T) {
	tests := []struct{ name, fault string }{
		{"install fails", "upgrade-fails"},
		{"install hangs", "upgrade-hangs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := requireOpenStack(t)
			h := r.hosts
			r.boot("mme", "vnfm-1", "", "mme-1@"+h[0], "mme-2@"+h[1])
			start := time.Now()
			code, out, events := runOnNova(t, fmt.Sprintf(`name: os-rollback
nodes: {count: 3, version: "1.0"}
vnfs:
  - {name: mme, mode: active-standby, load: 1000/s}
upgrade: {flow: F1, targetVersion: "2.0", maxParallel: 1, replyTimeout: 30s, upgradeTimeout: 15s}
faults:
  - {node: %s, do: %s}
expect: {outcome: rollback}
`, h[1], tc.fault))
			t.Logf("%s over real Nova took %s", tc.name, time.Since(start).Round(time.Second))
			require.Equal(t, exitPass, code, out)
			require.Equal(t, event.SessionRolledBack, finalSession(t, events).State, out)
			hosts, err := openstackVersions(r)
			require.NoError(t, err)
			for _, host := range h {
				require.Contains(t, []string{"", "1.0"}, hosts[host], "%s is back at 1.0 in Nova", host)
			}
			pages, err := services.List(r.nova, services.ListOpts{Binary: "nova-compute"}).AllPages(r.ctx)
			require.NoError(t, err)
			svcs, err := services.ExtractServices(pages)
			require.NoError(t, err)
			for _, s := range svcs {
				require.Equal(t, "enabled", s.Status, "%s: %s", s.Host, s.DisabledReason)
			}
		})
	}
}

// openstackVersions reads the version aggregates as a new Cloud would.
func openstackVersions(r *novaRig) (map[string]string, error) {
	c, err := openstack.New(r.ctx, openstack.Config{Compute: r.nova})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	hosts, _ := c.Inventory()
	out := map[string]string{}
	for _, h := range hosts {
		out[h.ID] = h.Version
	}
	return out, nil
}
