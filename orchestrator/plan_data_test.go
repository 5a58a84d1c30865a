package orchestrator

import (
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/eventtest"
	"github.com/escalator-testbed/escalator/internal/datadriven"
	"github.com/stretchr/testify/require"
)

// The planner's datadriven tests, in the style of etcd-io/raft's testdata:
// each file under testdata/plan holds small hand-written worlds and the
// sessions run over them, each followed by what the session did. A case is
//
//	# comments
//	<command> [key=value | flag ...]
//	<input lines>
//	----
//	<expected output, up to a blank line>
//
// Commands:
//
//	world      the input lists the nodes, one a line:
//	           <node> [zone=<z>] [vms=<vm>[:<group>][*][!],...]
//	           (* the VM carries business, ! it is down); every node is at
//	           v1, a VM's VNFM is vnfm-<group> (vnfm without a group).
//	           Its output is "ok".
//	run        runs one session over the last world on the fake ports and
//	           prints what it did. Arguments: flow=F1|F2|naive (F1),
//	           maxParallel=N (1), defects=a,b, limits=g:N,...,
//	           lead=g:dur,..., recovery=g:dur,..., migration=g:live+cold,...,
//	           byZone, onNack=fail|skip (skip), reply=dur|none (the VNFMs
//	           ACK after dur, 10s; none: they stay silent). The input holds
//	           timed happenings, each "at <dur> <verb> <what>": fail or
//	           repair a node, down or up a VM. At 0s a happening comes
//	           after the session's checks and before its first plan.
//
// run prints, at each line's virtual time: a planned batch ("batch") or a
// planner wait ("wait"), each followed by every node it held back, by the
// filter that held it and why ("defer": the reason also goes into the
// plan event's deferred field; "hold": it stays in the plan result); the
// maintenance notifications; the lead-time waits; the migrations; the
// upgrades; nodes skipped or failed; and the end of the session.
//
// go test ./orchestrator -run TestPlanData -update rewrites the expected
// sections from what the code does now.
var update = flag.Bool("update", false, "rewrite the expected output of testdata/plan/*.txt")

func TestPlanData(t *testing.T) {
	for _, path := range datadriven.Files(t, filepath.Join("testdata", "plan", "*.txt")) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var w *dataWorld
			datadriven.RunFile(t, path, *update, func(t *testing.T, c *datadriven.Case) string {
				switch c.Cmd {
				case "world":
					w = parseWorld(t, c)
					return "ok"
				case "run":
					require.NotNil(t, w, "%s:%d: run before any world", path, c.Line)
					return runData(t, w, c)
				}
				require.Failf(t, "unknown command", "%s:%d: %q", path, c.Line, c.Cmd)
				return ""
			})
		})
	}
}

type dataVM struct {
	id, group  string
	busy, down bool
}

type dataNode struct {
	id, zone string
	vms      []dataVM
}

type dataWorld struct{ nodes []dataNode }

func parseWorld(t *testing.T, c *datadriven.Case) *dataWorld {
	w := &dataWorld{}
	for _, l := range c.Input {
		fields := strings.Fields(l)
		n := dataNode{id: fields[0], zone: "z1"}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "zone":
				n.zone = v
			case "vms":
				for _, spec := range strings.Split(v, ",") {
					var vm dataVM
					spec, vm.down = strings.CutSuffix(spec, "!")
					spec, vm.busy = strings.CutSuffix(spec, "*")
					vm.id, vm.group, _ = strings.Cut(spec, ":")
					n.vms = append(n.vms, vm)
				}
			default:
				require.Failf(t, "unknown node attribute", "line %d: %q", c.Line, f)
			}
		}
		w.nodes = append(w.nodes, n)
	}
	return w
}

// pairs parses "k:v,k:v".
func pairs[V any](t *testing.T, s string, parse func(string) (V, error)) map[string]V {
	if s == "" {
		return nil
	}
	out := map[string]V{}
	for _, p := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(p, ":")
		require.True(t, ok, "want key:value, got %q", p)
		x, err := parse(v)
		require.NoError(t, err, "%q", p)
		out[k] = x
	}
	return out
}

func runData(t *testing.T, w *dataWorld, c *datadriven.Case) string {
	h := newHarness(t)
	for _, n := range w.nodes {
		h.cloud.addNode(n.id, "v1").Zone = n.zone
		for _, vm := range n.vms {
			vnfm := "vnfm"
			if vm.group != "" {
				vnfm = "vnfm-" + vm.group
			}
			v := h.cloud.addVM(vm.id, n.id, vnfm, "vnf-"+vm.id, vm.group)
			if vm.down {
				v.State = "down"
			} else {
				v.State = "running"
			}
			if vm.busy {
				h.cloud.carrying[vm.id] = true
			}
		}
	}
	known := []string{"flow", "maxParallel", "defects", "limits", "lead", "recovery", "migration", "byZone", "onNack", "reply"}
	for k := range c.Args {
		require.Contains(t, known, k, "line %d: unknown argument", c.Line)
	}
	flow := c.Args["flow"]
	if flow == "" {
		flow = FlowF1
	}
	cfg := baseConfig(flow)
	if v, ok := c.Args["maxParallel"]; ok {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		cfg.MaxParallel = n
	}
	if v := c.Args["defects"]; v != "" {
		cfg.Defects = strings.Split(v, ",")
	}
	if v := c.Args["onNack"]; v != "" {
		cfg.OnNack = v
	}
	_, cfg.BatchByZone = c.Args["byZone"]
	cfg.GroupLimits = pairs(t, c.Args["limits"], strconv.Atoi)
	cfg.GroupLeadTime = pairs(t, c.Args["lead"], time.ParseDuration)
	cfg.GroupRecovery = pairs(t, c.Args["recovery"], time.ParseDuration)
	cfg.GroupMigration = pairs(t, c.Args["migration"], func(s string) ([]string, error) { return strings.Split(s, "+"), nil })
	switch reply := c.Args["reply"]; reply {
	case "none":
	case "":
		h.ackAll(10 * time.Second)
	default:
		d, err := time.ParseDuration(reply)
		require.NoError(t, err)
		h.ackAll(d)
	}
	for _, l := range c.Input {
		var at, verb, what string
		_, err := fmt.Sscanf(l, "at %s %s %s", &at, &verb, &what)
		require.NoError(t, err, "line %d: want \"at <dur> <verb> <what>\", got %q", c.Line, l)
		d, err := time.ParseDuration(at)
		require.NoError(t, err)
		var do func()
		switch verb {
		case "fail", "repair":
			require.NotNil(t, h.cloud.node(what), "no node %s", what)
			state := map[string]string{"fail": NodeFailed, "repair": NodeNormal}[verb]
			do = func() { h.cloud.node(what).State = state }
		case "down", "up":
			require.NotNil(t, h.cloud.vm(what), "no VM %s", what)
			state := map[string]string{"down": "down", "up": "running"}[verb]
			do = func() { h.cloud.vm(what).State = state }
		default:
			require.Failf(t, "unknown happening", "line %d: %q", c.Line, l)
		}
		// Armed before the session, a happening at 0s fires after its
		// checks (CreateSession) and before its first plan.
		h.clock.AfterFunc(d, do)
	}
	var plans []planResult
	h.m.onPlan = func(p planResult) { plans = append(plans, p) }
	id := h.start(cfg).ID
	h.run()
	require.Zero(t, h.clock.Pending(), "a timer was left armed")
	return renderData(t, h, plans, h.status(id))
}

// renderData prints what a session did, from its trace and plan results.
func renderData(t *testing.T, h *harness, plans []planResult, st SessionStatus) string {
	var out []string
	say := func(e escalator.Event, format string, a ...any) {
		out = append(out, e.At.String()+" "+fmt.Sprintf(format, a...))
	}
	next := 0
	for _, e := range h.rec.events {
		switch e.Kind {
		case "plan.batch", "plan.wait":
			require.Less(t, next, len(plans), "a plan event without a plan result")
			p := plans[next]
			next++
			var nodes []string
			var traced map[string]string
			if e.Kind == "plan.batch" {
				b := eventtest.As[event.PlanBatch](t, e)
				nodes, traced = b.Nodes, b.Deferred
			} else {
				w := eventtest.As[event.PlanWait](t, e)
				nodes, traced = w.Nodes, w.Deferred
				require.Equal(t, p.wait.String(), w.Wait)
			}
			require.Equal(t, p.nodes, nodes)
			if len(p.traced()) == 0 {
				require.Nil(t, traced, "no deferred field without a traced reason")
			} else {
				require.Equal(t, p.traced(), traced, "the trace carries the traced reasons, exactly")
			}
			if e.Kind == "plan.batch" {
				say(e, "batch %s", strings.Join(p.nodes, " "))
			} else {
				say(e, "wait %s", p.wait)
			}
			for _, d := range p.deferred {
				verb := "hold"
				if d.traced {
					verb = "defer"
				}
				out = append(out, fmt.Sprintf("  %s %s by %s: %s", verb, d.node, d.filter, d.reason))
			}
		case "plan.lead-time":
			l := eventtest.As[event.PlanLeadTime](t, e)
			say(e, "lead-time %s %s, wait %s", l.Group, l.LeadTime, l.Wait)
		case "vnfm.notify":
			if n := eventtest.As[event.VNFMNotify](t, e); n.Type == TypeMaintenance {
				say(e, "notify %s %s %s", e.Subject, n.State, strings.Join(n.Nodes, " "))
			}
		case "vnfm.reply-timeout":
			say(e, "reply-timeout %s", strings.Join(eventtest.As[event.VNFMReplyTimeout](t, e).VNFMs, " "))
		case "vm.migrate":
			m := eventtest.As[event.VMMigrate](t, e)
			how := "cold"
			if m.Refused != "" {
				how = "refused: " + m.Refused
			} else if m.Live != nil && *m.Live {
				how = "live"
			}
			say(e, "migrate %s off %s %s (%s)", e.Subject, m.From, how, m.Reason)
		case "node.status":
			switch n := eventtest.As[event.NodeStatus](t, e); n.Status {
			case StatusUpgrading:
				say(e, "upgrade %s", e.Subject)
			case StatusSkipped, StatusFailed:
				say(e, "%s %s: %s", n.Status, e.Subject, n.Reason)
			}
		case "session.state":
			if s := eventtest.As[event.SessionState](t, e); Terminal(s.State) {
				say(e, "end %s: %s", s.State, s.Reason)
			}
		}
	}
	require.Equal(t, len(plans), next, "a plan result without a plan event")
	require.True(t, Terminal(st.State), "the session did not end: %s", st.State)
	require.False(t, slices.ContainsFunc(out, func(l string) bool { return strings.TrimSpace(l) == "" }))
	return strings.Join(out, "\n")
}
