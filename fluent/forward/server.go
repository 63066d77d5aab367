package forward

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// frameDecoder is a msgpack Decoder or a JSONDecoder.
type frameDecoder interface {
	Decode(f *Frame) error
	Buffered() int
}

// Session receives the frames of one connection, in order.
type Session interface {
	// Emit routes and buffers the frame's events. An error closes the
	// connection, as fluentd v0.12's in_forward does on `forward error`.
	Emit(ctx context.Context, f *Frame) error
	// Commit makes everything emitted so far durable (sync) or at least
	// handed to the buffers (not sync). The server calls Commit(true) before
	// acknowledging a `chunk`, and Commit(false) whenever it has drained the
	// bytes it has read.
	Commit(ctx context.Context, sync bool) error
}

// Handler starts a Session per connection.
type Handler interface {
	NewSession(remote net.Addr) Session
}

// Stats are the server's counters since it started.
type Stats struct {
	Connections  int64 // accepted TCP connections
	Frames       int64 // decoded frames
	Events       int64 // decoded events
	Acks         int64 // acks sent
	Heartbeats   int64 // UDP heartbeats answered
	DecodeErrors int64 // connections closed on input fluentd v0.12 raises on
	EmitErrors   int64 // connections closed because Emit or Commit failed
	EventTimes   int64 // events whose time was an EventTime (decoded only with WithAcceptEventTime)
	BrokenChunks int64 // frames that are not arrays, logged and skipped ("incoming chunk is broken")
	Skipped      int64 // Messages and Forward entries without a record, skipped silently
}

// Server serves the forward protocol.
type Server struct {
	h               Handler
	logger          *slog.Logger
	now             func() time.Time
	acceptEventTime bool

	connections, frames, events, acks, heartbeats atomic.Int64
	decodeErrors, emitErrors, eventTimes          atomic.Int64
	brokenChunks, skipped                         atomic.Int64

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger for connection errors.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.logger = l } }

// WithClock sets the clock used for events sent with time 0.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithAcceptEventTime makes the server read EventTime (msgpack ext type 0)
// and CompressedPackedForward as fluentd v1 does. By default it reads as
// fluentd v0.12.43: an ext value anywhere in a frame raises
// MessagePack::UnknownExtTypeError and closes the connection, and the
// `compressed` option is ignored, so a gzip payload is unpacked as entries
// (its first byte, 0x1f, is an entry without a record: NoMethodError).
func WithAcceptEventTime(on bool) Option { return func(s *Server) { s.acceptEventTime = on } }

// NewServer returns a server handing frames to h.
func NewServer(h Handler, opts ...Option) *Server {
	s := &Server{h: h, conns: map[net.Conn]struct{}{}}
	for _, o := range opts {
		o(s)
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Connections: s.connections.Load(), Frames: s.frames.Load(), Events: s.events.Load(),
		Acks: s.acks.Load(), Heartbeats: s.heartbeats.Load(),
		DecodeErrors: s.decodeErrors.Load(), EmitErrors: s.emitErrors.Load(), EventTimes: s.eventTimes.Load(),
		BrokenChunks: s.brokenChunks.Load(), Skipped: s.skipped.Load(),
	}
}

// Serve accepts connections on ln until ctx is done, then closes ln and
// every open connection and waits for their goroutines. It returns nil
// after a cancellation.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	defer stop()
	defer s.wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept forward connection: %w", err)
		}
		s.connections.Add(1)
		s.mu.Lock()
		if ctx.Err() != nil {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	sess := s.h.NewSession(c.RemoteAddr())
	now := func() Time { return Time{Sec: s.now().Unix()} }
	br := bufio.NewReaderSize(c, 64<<10)
	var opts []DecoderOption
	if !s.acceptEventTime {
		opts = append(opts, V012Unpacker())
	}
	var dec frameDecoder = NewDecoder(br, now, opts...)
	ack := func(chunk string) error { return msgpack.NewEncoder(c).Encode(map[string]string{"ack": chunk}) }
	// fluentd switches a connection to JSON when its first byte is '{' or '['.
	if first, err := br.Peek(1); err == nil && (first[0] == '{' || first[0] == '[') {
		dec = NewJSONDecoder(br, now)
		ack = func(chunk string) error { return json.NewEncoder(c).Encode(map[string]string{"ack": chunk}) }
	}
	remote := c.RemoteAddr().String()
	var f Frame
	for {
		err := dec.Decode(&f)
		s.skipped.Add(int64(f.Skipped))
		f.Skipped = 0
		if err != nil {
			if broken, ok := errors.AsType[*BrokenChunkError](err); ok {
				s.brokenChunks.Add(1)
				s.logger.Warn("incoming chunk is broken: source=" + string(appendRubyString(nil, sourceMessage(c.RemoteAddr()))) + " msg=" + broken.Inspect)
				continue
			}
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				if err := sess.Commit(ctx, false); err != nil {
					s.logger.Error("forward error", "error", err.Error(), "remote", remote)
				}
				return
			}
			s.decodeErrors.Add(1)
			s.logDecodeError(err, remote)
			sess.Commit(ctx, false) //nolint:errcheck // the connection is closing because of the decode error
			return
		}
		s.frames.Add(1)
		s.events.Add(int64(len(f.Events)))
		for i := range f.Events {
			if f.Events[i].EventTime {
				s.eventTimes.Add(1)
			}
		}
		if err := sess.Emit(ctx, &f); err != nil {
			s.emitErrors.Add(1)
			s.logger.Error("forward error", "error", err.Error(), "tag", f.Tag, "remote", remote)
			return
		}
		if f.Chunk != "" {
			if err := sess.Commit(ctx, true); err != nil {
				s.emitErrors.Add(1)
				s.logger.Error("forward error", "error", err.Error(), "tag", f.Tag, "remote", remote)
				return
			}
			if err := ack(f.Chunk); err != nil {
				return
			}
			s.acks.Add(1)
		} else if dec.Buffered() == 0 {
			if err := sess.Commit(ctx, false); err != nil {
				s.emitErrors.Add(1)
				s.logger.Error("forward error", "error", err.Error(), "remote", remote)
				return
			}
		}
	}
}

// logDecodeError logs why a connection is closed. An exception fluentd
// raises is logged in its words (and after the `emit transaction failed`
// warning its router writes first when the emit raised); other malformed
// input as "forward error" with the decoder's explanation.
func (s *Server) logDecodeError(err error, remote string) {
	re, ok := errors.AsType[*RubyError](err)
	if !ok {
		s.logger.Error("forward error", "error", err.Error(), "remote", remote)
		return
	}
	if re.InEmit {
		s.logger.Warn("emit transaction failed: error_class=" + re.Class +
			" error=" + string(appendRubyString(nil, re.Message)) + " tag=" + string(appendRubyString(nil, re.Tag)))
	}
	s.logger.Error("forward error error=" + re.Error() + " error_class=" + re.Class)
}

// sourceMessage is in_forward's source_message(peeraddr): the address, not
// a resolved name (Ruby's default do_not_reverse_lookup).
func sourceMessage(a net.Addr) string {
	host, port := a.String(), "?"
	if ta, ok := a.(*net.TCPAddr); ok {
		host, port = ta.IP.String(), strconv.Itoa(ta.Port)
	}
	return "host: " + host + ", addr: " + host + ", port: " + port
}

// ServeUDP answers heartbeats on pc (fluentd v0.12 listens for them on the
// forward port's UDP twin and replies with a single 0x00 byte) until ctx is
// done.
func (s *Server) ServeUDP(ctx context.Context, pc net.PacketConn) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	buf := make([]byte, 1024)
	for {
		_, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read heartbeat: %w", err)
		}
		if _, err := pc.WriteTo([]byte{0}, addr); err == nil {
			s.heartbeats.Add(1)
		}
	}
}
