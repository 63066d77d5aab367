package stack

import (
	"bytes"
	"strings"
	"sync"
)

// tail is an io.Writer that keeps the last lines written to it.
type tail struct {
	mu    sync.Mutex
	lines []string
	part  []byte // an unfinished last line
}

// tailLines is how many lines a tail keeps.
const tailLines = 20

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexAny(t.part, "\r\n")
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(t.part[:i])); line != "" {
			t.lines = append(t.lines, line)
			if len(t.lines) > tailLines {
				t.lines = t.lines[len(t.lines)-tailLines:]
			}
		}
		t.part = t.part[i+1:]
	}
	return len(p), nil
}

// Reset forgets what was written.
func (t *tail) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines, t.part = nil, nil
}

// String returns the kept lines, the unfinished one included, one a line.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if p := strings.TrimSpace(string(t.part)); p != "" {
		lines = append(lines[:len(lines):len(lines)], p)
	}
	return strings.Join(lines, "\n")
}
