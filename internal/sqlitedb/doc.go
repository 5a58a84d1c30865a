// Package sqlitedb is the discipline every SQLite file of escalator follows,
// written once: numbered schema migrations recorded in a table and applied
// each in its own transaction, a file from a newer escalator refused, the
// switch to write-ahead logging done by the opener with a retry, and
// driver errors turned into *escalator.Error values that name the file.
//
// The run history (reports/history) and the orchestrator's state store
// (orchestrator/sqlitestore) both use it. It lives under internal/ and
// imports only the root package and the driver, so that sharing it makes
// neither of them import the other: the orchestrator must never depend on
// the reports, nor the reports on the orchestrator.
package sqlitedb
