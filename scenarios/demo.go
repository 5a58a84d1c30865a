package scenarios

import (
	"embed"
	"path"
	"slices"

	"github.com/escalator-testbed/escalator/scenarios/load"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// The demo's showcase scenarios travel inside the binary, so `escalator
// demo` works from any folder. They are ordinary scenarios too: `make run`
// and the bundled suite run them in virtual time.
//
//go:embed demo/*.yaml
var demoFiles embed.FS

// DemoDefault is the showcase `escalator demo` opens with.
const DemoDefault = "demo-f1-showcase"

// Demos loads the bundled showcase scenarios, the default first, then by
// name. Each Path reads scenarios/demo/FILE, where the file lives in the
// source tree.
func Demos() ([]*spec.Scenario, error) {
	entries, err := demoFiles.ReadDir("demo")
	if err != nil {
		return nil, err
	}
	var out []*spec.Scenario
	for _, e := range entries {
		data, err := demoFiles.ReadFile(path.Join("demo", e.Name()))
		if err != nil {
			return nil, err
		}
		s, err := load.Bytes(path.Join("scenarios", "demo", e.Name()), data)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b *spec.Scenario) int {
		switch {
		case a.Name == b.Name:
			return 0
		case a.Name == DemoDefault:
			return -1
		case b.Name == DemoDefault:
			return 1
		case a.Name < b.Name:
			return -1
		}
		return 1
	})
	return out, nil
}
