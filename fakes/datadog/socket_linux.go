package datadog

import (
	"encoding/binary"
	"syscall"
)

// tuneSocket asks for a receive buffer of size bytes, forcing it past
// net.core.rmem_max when the process has CAP_NET_ADMIN, and turns on
// SO_RXQ_OVFL so that every read reports how many datagrams the kernel
// dropped on this socket. It returns the buffer size the kernel granted
// (Linux reports twice the requested size, bookkeeping included).
func tuneSocket(conn syscall.Conn, size int) int {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	_ = raw.Control(func(fd uintptr) {
		s := int(fd)
		_ = syscall.SetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_RCVBUF, size)
		if got, _ = syscall.GetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_RCVBUF); got < 2*size {
			_ = syscall.SetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, size)
			got, _ = syscall.GetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		}
		_ = syscall.SetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
	})
	return got
}

// kernelDrops reads the SO_RXQ_OVFL counter (datagrams the kernel dropped on
// the socket since it opened) from a read's control messages.
func kernelDrops(oob []byte) (uint32, bool) {
	if len(oob) == 0 {
		return 0, false
	}
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}

// msgTrunc is the receive flag of a datagram cut to the read buffer.
const msgTrunc = syscall.MSG_TRUNC
