package forward

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

// BenchmarkDecodeFrames measures the decoder alone, without sockets: b.N
// Docker-shaped Message frames (the driver's four elements) from memory.
func BenchmarkDecodeFrames(b *testing.B) {
	var stream []byte
	for i := range 1000 {
		stream = append(stream, encode(b, []any{"docker.delish", 1704164645, map[string]string{
			"container_id": "4f1c2b3a4f1c", "container_name": "/delish-api-1", "source": "stdout",
			"log": `{"log_type":"EVENT","event_type":"click","user_id":` + strconv.Itoa(i) + `}`,
		}, map[string]any{}})...)
	}
	b.SetBytes(int64(len(stream) / 1000))
	b.ReportAllocs()
	r := bytes.NewReader(stream)
	dec := NewDecoder(r, nil)
	var f Frame
	for b.Loop() {
		if err := dec.Decode(&f); err == io.EOF {
			r.Reset(stream)
			dec = NewDecoder(r, nil)
			if err := dec.Decode(&f); err != nil {
				b.Fatal(err)
			}
		} else if err != nil {
			b.Fatal(err)
		}
	}
}
