package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"
	"github.com/devenv-sh/devenv/internal/testsupport"

	"github.com/fluent/fluent-logger-golang/fluent"
	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"
)

// logLines is a slog handler keeping "LEVEL message k=v…" lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
	return nil
}

func (l *logLines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// The lines fluentd v0.12.43 logs (without the timestamp) when in_forward
// closes a connection on an EventTime, and on a gzip PackedForward whose
// first unpacked object (the gzip magic 0x1f, the integer 31) has no
// record for filter_parser's record[key_name].
const (
	extError            = "ERROR forward error error=#<MessagePack::UnknownExtTypeError: unexpected extension type> error_class=MessagePack::UnknownExtTypeError"
	extEmitWarn         = `WARN emit transaction failed: error_class=MessagePack::UnknownExtTypeError error="unexpected extension type" tag="t"`
	nilIndexWarn        = "WARN emit transaction failed: error_class=NoMethodError error=\"undefined method `[]' for nil:NilClass\" tag=\"t\""
	nilIndexError       = "ERROR forward error error=#<NoMethodError: undefined method `[]' for nil:NilClass> error_class=NoMethodError"
	fixedNow      int64 = 99
)

func startLogged(t *testing.T, opts ...Option) (*recorder, *Server, *logLines, string) {
	t.Helper()
	r, logs := &recorder{}, &logLines{}
	opts = append([]Option{WithLogger(slog.New(logs)), WithClock(func() time.Time { return time.Unix(fixedNow, 0) })}, opts...)
	srv, addr := startServer(t, r, opts...)
	return r, srv, logs, addr
}

// sendAll writes data on a new connection and reads until the server
// closes it (want closed) or until an ack for chunk "end" arrives.
func sendAll(t *testing.T, addr string, data []byte, closed bool) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	assert.NilError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = c.Write(data)
	assert.NilError(t, err)
	assert.NilError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	if closed {
		// EOF, or a reset when the server closed with bytes unread.
		_, err = c.Read(make([]byte, 1))
		assert.Assert(t, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), "read after the close: %v", err)
		return c
	}
	var resp map[string]string
	assert.NilError(t, msgpack.NewDecoder(c).Decode(&resp))
	assert.DeepEqual(t, resp, map[string]string{"ack": "end"})
	return c
}

func msg(t *testing.T, n int) []byte {
	return encode(t, []any{"t", 1704164645, map[string]any{"n": n}, map[string]any{}})
}

// endMsg is a Message whose ack proves that everything before it on the
// connection was read.
func endMsg(t *testing.T) []byte {
	return encode(t, []any{"t", 1704164645, map[string]any{"n": 100}, map[string]any{"chunk": "end"}})
}

func ns(r *recorder) []int64 {
	var out []int64
	for _, f := range r.snapshot() {
		for _, ev := range f.Events {
			v, _ := ev.Record.Get("n")
			out = append(out, v.(int64))
		}
	}
	return out
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// eventTimeCases are frames carrying EventTime or a compressed payload,
// with the events fluentd v1 reads from each (n values).
func eventTimeCases(t *testing.T) []struct {
	name  string
	frame []byte
	logs  []string // fluentd v0.12.43's lines
	v1    []int64  // fluentd v1's events
} {
	packed := encode(t, []any{1, map[string]any{"n": 2}}, []any{eventTime(1704164645, 5), map[string]any{"n": 3}})
	return []struct {
		name  string
		frame []byte
		logs  []string
		v1    []int64
	}{
		// Docker's fluentd-sub-second-precision and fluent-logger-golang:
		// [tag, fixext8 EventTime, record, option].
		{"message-fixext8", encode(t, []any{"t", eventTime(1704164645, 250_000_000), map[string]any{"n": 2}, map[string]any{}}), []string{extError}, []int64{2}},
		// fluent-logger-python's nanosecond_precision: [tag, EventTime, record].
		{"python-nanosecond", []byte{0x93, 0xa1, 't', 0xd7, 0x00, 0x65, 0x93, 0x7d, 0x25, 0x0e, 0xe6, 0xb2, 0x80, 0x81, 0xa1, 'n', 0x02}, []string{extError}, []int64{2}},
		// The same time as ext8 (C7 08 00).
		{"message-ext8", []byte{0x94, 0xa1, 't', 0xc7, 0x08, 0x00, 0x65, 0x93, 0x7d, 0x25, 0, 0, 0, 0, 0x81, 0xa1, 'n', 0x02, 0x80}, []string{extError}, []int64{2}},
		// Forward: the second entry raises while the frame is unpacked, so
		// the first entry is lost with it.
		{"forward", encode(t, []any{"t", []any{[]any{1, map[string]any{"n": 2}}, []any{eventTime(1704164645, 5), map[string]any{"n": 3}}}}), []string{extError}, []int64{2, 3}},
		// PackedForward: unpacked inside the emit, by the first plugin.
		{"packed", encode(t, []any{"t", packed}), []string{extEmitWarn, extError}, []int64{2, 3}},
		// CompressedPackedForward: v0.12 ignores `compressed` and unpacks
		// the gzip bytes: 0x1f is the integer 31, an entry with no record.
		{"compressed", encode(t, []any{"t", gz(t, packed), map[string]any{"compressed": "gzip"}}), []string{nilIndexWarn, nilIndexError}, []int64{2, 3}},
	}
}

// TestEventTimeV012: by default the server reads as fluentd v0.12.43:
// EventTime and gzip payloads raise, the error is logged as fluentd logs
// it, the connection is closed, the frame that raised and what follows it
// on the connection are lost, and the frames before it were emitted.
func TestEventTimeV012(t *testing.T) {
	for _, tc := range eventTimeCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			r, srv, logs, addr := startLogged(t)
			sendAll(t, addr, cat(msg(t, 1), tc.frame, msg(t, 4), endMsg(t)), true)
			testsupport.Until(t, 10*time.Second, "the log lines", func() bool { return len(logs.get()) == len(tc.logs) })
			assert.DeepEqual(t, logs.get(), tc.logs)
			assert.DeepEqual(t, ns(r), []int64{1})
			st := srv.Stats()
			assert.Equal(t, st.DecodeErrors, int64(1))
			assert.Equal(t, st.EventTimes, int64(0))
		})
	}
	t.Run("ext-in-record", func(t *testing.T) {
		r, _, logs, addr := startLogged(t)
		sendAll(t, addr, cat(msg(t, 1), encode(t, []any{"t", 1, map[string]any{"n": 2, "at": eventTime(1, 2)}}), endMsg(t)), true)
		testsupport.Until(t, 10*time.Second, "the log line", func() bool { return len(logs.get()) == 1 })
		assert.DeepEqual(t, logs.get(), []string{extError})
		assert.DeepEqual(t, ns(r), []int64{1})
	})
	t.Run("ext-in-options", func(t *testing.T) {
		r, _, logs, addr := startLogged(t)
		// No ack: the exception comes before on_message returns the option.
		sendAll(t, addr, cat(msg(t, 1), encode(t, []any{"t", 1, map[string]any{"n": 2}, map[string]any{"chunk": "x", "e": msgpack.RawMessage{0xd4, 0x07, 0x00}}})), true)
		testsupport.Until(t, 10*time.Second, "the log line", func() bool { return len(logs.get()) == 1 })
		assert.DeepEqual(t, logs.get(), []string{extError})
		assert.DeepEqual(t, ns(r), []int64{1})
	})
}

// TestAcceptEventTime: WithAcceptEventTime reads the same bytes as fluentd
// v1 does: every event arrives, nothing is logged.
func TestAcceptEventTime(t *testing.T) {
	for _, tc := range eventTimeCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			r, srv, logs, addr := startLogged(t, WithAcceptEventTime(true))
			sendAll(t, addr, cat(msg(t, 1), tc.frame, msg(t, 4), endMsg(t)), false)
			want := append(append([]int64{1}, tc.v1...), 4, 100)
			testsupport.Until(t, 10*time.Second, "the events", func() bool { return len(ns(r)) == len(want) })
			assert.DeepEqual(t, ns(r), want)
			assert.DeepEqual(t, logs.get(), []string(nil))
			assert.Equal(t, srv.Stats().DecodeErrors, int64(0))
		})
	}
}

// TestFluentLoggerNanosecondV012: fluent-logger-golang with
// SubSecondPrecision (the driver's fluentd-sub-second-precision) reports
// success while the server drops the record and closes the connection.
func TestFluentLoggerNanosecondV012(t *testing.T) {
	r, srv, logs, addr := startLogged(t)
	cfg := loggerConfig(t, addr)
	cfg.SubSecondPrecision = true
	logger, err := fluent.New(cfg)
	assert.NilError(t, err)
	assert.NilError(t, logger.PostWithTime("docker.delish", time.Unix(1704164645, 123456789), map[string]string{"log": "x"}))
	assert.NilError(t, logger.Close())
	testsupport.Until(t, 10*time.Second, "the decode error", func() bool { return srv.Stats().DecodeErrors == 1 })
	assert.DeepEqual(t, logs.get(), []string{extError})
	assert.Equal(t, r.events(), 0)
}

// TestFramingV012: the frames in_forward v0.12.43's on_message reads
// without closing the connection, each followed on the same connection by
// a frame that must still arrive.
func TestFramingV012(t *testing.T) {
	rec := func(fields ...any) record.Record {
		var r record.Record
		for i := 0; i < len(fields); i += 2 {
			r = append(r, record.Field{Key: fields[i].(string), Value: fields[i+1]})
		}
		return r
	}
	end := Event{Time: Time{Sec: 1704164645}, Record: rec("n", int64(100))}
	for _, tc := range []struct {
		name    string
		frame   []byte
		events  []Event
		skipped int64
		broken  string // the inspect in the broken-chunk warning
	}{
		// A String record is passed on (the router's plugins decide).
		{name: "string-record", frame: encode(t, []any{"t", 5, "hello"}),
			events: []Event{{Time: Time{Sec: 5}, Raw: "hello"}}},
		// Integer keys are kept, written as Ruby's to_s writes them.
		{name: "integer-key", frame: []byte{0x94, 0xa1, 't', 0x05, 0x83, 0x01, 0xa1, 'a', 0xa1, 'k', 0xa1, 'v', 0xfe, 0xa1, 'n', 0x80},
			events: []Event{{Time: Time{Sec: 5}, Record: rec("1", "a", "k", "v", "-2", "n")}}},
		// Forward entries without a record are skipped; time 0 and nil
		// become now; extra entry elements are ignored.
		{name: "forward-nil-record", frame: encode(t, []any{"t", []any{
			[]any{1, nil}, []any{0, map[string]any{"a": 1}}, []any{5}, []any{}, []any{nil, map[string]any{"b": 2}}, []any{7, map[string]any{"c": 3}, "extra"},
		}}), events: []Event{
			{Time: Time{Sec: fixedNow}, Record: rec("a", int64(1))},
			{Time: Time{Sec: fixedNow}, Record: rec("b", int64(2))},
			{Time: Time{Sec: 7}, Record: rec("c", int64(3))},
		}, skipped: 3},
		// A Message without a record is ignored silently, and not acked.
		{name: "message-2-elements", frame: encode(t, []any{"t", 5}), skipped: 1},
		{name: "message-nil-record", frame: encode(t, []any{"t", 5, nil, map[string]any{"chunk": "no"}}), skipped: 1},
		{name: "message-1-element", frame: encode(t, []any{"t"}), skipped: 1},
		// Past the option, elements are ignored.
		{name: "message-5-elements", frame: encode(t, []any{"t", 5, map[string]any{"a": 1}, nil, "x"}),
			events: []Event{{Time: Time{Sec: 5}, Record: rec("a", int64(1))}}},
		// A frame that is not an array: warned about, skipped.
		{name: "map-frame", frame: encode(t, map[string]any{"a": 1}), broken: `{"a"=>1}`},
		{name: "string-frame", frame: encode(t, "just a \"string\"\n"), broken: `"just a \"string\"\n"`},
		{name: "integer-frame", frame: encode(t, 42), broken: `42`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, srv, logs, addr := startLogged(t)
			c := sendAll(t, addr, cat(tc.frame, endMsg(t)), false)
			var got []Event
			for _, f := range r.snapshot() {
				got = append(got, f.Events...)
			}
			assert.DeepEqual(t, got, append(tc.events, end))
			var want []string
			if tc.broken != "" {
				local := c.LocalAddr().(*net.TCPAddr)
				want = []string{fmt.Sprintf(`WARN incoming chunk is broken: source="host: 127.0.0.1, addr: 127.0.0.1, port: %d" msg=%s`, local.Port, tc.broken)}
			}
			assert.DeepEqual(t, logs.get(), want)
			st := srv.Stats()
			assert.Equal(t, st.Skipped, tc.skipped)
			assert.Equal(t, st.DecodeErrors, int64(0))
			assert.Equal(t, st.BrokenChunks, int64(len(want)))
		})
	}
}

// TestFramingV012JSON: the same framing on a JSON connection.
func TestFramingV012JSON(t *testing.T) {
	r, srv, logs, addr := startLogged(t)
	c, err := net.Dial("tcp", addr)
	assert.NilError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, `["t",[[1,null],[0,{"a":1}],[5]]]{"b":[1,"x"]}["t",5]["t",5,"str"]["t",6,{"n":100},{"chunk":"end"}]`)
	assert.NilError(t, err)
	assert.NilError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	line, err := io.ReadAll(io.LimitReader(c, int64(len(`{"ack":"end"}`)+1)))
	assert.NilError(t, err)
	assert.Equal(t, string(line), `{"ack":"end"}`+"\n")
	var got []Event
	for _, f := range r.snapshot() {
		got = append(got, f.Events...)
	}
	assert.DeepEqual(t, got, []Event{
		{Time: Time{Sec: fixedNow}, Record: record.Record{{Key: "a", Value: int64(1)}}},
		{Time: Time{Sec: 5}, Raw: "str"},
		{Time: Time{Sec: 6}, Record: record.Record{{Key: "n", Value: int64(100)}}},
	})
	port := c.LocalAddr().(*net.TCPAddr).Port
	assert.DeepEqual(t, logs.get(), []string{fmt.Sprintf(`WARN incoming chunk is broken: source="host: 127.0.0.1, addr: 127.0.0.1, port: %d" msg={"b"=>[1, "x"]}`, port)})
	assert.Equal(t, srv.Stats().Skipped, int64(3))
}

// TestPackedTruncated: a PackedForward payload whose last entry is cut
// off yields the complete entries (feed_each leaves the rest unread), and
// its times are kept as sent, 0 included.
func TestPackedTruncated(t *testing.T) {
	entries := encode(t, []any{0, map[string]any{"n": 1}}, []any{2, map[string]any{"n": 2}})
	dec := NewDecoder(strings.NewReader(string(encode(t, []any{"t", append(entries, 0x92, 0x03)}))), func() Time { return Time{Sec: fixedNow} }, V012Unpacker())
	var f Frame
	assert.NilError(t, dec.Decode(&f))
	assert.DeepEqual(t, f.Events, []Event{
		{Time: Time{}, Record: record.Record{{Key: "n", Value: int64(1)}}},
		{Time: Time{Sec: 2}, Record: record.Record{{Key: "n", Value: int64(2)}}},
	})
	assert.Equal(t, dec.Decode(&f), io.EOF)
}

// TestMalformedV012: the never-used byte 0xc1 is msgpack-ruby's
// MalformedFormatError, logged as fluentd logs it.
func TestMalformedV012(t *testing.T) {
	r, _, logs, addr := startLogged(t)
	sendAll(t, addr, cat(msg(t, 1), []byte{0x93, 0xa1, 't', 0xc1}, msg(t, 2)), true)
	testsupport.Until(t, 10*time.Second, "the log line", func() bool { return len(logs.get()) == 1 })
	assert.DeepEqual(t, logs.get(), []string{"ERROR forward error error=#<MessagePack::MalformedFormatError: invalid byte> error_class=MessagePack::MalformedFormatError"})
	assert.DeepEqual(t, ns(r), []int64{1})
}
