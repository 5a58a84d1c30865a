package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/escalator-testbed/escalator/scenarios/spec"
	"gopkg.in/yaml.v3"
)

// loadDecoder turns a yaml.Node tree into the structs of scenarios/spec. It does
// the work yaml.Unmarshal would, by hand, because it must report every
// problem of a file at once, each with its line and column.
type loadDecoder struct {
	problems []Problem
	root     *yaml.Node
	// at and keys remember where every decoded path was written, so that
	// validation, which runs on the structs, can still point into the file.
	at   map[string]*yaml.Node
	keys map[string]*yaml.Node
	// budget bounds the nodes visited: aliases can make a small file expand
	// into a huge tree ("billion laughs").
	budget int
	// limits caps the world a scenario may build.
	limits Limits
}

const loadBudget = 100_000

func newLoadDecoder() *loadDecoder {
	return &loadDecoder{
		at:     map[string]*yaml.Node{},
		keys:   map[string]*yaml.Node{},
		budget: loadBudget,
		limits: Limits{}.withDefaults(),
	}
}

func (d *loadDecoder) add(line, col int, field, hint, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		Line: line, Col: col, Field: field, Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

func (d *loadDecoder) addAt(n *yaml.Node, field, hint, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, max(n.Column, 1)
	}
	d.add(line, col, field, hint, format, args...)
}

// err sorts the problems by position and drops repeats, which aliases
// produce when one broken anchor is used twice at the same place.
func (d *loadDecoder) err(path string) *Error {
	sort.SliceStable(d.problems, func(i, j int) bool {
		a, b := d.problems[i], d.problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := d.problems[:0]
	seen := map[Problem]bool{}
	for _, p := range d.problems {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return &Error{Path: path, Problems: out}
}

var loadAllDigits = regexp.MustCompile(`^[-+]?[0-9_]+$`)

// loadDurationSyntax is what time.ParseDuration reads, whatever the size.
var loadDurationSyntax = regexp.MustCompile(`^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

var loadUnknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

var loadSyntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *loadDecoder) syntax(err error, data []byte) {
	msg := err.Error()
	line := 1
	if m := loadSyntaxLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			line = n
		}
		msg = m[2]
	} else {
		// yaml.v3 leaves the line out when it is the first one.
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	col := 1
	// yaml.v3 gives no line for an unknown anchor; the first use is it.
	if m := loadUnknownAnchor.FindStringSubmatch(msg); m != nil {
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
			col = 1 + utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i])
		}
	}
	hint := ""
	if lines := bytes.Split(data, []byte("\n")); line <= len(lines) &&
		bytes.HasPrefix(bytes.TrimLeft(lines[line-1], " "), []byte("\t")) {
		hint = "indent with spaces; YAML does not allow tabs there"
	}
	d.add(line, col, "", hint, "YAML syntax error: %s", msg)
}

// parse returns the root node of the single document in data, or nil when
// there is nothing to decode.
func (d *loadDecoder) parse(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(1, 1, "", "a scenario needs at least name, nodes and upgrade", "the file is empty")
		} else {
			d.syntax(err, data)
		}
		return nil
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.syntax(err, data)
			return nil
		}
		// A trailing "---" opens an empty document; that is harmless.
		if len(next.Content) == 1 && loadIsNull(next.Content[0]) {
			continue
		}
		d.addAt(&next, "", "split it into one file per scenario",
			"a file holds one scenario, but this starts a second YAML document")
		break
	}
	if len(doc.Content) == 0 || loadIsNull(doc.Content[0]) {
		d.addAt(&doc, "", "a scenario needs at least name, nodes and upgrade", "the document is empty")
		return nil
	}
	d.root = doc.Content[0]
	return d.root
}

var (
	loadRateType     = reflect.TypeFor[spec.Rate]()
	loadDurationType = reflect.TypeFor[spec.Duration]()
)

func loadIsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// loadResolve follows aliases to the node they name.
func loadResolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// loadJoin extends a field path with a key, quoting keys that would make
// the path ambiguous or unreadable.
func loadJoin(path, key string) string {
	if key == "" || strings.ContainsFunc(key, func(r rune) bool {
		return r == '.' || r == '[' || r == ']' || r == '"' || r <= ' ' || r == 0x7f || r > 0x7e
	}) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func loadIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// decode stores n into v. A null leaves v as it was: the key counts as
// absent, so presets and defaults still apply.
func (d *loadDecoder) decode(use *yaml.Node, v reflect.Value, path string) {
	if !d.spend(use, path) {
		return
	}
	d.at[path] = use
	n := loadResolve(use)
	if n == nil {
		d.addAt(use, path, "", "alias refers to nothing")
		return
	}
	if loadIsNull(n) {
		return
	}
	d.value(n, v, path)
}

// spend takes one node from the budget, reporting once when it runs out.
func (d *loadDecoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == -1 {
		d.addAt(n, path, d.budgetHint(), "the document expands to more than %d values", loadBudget)
	}
	return d.budget >= 0
}

// budgetHint tells the two causes of a blown budget apart: a file that
// itself holds too many values, or aliases that multiply a few. Blaming
// aliases for a file without any would send its author looking for what
// is not there.
func (d *loadDecoder) budgetHint() string {
	if loadCountNodes(d.root, loadBudget) > loadBudget {
		return "the file itself holds that many: generate nodes with nodes.count and VNFs with replicas instead of listing each, or split the scenario"
	}
	return "aliases (*name) and merges (<<) repeat parts of the file that many times: use fewer of them"
}

// loadCountNodes counts the nodes written in the file under n, not
// following aliases, stopping once past limit.
func loadCountNodes(n *yaml.Node, limit int) int {
	if n == nil {
		return 0
	}
	count := 1
	for _, c := range n.Content {
		if count > limit {
			break
		}
		count += loadCountNodes(c, limit-count)
	}
	return count
}

// value stores the non-null, alias-free node n into v.
func (d *loadDecoder) value(n *yaml.Node, v reflect.Value, path string) {
	switch v.Type() {
	case loadRateType:
		d.rate(n, v, path)
		return
	case loadDurationType:
		d.duration(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		before := len(d.problems)
		d.value(n, p.Elem(), path)
		if len(d.problems) == before {
			v.Set(p)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.wrongKind(n, v.Type(), path)
			return
		}
		// Any scalar reads as its literal text, so "version: 1.0" is "1.0".
		v.SetString(n.Value)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.integer(n, v, path)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.wrongKind(n, v.Type(), path)
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.wrongKind(n, v.Type(), path)
			return
		}
		v.SetBool(b)
	case reflect.Float32, reflect.Float64:
		f, ok := d.number(n)
		if !ok {
			d.wrongKind(n, v.Type(), path)
			return
		}
		// YAML's .inf and .nan are numbers, but no run can honour them:
		// NaN fails every comparison a bound makes (a probability of NaN
		// fired always), and neither encodes as JSON in the trace.
		if math.IsInf(f, 0) || math.IsNaN(f) {
			d.addAt(n, path, "write a finite number, e.g. 0.5", "%s is not a finite number", loadQuoteValue(n))
			return
		}
		v.SetFloat(f)
	case reflect.Slice:
		d.sequence(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Struct:
		d.structure(n, v, path)
	default:
		// Only a type added to scenarios/spec without support here gets here.
		d.addAt(n, path, "", "the loader cannot decode a Go %s", v.Type())
	}
}

func (d *loadDecoder) integer(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		// YAML reads digits too long for an int64 as a float.
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && loadAllDigits.MatchString(n.Value) {
			d.addAt(n, path, "", "integer %s is out of range", loadQuoteValue(n))
			return
		}
		d.wrongKind(n, v.Type(), path)
		return
	}
	var x int64
	if err := n.Decode(&x); err != nil || v.OverflowInt(x) {
		d.addAt(n, path, "", "integer %s is out of range", loadQuoteValue(n))
		return
	}
	v.SetInt(x)
}

// number reads a YAML int or float.
func (d *loadDecoder) number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	if tag := n.ShortTag(); tag != "!!int" && tag != "!!float" {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		return 0, false
	}
	return f, true
}

func (d *loadDecoder) rate(n *yaml.Node, v reflect.Value, path string) {
	const hint = "write requests per second or per minute, e.g. 1000/s, 60/m or 1000"
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	f, ok := d.number(n)
	if !ok {
		f, ok = loadParseRate(n.Value)
	}
	if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
		d.addAt(n, path, hint, "invalid rate %s", loadQuoteValue(n))
		return
	}
	if f < 0 {
		d.addAt(n, path, "", "rate %s must not be negative", loadQuoteValue(n))
		return
	}
	v.SetFloat(f)
}

func loadParseRate(s string) (float64, bool) {
	num, unit, hasUnit := strings.Cut(s, "/")
	num = strings.TrimSpace(num)
	// ParseFloat would take "inf", "nan" and hex; a rate is plain decimal.
	if num == "" || strings.ContainsFunc(num, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E')
	}) {
		return 0, false
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	if !hasUnit {
		return f, true
	}
	switch strings.TrimSpace(unit) {
	case "s":
		return f, true
	case "m":
		return f / 60, true
	}
	return 0, false
}

func (d *loadDecoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	if f, ok := d.number(n); ok {
		// Only zero means the same in every unit.
		if f == 0 {
			v.SetInt(0)
			return
		}
		d.addAt(n, path, "add a unit, e.g. 30s", "duration %s has no unit", loadQuoteValue(n))
		return
	}
	text := strings.TrimSpace(n.Value)
	x, err := time.ParseDuration(text)
	if err != nil {
		if _, numErr := strconv.ParseFloat(text, 64); numErr == nil {
			d.addAt(n, path, "add a unit, e.g. 30s", "duration %s has no unit", loadQuoteValue(n))
			return
		}
		if loadDurationSyntax.MatchString(text) {
			// Written the Go way, but past what an int64 of nanoseconds holds.
			d.addAt(n, path, "durations stop there so that the run's clock, which adds them up, cannot overflow",
				"duration %s is longer than %s, the longest a scenario may give", loadQuoteValue(n), loadShortDuration(spec.MaxDuration.D()))
			return
		}
		d.addAt(n, path, "write it the Go way, e.g. 500ms, 30s, 10m or 1h30m", "invalid duration %s", loadQuoteValue(n))
		return
	}
	if x < 0 {
		d.addAt(n, path, "", "duration %s must not be negative", loadQuoteValue(n))
		return
	}
	if x > spec.MaxDuration.D() {
		d.addAt(n, path, "durations stop there so that the run's clock, which adds them up, cannot overflow",
			"duration %s is longer than %s, the longest a scenario may give", loadQuoteValue(n), loadShortDuration(spec.MaxDuration.D()))
		return
	}
	v.SetInt(int64(x))
}

// loadShortDuration writes a duration the short way: 1000h, not 1000h0m0s.
func loadShortDuration(x time.Duration) string {
	out := x.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

func (d *loadDecoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := loadIndex(path, i)
		// A null item is a slip (a lone "-"), not an absent value.
		if r := loadResolve(item); r != nil && loadIsNull(r) {
			d.at[p] = item
			d.addAt(item, p, "", "expected %s, got an empty item", loadExpected(v.Type().Elem()))
			continue
		}
		d.decode(item, out.Index(i), p)
	}
	v.Set(out)
}

func (d *loadDecoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.addAt(n, path, "", "the loader cannot decode a Go %s", t)
		return
	}
	entries := d.entries(n, path)
	out := reflect.MakeMapWithSize(t, len(entries))
	for _, e := range entries {
		p := loadJoin(path, e.key)
		d.keys[p] = e.keyNode
		val := reflect.New(t.Elem()).Elem()
		d.decode(e.value, val, p)
		out.SetMapIndex(reflect.ValueOf(e.key).Convert(t.Key()), val)
	}
	v.Set(out)
}

// loadField is what the loader knows of one key of a struct, all of it
// read from the field's tags: yaml names the key, required:"true" makes it
// mandatory, and limit bounds a number (read by the loader and, through
// loadFields, by the schema generator, so a bound is written once):
//
//	limit:"positive"   zero is refused, not defaulted: ApplyDefaults would
//	                   replace it, so writing 0 must be a mistake
//	limit:"signed"     an integer that may be negative
//	limit:"max=N"      a size that makes the runner build objects, capped
//	                   so that a typo is an error, not an out-of-memory crash;
//	                   on a float, the largest value the run can honour
//	                   (probability: max=1); floats are never negative
//	                   unless signed
//
// Every duration is also capped at spec.MaxDuration, and every float must
// be finite, whatever the tags say.
type loadField struct {
	key      string
	index    int
	required bool
	positive bool
	signed   bool
	// max is the ceiling when capped.
	max    int64
	capped bool
}

func loadFields(t reflect.Type) []loadField {
	var fields []loadField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "-" {
			continue
		}
		if key == "" {
			key = strings.ToLower(f.Name)
		}
		lf := loadField{key: key, index: i, required: f.Tag.Get("required") == "true"}
		for word := range strings.SplitSeq(f.Tag.Get("limit"), ",") {
			switch name, arg, _ := strings.Cut(word, "="); name {
			case "":
			case "positive":
				lf.positive = true
			case "signed":
				lf.signed = true
			case "max":
				n, err := strconv.ParseInt(arg, 10, 64)
				if err != nil {
					panic(fmt.Sprintf("scenarios: %s.%s: bad limit %q", t.Name(), f.Name, word))
				}
				lf.max, lf.capped = n, true
			default:
				panic(fmt.Sprintf("scenarios: %s.%s: unknown limit %q", t.Name(), f.Name, word))
			}
		}
		fields = append(fields, lf)
	}
	return fields
}

func (d *loadDecoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, v.Type(), path)
		return
	}
	t := v.Type()
	fields := loadFields(t)
	byKey := make(map[string]loadField, len(fields))
	known := make([]string, len(fields))
	for i, f := range fields {
		byKey[f.key] = f
		known[i] = f.key
	}
	present := map[string]bool{}
	for _, e := range d.entries(n, path) {
		p := loadJoin(path, e.key)
		f, ok := byKey[e.key]
		if !ok {
			d.addAt(e.keyNode, p, loadKeyHint(e.key, known), "unknown field")
			continue
		}
		present[e.key] = true
		d.keys[p] = e.keyNode
		if r := loadResolve(e.value); f.required && r != nil && loadIsNull(r) {
			d.at[p] = e.value
			d.addAt(e.keyNode, p, "", "required field has no value")
			continue
		}
		before := len(d.problems)
		d.decode(e.value, v.Field(f.index), p)
		if len(d.problems) == before {
			d.bounds(f, v.Field(f.index), e.value, p)
		}
	}
	for _, f := range fields {
		if f.required && !present[f.key] {
			d.addAt(n, loadJoin(path, f.key), "", "required field is missing")
		}
	}
}

// bounds checks the written value of a number against its field's limit.
func (d *loadDecoder) bounds(f loadField, v reflect.Value, n *yaml.Node, path string) {
	switch {
	case v.Type() == loadDurationType || v.Type() == loadRateType:
		if f.positive && v.Kind() == reflect.Int64 && v.Int() == 0 ||
			f.positive && v.Kind() == reflect.Float64 && v.Float() == 0 {
			d.addAt(n, path, "leave the key out for the default", "must be greater than 0")
		}
	case v.CanFloat():
		switch {
		case !f.signed && v.Float() < 0:
			d.addAt(n, path, "", "must not be negative")
		case f.capped && v.Float() > float64(f.max):
			d.addAt(n, path, "", "must be at most %d", f.max)
		}
	case v.CanInt():
		switch {
		case f.positive && v.Int() < 1:
			d.addAt(n, path, "", "must be at least 1")
		case f.capped && v.Int() > f.max:
			d.addAt(n, path, "a larger world would not fit in memory; split the scenario", "must be at most %d", f.max)
		case !f.signed && v.Int() < 0:
			d.addAt(n, path, "", "must not be negative")
		}
	}
}

type loadEntry struct {
	key            string
	keyNode, value *yaml.Node
}

// entries lists the keys of a mapping, reporting duplicates and expanding
// merge keys (<<: *base), whose keys yield to the ones written here.
func (d *loadDecoder) entries(n *yaml.Node, path string) []loadEntry {
	return d.entriesOf(n, path, map[*yaml.Node]bool{n: true})
}

func (d *loadDecoder) entriesOf(n *yaml.Node, path string, open map[*yaml.Node]bool) []loadEntry {
	var (
		out    []loadEntry
		merges []*yaml.Node
		first  = map[string]*yaml.Node{}
	)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.spend(k, path) {
			return out
		}
		kr := loadResolve(k)
		if kr == nil || kr.Kind != yaml.ScalarNode {
			d.addAt(k, path, "", "a key must be a plain string")
			continue
		}
		if kr.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		if prev, dup := first[kr.Value]; dup {
			d.addAt(k, loadJoin(path, kr.Value), "", "duplicate key, first at line %d", prev.Line)
			continue
		}
		first[kr.Value] = k
		out = append(out, loadEntry{key: kr.Value, keyNode: k, value: val})
	}
	for _, m := range merges {
		mr := loadResolve(m)
		var sources []*yaml.Node
		switch {
		case mr != nil && mr.Kind == yaml.MappingNode:
			sources = []*yaml.Node{mr}
		case mr != nil && mr.Kind == yaml.SequenceNode:
			for _, item := range mr.Content {
				if ir := loadResolve(item); ir != nil && ir.Kind == yaml.MappingNode {
					sources = append(sources, ir)
				} else {
					d.addAt(item, path, "", "a merge (<<) takes mappings, got %s", loadDescribe(ir))
				}
			}
		default:
			d.addAt(m, path, "", "a merge (<<) takes a mapping or a list of mappings, got %s", loadDescribe(mr))
		}
		for _, src := range sources {
			if open[src] {
				d.addAt(m, path, "", "a merge (<<) includes the mapping that contains it")
				continue
			}
			open[src] = true
			for _, e := range d.entriesOf(src, path, open) {
				if _, ok := first[e.key]; !ok {
					first[e.key] = e.keyNode
					out = append(out, e)
				}
			}
			delete(open, src)
		}
	}
	return out
}

func (d *loadDecoder) wrongKind(n *yaml.Node, t reflect.Type, path string) {
	hint := ""
	switch {
	case t.Kind() == reflect.Slice && n.Kind == yaml.ScalarNode:
		hint = `write a list as [a, b] or as lines starting with "- "`
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && loadUnquoted(n.Value, t):
		hint = "write it without quotes"
	}
	d.addAt(n, path, hint, "expected %s, got %s", loadExpected(t), loadDescribe(n))
}

// loadUnquoted tells whether text, unquoted, would have been a t.
func loadUnquoted(text string, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err := strconv.ParseInt(text, 10, 64)
		return err == nil
	case reflect.Bool:
		return text == "true" || text == "false"
	}
	return false
}

func loadExpected(t reflect.Type) string {
	switch t {
	case loadRateType:
		return "a rate such as 1000/s"
	case loadDurationType:
		return "a duration such as 30s"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return loadExpected(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func loadDescribe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if loadIsNull(n) {
			return "null"
		}
		return loadQuoteValue(n)
	}
	return "an alias"
}

// loadQuoteValue shows a scalar as written: numbers and booleans bare,
// anything else quoted, long text cut short.
func loadQuoteValue(n *yaml.Node) string {
	v := n.Value
	switch n.ShortTag() {
	case "!!int", "!!float", "!!bool":
		if !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > 0x7e }) && len(v) <= 40 {
			return v
		}
	}
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "..."
	}
	return strconv.Quote(v)
}

// loadKeyHint suggests the key that was probably meant, or lists them all.
func loadKeyHint(got string, known []string) string {
	if s, ok := loadSuggest(got, known); ok {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "known fields: " + strings.Join(known, ", ")
}

// loadEnumHint is loadKeyHint for values.
func loadEnumHint(got string, options []string) string {
	if s, ok := loadSuggest(got, options); ok {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "one of " + strings.Join(options, ", ")
}

// loadSuggest finds the option closest to got: an edit distance of at most
// 2 (ignoring case), else an option that got starts or is the start of.
// Words under five letters get at most 1, or "base" would suggest "name".
func loadSuggest(got string, options []string) (string, bool) {
	g := strings.ToLower(got)
	limit := 3
	if utf8.RuneCountInString(g) < 5 {
		limit = 2
	}
	best, bestDist := "", limit
	for _, o := range options {
		if dist := loadDistance(g, strings.ToLower(o), bestDist); dist < bestDist {
			best, bestDist = o, dist
		}
	}
	if best != "" {
		return best, true
	}
	if len(g) >= 3 {
		for _, o := range options {
			lo := strings.ToLower(o)
			if strings.HasPrefix(lo, g) || strings.HasPrefix(g, lo) {
				return o, true
			}
		}
	}
	return "", false
}

// loadDistance is the edit distance of a and b counting a swap of two
// neighbours as one edit ("laod" is one slip from "load"), or limit when it
// is at least limit; the early exit keeps long keys from costing a*b.
func loadDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= limit || -d >= limit {
		return limit
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(rb)], limit)
}
