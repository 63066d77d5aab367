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
	e, acked := fillQueue(t, "queue.conf")
	// Two records fit a chunk: one queued chunk plus a full staged one.
	assert.Equal(t, acked, 4)
	st := e.Stats()
	assert.Equal(t, st.Forward.EmitErrors, int64(1))
	assert.Equal(t, st.Outputs[0].Buffer.Queued, 1)
	testsupport.Until(t, 10*time.Second, "the failed flush is counted", func() bool { return e.Stats().Outputs[0].Buffer.FlushErrors >= 1 })
}

// TestCopyQueueLimitLeavesEarlierStoresEmpty: in v0.12's copy, a store
// whose queue is full raises before the emit goes on, and the stores before
// it append only after the later ones return: the record that finds either
// store's queue full reaches neither store, and the connection closes.
func TestCopyQueueLimitLeavesEarlierStoresEmpty(t *testing.T) {
	for _, conf := range []string{"copyqueue.conf", "copyqueue-first.conf"} {
		t.Run(conf, func(t *testing.T) { testCopyQueueLimit(t, conf) })
	}
}

func testCopyQueueLimit(t *testing.T, conf string) {
	e, acked := fillQueue(t, conf)
	assert.Equal(t, acked, 4)
	st := e.Stats()
	assert.Equal(t, st.Forward.EmitErrors, int64(1))
	records := map[string]int64{}
	for _, o := range st.Outputs {
		records[o.ID] = o.Buffer.RecordsTotal
	}
	assert.Equal(t, len(records), 2, "%v", records)
	for id, n := range records {
		assert.Equal(t, n, int64(acked), "output %s holds the records of the acknowledged events only", id)
	}
}

// fillQueue starts the emulator with the configuration conf, S3 failing
// every PUT, and sends acknowledged 100-byte records over one connection
// until it closes (20 at most); it returns the emulator and how many were
// acknowledged.
func fillQueue(t *testing.T, conf string) (*Emulator, int) {
	t.Helper()
	sk := newSinks(t)
	root, err := parseConfigFile(t, conf, sk.env(t.TempDir(), "1s"))
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
	return e, acked
}
