package load

// The generator of scenario.schema.json; see schema.go. It lives in a test
// file: go generate ./scenarios/ runs it through TestSchemaIsFresh.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// schemaDocs are the comments of the spec, read from the Go sources at
// generate time (see readSchemaDocs in schema_test.go).
type schemaDocs struct {
	// Types maps a Go type name to its doc comment.
	Types map[string]string
	// Fields maps "Type.Field" (Go names) to the field's doc and line
	// comments.
	Fields map[string]string
	// Values maps a string constant's value to its comment. (Checks and
	// fault kinds have their docs in their registries: valueDoc.)
	Values map[string]string
}

// schemaFieldDocs say what the keys mean where scenarios/spec has no comment or
// only a terse one ("default 32"), keyed "GoType.yamlKey"; the comment,
// when there is one, follows in parentheses.
var schemaFieldDocs = map[string]string{
	"Scenario.name":        "The scenario's name: it heads its result line, names its trace file (--trace) and is what --run matches. Unique within a suite. Letters, digits, '.', '_' and '-', not starting with '.', at most 128 characters, so that it is a safe file name.",
	"Scenario.description": "What the scenario shows, for people; free text.",
	"Scenario.labels":      "Free key: value tags; escalator run --label k=v (or --label k) selects scenarios by them.",
	"Scenario.seed":        "Seeds every random draw and generated ID, so that a run is reproducible; 0 means the default, 1. escalator run --seed overrides it.",
	"Scenario.nodes":       "The compute nodes: count generated ones, or list them.",
	"Scenario.vnfs":        "The VNFs deployed on the nodes before the upgrade starts.",
	"Scenario.vnfm":        "The VNFM that manages every VNF, and how it behaves.",
	"Scenario.nfvi":        "Infrastructure timings (migrations).",
	"Scenario.upgrade":     "The upgrade the operator asks for, and the campaign's timings.",
	"Scenario.faults":      "Faults to inject during the run; each hits its next occasions once active.",
	"Scenario.checks":      "Tunes or switches off built-in checks, by name; switching one off takes a reason.",
	"Scenario.clock":       "Virtual time (the default) or scaled wall time.",
	"Scenario.expect":      "What the run must show: the outcome, thresholds, assertions, or the violations of a negative control.",
	"Scenario.conformance": "Makes the scenario a conformance test case for a VNFM (docs/CONFORMANCE.md): its TST 010 metadata and the checks that decide its verdict.",

	"ConformanceSpec.id":             "The case's stable identifier, AREA-NNN (e.g. MNT-002); it never changes meaning once published.",
	"ConformanceSpec.title":          "One line: what the case shows.",
	"ConformanceSpec.objective":      "What the case verifies, in a sentence or two.",
	"ConformanceSpec.reference":      "The clause the case checks: of the testbed's API specs, an ETSI SOL013 convention, or an IFA 011 limit.",
	"ConformanceSpec.preconditions":  "What holds before the case starts (the world and upgrade below make it concrete).",
	"ConformanceSpec.applicability":  "When the case applies to a VNFM; a case whose deciding checks all find nothing to judge by design is not applicable.",
	"ConformanceSpec.postconditions": "What holds after the case.",
	"ConformanceSpec.decidedBy":      "The checks whose results are the case's verdict (built-in or conformance checks); the others run as context.",
	"ConformanceSpec.failedBy":       "The misbehaviour profiles of the reference VNFM that must make this case fail, and that no other profile may: the proof that the case can fail.",

	"NodesSpec.prefix":    "The name prefix of generated nodes",
	"NodesSpec.zones":     "The availability zones generated or listed nodes are spread over in turn",
	"NodesSpec.vcpus":     "vCPUs of each node",
	"NodesSpec.memoryGiB": "Memory of each node, in GiB",
	"NodesSpec.version":   "The software version every node runs before the upgrade",
	"NodesSpec.count":     "Generate this many nodes, named <prefix>-1 .. <prefix>-N and spread over zones in turn. Give count or list, not both.",
	"NodesSpec.list":      "List the nodes one by one instead of count; a node's empty fields take the values above.",

	"NodeSpec.name":      "The node's name, unique.",
	"NodeSpec.zone":      "Its availability zone; default: nodes.zones in turn.",
	"NodeSpec.vcpus":     "Its vCPUs; default nodes.vcpus.",
	"NodeSpec.memoryGiB": "Its memory in GiB; default nodes.memoryGiB.",
	"NodeSpec.version":   "Its software version before the upgrade; default nodes.version.",

	"VNFSpec.name":                "The VNF's name, unique; it is also the service name (lostRequests.<name>) and prefixes its instances (<name>-1, ...). Letters, digits, '.', '_' and '-', not starting with '.'.",
	"VNFSpec.mode":                "How the instances share the service: one active and standbys that take over, or a pool behind a load balancer",
	"VNFSpec.instances":           "How many VMs the VNF has",
	"VNFSpec.load":                "The traffic offered to the service, as a rate",
	"VNFSpec.capacityPerInstance": "The rate one instance can serve",
	"VNFSpec.antiAffinity":        "Place every instance on a different node",
	"VNFSpec.flavor":              "The size of each instance's VM.",

	"FlavorSpec.vcpus":     "vCPUs of each VM",
	"FlavorSpec.memoryGiB": "Memory of each VM, in GiB",

	"VNFMSpec.name":       "The VNFM's name: its subscription and the events it emits carry it; letters, digits, '.', '_' and '-', not starting with '.'",
	"VNFMSpec.behavior":   "How the reference VNFM behaves: reference does the right thing; the others are misbehaviour profiles (docs/CONFORMANCE.md) for fault scenarios and for proving conformance cases can fail",
	"VNFMSpec.notifyAuth": "What the reference VNFM's notification endpoint demands of the VIM, and its subscription offers: basic or oauth2 (made-up credentials); empty for none",

	"NFVISpec.liveMigration":     "Live migration timings.",
	"NFVISpec.coldMigrationTime": "How long a cold migration takes",

	"LiveMigrationSpec.duration": "How long a live migration copies memory while the VM keeps serving",

	"UpgradeSpec.flow":            "The strategy",
	"UpgradeSpec.targetVersion":   "The software version every selected node is upgraded to.",
	"UpgradeSpec.nodes":           "The nodes to upgrade, in order",
	"UpgradeSpec.maxParallel":     "The most nodes out of service at once (the batch size of F1)",
	"UpgradeSpec.replyTimeout":    "How long a VNFM has to answer a notification (its replyBy deadline)",
	"UpgradeSpec.nodeUpgradeTime": "How long one node's installation takes",
	"UpgradeSpec.verifyTime":      "How long the post-upgrade health test of a node takes",
	"UpgradeSpec.upgradeTimeout":  "Past this, a node's upgrade counts as hung and fails (hang detection)",
	"UpgradeSpec.onNack":          "What a refusal (NACK) from a VNFM does: fail ends the session, skip leaves the refused nodes out and goes on",
	"UpgradeSpec.rollback":        "Whether a failed node makes the session roll every upgraded node back",

	"ClockSpec.mode":  "The clock",
	"ClockSpec.speed": "How many times faster than the wall clock scenario time runs",

	"ExpectSpec.outcome": "How the upgrade session must end: completed, rollback (ROLLED_BACK), failed (FAILED or ABORTED) or refused (the pre-check refused to start)",

	"FaultSpec.factor": "How many times longer a slowed migration takes; at least 1",

	"FaultSpec.do":          "The fault kind.",
	"FaultSpec.node":        "The node the fault hits: required by the node faults (" + strings.Join(loadNodeFaults, ", ") + "); for the others it limits the fault to occasions about that node.",
	"FaultSpec.at":          "Scenario time at which the fault becomes active (default 0: from the start).",
	"FaultSpec.when":        "A step that activates the fault, \"node NAME STATE\" (states: normal, maintenance, upgrading, verifying, failed); with at too, the later of the two.",
	"FaultSpec.for":         "How long the fault lasts: node-fails (until repaired; 0 or absent: for good), vnfm-crash and vim-down (required).",
	"FaultSpec.count":       "How many occasions the fault hits once active (default 1, but every occasion for migration-slow and for a fault with a probability).",
	"FaultSpec.probability": "The chance that each occasion is hit, drawn from the scenario's seed (default 1).",

	"AssertionSpec.before": "order: an event that must come before every event matching after.",
	"AssertionSpec.after":  "order: the events that each need an earlier event matching before.",
	"AssertionSpec.never":  "never: the events that must not happen (while the window is open, with while).",
	"AssertionSpec.while":  "never: limits never to the windows from an event matching while.from to the next matching while.until.",
	"AssertionSpec.within": "within: the longest time from an event matching from to the next event matching to.",
	"AssertionSpec.from":   "within: the events that start the clock.",
	"AssertionSpec.to":     "within: the event that must follow each from within the duration.",
	"AssertionSpec.count":  "count: the events to count.",
	"AssertionSpec.is":     "count: the comparison the number must satisfy, \"OP INTEGER\" with OP one of ==, !=, <, <=, >, >= (e.g. \"== 6\").",

	"WindowSpec.from":  "The event that opens the window (not itself inside it).",
	"WindowSpec.until": "The event that closes it (not inside it); absent or never matching: the window stays open to the end of the trace.",

	"EventMatcher.kind":    "The event's kind, e.g. node.state; ending in \"*\" it matches a prefix (vnfm.*).",
	"EventMatcher.actor":   "The actor that emitted the event.",
	"EventMatcher.subject": "The event's subject (a node, VM, VNF, session...), exactly.",
	"EventMatcher.fields":  "Field values the event must have: a number compares numerically, a boolean as a boolean, a string exactly; a list field matches when one member does.",
}

// schemaDerived lists the defaults that depend on other keys: the sample
// ApplyDefaults fills in for them is no default to show.
var schemaDerived = []string{
	"NodeSpec.zone", "NodeSpec.vcpus", "NodeSpec.memoryGiB", "NodeSpec.version",
	"VNFSpec.capacityPerInstance", "UpgradeSpec.upgradeTimeout",
}

// Patterns for the custom types and expressions, in the regexp syntax Go
// (RE2) and ECMA-262 (editors) share.
const (
	schemaDurationUnit = `(ns|us|µs|μs|ms|s|m|h)`
	// A Go duration as time.ParseDuration reads it (no sign: negative
	// durations are refused), or "0".
	schemaDurationPattern = `^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)` + schemaDurationUnit + `)+)$`
	// The durations that are zero.
	schemaZeroDurationPattern = `^(0|((0+(\.0*)?|\.0+)` + schemaDurationUnit + `)+)$`
	// A rate: requests per second, or per minute with /m.
	schemaRatePattern     = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)(/s|/m)?$`
	schemaZeroRatePattern = `^(0+(\.0*)?|\.0+)(/s|/m)?$`
	schemaComparison      = `^\s*(==|!=|<=|>=|<|>)\s*`
)

var (
	schemaScalar = []string{"string", "number", "boolean"}
	schemaNumber = `[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?`
)

// schemaGen builds the schema: one $defs entry per struct type.
type schemaGen struct {
	docs      schemaDocs
	samples   map[reflect.Type]reflect.Value // defaulted values, for "default"
	defs      *jsonObject
	done      map[reflect.Type]bool
	fields    map[string]bool // every "GoType.yamlKey" generated
	overrides map[string]func(*jsonObject)
	rules     map[string]func(*jsonObject)
	err       error
}

// buildSchema generates scenario.schema.json from the spec structs, the
// loader's tables and docs.
func buildSchema(docs schemaDocs) ([]byte, error) {
	g := &schemaGen{
		docs:    docs,
		samples: schemaSamples(),
		defs:    newObject(),
		done:    map[reflect.Type]bool{},
		fields:  map[string]bool{},
	}
	g.overrides = schemaOverrides(g)
	g.rules = schemaTypeRules(g)
	g.commonDefs()
	root := g.structSchema(reflect.TypeFor[spec.Scenario]())
	head := newObject(
		"$schema", "https://json-schema.org/draft/2020-12/schema",
		"$id", SchemaID,
		// It names the language's first file as it did before the language
		// became a package of its own, so that the file stayed the same.
		"$comment", "Generated from scenarios/spec by go generate ./scenarios/...; do not edit.",
		"title", "escalator scenario",
		"description", "One upgrade scenario for escalator: the nodes, the VNFs, the VNFM, the upgrade, faults and what the run must show. The reference is docs/SCENARIOS.md; escalator validate checks what a schema cannot (node names, capacity, ...).",
	)
	for _, k := range root.keys {
		if k != "description" {
			head.set(k, root.vals[k])
		}
	}
	head.set("$defs", g.defs)

	// Every table entry must name a key that exists, or it silently stops
	// applying when scenarios/spec changes.
	named := slices.Concat(keysOf(g.overrides), keysOf(schemaFieldDocs), schemaDerived, keysOf(g.rules))
	slices.Sort(named)
	for _, k := range named {
		if !g.fields[k] && typeByName(g.done, k) == nil {
			g.fail("schema.go names %s, which scenarios/spec does not have", k)
		}
	}
	if g.err != nil {
		return nil, g.err
	}
	var out bytes.Buffer
	if err := schemaIndent(&out, head, ""); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// schemaIndent writes v as indented JSON, with short lists of scalars on
// one line: "type": ["string", "number", "boolean"].
func schemaIndent(b *bytes.Buffer, v any, indent string) error {
	switch v := v.(type) {
	case *jsonObject:
		if len(v.keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		for i, k := range v.keys {
			kb, err := schemaMarshal(k)
			if err != nil {
				return err
			}
			b.WriteString(indent + "  ")
			b.Write(kb)
			b.WriteString(": ")
			if err := schemaIndent(b, v.vals[k], indent+"  "); err != nil {
				return err
			}
			if i < len(v.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
		return nil
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, x := range v {
			b.WriteString(indent + "  ")
			if err := schemaIndent(b, x, indent+"  "); err != nil {
				return err
			}
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
		return nil
	case []string:
		// One line when short, else one value a line.
		parts := make([]string, len(v))
		for i, s := range v {
			raw, err := schemaMarshal(s)
			if err != nil {
				return err
			}
			parts[i] = string(raw)
		}
		if line := "[" + strings.Join(parts, ", ") + "]"; len(line)+len(indent) <= 100 {
			b.WriteString(line)
			return nil
		}
		items := make([]any, len(v))
		for i, s := range v {
			items[i] = s
		}
		return schemaIndent(b, items, indent)
	}
	raw, err := schemaMarshal(v)
	if err != nil {
		return err
	}
	b.Write(raw)
	return nil
}

func (g *schemaGen) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf(format, args...)
	}
}

func typeByName(done map[reflect.Type]bool, name string) reflect.Type {
	for t := range done {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// commonDefs are the custom scalar types of the decoder.
func (g *schemaGen) commonDefs() {
	g.defs.set("duration", newObject(
		"description", "A duration as Go writes it: a number and a unit (ns, us, ms, s, m, h), repeated, e.g. 500ms, 30s, 10m, 1h30m; a bare 0 is zero. Negative durations are refused, and so are durations longer than "+loadShortDuration(spec.MaxDuration.D())+", which the run's clock could not add up safely.",
		"anyOf", []any{
			newObject("type", "string", "pattern", schemaDurationPattern),
			newObject("type", "number", "const", 0),
		},
	))
	g.defs.set("positiveDuration", newObject(
		"description", "A duration greater than zero and at most "+loadShortDuration(spec.MaxDuration.D())+", e.g. 500ms, 30s, 10m, 1h30m. Leave the key out for the default rather than writing 0.",
		"type", "string",
		"pattern", schemaDurationPattern,
		"not", newObject("pattern", schemaZeroDurationPattern),
	))
	g.defs.set("rate", newObject(
		"description", "Requests per second: 1000/s, 60/m (per minute) or a bare number (per second). Not negative.",
		"anyOf", []any{
			newObject("type", "string", "pattern", schemaRatePattern),
			newObject("type", "number", "minimum", 0),
		},
	))
	g.defs.set("positiveRate", newObject(
		"description", "A rate greater than zero: 1000/s, 60/m or a bare number (per second). Leave the key out for the default rather than writing 0.",
		"anyOf", []any{
			newObject("type", "string", "pattern", schemaRatePattern, "not", newObject("pattern", schemaZeroRatePattern)),
			newObject("type", "number", "exclusiveMinimum", 0),
		},
	))
}

func schemaRef(name string) *jsonObject { return newObject("$ref", "#/$defs/"+name) }

// structSchema is the object schema of a struct type: its keys, in
// declaration order, with the loader's required flags.
func (g *schemaGen) structSchema(t reflect.Type) *jsonObject {
	g.done[t] = true
	o := newObject()
	if d := g.docs.Types[t.Name()]; d != "" {
		o.set("description", d)
	}
	o.set("type", "object")
	props := newObject()
	var required []string
	sample, hasSample := g.samples[t]
	for _, lf := range loadFields(t) {
		f := t.Field(lf.index)
		id := t.Name() + "." + lf.key
		g.fields[id] = true
		p := newObject()
		// The comment, speaking of the key rather than the Go field,
		// after the meaning where schemaFieldDocs gives one.
		desc := g.docs.Fields[t.Name()+"."+f.Name]
		if rest, ok := strings.CutPrefix(desc, f.Name+" "); ok {
			desc = lf.key + " " + rest
		}
		if note := schemaFieldDocs[id]; note != "" && desc != "" {
			desc = strings.TrimSuffix(note, ".") + " (" + desc + ")."
		} else if note != "" {
			desc = note
		}
		if desc != "" {
			p.set("description", desc)
		}
		if hasSample && !slices.Contains(schemaDerived, id) {
			if def, ok := schemaDefault(sample.Field(lf.index)); ok {
				p.set("default", def)
			}
		}
		base := g.typeSchema(f.Type, lf.positive, lf.signed)
		for _, k := range base.keys {
			p.set(k, base.vals[k])
		}
		if lf.capped {
			p.set("maximum", lf.max)
		}
		if fn, ok := g.overrides[id]; ok {
			fn(p)
		}
		if lf.required {
			required = append(required, lf.key)
		}
		props.set(lf.key, p)
	}
	if len(required) > 0 {
		o.set("required", required)
	}
	o.set("properties", props)
	o.set("additionalProperties", false)
	if fn, ok := g.rules[t.Name()]; ok {
		fn(o)
	}
	return o
}

// typeSchema maps a Go type to its schema, the way load_decode.go reads it.
func (g *schemaGen) typeSchema(t reflect.Type, positive, signed bool) *jsonObject {
	switch t {
	case loadRateType:
		if positive {
			return schemaRef("positiveRate")
		}
		return schemaRef("rate")
	case loadDurationType:
		if positive {
			return schemaRef("positiveDuration")
		}
		return schemaRef("duration")
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typeSchema(t.Elem(), positive, signed)
	case reflect.String:
		// The loader reads any scalar as its text: version: 1.0 is "1.0".
		return newObject("type", schemaScalar)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		o := newObject("type", "integer")
		switch {
		case positive:
			o.set("minimum", 1)
		case !signed:
			o.set("minimum", 0)
		}
		return o
	case reflect.Bool:
		return newObject("type", "boolean")
	case reflect.Float32, reflect.Float64:
		o := newObject("type", "number")
		if !signed {
			o.set("minimum", 0)
		}
		return o
	case reflect.Slice:
		return newObject("type", "array", "items", g.typeSchema(t.Elem(), false, false))
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			g.fail("the schema cannot describe a Go %s", t)
		}
		return newObject("type", "object", "additionalProperties", g.typeSchema(t.Elem(), false, false))
	case reflect.Struct:
		if !g.done[t] {
			g.done[t] = true
			g.defs.set(t.Name(), nil) // keep $defs in the order types are met
			g.defs.set(t.Name(), g.structSchema(t))
		}
		return schemaRef(t.Name())
	}
	g.fail("the schema cannot describe a Go %s", t)
	return newObject()
}

// schemaSamples runs loadPresets and ApplyDefaults over a scenario with one
// of everything, and returns the defaulted value of each struct type.
func schemaSamples() map[reflect.Type]reflect.Value {
	s := &spec.Scenario{
		Nodes:  spec.NodesSpec{List: []spec.NodeSpec{{}}},
		VNFs:   []spec.VNFSpec{{Maintenance: &spec.MaintenanceLimits{}}},
		Faults: []spec.FaultSpec{{}},
		Checks: map[string]spec.CheckSpec{"": {}},
		Expect: spec.ExpectSpec{Assertions: []spec.AssertionSpec{{While: &spec.WindowSpec{From: &spec.EventMatcher{}}}}},
	}
	loadPresets(s)
	s.ApplyDefaults()
	out := map[reflect.Type]reflect.Value{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			if v.Len() > 0 {
				walk(v.Index(0))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k))
			}
		case reflect.Struct:
			if _, seen := out[v.Type()]; seen {
				return
			}
			out[v.Type()] = v
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(s).Elem())
	return out
}

// schemaDefault renders a defaulted scalar field as a scenario writes it.
func schemaDefault(v reflect.Value) (any, bool) {
	if v.IsZero() {
		return nil, false
	}
	switch v.Type() {
	case loadDurationType:
		return schemaDuration(time.Duration(v.Int())), true
	case loadRateType:
		return v.Float(), true
	}
	switch v.Kind() {
	case reflect.Pointer:
		return schemaDefault(v.Elem())
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64:
		return v.Interface(), true
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			return v.Interface(), true
		}
	}
	return nil, false
}

// schemaDuration writes a duration the short way: 1m, not 1m0s.
func schemaDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// schemaOverrides refine single keys with what the validator checks:
// value sets, patterns and ranges beyond the decoder's.
func schemaOverrides(g *schemaGen) map[string]func(*jsonObject) {
	enum := func(list []string) func(*jsonObject) {
		return func(o *jsonObject) {
			o.set("type", "string")
			o.set("enum", list)
			g.noteValues(o, list)
		}
	}
	nonEmpty := func(o *jsonObject) { o.set("pattern", `\S`) }
	unique := func(o *jsonObject) { o.set("uniqueItems", true) }
	nodeStates := strings.Join(loadNodeStates, "|")
	return map[string]func(*jsonObject){
		"Scenario.name": func(o *jsonObject) { o.set("pattern", spec.NamePattern) },
		"VNFSpec.name":  func(o *jsonObject) { o.set("pattern", spec.NamePattern) },
		"VNFMSpec.name": func(o *jsonObject) { o.set("pattern", spec.NamePattern) },
		"Scenario.checks": func(o *jsonObject) {
			props := newObject()
			for _, c := range judge.BuiltinChecks() {
				if c.Always {
					continue // not tunable
				}
				name := c.Name
				p := newObject()
				if d := g.valueDoc(name); d != "" {
					p.set("description", "The check "+name+": "+d+".")
				}
				p.set("$ref", "#/$defs/CheckSpec")
				if !c.Bound {
					// bound applies only to max-interruption.
					p.set("properties", newObject("bound", false))
				}
				props.set(name, p)
			}
			o.del("additionalProperties")
			o.set("properties", props)
			o.set("additionalProperties", false)
		},

		"NodesSpec.zones": func(o *jsonObject) {
			o.set("items", newObject("type", schemaScalar, "pattern", `\S`))
		},
		"NodeSpec.name": nonEmpty,

		"VNFSpec.mode": enum(loadModes),

		"MaintenanceLimits.migrationTypes": func(o *jsonObject) {
			o.set("items", newObject("type", "string", "enum", loadMigrations))
			unique(o)
		},

		"VNFMSpec.behavior":   enum(loadBehaviors),
		"VNFMSpec.notifyAuth": enum(loadNotifyAuth),

		"ConformanceSpec.id":        func(o *jsonObject) { o.set("pattern", conformanceID.String()) },
		"ConformanceSpec.title":     nonEmpty,
		"ConformanceSpec.objective": nonEmpty,
		"ConformanceSpec.reference": nonEmpty,
		"ConformanceSpec.decidedBy": func(o *jsonObject) {
			o.set("items", newObject("type", "string", "enum", slices.Concat(judge.AllCheckNames(), judge.ConformanceCheckNames())))
			o.set("minItems", 1)
			unique(o)
		},
		"ConformanceSpec.failedBy": func(o *jsonObject) {
			o.set("items", newObject("type", "string", "enum", slices.DeleteFunc(spec.Behaviors(), func(n string) bool { return n == spec.BehaviorReference })))
			unique(o)
		},

		"UpgradeSpec.flow":          enum(loadFlows),
		"UpgradeSpec.targetVersion": nonEmpty,
		"UpgradeSpec.nodes":         unique,
		"UpgradeSpec.onNack":        enum(loadOnNack),
		"UpgradeSpec.defects": func(o *jsonObject) {
			o.set("items", newObject("type", "string", "enum", loadDefects))
		},
		"UpgradeSpec.batchBy":  enum(loadBatchBy),
		"UpgradeSpec.precheck": enum(loadPrechecks),
		"UpgradeSpec.replyDeadlines": func(o *jsonObject) {
			props := newObject()
			for _, st := range loadDeadlines {
				props.set(st, schemaRef("positiveDuration"))
			}
			o.del("additionalProperties")
			o.set("properties", props)
			o.set("additionalProperties", false)
		},

		"FaultSpec.do": enum(loadFaults),
		"FaultSpec.when": func(o *jsonObject) {
			o.set("type", "string")
			o.set("pattern", `^\s*node\s+\S+\s+(`+nodeStates+`)\s*$`)
		},
		"FaultSpec.factor": func(o *jsonObject) {
			// 0 keeps the default; anything else slows down: at least 1.
			o.set("minimum", 0)
			o.set("not", newObject("exclusiveMinimum", 0, "exclusiveMaximum", 1))
		},

		"ClockSpec.mode": enum(loadClocks),

		"ExpectSpec.outcome": enum(loadOutcomes),
		"ExpectSpec.violations": func(o *jsonObject) {
			item := newObject("type", "string", "anyOf", []any{
				newObject("enum", loadViolationNames),
				newObject("pattern", "^"+regexp.QuoteMeta(spec.ThresholdPrefix)+`\S`),
				newObject("pattern", "^"+regexp.QuoteMeta(spec.AssertPrefix)+`[a-z0-9-]+$`),
			})
			o.set("items", item)
			unique(o)
		},
		"ExpectSpec.thresholds": func(o *jsonObject) {
			number := newObject("type", "string", "pattern", schemaComparison+schemaNumber+`\s*$`)
			duration := newObject("type", "string",
				"pattern", schemaComparison+`(0|[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)`+schemaDurationUnit+`(([0-9]+(\.[0-9]*)?|\.[0-9]+)`+schemaDurationUnit+`)*)\s*$`)
			props := newObject()
			for _, name := range judge.MetricNames {
				p := newObject()
				d := g.docs.Values[name]
				if stat, ok := strings.CutPrefix(name, judge.MetricReplyLatency+"."); ok {
					d = schemaLatencyStats[stat] + " of the reply latency: the time from a MaintenanceNotification (vnfm.notify) to the first accepted vnfm.reply to it; absent when no reply was accepted"
				}
				if d != "" {
					p.set("description", d)
				}
				v := number
				if judge.MetricIsDuration(name) {
					v = duration
				}
				for _, k := range v.keys {
					p.set(k, v.vals[k])
				}
				props.set(name, p)
			}
			o.del("additionalProperties")
			o.set("properties", props)
			o.set("patternProperties", newObject(
				"^"+regexp.QuoteMeta(judge.MetricLostPrefix)+".+", newObject(
					"description", "Requests lost by one service (a VNF's name).",
					"type", "string", "pattern", number.vals["pattern"])))
			o.set("additionalProperties", false)
		},

		"AssertionSpec.name":   func(o *jsonObject) { o.set("type", "string"); o.set("pattern", loadAssertionName.String()) },
		"AssertionSpec.within": func(o *jsonObject) { o.set("$ref", "#/$defs/positiveDuration") },
		"AssertionSpec.is": func(o *jsonObject) {
			o.set("type", "string")
			o.set("pattern", schemaComparison+`[0-9]+\s*$`)
		},

		"EventMatcher.kind": func(o *jsonObject) {
			o.set("type", "string")
			o.set("anyOf", []any{
				newObject("enum", loadEventKinds),
				newObject("pattern", `^[a-z0-9.-]*\*$`),
			})
		},
		"EventMatcher.actor": enum(loadEventActors),
	}
}

var schemaLatencyStats = map[string]string{
	"p50": "the median", "p90": "the 90th percentile", "p95": "the 95th percentile",
	"p99": "the 99th percentile", "max": "the maximum", "avg": "the mean",
}

// noteValues appends the comments of an enum's values to the description.
func (g *schemaGen) noteValues(o *jsonObject, list []string) {
	var lines []string
	for _, v := range list {
		if d := g.valueDoc(v); d != "" {
			lines = append(lines, "- "+v+": "+d)
		}
	}
	if len(lines) == 0 {
		return
	}
	d, _ := o.vals["description"].(string)
	if d != "" {
		d += "\n\n"
	}
	o.set("description", d+strings.Join(lines, "\n"))
}

// valueDoc is the doc of a value of a value set: a check's or a fault
// kind's from its registry, any other's from its constant's comment.
func (g *schemaGen) valueDoc(v string) string {
	for _, c := range judge.BuiltinChecks() {
		if c.Name == v {
			return c.Doc
		}
	}
	if k, ok := spec.FaultKindOf(v); ok {
		return k.Doc
	}
	return g.docs.Values[v]
}

// schemaTypeRules add the rules that tie keys of one mapping together.
func schemaTypeRules(g *schemaGen) map[string]func(*jsonObject) {
	doIn := func(kinds ...string) *jsonObject {
		return newObject("properties", newObject("do", newObject("enum", kinds)), "required", []string{"do"})
	}
	doNotIn := func(kinds ...string) *jsonObject {
		return newObject("properties", newObject("do", newObject("not", newObject("enum", kinds))), "required", []string{"do"})
	}
	return map[string]func(*jsonObject){
		"NodesSpec": func(o *jsonObject) {
			o.set("anyOf", []any{
				newObject("required", []string{"count"}, "properties", newObject("count", newObject("minimum", 1))),
				newObject("required", []string{"list"}, "properties", newObject("list", newObject("minItems", 1))),
			})
			// count or list, not both.
			o.set("if", newObject("required", []string{"list"}, "properties", newObject("list", newObject("minItems", 1))))
			o.set("then", newObject("properties", newObject("count", newObject("const", 0))))
		},
		"VNFSpec": func(o *jsonObject) {
			o.set("if", newObject("required", []string{"mode"}, "properties", newObject("mode", newObject("const", spec.ModeActiveStandby))))
			o.set("then", newObject("properties", newObject("instances", newObject("minimum", 2))))
		},
		"MaintenanceLimits": func(o *jsonObject) {
			// none cannot be combined with other migration types.
			o.set("if", newObject("required", []string{"migrationTypes"},
				"properties", newObject("migrationTypes", newObject("contains", newObject("const", spec.MigrationNone)))))
			o.set("then", newObject("properties", newObject("migrationTypes", newObject("maxItems", 1))))
		},
		"FaultSpec": func(o *jsonObject) {
			o.set("allOf", []any{
				newObject("if", doIn(loadNodeFaults...), "then", newObject("required", []string{"node"})),
				newObject("if", doIn(loadUpgradeFaults...), "then", newObject("properties", newObject("at", false, "when", false))),
				newObject("if", doIn(loadForFaults...), "then", newObject("required", []string{"for"},
					"properties", newObject("for", schemaRef("positiveDuration")))),
				newObject("if", doNotIn(loadLastingFaults...), "then", newObject("properties", newObject("for", false))),
				newObject("if", doNotIn(loadFactorFaults...), "then", newObject("properties", newObject("factor", false))),
				newObject("if", doIn(loadTimedFaults...), "then", newObject("properties", newObject("count", newObject("maximum", 1)))),
			})
		},
		"AssertionSpec": func(o *jsonObject) {
			// Exactly one kind, told apart by its keys.
			var kinds []any
			for _, grp := range loadAssertionKeys {
				kinds = append(kinds, newObject(
					"title", grp.kind,
					"description", grp.hint,
					"required", grp.need,
					"propertyNames", newObject("enum", append([]string{"name"}, grp.keys...)),
				))
			}
			o.set("oneOf", kinds)
		},
		"EventMatcher": func(o *jsonObject) { o.set("minProperties", 1) },
	}
}

// jsonObject is a JSON object that keeps its keys in insertion order, so
// the generated file reads top-down like scenarios/spec/spec.go.
type jsonObject struct {
	keys []string
	vals map[string]any
}

func newObject(kv ...any) *jsonObject {
	o := &jsonObject{vals: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

// set adds or replaces a key; a replaced key keeps its place.
func (o *jsonObject) set(k string, v any) *jsonObject {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

func (o *jsonObject) del(k string) {
	if _, ok := o.vals[k]; ok {
		delete(o.vals, k)
		o.keys = slices.DeleteFunc(o.keys, func(x string) bool { return x == k })
	}
}

func (o *jsonObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := schemaMarshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := schemaMarshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// schemaMarshal is json.Marshal without HTML escaping: descriptions say
// "< 1s", not "\u003c 1s".
func schemaMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
