//go:build !unix

package load

// openNonBlock: elsewhere the stat before the open is the guard.
const openNonBlock = 0
