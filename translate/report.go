package translate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Kind classifies how the local stack differs from production at one field.
type Kind string

// The deviation kinds.
const (
	// Dropped: the field has no local effect and is left out.
	Dropped Kind = "dropped"
	// Rewritten: the field is kept with a different local value.
	Rewritten Kind = "rewritten"
	// Defaulted: the field was absent and devenv filled in production's default explicitly.
	Defaulted Kind = "defaulted"
	// Unsupported: production behaviour that the local stack cannot reproduce.
	Unsupported Kind = "unsupported"
	// Placeholder: a warning; the field holds a template placeholder
	// ({{name}}, <NAME>, $$$NAME$$$, ${NAME}, REPLACE_ME), kept as written.
	// plan --strict fails on it as on Unsupported.
	Placeholder Kind = "placeholder"
)

// Deviation is one way the local stack differs from production.
type Deviation struct {
	// File is the task definition file, as the caller named it, or, for a
	// change in the local copy of fluentd's configuration, that file.
	File string `json:"file"`
	// Line is the line in File for a fluentd configuration change (0 for
	// task definition fields).
	Line int `json:"line,omitempty"`
	// Service is the Compose service the deviation belongs to ("" for task-wide ones).
	Service string `json:"service,omitempty"`
	// Container is the ECS container name ("" for task-level fields).
	Container string `json:"container,omitempty"`
	// Path is the field's JSON path in the task definition, or the
	// section path and key of a fluentd configuration parameter
	// (`<match a.**>/<store>[0] (s3).s3_endpoint`).
	Path string `json:"path"`
	// Kind says what devenv did.
	Kind Kind `json:"kind"`
	// Production is the production value, as text; secret values are never shown.
	Production string `json:"production"`
	// Local is the local value, as text ("" when dropped).
	Local string `json:"local"`
	// Why explains the deviation.
	Why string `json:"why"`
}

// Report lists every deviation of one translation, in a stable order.
type Report []Deviation

// Unsupported returns the deviations of kind Unsupported.
func (r Report) Unsupported() Report {
	var out Report
	for _, d := range r {
		if d.Kind == Unsupported {
			out = append(out, d)
		}
	}
	return out
}

// Strict returns the deviations devenv plan --strict fails on: those of
// kind Unsupported or Placeholder.
func (r Report) Strict() Report {
	var out Report
	for _, d := range r {
		if d.Kind == Unsupported || d.Kind == Placeholder {
			out = append(out, d)
		}
	}
	return out
}

// Services returns the service names that have deviations, sorted, with ""
// (task-wide deviations) last.
func (r Report) Services() []string {
	var names []string
	for _, d := range r {
		if !slices.Contains(names, d.Service) {
			names = append(names, d.Service)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == "") != (b == "") {
			if a == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a, b)
	})
	return names
}

// Text renders the report grouped by service, one deviation per line:
//
//	service api-server (taskdefs/api-server.json)
//	  rewritten  containerDefinitions[0](api-server).image: <production> → <local>: <why>
//	service fluentd (taskdefs/fluentd.json)
//	  rewritten  fluentd/fluent.conf:47: <match a.**>/<store>[0] (s3).s3_endpoint: (not set) → http://fake-s3:4566: <why>
func (r Report) Text() string {
	var b strings.Builder
	for _, svc := range r.Services() {
		var group Report
		for _, d := range r {
			if d.Service == svc {
				group = append(group, d)
			}
		}
		if svc == "" {
			fmt.Fprintf(&b, "task definitions\n")
		} else {
			file := group[0].File
			for _, d := range group {
				if d.Line == 0 {
					file = d.File
					break
				}
			}
			fmt.Fprintf(&b, "service %s (%s)\n", svc, file)
		}
		for _, d := range group {
			where := d.Path
			switch {
			case d.Line > 0:
				where = fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Path)
			case svc == "":
				where = d.File + ": " + d.Path
			}
			fmt.Fprintf(&b, "  %-11s %s: %s → %s: %s\n", d.Kind, where, show(d.Production), show(d.Local), d.Why)
		}
	}
	return b.String()
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func sortReport(r Report) {
	// Task definition fields first, then fluentd configuration lines (which
	// have a line number), each by file and service.
	slices.SortStableFunc(r, func(a, b Deviation) int {
		return cmp.Or(cmp.Compare(min(a.Line, 1), min(b.Line, 1)), cmp.Compare(a.File, b.File), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Line, b.Line))
	})
}
