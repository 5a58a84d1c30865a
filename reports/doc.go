// Package reports turns scenario results into what people and CI systems
// read: the terminal output (live progress, colour on a terminal only, the
// gates first, each failure with its trace excerpt and rerun command),
// JUnit XML, JSON with a documented schema, a Markdown summary, and one
// self-contained HTML file with SVG timelines and a message sequence chart.
// Every format renders a Run; reports/history stores runs in SQLite.
package reports
