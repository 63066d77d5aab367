package translate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/internal/suggest"
	"github.com/devenv-sh/devenv/taskdef"
)

// WithRestOfStack gives Translate the project's task definitions that are
// not translated this time (--taskdefs picked a subset). devenv.yaml
// describes the whole stack, so its entries for those are not typos; only
// entries that match nothing anywhere are errors.
func WithRestOfStack(defs []taskdef.Def) Option {
	return func(o *options) { o.rest = defs }
}

// use records that the devenv.yaml entry at keys took effect.
func (t *translator) use(keys ...string) { t.used[strings.Join(keys, "\x00")] = true }

func (t *translator) isUsed(keys ...string) bool { return t.used[strings.Join(keys, "\x00")] }

// failLocal records an error in devenv.yaml at keys ("secrets", "api",
// "DB_PASSWORD"; "images", "[1]", "match"), with the key's line.
func (t *translator) failLocal(err error, keys ...string) {
	var p fieldpath.Path
	for _, k := range keys {
		if i, ok := strings.CutPrefix(k, "["); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(i, "]"))
			p = p.Index(n)
			continue
		}
		p = p.Next(k)
	}
	line := 0
	for n := len(keys); n > 0 && line == 0; n-- {
		line = t.local.Line(keys[:n]...)
	}
	t.errs = append(t.errs, fieldpath.AtLine(t.local.File, line, p, err))
}

// inventory is what a set of task definitions has that devenv.yaml
// entries may name.
type inventory struct {
	// vars maps each container name to its variables (environment and
	// secrets) and their plain values ("" for secrets).
	vars map[string]map[string]string
	// volumes holds task volume names and host source paths.
	volumes map[string]bool
	images  []string
	// text holds the values a production host name can appear in:
	// environment values and log options.
	text []string
}

func takeInventory(defs []taskdef.Def) inventory {
	inv := inventory{vars: map[string]map[string]string{}, volumes: map[string]bool{}}
	for _, d := range defs {
		for _, v := range d.Task.Volumes {
			inv.volumes[v.Name] = true
			if v.Host != nil && deref(v.Host.SourcePath) != "" {
				inv.volumes[*v.Host.SourcePath] = true
			}
		}
		for _, c := range d.Task.ContainerDefinitions {
			vars := inv.vars[c.Name]
			if vars == nil {
				vars = map[string]string{}
				inv.vars[c.Name] = vars
			}
			for _, kv := range c.Environment {
				vars[deref(kv.Name)] = deref(kv.Value)
				inv.text = append(inv.text, deref(kv.Value))
			}
			for _, s := range c.Secrets {
				vars[s.Name] = ""
			}
			inv.images = append(inv.images, c.Image)
			if lc := c.LogConfiguration; lc != nil {
				inv.text = append(inv.text, slices.Collect(maps.Values(lc.Options))...)
			}
		}
	}
	return inv
}

// mentions reports whether a production host name appears in the text.
func (inv inventory) mentions(host string) bool {
	host = strings.ToLower(host)
	return slices.ContainsFunc(inv.text, func(s string) bool { return strings.Contains(strings.ToLower(s), host) })
}

func (inv inventory) hasVar(name string) bool {
	for _, vars := range inv.vars {
		if _, ok := vars[name]; ok {
			return true
		}
	}
	return false
}

// checkUnused fails on every devenv.yaml entry that names a container,
// variable, volume, image, host or service that matches nothing, so that a typo
// does not silently leave production's value in place: each error names
// the key's line and the nearest real name. Entries matching only task
// definitions of the rest of the stack (WithRestOfStack) are not errors.
// Values from .devenv/secrets.env are not checked: that file is personal.
// When translation already failed, only names are checked, since what a
// failed container would have used is unknown.
func (t *translator) checkUnused(defs, rest []taskdef.Def) {
	here, there := takeInventory(defs), takeInventory(rest)
	all := takeInventory(append(slices.Clip(defs), rest...))
	containers := slices.Sorted(maps.Keys(all.vars))
	// Whether a variable's entry took effect is known only when every
	// container translated; otherwise only names are checked.
	complete := len(t.errs) == 0
	// scopeVars returns the variables of an entry's scope (a container or
	// "*"), failing on a container no task definition has; ok is false
	// when there is nothing more to check (the entry is for the rest of
	// the stack, or names no container).
	scopeVars := func(section, scope string) (vars map[string]string, ok bool) {
		if scope == "*" {
			vars = map[string]string{}
			for _, vs := range all.vars {
				maps.Copy(vars, vs)
			}
			return vars, true
		}
		if vs, ok := here.vars[scope]; ok {
			return vs, true
		}
		if _, ok := there.vars[scope]; !ok {
			t.failLocal(fieldpath.Invalidf("no container %s in the task definitions%s: fix the name or remove the entry", scope, suggest.Hint(scope, containers)), section, scope)
		}
		return nil, false
	}
	varHint := func(name string, vars map[string]string) string {
		return suggest.Hint(name, slices.Sorted(maps.Keys(vars)))
	}
	for _, scope := range slices.Sorted(maps.Keys(t.local.Secrets)) {
		vars, ok := scopeVars("secrets", scope)
		if !ok {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(t.local.Secrets[scope])) {
			if t.local.Secrets[scope][name].Source != config.SourceConfig || t.isUsed("secrets", scope, name) {
				continue
			}
			if _, has := vars[name]; !has {
				t.failLocal(fieldpath.Invalidf("%s%s: fix the name or remove the entry", noVariable(scope, name), varHint(name, vars)), "secrets", scope, name)
				continue
			}
			if _, over := t.local.Env(scope, name); over || !complete || scope == "*" && !here.hasVar(name) {
				continue // environment overrides win over stand-ins, by design
			}
			t.failLocal(fieldpath.Invalidf("%s of %s is a plain variable that keeps its production value, so this stand-in is never used: set a local value under environment.%s, or remove the entry", name, scopeName(scope), scope), "secrets", scope, name)
		}
	}
	for _, scope := range slices.Sorted(maps.Keys(t.local.Environment)) {
		scopeVars("environment", scope) // every variable of a known container is set, added if production lacks it
	}
	for _, scope := range slices.Sorted(maps.Keys(t.local.NotSecret)) {
		vars, ok := scopeVars("notSecret", scope)
		if !ok {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(t.local.NotSecret[scope])) {
			if t.isUsed("notSecret", scope, name) {
				continue
			}
			at := []string{"notSecret", scope}
			if _, has := vars[name]; !has {
				t.failLocal(fieldpath.Invalidf("%s%s: fix the name or remove it", noVariable(scope, name), varHint(name, vars)), at...)
				continue
			}
			if !complete || scope == "*" && !here.hasVar(name) {
				continue
			}
			t.failLocal(fieldpath.Invalidf("%s of %s keeps its production value anyway (its name does not look secret, or it is a secret, or its value looks like a credential, which is replaced whatever the name): remove it", name, scopeName(scope)), at...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.local.Volumes)) {
		if !all.volumes[name] {
			t.failLocal(fieldpath.Invalidf("no task volume or host source path %s in the task definitions%s: fix the name or remove the entry", name, suggest.Hint(name, slices.Sorted(maps.Keys(all.volumes)))), "volumes", name)
		}
	}
	for i, r := range t.local.Images {
		if t.isUsed("images", r.Match) || slices.ContainsFunc(all.images, func(img string) bool { return config.MatchImage(r.Match, img) }) {
			continue
		}
		var names []string
		for _, img := range all.images {
			names = append(names, config.Repository(img).Name)
		}
		images := slices.Compact(slices.Sorted(slices.Values(all.images)))
		t.failLocal(fieldpath.Invalidf("%q matches no image of the task definitions (%s)%s: fix the match or remove the rule", r.Match, strings.Join(images, ", "), suggest.Hint(r.Match, names)), "images", fmt.Sprintf("[%d]", i), "match")
	}
	if svc := t.local.Verify.Endpoint.Service; svc != "" && t.services[svc] == nil && there.vars[svc] == nil {
		t.failLocal(fieldpath.Invalidf("%q is not a service of the stack%s: name the service that logs the events", svc, suggest.Hint(svc, slices.Sorted(maps.Keys(t.services)))), "verify", "endpoint", "service")
	}
	for _, h := range t.local.Hosts {
		key := hostKey(h)
		if t.isUsed("hosts", key) || there.mentions(h.Host) || !complete && here.mentions(h.Host) {
			continue
		}
		t.failLocal(fieldpath.Invalidf("no environment value or log option of the task definitions names host %s as a whole host name, so this rule rewrites nothing: fix the host or remove the rule", key), "hosts", key)
	}
}

// hostKey is a hosts rule's key as written in devenv.yaml: host or host:port.
func hostKey(h config.HostRule) string {
	if h.Port != 0 {
		return h.Host + ":" + strconv.Itoa(h.Port)
	}
	return h.Host
}

// scopeName names an entry's scope: a container, or "*".
func scopeName(scope string) string {
	if scope == "*" {
		return "every container"
	}
	return "container " + scope
}

func noVariable(scope, name string) string {
	if scope == "*" {
		return "no container has variable " + name
	}
	return "container " + scope + " has no variable " + name
}

// secretScope is the secrets key a stand-in for a container's variable
// comes from: the container's own, else "*" (as Secrets.Lookup).
func secretScope(s config.Secrets, container, name string) string {
	if _, ok := s[container][name]; ok {
		return container
	}
	return "*"
}

// notSecret is Local.IsNotSecret, recording the entry that matched.
func (tk *task) notSecret(container, name string) bool {
	l := tk.t.local
	switch {
	case l.NotSecret[container][name]:
		tk.t.use("notSecret", container, name)
	case l.NotSecret["*"][name]:
		tk.t.use("notSecret", "*", name)
	default:
		return false
	}
	return true
}
