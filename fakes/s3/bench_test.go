package s3

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The speed targets: 4 KiB PutObject and GetObject over loopback HTTP with
// keep-alive, at least as fast as gofakes3 in the same run, p99 under 2 ms;
// 10,000 stored 4 KiB objects under 100 MB.

const benchObjectSize = 4 << 10

// benchKeys is how many distinct keys the Put benchmarks cycle through.
const benchKeys = 1000

type benchTarget struct {
	name    string
	handler func() http.Handler
}

var benchTargets = []benchTarget{
	{"devenv", func() http.Handler { return New(NewMemStore()).Handler() }},
	{"gofakes3", func() http.Handler { return gofakes3.New(s3mem.New()).Server() }},
}

// loopback serves h over httptest and returns a keep-alive client for it.
type loopback struct {
	ts     *httptest.Server
	client *http.Client
	body   []byte
}

func newLoopback(b *testing.B, h http.Handler) *loopback {
	b.Helper()
	ts := httptest.NewServer(h)
	b.Cleanup(ts.Close)
	lb := &loopback{
		ts:     ts,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}},
		body:   bytes.Repeat([]byte("0123456789abcdef"), benchObjectSize/16),
	}
	b.Cleanup(lb.client.CloseIdleConnections)
	lb.do(b, http.MethodPut, "/bench", nil)
	return lb
}

func (lb *loopback) do(b *testing.B, method, path string, body []byte) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, lb.ts.URL+path, r)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := lb.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s %s: %s", method, path, resp.Status)
	}
	if method == http.MethodGet && n != int64(len(lb.body)) {
		b.Fatalf("GET %s: %d bytes, want %d", path, n, len(lb.body))
	}
}

func key(i int) string { return "/bench/obj-" + strconv.Itoa(i%benchKeys) }

// runOps times n sequential operations and returns their durations.
func runOps(b *testing.B, n int, op func(i int)) []time.Duration {
	d := make([]time.Duration, n)
	for i := range n {
		start := time.Now()
		op(i)
		d[i] = time.Since(start)
	}
	return d
}

// report adds ops/s and p99 (ms) to the benchmark output.
func report(b *testing.B, prefix string, d []time.Duration) (opsPerSec float64) {
	var total time.Duration
	for _, x := range d {
		total += x
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	p99 := sorted[min(len(sorted)-1, len(sorted)*99/100)]
	opsPerSec = float64(len(d)) / total.Seconds()
	b.ReportMetric(opsPerSec, prefix+"ops/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, prefix+"p99-ms")
	return opsPerSec
}

func BenchmarkPutObject4KiB(b *testing.B) {
	for _, tgt := range benchTargets {
		b.Run(tgt.name, func(b *testing.B) {
			lb := newLoopback(b, tgt.handler())
			b.ReportAllocs()
			b.SetBytes(benchObjectSize)
			b.ResetTimer()
			d := runOps(b, b.N, func(i int) { lb.do(b, http.MethodPut, key(i), lb.body) })
			b.StopTimer()
			report(b, "", d)
		})
	}
}

func BenchmarkGetObject4KiB(b *testing.B) {
	for _, tgt := range benchTargets {
		b.Run(tgt.name, func(b *testing.B) {
			lb := newLoopback(b, tgt.handler())
			for i := range benchKeys {
				lb.do(b, http.MethodPut, key(i), lb.body)
			}
			b.ReportAllocs()
			b.SetBytes(benchObjectSize)
			b.ResetTimer()
			d := runOps(b, b.N, func(i int) { lb.do(b, http.MethodGet, key(i), nil) })
			b.StopTimer()
			report(b, "", d)
		})
	}
}

// BenchmarkVersusGofakes3 runs the same Put and Get loads against both
// fakes, interleaved in rounds so machine noise hits both alike, and reports
// devenv's throughput divided by gofakes3's (target: at least 1).
func BenchmarkVersusGofakes3(b *testing.B) {
	for _, op := range []string{"put", "get"} {
		b.Run(op, func(b *testing.B) {
			lbs := make([]*loopback, len(benchTargets))
			for i, tgt := range benchTargets {
				lbs[i] = newLoopback(b, tgt.handler())
				for k := range benchKeys {
					lbs[i].do(b, http.MethodPut, key(k), lbs[i].body)
				}
			}
			durs := make([][]time.Duration, len(benchTargets))
			b.ResetTimer()
			const round = 200
			for r, done := 0, 0; done < b.N; r, done = r+1, done+round {
				n := min(round, b.N-done)
				for k := range lbs {
					i := (k + r) % len(lbs) // alternate who goes first
					lb := lbs[i]
					method, body := http.MethodPut, lb.body
					if op == "get" {
						method, body = http.MethodGet, nil
					}
					durs[i] = append(durs[i], runOps(b, n, func(j int) { lb.do(b, method, key(done+j), body) })...)
				}
			}
			b.StopTimer()
			devenv := report(b, "devenv-", durs[0])
			other := report(b, "gofakes3-", durs[1])
			b.ReportMetric(devenv/other, "ratio")
			// The median is robust to the pauses other processes cause.
			b.ReportMetric(float64(median(durs[1]))/float64(median(durs[0])), "p50-ratio")
		})
	}
}

func median(d []time.Duration) time.Duration {
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// BenchmarkMemory10kObjects stores 10,000 objects of 4 KiB through the
// handler and reports the live heap after GC (target: under 100 MB) and the
// process's resident memory. Each iteration stores all 10,000: run it with
// -benchtime 1x.
func BenchmarkMemory10kObjects(b *testing.B) {
	body := bytes.Repeat([]byte("x"), benchObjectSize)
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		srv := New(NewMemStore())
		h := srv.Handler()
		serve := func(method, path string, data []byte) {
			req := httptest.NewRequest(method, path, bytes.NewReader(data))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
			}
		}
		serve(http.MethodPut, "/mem", nil)
		for i := range 10_000 {
			serve(http.MethodPut, fmt.Sprintf("/mem/logs/2026/11/26/app-%05d.gz", i), body)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "total-heap-MB")
		if rss := residentMB(); rss > 0 {
			b.ReportMetric(rss, "rss-MB")
		}
		runtime.KeepAlive(srv)
	}
}

// residentMB reads VmRSS from /proc (Linux); 0 elsewhere.
func residentMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return float64(kb) / 1024
			}
		}
	}
	return 0
}

// BenchmarkDiskUploadPart measures UploadPart through the handler on a
// DiskStore whose upload already holds 1,000 parts: the server reads the
// upload (ListParts) for every part, which must not cost a file per part.
func BenchmarkDiskUploadPart(b *testing.B) {
	store, err := OpenDiskStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	h := New(store).Handler()
	serve := func(method, path string, data []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(data))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec
	}
	serve(http.MethodPut, "/parts", nil)
	rec := serve(http.MethodPost, "/parts/big?uploads", nil)
	_, rest, _ := strings.Cut(rec.Body.String(), "<UploadId>")
	id, _, _ := strings.Cut(rest, "</UploadId>")
	part := []byte("a small part")
	for n := 1; n <= 1000; n++ {
		serve(http.MethodPut, fmt.Sprintf("/parts/big?partNumber=%d&uploadId=%s", n, id), part)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serve(http.MethodPut, fmt.Sprintf("/parts/big?partNumber=%d&uploadId=%s", 1001+i%9000, id), part)
	}
}

// BenchmarkListDelimiter lists, with delimiter "/", a bucket whose 100,000
// keys sit under a few prefixes: a page must cost per prefix returned, not
// per key rolled up.
func BenchmarkListDelimiter(b *testing.B) {
	store := NewMemStore()
	ctx := b.Context()
	if err := store.CreateBucket(ctx, BucketInfo{Name: "tree"}); err != nil {
		b.Fatal(err)
	}
	for i := range 100_000 {
		key := fmt.Sprintf("dir%d/file-%06d", i%4, i)
		if _, err := store.PutObject(ctx, "tree", ObjectInfo{Key: key}, storedBody(strings.NewReader("x"), 1, defaultChecksum)); err != nil {
			b.Fatal(err)
		}
	}
	h := New(store).Handler()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/tree?list-type=2&delimiter=%2F", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), "<CommonPrefixes>") != 4 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
