package td

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Import body formats accepted after the last path segment of an import.
const (
	FormatMsgpackGz = "msgpack.gz" // gzip of a stream of msgpack maps (what fluent-plugin-td sends)
	FormatMsgpack   = "msgpack"    // the same stream, uncompressed
)

// Limits Treasure Data documents for the import path; records and imports
// beyond them are reported as findings, not rejected.
const (
	MaxRecordKeys = 512 // fluent-plugin-td drops records with more keys
	MaxFindings   = 20  // findings listed per import; the counters count all
	maxDepth      = 100 // nesting of maps and arrays within one record
)

var (
	// ErrBadBody marks an import body that is not a valid gzip'd msgpack
	// stream of maps. The fake answers 400.
	ErrBadBody = errors.New("invalid import body")
	// ErrTooLarge marks an import body over the size limit. The fake
	// answers 413.
	ErrTooLarge = errors.New("import body too large")
)

// addFinding counts a problem of the record at index record and lists it
// while fewer than MaxFindings are.
func addFinding(v *Validation, record int, problem, detail string) {
	switch problem {
	case "time_missing":
		v.TimeMissing++
	case "time_not_int":
		v.TimeNotInt++
	case "too_many_keys":
		v.TooManyKeys++
	}
	if len(v.Findings) < MaxFindings {
		v.Findings = append(v.Findings, Finding{Record: record, Problem: problem, Detail: detail})
	}
}

// Batch is one decoded import body: its records, each the msgpack encoding
// of one map, in the order they arrived.
type Batch struct {
	stream     []byte // the decompressed msgpack stream
	ends       []int  // end offset in stream of each record
	Validation Validation
}

// Len is the number of records.
func (b *Batch) Len() int { return len(b.ends) }

// Record returns the msgpack encoding of record i. The slice must not be
// modified.
func (b *Batch) Record(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.stream[start:b.ends[i]:b.ends[i]]
}

// Size is the size of the decompressed msgpack stream in bytes.
func (b *Batch) Size() int { return len(b.stream) }

// DecodeImport reads an import body in format (FormatMsgpackGz or
// FormatMsgpack) from r, decoding the msgpack stream record by record as it
// is decompressed. Each record must be a map with string keys; a record
// without an integer "time", or with more than MaxRecordKeys keys, is
// reported in the batch's Validation. An empty stream is a valid batch of no
// records (fluent-plugin-td checks a table with an empty gzip).
//
// A corrupt gzip or msgpack stream returns an error wrapping ErrBadBody; more
// than limit decompressed bytes (limit > 0) an error wrapping ErrTooLarge.
// DecodeImport never panics on any input.
func DecodeImport(r io.Reader, format string, limit int64) (*Batch, error) {
	return decodeImport(r, format, limit, 0)
}

// DecodeImportBytes is DecodeImport of a body held in memory. It reserves
// the decompressed size the gzip trailer announces (bounded by limit), so
// the stream is not copied as it grows.
func DecodeImportBytes(body []byte, format string, limit int64) (*Batch, error) {
	hint := len(body)
	if format == FormatMsgpackGz && len(body) >= 18 {
		// ISIZE, bounded by deflate's best ratio so a forged trailer
		// cannot reserve much.
		hint = min(int(binary.LittleEndian.Uint32(body[len(body)-4:])), len(body)*1032)
	}
	hint = min(hint, maxSizeHint)
	if limit > 0 {
		hint = int(min(int64(hint), limit))
	}
	return decodeImport(bytes.NewReader(body), format, limit, hint)
}

// maxSizeHint bounds the memory reserved up front from a gzip trailer.
const maxSizeHint = 64 << 20

func decodeImport(r io.Reader, format string, limit int64, sizeHint int) (*Batch, error) {
	switch format {
	case FormatMsgpackGz:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: read gzip header: %v", ErrBadBody, err)
		}
		defer zr.Close()
		r = zr
	case FormatMsgpack:
	default:
		return nil, fmt.Errorf("%w: unsupported format %q (want %s or %s)", ErrBadBody, format, FormatMsgpackGz, FormatMsgpack)
	}
	if limit > 0 {
		r = &limitReader{r: r, left: limit, limit: limit}
	}
	rr := &recordingReader{br: bufio.NewReaderSize(r, 64<<10), buf: make([]byte, 0, sizeHint)}
	d := &batchDecoder{rr: rr, dec: msgpack.NewDecoder(rr)}
	return d.decode()
}

// batchDecoder walks the msgpack stream with the library decoder, while the
// recording reader keeps every byte read so records can be cut out of it.
type batchDecoder struct {
	rr    *recordingReader
	dec   *msgpack.Decoder
	batch Batch
}

func (d *batchDecoder) decode() (*Batch, error) {
	for i := 0; ; i++ {
		start := len(d.rr.buf)
		c, err := d.peek()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, d.fail(i, start, err)
		}
		if err := d.record(i, c); err != nil {
			return nil, d.fail(i, start, err)
		}
		d.batch.ends = append(d.batch.ends, len(d.rr.buf))
	}
	d.batch.stream = d.rr.buf
	return &d.batch, nil
}

// peek returns the next code without consuming it; io.EOF at the end.
func (d *batchDecoder) peek() (byte, error) {
	b, err := d.rr.br.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (d *batchDecoder) fail(record, offset int, err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: record %d (byte %d of the msgpack stream): %v", ErrBadBody, record, offset, err)
}

// record checks one top-level record, whose first code is c.
func (d *batchDecoder) record(i int, c byte) error {
	if !isMap(c) {
		return fmt.Errorf("record is %s, want a map", typeName(c))
	}
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		return err
	}
	if n > MaxRecordKeys {
		addFinding(&d.batch.Validation, i, "too_many_keys", fmt.Sprintf("%d keys, over the limit of %d", n, MaxRecordKeys))
	}
	sawTime := false
	for k := 0; k < n; k++ {
		isTime, err := d.readKey(k)
		if err != nil {
			return err
		}
		if isTime && !sawTime {
			sawTime = true
			vc, err := d.peek()
			if err != nil {
				return err
			}
			if !isInt(vc) {
				addFinding(&d.batch.Validation, i, "time_not_int", fmt.Sprintf("time is %s, want an integer", typeName(vc)))
			}
		}
		if err := d.value(1); err != nil {
			return err
		}
	}
	if !sawTime {
		addFinding(&d.batch.Validation, i, "time_missing", "record has no time key")
	}
	return nil
}

// readKey reads the key of entry k of a record and reports whether it is
// "time". Keys must be strings (msgpack str or bin).
func (d *batchDecoder) readKey(k int) (bool, error) {
	c, err := d.peek()
	if err != nil {
		return false, err
	}
	if !msgpcode.IsString(c) && !msgpcode.IsBin(c) {
		return false, fmt.Errorf("key %d is %s, want a string", k, typeName(c))
	}
	n, err := d.bytesLen(c)
	if err != nil {
		return false, err
	}
	isTime := false
	if n == 4 {
		b, err := d.rr.br.Peek(4)
		if err != nil {
			return false, err
		}
		isTime = string(b) == "time"
	}
	return isTime, d.rr.skip(n)
}

// bytesLen reads the header of a str or bin value that starts with c.
func (d *batchDecoder) bytesLen(c byte) (int, error) {
	if msgpcode.IsFixedString(c) {
		_, err := d.rr.ReadByte()
		return int(c & msgpcode.FixedStrMask), err
	}
	return d.dec.DecodeBytesLen()
}

// value skips one value, checking its structure, at nesting depth depth.
// Scalars are skipped here; the library decodes the headers.
func (d *batchDecoder) value(depth int) error {
	c, err := d.peek()
	if err != nil {
		return err
	}
	var n int
	switch {
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		n, err := d.bytesLen(c)
		if err != nil {
			return err
		}
		return d.rr.skip(n)
	case isMap(c):
		n, err = d.dec.DecodeMapLen()
		n *= 2
	case isArray(c):
		n, err = d.dec.DecodeArrayLen()
	default:
		if size := scalarSize(c); size >= 0 {
			return d.rr.skip(1 + size)
		}
		return d.dec.Skip() // extension values; an invalid code fails here
	}
	if err != nil {
		return err
	}
	if depth >= maxDepth {
		return fmt.Errorf("values nested deeper than %d levels", maxDepth)
	}
	for j := 0; j < n; j++ {
		if err := d.value(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// scalarSize is the payload size of a fixed-size scalar code, or -1.
func scalarSize(c byte) int {
	switch {
	case msgpcode.IsFixedNum(c), c == msgpcode.Nil, c == msgpcode.False, c == msgpcode.True:
		return 0
	case c == msgpcode.Uint8, c == msgpcode.Int8:
		return 1
	case c == msgpcode.Uint16, c == msgpcode.Int16:
		return 2
	case c == msgpcode.Uint32, c == msgpcode.Int32, c == msgpcode.Float:
		return 4
	case c == msgpcode.Uint64, c == msgpcode.Int64, c == msgpcode.Double:
		return 8
	}
	return -1
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

func isInt(c byte) bool {
	return msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64)
}

// typeName names the msgpack type that starts with code c, for messages.
func typeName(c byte) string {
	switch {
	case isInt(c):
		return "an integer"
	case isMap(c):
		return "a map"
	case isArray(c):
		return "an array"
	case msgpcode.IsString(c):
		return "a string"
	case msgpcode.IsBin(c):
		return "binary"
	case msgpcode.IsExt(c):
		return "an extension value"
	case c == msgpcode.Nil:
		return "nil"
	case c == msgpcode.True || c == msgpcode.False:
		return "a boolean"
	case c == msgpcode.Float || c == msgpcode.Double:
		return "a float"
	}
	return fmt.Sprintf("invalid (code 0x%02x)", c)
}

// recordingReader hands the msgpack decoder its bytes one buffered read at
// a time and keeps every byte it handed out, so the decompressed stream is
// read once and records are cut out of it without a second pass. It
// implements io.ByteScanner so the decoder reads through it unbuffered.
type recordingReader struct {
	br  *bufio.Reader
	buf []byte
}

func (r *recordingReader) ReadByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.buf = append(r.buf, c)
	}
	return c, err
}

func (r *recordingReader) UnreadByte() error {
	if err := r.br.UnreadByte(); err != nil {
		return err
	}
	r.buf = r.buf[:len(r.buf)-1]
	return nil
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.br.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

// skip consumes n bytes, keeping them; io.ErrUnexpectedEOF when fewer are
// left.
func (r *recordingReader) skip(n int) error {
	for n > 0 {
		chunk, err := r.br.Peek(min(n, r.br.Size()))
		if len(chunk) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		r.buf = append(r.buf, chunk...)
		if _, err := r.br.Discard(len(chunk)); err != nil {
			return err
		}
		n -= len(chunk)
	}
	return nil
}

// limitReader fails with ErrTooLarge once more than limit bytes are read.
type limitReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Allow reading exactly limit bytes: fail only if more exist.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: more than %d bytes decompressed", ErrTooLarge, l.limit)
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
