//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sqlitestore

import (
	"os"

	"github.com/escalator-testbed/escalator"
)

// lockFile opens the state file without a lock of its own: this system
// has no flock, and a second process is then kept out only by SQLite's
// write lock, commit by commit.
func lockFile(abs string) (*os.File, error) {
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, escalator.Errorf(escalator.EINVALID, "state file %s: %v", abs, err)
	}
	return f, nil
}
