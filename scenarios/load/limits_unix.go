//go:build unix

package load

import "syscall"

// openNonBlock keeps the open of a FIFO from waiting for a writer.
const openNonBlock = syscall.O_NONBLOCK
