package load

// The JSON Schema of the scenario language, for editors.
//
// scenario.schema.json is generated, never edited: buildSchema (in
// schema_gen_test.go, so that the generator is no part of the package or
// the binary; only the file it writes is) walks the structs of
// scenarios/spec by reflection, with the keys and required flags and the
// limits the loader reads from the structs' tags (loadFields: required,
// limit), the value sets the validator checks (loadModes, loadFaults,
// judge.CheckNames, judge.MetricNames, ...), the defaults ApplyDefaults
// fills in, and the descriptions the source comments give.
// TestSchemaIsFresh fails when the checked-in file differs from what the
// code says today; regenerate it with
//
//	go generate ./scenarios/
//
// (which runs that test with -update-schema). The file lives in
// scenarios/, beside the suite it describes, at the path the docs and its
// $id give; package scenarios embeds it (go:embed cannot reach a parent
// folder) and serves it as scenarios.Schema, so it must exist to compile:
// should it be lost, write "{}" into it and regenerate.

// SchemaFile is the generated schema's file name, in scenarios/.
const SchemaFile = "scenario.schema.json"

// SchemaID is the schema's $id: where the file lives in the repository.
const SchemaID = "https://raw.githubusercontent.com/escalator-testbed/escalator/main/scenarios/" + SchemaFile
