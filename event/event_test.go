package event

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
)

// TestKindsWellFormed: every payload type names one kind, no two share a
// name, and a type's name spells its kind (vm.migrate-finished is
// VMMigrateFinished), so the vocabulary reads the same in Go and in a trace.
func TestKindsWellFormed(t *testing.T) {
	kinds := Kinds()
	require.Len(t, kinds, len(all))
	require.Equal(t, len(kinds), len(slices.Compact(slices.Clone(kinds))), "two payload types share a kind")
	for _, p := range all {
		typ := reflect.TypeOf(p)
		require.Equal(t, reflect.Struct, typ.Kind(), "%s must be a struct", typ)
		spelled := strings.NewReplacer(".", "", "-", "").Replace(p.Kind())
		require.Equal(t, strings.ToLower(typ.Name()), spelled, "type %s carries kind %q", typ.Name(), p.Kind())
		for i := range typ.NumField() {
			require.NotEmpty(t, typ.Field(i).Tag.Get("json"), "%s.%s has no json tag: its trace name", typ.Name(), typ.Field(i).Name)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestFieldsWireForm: the map a payload flattens to is what the trace
// writes, so its JSON is the trace's bytes.
func TestFieldsWireForm(t *testing.T) {
	tests := []struct {
		name string
		p    Payload
		want string
	}{
		{"all fields always written", ServiceSummary{Mode: "active-standby"}, `{"interruptions":0,"lost":0,"mode":"active-standby","offered":0}`},
		{"omitempty leaves an unset field out", NodeStatus{Status: "UPGRADING", Session: "s1"}, `{"session":"s1","status":"UPGRADING"}`},
		{"omitempty writes a set field", NodeStatus{Status: "FAILED", Session: "s1", Reason: "hangs"}, `{"reason":"hangs","session":"s1","status":"FAILED"}`},
		{"a pointer says set to zero", VMMigrate{From: "n1", Reason: "r", Session: "s", Live: ptr(false)}, `{"from":"n1","live":false,"reason":"r","session":"s"}`},
		{"a nil pointer is left out", VMMigrate{From: "n1", Reason: "r", Session: "s", Refused: "no"}, `{"from":"n1","reason":"r","refused":"no","session":"s"}`},
		{"a nil slice without omitempty is null", HTTPExchange{From: "vim", To: "vnfm", Method: "POST", Path: "/"}, `{"from":"vim","method":"POST","path":"/","requestHeaders":null,"to":"vnfm"}`},
		{"a payload without fields has none", VNFMCrashed{}, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, escalator.WriteNDJSON(&b, []escalator.Event{{Seq: 1, Actor: "a", Kind: tc.p.Kind(), Fields: Fields(tc.p)}}))
			line := b.String()
			if tc.want == "" {
				require.NotContains(t, line, `"fields"`)
				return
			}
			require.Contains(t, line, `"fields":`+tc.want+`}`)
		})
	}
}

// TestAsReadsBack: a payload written to NDJSON and read back is the same
// value, and As tells a kind it was not asked for.
func TestAsReadsBack(t *testing.T) {
	in := []Payload{
		VNFMNotify{VNFM: "vnfm-1", NotificationID: "n1", Type: "MaintenanceNotification", Session: "s1", State: "MAINTENANCE",
			Nodes: []string{"compute-1"}, Instances: []string{"vm-1", "vm-2"}, ReplyBy: "2026-01-01T00:00:30Z", ReplyWithin: "30s"},
		VNFDeployed{Mode: "load-balanced", Instances: 3, Load: 1500.5, CapacityPerInstance: 1000, LeadTime: "30s", MaxImpacted: ptr(1), MinPreserved: ptr(0)},
		FaultInjected{Fault: "vm-crash", Index: ptr(0), VM: "vm-1", IgnoreMaintenance: ptr(false)},
	}
	tr := escalator.NewTrace(func() (d time.Duration) { return })
	for _, p := range in {
		Emit(tr, "x", "subject", p)
	}
	var b bytes.Buffer
	require.NoError(t, escalator.WriteNDJSON(&b, tr.Events))
	back, err := escalator.ReadNDJSON(&b)
	require.NoError(t, err)
	n, ok, err := As[VNFMNotify](back[0])
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, in[0], n)
	d, ok, err := As[VNFDeployed](back[1])
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, in[1], d)
	f, ok, err := As[FaultInjected](back[2])
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, in[2], f)
	_, ok, err = As[VNFMNotify](back[1])
	require.NoError(t, err)
	require.False(t, ok, "a vnf.deployed event is not a vnfm.notify")
	bad := back[1]
	bad.Fields = escalator.Fields{"instances": "three"}
	_, _, err = As[VNFDeployed](bad)
	require.ErrorContains(t, err, "vnf.deployed")
}

// TestAsInProcess reads events as this process made them, whose values
// still have their Go types (no JSON round trip), and as a hand-made trace
// may have them, some values of another type (decoded as JSON).
func TestAsInProcess(t *testing.T) {
	in := []Payload{
		VNFMNotify{VNFM: "vnfm-1", NotificationID: "n1", Type: "MaintenanceNotification", State: "MAINTENANCE",
			Nodes: []string{"compute-1"}, Instances: []string{"vm-1"}, ReplyWithin: "30s"},
		VNFDeployed{Mode: "load-balanced", Instances: 3, Load: 1500.5, MaxImpacted: ptr(1), MinPreserved: ptr(0)},
		FaultInjected{Fault: "vm-crash", Index: ptr(0), IgnoreMaintenance: ptr(false)},
		PlanBatch{Nodes: []string{"compute-2"}, Deferred: map[string]string{"compute-3": "pair"}},
	}
	tr := escalator.NewTrace(func() (d time.Duration) { return })
	for _, p := range in {
		Emit(tr, "x", "subject", p)
	}
	n, ok, err := As[VNFMNotify](tr.Events[0])
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, in[0], n)
	n.Nodes[0] = "changed"
	require.Equal(t, []string{"compute-1"}, tr.Events[0].Fields["nodes"], "a payload's slice is its own")
	d, _, err := As[VNFDeployed](tr.Events[1])
	require.NoError(t, err)
	require.Equal(t, in[1], d)
	f, _, err := As[FaultInjected](tr.Events[2])
	require.NoError(t, err)
	require.Equal(t, in[2], f)
	b, _, err := As[PlanBatch](tr.Events[3])
	require.NoError(t, err)
	require.Equal(t, in[3], b)
	b.Deferred["compute-3"] = "changed"
	require.Equal(t, map[string]string{"compute-3": "pair"}, tr.Events[3].Fields["deferred"], "a payload's map is its own")

	mixed := tr.Events[1]
	mixed.Fields = escalator.Fields{"mode": "load-balanced", "instances": float64(3), "load": 1500.5}
	d, _, err = As[VNFDeployed](mixed)
	require.NoError(t, err)
	require.Equal(t, VNFDeployed{Mode: "load-balanced", Instances: 3, Load: 1500.5}, d)
}

// TestDecode reads each kind as its own payload type, in process and back
// from NDJSON, and an unknown kind as nothing.
func TestDecode(t *testing.T) {
	tr := escalator.NewTrace(func() (d time.Duration) { return })
	in := []Payload{
		NodeStatus{Status: StatusMaintenance, Session: "s1"},
		VNFDeployed{Mode: ModeLoadBalanced, Instances: 3, Load: 1500.5, MaxImpacted: ptr(1)},
		VNFMIgnored{},
	}
	for _, p := range in {
		Emit(tr, "x", "subject", p)
	}
	var b bytes.Buffer
	require.NoError(t, escalator.WriteNDJSON(&b, tr.Events))
	back, err := escalator.ReadNDJSON(&b)
	require.NoError(t, err)
	for i, p := range in {
		require.Equal(t, p, Decode(tr.Events[i]), "in process: %s", p.Kind())
		require.Equal(t, p, Decode(back[i]), "from NDJSON: %s", p.Kind())
	}
	require.Nil(t, Decode(escalator.Event{Kind: "no.such-kind"}))
	bad := back[1]
	bad.Fields = escalator.Fields{"mode": "load-balanced", "instances": "three"}
	require.Equal(t, VNFDeployed{Mode: ModeLoadBalanced}, Decode(bad), "what fits is read")
}

func BenchmarkAs(b *testing.B) {
	tr := escalator.NewTrace(func() (d time.Duration) { return })
	Emit(tr, "x", "subject", VNFMNotify{VNFM: "vnfm-1", NotificationID: "n1", Type: "MaintenanceNotification",
		State: "MAINTENANCE", Nodes: []string{"compute-1"}, Instances: []string{"vm-1", "vm-2"}, ReplyWithin: "30s"})
	var buf bytes.Buffer
	require.NoError(b, escalator.WriteNDJSON(&buf, tr.Events))
	back, err := escalator.ReadNDJSON(&buf)
	require.NoError(b, err)
	for _, c := range []struct {
		name string
		e    escalator.Event
	}{{"in-process", tr.Events[0]}, {"from-ndjson", back[0]}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := As[VNFMNotify](c.e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestFieldNames(t *testing.T) {
	require.Equal(t, []string{"from", "to"}, FieldNames("node.state"))
	require.Nil(t, FieldNames("node.exploded"))
}

// TestEveryTypeListed: a payload type left out of all would be emitted
// but be unknown to scenarios (and to Kinds); read the package's source for
// every type with a Kind method.
func TestEveryTypeListed(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	require.NoError(t, err)
	var withKind []string
	for _, f := range pkgs["event"].Files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Name.Name != "Kind" || fn.Recv == nil {
				continue
			}
			withKind = append(withKind, fn.Recv.List[0].Type.(*ast.Ident).Name)
		}
	}
	var listed []string
	for _, p := range all {
		listed = append(listed, reflect.TypeOf(p).Name())
	}
	slices.Sort(withKind)
	slices.Sort(listed)
	require.Greater(t, len(withKind), 60)
	require.Equal(t, withKind, listed, "every type with a Kind method belongs in all (event/kinds.go)")
}
