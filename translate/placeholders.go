package translate

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/secretpolicy"
	"github.com/devenv-sh/devenv/taskdef"
)

// placeholder matches the template markers left in task definitions by the
// tools that render them: {{name}}, <NAME>, $$$NAME$$$, ${NAME} and
// REPLACE_ME-style values (REPLACE_ME, CHANGE_ME, CHANGEME, FILL_ME_IN).
// It is the one recogniser of placeholders: images (validImageRef) and the
// fields of reportPlaceholders share it.
// A {{...}} starting with a dot ({{.Name}}) is a Docker log tag template, not
// a placeholder.
var placeholder = regexp.MustCompile(`\{\{\s*[A-Za-z_$][^{}]*\}\}` +
	`|<[A-Za-z_][A-Za-z0-9_.-]*>` +
	`|\$\$\$[A-Za-z0-9_.-]+\$\$\$` +
	`|\$\{[A-Za-z_][A-Za-z0-9_.:-]*\}` +
	`|(?i:\b(?:replace|change|fill)[_-]?me(?:[_-]?in)?\b)`)

// Placeholders returns the placeholders in s, in order ("" none).
func Placeholders(s string) []string { return placeholder.FindAllString(s, -1) }

// reportPlaceholders lists every placeholder in the container's command,
// entryPoint, environment, log options and health check as a Placeholder
// deviation at its path: the value is kept as written, so the container
// would run with the marker, not a value. Only the markers are shown, never
// the rest of the value (which may be a secret).
func (tk *task) reportPlaceholders(c *taskdef.ContainerDefinition, p fieldpath.Path) {
	vars := map[string]bool{}
	for _, kv := range c.Environment {
		vars[deref(kv.Name)] = true
	}
	for _, sec := range c.Secrets {
		vars[sec.Name] = true
	}
	warn := func(at fieldpath.Path, v string, shell bool) {
		var ph []string
		for _, m := range Placeholders(v) {
			// In a command, ${NAME} of one of the container's own
			// variables is the shell expanding it.
			if shell && strings.HasPrefix(m, "${") && vars[strings.TrimSuffix(m[2:], "}")] {
				continue
			}
			ph = append(ph, m)
		}
		if len(ph) > 0 {
			tk.deviate(c, at, Placeholder, strings.Join(ph, " "), "(kept as written)",
				"a template placeholder, not a value: the container gets the marker itself; fill it in the task definition or override it in devenv.yaml")
		}
	}
	list := func(at fieldpath.Path, l []string) {
		for i, v := range l {
			warn(at.Index(i), v, true)
		}
	}
	list(p.Next("command"), c.Command)
	list(p.Next("entryPoint"), c.EntryPoint)
	for i, kv := range c.Environment {
		name, value := deref(kv.Name), deref(kv.Value)
		if _, ok := tk.t.local.Env(c.Name, name); ok {
			continue // devenv.yaml gives the value
		}
		if secretpolicy.Value(value) || (secretpolicy.Name(name) && !tk.notSecret(c.Name, name) && !secretpolicy.PlainURL(value)) {
			continue // a stand-in replaces the value (convertEnvironment)
		}
		warn(p.Next("environment").Index(i).Named(name).Next("value"), value, false)
	}
	if lc := c.LogConfiguration; lc != nil {
		for _, k := range slices.Sorted(maps.Keys(lc.Options)) {
			warn(p.Next("logConfiguration").Next("options").Next(k), lc.Options[k], false)
		}
	}
	if hc := c.HealthCheck; hc != nil {
		list(p.Next("healthCheck").Next("command"), hc.Command)
	}
}
