package replay

import (
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/internal/datadriven"
)

// The projection's datadriven tests, in the style of the orchestrator's
// testdata/plan: each file under testdata holds small hand-written traces,
// each followed by the world they project to. A case is
//
//	# comments
//	replay [at=N,M]
//	<time> <kind> <subject|-> [fields as a JSON object]
//	...
//	----
//	<expected output, up to a blank line>
//
// One input line is one event, numbered from 1 (its actor does not matter
// to the projection). The output is the world after the last event, or
// after each event listed in at= ("after #N" heads each world). A world
// prints every node in trace order, every VM the trace named (sorted) with
// its notice, every VNF in trace order, every notification, and the first
// field that did not fit its type.
//
// go test ./event/replay -run TestReplayData -update rewrites the expected
// sections from what the code does now.
var update = flag.Bool("update", false, "rewrite the expected output of testdata/*.txt")

func TestReplayData(t *testing.T) {
	for _, path := range datadriven.Files(t, filepath.Join("testdata", "*.txt")) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			datadriven.RunFile(t, path, *update, func(t *testing.T, c *datadriven.Case) string {
				require.Equal(t, "replay", c.Cmd, "%s:%d: unknown command", path, c.Line)
				return runData(t, path, c)
			})
		})
	}
}

// parseEvent reads "<time> <kind> <subject|-> [{fields}]".
func parseEvent(t *testing.T, where string, seq int, l string) escalator.Event {
	parts := strings.SplitN(l, " ", 4)
	require.GreaterOrEqual(t, len(parts), 3, "%s: want <time> <kind> <subject|-> [fields]", where)
	at, err := time.ParseDuration(parts[0])
	require.NoError(t, err, "%s", where)
	e := escalator.Event{Seq: int64(seq), At: at, Actor: "test", Kind: parts[1], Subject: parts[2]}
	if e.Subject == "-" {
		e.Subject = ""
	}
	if len(parts) == 4 {
		require.NoError(t, json.Unmarshal([]byte(parts[3]), &e.Fields), "%s: fields", where)
	}
	return e
}

func runData(t *testing.T, path string, c *datadriven.Case) string {
	var events []escalator.Event
	for i, l := range c.Input {
		events = append(events, parseEvent(t, fmt.Sprintf("%s:%d", path, c.Line), i+1, l))
	}
	at := map[int]bool{}
	if s := c.Args["at"]; s != "" {
		for _, n := range strings.Split(s, ",") {
			var i int
			_, err := fmt.Sscan(n, &i)
			require.NoError(t, err, "%s:%d: at=%s", path, c.Line, s)
			at[i] = true
		}
	}
	w := New()
	var out []string
	for i, e := range events {
		w.Apply(e)
		if at[i+1] {
			out = append(out, fmt.Sprintf("after #%d", i+1))
			out = append(out, render(w, events[:i+1])...)
		}
	}
	if len(at) == 0 {
		out = render(w, events)
	}
	return strings.Join(out, "\n")
}

// render prints the world after events.
func render(w *World, events []escalator.Event) []string {
	var out []string
	for _, id := range w.Nodes() {
		n, _ := w.Node(id)
		line := fmt.Sprintf("node %s %s since %s version %s", id, or(n.State, `""`), n.Since, or(n.Version, `""`))
		if n.Original != n.Version {
			line += " (joined at " + or(n.Original, `""`) + ")"
		}
		if vms := w.VMsOn(id); len(vms) > 0 {
			line += " vms " + strings.Join(vms, ",")
		}
		out = append(out, line)
	}
	// Every VM the trace named: subjects of vm.* events and instances of
	// VNF operations and notifications.
	var ids []string
	for _, e := range events {
		if strings.HasPrefix(e.Kind, "vm.") {
			ids = append(ids, e.Subject)
		}
		ids = append(ids, e.Str("instance"))
		ids = append(ids, e.Strs("instances")...)
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		vm, ok := w.VM(id)
		if !ok {
			continue
		}
		line := fmt.Sprintf("vm %s on %s %s vnf %s vnfm %s", id, or(vm.Host, "-"), or(vm.State, `""`), or(vm.VNF, "-"), or(vm.VNFM, "-"))
		if vm.Role != "" {
			line += " role " + vm.Role
		}
		for _, f := range []struct {
			set  bool
			word string
		}{{vm.Carrying, "carrying"}, {vm.Drained, "drained"}, {vm.Deleted, "deleted"}} {
			if f.set {
				line += " " + f.word
			}
		}
		if n, ok := w.Notice(id); ok {
			line += fmt.Sprintf(" notice #%d", n.Event.Seq)
			if !n.Open {
				line += " closed"
			}
		}
		out = append(out, line)
	}
	for _, name := range w.VNFs() {
		v, _ := w.VNF(name)
		line := fmt.Sprintf("vnf %s %s", name, or(v.Mode, `""`))
		if v.Deployed {
			line += fmt.Sprintf(" deployed %s size %d/%d", v.DeployedAt, v.Size, v.Made)
		}
		if v.Active != "" {
			line += " active " + v.Active
		}
		line += fmt.Sprintf(" vnfm %s members %s", or(v.VNFM, "-"), or(strings.Join(w.Members(name), ","), "-"))
		out = append(out, line)
		if l := v.Limits; l != nil {
			out = append(out, fmt.Sprintf("  limits lead %s recovery %s maxImpacted %d minPreserved %d migration %v",
				l.LeadTime, l.MinRecoveryTime, l.MaxImpacted, l.MinPreserved, l.MigrationTypes))
		}
		for _, o := range v.Interruptions {
			out = append(out, fmt.Sprintf("  interrupted at %s for %s, %g lost: %s", o.Start, o.Duration, o.Lost, o.Cause))
		}
		if s := v.Summary; s != nil {
			out = append(out, fmt.Sprintf("  summary %g of %g lost in %d interruptions", s.Lost, s.Offered, s.Interruptions))
		}
	}
	for _, n := range w.Notifications() {
		line := fmt.Sprintf("notification %s #%d %s to %s, %d replies", n.Notify.NotificationID, n.Event.Seq, n.Notify.Type, n.Event.Subject, len(n.Replies))
		if n.Accepted != nil {
			line += fmt.Sprintf(", accepted #%d", n.Accepted.Seq)
		}
		out = append(out, line)
	}
	if err := w.Err(); err != nil {
		out = append(out, "error: "+err.Error())
	}
	if len(out) == 0 {
		out = append(out, "empty")
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
