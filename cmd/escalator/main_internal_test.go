package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain keeps the tests' runs out of the package folder: the history
// they record goes to a temporary database.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "escalator-cmd-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("ESCALATOR_DB", filepath.Join(dir, "history.db"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
