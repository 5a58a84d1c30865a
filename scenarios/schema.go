package scenarios

// The JSON Schema of the scenario language, for editors.
//
// scenario.schema.json is generated, never edited: buildSchema (in
// schema_gen_test.go, so that the generator is no part of the package or
// the binary; only the file it writes is) walks the
// structs of spec.go and spec_expect.go by reflection, with the keys and
// required flags and the limits the loader reads from the structs' tags
// (loadFields: required, limit), the value sets the validator
// checks (loadModes, loadFaults, CheckNames, MetricNames, ...), the
// defaults ApplyDefaults fills in, and the descriptions the source
// comments give. TestSchemaIsFresh fails when the checked-in file differs
// from what the code says today; regenerate it with
//
//	go generate ./scenarios/
//
// (which runs that test with -update-schema). The package embeds the file,
// so it must exist to compile: should it be lost, write "{}" into it and
// regenerate.

//go:generate go test -run TestSchemaIsFresh -update-schema .

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
)

// SchemaFile is the generated schema's file name, here in scenarios/.
const SchemaFile = "scenario.schema.json"

// SchemaID is the schema's $id: where the file lives in the repository.
const SchemaID = "https://raw.githubusercontent.com/escalator-testbed/escalator/main/scenarios/" + SchemaFile

//go:embed scenario.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the scenario format:
// the checked-in scenario.schema.json, generated from the spec structs.
// An editor with a YAML language server checks a scenario file against it
// when the file's first line reads
//
//	# yaml-language-server: $schema=./scenario.schema.json
//
// The schema knows the keys, their types, value sets, patterns and ranges;
// the loader (LoadFile, escalator validate) stays the authority on what
// only the whole scenario can tell, such as node names and capacity.
func Schema() ([]byte, error) {
	if !json.Valid(schemaJSON) {
		return nil, errors.New("the embedded scenario schema is not valid JSON; run go generate ./scenarios/")
	}
	return bytes.Clone(schemaJSON), nil
}
