// Package emulator runs a fluentd v0.12 configuration: in_forward
// (package forward) feeds the router (package router, fluentd's routing
// and plugin semantics), and every output instance the router starts gets
// a buffer (package buffer) flushing to its sink (package output): S3
// through aws-sdk-go-v2, Treasure Data through its import API, out_file to
// local files, out_stdout to a writer.
//
// Input is acknowledged (forward `chunk` option) only after every record
// of the frame is appended to its buffers and the file buffers are
// fsynced, so an acknowledged record survives `kill -9`: the next process
// started on the same buffer paths recovers the chunks and sends them.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/forward"
	"github.com/devenv-sh/devenv/fluent/output"
	"github.com/devenv-sh/devenv/fluent/router"
)

// Emulator is a running fluentd emulation. Create it with New, then Listen
// and Serve.
type Emulator struct {
	router *router.Router
	logger *slog.Logger
	now    func() time.Time
	stdout io.Writer
	opts   settings

	outCtx    context.Context
	outCancel context.CancelFunc
	outWG     sync.WaitGroup

	// outputs maps *router.Output to its *outputState (read on every
	// delivery, so lock-free); order lists them under mu.
	outputs sync.Map
	mu      sync.Mutex
	order   []*outputState

	stdoutMu sync.Mutex

	server    *forward.Server
	listeners []net.Listener
	packets   []net.PacketConn
	// indexed are the record keys the config's plugins look up.
	indexed []string

	routed, delivered atomic.Int64
	drops             [4]atomic.Int64
}

type outputState struct {
	out    *router.Output
	buf    *buffer.Buffer
	td     *output.TD
	runErr error
}

type settings struct {
	hostname        string
	loc             *time.Location
	listenAddr      string
	bufferRoot      string
	httpClient      *http.Client
	startTimeout    time.Duration
	shutdownTimeout time.Duration
	acceptEventTime bool
}

// Option configures an Emulator.
type Option func(*Emulator)

// WithLogger sets the logger (see NewLogHandler for fluentd's log format).
func WithLogger(l *slog.Logger) Option { return func(e *Emulator) { e.logger = l } }

// WithClock sets the clock (S3 key flush times, buffer timing).
func WithClock(now func() time.Time) Option { return func(e *Emulator) { e.now = now } }

// WithStdout sets where out_stdout writes. Default io.Discard.
func WithStdout(w io.Writer) Option { return func(e *Emulator) { e.stdout = w } }

// WithHostname sets the hostname fluentd would see (Socket.gethostname).
func WithHostname(h string) Option { return func(e *Emulator) { e.opts.hostname = h } }

// WithLocation sets fluentd's local time zone (TZ). Default UTC, as in the
// fluentd image.
func WithLocation(loc *time.Location) Option { return func(e *Emulator) { e.opts.loc = loc } }

// WithListenAddr overrides the first forward source's bind:port (for
// example "127.0.0.1:0" in tests).
func WithListenAddr(addr string) Option { return func(e *Emulator) { e.opts.listenAddr = addr } }

// WithBufferRoot re-roots buffer paths: buffer_path /fluentd/log/x becomes
// <root>/fluentd/log/x (relative paths are joined to root too), so a
// production config can run unchanged on a machine without /fluentd.
func WithBufferRoot(dir string) Option { return func(e *Emulator) { e.opts.bufferRoot = dir } }

// WithHTTPClient sets the HTTP client of the S3 and TD sinks.
func WithHTTPClient(c *http.Client) Option { return func(e *Emulator) { e.opts.httpClient = c } }

// WithAcceptEventTime makes the forward input read EventTime (msgpack ext
// type 0: Docker's fluentd-sub-second-precision, fluent-logger's
// nanosecond mode) and CompressedPackedForward as fluentd v1 does, and
// count the EventTimes. By default it reads as fluentd v0.12.43 does:
// either raises (MessagePack::UnknownExtTypeError, or NoMethodError on the
// gzip bytes unpacked as entries), "forward error" is logged at error
// level, the connection is closed and its records from that frame on are
// lost, while the client (python fluent-logger, Docker's driver without
// fluentd-request-ack) reports success.
func WithAcceptEventTime(on bool) Option { return func(e *Emulator) { e.opts.acceptEventTime = on } }

// WithShutdownTimeout bounds the final flushes at shutdown (default 10s).
func WithShutdownTimeout(d time.Duration) Option {
	return func(e *Emulator) { e.opts.shutdownTimeout = d }
}

// New builds the router for root and starts the outputs outside forest
// (forest instances start when their first event arrives). Output flush
// loops run until Serve returns or Close is called.
func New(root *config.Element, opts ...Option) (*Emulator, error) {
	e := &Emulator{}
	for _, o := range opts {
		o(e)
	}
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.stdout == nil {
		e.stdout = io.Discard
	}
	if e.opts.loc == nil {
		e.opts.loc = time.UTC
	}
	if e.opts.startTimeout == 0 {
		e.opts.startTimeout = 30 * time.Second
	}
	if e.opts.shutdownTimeout == 0 {
		e.opts.shutdownTimeout = 10 * time.Second
	}
	if e.opts.httpClient == nil {
		e.opts.httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	e.outCtx, e.outCancel = context.WithCancel(context.Background())
	ropts := []router.Option{router.WithLocation(e.opts.loc), router.WithStart(e.startOutput)}
	if e.opts.hostname != "" {
		ropts = append(ropts, router.WithHostname(e.opts.hostname))
	}
	r, err := router.New(root, ropts...)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.router = r
	e.indexed = indexedKeys(root)
	e.server = forward.NewServer(e, forward.WithLogger(e.logger), forward.WithClock(e.now), forward.WithAcceptEventTime(e.opts.acceptEventTime))
	return e, nil
}

// startOutput is the router's start hook: it makes the plugin's start-up
// calls and opens (recovering) the output's buffer. A failure is returned,
// not logged: the router reports it once, as the load error or as the
// reason of the events it drops.
func (e *Emulator) startOutput(o *router.Output) error {
	st := &outputState{out: o}
	var sink buffer.Sink
	framing := buffer.Lines
	ctx, cancel := context.WithTimeout(e.outCtx, e.opts.startTimeout)
	defer cancel()
	switch o.Type {
	case "s3":
		s := output.NewS3(o.S3, output.WithS3HTTPClient(e.opts.httpClient), output.WithS3Clock(e.now), output.WithS3Logger(e.logger))
		if err := s.Start(ctx); err != nil {
			return err
		}
		sink = s
	case "tdlog":
		t := output.NewTD(o.TD, output.WithTDHTTPClient(e.opts.httpClient), output.WithTDClock(e.now))
		if err := t.Start(ctx); err != nil {
			return err
		}
		st.td, sink, framing = t, t, buffer.Msgpack
	case "file":
		sink = output.NewFile(o.File, e.root)
	default:
		// stdout and null are not buffered.
		e.logger.Info("started output", "type", o.Type, "id", o.ID)
		return nil
	}
	cfg, err := e.bufferConfig(o)
	if err != nil {
		return err
	}
	cfg.Framing = framing
	b, err := buffer.Open(cfg, sink, buffer.WithLogger(e.logger), buffer.WithClock(e.now), buffer.WithName(o.ID))
	if err != nil {
		return err
	}
	st.buf = b
	bs := b.Stats()
	e.logger.Info("started output", "type", o.Type, "id", o.ID, "buffer_type", cfg.Type, "buffer_path", cfg.Path,
		"flush_interval", cfg.FlushInterval.String(), "recovered_staged", bs.RecoveredB, "recovered_queued", bs.RecoveredQ, "torn_records_trimmed", bs.TornTrimmed)
	e.mu.Lock()
	e.outputs.Store(o, st)
	e.order = append(e.order, st)
	e.mu.Unlock()
	e.outWG.Add(1)
	go func() {
		defer e.outWG.Done()
		if err := b.Run(e.outCtx, e.opts.shutdownTimeout); err != nil {
			e.logger.Error("buffer shutdown failed", "id", o.ID, "error", err)
			st.runErr = err
		}
	}()
	return nil
}

// root maps a configured path under the buffer root.
func (e *Emulator) root(p string) string {
	if e.opts.bufferRoot == "" {
		return p
	}
	return filepath.Join(e.opts.bufferRoot, p)
}

// bufferConfig reads the buffer parameters the router does not resolve.
func (e *Emulator) bufferConfig(o *router.Output) (buffer.Config, error) {
	cfg := buffer.Config{
		Type:          o.BufferType,
		ChunkLimit:    o.ChunkLimit,
		QueueLimit:    o.QueueLimit,
		FlushInterval: o.FlushInterval,
		RetryWait:     o.RetryWait,
		RetryLimit:    o.RetryLimit,
		TimeSliceWait: buffer.DefaultTimeSliceWait,
	}
	if o.BufferType == "file" {
		cfg.Path = e.root(o.BufferPath)
	}
	// flush_at_shutdown: false for file buffers, true for memory buffers.
	cfg.FlushAtShutdown = o.BufferType == "memory"
	if o.Conf.Param("retry_limit") == nil {
		cfg.RetryLimit = buffer.DefaultRetryLimit
	}
	switch o.Type {
	case "s3":
		cfg.SliceOf = func(t time.Time) string { return o.S3.TimeSlice(router.EventTime{Sec: t.Unix()}) }
		if cfg.ChunkLimit == 0 {
			cfg.ChunkLimit = 256 << 20
		}
	case "file":
		cfg.SliceOf = func(t time.Time) string { return o.File.TimeSlice(router.EventTime{Sec: t.Unix()}) }
		if cfg.ChunkLimit == 0 {
			cfg.ChunkLimit = 256 << 20
		}
	case "tdlog":
		if cfg.ChunkLimit == 0 {
			cfg.ChunkLimit = 32 << 20
		}
	}
	for _, p := range []struct {
		key string
		dst *time.Duration
	}{{"max_retry_wait", &cfg.MaxRetryWait}, {"time_slice_wait", &cfg.TimeSliceWait}} {
		if prm := o.Conf.Param(p.key); prm != nil {
			d, err := router.ParseDuration(prm.Value)
			if err != nil {
				return cfg, config.Errorf(prm.ValuePos, "%s: %v", p.key, err)
			}
			*p.dst = d
		}
	}
	if prm := o.Conf.Param("flush_at_shutdown"); prm != nil {
		v, err := router.ParseBool(prm.Value)
		if err != nil {
			return cfg, config.Errorf(prm.ValuePos, "flush_at_shutdown: %v", err)
		}
		cfg.FlushAtShutdown = v
	}
	return cfg, nil
}

// Listen opens the forward sources' TCP and UDP (heartbeat) sockets.
func (e *Emulator) Listen() error {
	n := 0
	for _, s := range e.router.Sources() {
		if s.Type != "forward" {
			continue
		}
		addr := net.JoinHostPort(s.Bind, strconv.Itoa(s.Port))
		if n == 0 && e.opts.listenAddr != "" {
			addr = e.opts.listenAddr
		}
		n++
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			e.closeListeners()
			return fmt.Errorf("listen forward source %s (%s): %w", addr, s.Pos, err)
		}
		e.listeners = append(e.listeners, ln)
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err != nil {
			e.closeListeners()
			return fmt.Errorf("listen forward heartbeat %s (%s): %w", ln.Addr(), s.Pos, err)
		}
		e.packets = append(e.packets, pc)
		e.logger.Info("listening port", "port", ln.Addr().(*net.TCPAddr).Port, "bind", ln.Addr().(*net.TCPAddr).IP.String())
	}
	if n == 0 {
		return errors.New("listen: the config has no <source> of type forward")
	}
	return nil
}

func (e *Emulator) closeListeners() {
	for _, l := range e.listeners {
		l.Close()
	}
	for _, p := range e.packets {
		p.Close()
	}
}

// Addr is the TCP address of the first forward source (after Listen).
func (e *Emulator) Addr() string {
	if len(e.listeners) == 0 {
		return ""
	}
	return e.listeners[0].Addr().String()
}

// Serve serves the forward sources until ctx is done, then shuts down:
// connections are closed, file buffers are left durably on disk (memory
// buffers, or flush_at_shutdown, are flushed first).
func (e *Emulator) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(e.listeners))
	for i, ln := range e.listeners {
		wg.Add(2)
		go func() { defer wg.Done(); errs <- e.server.Serve(ctx, ln) }()
		go func() { defer wg.Done(); errs <- e.server.ServeUDP(ctx, e.packets[i]) }()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	e.logger.Info("shutting down fluentd")
	all = append(all, e.Close())
	st := e.Stats()
	e.logger.Info("forward input stats", "connections", st.Forward.Connections, "frames", st.Forward.Frames,
		"events", st.Forward.Events, "acks", st.Forward.Acks, "decode_errors", st.Forward.DecodeErrors,
		"emit_errors", st.Forward.EmitErrors, "event_times", st.Forward.EventTimes,
		"broken_chunks", st.Forward.BrokenChunks, "skipped", st.Forward.Skipped,
		"delivered", st.Delivered, "dropped_silent", st.Drops[record.DropSilent], "dropped_warning", st.Drops[record.DropWarning],
		"dropped_error", st.Drops[record.DropError], "dropped_connection_closed", st.Drops[record.DropConnectionClosed])
	return errors.Join(all...)
}

// Close stops the outputs' flush loops (each shutting down as configured)
// and waits for them.
func (e *Emulator) Close() error {
	e.outCancel()
	e.outWG.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, st := range e.order {
		if st.runErr != nil {
			errs = append(errs, st.runErr)
		}
	}
	return errors.Join(errs...)
}

// ForceFlush enqueues and writes every buffered chunk now (fluentd's
// SIGUSR1).
func (e *Emulator) ForceFlush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, st := range e.order {
		st.buf.ForceFlush()
	}
	e.logger.Info("force flushing buffered events")
}

// OutputStats is one output instance's buffer counters.
type OutputStats struct {
	ID     string
	Type   string
	Buffer buffer.Stats
}

// Stats are the emulator's counters.
type Stats struct {
	Forward forward.Stats
	// Routed is the number of events routed; Delivered the number of
	// records appended to output buffers (or written to stdout).
	Routed, Delivered int64
	// Drops counts dropped events by kind.
	Drops   map[record.DropKind]int64
	Outputs []OutputStats
}

var dropKinds = [4]record.DropKind{record.DropSilent, record.DropWarning, record.DropError, record.DropConnectionClosed}

// Stats returns a snapshot of the counters.
func (e *Emulator) Stats() Stats {
	s := Stats{Forward: e.server.Stats(), Routed: e.routed.Load(), Delivered: e.delivered.Load(), Drops: map[record.DropKind]int64{}}
	for i, k := range dropKinds {
		s.Drops[k] = e.drops[i].Load()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, st := range e.order {
		s.Outputs = append(s.Outputs, OutputStats{ID: st.out.ID, Type: st.out.Type, Buffer: st.buf.Stats()})
	}
	return s
}

// NewSession implements forward.Handler.
func (e *Emulator) NewSession(net.Addr) forward.Session {
	return &session{e: e, touched: map[*buffer.Buffer]struct{}{}}
}

// session routes one connection's frames and tracks the buffers it
// appended to, so that Commit syncs exactly those.
type session struct {
	e       *Emulator
	touched map[*buffer.Buffer]struct{}
	scratch []byte
	pending []pendingAppend // deliverAll's, reused
}

// emitError is returned when fluentd would close the connection.
type emitError struct {
	tag    string
	reason string
}

func (err *emitError) Error() string {
	return fmt.Sprintf("%s (tag %q)", err.reason, err.tag)
}

// Emit routes every event of the frame and appends the deliveries to
// their buffers.
func (s *session) Emit(_ context.Context, f *forward.Frame) error {
	e := s.e
	for i := range f.Events {
		ev := &f.Events[i]
		rec := ev.Record
		if str, ok := ev.Raw.(string); ok {
			rec = s.stringRecord(str)
		}
		j := e.router.Route(router.Event{Tag: f.Tag, Time: router.EventTime{Sec: ev.Time.Sec, Nsec: uint32(ev.Time.Nsec), IsFloat: ev.Time.IsFloat, Float: ev.Time.Float}, Record: rec})
		e.routed.Add(1)
		if ev.Raw != nil && len(j.Deliveries) > 0 {
			// v0.12's outputs index or merge the record as a Hash (out_s3's
			// include_time_key: String#[]= raises IndexError): the emit
			// raises into in_forward.
			return &emitError{tag: f.Tag, reason: fmt.Sprintf("a String record reached output %s, which handles records as Hashes: the emit raises and in_forward closes the connection", j.Deliveries[0].Output.ID)}
		}
		var closeErr error
		for _, d := range j.Drops {
			for k, kind := range dropKinds {
				if d.Kind == kind {
					e.drops[k].Add(1)
				}
			}
			switch d.Kind {
			case record.DropConnectionClosed:
				closeErr = &emitError{tag: d.Tag, reason: d.Reason}
			case record.DropWarning:
				e.logger.Warn(d.Reason, "tag", d.Tag, "plugin", d.Plugin)
			case record.DropError:
				e.logger.Error(d.Reason, "tag", d.Tag, "plugin", d.Plugin)
			}
		}
		if err := s.deliverAll(j.Deliveries); err != nil {
			return err
		}
		if closeErr != nil {
			return closeErr
		}
	}
	return nil
}

// stringRecord is what the config's plugins read from a String record:
// record[key] is String#[], the key itself when the string contains it,
// nil otherwise. So filter_parser warns "<key_name> does not exist" (or
// fails to parse the key as JSON) and rewrite_tag_filter matches its rule
// patterns against the key.
func (s *session) stringRecord(str string) record.Record {
	rec := record.Record{}
	for _, k := range s.e.indexed {
		if strings.Contains(str, k) {
			rec.Set(k, k)
		}
	}
	return rec
}

// indexedKeys lists the record keys the plugins of root look up:
// filter_parser's key_name and rewrite_tag_filter's rule keys (<rule> key,
// and the first word of rewriteruleN).
func indexedKeys(root *config.Element) []string {
	var keys []string
	var walk func(el *config.Element)
	walk = func(el *config.Element) {
		if k, ok := el.Get("key_name"); ok {
			keys = append(keys, k)
		}
		if k, ok := el.Get("key"); ok && el.Name == "rule" {
			keys = append(keys, k)
		}
		for _, p := range el.Params {
			if strings.HasPrefix(p.Key, "rewriterule") {
				if f := strings.Fields(p.Value); len(f) > 0 {
					keys = append(keys, f[0])
				}
			}
		}
		for _, c := range el.Elements {
			walk(c)
		}
	}
	walk(root)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// pendingAppend is a buffered delivery checked and waiting for its append:
// data, or (for a TD record) scratch[from:to].
type pendingAppend struct {
	st       *outputState
	d        *router.Delivery
	key      string
	data     []byte
	from, to int
}

// deliverAll writes one journey's deliveries in the order of v0.12's copy
// chain: a stdout store writes as it is reached; a buffered store (s3,
// tdlog, file) first checks that its buffer has room (a full queue raises
// before the stores after it run) and appends only once the stores after
// it have returned, so a store that raises leaves the buffered stores
// before it empty and the connection is closed.
func (s *session) deliverAll(ds []router.Delivery) error {
	e := s.e
	s.scratch = s.scratch[:0]
	pending := s.pending[:0]
	for k := range ds {
		d := &ds[k]
		if d.Output.Type == "stdout" {
			e.stdoutMu.Lock()
			_, err := e.stdout.Write(d.Line)
			e.stdoutMu.Unlock()
			if err != nil {
				return err
			}
			e.delivered.Add(1)
			continue
		}
		v, ok := e.outputs.Load(d.Output)
		if !ok {
			continue // out_null, or an output whose start failed
		}
		p := pendingAppend{st: v.(*outputState), d: d}
		n := len(d.Line)
		switch d.Output.Type {
		case "tdlog":
			var err error
			if p.key, err = p.st.td.ChunkKey(d.Tag); err != nil {
				return &emitError{tag: d.Tag, reason: err.Error()}
			}
			p.from = len(s.scratch)
			s.scratch = router.AppendMsgpack(s.scratch, d.Record)
			p.to = len(s.scratch)
			n = p.to - p.from
		default:
			p.key, p.data = d.TimeSlice, d.Line
		}
		if err := p.st.buf.CanAppend(p.key, n); err != nil {
			return &emitError{tag: d.Tag, reason: fmt.Sprintf("%s: %v", d.Output.ID, err)}
		}
		pending = append(pending, p)
	}
	s.pending = pending
	for i := len(pending) - 1; i >= 0; i-- {
		p := &pending[i]
		data := p.data
		if data == nil {
			data = s.scratch[p.from:p.to]
		}
		if err := p.st.buf.Append(p.key, data); err != nil {
			return &emitError{tag: p.d.Tag, reason: fmt.Sprintf("%s: %v", p.d.Output.ID, err)}
		}
		s.touched[p.st.buf] = struct{}{}
		e.delivered.Add(1)
	}
	return nil
}

// Commit flushes (and with sync, fsyncs) the buffers this connection
// appended to since the last Commit.
func (s *session) Commit(_ context.Context, sync bool) error {
	for b := range s.touched {
		if err := b.Commit(sync); err != nil {
			return err
		}
		delete(s.touched, b)
	}
	return nil
}
