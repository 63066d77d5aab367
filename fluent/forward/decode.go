// Package forward implements the server side of fluentd's forward protocol
// as fluentd v0.12.43's in_forward reads it (protocol v0), and, as an
// opt-in, the v1 additions clients send today: EventTime (msgpack ext type
// 0) and CompressedPackedForward. See shared/spec/fluentd-semantics.md §3.
//
// A Decoder turns a msgpack byte stream into Frames (a JSONDecoder does the
// same for connections that start with '{' or '['); a Server accepts TCP
// connections (and UDP heartbeats), hands each frame to a Session and
// answers `chunk` options with `{"ack": chunk}` once the session says the
// events are durably buffered.
//
// Framing follows in_forward's on_message (v0.12.43): a frame that is not
// an array is logged as a broken chunk and skipped; a Message without a
// record is ignored; Forward entries without a record are skipped and a
// zero time becomes the current time; a String record is passed on.
package forward

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
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
// fluentd v0.12 works in integer seconds; Nsec is kept for float and
// EventTime input. A time sent as a float stays a Ruby Float in v0.12
// (fluent-plugin-td stores it as such): IsFloat says so and Float holds it.
type Time struct {
	Sec     int64
	Nsec    int64
	IsFloat bool
	Float   float64
}

// Event is one (time, record) pair.
type Event struct {
	Time Time
	// Record is the record when it is a map (a Ruby Hash).
	Record record.Record
	// Raw is the record when it is a msgpack string (Record is nil then):
	// in_forward passes a String record on to the router as it is.
	Raw any
	// EventTime reports that the time arrived as msgpack ext type 0 (only
	// decoded when the Decoder accepts EventTime).
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
	Options record.Record
	// Skipped counts the Forward entries without a record left out of this
	// frame, and the Messages without a record skipped before it.
	Skipped int
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

// RubyError is an exception fluentd v0.12 raises while it reads a
// connection. in_forward logs it as
//
//	forward error error=#<Class: Message> error_class=Class
//
// and closes the connection: the frame that raised and everything after it
// on that connection is lost, while the frames before it were emitted.
type RubyError struct {
	Class   string
	Message string
	// InEmit reports that the exception is raised inside the emit of the
	// frame's events rather than while unpacking the frame: a PackedForward
	// payload is unpacked there, by the first plugin of the tag's pipeline.
	// fluentd's router then logs `emit transaction failed` with Tag before
	// in_forward logs `forward error`. None of the frame's events is
	// emitted: the plugins of the production pipeline (filter_parser,
	// buffered outputs) read the whole stream before passing any event on.
	InEmit bool
	Tag    string
}

func (e *RubyError) Error() string { return "#<" + e.Class + ": " + e.Message + ">" }

// errUnknownExt is what msgpack-ruby raises on an ext value whose type is
// not registered; fluentd v0.12 registers none, so every ext value raises.
func errUnknownExt() *RubyError {
	return &RubyError{Class: "MessagePack::UnknownExtTypeError", Message: "unexpected extension type"}
}

// errNilIndex is what `record[key]` raises on a nil record.
func errNilIndex() *RubyError {
	return &RubyError{Class: "NoMethodError", Message: "undefined method `[]' for nil:NilClass"}
}

// BrokenChunkError is a frame that is neither an array nor nil. in_forward
// logs `incoming chunk is broken:` with the value's inspect and reads on:
// the value is consumed and the stream stays usable.
type BrokenChunkError struct {
	// Inspect is the value as Ruby's inspect prints it.
	Inspect string
}

func (e *BrokenChunkError) Error() string { return "incoming chunk is broken: msg=" + e.Inspect }

// ErrNotArray is returned for a frame whose top-level value is not an array
// where a frame must be one (a JSON frame's array elements).
var ErrNotArray = errors.New("forward frame is not an array")

// Decoder reads frames from a msgpack stream. It is not safe for
// concurrent use.
type Decoder struct {
	br *bufio.Reader
	d  *msgpack.Decoder
	// now returns the time used for events whose time is 0.
	now  func() Time
	v012 bool
}

// DecoderOption configures a Decoder.
type DecoderOption func(*Decoder)

// V012Unpacker makes the Decoder unpack as fluentd v0.12's msgpack-ruby
// unpacker does: no ext type is registered, so any ext value (EventTime
// included) anywhere in a frame is a MessagePack::UnknownExtTypeError
// RubyError, and the `compressed` option is not read (a gzip payload is
// unpacked as it is). Without it, EventTime is decoded and
// CompressedPackedForward decompressed, as fluentd v1 does.
func V012Unpacker() DecoderOption { return func(d *Decoder) { d.v012 = true } }

// NewDecoder returns a Decoder reading from r. now supplies the time for
// events sent with time 0 (fluentd replaces those by the current time).
func NewDecoder(r io.Reader, now func() Time, opts ...DecoderOption) *Decoder {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	dec := &Decoder{br: br, d: msgpack.NewDecoder(br), now: now}
	for _, o := range opts {
		o(dec)
	}
	return dec
}

// Buffered reports how many bytes are read but not yet decoded.
func (dec *Decoder) Buffered() int { return dec.br.Buffered() }

// Decode reads the next frame into f. Heartbeats (msgpack nil) and
// Messages without a record are skipped, as in_forward skips them. It
// returns io.EOF at a clean end of stream and a *BrokenChunkError for a
// frame that is not an array, after which decoding can go on; any other
// error means the stream is unusable and the connection must be closed.
func (dec *Decoder) Decode(f *Frame) error {
	ignored, err := dec.decode(f)
	f.Skipped += ignored
	return err
}

// decode is Decode, returning the number of Messages it skipped.
func (dec *Decoder) decode(f *Frame) (int, error) {
	ignored := 0
	for {
		c, err := dec.d.PeekCode()
		if err != nil {
			return ignored, err
		}
		if c == msgpcode.Nil {
			if err := dec.d.DecodeNil(); err != nil {
				return ignored, err
			}
			continue
		}
		if !isArray(c) {
			v, err := dec.value(dec.d, 0)
			if err != nil {
				return ignored, fmt.Errorf("decode frame: %w", err)
			}
			return ignored, &BrokenChunkError{Inspect: rubyInspect(v)}
		}
		ok, err := dec.decodeFrame(f)
		if err != nil || ok {
			return ignored, err
		}
		ignored++
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

// decodeFrame decodes an array frame. It reports false for a frame
// in_forward ignores: a Message without a record (and no ack is sent).
func (dec *Decoder) decodeFrame(f *Frame) (bool, error) {
	resetFrame(f)
	d := dec.d
	n, err := d.DecodeArrayLen()
	if err != nil {
		return false, fmt.Errorf("decode frame: %w", err)
	}
	if n > maxFrameElements {
		return false, fmt.Errorf("decode frame: array of %d elements exceeds the limit %d", n, maxFrameElements)
	}
	if n < 2 {
		// [] or [tag]: msg[1] and msg[2] are nil, a Message without record.
		return false, dec.skip(n)
	}
	// A tag that is not a string is an error once the frame is known to
	// carry events: a Message without a record never reaches the router.
	var badTag error
	c, err := d.PeekCode()
	if err != nil {
		return false, fmt.Errorf("decode frame tag: %w", err)
	}
	if msgpcode.IsString(c) || msgpcode.IsBin(c) {
		if f.Tag, err = d.DecodeString(); err != nil {
			return false, fmt.Errorf("decode frame tag: %w", err)
		}
	} else {
		tag, err := dec.value(d, 0)
		if err != nil {
			return false, fmt.Errorf("decode frame tag: %w", err)
		}
		badTag = fmt.Errorf("decode frame: tag is %s, want a string", rubyInspect(tag))
	}
	if c, err = d.PeekCode(); err != nil {
		return false, fmt.Errorf("decode frame: %w", err)
	}
	switch {
	case isArray(c):
		f.Mode = ModeForward
		if err := dec.decodeEntries(f); err != nil {
			return false, err
		}
		if err := dec.decodeOptions(f, n-2); err != nil {
			return false, err
		}
		return true, badTag
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		f.Mode = ModePackedForward
		payload, err := dec.readPayload()
		if err != nil {
			return false, fmt.Errorf("decode PackedForward entries: %w", err)
		}
		if err := dec.decodeOptions(f, n-2); err != nil {
			return false, err
		}
		if badTag != nil {
			return false, badTag
		}
		if comp, ok := f.Options.Get("compressed"); ok && !dec.v012 {
			if comp != "gzip" {
				return false, fmt.Errorf("decode CompressedPackedForward: unsupported compression %v", comp)
			}
			f.Mode = ModeCompressedPackedForward
			if payload, err = gunzip(payload); err != nil {
				return false, fmt.Errorf("decode CompressedPackedForward: %w", err)
			}
		}
		return true, dec.decodePacked(f, payload)
	default:
		f.Mode = ModeMessage
		var ev Event
		tv, err := dec.decodeTime(d)
		if err != nil {
			return false, fmt.Errorf("decode Message time: %w", err)
		}
		if n < 3 {
			return false, nil
		}
		rec, raw, err := dec.decodeRecord(d)
		if err != nil {
			return false, fmt.Errorf("decode Message record: %w", err)
		}
		if rec == nil && raw == nil {
			return false, dec.skip(n - 3)
		}
		if !tv.ok {
			return false, fmt.Errorf("decode Message time: %s, want a number", rubyInspect(tv.v))
		}
		ev.Time, ev.EventTime, ev.Record, ev.Raw = tv.t, tv.eventTime, rec, raw
		// in_forward: `time = Engine.now if time == 0` (0.0 == 0 too).
		if ev.Time == (Time{}) && dec.now != nil {
			ev.Time = dec.now()
		}
		f.Events = append(f.Events, ev)
		if err := dec.decodeOptions(f, n-3); err != nil {
			return false, err
		}
		return true, badTag
	}
}

// skip consumes n values (unpacking them, so that an ext value raises as
// it does in msgpack-ruby).
func (dec *Decoder) skip(n int) error { return dec.skipIn(dec.d, n) }

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

// decodeEntries reads Forward entries as in_forward does: an entry whose
// record (e[1]) is nil is skipped, a time whose to_i is 0 becomes the
// current time (taken once per frame), elements past the second are
// ignored.
func (dec *Decoder) decodeEntries(f *Frame) error {
	d := dec.d
	n, err := d.DecodeArrayLen()
	if err != nil {
		return fmt.Errorf("decode Forward entries: %w", err)
	}
	if n > maxFrameElements {
		return fmt.Errorf("decode Forward entries: %d entries exceed the limit %d", n, maxFrameElements)
	}
	var now *Time
	for i := 0; i < n; i++ {
		c, err := d.PeekCode()
		if err != nil {
			return fmt.Errorf("decode Forward entry %d: %w", i, err)
		}
		if c == msgpcode.Nil {
			d.DecodeNil() //nolint:errcheck // peeked
			// e[1] on nil raises in on_message.
			return errNilIndex()
		}
		if !isArray(c) {
			v, err := dec.value(d, 0)
			if err != nil {
				return fmt.Errorf("decode Forward entry %d: %w", i, err)
			}
			return fmt.Errorf("decode Forward entry %d: %s, want [time, record]", i, rubyInspect(v))
		}
		m, err := d.DecodeArrayLen()
		if err != nil {
			return fmt.Errorf("decode Forward entry %d: %w", i, err)
		}
		if m < 2 {
			if err := dec.skip(m); err != nil {
				return fmt.Errorf("decode Forward entry %d: %w", i, err)
			}
			f.Skipped++
			continue
		}
		tv, err := dec.decodeTime(d)
		if err != nil {
			return fmt.Errorf("decode Forward entry %d time: %w", i, err)
		}
		rec, raw, err := dec.decodeRecord(d)
		if err != nil {
			return fmt.Errorf("decode Forward entry %d record: %w", i, err)
		}
		if err := dec.skip(m - 2); err != nil {
			return fmt.Errorf("decode Forward entry %d: %w", i, err)
		}
		if rec == nil && raw == nil {
			f.Skipped++
			continue
		}
		ev := Event{Time: tv.t, EventTime: tv.eventTime, Record: rec, Raw: raw}
		switch {
		case tv.ok && tv.t.Sec != 0:
		case tv.ok || tv.v == nil:
			// time.to_i == 0 (nil.to_i too): Engine.now.
			if now == nil && dec.now != nil {
				t := dec.now()
				now = &t
			}
			if now != nil {
				ev.Time = *now
			}
		default:
			return fmt.Errorf("decode Forward entry %d time: %s, want a number", i, rubyInspect(tv.v))
		}
		f.Events = append(f.Events, ev)
	}
	return nil
}

// decodePacked reads a PackedForward payload as MessagePackEventStream
// does when the first plugin iterates it: each unpacked object is an
// entry [time, record] (a non-array object is taken as a time with a nil
// record, which raises NoMethodError at the first `record[key]`), times
// are kept as sent (0 included), and an incomplete object at the end is
// left unread (feed_each yields complete objects only). Errors are
// raised inside the emit.
func (dec *Decoder) decodePacked(f *Frame, payload []byte) error {
	r := bytes.NewReader(payload)
	d := msgpack.NewDecoder(r)
	inEmit := func(err error) error {
		if re, ok := errors.AsType[*RubyError](err); ok {
			re.InEmit, re.Tag = true, f.Tag
			return re
		}
		return fmt.Errorf("decode %s entries: %w", f.Mode, err)
	}
	for i := 0; r.Len() > 0; i++ {
		if i >= maxFrameElements {
			return fmt.Errorf("decode %s entries: more than %d entries", f.Mode, maxFrameElements)
		}
		ev, ok, err := dec.decodePackedEntry(d)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return inEmit(err)
		}
		if !ok {
			return inEmit(errNilIndex())
		}
		f.Events = append(f.Events, ev)
	}
	return nil
}

// decodePackedEntry reads one object of a packed stream; ok is false when
// its record is nil.
func (dec *Decoder) decodePackedEntry(d *msgpack.Decoder) (Event, bool, error) {
	var ev Event
	c, err := d.PeekCode()
	if err != nil {
		return ev, false, err
	}
	if !isArray(c) {
		if _, err := dec.value(d, 0); err != nil {
			return ev, false, err
		}
		return ev, false, nil
	}
	n, err := d.DecodeArrayLen()
	if err != nil {
		return ev, false, err
	}
	if n < 2 {
		return ev, false, dec.skipIn(d, n)
	}
	tv, err := dec.decodeTime(d)
	if err != nil {
		return ev, false, err
	}
	rec, raw, err := dec.decodeRecord(d)
	if err != nil {
		return ev, false, err
	}
	if err := dec.skipIn(d, n-2); err != nil {
		return ev, false, err
	}
	if rec == nil && raw == nil {
		return ev, false, nil
	}
	if !tv.ok {
		return ev, false, fmt.Errorf("time %s, want a number", rubyInspect(tv.v))
	}
	ev.Time, ev.EventTime, ev.Record, ev.Raw = tv.t, tv.eventTime, rec, raw
	return ev, true, nil
}

// skipIn is skip on another msgpack decoder (a packed payload's).
func (dec *Decoder) skipIn(d *msgpack.Decoder, n int) error {
	for range n {
		if _, err := dec.value(d, 0); err != nil {
			return err
		}
	}
	return nil
}

// decodeOptions reads the option element, if the frame has one, and
// consumes any element after it (in_forward ignores those).
func (dec *Decoder) decodeOptions(f *Frame, remaining int) error {
	if remaining <= 0 {
		return nil
	}
	c, err := dec.d.PeekCode()
	if err != nil {
		return fmt.Errorf("decode options: %w", err)
	}
	if c == msgpcode.Nil {
		if err := dec.d.DecodeNil(); err != nil {
			return err
		}
		return dec.skip(remaining - 1)
	}
	if !isMap(c) {
		return fmt.Errorf("decode options: msgpack code 0x%02x, want a map", c)
	}
	v, err := dec.value(dec.d, 0)
	if err != nil {
		return fmt.Errorf("decode options: %w", err)
	}
	opts, _ := v.(record.Record)
	f.Options = opts
	if ch, ok := opts.Get("chunk"); ok {
		s, ok := ch.(string)
		if !ok {
			return fmt.Errorf("decode options: chunk is %T, want a string", ch)
		}
		f.Chunk = s
	}
	return dec.skip(remaining - 1)
}

// timeValue is a decoded time element: t when it is a number (ok), the
// value as decoded otherwise.
type timeValue struct {
	t         Time
	eventTime bool
	ok        bool
	v         any
}

// decodeTime reads a time element: an integer, a float, an EventTime
// (ext type 0, unless the Decoder unpacks as v0.12) or, not ok, any other
// value.
func (dec *Decoder) decodeTime(d *msgpack.Decoder) (timeValue, error) {
	c, err := d.PeekCode()
	if err != nil {
		return timeValue{}, err
	}
	switch {
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := d.DecodeFloat64()
		if err != nil {
			return timeValue{}, err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
			return timeValue{}, fmt.Errorf("time %v out of range", f)
		}
		sec, frac := math.Modf(f)
		return timeValue{t: Time{Sec: int64(sec), Nsec: int64(frac * 1e9), IsFloat: true, Float: f}, ok: true}, nil
	case msgpcode.IsExt(c):
		id, n, err := d.DecodeExtHeader()
		if err != nil {
			return timeValue{}, err
		}
		var b [8]byte
		if id != 0 || n != 8 {
			if err := discard(d, n); err != nil {
				return timeValue{}, err
			}
			if dec.v012 {
				return timeValue{}, errUnknownExt()
			}
			return timeValue{}, fmt.Errorf("ext type %d of %d bytes, want EventTime (type 0, 8 bytes)", id, n)
		}
		if err := d.ReadFull(b[:]); err != nil {
			return timeValue{}, err
		}
		if dec.v012 {
			return timeValue{}, errUnknownExt()
		}
		sec := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		nsec := uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
		return timeValue{t: Time{Sec: int64(sec), Nsec: int64(nsec)}, eventTime: true, ok: true}, nil
	case c == msgpcode.Uint64:
		u, err := d.DecodeUint64()
		if err != nil {
			return timeValue{}, err
		}
		if u > math.MaxInt64 {
			return timeValue{}, fmt.Errorf("time %d out of range", u)
		}
		return timeValue{t: Time{Sec: int64(u)}, ok: true}, nil
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		i, err := d.DecodeInt64()
		if err != nil {
			return timeValue{}, err
		}
		return timeValue{t: Time{Sec: i}, ok: true}, nil
	default:
		v, err := dec.value(d, 0)
		return timeValue{v: v}, err
	}
}

// discard reads and drops n bytes of an ext value.
func discard(d *msgpack.Decoder, n int) error {
	var b [256]byte
	for n > 0 {
		k := min(n, len(b))
		if err := d.ReadFull(b[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// decodeRecord reads a record element: a map (rec, with its key order), a
// string (raw), or nil (both nil). Any other record is rejected: v0.12's
// plugins raise on it (Integer#[] and Array#[] with a String key are
// TypeErrors, Float and booleans have no []).
func (dec *Decoder) decodeRecord(d *msgpack.Decoder) (record.Record, any, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, nil, err
	}
	switch {
	case c == msgpcode.Nil:
		return nil, nil, d.DecodeNil()
	case isMap(c):
		v, err := dec.value(d, 0)
		if err != nil {
			return nil, nil, err
		}
		rec, _ := v.(record.Record)
		if rec == nil {
			rec = record.Record{}
		}
		return rec, nil, nil
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		s, err := d.DecodeString()
		return nil, s, err
	}
	v, err := dec.value(d, 0)
	if err != nil {
		return nil, nil, err
	}
	return nil, nil, fmt.Errorf("record %s is not a map", rubyInspect(v))
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

func isArray(c byte) bool {
	return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
}

// value decodes any msgpack value into the router's value types
// (router.Record for maps, []any, string, int64, uint64, float64, bool,
// nil), bounding preallocation and depth so that a hostile length prefix
// cannot exhaust memory. A map key is a string or an integer, kept as its
// decimal digits (Ruby's to_s, which is how fluentd's JSON formatters
// write it); a repeated key keeps its first position and its last value,
// as a Ruby Hash does. str and bin both decode to string, as msgpack-ruby
// gives a String for both. An ext value is a MessagePack::UnknownExtTypeError
// when the Decoder unpacks as v0.12 (and an error otherwise: only a time
// may be an EventTime).
func (dec *Decoder) value(d *msgpack.Decoder, depth int) (any, error) {
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
		m := make(record.Record, 0, min(n, maxPrealloc))
		for i := 0; i < n; i++ {
			k, err := dec.key(d, depth)
			if err != nil {
				return nil, fmt.Errorf("map key: %w", err)
			}
			v, err := dec.value(d, depth+1)
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
			v, err := dec.value(d, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		return d.DecodeString()
	case msgpcode.IsExt(c):
		id, n, err := d.DecodeExtHeader()
		if err != nil {
			return nil, err
		}
		if err := discard(d, n); err != nil {
			return nil, err
		}
		if dec.v012 {
			return nil, errUnknownExt()
		}
		return nil, fmt.Errorf("ext type %d in a record or option", id)
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
	case c == neverUsed:
		return nil, &RubyError{Class: "MessagePack::MalformedFormatError", Message: "invalid byte"}
	default:
		return d.DecodeInterface()
	}
}

// neverUsed is the one msgpack type byte that means nothing: msgpack-ruby
// raises MalformedFormatError on it.
const neverUsed = 0xc1

// key reads a map key: a string, or an integer as its decimal digits.
func (dec *Decoder) key(d *msgpack.Decoder, depth int) (string, error) {
	c, err := d.PeekCode()
	if err != nil {
		return "", err
	}
	if msgpcode.IsString(c) || msgpcode.IsBin(c) {
		return d.DecodeString()
	}
	v, err := dec.value(d, depth+1)
	if err != nil {
		return "", err
	}
	switch k := v.(type) {
	case int64:
		return strconv.FormatInt(k, 10), nil
	case uint64:
		return strconv.FormatUint(k, 10), nil
	}
	return "", fmt.Errorf("%s, want a string or an integer", rubyInspect(v))
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

// rubyInspect writes v as Ruby 2.5's inspect prints the value msgpack-ruby
// unpacks it to (fluentd's log lines show values that way).
func rubyInspect(v any) string { return string(appendInspect(nil, v)) }

func appendInspect(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "nil"...)
	case bool:
		return strconv.AppendBool(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		return append(b, record.RubyFloat(x)...)
	case string:
		return appendRubyString(b, x)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendInspect(b, e)
		}
		return append(b, ']')
	case record.Record:
		b = append(b, '{')
		for i, fl := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRubyString(b, fl.Key)
			b = append(b, "=>"...)
			b = appendInspect(b, fl.Value)
		}
		return append(b, '}')
	}
	return fmt.Appendf(b, "%v", v)
}

// appendRubyString writes s as String#inspect does for a UTF-8 string.
func appendRubyString(b []byte, s string) []byte {
	b = append(b, '"')
	for i, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '#' && i+1 < len(s) && (s[i+1] == '{' || s[i+1] == '$' || s[i+1] == '@'):
			b = append(b, '\\', '#')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == 0x1b:
			b = append(b, '\\', 'e')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\v':
			b = append(b, '\\', 'v')
		case r == '\a':
			b = append(b, '\\', 'a')
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b = fmt.Appendf(b, "\\x%02X", s[i])
		case r < 0x20 || r == 0x7f:
			b = fmt.Appendf(b, "\\u%04X", r)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}
