package emulator

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// fluentdLines are an emulator's log lines without their timestamps.
type fluentdLines struct{ buf testsupport.Buffer }

var logStamp = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} `)

func (l *fluentdLines) logger() *slog.Logger {
	return slog.New(NewLogHandler(&l.buf, slog.LevelWarn))
}

func (l *fluentdLines) lines() []string {
	s := strings.TrimSuffix(logStamp.ReplaceAllString(l.buf.String(), ""), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// eventFrame is a Docker-driver Message for an event of the given type,
// its time as the driver sends it: seconds, or EventTime with
// fluentd-sub-second-precision.
func eventFrame(t *testing.T, eventType string, subSecond bool) []byte {
	var tm any = 1704164645
	if subSecond {
		tm = msgpack.RawMessage{0xd7, 0x00, 0x65, 0x93, 0x7d, 0x25, 0x0e, 0xe6, 0xb2, 0x80}
	}
	return frames(t, []any{"docker.delish", tm, dockerRecord(`{"log_type":"EVENT","event_type":"` + eventType + `"}`), map[string]any{}})
}

// writeAndRead writes data on a new connection and reads until the
// emulator closes it (closed) or answers the ack of chunk "end".
func writeAndRead(t *testing.T, addr string, data []byte, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	assert.NilError(t, err)
	defer c.Close()
	_, err = c.Write(data)
	assert.NilError(t, err)
	assert.NilError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	if closed {
		_, err = c.Read(make([]byte, 1))
		assert.Assert(t, err != nil && (err == io.EOF || strings.Contains(err.Error(), "reset")), "read after the close: %v", err)
		return
	}
	var ack map[string]string
	assert.NilError(t, msgpack.NewDecoder(c).Decode(&ack))
	assert.DeepEqual(t, ack, map[string]string{"ack": "end"})
}

// tdFields is a TD record with its values printed.
func tdFields(rec map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range rec {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func endFrame(t *testing.T) []byte {
	return frames(t, []any{"docker.delish", 1704164645, dockerRecord(`{"log_type":"EVENT","event_type":"end"}`), map[string]any{"chunk": "end"}})
}

// TestEventTimeV012Default: the production pipeline fed an EventTime (or a
// gzip payload) between two records on one connection: fluentd v0.12.43's
// error lines, the connection closed, only the record before it stored.
// With WithAcceptEventTime every record is stored and nothing is logged.
func TestEventTimeV012Default(t *testing.T) {
	var gzPayload bytes.Buffer
	zw := gzip.NewWriter(&gzPayload)
	_, err := zw.Write(frames(t, []any{1704164645, dockerRecord(`{"log_type":"EVENT","event_type":"during"}`)}))
	assert.NilError(t, err)
	assert.NilError(t, zw.Close())
	for _, tc := range []struct {
		name  string
		frame []byte
		logs  []string
	}{
		{"eventtime", eventFrame(t, "during", true), []string{
			"[error]: forward error error=#<MessagePack::UnknownExtTypeError: unexpected extension type> error_class=MessagePack::UnknownExtTypeError",
		}},
		{"compressed", frames(t, []any{"docker.delish", gzPayload.Bytes(), map[string]any{"compressed": "gzip"}}), []string{
			"[warn]: emit transaction failed: error_class=NoMethodError error=\"undefined method `[]' for nil:NilClass\" tag=\"docker.delish\"",
			"[error]: forward error error=#<NoMethodError: undefined method `[]' for nil:NilClass> error_class=NoMethodError",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := append(append(eventFrame(t, "before", false), tc.frame...), append(eventFrame(t, "after", false), endFrame(t)...)...)

			sk := newSinks(t)
			var logs fluentdLines
			e := startEmulator(t, parseConfig(t, sk.env(t.TempDir(), "1s")), WithLogger(logs.logger()))
			writeAndRead(t, e.Addr(), data, true)
			e.ForceFlush()
			testsupport.Until(t, 20*time.Second, "the record before", func() bool { return len(sk.tdRecords(t, "event_before")) == 1 })
			assert.DeepEqual(t, tdFields(sk.tdRecords(t, "event_before")[0]), map[string]string{"log_type": "EVENT", "event_type": "before", "time": "1704164645"})
			assert.DeepEqual(t, logs.lines(), tc.logs)
			st := e.Stats()
			assert.Equal(t, st.Forward.DecodeErrors, int64(1))
			assert.Equal(t, st.Routed, int64(1))

			sk = newSinks(t)
			logs = fluentdLines{}
			e = startEmulator(t, parseConfig(t, sk.env(t.TempDir(), "1s")), WithLogger(logs.logger()), WithAcceptEventTime(true))
			writeAndRead(t, e.Addr(), data, false)
			e.ForceFlush()
			testsupport.Until(t, 20*time.Second, "every record", func() bool {
				return len(sk.tdRecords(t, "event_before")) == 1 && len(sk.tdRecords(t, "event_during")) == 1 &&
					len(sk.tdRecords(t, "event_after")) == 1 && len(sk.tdRecords(t, "event_end")) == 1
			})
			// fluentd v0.12 keeps integer seconds of the EventTime.
			assert.DeepEqual(t, tdFields(sk.tdRecords(t, "event_during")[0]), map[string]string{"log_type": "EVENT", "event_type": "during", "time": "1704164645"})
			assert.DeepEqual(t, logs.lines(), []string(nil))
		})
	}
}

// TestFramingV012Emulator: frames v0.12.43's in_forward reads on without
// closing the connection, each followed on the same connection by a
// record that must reach TD, with fluentd's lines.
func TestFramingV012Emulator(t *testing.T) {
	withIntKey := []byte{0x94, 0xad}
	withIntKey = append(withIntKey, "docker.delish"...)
	withIntKey = append(withIntKey, 0xce, 0x65, 0x93, 0x7d, 0x25, 0x82, 0x07, 0xa1, 'x', 0xa3, 'l', 'o', 'g')
	logLine := `{"log_type":"EVENT","event_type":"intkey"}`
	withIntKey = append(withIntKey, 0xd9, byte(len(logLine)))
	withIntKey = append(withIntKey, logLine...)
	withIntKey = append(withIntKey, 0x80)
	for _, tc := range []struct {
		name   string
		frame  []byte
		logs   func(port int) []string
		tables []string
	}{
		// A String record: filter_parser's record["log"] is String#[]:
		// nil, or "log" when the string contains it (not JSON).
		{name: "string-record", frame: frames(t, []any{"docker.delish", 1704164645, "hello", map[string]any{}}),
			logs: func(int) []string { return []string{`[warn]: log does not exist tag="docker.delish" plugin="parser"`} }},
		{name: "string-record-with-key", frame: frames(t, []any{"docker.delish", 1704164645, "a log line", map[string]any{}}),
			logs: func(int) []string {
				return []string{`[warn]: pattern not match with data 'log' tag="docker.delish" plugin="parser"`}
			}},
		// An integer key beside log: filter_parser parses log as usual.
		{name: "integer-key", frame: withIntKey, tables: []string{"event_intkey"}},
		{name: "forward-nil-record", frame: frames(t, []any{"docker.delish", []any{
			[]any{1704164645, nil}, []any{0, dockerRecord(`{"log_type":"EVENT","event_type":"fwd"}`)},
		}}), tables: []string{"event_fwd"}},
		{name: "message-2-elements", frame: frames(t, []any{"docker.delish", 1704164645})},
		{name: "map-frame", frame: frames(t, map[string]any{"log": "x"}), logs: func(port int) []string {
			return []string{fmt.Sprintf(`[warn]: incoming chunk is broken: source="host: 127.0.0.1, addr: 127.0.0.1, port: %d" msg={"log"=>"x"}`, port)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sk := newSinks(t)
			var logs fluentdLines
			e := startEmulator(t, parseConfig(t, sk.env(t.TempDir(), "1s")), WithLogger(logs.logger()))
			c, err := net.Dial("tcp", e.Addr())
			assert.NilError(t, err)
			defer c.Close()
			_, err = c.Write(append(append([]byte(nil), tc.frame...), endFrame(t)...))
			assert.NilError(t, err)
			assert.NilError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
			var ack map[string]string
			assert.NilError(t, msgpack.NewDecoder(c).Decode(&ack))
			assert.DeepEqual(t, ack, map[string]string{"ack": "end"})
			e.ForceFlush()
			tables := append(tc.tables, "event_end")
			testsupport.Until(t, 20*time.Second, "the records", func() bool {
				for _, tb := range tables {
					if len(sk.tdRecords(t, tb)) != 1 {
						return false
					}
				}
				return true
			})
			var want []string
			if tc.logs != nil {
				want = tc.logs(c.LocalAddr().(*net.TCPAddr).Port)
			}
			assert.DeepEqual(t, logs.lines(), want)
			assert.Equal(t, e.Stats().Forward.DecodeErrors, int64(0))
		})
	}
}

// TestStringRecordAtOutput: a String record that reaches out_s3 (whose
// include_time_key indexes it as a Hash) makes the emit raise: the
// connection closes and the record after it is lost.
func TestStringRecordAtOutput(t *testing.T) {
	sk := newSinks(t)
	var logs fluentdLines
	e := startEmulator(t, parseConfig(t, sk.env(t.TempDir(), "1s")), WithLogger(logs.logger()))
	writeAndRead(t, e.Addr(), append(frames(t, []any{"delish.event.click", 1704164645, "hello", map[string]any{}}), endFrame(t)...), true)
	testsupport.Until(t, 10*time.Second, "the error line", func() bool { return len(logs.lines()) == 1 })
	assert.Assert(t, strings.HasPrefix(logs.lines()[0], `[error]: forward error error="a String record reached output `), logs.lines()[0])
	st := e.Stats()
	assert.Equal(t, st.Forward.EmitErrors, int64(1))
	assert.Equal(t, st.Delivered, int64(0))
}
