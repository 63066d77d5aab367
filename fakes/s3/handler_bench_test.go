package s3

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkHandler4KiB measures the handlers alone (no network), so the
// comparison with gofakes3 is not drowned by loopback and scheduler noise.
func BenchmarkHandler4KiB(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef"), benchObjectSize/16)
	for _, tgt := range benchTargets {
		h := tgt.handler()
		serve := func(method, path string, data []byte) {
			req := httptest.NewRequest(method, path, bytes.NewReader(data))
			req.Header.Set("Content-Length", strconv.Itoa(len(data)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s %s: %d", method, path, rec.Code)
			}
		}
		serve(http.MethodPut, "/bench", nil)
		for i := range benchKeys {
			serve(http.MethodPut, key(i), body)
		}
		b.Run("put/"+tgt.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				serve(http.MethodPut, key(i), body)
			}
		})
		b.Run("get/"+tgt.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				serve(http.MethodGet, key(i), nil)
			}
		})
	}
}
