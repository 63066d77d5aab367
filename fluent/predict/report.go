package predict

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
)

// Report is one record's journey as devenv routes prints it: the --json
// form, which WriteText renders for people. Times are Unix seconds.
type Report struct {
	N          int              `json:"n"`
	Tag        string           `json:"tag"`
	Time       int64            `json:"time"`
	Record     json.RawMessage  `json:"record"`
	FinalTags  []string         `json:"final_tags"`
	Steps      []Step           `json:"steps"`
	Deliveries []ReportDelivery `json:"deliveries"`
	Drops      []ReportDrop     `json:"drops"`
}

// Step is a filter, match or retag the record went through.
type Step struct {
	Kind   string `json:"kind"`
	Plugin string `json:"plugin"`
	At     string `json:"at"`
	Tag    string `json:"tag"`
	NewTag string `json:"new_tag,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ReportDelivery is where a copy of the record is written.
type ReportDelivery struct {
	Type     string          `json:"type"`
	Output   string          `json:"output"`
	Flush    string          `json:"flush_interval,omitempty"`
	Tag      string          `json:"tag"`
	Time     int64           `json:"time"`
	Bucket   string          `json:"bucket,omitempty"`
	Key      string          `json:"key,omitempty"`
	Database string          `json:"database,omitempty"`
	Table    string          `json:"table,omitempty"`
	Path     string          `json:"path,omitempty"`
	Record   json.RawMessage `json:"record"`
	Line     string          `json:"line,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// ReportDrop is where and why the record, or a copy of it, is lost.
type ReportDrop struct {
	Kind   string `json:"kind"`
	Tag    string `json:"tag"`
	Plugin string `json:"plugin"`
	At     string `json:"at,omitempty"`
	Reason string `json:"reason"`
}

// posString renders a config position, "" for none.
func posString(p config.Pos) string {
	if p.File == "" {
		return ""
	}
	return p.String()
}

// NewReport is the report of prediction pr, the n-th of its run.
func NewReport(n int, pr Prediction) Report {
	j := pr.Journey
	rep := Report{N: n, Tag: j.Input.Tag, Time: j.Input.Time.Sec, Record: record.AppendJSON(nil, j.Input.Record),
		FinalTags: []string{}, Steps: []Step{}, Deliveries: []ReportDelivery{}, Drops: []ReportDrop{}}
	seen := map[string]bool{}
	for _, s := range j.Steps {
		rep.Steps = append(rep.Steps, Step{Kind: string(s.Kind), Plugin: s.Plugin, At: posString(s.Pos), Tag: s.Tag, NewTag: s.NewTag, Detail: s.Detail})
	}
	for i, d := range j.Deliveries {
		if !seen[d.Tag] {
			seen[d.Tag] = true
			rep.FinalTags = append(rep.FinalTags, d.Tag)
		}
		dj := ReportDelivery{Type: d.Output.Type, Output: d.Output.ID, Tag: d.Tag, Time: d.Time.Sec, Record: record.AppendJSON(nil, d.Record)}
		if d.Output.FlushInterval > 0 {
			dj.Flush = d.Output.FlushInterval.String()
		}
		if d.Record == nil {
			dj.Record = json.RawMessage("null")
		}
		t := pr.Targets[i]
		if t.Err != nil {
			dj.Error = t.Err.Error()
		}
		switch {
		case d.Output.S3 != nil:
			dj.Bucket, dj.Key = t.Bucket, t.Key
			dj.Line = string(d.Line)
		case d.Output.TD != nil:
			dj.Database, dj.Table = t.Database, t.Table
		case d.Output.File != nil:
			dj.Path = t.Path
			dj.Line = string(d.Line)
		default:
			dj.Line = string(d.Line)
		}
		rep.Deliveries = append(rep.Deliveries, dj)
	}
	for _, d := range j.Drops {
		if len(j.Deliveries) == 0 && !seen[d.Tag] {
			seen[d.Tag] = true
			rep.FinalTags = append(rep.FinalTags, d.Tag)
		}
		rep.Drops = append(rep.Drops, ReportDrop{Kind: string(d.Kind), Tag: d.Tag, Plugin: d.Plugin, At: posString(d.Pos), Reason: d.Reason})
	}
	return rep
}

// WriteText writes the report as devenv routes prints it without --json.
func (rep Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "record %d  tag %s  time %s\n", rep.N, rep.Tag, time.Unix(rep.Time, 0).UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "  in     %s\n", rep.Record)
	for _, s := range rep.Steps {
		switch s.Kind {
		case "filter":
			fmt.Fprintf(w, "  filter %-18s %s  (tag %s)\n", s.Plugin, s.At, s.Tag)
		case "match":
			fmt.Fprintf(w, "  match  %-18s %s  %s\n", s.Plugin, s.At, s.Detail)
		case "retag":
			fmt.Fprintf(w, "  retag  %s -> %s  (%s, rule at %s)\n", s.Tag, s.NewTag, s.Detail, s.At)
		default:
			fmt.Fprintf(w, "  %-6s %s  %s\n", s.Kind, s.Plugin, s.Detail)
		}
	}
	if len(rep.FinalTags) > 0 {
		fmt.Fprintf(w, "  final tag %s\n", strings.Join(rep.FinalTags, ", "))
	}
	for _, d := range rep.Deliveries {
		buf := "            via " + d.Output
		if d.Flush != "" {
			buf += ", flushed every " + d.Flush
		}
		switch d.Type {
		case "s3":
			fmt.Fprintf(w, "  -> s3     s3://%s/%s\n%s\n", d.Bucket, d.Key, buf)
			fmt.Fprintf(w, "            %s\n", strings.TrimSuffix(d.Line, "\n"))
		case "tdlog":
			fmt.Fprintf(w, "  -> tdlog  %s.%s\n%s\n", d.Database, d.Table, buf)
			fmt.Fprintf(w, "            %s\n", d.Record)
		case "file":
			fmt.Fprintf(w, "  -> file   %s\n%s\n", d.Path, buf)
			fmt.Fprintf(w, "            %s\n", strings.TrimSuffix(d.Line, "\n"))
		default:
			fmt.Fprintf(w, "  -> %-6s %s\n", d.Type, strings.TrimSuffix(d.Line, "\n"))
		}
		if d.Error != "" {
			fmt.Fprintf(w, "            error: %s\n", d.Error)
		}
	}
	for _, d := range rep.Drops {
		at := ""
		if d.At != "" {
			at = " at " + d.At
		}
		plugin := d.Plugin
		if plugin == "" {
			plugin = "router"
		}
		fmt.Fprintf(w, "  DROP (%s) by %s%s, tag %s: %s\n", d.Kind, plugin, at, d.Tag, d.Reason)
	}
	fmt.Fprintln(w)
}
