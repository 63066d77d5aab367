package translate

import (
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/secretpolicy"
	"github.com/devenv-sh/devenv/taskdef"
)

// standIn returns the local value for a secret, how the report shows it,
// and where it came from. Values from secrets.env (not committed) are never
// shown; devenv.yaml values and fake defaults are.
func (tk *task) standIn(container, name string) (value, shown, why string) {
	if s, ok := tk.t.local.Secrets.Lookup(container, name); ok {
		tk.t.use("secrets", secretScope(tk.t.local.Secrets, container, name), name)
		shown = s.Value
		if s.Source == config.SourceSecretsEnv {
			shown = "(from " + string(s.Source) + ", hidden)"
		}
		return s.Value, shown, "stand-in from " + string(s.Source)
	}
	v := secretpolicy.Fake(name)
	return v, v, "fake default (set one under secrets in " + tk.t.local.File + " or in " + config.DefaultSecretsFile + ")"
}

// convertEnvironment maps environment and secrets into one environment.
// Secrets and secret-looking plain-text values become stand-ins; overrides
// from devenv.yaml and production host names mapped to local services are
// applied to the rest.
func (tk *task) convertEnvironment(c *taskdef.ContainerDefinition, p fieldpath.Path) types.MappingWithEquals {
	env := types.MappingWithEquals{}
	set := func(k, v string) { env[k] = &v }
	for i, kv := range c.Environment {
		name, value := *kv.Name, deref(kv.Value)
		ep := p.Next("environment").Index(i).Named(name)
		if o, ok := tk.t.local.Env(c.Name, name); ok {
			prod := value
			if secretpolicy.Name(name) || secretpolicy.Value(value) {
				prod = "(plain-text secret, hidden)"
			} else if _, found := redactValue(name, value); found != nil {
				prod = "(value with a secret, hidden)"
			}
			set(name, o)
			tk.deviate(c, ep.Next("value"), Rewritten, prod, o, "environment override in "+tk.t.local.File)
			continue
		}
		switch {
		case secretpolicy.Value(value):
			local, shown, why := tk.standIn(c.Name, name)
			set(name, local)
			tk.deviate(c, ep.Next("value"), Rewritten, "(credential-shaped value, hidden)", shown, "the value of "+name+" looks like a credential (AWS key id, JWT, private key or token): "+why)
		case secretpolicy.Name(name) && !tk.notSecret(c.Name, name) && !secretpolicy.PlainURL(value):
			local, shown, why := tk.standIn(c.Name, name)
			set(name, local)
			tk.deviate(c, ep.Next("value"), Rewritten, "(plain-text secret, hidden)", shown, "secret-looking variable "+name+": "+why)
		default:
			prod, why := value, ""
			if r, found := redactValue(name, value); found != nil {
				value, prod, why = r, "(value with a secret, hidden)", "holds "+secretpolicy.Why(found)+", replaced by a fake"
			}
			if r, ok := tk.rewriteHosts(value); ok {
				value = r
				why = strings.TrimPrefix(why+"; production host mapped to a local service in "+tk.t.local.File, "; ")
			}
			set(name, value)
			if why != "" {
				tk.deviate(c, ep.Next("value"), Rewritten, prod, value, why)
			}
		}
	}
	for i, s := range c.Secrets {
		sp := p.Next("secrets").Index(i).Named(s.Name).Next("valueFrom")
		if o, ok := tk.t.local.Env(c.Name, s.Name); ok {
			set(s.Name, o)
			tk.deviate(c, sp, Rewritten, "(secret from "+secretpolicy.Store(s.ValueFrom)+", not fetched)", o, "environment override in "+tk.t.local.File)
			continue
		}
		local, shown, why := tk.standIn(c.Name, s.Name)
		set(s.Name, local)
		tk.deviate(c, sp, Rewritten, "(secret from "+secretpolicy.Store(s.ValueFrom)+", not fetched)", shown, why)
	}
	// Overrides of variables production does not set.
	for _, scope := range []string{"*", c.Name} {
		for _, name := range slices.Sorted(maps.Keys(tk.t.local.Environment[scope])) {
			if _, ok := env[name]; ok {
				continue
			}
			v, _ := tk.t.local.Env(c.Name, name)
			set(name, v)
			tk.deviate(c, p.Next("environment"), Rewritten, "", name+"="+v, "variable added by "+tk.t.local.File)
		}
	}
	if len(env) == 0 {
		return nil
	}
	return env
}

// redactValue replaces the secrets embedded in the value of environment
// variable name: a URL's password by a fake named after the variable
// (DATABASE_URL → devenv-fake-database-url-password), and whatever else
// secretpolicy.Redact finds (-Dpassword=X in JAVA_OPTS, Password=X; in a
// connection string, --token=X).
func redactValue(name, v string) (string, []secretpolicy.What) {
	var found []secretpolicy.What
	if r, ok := secretpolicy.HideURLPassword(v, secretpolicy.Fake(name+"_password")); ok {
		v, found = r, []secretpolicy.What{secretpolicy.URLPassword}
	}
	r, more := secretpolicy.Redact(v)
	for _, w := range more {
		if w != secretpolicy.URLPassword || found == nil {
			found = append(found, w)
		}
	}
	return r, found
}

func (tk *task) convertEnvironmentFiles(c *taskdef.ContainerDefinition, p fieldpath.Path) []types.EnvFile {
	var files []types.EnvFile
	for i, f := range c.EnvironmentFiles {
		base := f.Value[strings.LastIndex(f.Value, "/")+1:]
		if base == "" {
			base = "env"
		}
		local := ".devenv/env/" + c.Name + "/" + base
		files = append(files, types.EnvFile{Path: local, Required: false})
		tk.deviate(c, p.Next("environmentFiles").Index(i), Rewritten, f.Value, local+" (optional)", "S3 objects are not fetched: put a local copy there")
	}
	return files
}
