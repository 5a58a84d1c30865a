package judge

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dynamicFieldReads are the functions allowed to index an event's Fields:
// Match compares the fields a scenario's event matcher names, keys the
// scenario's author wrote and no Go type knows.
var dynamicFieldReads = map[string]bool{"assert.go:Match": true}

// TestJudgeReadsTypedEvents keeps the judge reading events through their
// payload types (evt[T], event.As), so that renaming a field in
// event/kinds.go breaks the build instead of quietly reading "" or 0
// (issue 13). It flags, in the package's non-test files, any one-argument
// call of a method named Str, Num or Strs (escalator.Event's string-keyed
// readers) and any index of a selector named Fields.
func TestJudgeReadsTypedEvents(t *testing.T) {
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var found []string
	parsed := 0
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		parsed++
		for _, d := range f.Decls {
			fn := ""
			if fd, ok := d.(*ast.FuncDecl); ok {
				fn = fd.Name.Name
			}
			ast.Inspect(d, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok && len(x.Args) == 1 {
						switch sel.Sel.Name {
						case "Str", "Num", "Strs":
							found = append(found, fset.Position(x.Pos()).String()+": ."+sel.Sel.Name+"(...)")
						}
					}
				case *ast.IndexExpr:
					if sel, ok := x.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Fields" && !dynamicFieldReads[name+":"+fn] {
						found = append(found, fset.Position(x.Pos()).String()+": .Fields[...]")
					}
				}
				return true
			})
		}
	}
	require.NotZero(t, parsed, "no source files found: the test must run in the package's directory")
	require.Empty(t, found, "the judge reads these event fields by string key; read the kind's payload with evt[T] (event/kinds.go) instead")
}
