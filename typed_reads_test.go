package escalator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadersUseTypedEvents keeps every reader of the trace on the typed
// payloads of package event (event.As, event.Decode), so that renaming a
// field in event/kinds.go breaks the build instead of quietly reading ""
// or 0 (issue 13). It flags, in every non-test, non-generated file of the
// module but the one that defines them (trace.go), any one-argument call
// of a method named Str, Num or Strs (Event's string-keyed readers) and
// any index of a selector named Fields by a string literal. An index by a
// variable stays allowed: the judge's Match compares the fields a
// scenario's event matcher names, keys its author wrote and no Go type
// knows. Tests may still read by name.
func TestReadersUseTypedEvents(t *testing.T) {
	fset := token.NewFileSet()
	var found []string
	parsed := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, ".gen.go") || path == "trace.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		parsed++
		for _, decl := range f.Decls {
			ast.Inspect(decl, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok && len(x.Args) == 1 {
						switch sel.Sel.Name {
						case "Str", "Num", "Strs":
							found = append(found, fset.Position(x.Pos()).String()+": ."+sel.Sel.Name+"(...)")
						}
					}
				case *ast.IndexExpr:
					sel, ok := x.X.(*ast.SelectorExpr)
					if lit, isLit := x.Index.(*ast.BasicLit); ok && isLit && sel.Sel.Name == "Fields" && lit.Kind == token.STRING {
						found = append(found, fset.Position(x.Pos()).String()+": .Fields[...]")
					}
				}
				return true
			})
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, parsed, 50, "the module's sources were not found: the test must run in the module's root")
	require.Empty(t, found, "these read event fields by string key; read the kind's payload with event.As or event.Decode (event/kinds.go) instead")
}
