package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/escalator-testbed/escalator/scenarios"
)

const schemaHelp = `Usage: escalator schema > scenario.schema.json

Prints the JSON Schema (draft 2020-12) of the scenario format to stdout.
It is generated from the scenario structs (scenarios/spec), so it knows
every key, its type, default and description, the allowed values (flows,
modes, behaviours, fault kinds, check names, metrics, event kinds), and
the patterns of rates (1000/s, 60/m) and durations (500ms, 10m).

An editor with a YAML language server (VS Code's YAML extension, Neovim or
Helix with yaml-language-server, JetBrains IDEs) then completes and checks
a scenario as you type when the file's first line names the schema:

  # yaml-language-server: $schema=./scenario.schema.json

The path is relative to the scenario file; an absolute path or a URL
works too, e.g. the copy in the repository:

  # yaml-language-server: $schema=https://raw.githubusercontent.com/escalator-testbed/escalator/main/scenarios/scenario.schema.json

The schema catches unknown keys, misspelt values, missing keys and
malformed numbers; 'escalator validate FILE' stays the authority, and also
checks what needs the whole scenario (node names, capacity, placement).
The reference of the format is docs/SCENARIOS.md.
`

func cmdSchema(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, schemaHelp) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "escalator schema: takes no arguments, got %q\n\n", fs.Args())
		fs.Usage()
		return exitUsage
	}
	data, err := scenarios.Schema()
	if err != nil {
		fmt.Fprintf(stderr, "escalator schema: %v\n", err)
		return exitHarness
	}
	if _, err := stdout.Write(data); err != nil {
		fmt.Fprintf(stderr, "escalator schema: %v\n", err)
		return exitHarness
	}
	return exitPass
}
