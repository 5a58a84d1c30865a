// Package reports turns scenario results into what people and CI systems
// read: the terminal output (live progress, colour on a terminal only, the
// gates first, each failure with its trace excerpt and rerun command),
// JUnit XML, JSON with a documented schema, a Markdown summary, and one
// self-contained HTML file with SVG timelines and a message sequence chart.
// Every format renders a Run; reports/history stores runs in SQLite.
//
// A conformance case (a scenario with a conformance block) is decided by
// its deciding checks alone, the others being context. Every format then
// sums the cases up at the top (passed, failed, not applicable, could not
// run), names each case by its ID and title, and for a failed case shows
// the evidence: the HTTP exchanges involved (credentials masked by the
// recorder), the spec violations of the run and the trace excerpt. A run
// without conformance cases renders as it always has.
package reports
