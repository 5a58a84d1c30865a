package event

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/escalator-testbed/escalator"
)

// Payload is the typed body of one trace event. Kind names it in the
// trace ("node.state"); the struct's json tags name its fields.
type Payload interface {
	Kind() string
}

// Emit records p through em under the given actor and subject. It is the
// one way producers write an event.
func Emit(em escalator.Emitter, actor, subject string, p Payload) {
	em.Emit(actor, p.Kind(), subject, Fields(p))
}

// Ptr returns a pointer to v, for the pointer fields of a payload: those
// some events of a kind carry, possibly with a zero value, and others lack.
func Ptr[T any](v T) *T { return &v }

// Deref is the value p points to, or T's zero value for nil: how a reader
// takes an optional field ("absent" and zero read alike).
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// Fields flattens p into the trace's field map. A field tagged omitempty
// is left out when it is its type's zero value (a nil pointer, a nil slice,
// "", 0, false): that is how a producer says "not set". A pointer field is
// stored dereferenced, so a *bool can say false and still be present.
// Values keep their Go types, which is what keeps the JSON bytes of a
// written trace the same as a hand-built map's.
func Fields(p Payload) escalator.Fields {
	v := reflect.ValueOf(p)
	info := shapeOf(v.Type())
	if len(info) == 0 {
		return nil
	}
	f := make(escalator.Fields, len(info))
	for _, fi := range info {
		fv := v.Field(fi.index)
		if fi.omitEmpty && fv.IsZero() {
			continue
		}
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				f[fi.name] = nil
				continue
			}
			fv = fv.Elem()
		}
		f[fi.name] = fv.Interface()
	}
	if len(f) == 0 {
		return nil
	}
	return f
}

// As reads e's fields as the payload type T. ok is false when e is of
// another kind; err reports a field whose value does not fit T (a trace
// written by hand or by another tool).
func As[T Payload](e escalator.Event) (p T, ok bool, err error) {
	if e.Kind != p.Kind() {
		return p, false, nil
	}
	return p, true, fill(reflect.ValueOf(&p).Elem(), e)
}

// Decode reads e as the payload of its kind, for a reader that handles
// many kinds in one type switch:
//
//	switch p := event.Decode(e).(type) {
//	case event.NodeStatus: ...
//	}
//
// It is nil for a kind the vocabulary does not know. A field whose value
// does not fit its type is left at its zero value; As reports it.
func Decode(e escalator.Event) Payload {
	t, ok := kindTypes[e.Kind]
	if !ok {
		return nil
	}
	v := reflect.New(t).Elem()
	// On an error v holds what fits: JSON decoding goes on past a field
	// of the wrong type.
	_ = fill(v, e)
	return v.Interface().(Payload)
}

// kindTypes is the payload type of each kind.
var kindTypes = func() map[string]reflect.Type {
	m := make(map[string]reflect.Type, len(all))
	for _, p := range all {
		m[p.Kind()] = reflect.TypeOf(p)
	}
	return m
}()

// fill sets the payload v from e's fields.
func fill(v reflect.Value, e escalator.Event) error {
	if len(e.Fields) == 0 || fillDirect(v, e.Fields) {
		return nil
	}
	v.SetZero()
	return fillJSON(v, e)
}

func fillJSON(v reflect.Value, e escalator.Event) error {
	b, err := json.Marshal(e.Fields)
	if err == nil {
		err = json.Unmarshal(b, v.Addr().Interface())
	}
	if err != nil {
		return fmt.Errorf("event %d (%s): %w", e.Seq, e.Kind, err)
	}
	return nil
}

// fillDirect sets v's fields from f without a JSON round trip, when every
// value present already has its field's Go type: the common case, a trace
// made in this process by Fields. It reports false, leaving v half-set,
// at the first value of another type (numbers of a trace read back from
// NDJSON are float64), and As then decodes the whole map as JSON. Slices
// and maps are copied, so that a reader cannot change the trace through
// its payload.
func fillDirect(v reflect.Value, f escalator.Fields) bool {
	for _, fi := range shapeOf(v.Type()) {
		val, present := f[fi.name]
		if !present || val == nil {
			continue
		}
		fv := v.Field(fi.index)
		target := fv.Type()
		if target.Kind() == reflect.Pointer {
			target = target.Elem()
		}
		rv := reflect.ValueOf(val)
		if rv.Type() != target {
			return false
		}
		switch rv.Kind() {
		case reflect.Slice:
			if rv.IsNil() {
				continue
			}
			c := reflect.MakeSlice(target, rv.Len(), rv.Len())
			reflect.Copy(c, rv)
			rv = c
		case reflect.Map:
			if rv.IsNil() {
				continue
			}
			c := reflect.MakeMapWithSize(target, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				c.SetMapIndex(it.Key(), it.Value())
			}
			rv = c
		}
		if fv.Kind() == reflect.Pointer {
			ptr := reflect.New(target)
			ptr.Elem().Set(rv)
			fv.Set(ptr)
			continue
		}
		fv.Set(rv)
	}
	return true
}

// Kinds lists every event kind, sorted.
func Kinds() []string {
	out := make([]string, 0, len(all))
	for _, p := range all {
		out = append(out, p.Kind())
	}
	slices.Sort(out)
	return out
}

// FieldNames lists the fields a kind may carry, sorted, or nil for an
// unknown kind.
func FieldNames(kind string) []string {
	for _, p := range all {
		if p.Kind() == kind {
			var out []string
			for _, fi := range shapeOf(reflect.TypeOf(p)) {
				out = append(out, fi.name)
			}
			slices.Sort(out)
			return out
		}
	}
	return nil
}

type fieldInfo struct {
	name      string
	index     int
	omitEmpty bool
}

var shapes sync.Map // reflect.Type -> []fieldInfo

func shapeOf(t reflect.Type) []fieldInfo {
	if s, ok := shapes.Load(t); ok {
		return s.([]fieldInfo)
	}
	var out []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		out = append(out, fieldInfo{name: name, index: i, omitEmpty: opts == "omitempty"})
	}
	shapes.Store(t, out)
	return out
}
