package s3

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devenv-sh/devenv/fakes/control"
	"github.com/labstack/echo/v4"
)

// requestLog keeps the latest requests and counts per operation.
type requestLog struct {
	mu     sync.Mutex
	size   int
	ring   []RequestRecord
	next   int
	counts map[string]int
}

func newRequestLog(size int) *requestLog {
	return &requestLog{size: max(size, 1), counts: make(map[string]int)}
}

func (l *requestLog) add(r RequestRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[r.Op]++
	if len(l.ring) < l.size {
		l.ring = append(l.ring, r)
		return
	}
	l.ring[l.next] = r
	l.next = (l.next + 1) % l.size
}

// records returns the remembered requests, oldest first.
func (l *requestLog) records() []RequestRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]RequestRecord, 0, len(l.ring))
	out = append(out, l.ring[l.next:]...)
	return append(out, l.ring[:l.next]...)
}

func (l *requestLog) countsCopy() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.counts))
	for k, v := range l.counts {
		out[k] = v
	}
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring, l.next, l.counts = nil, 0, make(map[string]int)
}

// record logs a finished request.
func (s *Server) record(c echo.Context, st *request) {
	r := c.Request()
	rec := RequestRecord{
		Time: st.start, ID: st.id, Op: st.op, Method: r.Method, Path: st.rawPath, Query: r.URL.RawQuery,
		Host: r.Host, Addressing: "path", Bucket: st.bucket, Key: st.key,
		Status: c.Response().Status, Code: string(st.errCode), Injected: st.injected,
		Auth: st.auth.scheme, AccessKey: st.auth.accessKey, SignatureVerified: st.auth.verified,
		BodyMode: st.bodyMode, Integrity: st.checksum, BodyBytes: st.received,
		UserAgent: r.UserAgent(), Duration: s.clock().Sub(st.start),
	}
	if st.virtualHost {
		rec.Addressing = "virtual-host"
	}
	if rec.Op == "" {
		rec.Op = "Unknown"
	}
	s.requests.add(rec)
	if rec.Status < 300 && writeOps[rec.Op] {
		s.notifyChange()
	}
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	s.log.Info("s3 request", "op", rec.Op, "bucket", rec.Bucket, "key", rec.Key, "status", rec.Status,
		"code", rec.Code, "body_mode", rec.BodyMode, "integrity", rec.Integrity, "bytes", rec.BodyBytes,
		"auth", rec.Auth, "ua", rec.UserAgent)
}

// writeOps are the operations that change what is stored.
var writeOps = map[string]bool{
	opCreateBucket: true, opDeleteBucket: true, opPutObject: true, opCopyObject: true,
	opDeleteObject: true, opDeleteObjects: true, opCompleteMultipartUpload: true,
}

// notifyChange wakes the requests waiting in /_devenv/wait.
func (s *Server) notifyChange() {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

// changes returns a channel closed at the next stored change.
func (s *Server) changes() <-chan struct{} {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	return s.changed
}

// maxWait bounds the timeout of /_devenv/wait.
const maxWait = 5 * time.Minute

// inspectWait answers once bucket holds at least count objects under
// prefix (200 with them), or after timeout (408 with how many there were).
// A missing bucket counts as empty: fluentd may not have created it yet.
func (s *Server) inspectWait(c echo.Context) error {
	bucket, prefix := c.QueryParam("bucket"), c.QueryParam("prefix")
	count, err := strconv.Atoi(c.QueryParam("count"))
	if err != nil || count < 1 {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("count: want a positive integer, got %q", c.QueryParam("count")))
	}
	timeout := 30 * time.Second
	if v := c.QueryParam("timeout"); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil || timeout <= 0 || timeout > maxWait {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("timeout: want a duration up to %s such as 10s, got %q", maxWait, v))
		}
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
	defer cancel()
	for {
		changed := s.changes()
		var objs []ObjectRecord
		err := s.store.ListObjects(ctx, bucket, prefix, "", func(o ObjectInfo) bool {
			objs = append(objs, ObjectRecord{Bucket: bucket, ObjectInfo: o})
			return true
		})
		if err != nil && !errors.Is(err, ErrNoSuchBucket) {
			return err
		}
		if len(objs) >= count {
			return c.JSON(http.StatusOK, objs)
		}
		select {
		case <-changed:
		case <-s.closing:
			return echo.NewHTTPError(http.StatusServiceUnavailable, "the fake is shutting down")
		case <-ctx.Done():
			return echo.NewHTTPError(http.StatusRequestTimeout,
				fmt.Sprintf("waited %s for %d objects under %s/%s; there are %d", timeout, count, bucket, prefix, len(objs)))
		}
	}
}

// renderFault answers an injected fault as S3 XML. A fault without a code
// gets the code S3 uses for its status (503 SlowDown, 500 InternalError, ...).
func (s *Server) renderFault(c echo.Context, f control.Fault) error {
	st, _ := c.Get("s3").(*request)
	if st == nil {
		st = &request{}
	}
	st.injected = true
	code := ErrorCode(f.Code)
	if code == "" {
		code = codeForStatus(f.Status)
	}
	msg := f.Message
	if msg == "" {
		msg = code.Message()
	}
	s.renderError(c, st, &Error{Code: code, Message: msg, status: f.Status})
	return nil
}

func codeForStatus(status int) ErrorCode {
	switch status {
	case http.StatusServiceUnavailable:
		return ErrSlowDown
	case http.StatusForbidden:
		return ErrAccessDenied
	case http.StatusNotFound:
		return ErrNoSuchKey
	case http.StatusNotImplemented:
		return ErrNotImplemented
	}
	if status >= 500 {
		return ErrInternalError
	}
	return ErrInvalidRequest
}

// ObjectRecord is one stored object as the inspection API lists it: its
// JSON is that of fakeclient.S3Object, which has the fields of ObjectInfo
// and Bucket (a Store's ObjectInfo carries no bucket, so the two are
// separate types).
type ObjectRecord struct {
	Bucket string `json:"bucket"`
	ObjectInfo
}

// mountInspection registers the S3 inspection endpoints under
// control.Prefix:
//
//	GET /_devenv/buckets                         → [BucketInfo...]
//	GET /_devenv/objects?bucket=&prefix=         → [ObjectRecord...] (every bucket when bucket is empty)
//	GET /_devenv/object?bucket=&key=&decompress= → the object's bytes; gunzipped when decompress=1,
//	                                               or by default when the key ends in .gz or the object is gzip-encoded
//	GET /_devenv/wait?bucket=&prefix=&count=&timeout=
//	                                             → [ObjectRecord...] once at least count objects exist
//	                                               (408 after timeout, default 30s)
//	GET /_devenv/requests?op=&bucket=            → [RequestRecord...], oldest first
//	GET /_devenv/counts                          → {"PutObject": 3, ...}
func (s *Server) mountInspection(e *echo.Echo) {
	g := e.Group(control.Prefix)
	g.GET("/buckets", func(c echo.Context) error {
		bs, err := s.store.ListBuckets(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, bs)
	})
	g.GET("/objects", s.inspectObjects)
	g.GET("/object", s.inspectObject)
	g.GET("/wait", s.inspectWait)
	g.GET("/requests", func(c echo.Context) error {
		op, bucket := c.QueryParam("op"), c.QueryParam("bucket")
		out := []RequestRecord{}
		for _, r := range s.requests.records() {
			if (op == "" || r.Op == op) && (bucket == "" || r.Bucket == bucket) {
				out = append(out, r)
			}
		}
		return c.JSON(http.StatusOK, out)
	})
	g.GET("/counts", func(c echo.Context) error {
		return c.JSON(http.StatusOK, s.requests.countsCopy())
	})
}

func (s *Server) inspectObjects(c echo.Context) error {
	ctx := c.Request().Context()
	bucket, prefix := c.QueryParam("bucket"), c.QueryParam("prefix")
	var buckets []string
	if bucket != "" {
		buckets = []string{bucket}
	} else {
		bs, err := s.store.ListBuckets(ctx)
		if err != nil {
			return err
		}
		for _, b := range bs {
			buckets = append(buckets, b.Name)
		}
	}
	out := []ObjectRecord{}
	for _, b := range buckets {
		err := s.store.ListObjects(ctx, b, prefix, "", func(o ObjectInfo) bool {
			out = append(out, ObjectRecord{Bucket: b, ObjectInfo: o})
			return true
		})
		if errors.Is(err, ErrNoSuchBucket) {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("bucket %q does not exist", b))
		}
		if err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) inspectObject(c echo.Context) error {
	bucket, key := c.QueryParam("bucket"), c.QueryParam("key")
	info, rd, err := s.store.GetObject(c.Request().Context(), bucket, key)
	switch {
	case errors.Is(err, ErrNoSuchBucket):
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("bucket %q does not exist", bucket))
	case errors.Is(err, ErrNoSuchKey):
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("object %q does not exist in bucket %q", key, bucket))
	case err != nil:
		return err
	}
	defer rd.Close()
	decompress := strings.HasSuffix(key, ".gz") || strings.Contains(info.ContentEncoding, "gzip")
	if v := c.QueryParam("decompress"); v != "" {
		if decompress, err = strconv.ParseBool(v); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("decompress: want true or false, got %q", v))
		}
	}
	if decompress {
		var magic [2]byte
		n, _ := io.ReadFull(rd, magic[:])
		decompress = n == 2 && magic == [2]byte{0x1f, 0x8b}
		if _, err := rd.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("read object %s/%s: %w", bucket, key, err)
		}
	}
	h := c.Response().Header()
	h.Set("ETag", info.ETag)
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "application/octet-stream")
	var content io.Reader = rd
	if decompress {
		// The object is read twice, never held: once to check that it
		// gunzips (a corrupt one is a 422, not a cut 200), then to send it.
		zr, err := gzip.NewReader(rd)
		if err == nil {
			_, err = io.Copy(io.Discard, zr)
		}
		if err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, fmt.Sprintf("gunzip object %s/%s: %v", bucket, key, err))
		}
		if _, err := rd.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("read object %s/%s: %w", bucket, key, err)
		}
		if err := zr.Reset(rd); err != nil {
			return fmt.Errorf("read object %s/%s: %w", bucket, key, err)
		}
		content = zr
		h.Set("X-Devenv-Decompressed", "gzip")
	} else {
		h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	}
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.Copy(c.Response(), content); err != nil {
		s.log.Warn("s3 inspect object: response cut short", "bucket", bucket, "key", key, "err", err)
	}
	return nil
}
