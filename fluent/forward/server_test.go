package forward

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"
	"github.com/devenv-sh/devenv/internal/testsupport"

	"github.com/fluent/fluent-logger-golang/fluent"
	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/assert/cmp"
)

type recorded struct {
	Tag    string
	Mode   Mode
	Events []Event
}

// recorder is a Handler keeping every frame; failTag makes Emit fail.
type recorder struct {
	mu      sync.Mutex
	frames  []recorded
	commits int
	failTag string
}

func (r *recorder) NewSession(net.Addr) Session { return r }

func (r *recorder) Emit(_ context.Context, f *Frame) error {
	if f.Tag == r.failTag {
		return errors.New("emit failed")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, recorded{Tag: f.Tag, Mode: f.Mode, Events: append([]Event(nil), f.Events...)})
	return nil
}

func (r *recorder) Commit(context.Context, bool) error {
	r.mu.Lock()
	r.commits++
	r.mu.Unlock()
	return nil
}

func (r *recorder) events() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, f := range r.frames {
		n += len(f.Events)
	}
	return n
}

func (r *recorder) snapshot() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.frames...)
}

func startServer(t *testing.T, h Handler, opts ...Option) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	s := NewServer(h, opts...)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		assert.NilError(t, <-done)
	})
	return s, ln.Addr().String()
}

func loggerConfig(t *testing.T, addr string) fluent.Config {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	assert.NilError(t, err)
	var p int
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	return fluent.Config{FluentHost: host, FluentPort: p, Timeout: 3 * time.Second}
}

func TestFluentLoggerGolang(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*fluent.Config)
		wantSub bool
	}{
		{name: "sync", mutate: func(*fluent.Config) {}},
		{name: "request-ack", mutate: func(c *fluent.Config) { c.RequestAck = true }},
		{name: "async", mutate: func(c *fluent.Config) { c.Async = true }},
		{name: "async-ack", mutate: func(c *fluent.Config) { c.Async = true; c.RequestAck = true }},
		{name: "sub-second", mutate: func(c *fluent.Config) { c.SubSecondPrecision = true }, wantSub: true},
		{name: "json", mutate: func(c *fluent.Config) { c.MarshalAsJSON = true }},
		{name: "json-ack", mutate: func(c *fluent.Config) { c.MarshalAsJSON = true; c.RequestAck = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			srv, addr := startServer(t, rec, WithAcceptEventTime(tc.wantSub))
			cfg := loggerConfig(t, addr)
			tc.mutate(&cfg)
			logger, err := fluent.New(cfg)
			assert.NilError(t, err)
			at := time.Unix(1704164645, 123456789)
			for i := range 50 {
				err := logger.PostWithTime("docker.delish", at, map[string]any{"log": "line", "n": i, "nested": map[string]any{"a": []string{"x"}}})
				assert.NilError(t, err)
			}
			assert.NilError(t, logger.Close())
			testsupport.Until(t, 10*time.Second, "50 events", func() bool { return rec.events() == 50 })
			frames := rec.snapshot()
			ev := frames[0].Events[0]
			if cfg.MarshalAsJSON {
				// JSON numbers: the record's integers stay integers.
				v, _ := ev.Record.Get("n")
				assert.Equal(t, v, int64(0))
			}
			assert.Equal(t, frames[0].Tag, "docker.delish")
			assert.Equal(t, frames[0].Mode, ModeMessage)
			v, _ := ev.Record.Get("log")
			assert.Equal(t, v, "line")
			v, _ = ev.Record.Get("nested")
			assert.DeepEqual(t, v, record.Record{{Key: "a", Value: []any{"x"}}})
			if tc.wantSub {
				assert.Equal(t, ev.Time, Time{Sec: 1704164645, Nsec: 123456789})
				assert.Equal(t, srv.Stats().EventTimes, int64(50))
			} else {
				assert.Equal(t, ev.Time, Time{Sec: 1704164645})
			}
			if cfg.RequestAck {
				// The client has every ack; the server counts each just after writing it.
				testsupport.Until(t, 10*time.Second, "50 acks counted", func() bool { return srv.Stats().Acks == 50 })
				assert.Equal(t, srv.Stats().Acks, int64(50))
			} else {
				assert.Equal(t, srv.Stats().Acks, int64(0))
			}
		})
	}
}

func encode(t testing.TB, vs ...any) []byte {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	for _, v := range vs {
		assert.NilError(t, enc.Encode(v))
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	assert.NilError(t, err)
	assert.NilError(t, zw.Close())
	return buf.Bytes()
}

func eventTime(sec, nsec uint32) msgpack.RawMessage {
	return msgpack.RawMessage{0xd7, 0x00, byte(sec >> 24), byte(sec >> 16), byte(sec >> 8), byte(sec), byte(nsec >> 24), byte(nsec >> 16), byte(nsec >> 8), byte(nsec)}
}

// TestModes: every event mode as fluentd v1 reads it (WithAcceptEventTime);
// TestEventTimeV012 has what the default, v0.12, makes of the same bytes.
func TestModes(t *testing.T) {
	rec := map[string]any{"k": "v"}
	entries := encode(t, []any{1, rec}, []any{eventTime(2, 5), rec})
	for _, tc := range []struct {
		name  string
		frame []byte
		mode  Mode
		times []Time
		ack   string
	}{
		{"message", encode(t, []any{"t", 1, rec}), ModeMessage, []Time{{Sec: 1, Nsec: 0}}, ""},
		{"message-float", encode(t, []any{"t", 1.5, rec, map[string]any{}}), ModeMessage, []Time{{Sec: 1, Nsec: 5e8, IsFloat: true, Float: 1.5}}, ""},
		{"message-eventtime", encode(t, []any{"t", eventTime(3, 7), rec, map[string]any{"chunk": "abc"}}), ModeMessage, []Time{{Sec: 3, Nsec: 7}}, "abc"},
		{"forward", encode(t, []any{"t", []any{[]any{1, rec}, []any{eventTime(2, 5), rec}}, map[string]any{"chunk": "c1"}}), ModeForward, []Time{{Sec: 1, Nsec: 0}, {Sec: 2, Nsec: 5}}, "c1"},
		{"packed-str", encode(t, []any{"t", string(entries)}), ModePackedForward, []Time{{Sec: 1, Nsec: 0}, {Sec: 2, Nsec: 5}}, ""},
		{"packed-bin", encode(t, []any{"t", entries, map[string]any{"size": 2}}), ModePackedForward, []Time{{Sec: 1, Nsec: 0}, {Sec: 2, Nsec: 5}}, ""},
		{"compressed", encode(t, []any{"t", append(gz(t, entries[:3]), gz(t, entries[3:])...), map[string]any{"compressed": "gzip", "chunk": "z"}}), ModeCompressedPackedForward, []Time{{Sec: 1, Nsec: 0}, {Sec: 2, Nsec: 5}}, "z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			srv, addr := startServer(t, r, WithAcceptEventTime(true))
			c, err := net.Dial("tcp", addr)
			assert.NilError(t, err)
			defer c.Close()
			// A heartbeat (nil) first: it must be ignored.
			_, err = c.Write(append([]byte{0xc0}, tc.frame...))
			assert.NilError(t, err)
			if tc.ack != "" {
				var resp map[string]string
				assert.NilError(t, msgpack.NewDecoder(c).Decode(&resp))
				assert.DeepEqual(t, resp, map[string]string{"ack": tc.ack})
			}
			testsupport.Until(t, 10*time.Second, "frame", func() bool { return r.events() == len(tc.times) })
			f := r.snapshot()[0]
			assert.Equal(t, f.Mode, tc.mode)
			for i, ev := range f.Events {
				assert.Equal(t, ev.Time, tc.times[i])
				assert.DeepEqual(t, ev.Record, record.Record{{Key: "k", Value: "v"}})
			}
			assert.Equal(t, srv.Stats().DecodeErrors, int64(0))
		})
	}
}

func TestRecordOrderAndTypes(t *testing.T) {
	// msgpack with keys in a non-sorted order, a repeated key, and every
	// integer width.
	raw := []byte{0x94, 0xa1, 't', 0x01,
		0x85,
		0xa1, 'z', 0xcc, 0xff, // uint8 255
		0xa1, 'a', 0xd0, 0x80, // int8 -128
		0xa1, 'z', 0xcd, 0x01, 0x00, // repeated key: uint16 256
		0xa1, 'f', 0xca, 0x3f, 0xc0, 0x00, 0x00, // float32 1.5
		0xa1, 'b', 0xc4, 0x01, 'x', // bin
		0x80}
	dec := NewDecoder(bytes.NewReader(raw), nil)
	var f Frame
	assert.NilError(t, dec.Decode(&f))
	assert.DeepEqual(t, f.Events[0].Record, record.Record{
		{Key: "z", Value: int64(256)}, {Key: "a", Value: int64(-128)}, {Key: "f", Value: 1.5}, {Key: "b", Value: "x"},
	})
}

func TestMessageTimeZeroIsNow(t *testing.T) {
	dec := NewDecoder(bytes.NewReader(encode(t, []any{"t", 0, map[string]any{}})), func() Time { return Time{Sec: 99} })
	var f Frame
	assert.NilError(t, dec.Decode(&f))
	assert.Equal(t, f.Events[0].Time, Time{Sec: 99})
	assert.Equal(t, dec.Decode(&f), io.EOF)
}

// TestBadInputClosesConnection: malformed msgpack, a wrong-mode frame or a
// failing Emit closes that connection only; the server keeps serving and
// counts the error.
func TestBadInputClosesConnection(t *testing.T) {
	r := &recorder{failTag: "boom"}
	srv, addr := startServer(t, r)
	for _, bad := range [][]byte{
		{0xc1},                            // never-used msgpack code
		encode(t, []any{"t", 1, 2}),       // record an Integer
		encode(t, []any{"t", []any{nil}}), // entry nil: nil[1]
		encode(t, []any{"t", "\x91\x01", map[string]any{}}),                                             // packed entry without a record
		encode(t, []any{"t", msgpack.RawMessage{0xd7, 0x05, 0, 0, 0, 0, 0, 0, 0, 0}, map[string]any{}}), // ext type
		encode(t, []any{1, 1, map[string]any{}}),                                                        // tag not a string
		encode(t, []any{"t", 1, map[any]any{true: 1}}),                                                  // key neither string nor integer
	} {
		c, err := net.Dial("tcp", addr)
		assert.NilError(t, err)
		_, err = c.Write(bad)
		assert.NilError(t, err)
		assert.NilError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = c.Read(make([]byte, 1))
		assert.Assert(t, cmp.ErrorIs(err, io.EOF), "input %x", bad)
		c.Close()
	}
	c, err := net.Dial("tcp", addr)
	assert.NilError(t, err)
	_, err = c.Write(encode(t, []any{"boom", 1, map[string]any{}}, []any{"ok", 1, map[string]any{}}))
	assert.NilError(t, err)
	_, err = c.Read(make([]byte, 1))
	assert.Assert(t, cmp.ErrorIs(err, io.EOF))
	c.Close()

	// Still serving.
	c, err = net.Dial("tcp", addr)
	assert.NilError(t, err)
	_, err = c.Write(encode(t, []any{"ok", 1, map[string]any{"a": 1}}))
	assert.NilError(t, err)
	c.Close()
	testsupport.Until(t, 10*time.Second, "good frame", func() bool { return r.events() == 1 })
	st := srv.Stats()
	assert.Equal(t, st.DecodeErrors, int64(7))
	assert.Equal(t, st.EmitErrors, int64(1))
}

func TestUDPHeartbeat(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	assert.NilError(t, err)
	s := NewServer(&recorder{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.ServeUDP(ctx, pc) }()
	defer func() { cancel(); assert.NilError(t, <-done) }()
	c, err := net.Dial("udp", pc.LocalAddr().String())
	assert.NilError(t, err)
	defer c.Close()
	_, err = c.Write([]byte{0})
	assert.NilError(t, err)
	assert.NilError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 8)
	n, err := c.Read(buf)
	assert.NilError(t, err)
	assert.DeepEqual(t, buf[:n], []byte{0})
}

// TestHugeLengthPrefix: a PackedForward payload announcing 2 GiB must fail
// on the missing bytes, not allocate them (found by FuzzDecode).
func TestHugeLengthPrefix(t *testing.T) {
	raw := []byte{0x92, 0xa1, 't', 0xc6, 0x8f, 0xd9, 0x20, 0x92, 0x01, 0x02}
	dec := NewDecoder(bytes.NewReader(raw), nil)
	var f Frame
	err := dec.Decode(&f)
	assert.Assert(t, err != nil)
	raw = []byte{0x92, 0xa1, 't', 0xc6, 0x7f, 0xff, 0xff, 0xff}
	dec = NewDecoder(bytes.NewReader(raw), nil)
	assert.ErrorContains(t, dec.Decode(&f), "exceeds the limit")
}

// TestBigFrameNotPinned: the events of a big frame are not kept alive by
// the Frame the connection reuses for the next, small frames.
func TestBigFrameNotPinned(t *testing.T) {
	entries := make([]any, 5000)
	for i := range entries {
		entries[i] = []any{1, map[string]any{"n": i}}
	}
	for _, tc := range []struct {
		name string
		dec  func([]byte) frameDecoder
		big  []byte
		msg  []byte
	}{
		{"msgpack", func(b []byte) frameDecoder { return NewDecoder(bytes.NewReader(b), nil) },
			encode(t, []any{"t", entries}), encode(t, []any{"t", 1, map[string]any{"a": 1}})},
		{"json", func(b []byte) frameDecoder { return NewJSONDecoder(bufio.NewReader(bytes.NewReader(b)), nil) },
			[]byte(`["t",[` + strings.Repeat(`[1,{"n":1}],`, 4999) + `[1,{"n":1}]]]`), []byte(`["t",1,{"a":1}]`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := tc.dec(append(append(append([]byte(nil), tc.big...), tc.msg...), tc.msg...))
			var f Frame
			assert.NilError(t, dec.Decode(&f))
			assert.Equal(t, len(f.Events), 5000)
			assert.NilError(t, dec.Decode(&f))
			assert.Equal(t, len(f.Events), 1)
			assert.Assert(t, cap(f.Events) <= maxPrealloc, "cap %d", cap(f.Events))
			// A small frame's slice is reused, and nothing stale stays behind it.
			assert.NilError(t, dec.Decode(&f))
			for _, ev := range f.Events[len(f.Events):cap(f.Events)] {
				assert.Assert(t, ev.Record == nil)
			}
		})
	}
}
