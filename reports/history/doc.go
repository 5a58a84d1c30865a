// Package history keeps every `escalator run` in a SQLite file (by default
// .escalator/history.db), so that a past run can be listed, rendered again
// by any report format, and compared with another.
//
// Open creates the file and its folder, and applies the embedded schema
// migrations (migrations/NNNN_name.sql) in order, each in a transaction
// together with its row in schema_migrations (version, name, applied_at); a
// database from a newer escalator is refused. Save stores a reports.Run in
// one transaction, so that a process killed in the middle of it leaves the
// run either whole or absent and the file opening cleanly. Runs lists runs,
// newest first, by scenario and verdict; Load rebuilds a reports.Run from
// its ID or a unique prefix of it, as git names commits; Compare tells what
// moved between two runs.
//
// Save keeps the file each scenario came from (scenario_files, by SHA-256)
// when it still loads as the scenario that ran, and Load rebuilds the
// scenario from it. Both read it through the Parser Open is given (the
// command hands over load.Bytes), so the history imports no YAML, no
// simulator and no orchestrator: a result is a judge.Result.
//
// The tables, for queries by hand (sqlite3 .escalator/history.db):
//
//	runs              id, started, wall_ms, command, version, passed, failed, xfailed, errors, not_applicable
//	scenario_results  run_id, ordinal, name, path, seed, verdict, session_state, labels (JSON), ..., conformance (JSON, NULL for a plain scenario)
//	check_results     run_id, ordinal, position, name, status, reason, violations (JSON)
//	metrics           run_id, ordinal, name, value (seconds for durations)
//	traces            run_id, ordinal, events, ndjson (the NDJSON trace, gzip-compressed)
//
// Times are UTC text that sorts; durations are REAL milliseconds. Rows
// below a run are deleted with it (foreign keys, ON DELETE CASCADE).
//
// The database runs in WAL mode with one writer connection; see DSN. Many
// processes may share one file: opening, migrating and saving each wait up
// to BusyTimeout for the others (useWAL says why the switch to WAL needs a
// wait of its own).
package history
