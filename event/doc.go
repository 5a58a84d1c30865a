// Package event declares the trace's vocabulary as Go types: one struct per
// event kind, its fields typed and named once. Producers emit a value of one
// of these types through Emit, so a renamed or mistyped field is a compile
// error rather than a check that silently matches nothing; the list of kinds
// that scenarios may name (Kinds) is derived from the same types.
//
// The wire form is unchanged: an event's fields are written as the JSON
// object its struct's tags describe, with keys sorted, exactly the bytes of
// the trace before the types existed (scenarios' trace golden test pins it).
package event
