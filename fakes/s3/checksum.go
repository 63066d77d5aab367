package s3

import (
	"crypto/sha1" //nolint:gosec // S3's SHA1 checksum, not a security use.
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"strconv"
	"strings"
)

// checksumAlg is one of S3's additional checksum algorithms.
type checksumAlg struct {
	name   string // as in x-amz-checksum-algorithm: CRC32, CRC32C, ...
	header string // x-amz-checksum-crc32, ...
	size   int    // raw checksum length in bytes
	new    func() hash.Hash
	poly   uint64 // reflected polynomial of a CRC; 0 for SHA
}

var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

// crc64nvmePoly is the reflected polynomial of CRC-64/NVME.
const crc64nvmePoly = 0x9a6c9329ac4bc9b5

// checksumAlgs lists the algorithms S3 supports.
var checksumAlgs = []checksumAlg{
	{"CRC32", "x-amz-checksum-crc32", 4, func() hash.Hash { return crc32.NewIEEE() }, crc32.IEEE},
	{"CRC32C", "x-amz-checksum-crc32c", 4, func() hash.Hash { return crc32.New(crc32cTable) }, crc32.Castagnoli},
	{"CRC64NVME", "x-amz-checksum-crc64nvme", 8, func() hash.Hash { return &crc64nvme{} }, crc64nvmePoly},
	{"SHA1", "x-amz-checksum-sha1", 20, sha1.New, 0},
	{"SHA256", "x-amz-checksum-sha256", 32, sha256.New, 0},
}

// defaultChecksum is what S3 computes for uploads that carry no checksum.
var defaultChecksum = checksumAlgs[2]

// checksumByName finds an algorithm by its x-amz-checksum-algorithm name,
// ignoring case.
func checksumByName(name string) (checksumAlg, bool) {
	for _, a := range checksumAlgs {
		if strings.EqualFold(a.name, name) {
			return a, true
		}
	}
	return checksumAlg{}, false
}

// checksumByHeader finds an algorithm by its header name, ignoring case.
func checksumByHeader(header string) (checksumAlg, bool) {
	for _, a := range checksumAlgs {
		if strings.EqualFold(a.header, header) {
			return a, true
		}
	}
	return checksumAlg{}, false
}

// validValue reports whether v is the base64 of a checksum of this algorithm.
func (a checksumAlg) validValue(v string) bool {
	raw, err := base64.StdEncoding.DecodeString(v)
	return err == nil && len(raw) == a.size
}

// sum returns the base64 checksum of b.
func (a checksumAlg) sum(b []byte) string {
	h := a.new()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// composite returns S3's COMPOSITE checksum of parts: the checksum of the
// concatenated raw part checksums, with a "-N" suffix. ok is false when a
// part lacks a valid checksum of this algorithm.
func (a checksumAlg) composite(parts []Checksum) (string, bool) {
	h := a.new()
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Value)
		if p.Algorithm != a.name || err != nil || len(raw) != a.size {
			return "", false
		}
		h.Write(raw)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)), true
}

// fullObject returns S3's FULL_OBJECT checksum of parts: the CRC of the
// whole object, combined from the part CRCs and sizes without reading the
// data. ok is false for a SHA algorithm or when a part lacks a valid checksum
// of this algorithm.
func (a checksumAlg) fullObject(parts []Checksum, sizes []int64) (string, bool) {
	if a.poly == 0 {
		return "", false
	}
	var crc uint64
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Value)
		if p.Algorithm != a.name || err != nil || len(raw) != a.size {
			return "", false
		}
		var v uint64
		for _, b := range raw {
			v = v<<8 | uint64(b)
		}
		if i == 0 {
			crc = v
			continue
		}
		crc = crcCombine(a.poly, a.size*8, crc, v, sizes[i])
	}
	out := make([]byte, a.size)
	for i := range out {
		out[i] = byte(crc >> (8 * (a.size - 1 - i)))
	}
	return base64.StdEncoding.EncodeToString(out), true
}

// crcCombine returns the CRC of A followed by B from crc1 = CRC(A),
// crc2 = CRC(B) and len2 = len(B), for a reflected CRC of the given width
// with all-ones initial value and final XOR (as CRC-32, CRC-32C and
// CRC-64/NVME are). It applies the "append len2 zero bytes" operator as a
// GF(2) matrix, squared repeatedly, as zlib's crc32_combine does.
func crcCombine(poly uint64, width int, crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	times := func(mat []uint64, vec uint64) uint64 {
		var sum uint64
		for i := 0; vec != 0; i, vec = i+1, vec>>1 {
			if vec&1 != 0 {
				sum ^= mat[i]
			}
		}
		return sum
	}
	square := func(dst, mat []uint64) {
		for n := range width {
			dst[n] = times(mat, mat[n])
		}
	}
	odd := make([]uint64, width)  // operator for one zero bit
	even := make([]uint64, width) // operator for two zero bits
	odd[0] = poly
	row := uint64(1)
	for n := 1; n < width; n++ {
		odd[n] = row
		row <<= 1
	}
	square(even, odd) // 2 zero bits
	square(odd, even) // 4 zero bits
	for {
		square(even, odd) // first pass: 1 zero byte
		if len2&1 != 0 {
			crc1 = times(even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		square(odd, even)
		if len2&1 != 0 {
			crc1 = times(odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

// crc64nvmeTables are slicing-by-8 tables for CRC-64/NVME. (hash/crc64 only
// keeps such tables for its two built-in polynomials and rebuilds them on
// every Write for any other, which made this checksum the costliest part of
// a small PutObject.)
var crc64nvmeTables = func() *[8][256]uint64 {
	var t [8][256]uint64
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ crc64nvmePoly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return &t
}()

// crc64nvme is a hash.Hash64 computing CRC-64/NVME.
type crc64nvme struct{ crc uint64 }

func (h *crc64nvme) Write(p []byte) (int, error) {
	t := crc64nvmeTables
	crc := ^h.crc
	n := len(p)
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	h.crc = ^crc
	return n, nil
}

func (h *crc64nvme) Sum(b []byte) []byte { return binary.BigEndian.AppendUint64(b, h.crc) }
func (h *crc64nvme) Sum64() uint64       { return h.crc }
func (h *crc64nvme) Reset()              { h.crc = 0 }
func (h *crc64nvme) Size() int           { return 8 }
func (h *crc64nvme) BlockSize() int      { return 1 }
