package datadog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// readBufferSize is the user-space buffer one datagram is read into: the
// largest UDP payload fits, larger Unix datagrams are reported truncated.
const readBufferSize = 64 << 10

// queueSize is how many datagrams may wait between the socket readers and
// the parser before new ones are dropped (counted in Counts.DroppedQueue).
const queueSize = 65536

// packet is one datagram on its way from a reader to the parser.
type packet struct {
	// data is the datagram, copied once out of the read buffer into a
	// string the parsed items then share.
	data      string
	transport string
	truncated bool
	// synced, when set, marks a barrier rather than a datagram: the parser
	// closes it once everything queued before it is stored.
	synced chan struct{}
}

// counters are the stub's running totals, reset by Reset.
type counters struct {
	packetsUDP, packetsUDS         atomic.Uint64
	bytes                          atomic.Uint64
	metrics, events, serviceChecks atomic.Uint64
	parseErrors, oversize          atomic.Uint64
	droppedQueue, droppedKernel    atomic.Uint64
	payloads, payloadErrors        atomic.Uint64
	spans, newSpans                atomic.Uint64
}

func (c *counters) snapshot() Counts {
	n := Counts{
		PacketsUDP:         c.packetsUDP.Load(),
		PacketsUDS:         c.packetsUDS.Load(),
		Bytes:              c.bytes.Load(),
		Metrics:            c.metrics.Load(),
		Events:             c.events.Load(),
		ServiceChecks:      c.serviceChecks.Load(),
		ParseErrors:        c.parseErrors.Load(),
		Oversize:           c.oversize.Load(),
		DroppedQueue:       c.droppedQueue.Load(),
		DroppedKernel:      c.droppedKernel.Load(),
		TracePayloads:      c.payloads.Load(),
		TracePayloadErrors: c.payloadErrors.Load(),
		Spans:              c.spans.Load(),
		NewSpans:           c.newSpans.Load(),
	}
	n.Packets = n.PacketsUDP + n.PacketsUDS
	n.Dropped = n.DroppedQueue + n.DroppedKernel
	return n
}

func (c *counters) reset() {
	for _, v := range []*atomic.Uint64{
		&c.packetsUDP, &c.packetsUDS, &c.bytes, &c.metrics, &c.events, &c.serviceChecks,
		&c.parseErrors, &c.oversize, &c.droppedQueue, &c.droppedKernel,
		&c.payloads, &c.payloadErrors, &c.spans, &c.newSpans,
	} {
		v.Store(0)
	}
}

// restore sets the counters to n, as a loaded snapshot saved them.
func (c *counters) restore(n Counts) {
	for v, x := range map[*atomic.Uint64]uint64{
		&c.packetsUDP: n.PacketsUDP, &c.packetsUDS: n.PacketsUDS, &c.bytes: n.Bytes,
		&c.metrics: n.Metrics, &c.events: n.Events, &c.serviceChecks: n.ServiceChecks,
		&c.parseErrors: n.ParseErrors, &c.oversize: n.Oversize,
		&c.droppedQueue: n.DroppedQueue, &c.droppedKernel: n.DroppedKernel,
		&c.payloads: n.TracePayloads, &c.payloadErrors: n.TracePayloadErrors,
		&c.spans: n.Spans, &c.newSpans: n.NewSpans,
	} {
		v.Store(x)
	}
}

// ListenUDP starts receiving DogStatsD datagrams on the UDP address addr
// ("127.0.0.1:8125"; port 0 picks one) and returns the bound address. The
// advertised /info statsd_port follows it. The socket receive buffer is
// raised to the WithReadBuffer size (forced past net.core.rmem_max when the
// process may), and on Linux the kernel reports its drops to Counts.
func (a *Agent) ListenUDP(addr string) (*net.UDPAddr, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen dogstatsd on udp %s: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("listen dogstatsd on udp %s: %w", addr, err)
	}
	bound := conn.LocalAddr().(*net.UDPAddr)
	got := tuneSocket(conn, a.readBuffer)
	a.logger.Info("dogstatsd listening", "transport", TransportUDP, "addr", bound.String(), "rcvbuf", got)
	a.setStatsdPort(bound.Port)
	if err := a.startReader(conn, TransportUDP, newBatchReader(conn), nil); err != nil {
		return nil, fmt.Errorf("listen dogstatsd on udp %s: %w", addr, err)
	}
	return bound, nil
}

// ListenUnixgram starts receiving DogStatsD datagrams on a Unix datagram
// socket at path (the agent's is /var/run/datadog/dsd.socket), for clients
// configured with "unix://" or "unixgram://". A stale socket file at path is
// replaced; any other file there is an error. The socket is made writable by
// every user, as the agent does, and removed by Close.
func (a *Agent) ListenUnixgram(path string) (*net.UnixAddr, error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, fmt.Errorf("listen dogstatsd on unixgram %s: %w", path, err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("listen dogstatsd on unixgram %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o722); err != nil {
		conn.Close()
		return nil, fmt.Errorf("listen dogstatsd on unixgram %s: %w", path, err)
	}
	got := tuneSocket(conn, a.readBuffer)
	a.logger.Info("dogstatsd listening", "transport", TransportUDS, "path", path, "rcvbuf", got)
	err = a.startReader(conn, TransportUDS, &unixReader{conn: conn, buf: make([]byte, readBufferSize), oob: make([]byte, 128)},
		func() { os.Remove(path) })
	if err != nil {
		return nil, fmt.Errorf("listen dogstatsd on unixgram %s: %w", path, err)
	}
	return conn.LocalAddr().(*net.UnixAddr), nil
}

func (a *Agent) setStatsdPort(port int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.info.Config.StatsdPort = port
}

// datagramReader reads datagrams from one socket.
type datagramReader interface {
	// read blocks until at least one datagram arrives and calls got for
	// each, with its control messages and receive flags. The slices are
	// reused by the next read.
	read(got func(data, oob []byte, flags int)) error
}

// batchReader reads up to batchSize UDP datagrams per system call
// (recvmmsg on Linux), which keeps the reader ahead of a busy sender.
type batchReader struct {
	readBatch func([]ipv4.Message, int) (int, error)
	msgs      []ipv4.Message
}

const batchSize = 32

func newBatchReader(conn *net.UDPConn) *batchReader {
	r := &batchReader{msgs: make([]ipv4.Message, batchSize)}
	for i := range r.msgs {
		r.msgs[i].Buffers = [][]byte{make([]byte, readBufferSize)}
		r.msgs[i].OOB = make([]byte, 128)
	}
	if conn.LocalAddr().(*net.UDPAddr).IP.To4() != nil {
		r.readBatch = ipv4.NewPacketConn(conn).ReadBatch
	} else {
		r.readBatch = ipv6.NewPacketConn(conn).ReadBatch
	}
	return r
}

func (r *batchReader) read(got func(data, oob []byte, flags int)) error {
	n, err := r.readBatch(r.msgs, 0)
	if err != nil {
		return err
	}
	for _, m := range r.msgs[:n] {
		got(m.Buffers[0][:m.N], m.OOB[:m.NN], m.Flags)
	}
	return nil
}

// unixReader reads one datagram per system call from a Unix socket.
type unixReader struct {
	conn     *net.UnixConn
	buf, oob []byte
}

func (r *unixReader) read(got func(data, oob []byte, flags int)) error {
	n, oobn, flags, _, err := r.conn.ReadMsgUnix(r.buf, r.oob)
	if err != nil {
		return err
	}
	got(r.buf[:n], r.oob[:oobn], flags)
	return nil
}

// errClosed is returned when a listener is opened on a closed agent.
var errClosed = errors.New("agent is closed")

// startReader runs a goroutine that only reads datagrams and queues them for
// the parser, so that parsing never holds up the socket. On a closed agent
// it closes conn (running cleanup) and returns errClosed.
func (a *Agent) startReader(conn net.Conn, transport string, r datagramReader, cleanup func()) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		conn.Close()
		if cleanup != nil {
			cleanup()
		}
		return errClosed
	}
	a.conns[conn] = struct{}{}
	a.readers.Add(1)
	go func() {
		defer a.readers.Done()
		if cleanup != nil {
			defer cleanup()
		}
		var lastDrops uint32
		got := func(data, oob []byte, flags int) {
			if drops, ok := kernelDrops(oob); ok {
				a.counters.droppedKernel.Add(uint64(drops - lastDrops))
				lastDrops = drops
			}
			a.enqueue(packet{
				data:      string(data),
				transport: transport,
				truncated: flags&msgTrunc != 0,
			})
		}
		for {
			if a.readGate != nil {
				a.readGate()
			}
			if err := r.read(got); err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				a.logger.Warn("dogstatsd read", "transport", transport, "err", err)
				time.Sleep(10 * time.Millisecond) // do not spin on a persistent error
			}
		}
	}()
	return nil
}

// enqueue hands a datagram to the parser, or counts it dropped when the
// queue is full: the reader must get back to the socket.
func (a *Agent) enqueue(p packet) {
	select {
	case a.queue <- p:
	default:
		a.counters.droppedQueue.Add(1)
	}
}

// parse consumes the queue until it is closed, storing what it finds in
// batches of up to maxBatch datagrams.
func (a *Agent) parse() {
	defer close(a.parsed)
	const maxBatch = 256
	var b Batch
	var n tally
	for p := range a.queue {
		b.Reset()
		n = tally{}
		barrier := a.parseOne(p, &b, &n)
	drain:
		for i := 1; i < maxBatch && barrier == nil; i++ {
			select {
			case p, ok := <-a.queue:
				if !ok {
					break drain
				}
				barrier = a.parseOne(p, &b, &n)
			default:
				break drain
			}
		}
		a.commit(&b, n)
		if barrier != nil {
			close(barrier)
		}
	}
}

// tally counts the datagrams of one batch, added to the counters only once
// the batch is stored: a test that sees a datagram counted finds what it
// held.
type tally struct {
	udp, uds, bytes, oversize uint64
}

// sync waits until every datagram queued so far is parsed and stored. It
// returns at once on a closed agent, whose queue is already drained.
func (a *Agent) sync() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	done := make(chan struct{})
	a.queue <- packet{synced: done} // under mu: Close cannot close the queue meanwhile
	a.mu.Unlock()
	<-done
}

// parseOne parses one datagram into b and stamps what it added. For a
// barrier it returns the channel to close once b is stored.
func (a *Agent) parseOne(p packet, b *Batch, n *tally) chan struct{} {
	if p.synced != nil {
		return p.synced
	}
	if p.transport == TransportUDP {
		n.udp++
	} else {
		n.uds++
	}
	n.bytes += uint64(len(p.data))
	nm, ne, nc, nerr := len(b.Metrics), len(b.Events), len(b.ServiceChecks), len(b.Errors)
	switch {
	case p.truncated:
		n.oversize++
		b.Errors = append(b.Errors, ParseError{
			Line:   truncate(p.data, maxErrorLine),
			Reason: fmt.Sprintf("datagram truncated: larger than the %d-byte read buffer", readBufferSize),
		})
	case len(p.data) > a.maxDatagram:
		n.oversize++
		b.Errors = append(b.Errors, ParseError{
			Line:   truncate(p.data, maxErrorLine),
			Reason: fmt.Sprintf("datagram of %d bytes exceeds the agent's %d-byte buffer (dogstatsd_buffer_size): the agent would cut it", len(p.data), a.maxDatagram),
		})
	default:
		parseDatagram(p.data, b)
	}
	now := a.now()
	for i := nm; i < len(b.Metrics); i++ {
		b.Metrics[i].Received, b.Metrics[i].Transport = now, p.transport
	}
	for i := ne; i < len(b.Events); i++ {
		b.Events[i].Received, b.Events[i].Transport = now, p.transport
	}
	for i := nc; i < len(b.ServiceChecks); i++ {
		b.ServiceChecks[i].Received, b.ServiceChecks[i].Transport = now, p.transport
	}
	for i := nerr; i < len(b.Errors); i++ {
		b.Errors[i].Received, b.Errors[i].Transport = now, p.transport
	}
	return nil
}

// commit stores a parsed batch, then counts it, and logs its errors (the
// first ones after a reset, then one in a thousand, so garbage cannot flood
// the log).
func (a *Agent) commit(b *Batch, n tally) {
	if len(b.Metrics) > 0 {
		a.store.AddMetrics(b.Metrics)
		a.counters.metrics.Add(uint64(len(b.Metrics)))
	}
	if len(b.Events) > 0 {
		a.store.AddEvents(b.Events)
		a.counters.events.Add(uint64(len(b.Events)))
	}
	if len(b.ServiceChecks) > 0 {
		a.store.AddServiceChecks(b.ServiceChecks)
		a.counters.serviceChecks.Add(uint64(len(b.ServiceChecks)))
	}
	if len(b.Errors) > 0 {
		a.store.AddParseErrors(b.Errors)
		for _, e := range b.Errors {
			if n := a.counters.parseErrors.Add(1); n <= 20 || n%1000 == 0 {
				a.logger.Warn("dogstatsd parse error", "transport", e.Transport, "reason", e.Reason, "line", truncate(e.Line, 128), "total", n)
			}
		}
	}
	a.counters.packetsUDP.Add(n.udp)
	a.counters.packetsUDS.Add(n.uds)
	a.counters.bytes.Add(n.bytes)
	a.counters.oversize.Add(n.oversize)
	// The batch is reused: the store keeps copies of the items, and the
	// slices inside them are not touched again by the parser.
	b.Metrics, b.Events, b.ServiceChecks, b.Errors = b.Metrics[:0], b.Events[:0], b.ServiceChecks[:0], b.Errors[:0]
}

// ListenUnixStream starts receiving DogStatsD payloads on a Unix stream
// socket at path, for clients configured with "unixstream://": each payload
// is framed by its length as 4 little-endian bytes. A frame larger than the
// 64 KiB read buffer is counted as oversize and skipped; a connection whose
// framing breaks is closed. The socket file is handled as by
// [Agent.ListenUnixgram].
func (a *Agent) ListenUnixStream(path string) (*net.UnixAddr, error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, fmt.Errorf("listen dogstatsd on unixstream %s: %w", path, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen dogstatsd on unixstream %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o722); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen dogstatsd on unixstream %s: %w", path, err)
	}
	if err := a.track(ln); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen dogstatsd on unixstream %s: %w", path, err)
	}
	a.logger.Info("dogstatsd listening", "transport", TransportUDS, "path", path, "framing", "stream")
	go func() {
		defer a.readers.Done()
		for {
			conn, err := ln.AcceptUnix()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				a.logger.Warn("dogstatsd accept", "path", path, "err", err)
				time.Sleep(10 * time.Millisecond) // do not spin on a persistent error
				continue
			}
			if a.track(conn) != nil {
				conn.Close()
				return
			}
			go func() {
				defer a.readers.Done()
				defer a.untrack(conn)
				if err := a.readFrames(conn); err != nil {
					a.logger.Warn("dogstatsd stream closed", "path", path, "err", err)
				}
			}()
		}
	}()
	return ln.Addr().(*net.UnixAddr), nil
}

// track registers an open socket with Close and counts its goroutine in
// a.readers; it fails on a closed agent.
func (a *Agent) track(c io.Closer) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return errClosed
	}
	a.conns[c] = struct{}{}
	a.readers.Add(1)
	return nil
}

func (a *Agent) untrack(c io.Closer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c.Close()
	delete(a.conns, c)
}

// readFrames reads length-prefixed payloads from one stream connection
// until it ends.
func (a *Agent) readFrames(r io.Reader) error {
	var hdr [4]byte
	buf := make([]byte, readBufferSize)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read frame length: %w", err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:]))
		keep := min(n, int64(len(buf)))
		if _, err := io.ReadFull(r, buf[:keep]); err != nil {
			return fmt.Errorf("read frame of %d bytes: %w", n, err)
		}
		if n > keep {
			if _, err := io.CopyN(io.Discard, r, n-keep); err != nil {
				return fmt.Errorf("skip frame of %d bytes: %w", n, err)
			}
		}
		a.enqueue(packet{data: string(buf[:keep]), transport: TransportUDS, truncated: n > keep})
	}
}

// removeStaleSocket removes a socket file left at path by an earlier run;
// any other kind of file there is an error.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return errors.New("a file that is not a socket is in the way")
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}
