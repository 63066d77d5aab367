package watch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/devenv-sh/devenv/translate"
)

// PlanDiff compares the deviations of a new translation with those of the
// one that runs, matching them by service and path (a fluentd config
// line's number moves when lines are added above it; its path does not),
// and returns one line per difference: "+" a new deviation, "-" one gone,
// "~" one whose values changed, in the new report's order (gone ones
// last).
func PlanDiff(old, new translate.Report) []string {
	key := func(d translate.Deviation) string {
		if d.Service == "" {
			return d.File + "\x00" + d.Path // task-wide: the path is the file's
		}
		return d.Service + "\x00" + d.Path
	}
	before := map[string][]translate.Deviation{}
	for _, d := range old {
		before[key(d)] = append(before[key(d)], d)
	}
	var out []string
	seen := map[string]int{} // key → deviations of new matched so far
	for _, d := range new {
		k := key(d)
		i := seen[k]
		seen[k]++
		if i >= len(before[k]) {
			out = append(out, "+ "+describe(d)+": "+d.Why)
			continue
		}
		was := before[k][i]
		if was.Kind != d.Kind || was.Production != d.Production || was.Local != d.Local {
			out = append(out, fmt.Sprintf("~ %s (was %s %s → %s)", describe(d), was.Kind, show(was.Production), show(was.Local)))
		}
	}
	for _, d := range old {
		k := key(d)
		if seen[k] > 0 {
			seen[k]--
			continue
		}
		out = append(out, "- "+describe(d))
	}
	return out
}

// describe renders a deviation on one line, as devenv plan does.
func describe(d translate.Deviation) string {
	where := d.Path
	if d.Line > 0 {
		where = fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Path)
	} else if d.Service == "" {
		where = d.File + ": " + d.Path
	}
	svc := d.Service
	if svc == "" {
		svc = "(task)"
	}
	return fmt.Sprintf("%s %s %s: %s → %s", svc, d.Kind, where, show(d.Production), show(d.Local))
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// summary counts the lines of a PlanDiff: "1 added, 2 changed, 0 gone".
func summary(diff []string) string {
	count := func(prefix string) int {
		return len(slices.DeleteFunc(slices.Clone(diff), func(l string) bool { return !strings.HasPrefix(l, prefix) }))
	}
	return fmt.Sprintf("%d added, %d changed, %d gone", count("+ "), count("~ "), count("- "))
}
