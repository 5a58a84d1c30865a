package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// schemaPath is the checked-in schema, seen from this package's folder.
var schemaPath = filepath.Join("..", SchemaFile)

var updateSchema = flag.Bool("update-schema", false, "rewrite "+SchemaFile+" from the spec structs (go generate ./scenarios/)")

// schemaSources are the files whose comments describe the schema.
var schemaSources = []string{"spec/spec.go", "spec/expect.go", "judge/metrics.go"}

// readSchemaDocs reads the comments of the spec from its Go sources: the
// doc comment of each struct type, the doc and line comments of each
// field, and the line comment of each string constant. Comments are
// reflowed into plain paragraphs.
func readSchemaDocs(dir string) (schemaDocs, error) {
	docs := schemaDocs{Types: map[string]string{}, Fields: map[string]string{}, Values: map[string]string{}}
	fset := token.NewFileSet()
	// Constants the language takes from the trace vocabulary
	// (FlowF1 = event.FlowF1) keep their comments here, beside the
	// language's names for them.
	vocabulary := map[string]string{}
	vf, err := parser.ParseFile(fset, filepath.Join(dir, "..", "event", "values.go"), nil, 0)
	if err != nil {
		return docs, err
	}
	for _, decl := range vf.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.CONST {
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						vocabulary[vs.Names[i].Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	for _, name := range schemaSources {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return docs, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					st, ok := spec.Type.(*ast.StructType)
					if !ok {
						continue
					}
					d := spec.Doc
					if d == nil && len(gd.Specs) == 1 {
						d = gd.Doc
					}
					docs.Types[spec.Name.Name] = reflow(d.Text())
					for _, field := range st.Fields.List {
						text := strings.TrimSpace(field.Doc.Text() + "\n" + field.Comment.Text())
						for _, n := range field.Names {
							if text != "" {
								docs.Fields[spec.Name.Name+"."+n.Name] = reflow(text)
							}
						}
					}
				case *ast.ValueSpec:
					if gd.Tok == token.CONST && spec.Comment != nil {
						for _, v := range spec.Values {
							switch v := v.(type) {
							case *ast.BasicLit:
								if s, err := strconv.Unquote(v.Value); err == nil && v.Kind == token.STRING {
									docs.Values[s] = reflow(spec.Comment.Text())
								}
							case *ast.SelectorExpr:
								if x, ok := v.X.(*ast.Ident); ok && x.Name == "event" && vocabulary[v.Sel.Name] != "" {
									docs.Values[vocabulary[v.Sel.Name]] = reflow(spec.Comment.Text())
								}
							}
						}
					}
				}
			}
		}
	}
	return docs, nil
}

// reflow turns a Go comment into plain text: paragraphs on one line each,
// lists kept as lists.
func reflow(text string) string {
	var p comment.Parser
	pr := comment.Printer{TextWidth: -1}
	return strings.TrimSpace(string(pr.Text(p.Parse(text))))
}

func generateSchema(t *testing.T) []byte {
	t.Helper()
	docs, err := readSchemaDocs("..")
	require.NoError(t, err)
	data, err := buildSchema(docs)
	require.NoError(t, err)
	return data
}

// TestSchemaIsFresh regenerates the schema and compares it with the
// checked-in file, which go:embed puts in the binary (scenarios.Schema,
// whose test holds it to the file). With -update-schema
// (go generate ./scenarios/) it rewrites the file instead.
func TestSchemaIsFresh(t *testing.T) {
	want := generateSchema(t)
	if *updateSchema {
		require.NoError(t, os.WriteFile(schemaPath, want, 0o644))
		return
	}
	got, err := os.ReadFile(schemaPath)
	require.NoError(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: it differs from what scenarios/spec and the validator say; run go generate ./scenarios/", SchemaFile)
	}
}

func TestSchemaIsDeterministic(t *testing.T) {
	require.Equal(t, string(generateSchema(t)), string(generateSchema(t)))
}

func compileSchema(t testing.TB, data []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(SchemaFile, doc))
	sch, err := c.Compile(SchemaFile)
	require.NoError(t, err, "the schema must be a valid draft 2020-12 schema")
	return sch
}

// yamlInstance reads a YAML document the way an editor's language server
// hands it to a schema validator: as JSON.
func yamlInstance(t testing.TB, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(data, &v))
	j, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	require.NoError(t, err)
	return inst
}

func generatedSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	return compileSchema(t, generateSchema(t))
}

// TestSchemaAcceptsBundledScenarios: every scenario shipped with the
// project, and the loader's every-key fixture, validates.
func TestSchemaAcceptsBundledScenarios(t *testing.T) {
	sch := generatedSchema(t)
	var files []string
	require.NoError(t, filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" {
			files = append(files, p)
		}
		return nil
	}))
	files = append(files, filepath.Join("testdata", "load", "full.yaml"))
	good, err := filepath.Glob(filepath.Join("testdata", "schema", "good-*.yaml"))
	require.NoError(t, err)
	files = append(files, good...)
	require.Greater(t, len(files), 30)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			_, err = Bytes(f, data)
			require.NoError(t, err, "the loader must accept it too")
			if err := sch.Validate(yamlInstance(t, data)); err != nil {
				t.Fatalf("%s does not validate against the schema:\n%v", f, err)
			}
		})
	}
}

// schemaErrorLine is one error of a jsonschema.ValidationError's text:
// "- at '/upgrade/flow': value must be one of 'F1', 'F2', 'naive'".
var schemaErrorLine = regexp.MustCompile(`^\s*- at '([^']*)': (.*)$`)

// TestSchemaRejectsBadInput: each testdata/schema/bad-*.yaml breaks one
// rule. Its header names where the schema must complain and what its
// message must say:
//
//	# want-at: /upgrade
//	# want-error: maxParalel
//
// (the error's JSON pointer, empty for the top level, and a part of its
// message).
//
// The loader must refuse each one too: the schema may know less than the
// loader, never more.
func TestSchemaRejectsBadInput(t *testing.T) {
	sch := generatedSchema(t)
	files, err := filepath.Glob(filepath.Join("testdata", "schema", "bad-*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			at, msg, hasAt := "", "", false
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				line := sc.Text()
				if v, ok := strings.CutPrefix(line, "# want-at:"); ok {
					at, hasAt = strings.TrimSpace(v), true
				}
				if v, ok := strings.CutPrefix(line, "# want-error:"); ok {
					msg = strings.TrimSpace(v)
				}
			}
			require.True(t, hasAt, "the file must say # want-at: /json/pointer (empty for the top level)")
			require.NotEmpty(t, msg, "the file must say # want-error: text")

			_, loadErr := Bytes(f, data)
			require.Error(t, loadErr, "the loader must refuse it too")

			err = sch.Validate(yamlInstance(t, data))
			require.Error(t, err, "the schema must refuse it")
			var seen []string
			for _, line := range strings.Split(err.Error(), "\n") {
				m := schemaErrorLine.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				seen = append(seen, m[1]+": "+m[2])
				if m[1] == at && strings.Contains(m[2], msg) {
					return
				}
			}
			t.Fatalf("no schema error at %s saying %q; got:\n%s", at, msg, strings.Join(seen, "\n"))
		})
	}
}

// TestSchemaDescribesEveryKey: every key has a description, from a scenarios/spec
// comment or from schemaFieldDocs, so that an editor can explain it.
func TestSchemaDescribesEveryKey(t *testing.T) {
	var root map[string]any
	require.NoError(t, json.Unmarshal(generateSchema(t), &root))
	var missing []string
	check := func(where string, obj map[string]any) {
		props, _ := obj["properties"].(map[string]any)
		for k, v := range props {
			p, _ := v.(map[string]any)
			if d, _ := p["description"].(string); d == "" {
				missing = append(missing, where+"."+k)
			}
		}
	}
	check("Scenario", root)
	for name, def := range root["$defs"].(map[string]any) {
		if obj, ok := def.(map[string]any); ok && obj["type"] == "object" {
			check(name, obj)
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "document these keys in scenarios/spec (a field comment) or in schemaFieldDocs")
}

// TestSchemaTablesAgree: the value sets in the schema are the validator's.
func TestSchemaTablesAgree(t *testing.T) {
	var root struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(generateSchema(t), &root))
	enum := func(def, key string) []string {
		var p struct {
			Enum []string `json:"enum"`
		}
		require.NoError(t, json.Unmarshal(root.Defs[def].Properties[key], &p), def+"."+key)
		return p.Enum
	}
	require.Equal(t, loadFaults, enum("FaultSpec", "do"))
	require.Equal(t, loadFlows, enum("UpgradeSpec", "flow"))
	require.Equal(t, loadBehaviors, enum("VNFMSpec", "behavior"))
	require.Equal(t, loadModes, enum("VNFSpec", "mode"))
	require.Equal(t, loadOutcomes, enum("ExpectSpec", "outcome"))
	require.Equal(t, loadClocks, enum("ClockSpec", "mode"))
}

var (
	docYAMLBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")
	docBlock     = regexp.MustCompile("(?s)```(yaml|text)\n(.*?)```")
)

const scenariosDoc = "../../docs/SCENARIOS.md"

// TestDocExamplesLoad: every ```yaml block of docs/SCENARIOS.md is a
// scenario the loader accepts and the schema validates, unless its first
// line is "# fragment" (a part of a scenario, which must still be YAML) or
// "# invalid: NAME" (the error example: it must fail, and the ```text block
// right after it must be exactly the loader's message for a file NAME).
func TestDocExamplesLoad(t *testing.T) {
	data, err := os.ReadFile(scenariosDoc)
	require.NoError(t, err)
	sch := generatedSchema(t)
	blocks := docBlock.FindAllStringSubmatch(string(data), -1)
	loaded, invalid := 0, 0
	for i, b := range blocks {
		if b[1] != "yaml" {
			continue
		}
		body := b[2]
		first, _, _ := strings.Cut(body, "\n")
		name := "docs/SCENARIOS.md yaml block " + strconv.Itoa(i+1) + " (" + first + ")"
		switch {
		case strings.HasPrefix(first, "# fragment"):
			var v any
			require.NoError(t, yaml.Unmarshal([]byte(body), &v), name)
		case strings.HasPrefix(first, "# invalid: "):
			invalid++
			file := strings.TrimSpace(strings.TrimPrefix(first, "# invalid: "))
			_, err := Bytes(file, []byte(body))
			require.Error(t, err, name)
			require.Less(t, i+1, len(blocks), name+" needs a ```text block after it")
			require.Equal(t, "text", blocks[i+1][1], name+" needs a ```text block after it")
			require.Equal(t, strings.TrimSpace(blocks[i+1][2]), err.Error(), name+": the doc must show the loader's real message")
		default:
			loaded++
			_, err := Bytes("example.yaml", []byte(body))
			require.NoError(t, err, name)
			if err := sch.Validate(yamlInstance(t, []byte(body))); err != nil {
				t.Errorf("%s does not validate against the schema:\n%v", name, err)
			}
		}
	}
	require.GreaterOrEqual(t, loaded, 15, "the doc shows a runnable example per feature")
	require.Equal(t, 1, invalid, "the doc shows one real error example")
	require.Len(t, docYAMLBlock.FindAllString(string(data), -1), loaded+invalid+countFragments(blocks))
}

func countFragments(blocks [][]string) int {
	n := 0
	for _, b := range blocks {
		if b[1] == "yaml" && strings.HasPrefix(b[2], "# fragment") {
			n++
		}
	}
	return n
}

// TestDocCoversTheLanguage: docs/SCENARIOS.md names every key of the
// schema and every value of the value sets, in `code`, so that a key or a
// fault kind added to scenarios/spec without a word in the reference fails here.
func TestDocCoversTheLanguage(t *testing.T) {
	data, err := os.ReadFile(scenariosDoc)
	require.NoError(t, err)
	doc := string(data)
	var root map[string]any
	require.NoError(t, json.Unmarshal(generateSchema(t), &root))
	words := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for k := range props {
					words[k] = true
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(root)
	for _, list := range [][]string{loadModes, loadBehaviors, loadFlows, loadOnNack, loadDefects, loadFaults,
		loadPrechecks, loadDeadlines, loadMigrations, loadClocks, loadOutcomes, loadViolationNames, judge.MetricNames,
		loadNodeStates, {spec.AssertOrder, spec.AssertNever, spec.AssertWithin, spec.AssertCount, "zone"}} {
		for _, w := range list {
			if w != "" {
				words[w] = true
			}
		}
	}
	var missing []string
	for w := range words {
		if !slices.ContainsFunc([]string{"`", ":", ".", "["}, func(end string) bool { return strings.Contains(doc, "`"+w+end) }) {
			missing = append(missing, w)
		}
	}
	slices.Sort(missing)
	require.Empty(t, missing, "docs/SCENARIOS.md must name these in `code`")
}

// TestSchemaTablesNameRealKeys: an entry of schema.go's tables for a key
// scenarios/spec no longer has is an error, not a rule that silently stops
// applying.
func TestSchemaTablesNameRealKeys(t *testing.T) {
	docs, err := readSchemaDocs("..")
	require.NoError(t, err)
	schemaFieldDocs["VNFSpec.gone"] = "a key that does not exist"
	defer delete(schemaFieldDocs, "VNFSpec.gone")
	_, err = buildSchema(docs)
	require.ErrorContains(t, err, "VNFSpec.gone")
}
