package emulator

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestQueueLimitClosesConnection: with S3 failing, chunks pile up until
// buffer_queue_limit; the next chunk rotation fails the emit
// (BufferQueueLimitError) and the connection is closed, bounding memory.
func TestQueueLimitClosesConnection(t *testing.T) {
	sk := newSinks(t)
	root, err := parseConfigFile(t, "queue.conf", sk.env(t.TempDir(), "1s"))
	assert.NilError(t, err)
	e := startEmulator(t, root, WithLogger(testLogger(t)))
	assert.NilError(t, fakeclient.NewS3(sk.s3URL).InjectFault(t.Context(), fakeclient.Fault{Times: 1000, Status: 500, Method: "PUT"}))

	c, err := net.Dial("tcp", e.Addr())
	assert.NilError(t, err)
	defer c.Close()
	enc := msgpack.NewEncoder(c)
	dec := msgpack.NewDecoder(c)
	rec := map[string]string{"pad": strings.Repeat("x", 100)}
	acked := 0
	for i := range 20 {
		if err := enc.Encode([]any{"app.web", 1704164645, rec, map[string]string{"chunk": "c" + string(rune('a'+i))}}); err != nil {
			break
		}
		var ack map[string]string
		if err := dec.Decode(&ack); err != nil {
			break
		}
		acked++
	}
	// Two records fit a chunk: one queued chunk plus a full staged one.
	assert.Equal(t, acked, 4)
	st := e.Stats()
	assert.Equal(t, st.Forward.EmitErrors, int64(1))
	assert.Equal(t, st.Outputs[0].Buffer.Queued, 1)
	testsupport.Until(t, 10*time.Second, "the failed flush is counted", func() bool { return e.Stats().Outputs[0].Buffer.FlushErrors >= 1 })
}
