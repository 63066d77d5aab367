// Package s3 is devenv's fake Amazon S3: an http.Handler (echo) over a
// [Store], wire-compatible with the AWS SDKs and fluent-plugin-s3.
//
// It serves buckets, objects, listings (v1, v2 and object versions: buckets
// are unversioned, every object its one null version), multipart uploads
// (completion idempotent), conditional writes and canned ACLs, in
// path-style and virtual-hosted-style addressing; accepts request bodies in
// every shape the SDKs send (plain with Content-MD5 or x-amz-checksum-*,
// aws-chunked signed or unsigned with trailers) and verifies their checksums;
// answers errors as S3 XML with S3's codes; answers CORS for any origin; and
// verifies SigV4 and SigV2 signatures (header and presigned) when
// credentials are configured.
//
// Under [control.Prefix] it adds the shared health, reset and fault
// endpoints, plus its own inspection API (objects, object content, request
// log, counts) that package fakeclient reads without linking this one.
package s3

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devenv-sh/devenv/fakes/control"
	"github.com/labstack/echo/v4"
)

// DefaultMaxObjectSize is S3's limit for a single PutObject or UploadPart:
// 5 GiB.
const DefaultMaxObjectSize = 5 << 30

// Server is the fake S3. Create it with [New]; serve [Server.Handler].
type Server struct {
	store  Store
	faults control.Faults
	echo   *echo.Echo

	clock         func() time.Time  // WithClock
	random        io.Reader         // WithRandom
	log           *slog.Logger      // WithLogger
	credentials   map[string]string // WithCredentials: access key → secret key
	owners        map[string]owner  // WithCredentials: access key → its owner
	domains       []string          // WithDomains, longest first
	region        string            // WithRegion
	maxObjectSize int64             // WithMaxObjectSize
	requests      *requestLog       // WithRequestLogSize
	idMu          sync.Mutex
	idSeed        [8]byte       // random, read once
	requestCount  atomic.Uint64 // numbers requests for their IDs
	changeMu      sync.Mutex
	changed       chan struct{} // closed and replaced on every stored change
	closing       chan struct{} // closed by Close
	closeOnce     sync.Once
	dispatch      map[string]handler
	completions   completions // the latest completed multipart uploads
}

// Option configures a [Server].
type Option func(*Server)

// WithClock sets the clock used for Last-Modified, signature expiry and the
// request log. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// WithRandom sets the source of request IDs and upload IDs; it must be safe
// for concurrent use. The default is crypto/rand.
func WithRandom(r io.Reader) Option { return func(s *Server) { s.random = r } }

// WithLogger sets the logger that gets one line per request. The default
// discards.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithCredentials adds an access key and its secret. Once any credentials
// are configured, every request must carry a valid SigV4 signature (header or
// presigned) by one of them, or be one the canned ACLs open to anyone; with
// none, any signature or none is accepted. Each access key is an owner of
// its own: the first added is the fake's owner, who also owns the buckets
// made without credentials; the others are owners whose ID is the SHA-256
// of the access key, in hex, and whose display name is the access key.
func WithCredentials(accessKey, secretKey string) Option {
	return func(s *Server) {
		if s.credentials == nil {
			s.credentials = make(map[string]string)
			s.owners = make(map[string]owner)
		}
		if _, ok := s.owners[accessKey]; !ok {
			o := fakeOwner
			if len(s.owners) > 0 {
				sum := sha256.Sum256([]byte(accessKey))
				o = owner{ID: hex.EncodeToString(sum[:]), DisplayName: accessKey}
			}
			s.owners[accessKey] = o
		}
		s.credentials[accessKey] = secretKey
	}
}

// WithDomains sets the base domains for virtual-hosted-style addressing: a
// request whose Host (without port) is "<bucket>.<domain>" addresses that
// bucket; any other host is path-style. The default is "s3.localhost" and
// "localhost".
func WithDomains(domains ...string) Option {
	return func(s *Server) { s.domains = domains }
}

// WithRegion sets the region the fake reports for its buckets. The default
// is us-east-1.
func WithRegion(region string) Option { return func(s *Server) { s.region = region } }

// WithMaxObjectSize sets the largest body accepted by PutObject and
// UploadPart; larger ones get EntityTooLarge. The default is
// [DefaultMaxObjectSize].
func WithMaxObjectSize(n int64) Option { return func(s *Server) { s.maxObjectSize = n } }

// WithRequestLogSize sets how many requests the inspection API remembers.
// The default is 1000.
func WithRequestLogSize(n int) Option {
	return func(s *Server) { s.requests = newRequestLog(n) }
}

// New returns a fake S3 over store.
func New(store Store, opts ...Option) *Server {
	s := &Server{store: store}
	for _, o := range opts {
		o(s)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.random == nil {
		s.random = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.domains == nil {
		s.domains = []string{"s3.localhost", "localhost"}
	}
	s.domains = slices.Clone(s.domains)
	for i, d := range s.domains {
		s.domains[i] = strings.ToLower(strings.Trim(d, "."))
	}
	slices.SortFunc(s.domains, func(a, b string) int { return len(b) - len(a) })
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.maxObjectSize <= 0 {
		s.maxObjectSize = DefaultMaxObjectSize
	}
	if s.requests == nil {
		s.requests = newRequestLog(1000)
	}
	copy(s.idSeed[:], s.newID(len(s.idSeed)))
	s.changed = make(chan struct{})
	s.closing = make(chan struct{})
	s.dispatch = s.handlers()
	s.echo = s.routes()
	return s
}

// Handler returns the HTTP handler serving S3 and the /_devenv API.
func (s *Server) Handler() http.Handler { return s.echo }

// Close releases the requests blocked in /_devenv/wait (they answer 503),
// so that a graceful shutdown need not wait for their timeouts. The server
// keeps answering everything else. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
}

// Reset forgets every bucket, object and upload, the request log and the
// counts.
func (s *Server) Reset(ctx context.Context) error {
	s.requests.reset()
	s.completions.reset()
	return s.store.Reset(ctx)
}

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = renderControlError
	e.Pre(s.hostStyle)
	e.Use(s.track)
	e.Use(s.faults.Middleware(s.renderFault))
	control.Mount(e, "s3", &s.faults, func() error { return s.Reset(context.Background()) })
	s.mountInspection(e)
	e.Any("/*", s.serve)
	e.Any("/", s.serve)
	return e
}

// renderControlError answers errors of the /_devenv API as JSON.
func renderControlError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, err.Error()
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	}
	_ = c.JSON(status, map[string]string{"error": msg})
}

// hostStyle turns a virtual-hosted-style request into a path-style one
// before routing (so a key can never reach /_devenv), remembering the path as
// sent for signature checks.
func (s *Server) hostStyle(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		st := &request{path: r.URL.Path, rawPath: r.URL.EscapedPath()}
		if b := s.hostBucket(r.Host); b != "" {
			st.virtualHost = true
			r.URL.Path = "/" + b + r.URL.Path
			r.URL.RawPath = ""
		}
		if st.virtualHost || !strings.HasPrefix(r.URL.Path, control.Prefix+"/") {
			c.Set("s3", st)
		}
		return next(c)
	}
}

// hostBucket returns the bucket named by a virtual-hosted-style Host, or "".
func (s *Server) hostBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	if slices.Contains(s.domains, host) {
		return ""
	}
	for _, d := range s.domains {
		if b, ok := strings.CutSuffix(host, "."+d); ok && b != "" {
			return b
		}
	}
	return ""
}

// newID returns n random bytes from the configured source.
func (s *Server) newID(n int) []byte {
	b := make([]byte, n)
	s.idMu.Lock()
	_, err := io.ReadFull(s.random, b)
	s.idMu.Unlock()
	if err != nil {
		// A failing random source must not fail requests; IDs only need to
		// differ, which the clock's nanoseconds give well enough.
		t := s.clock().UnixNano()
		for i := range b {
			b[i] = byte(t >> (8 * (i % 8)))
		}
	}
	return b
}

// track parses each S3 request, sets the headers S3 puts on every response,
// renders errors as S3 XML, and records the request.
func (s *Server) track(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		st, ok := c.Get("s3").(*request)
		if !ok {
			return next(c)
		}
		st.start = s.clock()
		// Request IDs only need to be unique: a per-server random seed
		// plus a counter, with no random read per request.
		var id [16]byte
		copy(id[:8], s.idSeed[:])
		binary.BigEndian.PutUint64(id[8:], binary.BigEndian.Uint64(s.idSeed[:])+s.requestCount.Add(1))
		st.id = strings.ToUpper(hex.EncodeToString(id[8:]))
		h := c.Response().Header()
		h["X-Amz-Request-Id"] = []string{st.id}
		h["X-Amz-Id-2"] = []string{base64.StdEncoding.EncodeToString(id[:])}
		h["Server"] = []string{"AmazonS3"}
		corsHeaders(c.Request(), h)
		if err := st.parse(c.Request()); err != nil {
			s.renderError(c, st, err)
		} else if err := next(c); err != nil {
			s.renderError(c, st, err)
		}
		s.record(c, st)
		return nil
	}
}

// serve authenticates and dispatches one S3 request.
func (s *Server) serve(c echo.Context) error {
	st := c.Get("s3").(*request)
	if st.op == opCORSPreflight {
		return s.preflight(c, st) // a preflight carries no credentials
	}
	if err := s.authenticate(c.Request(), st); err != nil {
		return err
	}
	if err := s.authorizeOwner(c.Request(), st); err != nil {
		return err
	}
	h, ok := s.dispatch[st.op]
	if !ok {
		return errorf(ErrNotImplemented, "%s is not implemented by devenv's fake S3.", st.op)
	}
	return h(c, st)
}

type handler func(c echo.Context, st *request) error

func (s *Server) handlers() map[string]handler {
	return map[string]handler{
		opListBuckets:             s.listBuckets,
		opCreateBucket:            s.createBucket,
		opHeadBucket:              s.headBucket,
		opDeleteBucket:            s.deleteBucket,
		opGetBucketLocation:       s.getBucketLocation,
		opGetBucketACL:            s.getBucketACL,
		opPutBucketACL:            s.putBucketACL,
		opGetObjectACL:            s.getObjectACL,
		opPutObjectACL:            s.putObjectACL,
		opGetBucketVersioning:     s.getBucketVersioning,
		opPutBucketVersioning:     s.putBucketVersioning,
		opListObjectVersions:      s.listObjectVersions,
		opListObjects:             s.listObjects,
		opListObjectsV2:           s.listObjects,
		opListMultipartUploads:    s.listUploads,
		opDeleteObjects:           s.deleteObjects,
		opPutObject:               s.putObject,
		opCopyObject:              s.copyObject,
		opGetObject:               s.getObject,
		opHeadObject:              s.getObject,
		opDeleteObject:            s.deleteObject,
		opCreateMultipartUpload:   s.createUpload,
		opUploadPart:              s.uploadPart,
		opUploadPartCopy:          s.uploadPartCopy,
		opCompleteMultipartUpload: s.completeUpload,
		opAbortMultipartUpload:    s.abortUpload,
		opListParts:               s.listParts,
	}
}
