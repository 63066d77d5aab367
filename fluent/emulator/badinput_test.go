package emulator

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/internal/testsupport"
)

// sendAndExpectClose writes frames on a fresh connection and asserts the
// emulator closes it.
func sendAndExpectClose(t *testing.T, addr string, data []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	assert.NilError(t, err)
	defer c.Close()
	_, err = c.Write(data)
	assert.NilError(t, err)
	assert.NilError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = c.Read(make([]byte, 1))
	assert.Assert(t, cmp.ErrorIs(err, io.EOF))
}

func frames(t *testing.T, vs ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	for _, v := range vs {
		assert.NilError(t, enc.Encode(v))
	}
	return buf.Bytes()
}

// TestBadInputClosesConnection: what fluentd v0.12 answers with "forward
// error" and a closed connection closes the connection here too, is
// counted, and the emulator keeps serving.
func TestBadInputClosesConnection(t *testing.T) {
	sk := newSinks(t)
	root := parseConfig(t, sk.env(t.TempDir(), "1s"))
	e := startEmulator(t, root, WithLogger(testLogger(t)))
	ok := dockerRecord(`{"log_type":"EVENT","event_type":"click","n":1}`)

	// Malformed msgpack.
	sendAndExpectClose(t, e.Addr(), []byte{0x93, 0xc1, 0xc1})
	// T10: a JSON array in `log` makes rewrite_tag_filter raise; the frame
	// after it in the same read buffer is lost too.
	sendAndExpectClose(t, e.Addr(), frames(t,
		[]any{"docker.delish", 1704164645, dockerRecord(`[{"log_type":"EVENT","event_type":"click"}]`), map[string]any{}},
		[]any{"docker.delish", 1704164645, ok, map[string]any{}}))
	// T43: EventTime, which fluentd v0.12 cannot unpack (the default).
	sendAndExpectClose(t, e.Addr(), frames(t,
		[]any{"docker.delish", msgpack.RawMessage{0xd7, 0x00, 0x65, 0x93, 0x7d, 0x25, 0, 0, 0, 0}, ok, map[string]any{}}))

	// Still serving: a good record reaches both outputs.
	c, err := net.Dial("tcp", e.Addr())
	assert.NilError(t, err)
	_, err = c.Write(frames(t, []any{"docker.delish", 1704164645, ok, map[string]any{"chunk": "abc"}}))
	assert.NilError(t, err)
	var ack map[string]string
	assert.NilError(t, msgpack.NewDecoder(c).Decode(&ack))
	assert.Equal(t, ack["ack"], "abc")
	c.Close()
	e.ForceFlush()
	testsupport.Until(t, 20*time.Second, "the good record in TD", func() bool { return len(sk.tdRecords(t, "event_click")) == 1 })

	st := e.Stats()
	// Malformed msgpack and the EventTime raise while unpacking; the JSON
	// array raises in the emit.
	assert.Equal(t, st.Forward.DecodeErrors, int64(2))
	assert.Equal(t, st.Forward.EmitErrors, int64(1))
	assert.Equal(t, st.Drops["connection closed"], int64(1))
}
