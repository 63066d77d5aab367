package datadog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devenv-sh/devenv/fakes/control"
)

// Agent is the Datadog agent stub: DogStatsD listeners feeding a parser, a
// trace intake and the inspection API, over one [Store].
//
// Create it with [New], start the listeners ([Agent.ListenUDP],
// [Agent.ListenUnixgram], [Agent.ListenUnixStream]) and serve [Agent.Handler] on the APM port, or do
// all of it with [Agent.Serve]. [Agent.Close] stops the listeners after
// parsing every datagram already read.
type Agent struct {
	now             func() time.Time
	store           Store
	logger          *slog.Logger
	maxDatagram     int
	readBuffer      int
	maxRequestBytes int64
	// readGate, when set (by tests only, see export_test.go), is called by
	// every datagram reader before each read: blocking in it holds the
	// reader, so datagrams wait in, and overflow, the socket buffer.
	readGate func()

	snapshotInterval time.Duration
	persist          *persister // nil unless made by Open

	faults   control.Faults
	counters counters
	handler  *echo.Echo

	queue   chan packet
	parsed  chan struct{} // closed when the parser has drained the queue
	readers sync.WaitGroup

	mu        sync.Mutex
	info      Info
	conns     map[io.Closer]struct{} // open sockets, closed by Close
	closed    bool
	closeOnce sync.Once
	closeErr  error
}

// Option configures an [Agent].
type Option func(*options)

type options struct {
	now             func() time.Time
	store           Store
	logger          *slog.Logger
	maxDatagram     int
	readBuffer      int
	maxRequestBytes int64
	readGate        func()

	snapshotInterval time.Duration
}

// WithClock sets the clock that stamps received items and drives the
// retention window and query windows (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithStore sets where received items go (default a [MemoryStore] with
// [DefaultLimits] on the same clock).
func WithStore(s Store) Option { return func(o *options) { o.store = s } }

// WithLogger sets the structured logger (default: discard). The stub logs its
// listeners, every trace payload and DogStatsD parse errors.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMaxDatagramSize sets the size above which a datagram is rejected as
// oversize, as the agent's dogstatsd_buffer_size (default 8192) would cut it.
func WithMaxDatagramSize(n int) Option { return func(o *options) { o.maxDatagram = n } }

// WithReadBuffer sets the socket receive buffer (SO_RCVBUF) the listeners
// ask for, in bytes (default 32 MiB: a third of a second at 100,000
// datagrams/s; memory is only used while datagrams wait).
func WithReadBuffer(n int) Option { return func(o *options) { o.readBuffer = n } }

// WithMaxRequestBytes bounds a trace payload (default 25 MiB, the agent's
// max_request_bytes); a larger one is answered 413.
func WithMaxRequestBytes(n int64) Option { return func(o *options) { o.maxRequestBytes = n } }

// WithSnapshotInterval sets how often an agent made by [Open] saves its
// snapshot while something changes (default [DefaultSnapshotInterval]); it
// has no effect on [New]'s.
func WithSnapshotInterval(d time.Duration) Option {
	return func(o *options) { o.snapshotInterval = d }
}

// New returns a stub with no listener open yet, keeping what it receives
// in memory only ([Open] persists it).
func New(opts ...Option) *Agent {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.store == nil {
		o.store = NewMemoryStore(DefaultLimits, o.now)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.maxDatagram <= 0 {
		o.maxDatagram = 8192
	}
	if o.readBuffer <= 0 {
		o.readBuffer = 32 << 20
	}
	if o.maxRequestBytes <= 0 {
		o.maxRequestBytes = 25 << 20
	}
	if o.snapshotInterval <= 0 {
		o.snapshotInterval = DefaultSnapshotInterval
	}
	a := &Agent{
		now:              o.now,
		store:            o.store,
		logger:           o.logger,
		maxDatagram:      o.maxDatagram,
		readBuffer:       o.readBuffer,
		maxRequestBytes:  o.maxRequestBytes,
		readGate:         o.readGate,
		snapshotInterval: o.snapshotInterval,
		queue:            make(chan packet, queueSize),
		parsed:           make(chan struct{}),
		info:             DefaultInfo(),
		conns:            map[io.Closer]struct{}{},
	}
	a.handler = a.routes()
	go a.parse()
	return a
}

// Handler serves the trace intake (/info, /v0.4/traces, /v0.5/traces) and
// the inspection and control API under /_devenv/.
func (a *Agent) Handler() http.Handler { return a.handler }

// Counts returns the running totals.
func (a *Agent) Counts() Counts { return a.counters.snapshot() }

// Reset forgets everything received and zeroes the counts. Datagrams
// already read from the sockets are parsed first, so none of them shows up
// after Reset returns. An agent made by [Open] also saves the emptied
// snapshot before returning, and returns the error of that save.
func (a *Agent) Reset() error {
	a.sync()
	reset := func() {
		a.store.Reset()
		a.counters.reset()
	}
	if a.persist == nil {
		reset()
		return nil
	}
	return a.resetPersisted(reset)
}

// Close stops the DogStatsD listeners, waits until every datagram already
// read is parsed and stored, and removes the Unix socket files. An agent made
// by [Open] then saves its snapshot a last time and releases its data dir;
// Close returns the error of that save. It is safe to call more than once.
func (a *Agent) Close() error {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		conns := a.conns
		a.conns, a.closed = nil, true
		a.mu.Unlock()
		for c := range conns {
			c.Close()
		}
		a.readers.Wait()
		close(a.queue)
		<-a.parsed
		if a.persist != nil {
			a.closeErr = a.closePersist()
		}
	})
	return a.closeErr
}

// Config says where [Agent.Serve] listens. An empty address leaves that
// listener out.
type Config struct {
	// StatsdAddr is the DogStatsD UDP address, such as "127.0.0.1:8125".
	StatsdAddr string
	// StatsdSocket is the path of the DogStatsD Unix datagram socket, such as
	// "/var/run/datadog/dsd.socket".
	StatsdSocket string
	// StatsdStreamSocket is the path of a DogStatsD Unix stream socket, for
	// clients configured with "unixstream://".
	StatsdStreamSocket string
	// APMAddr is the trace intake and inspection API address, such as
	// "127.0.0.1:8126".
	APMAddr string
	// APMSocket is the path of a Unix socket serving the same HTTP API, as
	// the agent's /var/run/datadog/apm.socket that dd-trace-go prefers when
	// it exists (DD_TRACE_AGENT_URL=unix://...).
	APMSocket string
}

// Addrs are the addresses [Agent.Serve] bound, for a ready callback.
type Addrs struct {
	Statsd             *net.UDPAddr
	StatsdSocket       string
	StatsdStreamSocket string
	APM                net.Addr
	APMSocket          string
}

// Serve opens the listeners of cfg and serves until ctx is done, then shuts
// down gracefully: the HTTP server finishes requests in flight, and every
// datagram already read is parsed and stored before Serve returns (the agent
// is closed). ready, when not nil, is called once everything listens.
func (a *Agent) Serve(ctx context.Context, cfg Config, ready func(Addrs)) (err error) {
	defer func() { err = errors.Join(err, a.Close()) }()
	var addrs Addrs
	if cfg.StatsdAddr != "" {
		if addrs.Statsd, err = a.ListenUDP(cfg.StatsdAddr); err != nil {
			return err
		}
	}
	if cfg.StatsdSocket != "" {
		if _, err = a.ListenUnixgram(cfg.StatsdSocket); err != nil {
			return err
		}
		addrs.StatsdSocket = cfg.StatsdSocket
	}
	if cfg.StatsdStreamSocket != "" {
		if _, err = a.ListenUnixStream(cfg.StatsdStreamSocket); err != nil {
			return err
		}
		addrs.StatsdStreamSocket = cfg.StatsdStreamSocket
	}
	if cfg.APMSocket != "" {
		stopAPM, serr := a.serveUnixHTTP(cfg.APMSocket)
		if serr != nil {
			return serr
		}
		defer func() { err = errors.Join(err, stopAPM()) }()
		addrs.APMSocket = cfg.APMSocket
	}
	if cfg.APMAddr == "" {
		if ready != nil {
			ready(addrs)
		}
		<-ctx.Done()
		return nil
	}
	return control.Serve(ctx, cfg.APMAddr, a.handler, func(apm net.Addr) {
		a.logger.Info("trace intake listening", "addr", apm.String())
		addrs.APM = apm
		if tcp, ok := apm.(*net.TCPAddr); ok {
			a.mu.Lock()
			a.info.Config.ReceiverPort = tcp.Port
			a.mu.Unlock()
		}
		if ready != nil {
			ready(addrs)
		}
	})
}

// serveUnixHTTP serves the HTTP API on a Unix socket at path (a stale
// socket file is replaced) until the returned stop is called, which shuts the
// server down gracefully and removes the socket.
func (a *Agent) serveUnixHTTP(path string) (stop func() error, err error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, fmt.Errorf("listen on unix %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on unix %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o722); err != nil {
		ln.Close()
		return nil, fmt.Errorf("listen on unix %s: %w", path, err)
	}
	a.logger.Info("trace intake listening", "socket", path)
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), control.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("shut down unix %s: %w", path, err)
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve unix %s: %w", path, err)
		}
		return nil
	}, nil
}

// DefaultInfo advertises what the stub implements and nothing that would
// change a tracer's behaviour: the v0.4 and v0.5 trace endpoints, no
// client-side stats (/v0.6/stats) and so client_drop_p0s false (the tracer
// sends every trace), no v1.0 payload, no telemetry proxy, no remote config.
func DefaultInfo() Info {
	return Info{
		Version:                "7.60.0-devenv",
		Endpoints:              []string{"/v0.4/traces", "/v0.5/traces"},
		FeatureFlags:           []string{},
		EvpProxyAllowedHeaders: []string{},
		PeerTags:               []string{},
		FilterTags:             FilterTags{Require: []string{}, Reject: []string{}},
		FilterTagsRegex:        FilterTags{Require: []string{}, Reject: []string{}},
		IgnoreResources:        []string{},
		Config: InfoConfig{
			DefaultEnv:             "none",
			TargetTPS:              10,
			MaxEPS:                 200,
			ReceiverPort:           8126,
			MaxRequestBytes:        25 << 20,
			StatsdPort:             8125,
			AnalyzedSpansByService: map[string]map[string]float64{},
		},
	}
}

// apiError is the JSON body of an inspection API error.
type apiError struct {
	Error string `json:"error"`
}

func (a *Agent) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	control.Mount(e, "datadog", &a.faults, a.Reset)

	intake := e.Group("", a.faults.Middleware(func(c echo.Context, f control.Fault) error {
		msg := f.Message
		if msg == "" {
			msg = http.StatusText(f.Status)
		}
		return c.String(f.Status, msg+"\n")
	}))
	intake.GET("/info", func(c echo.Context) error {
		a.mu.Lock()
		info := a.info
		a.mu.Unlock()
		return c.JSON(http.StatusOK, info)
	})
	v04 := a.intakeTraces("/v0.4/traces", DecodeTracesV04)
	intake.POST("/v0.4/traces", v04)
	intake.PUT("/v0.4/traces", v04)
	v05 := a.intakeTraces("/v0.5/traces", DecodeTracesV05)
	intake.POST("/v0.5/traces", v05)
	intake.PUT("/v0.5/traces", v05)

	g := e.Group(control.Prefix)
	g.GET("/metrics", func(c echo.Context) error {
		q, err := ParseMetricQuery(c.QueryParams())
		if err != nil {
			return badQuery(c, err)
		}
		return c.JSON(http.StatusOK, a.Metrics(q))
	})
	g.GET("/events", func(c echo.Context) error {
		q, err := ParseEventQuery(c.QueryParams())
		if err != nil {
			return badQuery(c, err)
		}
		return c.JSON(http.StatusOK, a.Events(q))
	})
	g.GET("/service_checks", func(c echo.Context) error {
		q, err := ParseServiceCheckQuery(c.QueryParams())
		if err != nil {
			return badQuery(c, err)
		}
		return c.JSON(http.StatusOK, a.ServiceChecks(q))
	})
	g.GET("/spans", func(c echo.Context) error {
		q, err := ParseSpanQuery(c.QueryParams())
		if err != nil {
			return badQuery(c, err)
		}
		return c.JSON(http.StatusOK, a.Spans(q))
	})
	g.GET("/traces", func(c echo.Context) error {
		q, err := ParseSpanQuery(c.QueryParams())
		if err != nil {
			return badQuery(c, err)
		}
		return c.JSON(http.StatusOK, a.Traces(q))
	})
	g.GET("/payloads", func(c echo.Context) error {
		return c.JSON(http.StatusOK, nonNil(a.store.Payloads(nil)))
	})
	g.GET("/parse_errors", func(c echo.Context) error {
		return c.JSON(http.StatusOK, nonNil(a.store.ParseErrors(nil)))
	})
	g.GET("/counts", func(c echo.Context) error {
		return c.JSON(http.StatusOK, a.Counts())
	})
	g.GET("/info", func(c echo.Context) error {
		a.mu.Lock()
		info := a.info
		a.mu.Unlock()
		return c.JSON(http.StatusOK, info)
	})
	g.POST("/info", func(c echo.Context) error {
		var info Info
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&info); err != nil {
			return c.JSON(http.StatusBadRequest, apiError{Error: fmt.Sprintf("decode info: %v", err)})
		}
		a.mu.Lock()
		a.info = info
		a.mu.Unlock()
		return c.JSON(http.StatusOK, info)
	})
	return e
}

func badQuery(c echo.Context, err error) error {
	return c.JSON(http.StatusBadRequest, apiError{Error: "invalid query: " + err.Error()})
}

// nonNil makes an empty result encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Metrics answers q over the stored metrics.
func (a *Agent) Metrics(q MetricQuery) MetricsResult {
	return aggregateMetrics(a.store.Metrics(keepMetric(q, a.now())), !q.NoPoints)
}

// Events returns the stored events matching q, oldest first.
func (a *Agent) Events(q EventQuery) []Event { return nonNil(a.store.Events(keepEvent(q, a.now()))) }

// ServiceChecks returns the stored service checks matching q, oldest first.
func (a *Agent) ServiceChecks(q ServiceCheckQuery) []ServiceCheck {
	return nonNil(a.store.ServiceChecks(keepServiceCheck(q, a.now())))
}

// Spans returns the stored spans matching q, oldest first.
func (a *Agent) Spans(q SpanQuery) []Span { return nonNil(a.store.Spans(keepSpan(q, a.now()))) }

// Traces returns the stored spans matching q grouped by trace id.
func (a *Agent) Traces(q SpanQuery) []Trace { return nonNil(groupTraces(a.Spans(q))) }

// intakeTraces handles POST and PUT of one trace endpoint.
func (a *Agent) intakeTraces(endpoint string, decode func([]byte) ([][]Span, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		now := a.now()
		h := r.Header
		p := Payload{
			Endpoint:         endpoint,
			ContentType:      h.Get("Content-Type"),
			Lang:             h.Get("Datadog-Meta-Lang"),
			LangVersion:      h.Get("Datadog-Meta-Lang-Version"),
			LangInterpreter:  h.Get("Datadog-Meta-Lang-Interpreter"),
			TracerVersion:    h.Get("Datadog-Meta-Tracer-Version"),
			TraceCountHeader: h.Get("X-Datadog-Trace-Count"),
			ComputedTopLevel: h.Get("Datadog-Client-Computed-Top-Level"),
			ComputedStats:    h.Get("Datadog-Client-Computed-Stats"),
			DroppedP0Traces:  h.Get("Datadog-Client-Dropped-P0-Traces"),
			DroppedP0Spans:   h.Get("Datadog-Client-Dropped-P0-Spans"),
			ContainerID:      h.Get("Datadog-Container-ID"),
			EntityID:         h.Get("Datadog-Entity-ID"),
			Received:         now,
		}
		a.counters.payloads.Add(1)
		reject := func(status int, err error) error {
			p.Error = err.Error()
			a.counters.payloadErrors.Add(1)
			a.store.AddPayload(p)
			a.logger.Warn("trace payload rejected", "endpoint", endpoint, "lang", p.Lang, "bytes", p.Bytes, "status", status, "err", err)
			return c.String(status, err.Error()+"\n")
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, a.maxRequestBytes+1))
		p.Bytes = len(body)
		if err != nil {
			return reject(http.StatusBadRequest, fmt.Errorf("read %s body: %w", endpoint, err))
		}
		if int64(len(body)) > a.maxRequestBytes {
			return reject(http.StatusRequestEntityTooLarge, fmt.Errorf("%s body exceeds %d bytes (max_request_bytes)", endpoint, a.maxRequestBytes))
		}
		dec := decode
		if mt, _, _ := mime.ParseMediaType(p.ContentType); endpoint == "/v0.4/traces" && (mt == "application/json" || mt == "text/json") {
			dec = DecodeTracesJSON
		}
		traces, err := dec(body)
		if err != nil {
			return reject(http.StatusBadRequest, fmt.Errorf("%s: %w", endpoint, err))
		}
		var spans []Span
		rates := map[string]float64{"service:,env:": 1}
		for _, t := range traces {
			for _, s := range t {
				s.Endpoint, s.Received = endpoint, now
				spans = append(spans, s)
				rates["service:"+s.Service+",env:"+s.Meta["env"]] = 1
			}
		}
		p.Traces, p.Spans = len(traces), len(spans)
		p.NewSpans = a.store.AddSpans(spans)
		a.store.AddPayload(p)
		a.counters.spans.Add(uint64(p.Spans))
		a.counters.newSpans.Add(uint64(p.NewSpans))
		a.logger.Info("trace payload", "endpoint", endpoint, "lang", p.Lang, "tracer_version", p.TracerVersion,
			"traces", p.Traces, "spans", p.Spans, "new_spans", p.NewSpans, "trace_count_header", p.TraceCountHeader)
		return c.JSON(http.StatusOK, map[string]map[string]float64{"rate_by_service": rates})
	}
}
