package datadog_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakes/datadog"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// udpSocketStats reads the receive queue and the drop count the kernel keeps
// for the IPv4 UDP socket bound to 127.0.0.1:port (/proc/net/udp).
func udpSocketStats(t *testing.T, port int) (rxQueue, drops uint64) {
	t.Helper()
	f, err := os.Open("/proc/net/udp")
	assert.NilError(t, err)
	defer f.Close()
	local := fmt.Sprintf("0100007F:%04X", port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
		fields := strings.Fields(sc.Text())
		if len(fields) < 13 || fields[1] != local {
			continue
		}
		_, rx, _ := strings.Cut(fields[4], ":")
		rxQueue, err = strconv.ParseUint(rx, 16, 64)
		assert.NilError(t, err, "rx_queue of %q", sc.Text())
		drops, err = strconv.ParseUint(fields[12], 10, 64)
		assert.NilError(t, err, "drops of %q", sc.Text())
		return rxQueue, drops
	}
	assert.NilError(t, sc.Err())
	t.Fatalf("no UDP socket on %s in /proc/net/udp", local)
	return 0, 0
}

// TestKernelDropsCounted overflows the UDP socket's receive buffer for real:
// with the smallest buffer the kernel grants and the reader held, a flood of
// datagrams mostly never reaches the socket. Once the reader runs again, the
// next datagram's SO_RXQ_OVFL control message carries the kernel's drop
// count, and the stub reports exactly what /proc/net/udp says the kernel
// dropped, with every datagram sent either read or dropped.
func TestKernelDropsCounted(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	var once sync.Once
	held := make(chan struct{})
	gate := func() {
		once.Do(func() { close(held) })
		<-hold
	}
	// A read buffer of 1 byte is raised by the kernel to its minimum (about
	// 2 KiB with bookkeeping): a few datagrams fill it.
	a := datadog.New(datadog.WithReadBuffer(1), datadog.WithReadGate(gate))
	t.Cleanup(func() { a.Close() })
	released := false
	release := func() {
		if !released {
			released = true
			close(hold)
		}
	}
	t.Cleanup(release) // before Close, which waits for the reader
	addr, err := a.ListenUDP("127.0.0.1:0")
	assert.NilError(t, err)
	<-held

	conn, err := net.DialUDP("udp", nil, addr)
	assert.NilError(t, err)
	defer conn.Close()
	// Fewer than net.core.netdev_max_backlog (1000 by default), so loopback
	// delivers every datagram to the socket, which queues or drops it.
	const flood = 200
	for i := range flood {
		_, err := fmt.Fprintf(conn, "flood.metric:%d|c|#i:%d", i, i)
		assert.NilError(t, err)
	}
	queued, dropped := udpSocketStats(t, addr.Port)
	assert.Assert(t, dropped > 0, "the kernel dropped nothing: the buffer did not overflow (%d bytes queued)", queued)
	assert.Assert(t, dropped < flood, "the kernel queued nothing")
	assert.Check(t, is.Equal(a.Counts().DroppedKernel, uint64(0)), "counted before any read")

	// The reader drains what the kernel queued; those datagrams were queued
	// before the drops and report none.
	release()
	read := uint64(flood) - dropped
	testsupport.Until(t, 10*time.Second, fmt.Sprintf("the %d packets read counted", read), func() bool { return a.Counts().Packets == read })
	assert.Check(t, is.Equal(a.Counts().DroppedKernel, uint64(0)))

	// The next datagram queued carries the socket's drop count.
	_, err = conn.Write([]byte("after.drops:1|c"))
	assert.NilError(t, err)
	testsupport.Until(t, 10*time.Second, fmt.Sprintf("%d packets counted", read+1), func() bool { return a.Counts().Packets == read+1 })
	n := a.Counts()
	_, kernel := udpSocketStats(t, addr.Port)
	assert.Check(t, is.Equal(kernel, dropped), "the kernel dropped more after the flood")
	assert.Check(t, is.Equal(n.DroppedKernel, kernel))
	assert.Check(t, is.Equal(n.Dropped, kernel))
	assert.Check(t, is.Equal(n.DroppedQueue, uint64(0)))
	assert.Check(t, is.Equal(n.Packets+n.DroppedKernel, uint64(flood+1)), "every datagram is read or dropped")
	assert.Check(t, is.Equal(n.Metrics, n.Packets))
}
