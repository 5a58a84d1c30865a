// Package sqlitestore keeps the Upgrade Manager's sessions in one SQLite
// file: the orchestrator.Store that `escalator vim --state FILE` gives the
// Manager, so that a VIM killed mid-upgrade (kill -9, OOM, a reboot) is
// restarted on the same file and takes the session up where its record
// ends (orchestrator.Manager.Recover).
//
// Each Commit is one transaction: the session's header and its changed
// node rows are upserted and its new notifications and replies inserted,
// all or nothing, and the transaction is synced to disk before Commit
// returns (WAL, synchronous=FULL), because the Manager acts on a step only
// once it is on record and a host that loses power must not lose the
// intent of an upgrade it started. The documents are the JSON that
// orchestrator.EncodeCommit makes and Load reads them back with
// orchestrator.DecodeSession, so this store and the in-memory one hold the
// same bytes and give back the same records (orchestrator/storetest holds
// both to that).
//
// The tables, for reading by hand (sqlite3 state.db):
//
//	sessions  id, seq (creation order), spec (JSON SessionSpec), header (JSON SessionHeader)
//	nodes     session, node, seq (first-written order), doc (JSON NodeRecord)
//	notes     session, seq, id, doc (JSON Notification)
//	replies   session, seq, doc (JSON Reply)
//	events    seq, doc (JSON escalator.Event): the run's trace
//	documents name, doc (JSON): what the run was started from, the subscriptions
//	schema_migrations  version, name, applied_at
//
// The trace and the documents are the real-time VIM's, beside the port:
// a restarted `escalator vim` carries on the same run from them (its
// verdict covers the whole upgrade, and its simulated world is rebuilt
// from the trace). CommitWith writes the events of a step in the
// transaction of the step's commit, so that the trace on record never
// lags the sessions.
//
// The schema follows the discipline of the run history (internal/sqlitedb):
// numbered migrations (migrations/NNNN_name.sql) applied in order, each in
// one transaction with its row in schema_migrations.
//
// A state file is never reset. Open refuses, with an EINVALID error that
// names the file and leaves it byte for byte as it was: a file that is not
// SQLite or is damaged (a truncated file fails SQLite's quick check), a
// SQLite file that is not an escalator state file (its application_id), a
// file whose schema is newer than this escalator knows, and a file holding
// a record that does not decode (Open reads every session once). A path in
// a folder that does not exist is an EINVALID error too: the folder is not
// created, since a state file in a mistyped folder would be a fresh one
// and the session on record would silently not be resumed.
//
// One process at a time: Open takes an exclusive advisory lock (flock) on
// the file for the life of the Store, and a second Open, from this
// process or another, is refused at once with an EUNAVAILABLE error
// instead of waiting. Two Upgrade Managers resuming the same session would
// both drive the same nodes; a VIM that is still running is better told
// than queued behind. The kernel drops the lock when the holder dies, so
// a VIM restarted after kill -9 opens the file at once. Within the
// process every statement goes through one connection, so commits are
// serialised and Load sees the last one.
package sqlitestore
