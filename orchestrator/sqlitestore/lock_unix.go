//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sqlitestore

import (
	"errors"
	"os"
	"syscall"

	"github.com/escalator-testbed/escalator"
)

// lockFile opens the state file (creating an empty one, which SQLite takes
// for a new database) and takes an exclusive flock on it without waiting.
//
// flock, not a lock file beside it: the kernel drops the lock when the
// holder dies, so a VIM killed with SIGKILL leaves nothing stale behind.
// On these systems flock and SQLite's own POSIX record locks do not
// interact, and the descriptor stays open until after SQLite has closed
// the file: closing another descriptor of the file while SQLite holds it
// would drop SQLite's locks (the POSIX rule SQLite's documentation warns
// of).
func lockFile(abs string) (*os.File, error) {
	// Owner-only: the file may hold the credentials a VIM notifies its
	// subscribers with; SQLite gives its log files the same mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, escalator.Errorf(escalator.EINVALID, "state file %s: %v", abs, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, escalator.Errorf(escalator.EUNAVAILABLE,
				"state file %s is in use by another escalator process (only one VIM may drive its sessions): stop that one first", abs)
		}
		return nil, escalator.Errorf(escalator.EINTERNAL, "state file %s: cannot lock it: %v", abs, err)
	}
	return f, nil
}
