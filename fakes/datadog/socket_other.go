//go:build !linux

package datadog

import "syscall"

// tuneSocket asks for a receive buffer of size bytes and returns what the
// system granted.
func tuneSocket(conn syscall.Conn, size int) int {
	if c, ok := conn.(interface{ SetReadBuffer(int) error }); ok {
		_ = c.SetReadBuffer(size)
	}
	return size
}

// kernelDrops is only available on Linux.
func kernelDrops([]byte) (uint32, bool) { return 0, false }

// msgTrunc is 0: truncated datagrams are only detected on Linux.
const msgTrunc = 0
