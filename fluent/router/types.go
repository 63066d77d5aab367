package router

import (
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
)

// EventTime is an event timestamp: seconds and nanoseconds since the Unix
// epoch. fluentd v0.12 keeps integer seconds only; Nsec is carried so a
// caller can see what was sent, but every formatting rule uses Sec.
type EventTime struct {
	Sec  int64
	Nsec uint32
	// IsFloat reports that the time arrived as a msgpack float, which
	// v0.12 keeps as a Ruby Float (Float holds it exactly; Sec and Nsec are
	// its whole seconds and fraction): out_tdlog's record['time'] = time
	// then stores a float (see RubyValue).
	IsFloat bool
	Float   float64
}

// Time returns t as a time.Time in loc.
func (t EventTime) Time(loc *time.Location) time.Time {
	return time.Unix(t.Sec, int64(t.Nsec)).In(loc)
}

// Event is one event entering the router.
type Event struct {
	Tag    string
	Time   EventTime
	Record record.Record
}

// Drop records that an event (or one branch of it, for a copy store) was
// not written.
type Drop struct {
	Kind record.DropKind
	// Tag is the event's tag at the point of the drop.
	Tag string
	// Plugin is the plugin type that dropped it ("parser",
	// "rewrite_tag_filter", "forest", "tdlog", "" for no match …).
	Plugin string
	// Pos is the config section responsible (zero for "no patterns matched").
	Pos config.Pos
	// Reason is fluentd's log message or an explanation.
	Reason string
}

// StepKind names a routing step.
type StepKind string

// Step kinds.
const (
	StepFilter StepKind = "filter" // a <filter> ran and kept the event
	StepMatch  StepKind = "match"  // the first matching <match> took the event
	StepRetag  StepKind = "retag"  // rewrite_tag_filter re-emitted with a new tag
	StepPlant  StepKind = "plant"  // forest planted (configured) instances for a tag
	// StepErrorEvent: a plugin sent the event to <label @ERROR>.
	StepErrorEvent StepKind = "error_event"
	// StepWarning: a plugin logged a warning and the event went on
	// (filter_parser with reserve_data).
	StepWarning StepKind = "warning"
)

// Step is one thing that happened to an event on its way.
type Step struct {
	Kind   StepKind
	Plugin string
	Pos    config.Pos
	// Tag is the tag at this step; NewTag is set for StepRetag.
	Tag    string
	NewTag string
	// Detail is a short human explanation (which rule fired, …).
	Detail string
}

// Delivery is one record written to one concrete output instance.
type Delivery struct {
	// Output is the output instance (stable for the router's lifetime;
	// forest instances are per tag).
	Output *Output
	// Tag and Time are what the output receives.
	Tag  string
	Time EventTime
	// Record is the record exactly as this output serialises it, after its
	// own mutations (s3 include_time_key, tdlog's "time"), copied at emit
	// time as fluentd serialises synchronously in emit.
	Record record.Record
	// Line is the formatted bytes for line-oriented outputs (s3, file,
	// stdout), newline included; nil for tdlog (use AppendMsgpack(Record)).
	Line []byte
	// TimeSlice is the chunk key for time-sliced outputs (s3, file): the
	// event time formatted with time_slice_format in the output's zone.
	TimeSlice string
	// ChunkKey is the buffer key fluentd v0.12 groups chunks by: the
	// TimeSlice for s3/file, "db.table" for tdlog, "" otherwise.
	ChunkKey string
}

// Journey is everything that happened to one input event.
type Journey struct {
	Input      Event
	Steps      []Step
	Deliveries []Delivery
	Drops      []Drop
}

// Output is one configured output instance (a leaf store: s3, tdlog, file,
// stdout, null). Pointers are stable: the emulator may key buffers on them.
type Output struct {
	// ID identifies the instance: its buffer_path when it has one,
	// otherwise "<type>@<file>:<line>" plus "[<tag>]" for forest instances.
	ID string
	// Type is the plugin type ("s3", "tdlog", "file", "stdout", "null").
	Type string
	// PlantTag is the tag forest planted this instance for ("" otherwise).
	PlantTag string
	// Conf is the resolved section (forest placeholders expanded). Its
	// parameter positions point at the template lines they came from.
	Conf *config.Element
	// BufferType is "file" or "memory"; BufferPath is "" for memory.
	BufferType string
	BufferPath string
	// FlushInterval is flush_interval (0 when not set for time-sliced
	// outputs, meaning slices are flushed after time_slice_wait).
	FlushInterval time.Duration
	// ChunkLimit is buffer_chunk_limit in bytes.
	ChunkLimit int64
	// QueueLimit, RetryLimit and RetryWait are the v0.12 buffer settings.
	QueueLimit int
	RetryLimit int
	RetryWait  time.Duration
	// MaxRetryWait caps the exponential backoff (max_retry_wait; 0 = none).
	MaxRetryWait time.Duration
	// TimeSliceWait is how long after a slice ends it is flushed when
	// FlushInterval is 0 (time-sliced outputs; default 10m).
	TimeSliceWait time.Duration
	// FlushAtShutdown: false for file buffers, true for memory buffers.
	FlushAtShutdown bool

	S3   *S3Config
	TD   *TDConfig
	File *FileConfig
}

// Source is a configured input (`<source>`).
type Source struct {
	Type string
	Pos  config.Pos
	// Port and Bind for in_forward (defaults 24224 and 0.0.0.0).
	Port  int
	Bind  string
	Label string
}
