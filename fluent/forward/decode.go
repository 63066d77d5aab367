// Package forward implements the server side of fluentd's forward protocol
// as fluentd v0.12's in_forward speaks it (protocol v0), plus the v1
// additions clients send today: EventTime (msgpack ext type 0) and
// CompressedPackedForward. See shared/spec/fluentd-semantics.md §3.
//
// A Decoder turns a msgpack byte stream into Frames (a JSONDecoder does the
// same for connections that start with '{' or '['); a Server accepts TCP
// connections (and UDP heartbeats), hands each frame to a Session and
// answers `chunk` options with `{"ack": chunk}` once the session says the
// events are durably buffered.
package forward

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/devenv-sh/devenv/fluent/router"
)

// Mode is the forward protocol event mode of a frame, detected from the
// type of the frame's second element.
type Mode int

// The event modes of the forward protocol.
const (
	ModeMessage Mode = iota + 1
	ModeForward
	ModePackedForward
	ModeCompressedPackedForward
)

func (m Mode) String() string {
	switch m {
	case ModeMessage:
		return "Message"
	case ModeForward:
		return "Forward"
	case ModePackedForward:
		return "PackedForward"
	case ModeCompressedPackedForward:
		return "CompressedPackedForward"
	}
	return "unknown"
}

// Time is an event time: seconds and nanoseconds since the Unix epoch.
// fluentd v0.12 works in integer seconds; Nsec is kept for EventTime input.
type Time struct {
	Sec  int64
	Nsec int64
}

// Event is one (time, record) pair.
type Event struct {
	Time   Time
	Record router.Record
	// EventTime reports that the time arrived as msgpack ext type 0, which
	// fluentd v0.12 cannot read.
	EventTime bool
}

// Frame is one decoded forward request.
type Frame struct {
	Mode   Mode
	Tag    string
	Events []Event
	// Chunk is the `chunk` option: when set, the client waits for
	// {"ack": Chunk}.
	Chunk string
	// Options holds every option, as decoded.
	Options router.Record
}

// Limits bound what a single frame may allocate.
const (
	maxDepth         = 64
	maxPrealloc      = 1024
	maxFrameElements = 1 << 20
	// MaxPayload bounds a PackedForward payload as sent.
	MaxPayload = 256 << 20
	// MaxDecompressed bounds a CompressedPackedForward payload.
	MaxDecompressed = 256 << 20
)

// ErrNotArray is returned for a frame whose top-level value is not an array
// (nor nil, the heartbeat).
var ErrNotArray = errors.New("forward frame is not an array")

// Decoder reads frames from a msgpack stream. It is not safe for
// concurrent use.
type Decoder struct {
	br *bufio.Reader
	d  *msgpack.Decoder
	// Now returns the time used for Message-mode events whose time is 0.
	now func() Time
}

// NewDecoder returns a Decoder reading from r. now supplies the time for
// events sent with time 0 (fluentd replaces those by the current time).
func NewDecoder(r io.Reader, now func() Time) *Decoder {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	d := msgpack.NewDecoder(br)
	return &Decoder{br: br, d: d, now: now}
}

// Buffered reports how many bytes are read but not yet decoded.
func (dec *Decoder) Buffered() int { return dec.br.Buffered() }

// Decode reads the next frame into f. Heartbeats (msgpack nil) are skipped.
// It returns io.EOF at a clean end of stream; any other error means the
// stream is unusable and the connection must be closed.
func (dec *Decoder) Decode(f *Frame) error {
	for {
		c, err := dec.d.PeekCode()
		if err != nil {
			return err
		}
		if c == msgpcode.Nil {
			if err := dec.d.DecodeNil(); err != nil {
				return err
			}
			continue
		}
		return dec.decodeFrame(f)
	}
}

// resetFrame empties f for the next frame, reusing its events slice
// unless a big frame grew it: the records of earlier frames must not stay
// reachable from a connection's Frame.
func resetFrame(f *Frame) {
	ev := f.Events
	if cap(ev) > maxPrealloc {
		ev = nil
	} else {
		clear(ev)
		ev = ev[:0]
	}
	*f = Frame{Events: ev}
}

func (dec *Decoder) decodeFrame(f *Frame) error {
	resetFrame(f)
	d := dec.d
	n, err := d.DecodeArrayLen()
	if err != nil {
		return fmt.Errorf("decode frame: %w", ErrNotArray)
	}
	if n < 2 || n > 4 {
		return fmt.Errorf("decode frame: array of %d elements, want 2 to 4", n)
	}
	if f.Tag, err = d.DecodeString(); err != nil {
		return fmt.Errorf("decode frame tag: %w", err)
	}
	c, err := d.PeekCode()
	if err != nil {
		return fmt.Errorf("decode frame: %w", err)
	}
	switch {
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		f.Mode = ModeForward
		if err := dec.decodeEntries(f); err != nil {
			return err
		}
		if n > 3 {
			return fmt.Errorf("decode Forward frame: %d elements, want 2 or 3", n)
		}
		return dec.decodeOptions(f, n-2)
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		f.Mode = ModePackedForward
		payload, err := dec.readPayload()
		if err != nil {
			return fmt.Errorf("decode PackedForward entries: %w", err)
		}
		if n > 3 {
			return fmt.Errorf("decode PackedForward frame: %d elements, want 2 or 3", n)
		}
		if err := dec.decodeOptions(f, n-2); err != nil {
			return err
		}
		if comp, ok := f.Options.Get("compressed"); ok {
			if comp != "gzip" {
				return fmt.Errorf("decode CompressedPackedForward: unsupported compression %v", comp)
			}
			f.Mode = ModeCompressedPackedForward
			if payload, err = gunzip(payload); err != nil {
				return fmt.Errorf("decode CompressedPackedForward: %w", err)
			}
		}
		return decodePacked(f, payload)
	default:
		f.Mode = ModeMessage
		if n < 3 {
			return fmt.Errorf("decode Message frame: %d elements, want 3 or 4", n)
		}
		var ev Event
		if ev.Time, ev.EventTime, err = decodeTime(d); err != nil {
			return fmt.Errorf("decode Message time: %w", err)
		}
		if ev.Time == (Time{}) && dec.now != nil {
			ev.Time = dec.now()
		}
		if ev.Record, err = decodeRecord(d); err != nil {
			return fmt.Errorf("decode Message record: %w", err)
		}
		f.Events = append(f.Events, ev)
		return dec.decodeOptions(f, n-3)
	}
}

// readPayload reads a str or bin value. The buffer grows with the bytes
// that actually arrive, so a length prefix alone cannot allocate much
// (msgpack's DecodeBytes allocates the announced length up front).
func (dec *Decoder) readPayload() ([]byte, error) {
	n, err := dec.d.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, nil
	}
	if n > MaxPayload {
		return nil, fmt.Errorf("payload of %d bytes exceeds the limit %d", n, MaxPayload)
	}
	var buf bytes.Buffer
	buf.Grow(min(n, 64<<10))
	if _, err := io.CopyN(&buf, dec.br, int64(n)); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

func (dec *Decoder) decodeEntries(f *Frame) error {
	d := dec.d
	n, err := d.DecodeArrayLen()
	if err != nil {
		return fmt.Errorf("decode Forward entries: %w", err)
	}
	if n > maxFrameElements {
		return fmt.Errorf("decode Forward entries: %d entries exceed the limit %d", n, maxFrameElements)
	}
	for i := 0; i < n; i++ {
		ev, err := decodeEntry(d)
		if err != nil {
			return fmt.Errorf("decode Forward entry %d: %w", i, err)
		}
		f.Events = append(f.Events, ev)
	}
	return nil
}

func decodePacked(f *Frame, payload []byte) error {
	r := bytes.NewReader(payload)
	d := msgpack.NewDecoder(r)
	for i := 0; r.Len() > 0; i++ {
		if i >= maxFrameElements {
			return fmt.Errorf("decode %s entries: more than %d entries", f.Mode, maxFrameElements)
		}
		ev, err := decodeEntry(d)
		if err != nil {
			return fmt.Errorf("decode %s entry %d: %w", f.Mode, i, err)
		}
		f.Events = append(f.Events, ev)
	}
	return nil
}

func decodeEntry(d *msgpack.Decoder) (Event, error) {
	var ev Event
	n, err := d.DecodeArrayLen()
	if err != nil {
		return ev, err
	}
	if n != 2 {
		return ev, fmt.Errorf("entry of %d elements, want [time, record]", n)
	}
	if ev.Time, ev.EventTime, err = decodeTime(d); err != nil {
		return ev, fmt.Errorf("time: %w", err)
	}
	if ev.Record, err = decodeRecord(d); err != nil {
		return ev, fmt.Errorf("record: %w", err)
	}
	return ev, nil
}

func (dec *Decoder) decodeOptions(f *Frame, remaining int) error {
	if remaining == 0 {
		return nil
	}
	c, err := dec.d.PeekCode()
	if err != nil {
		return fmt.Errorf("decode options: %w", err)
	}
	if c == msgpcode.Nil {
		return dec.d.DecodeNil()
	}
	opts, err := decodeRecord(dec.d)
	if err != nil {
		return fmt.Errorf("decode options: %w", err)
	}
	f.Options = opts
	if ch, ok := opts.Get("chunk"); ok {
		s, ok := ch.(string)
		if !ok {
			return fmt.Errorf("decode options: chunk is %T, want a string", ch)
		}
		f.Chunk = s
	}
	return nil
}

// decodeTime reads an integer, float or EventTime (ext type 0) time.
func decodeTime(d *msgpack.Decoder) (Time, bool, error) {
	c, err := d.PeekCode()
	if err != nil {
		return Time{}, false, err
	}
	switch {
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.DecodeFloat64()
		if err != nil {
			return Time{}, false, err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
			return Time{}, false, fmt.Errorf("time %v out of range", f)
		}
		sec, frac := math.Modf(f)
		return Time{Sec: int64(sec), Nsec: int64(frac * 1e9)}, false, nil
	case msgpcode.IsExt(c):
		id, n, err := d.DecodeExtHeader()
		if err != nil {
			return Time{}, false, err
		}
		if id != 0 || n != 8 {
			return Time{}, false, fmt.Errorf("ext type %d of %d bytes, want EventTime (type 0, 8 bytes)", id, n)
		}
		var b [8]byte
		if err := d.ReadFull(b[:]); err != nil {
			return Time{}, false, err
		}
		sec := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		nsec := uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
		return Time{Sec: int64(sec), Nsec: int64(nsec)}, true, nil
	default:
		if c == msgpcode.Uint64 {
			u, err := d.DecodeUint64()
			if err != nil {
				return Time{}, false, err
			}
			if u > math.MaxInt64 {
				return Time{}, false, fmt.Errorf("time %d out of range", u)
			}
			return Time{Sec: int64(u)}, false, nil
		}
		i, err := d.DecodeInt64()
		if err != nil {
			return Time{}, false, err
		}
		return Time{Sec: i}, false, nil
	}
}

// decodeRecord reads a map with string keys, keeping the key order.
// Records of any other type are rejected: the emulated pipeline can only
// route Hash records.
func decodeRecord(d *msgpack.Decoder) (router.Record, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	if !isMap(c) {
		return nil, fmt.Errorf("record is not a map (msgpack code 0x%02x)", c)
	}
	v, err := decodeValue(d, 0)
	if err != nil {
		return nil, err
	}
	return v.(router.Record), nil
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

// decodeValue decodes any msgpack value into the router's value types
// (router.Record for maps, []any, string, int64, uint64, float64, bool,
// nil), bounding preallocation and depth so that a hostile length prefix
// cannot exhaust memory. Map keys must be strings; a repeated key keeps its
// first position and its last value, as a Ruby Hash does. str and bin both
// decode to string, as msgpack-ruby gives a String for both.
func decodeValue(d *msgpack.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxDepth)
	}
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case isMap(c):
		n, err := d.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		m := make(router.Record, 0, min(n, maxPrealloc))
		for i := 0; i < n; i++ {
			k, err := d.DecodeString()
			if err != nil {
				return nil, fmt.Errorf("map key: %w", err)
			}
			v, err := decodeValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			m.Set(k, v)
		}
		return m, nil
	case isArray(c):
		n, err := d.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, nil
		}
		s := make([]any, 0, min(n, maxPrealloc))
		for i := 0; i < n; i++ {
			v, err := decodeValue(d, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		return d.DecodeString()
	case msgpcode.IsExt(c):
		id, _, err := d.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("unknown ext type %d in a record", id)
	case c == msgpcode.Float || c == msgpcode.Double:
		return d.DecodeFloat64()
	case c == msgpcode.Uint64:
		u, err := d.DecodeUint64()
		if err != nil || u > math.MaxInt64 {
			return u, err
		}
		return int64(u), nil
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		return d.DecodeInt64()
	default:
		return d.DecodeInterface()
	}
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxDecompressed+1))
	if err != nil {
		return nil, err
	}
	if len(out) > MaxDecompressed {
		return nil, fmt.Errorf("payload decompresses to more than %d bytes", MaxDecompressed)
	}
	return out, nil
}
