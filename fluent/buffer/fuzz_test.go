package buffer

import (
	"bytes"
	"testing"
)

// FuzzFraming feeds arbitrary chunk-file bytes to the recovery framings:
// they must never panic, and the valid prefix must be a prefix.
func FuzzFraming(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"a\":"))
	f.Add([]byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x92, 0x01})
	f.Add([]byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, fr := range map[string]Framing{"lines": Lines, "msgpack": Msgpack} {
			valid, records, err := fr(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if valid < 0 || valid > int64(len(data)) || records < 0 || (records == 0) != (valid == 0) {
				t.Fatalf("%s: valid %d, records %d for %d bytes", name, valid, records, len(data))
			}
		}
	})
}
