package docker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
)

// TagInfo is what the driver's `tag` log-opt template can read (a subset
// of moby's logger.Info).
type TagInfo struct {
	Container
	Command    string
	ImageID    string
	ImageName  string
	Hostname   string
	DaemonName string
}

// ID is the 12-character container id.
func (i TagInfo) ID() string { return truncateID(i.Container.ID) }

// FullID is the full container id.
func (i TagInfo) FullID() string { return i.Container.ID }

// Name is the container name without its leading "/".
func (i TagInfo) Name() string { return strings.TrimPrefix(i.Container.Name, "/") }

// ImageFullID is the full image id.
func (i TagInfo) ImageFullID() string { return i.ImageID }

func truncateID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

var tagFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    title,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      func(s string, pre, post int) string { return strings.Repeat(" ", pre) + s + strings.Repeat(" ", post) },
	"truncate": func(s string, n int) string { return s[:min(n, len(s))] },
}

// title upper-cases the first letter of each space-separated word, as
// strings.Title (which moby uses) does for ASCII text.
func title(s string) string {
	b := []byte(s)
	for i := range b {
		if (i == 0 || b[i-1] == ' ') && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// Tag renders the driver's `tag` log-opt (a Go template; default
// "{{.ID}}") as moby does.
func Tag(tmpl string, info TagInfo) (string, error) {
	if tmpl == "" {
		tmpl = "{{.ID}}"
	}
	t, err := template.New("log-tag").Funcs(tagFuncs).Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("parse log tag template %q: %w", tmpl, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, info); err != nil {
		return "", fmt.Errorf("render log tag template %q: %w", tmpl, err)
	}
	return b.String(), nil
}
