package s3

import (
	"bytes"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"io"
	"testing"
	"testing/iotest"

	"gotest.tools/v3/assert"
)

func decodeChunked(b []byte) ([]byte, map[string]string, error) {
	c := newChunkedReader(bytes.NewReader(b), nil)
	out, err := io.ReadAll(c)
	return out, c.trailers, err
}

func TestChunkedDecode(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		want     string
		trailers map[string]string
		code     ErrorCode // expected error code, "" for success
	}{
		{name: "unsigned with trailer", in: "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n", want: "hello world",
			trailers: map[string]string{"x-amz-checksum-crc32": "DUoRhQ=="}},
		{name: "signed", in: "5;chunk-signature=" + emptySHA256 + "\r\nhello\r\n0;chunk-signature=" + emptySHA256 + "\r\n\r\n", want: "hello"},
		{name: "uppercase hex size", in: "A\r\n0123456789\r\n0\r\n\r\n", want: "0123456789"},
		{name: "body ends after the trailer line", in: "1\r\nx\r\n0\r\nx-amz-checksum-sha1:abc\r\n", want: "x",
			trailers: map[string]string{"x-amz-checksum-sha1": "abc"}},
		{name: "empty body", in: "0\r\n\r\n", want: ""},
		{name: "no final chunk", in: "5\r\nhello\r\n", code: ErrIncompleteBody},
		{name: "truncated data", in: "5\r\nhel", code: ErrIncompleteBody},
		{name: "missing CRLF after data", in: "5\r\nhelloX\r\n0\r\n\r\n", code: ErrIncompleteBody},
		{name: "size too long", in: "1000000000000000\r\n", code: ErrIncompleteBody},
		{name: "negative size", in: "-1\r\n", code: ErrIncompleteBody},
		{name: "bare LF", in: "5\nhello\r\n", code: ErrIncompleteBody},
		{name: "empty size", in: ";chunk-signature=x\r\n", code: ErrIncompleteBody},
		{name: "trailer without colon", in: "0\r\nnocolon\r\n\r\n", code: ErrInvalidRequest},
		{name: "trailer truncated", in: "0\r\nx-amz-checksum-crc32:DUo", code: ErrIncompleteBody},
		{name: "endless line", in: string(bytes.Repeat([]byte("1"), 5000)), code: ErrIncompleteBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, trailers, err := decodeChunked([]byte(tc.in))
			if tc.code != "" {
				assert.Assert(t, errors.Is(err, tc.code), "got %v", err)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, string(got), tc.want)
			assert.DeepEqual(t, trailers, tc.trailers)
		})
	}
}

// The decoder must not depend on how the transport splits the bytes.
func TestChunkedDecodeOneByteReads(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefghij"), 1000)
	enc := encodeUnsignedTrailer(data, 333, "x-amz-checksum-crc32", crc32Of(data))
	c := newChunkedReader(iotest.OneByteReader(bytes.NewReader(enc)), nil)
	got, err := io.ReadAll(iotest.OneByteReader(c))
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(got, data))
	assert.Equal(t, c.trailers["x-amz-checksum-crc32"], crc32Of(data))
}

// FuzzChunkedDecode checks that any input decodes or fails with an S3 error,
// never panics, never yields more bytes than it got, and that whatever
// decodes re-encodes to something that decodes the same.
func FuzzChunkedDecode(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"))
	f.Add([]byte("5;chunk-signature=" + emptySHA256 + "\r\nhello\r\n0;chunk-signature=" + emptySHA256 + "\r\n\r\n"))
	f.Add([]byte("0\r\n\r\n"))
	f.Add([]byte("0\r\nx-amz-checksum-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\r\nx-amz-trailer-signature:abc\r\n\r\n"))
	f.Add([]byte("ffffffffffffff\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, trailers, err := decodeChunked(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an S3 error: %v", err)
			}
			return
		}
		if len(got) > len(in) {
			t.Fatalf("decoded %d bytes from %d", len(got), len(in))
		}
		var enc bytes.Buffer
		enc.Write(encodeUnsignedTrailer(got, 7, "x-amz-checksum-crc32", crc32Of(got)))
		again, trailers2, err := decodeChunked(enc.Bytes())
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-encoded body does not decode the same: %v", err)
		}
		if trailers2["x-amz-checksum-crc32"] != crc32Of(got) {
			t.Fatalf("trailer lost: %v", trailers2)
		}
		_ = trailers
	})
}

func TestChecksumAlgorithms(t *testing.T) {
	check := []byte("123456789")
	// Standard check values of each CRC (catalogue of parametrised CRCs).
	for name, want := range map[string]uint64{"CRC32": 0xCBF43926, "CRC32C": 0xE3069283, "CRC64NVME": 0xAE8B14860A799888} {
		alg, ok := checksumByName(name)
		assert.Assert(t, ok)
		raw, err := base64.StdEncoding.DecodeString(alg.sum(check))
		assert.NilError(t, err)
		var got uint64
		for _, b := range raw {
			got = got<<8 | uint64(b)
		}
		assert.Equal(t, got, want, name)
	}
	assert.Equal(t, crc32.ChecksumIEEE(check), uint32(0xCBF43926))

	// The table-driven CRC-64/NVME agrees with hash/crc64 on any length and
	// any split of the writes.
	ref := crc64.MakeTable(crc64nvmePoly)
	data := bytes.Repeat([]byte("devenv fake s3 "), 100)
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, len(data)} {
		h := &crc64nvme{}
		h.Write(data[:n/3])
		h.Write(data[n/3 : n])
		assert.Equal(t, h.Sum64(), crc64.Checksum(data[:n], ref), "length %d", n)
	}
}

func TestFullObjectChecksumCombinesParts(t *testing.T) {
	parts := [][]byte{bytes.Repeat([]byte("a"), 1000), []byte("b"), bytes.Repeat([]byte("xyz"), 7777), {}}
	whole := bytes.Join(parts, nil)
	for _, alg := range checksumAlgs[:3] {
		var sums []Checksum
		var sizes []int64
		for _, p := range parts {
			sums = append(sums, Checksum{Algorithm: alg.name, Value: alg.sum(p)})
			sizes = append(sizes, int64(len(p)))
		}
		got, ok := alg.fullObject(sums, sizes)
		assert.Assert(t, ok, alg.name)
		assert.Equal(t, got, alg.sum(whole), alg.name)
	}
	_, ok := checksumAlgs[4].fullObject([]Checksum{{Algorithm: "SHA256", Value: checksumAlgs[4].sum(nil)}}, []int64{0})
	assert.Assert(t, !ok, "SHA256 has no full-object combination")
}
