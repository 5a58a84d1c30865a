package openstack

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/migrations"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// Migrate moves a server off its host: live (os-migrateLive) or cold
// (migrate, then confirmResize once Nova has it in VERIFY_RESIZE). The
// target is the first host in prefer that is in normal service and holds
// no other VM of the server's group, then any such host; Nova's scheduler
// still checks it. With no such host the scheduler is asked to choose, so
// that the refusal ("No valid host was found") is Nova's own. done runs on
// the loop when Nova's migration record says the move completed, or with
// Nova's error when it did not.
func (c *Cloud) Migrate(vmID string, prefer []string, live bool, done orchestrator.MigrationDone) {
	s := c.vms[vmID]
	if s == nil {
		err := escalator.Errorf(escalator.ENOTFOUND, "VM %q does not exist", vmID)
		c.cfg.Post(func() { done("", err) })
		return
	}
	if s.state != orchestrator.VMRunning {
		err := escalator.Errorf(escalator.ECONFLICT, "VM %s is %s", vmID, s.state)
		event.Emit(c.cfg.Trace, actor, vmID, event.VMMigrationFailed{From: s.host, Error: err.Error()})
		c.cfg.Post(func() { done("", err) })
		return
	}
	from := s.host
	target := c.pick(s, prefer)
	if target != "" {
		event.Emit(c.cfg.Trace, actor, vmID, event.VMMigrating{From: from, To: target, Live: live, ToState: c.byID[target].state})
	}
	cause := "live migration"
	if !live {
		cause = "cold migration"
	}
	// A live-migrating server keeps serving; a cold one is stopped.
	if live {
		c.setVMState(s, orchestrator.VMMigrating, cause)
	} else {
		c.setVMState(s, orchestrator.VMDown, cause)
	}
	uuid := s.uuid
	c.do(func(ctx context.Context) {
		before := c.lastMigration(ctx, uuid)
		err := c.startMigration(ctx, uuid, target, live)
		if err != nil {
			c.cfg.Post(func() { c.migrationEnded(s, from, target, live, nil, err, done) })
			return
		}
		c.wait(func(ctx context.Context) {
			rec, err := c.awaitMigration(ctx, uuid, before, live)
			c.cfg.Post(func() { c.migrationEnded(s, from, target, live, rec, err, done) })
		})
	})
}

func (c *Cloud) pick(s *server, prefer []string) string {
	ok := func(n *node) bool {
		if n == nil || n.id == s.host || n.state != orchestrator.NodeNormal {
			return false
		}
		if s.group != "" {
			for _, o := range c.vms {
				if o != s && o.group == s.group && o.host == n.id {
					return false
				}
			}
		}
		return true
	}
	for _, id := range prefer {
		if n := c.byID[id]; ok(n) {
			return id
		}
	}
	for _, n := range c.nodes {
		if ok(n) {
			return n.id
		}
	}
	return ""
}

// lastMigration is the ID of the server's newest migration record, so
// that the wait reads only the record of the migration it asked for.
func (c *Cloud) lastMigration(ctx context.Context, uuid string) int64 {
	recs, err := c.migrations(ctx, uuid)
	if err != nil {
		return 0
	}
	var last int64
	for _, r := range recs {
		last = max(last, r.ID)
	}
	return last
}

func (c *Cloud) migrations(ctx context.Context, uuid string) ([]migrations.Migration, error) {
	pages, err := migrations.List(c.nova, migrations.ListOpts{InstanceID: &uuid}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	return migrations.ExtractMigrations(pages)
}

func (c *Cloud) startMigration(ctx context.Context, uuid, target string, live bool) error {
	var host any
	if target != "" {
		host = target
	}
	var body map[string]any
	if live {
		// "auto" (2.25+): Nova picks block or shared-storage migration.
		body = map[string]any{"os-migrateLive": map[string]any{"host": host, "block_migration": "auto"}}
	} else {
		var m any // null: the scheduler chooses
		if target != "" {
			m = map[string]any{"host": target} // 2.56+
		}
		body = map[string]any{"migrate": m}
	}
	_, err := c.nova.Post(ctx, c.nova.ServiceURL("servers", uuid, "action"), body, nil, &gophercloud.RequestOpts{OkCodes: []int{202}})
	if err != nil {
		return novaErr("migrate server "+uuid, err)
	}
	return nil
}

// awaitMigration polls the server and its migration record until the
// migration ends, confirming a cold one on the way.
func (c *Cloud) awaitMigration(ctx context.Context, uuid string, before int64, live bool) (*migrations.Migration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.MigrationTimeout)
	defer cancel()
	tick := time.NewTicker(c.cfg.Poll)
	defer tick.Stop()
	var rec *migrations.Migration
	confirmed := false
	for {
		select {
		case <-ctx.Done():
			return rec, escalator.Errorf(escalator.EUNAVAILABLE, "Nova did not finish the migration of %s within %s", uuid, c.cfg.MigrationTimeout)
		case <-tick.C:
		}
		recs, err := c.migrations(ctx, uuid)
		if err != nil {
			continue // a slow or restarting API: try again at the next tick
		}
		// The newest record after before, as this poll reads it (an older
		// poll's copy would keep its old status).
		var newest *migrations.Migration
		for i := range recs {
			if recs[i].ID > before && (newest == nil || recs[i].ID > newest.ID) {
				newest = &recs[i]
			}
		}
		if newest != nil {
			rec = newest
		}
		srv, err := servers.Get(ctx, c.nova, uuid).Extract()
		if err != nil {
			continue
		}
		if rec == nil {
			if srv.Status == "ERROR" {
				return nil, escalator.Errorf(escalator.ECONFLICT, "server %s went to ERROR: %s", uuid, srv.Fault.Message)
			}
			continue
		}
		switch rec.Status {
		case "completed", "confirmed":
			if srv.Status == "ACTIVE" && srv.TaskState == "" {
				return rec, nil
			}
		case "finished":
			// A cold migration waits in VERIFY_RESIZE for our confirmation.
			if !live && !confirmed && srv.Status == "VERIFY_RESIZE" {
				if r := servers.ConfirmResize(ctx, c.nova, uuid); r.Err != nil {
					return rec, novaErr("confirm resize of "+uuid, r.Err)
				}
				confirmed = true
			}
		case "error", "failed", "cancelled":
			msg := fmt.Sprintf("Nova's migration %d ended %s", rec.ID, rec.Status)
			if srv.Fault.Message != "" {
				msg += ": " + srv.Fault.Message
			} else if why := c.actionError(ctx, uuid); why != "" {
				msg += ": " + why
			}
			return rec, escalator.Errorf(escalator.ECONFLICT, "%s", msg)
		}
		if srv.Status == "ERROR" {
			return rec, escalator.Errorf(escalator.ECONFLICT, "server %s went to ERROR during its migration: %s", uuid, srv.Fault.Message)
		}
	}
}

// migrationEnded applies the outcome on the loop: the view, the events, and
// the orchestrator's callback.
func (c *Cloud) migrationEnded(s *server, from, target string, live bool, rec *migrations.Migration, err error, done orchestrator.MigrationDone) {
	if rec != nil {
		nm := event.NovaMigration{Server: s.uuid, ID: int(rec.ID), Type: rec.MigrationType, Status: rec.Status,
			Source: rec.SourceCompute, Dest: rec.DestCompute}
		if !rec.CreatedAt.IsZero() {
			nm.Created = rec.CreatedAt.UTC().Format(time.RFC3339)
			nm.Updated = rec.UpdatedAt.UTC().Format(time.RFC3339)
			nm.Window = rec.UpdatedAt.Sub(rec.CreatedAt).String()
		}
		event.Emit(c.cfg.Trace, actor, s.vm, nm)
	}
	if err != nil {
		event.Emit(c.cfg.Trace, actor, s.vm, event.VMMigrationFailed{From: from, To: target, Error: err.Error()})
		c.setVMState(s, orchestrator.VMRunning, "migration failed; the server stays on "+from)
		done("", err)
		return
	}
	to := target
	if rec != nil && rec.DestCompute != "" {
		to = rec.DestCompute
	}
	if target == "" || to != target {
		// The scheduler chose: the move is in the trace once its end is known.
		n := c.byID[to]
		state := ""
		if n != nil {
			state = n.state
		}
		event.Emit(c.cfg.Trace, actor, s.vm, event.VMMigrating{From: from, To: to, Live: live, ToState: state})
	}
	if n := c.byID[from]; n != nil {
		n.usedVCPUs -= s.vcpus
		n.usedMemGiB -= s.memGiB
	}
	if n := c.byID[to]; n != nil {
		n.usedVCPUs += s.vcpus
		n.usedMemGiB += s.memGiB
	}
	s.host = to
	s.status = "ACTIVE"
	event.Emit(c.cfg.Trace, actor, s.vm, event.VMMigrated{From: from, To: to})
	c.setVMState(s, orchestrator.VMRunning, "migrated to "+to)
	done(to, nil)
}

// exceptionLine is a traceback's "pkg.Class: message" line.
var exceptionLine = regexp.MustCompile(`^[A-Za-z_][\w.]*(Error|Exception|Host|Failed|Timeout)[\w]*: `)

// actionError digs the reason of a failed migration out of the server's
// newest instance action: a live migration the scheduler refuses leaves
// the server ACTIVE with no fault, and only the action's failed event says
// why ("No valid host was found. ..."): its details since 2.84, else the
// exception line of its traceback, which admins see.

func (c *Cloud) actionError(ctx context.Context, uuid string) string {
	var list struct {
		Actions []struct {
			RequestID string `json:"request_id"`
			Action    string `json:"action"`
		} `json:"instanceActions"`
	}
	if _, err := c.nova.Get(ctx, c.nova.ServiceURL("servers", uuid, "os-instance-actions"), &list, nil); err != nil || len(list.Actions) == 0 {
		return ""
	}
	// Newest first.
	a := list.Actions[0]
	var one struct {
		Action struct {
			Events []struct {
				Event     string `json:"event"`
				Result    string `json:"result"`
				Traceback string `json:"traceback"`
				Details   string `json:"details"`
			} `json:"events"`
		} `json:"instanceAction"`
	}
	// 2.84 adds each event's details, the exception's message; a cloud
	// older than Ussuri refuses it, and the traceback (admin) is read instead.
	url := c.nova.ServiceURL("servers", uuid, "os-instance-actions", a.RequestID)
	at284 := *c.nova
	at284.Microversion = "2.84"
	if _, err := at284.Get(ctx, url, &one, nil); err != nil {
		if _, err := c.nova.Get(ctx, url, &one, nil); err != nil {
			return ""
		}
	}
	for _, e := range one.Action.Events {
		if e.Result != "Error" {
			continue
		}
		if e.Details != "" {
			return a.Action + ": " + e.Event + ": " + e.Details
		}
		// The exception line ("pkg.Class: message"), the last one in a
		// chained traceback.
		last := ""
		for _, l := range strings.Split(e.Traceback, "\n") {
			if l = strings.TrimSpace(l); exceptionLine.MatchString(l) {
				last = l
			}
		}
		if len(last) > 300 {
			last = last[:300] + "..."
		}
		if last == "" {
			return a.Action + ": " + e.Event + " failed"
		}
		return a.Action + ": " + e.Event + ": " + last
	}
	return ""
}
