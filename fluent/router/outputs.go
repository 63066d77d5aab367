package router

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/config"
)

// copyOutput is out_copy v0.12 (spec §4.4): the same record object goes to
// every store in order through an OutputChain, each store's emit calling
// the next one's. A buffered store (s3, tdlog, file) formats its record,
// then calls the rest of the chain, and appends its record only when the
// rest returned (BasicBuffer#emit: chain.next before `top << data`), so an
// exception in a later store aborts the stores after it and takes back
// what the buffered stores before it were about to append: none of them
// writes the event. out_stdout writes before calling the chain and keeps
// its line. A copy nested in a store, or a forest one, joins the chain.
type copyOutput struct {
	el       *config.Element
	deepCopy bool
	stores   []outputPlugin
}

func (r *Router) newCopy(el *config.Element, plantTag string, static bool) (*copyOutput, error) {
	c := &copyOutput{el: el}
	if p := el.Param("deep_copy"); p != nil {
		c.deepCopy = boolValue(p.Value)
	}
	for _, st := range el.Children("store") {
		typ, tp := st.Type()
		if tp == nil {
			return nil, config.Errorf(st.Pos, "Missing 'type' parameter on <store> directive")
		}
		o, err := r.newOutput(typ, tp, st, plantTag, static)
		if err != nil {
			return nil, err
		}
		c.stores = append(c.stores, o)
	}
	return c, nil
}

func (c *copyOutput) leafOutputs() []*Output {
	var out []*Output
	for _, s := range c.stores {
		if ll, ok := s.(leafLister); ok {
			out = append(out, ll.leafOutputs()...)
		}
	}
	return out
}

func (c *copyOutput) emit(ctx *emitCtx, e *event) {
	if ctx.inChain {
		c.emitStores(ctx, e)
		return
	}
	// The outermost copy of the chain: it takes back the buffered records
	// of every store of the chain when one raises. A chain started by a
	// re-emitted event inside this one stacks its records above ours and
	// pops them when it is done.
	ctx.inChain = true
	base := len(ctx.r.pending)
	if c.emitStores(ctx, e) {
		ctx.j.Deliveries = removeDeliveries(ctx.j.Deliveries, ctx.r.pending[base:])
	}
	ctx.r.pending = ctx.r.pending[:base]
	ctx.inChain = false
}

// emitStores emits e to each store in order and reports whether one raised
// (a DropConnectionClosed), which aborts the remaining stores.
func (c *copyOutput) emitStores(ctx *emitCtx, e *event) (raised bool) {
	for i, s := range c.stores {
		ev := e
		if c.deepCopy && i < len(c.stores)-1 {
			cp := *e
			cp.rec = e.rec.Clone()
			ev = &cp
		}
		before := len(ctx.j.Drops)
		s.emit(ctx, ev)
		for _, d := range ctx.j.Drops[before:] {
			if d.Kind == record.DropConnectionClosed {
				return true
			}
		}
	}
	return false
}

// removeDeliveries removes the deliveries at the ascending indices idx.
func removeDeliveries(ds []Delivery, idx []int) []Delivery {
	if len(idx) == 0 {
		return ds
	}
	out := ds[:idx[0]]
	for k, i := range idx {
		end := len(ds)
		if k+1 < len(idx) {
			end = idx[k+1]
		}
		out = append(out, ds[i+1:end]...)
	}
	return out
}

// buffered appends d, a buffered store's record, to the journey; inside a
// copy chain it is taken back if a later store raises.
func (c *emitCtx) buffered(d Delivery) {
	if c.inChain {
		c.r.pending = append(c.r.pending, len(c.j.Deliveries))
	}
	c.j.Deliveries = append(c.j.Deliveries, d)
}

// leaf is a terminal output instance.
type leaf struct {
	out *Output
	fmt *Formatter
	// nameKey and nameErr cache chunkNameError's last answer.
	nameKey, nameErr string
	nameOK           bool
}

// sampleChunkID stands for buf_file's chunk id in chunk names: every id
// of a chunk created between 1978 and 2112 has its 16 hex digits.
const sampleChunkID uint64 = 1 << 62

// chunkNameError says why buf_file cannot create the staged chunk of key
// of o: its file name, buffer_path's last component with the escaped key
// and the chunk id, is over buffer.NameMax bytes. It returns "" when the
// name fits or o has no file buffer.
func chunkNameError(o *Output, key string) string {
	if o.BufferType != "file" {
		return ""
	}
	p := buffer.ChunkPath(o.BufferPath, key, 'b', sampleChunkID)
	name := path.Base(p)
	if len(name) <= buffer.NameMax {
		return ""
	}
	id := fmt.Sprintf(".b%x", sampleChunkID)
	if i := strings.LastIndex(p, id); i >= 0 {
		p = p[:i] + ".b<16 hex digits>" + p[i+len(id):]
	}
	return fmt.Sprintf("error_class=Errno::ENAMETOOLONG error=\"File name too long @ rb_sysopen - %s\": the chunk's file name is %d bytes, over the %d a file name may have", p, len(name), buffer.NameMax)
}

// raiseOnChunkName drops e as the exception buf_file's new_chunk raises
// when the chunk of key cannot be created, and reports whether it did.
func (l *leaf) raiseOnChunkName(c *emitCtx, e *event, key string) bool {
	if !l.nameOK || l.nameKey != key {
		l.nameKey, l.nameErr, l.nameOK = key, chunkNameError(l.out, key), true
	}
	if l.nameErr == "" {
		return false
	}
	c.drop(record.DropConnectionClosed, e.tag, l.out.Type, l.out.Conf.Pos,
		"emit transaction failed: %s; the stores before it in a copy write nothing either, and in_forward logs \"forward error\" and closes the connection", l.nameErr)
	return true
}

func (l *leaf) leafOutputs() []*Output { return []*Output{l.out} }

// newLeaf configures s3, tdlog, file, stdout or null. It registers the
// buffer path (buf_file's process-wide registry) like fluentd's configure.
func (r *Router) newLeaf(typ string, el *config.Element, plantTag string) (*leaf, error) {
	o := &Output{Type: typ, PlantTag: plantTag, Conf: el, QueueLimit: 256, RetryLimit: 17, RetryWait: time.Second}
	l := &leaf{out: o}
	loc, err := outputLocation(el, r.loc)
	if err != nil {
		return nil, err
	}
	buffered := true
	switch typ {
	case "s3":
		o.BufferType, o.ChunkLimit, o.TimeSliceWait = "file", 256<<20, 10*time.Minute
	case "file":
		o.BufferType, o.ChunkLimit, o.TimeSliceWait = "file", 256<<20, 10*time.Minute
		if p, ok := el.Get("path"); ok && el.Param("buffer_path") == nil {
			o.BufferPath = p + ".*"
		}
	case "tdlog":
		o.BufferType, o.ChunkLimit, o.FlushInterval = "file", 32<<20, 300*time.Second
	default:
		buffered = false
	}
	if buffered {
		if err := r.configureBuffer(o, el, typ == "s3" || typ == "file"); err != nil {
			return nil, err
		}
	}
	switch typ {
	case "s3":
		cfg, err := r.newS3Config(el, loc)
		if err != nil {
			return nil, err
		}
		o.S3 = cfg
		l.fmt = cfg.Format
	case "tdlog":
		cfg, err := newTDConfig(el)
		if err != nil {
			return nil, err
		}
		o.TD = cfg
	case "file":
		cfg, err := newFileConfig(el, loc)
		if err != nil {
			return nil, err
		}
		o.File = cfg
		l.fmt = cfg.Format
	case "stdout":
		f, err := newFormatter(el, "json", loc)
		if err != nil {
			return nil, err
		}
		l.fmt = f
	}
	o.ID = o.BufferPath
	if o.ID == "" || o.BufferType != "file" {
		o.ID = fmt.Sprintf("%s@%s:%d", typ, el.Pos.File, el.Pos.Line)
		if plantTag != "" {
			o.ID += "[" + plantTag + "]"
		}
	}
	if plantTag == "" {
		r.outputs = append(r.outputs, o)
	}
	return l, nil
}

// configureBuffer reads the v0.12 flat buffer parameters and registers a
// file buffer's path.
func (r *Router) configureBuffer(o *Output, el *config.Element, timeSliced bool) error {
	if v, ok := el.Get("buffer_type"); ok {
		o.BufferType = v
	}
	if o.BufferType != "file" && o.BufferType != "memory" {
		p := el.Param("buffer_type")
		return config.Errorf(p.ValuePos, "unsupported buffer_type %q (supported: file, memory)", o.BufferType)
	}
	if p := el.Param("flush_interval"); p != nil {
		o.FlushInterval = timeValue(p.Value)
	} else if !timeSliced && o.FlushInterval == 0 {
		o.FlushInterval = 60 * time.Second
	}
	if p := el.Param("buffer_chunk_limit"); p != nil {
		o.ChunkLimit = sizeValue(p.Value)
	} else if !timeSliced && o.Type != "tdlog" {
		o.ChunkLimit = 8 << 20
	}
	for _, ip := range []struct {
		key string
		dst *int
	}{{"buffer_queue_limit", &o.QueueLimit}, {"retry_limit", &o.RetryLimit}} {
		if p := el.Param(ip.key); p != nil {
			n, err := strconv.Atoi(p.Value)
			if err != nil {
				return config.Errorf(p.ValuePos, "%s: invalid integer %q", ip.key, p.Value)
			}
			*ip.dst = n
		}
	}
	for _, dp := range []struct {
		key string
		dst *time.Duration
	}{{"max_retry_wait", &o.MaxRetryWait}, {"time_slice_wait", &o.TimeSliceWait}} {
		if p := el.Param(dp.key); p != nil {
			*dp.dst = timeValue(p.Value)
		}
	}
	o.FlushAtShutdown = o.BufferType == "memory"
	if p := el.Param("flush_at_shutdown"); p != nil {
		o.FlushAtShutdown = boolValue(p.Value)
	}
	if p := el.Param("retry_wait"); p != nil {
		o.RetryWait = timeValue(p.Value)
	}
	if o.BufferType != "file" {
		o.BufferPath = ""
		return nil
	}
	if p := el.Param("buffer_path"); p != nil {
		o.BufferPath = p.Value
	}
	if o.BufferPath == "" {
		return config.Errorf(el.Pos, "%s: 'buffer_path' parameter is required for buffer_type file", o.Type)
	}
	if owner, dup := r.paths[o.BufferPath]; dup {
		return config.Errorf(el.Pos, "Other '%s' plugin already use same buffer_path: type = %s, buffer_path = %s", owner, owner, o.BufferPath)
	}
	r.paths[o.BufferPath] = o.Type
	return nil
}

func (l *leaf) emit(c *emitCtx, e *event) {
	o := l.out
	switch o.Type {
	case "null":
		c.drop(record.DropSilent, e.tag, "null", o.Conf.Pos, "discarded by out_null")
		return
	case "stdout":
		d := Delivery{Output: o, Tag: e.tag, Time: e.time}
		t := e.time.Time(l.fmt.Location)
		line := AppendStrftime(nil, t, "%Y-%m-%d %H:%M:%S %z")
		line = append(line, ' ')
		line = append(line, e.tag...)
		line = append(line, ": "...)
		if e.raw != nil {
			line = record.AppendJSON(line, e.raw)
			line = append(line, '\n')
		} else {
			line = l.fmt.Format(line, e.tag, e.time, &e.rec)
			d.Record = e.rec.Clone()
		}
		d.Line = line
		c.j.Deliveries = append(c.j.Deliveries, d)
		return
	}
	if o.Type == "tdlog" && e.raw != nil {
		c.drop(record.DropSilent, e.tag, "tdlog", o.Conf.Pos, "non-Hash record (%s) skipped by out_tdlog", rubyClass(e.raw))
		return
	}
	if c.nonHash(e, o.Type, o.Conf.Pos) {
		return
	}
	switch o.Type {
	case "s3", "file":
		d := Delivery{Output: o, Tag: e.tag, Time: e.time}
		if o.S3 != nil {
			d.TimeSlice = o.S3.TimeSlice(e.time)
		} else {
			d.TimeSlice = o.File.TimeSlice(e.time)
		}
		d.ChunkKey = d.TimeSlice
		d.Line = l.fmt.Format(make([]byte, 0, 256), e.tag, e.time, &e.rec)
		if l.raiseOnChunkName(c, e, d.ChunkKey) {
			return
		}
		d.Record = e.rec.Clone()
		c.buffered(d)
	case "tdlog":
		db, table, err := o.TD.Target(e.tag)
		if err != nil {
			c.drop(record.DropConnectionClosed, e.tag, "tdlog", o.Conf.Pos, "emit transaction failed: %v", err)
			return
		}
		// format_stream: record['time'] = time (a float time stays a Float).
		e.rec.Set("time", e.time.RubyValue())
		key := db + "." + table
		if l.raiseOnChunkName(c, e, key) {
			return
		}
		if len(e.rec) > TDKeyLimit {
			c.drop(record.DropError, e.tag, "tdlog", o.Conf.Pos, "Skipped a broken record: too many number of keys (%d keys)", len(e.rec))
			return
		}
		// to_msgpack, rescue RangeError → normalized_msgpack; a nested
		// Bignum raises out of the emit.
		if _, err := TDNormalize(e.rec); err != nil {
			c.drop(record.DropConnectionClosed, e.tag, "tdlog", o.Conf.Pos, "emit transaction failed: %v; the stores before it in a copy write nothing either, and in_forward logs \"forward error\" and closes the connection", err)
			return
		}
		c.buffered(Delivery{Output: o, Tag: e.tag, Time: e.time, Record: e.rec.Clone(), ChunkKey: key})
	}
}

// FileConfig is out_file's configuration (v0.12).
type FileConfig struct {
	Path            string
	TimeSliceFormat string
	Location        *time.Location
	Compress        bool
	Append          bool
	Format          *Formatter
}

func newFileConfig(el *config.Element, loc *time.Location) (*FileConfig, error) {
	c := &FileConfig{TimeSliceFormat: "%Y%m%d", Location: loc}
	p := el.Param("path")
	if p == nil {
		return nil, config.Errorf(el.Pos, "file: 'path' parameter is required")
	}
	c.Path = p.Value
	if v, ok := el.Get("time_slice_format"); ok {
		c.TimeSliceFormat = v
	}
	if v, ok := el.Get("compress"); ok {
		if v != "gzip" && v != "gz" {
			return nil, config.Errorf(el.Param("compress").ValuePos, "file: unsupported compress %q (supported: gzip)", v)
		}
		c.Compress = true
	}
	if p := el.Param("append"); p != nil {
		c.Append = boolValue(p.Value)
	}
	f, err := newFormatter(el, "out_file", loc)
	if err != nil {
		return nil, err
	}
	c.Format = f
	return c, nil
}

// TimeSlice is the chunk key of an event.
func (c *FileConfig) TimeSlice(t EventTime) string {
	return Strftime(t.Time(c.Location), c.TimeSliceFormat)
}

// FilePath is where out_file v0.12 writes a chunk: the path is split at
// its `*` into prefix and suffix (no `*`: prefix path + ".", suffix
// ".log"), and the file is prefix + slice + "_" + index + suffix, with
// ".gz" when compressed. With append, the "_" + index part is left out.
// The emulator picks the first index whose file does not exist.
func (c *FileConfig) FilePath(timeSlice string, index int) string {
	prefix, suffix := c.Path+".", ".log"
	if i := strings.IndexByte(c.Path, '*'); i >= 0 {
		prefix, suffix = c.Path[:i], c.Path[i+1:]
	}
	if c.Compress {
		suffix += ".gz"
	}
	if c.Append {
		return prefix + timeSlice + suffix
	}
	return fmt.Sprintf("%s%s_%d%s", prefix, timeSlice, index, suffix)
}
