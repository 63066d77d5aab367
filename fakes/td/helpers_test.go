package td

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

// fixedNow is the clock of every test server.
var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func newTestServer(t *testing.T, store Store, opts ...Option) (*httptest.Server, *Server) {
	t.Helper()
	if store == nil {
		store = NewMemStore()
	}
	s := New(store, append([]Option{WithClock(func() time.Time { return fixedNow })}, opts...)...)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s
}

// testClient drives the fake as fluent-plugin-td does (the embedded
// fakeclient.TDAPI) and reads back what it stored as a user's test does
// (the embedded fakeclient.TD, which mirrors the inspection API's JSON).
type testClient struct {
	baseURL string
	*fakeclient.TDAPI
	*fakeclient.TD
}

func newTestClient(url, apiKey string, opts ...fakeclient.Option) testClient {
	return testClient{baseURL: url, TDAPI: fakeclient.NewTDAPI(url, apiKey, opts...), TD: fakeclient.NewTD(url)}
}

// rubyPacker writes msgpack as msgpack-ruby does for fluentd records: the
// smallest encoding of each integer, str types for strings.
type rubyPacker struct{ bytes.Buffer }

func (p *rubyPacker) mapHeader(n int) {
	switch {
	case n < 16:
		p.WriteByte(0x80 | byte(n))
	default:
		p.WriteByte(0xde)
		p.Write(binary.BigEndian.AppendUint16(nil, uint16(n)))
	}
}

func (p *rubyPacker) str(s string) {
	switch {
	case len(s) < 32:
		p.WriteByte(0xa0 | byte(len(s)))
	case len(s) < 256:
		p.WriteByte(0xd9)
		p.WriteByte(byte(len(s)))
	default:
		p.WriteByte(0xda)
		p.Write(binary.BigEndian.AppendUint16(nil, uint16(len(s))))
	}
	p.WriteString(s)
}

func (p *rubyPacker) uint(v uint64) {
	switch {
	case v < 128:
		p.WriteByte(byte(v))
	case v < 256:
		p.WriteByte(0xcc)
		p.WriteByte(byte(v))
	case v < 65536:
		p.WriteByte(0xcd)
		p.Write(binary.BigEndian.AppendUint16(nil, uint16(v)))
	case v < 1<<32:
		p.WriteByte(0xce)
		p.Write(binary.BigEndian.AppendUint32(nil, uint32(v)))
	default:
		p.WriteByte(0xcf)
		p.Write(binary.BigEndian.AppendUint64(nil, v))
	}
}

// fluentdRecord packs one record as fluent-plugin-td's format method does:
// the event's fields, then "time" set to the event time as an integer.
func (p *rubyPacker) fluentdRecord(t int64, fields ...string) {
	p.mapHeader(len(fields)/2 + 1)
	for i := 0; i+1 < len(fields); i += 2 {
		p.str(fields[i])
		p.str(fields[i+1])
	}
	p.str("time")
	p.uint(uint64(t))
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	assert.NilError(t, err)
	assert.NilError(t, zw.Close())
	return buf.Bytes()
}

// fluentdChunk is the gzip'd body fluent-plugin-td uploads for n events of
// an access log.
func fluentdChunk(t testing.TB, n int) []byte {
	t.Helper()
	var p rubyPacker
	for i := range n {
		p.fluentdRecord(1700000000+int64(i), "message", "GET /recipes", "host", "api-1", "seq", string(rune('a'+i%26)))
	}
	return gzipBytes(t, p.Bytes())
}

// tdRequest sends a request exactly as td-client-ruby does: Authorization,
// Date (RFC 2822) and User-Agent on every call; PUT with an octet-stream
// body; POST form-encoded with Accept-Encoding gzip.
func tdRequest(t *testing.T, method, url, apikey string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	assert.NilError(t, err)
	if apikey != "" {
		req.Header.Set("Authorization", "TD1 "+apikey)
	}
	req.Header.Set("Date", fixedNow.Format(time.RFC1123Z))
	req.Header.Set("User-Agent", "fluent-plugin-td: 1.2.1; TD-Client-Ruby: 1.0.8")
	switch method {
	case http.MethodPut:
		req.Header.Set("Content-Type", "application/octet-stream")
	case http.MethodPost:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Encoding", "gzip")
	case http.MethodGet:
		req.Header.Set("Accept-Encoding", "deflate, gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	assert.Equal(t, resp.Header.Get("Content-Type"), "application/json", "body: %s", raw)
	var js map[string]any
	assert.NilError(t, json.Unmarshal(raw, &js), "body: %s", raw)
	return resp.StatusCode, js
}

func jsonNumber(s string) json.Number { return json.Number(s) }

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	assert.NilError(t, err)
	out, err := io.ReadAll(zr)
	assert.NilError(t, err)
	return out
}
