package forward

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"
)

type countHandler struct{ n atomic.Int64 }

func (c *countHandler) NewSession(net.Addr) Session { return c }
func (c *countHandler) Emit(_ context.Context, f *Frame) error {
	c.n.Add(int64(len(f.Events)))
	return nil
}
func (c *countHandler) Commit(context.Context, bool) error { return nil }

// BenchmarkDecodeMessages measures the server side alone: b.N Docker-shaped
// Message-mode frames from fluent-logger-golang, decoded over loopback.
func BenchmarkDecodeMessages(b *testing.B) {
	h := &countHandler{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(b, err)
	s := NewServer(h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln) //nolint:errcheck // ends with the benchmark
	addr := ln.Addr().(*net.TCPAddr)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logger, err := fluent.New(fluent.Config{FluentHost: "127.0.0.1", FluentPort: addr.Port})
			if err != nil {
				b.Error(err)
				return
			}
			defer logger.Close()
			for i := c; i < b.N; i += 4 {
				if err := logger.PostWithTime("docker.delish", time.Unix(1704164645, 0), map[string]string{
					"container_id": "4f1c2b3a4f1c", "container_name": "/delish-api-1", "source": "stdout",
					"log": `{"log_type":"EVENT","event_type":"click","user_id":` + strconv.Itoa(i) + `}`,
				}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for h.n.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}
