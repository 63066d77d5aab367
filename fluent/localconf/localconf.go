// Package localconf rewrites a production fluent.conf for the local stack:
// S3 outputs point at the fake S3 (s3_endpoint, force_path_style true),
// tdlog outputs at the fake Treasure Data (endpoint, api_endpoint,
// use_ssl false), and buffered outputs flush quickly (flush_interval,
// default 1s). Nothing else changes, byte for byte: each value is replaced
// at the offsets the parser recorded, and a missing parameter is inserted
// as a new line right after the section's type line, with its indentation.
//
// Rewrite returns the new file contents and the list of changes, one per
// parameter, so `devenv plan` can show each as a deviation from production.
// It does no I/O beyond reading through the fs.FS; Write stores the result.
package localconf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/router"
	"github.com/devenv-sh/devenv/internal/atomicfile"
)

// Settings are the local endpoints and timing.
type Settings struct {
	// S3Endpoint is the fake S3's URL, e.g. "http://fake-s3:9000".
	S3Endpoint string
	// TDEndpoint is the fake TD's address, e.g. "http://fake-td:8080"
	// (written to both endpoint and api_endpoint).
	TDEndpoint string
	// FlushInterval shortens every buffered output's flush_interval to at
	// most this (default 1s): a missing or longer production value is set
	// to it, a production value fluentd reads as this or shorter is kept.
	FlushInterval time.Duration
}

// Change is one parameter the local config sets differently from
// production.
type Change struct {
	// File and Line locate the changed (or inserted) line in the rewritten
	// file.
	File string `json:"file"`
	Line int    `json:"line"`
	// ProductionLine is the line in the production file: the replaced
	// value's line, or for an insertion the line it follows (the section's
	// type line, or its header when it has none).
	ProductionLine int `json:"production_line"`
	// Path names the section, e.g.
	// `<match delish.event.**>/<template>/<store>[0] (s3)`.
	Path string `json:"path"`
	Key  string `json:"key"`
	// Production is the value as written in production ("" and Inserted
	// when the parameter was absent).
	Production string `json:"production"`
	Local      string `json:"local"`
	Inserted   bool   `json:"inserted"`
	Why        string `json:"why"`
}

// ErrNoEndpoint is returned when Settings lacks an endpoint the config needs.
var ErrNoEndpoint = errors.New("endpoint not set")

type edit struct {
	file   string
	start  int // byte offset
	end    int // == start for an insertion
	text   string
	change Change
	seq    int
}

// Rewrite parses name (and its @includes) from fsys and returns the local
// version of every file that changes, keyed by path inside fsys, plus the
// changes in file order. opts are passed to the parser (the environment
// does not affect positions, but a config must parse).
func Rewrite(fsys fs.FS, name string, s Settings, opts ...config.Option) (map[string][]byte, []Change, error) {
	if s.FlushInterval == 0 {
		s.FlushInterval = time.Second
	}
	root, err := config.Parse(fsys, name, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", name, err)
	}
	rw := &rewriter{s: s, files: map[string][]byte{}}
	for _, el := range root.Elements {
		if err := rw.walk(el, "", ""); err != nil {
			return nil, nil, err
		}
	}
	if err := rw.loadFiles(fsys); err != nil {
		return nil, nil, err
	}
	return rw.apply()
}

type rewriter struct {
	s     Settings
	edits []edit
	files map[string][]byte
}

func (rw *rewriter) loadFiles(fsys fs.FS) error {
	for _, e := range rw.edits {
		if _, ok := rw.files[e.file]; ok {
			continue
		}
		data, err := fs.ReadFile(fsys, e.file)
		if err != nil {
			return fmt.Errorf("read %s: %w", e.file, err)
		}
		rw.files[e.file] = data
	}
	return nil
}

// walk visits el with its effective plugin type (typ, "" to read it from
// the element).
func (rw *rewriter) walk(el *config.Element, parent, typ string) error {
	return rw.walkAs(el, parent, el.String(), typ)
}

// walkAs is walk with the label used for el in change paths.
func (rw *rewriter) walkAs(el *config.Element, parent, label, typ string) error {
	path := label
	if parent != "" {
		path = parent + "/" + path
	}
	if t, _ := el.Type(); t != "" {
		typ = t
	}
	switch el.Name {
	case "source", "system":
		return nil
	case "label":
		for _, c := range el.Elements {
			if err := rw.walk(c, path, ""); err != nil {
				return err
			}
		}
		return nil
	}
	switch typ {
	case "s3", "tdlog", "file":
		return rw.output(el, path+" ("+typ+")", typ)
	case "copy":
		for i, c := range el.Children("store") {
			if err := rw.walkAs(c, path, fmt.Sprintf("<store>[%d]", i), ""); err != nil {
				return err
			}
		}
	case "forest":
		sub, _ := el.Get("subtype")
		for _, c := range el.Elements {
			if c.Name == "template" || c.Name == "case" || c.Name == "pattern" {
				if err := rw.forestSection(c, path, sub); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (rw *rewriter) forestSection(c *config.Element, parent, sub string) error {
	path := parent + "/" + c.String()
	if sub == "copy" {
		for i, st := range c.Children("store") {
			if err := rw.walkAs(st, path, fmt.Sprintf("<store>[%d]", i), ""); err != nil {
				return err
			}
		}
		return nil
	}
	if c.Name != "template" {
		// a <case> only overrides what it sets: replace, never insert
		return rw.replaceOnly(c, path+" ("+sub+")", sub)
	}
	return rw.output(c, path+" ("+sub+")", sub)
}

type want struct {
	key, value, why string
}

func (rw *rewriter) wants(typ string) ([]want, error) {
	flush := want{"flush_interval", formatDuration(rw.s.FlushInterval), "flush quickly so local tests see objects and rows within seconds"}
	switch typ {
	case "s3":
		if rw.s.S3Endpoint == "" {
			return nil, fmt.Errorf("rewrite s3 output: S3 %w", ErrNoEndpoint)
		}
		return []want{
			{"s3_endpoint", rw.s.S3Endpoint, "send uploads to the local fake S3"},
			{"force_path_style", "true", "the fake S3 serves buckets as paths, not subdomains"},
			flush,
		}, nil
	case "tdlog":
		if rw.s.TDEndpoint == "" {
			return nil, fmt.Errorf("rewrite tdlog output: TD %w", ErrNoEndpoint)
		}
		return []want{
			{"endpoint", rw.s.TDEndpoint, "send imports to the local fake Treasure Data"},
			{"api_endpoint", rw.s.TDEndpoint, "send API calls (table creation) to the local fake Treasure Data"},
			{"use_ssl", "false", "the local fake Treasure Data speaks plain HTTP"},
			flush,
		}, nil
	case "file":
		return []want{flush}, nil
	}
	return nil, nil
}

func (rw *rewriter) output(el *config.Element, path, typ string) error {
	ws, err := rw.wants(typ)
	if err != nil {
		return err
	}
	for _, w := range ws {
		rw.set(el, path, w, true)
	}
	return nil
}

func (rw *rewriter) replaceOnly(el *config.Element, path, typ string) error {
	ws, err := rw.wants(typ)
	if err != nil {
		return err
	}
	for _, w := range ws {
		rw.set(el, path, w, false)
	}
	return nil
}

func (rw *rewriter) set(el *config.Element, path string, w want, insert bool) {
	if p := el.Param(w.key); p != nil {
		if p.Value == w.value && p.Raw == w.value {
			return
		}
		if w.key == "flush_interval" {
			if d, _ := router.ParseDuration(p.Value); d <= rw.s.FlushInterval {
				return // already as short: only shorten
			}
		}
		rw.edits = append(rw.edits, edit{file: p.ValuePos.File, start: p.ValuePos.Offset, end: p.ValueEnd, text: w.value, seq: len(rw.edits),
			change: Change{File: p.ValuePos.File, Line: p.ValuePos.Line, ProductionLine: p.ValuePos.Line, Path: path, Key: w.key, Production: p.Raw, Local: w.value, Why: w.why}})
		return
	}
	if !insert {
		return
	}
	// Insert after the type line (or the section header), indented like
	// the section's first parameter.
	anchorFile, anchorOff, anchorLine := el.Pos.File, el.Pos.Offset, el.Pos.Line
	if _, tp := el.Type(); tp != nil {
		anchorFile, anchorOff, anchorLine = tp.KeyPos.File, tp.KeyPos.Offset, tp.KeyPos.Line
	}
	indent := ""
	if len(el.Params) > 0 {
		indent = "\x00" + strconv.Itoa(el.Params[0].KeyPos.Offset) // resolved in apply
	} else {
		indent = "\x01" + strconv.Itoa(el.Pos.Offset)
	}
	rw.edits = append(rw.edits, edit{file: anchorFile, start: -anchorOff - 1, end: -anchorOff - 1, text: indent + "\x02" + w.key + " " + w.value, seq: len(rw.edits),
		change: Change{File: anchorFile, Line: anchorLine, ProductionLine: anchorLine, Path: path, Key: w.key, Local: w.value, Inserted: true, Why: w.why}})
}

// formatDuration writes d as fluentd v0.12's time_value reads it back:
// whole seconds as "5s", anything else as bare float seconds ("0.5"), since
// time_value's unanchored /([0-9]+)s/ would read "0.5s" as 5 s.
func formatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// Files returns the file names of a local copy in the order devenv lists
// them: main first, then every other file Rewrite changed (includes),
// sorted.
func Files(main string, files map[string][]byte) []string {
	names := []string{main}
	for _, n := range slices.Sorted(maps.Keys(files)) {
		if n != main {
			names = append(names, n)
		}
	}
	return names
}

// lineBounds finds the line around off: its first byte and the byte after
// its newline.
func lineBounds(data []byte, off int) (start, next int) {
	start = bytes.LastIndexByte(data[:off], '\n') + 1
	nl := bytes.IndexByte(data[off:], '\n')
	if nl < 0 {
		return start, len(data)
	}
	return start, off + nl + 1
}

func leadingSpace(data []byte, off int) string {
	start, _ := lineBounds(data, off)
	i := start
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	return string(data[start:i])
}

func (rw *rewriter) apply() (map[string][]byte, []Change, error) {
	// Resolve insertions into concrete offsets and text.
	for i := range rw.edits {
		e := &rw.edits[i]
		if e.start >= 0 {
			continue
		}
		data := rw.files[e.file]
		anchor := -e.start - 1
		_, next := lineBounds(data, anchor)
		spec, body, _ := strings.Cut(e.text, "\x02")
		ref, _ := strconv.Atoi(spec[1:])
		indent := leadingSpace(data, ref)
		if spec[0] == '\x01' {
			indent += "  "
		}
		eol := "\n"
		if next >= 2 && data[next-2] == '\r' {
			eol = "\r\n"
		}
		prefix := ""
		if next == len(data) && (len(data) == 0 || data[len(data)-1] != '\n') {
			prefix = eol
		}
		e.start, e.end = next, next
		e.text = prefix + indent + body + eol
	}
	byFile := map[string][]edit{}
	for _, e := range rw.edits {
		byFile[e.file] = append(byFile[e.file], e)
	}
	out := map[string][]byte{}
	var changes []Change
	for file, edits := range byFile {
		// Apply from the end so earlier offsets stay valid; insertions at
		// the same offset keep their order.
		sort.SliceStable(edits, func(i, j int) bool {
			if edits[i].start != edits[j].start {
				return edits[i].start > edits[j].start
			}
			return edits[i].seq > edits[j].seq
		})
		data := append([]byte(nil), rw.files[file]...)
		for _, e := range edits {
			data = append(data[:e.start], append([]byte(e.text), data[e.end:]...)...)
		}
		out[file] = data
		// Line numbers in the rewritten file.
		sort.SliceStable(edits, func(i, j int) bool {
			if edits[i].start != edits[j].start {
				return edits[i].start < edits[j].start
			}
			return edits[i].seq < edits[j].seq
		})
		shift := 0
		for _, e := range edits {
			c := e.change
			orig := rw.files[file]
			if c.Inserted {
				pre := strings.Count(e.text, "\n") - 1 // a newline added before the line
				c.Line = bytes.Count(orig[:e.start], []byte("\n")) + 1 + shift + pre
				shift += 1 + pre
			} else {
				c.Line += shift
				shift -= bytes.Count(orig[e.start:e.end], []byte("\n"))
			}
			changes = append(changes, c)
		}
	}
	sort.SliceStable(changes, func(i, j int) bool {
		if changes[i].File != changes[j].File {
			return changes[i].File < changes[j].File
		}
		return changes[i].Line < changes[j].Line
	})
	return out, changes, nil
}

// Write stores files under dir (paths as returned by Rewrite), each
// atomically with [atomicfile.WriteFile], creating folders as needed.
func Write(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		dst := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write local fluentd config: %w", err)
		}
		if err := atomicfile.WriteFile(dst, files[n], 0o644); err != nil {
			return fmt.Errorf("write local fluentd config: %w", err)
		}
	}
	return nil
}
