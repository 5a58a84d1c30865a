package escalator

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTraceNDJSONRoundTrip(t *testing.T) {
	now := time.Duration(0)
	tr := NewTrace(func() time.Duration { return now })
	tr.Emit("nfvi", "node.state", "compute-1", Fields{"from": "normal", "to": "maintenance"})
	now = 1500 * time.Millisecond
	tr.Emit("vnfm", "vnfm.reply", "s-1", Fields{"accepted": true, "actions": []string{"vm-1:DRAINED"}, "lost": 12.5})
	tr.Emit("harness", "done", "", nil)

	var b bytes.Buffer
	require.NoError(t, WriteNDJSON(&b, tr.Events))
	require.Equal(t, `{"seq":1,"t":"0s","actor":"nfvi","kind":"node.state","subject":"compute-1","fields":{"from":"normal","to":"maintenance"}}
{"seq":2,"t":"1.5s","actor":"vnfm","kind":"vnfm.reply","subject":"s-1","fields":{"accepted":true,"actions":["vm-1:DRAINED"],"lost":12.5}}
{"seq":3,"t":"1.5s","actor":"harness","kind":"done"}
`, b.String())

	back, err := ReadNDJSON(&b)
	require.NoError(t, err)
	require.Len(t, back, 3)
	require.Equal(t, 1500*time.Millisecond, back[1].At)
	require.Equal(t, []string{"vm-1:DRAINED"}, back[1].Strs("actions"))
	require.Equal(t, 12.5, back[1].Num("lost"))
	require.Equal(t, "maintenance", back[0].Str("to"))
	require.Equal(t, "", back[0].Str("missing"))
	require.Equal(t, `#2 00:00:01.500 vnfm vnfm.reply s-1 {"accepted":true,"actions":["vm-1:DRAINED"],"lost":12.5}`, back[1].String())
}

func TestReadNDJSONRejectsGarbage(t *testing.T) {
	tests := map[string]string{
		"not JSON":  "{\"seq\":1,\"t\":\"0s\"}\nnot json\n",
		"bad time":  `{"seq":1,"t":"soon"}` + "\n",
		"truncated": `{"seq":1,"t":"0s"`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ReadNDJSON(bytes.NewBufferString(in))
			require.Error(t, err)
			require.Equal(t, EINVALID, ErrorCode(err))
		})
	}
}

func TestErrorCode(t *testing.T) {
	require.Equal(t, "", ErrorCode(nil))
	require.Equal(t, EINTERNAL, ErrorCode(errors.New("plain")))
	e := Errorf(ECONFLICT, "node %s is busy", "n1")
	require.Equal(t, ECONFLICT, ErrorCode(fmt.Errorf("wrapped: %w", e)))
	require.Equal(t, "op: node n1 is busy: cause", (&Error{Code: EINVALID, Op: "op", Message: "node n1 is busy", Err: errors.New("cause")}).Error())
}

// TestTraceSinks: sinks see every event in order as it is emitted, kept or
// discarded; a discarding trace keeps nothing but its count and last event,
// and the NDJSON sink writes what WriteNDJSON writes.
func TestTraceSinks(t *testing.T) {
	for _, discard := range []bool{false, true} {
		t.Run(fmt.Sprintf("discard=%v", discard), func(t *testing.T) {
			tr := NewTrace(func() time.Duration { return time.Second })
			if discard {
				tr.Discard()
			}
			var seen []Event
			var file bytes.Buffer
			nw := NewNDJSONWriter(&file)
			tr.Sink(func(e Event) { seen = append(seen, e) })
			tr.Sink(nw.Write)
			tr.Emit("nfvi", "node.state", "compute-1", Fields{"to": "maintenance"})
			tr.Emit("harness", "done", "", nil)
			require.NoError(t, nw.Close())

			require.Equal(t, int64(2), tr.Len())
			require.Equal(t, seen[1], tr.Last())
			require.Equal(t, []int64{1, 2}, []int64{seen[0].Seq, seen[1].Seq})
			var whole bytes.Buffer
			require.NoError(t, WriteNDJSON(&whole, seen))
			require.Equal(t, whole.String(), file.String())
			if discard {
				require.Empty(t, tr.Events)
			} else {
				require.Equal(t, seen, tr.Events)
			}
		})
	}
}

// TestTraceContinue: a trace that carries on an earlier run's events hands
// them to its sinks and numbers its own after them.
func TestTraceContinue(t *testing.T) {
	earlier := NewTrace(func() time.Duration { return time.Second })
	earlier.Emit("a", "x.one", "s", nil)
	earlier.Emit("a", "x.two", "s", nil)
	var seen []int64
	tr := NewTrace(func() time.Duration { return 2 * time.Second })
	tr.Sink(func(e Event) { seen = append(seen, e.Seq) })
	tr.Continue(earlier.Events)
	tr.Emit("b", "x.three", "s", nil)
	require.Equal(t, []int64{1, 2, 3}, seen)
	require.Len(t, tr.Events, 3)
	require.Equal(t, int64(3), tr.Len())
	require.Equal(t, "x.three", tr.Last().Kind)
}
