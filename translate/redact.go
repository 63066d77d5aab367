package translate

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/secretpolicy"
	"github.com/devenv-sh/devenv/taskdef"
)

// notFreeText are the fields of the taskdef types (Type.Field) that
// redactDef leaves alone: names that other fields refer to, which
// taskdef restricts to names (letters, digits, - and _) and which must
// stay as they are for the references to hold; and the fields whose
// converters apply the secret policy themselves, knowing what the field
// is (convertEnvironment's stand-ins, an argument list's flags, a map's
// secret-looking keys) and never copying an ECS secret's valueFrom.
var notFreeText = map[string]bool{
	// Names and references.
	"TaskDefinition.Family":             true,
	"ContainerDefinition.Name":          true,
	"ContainerDefinition.Links":         true,
	"Volume.Name":                       true,
	"MountPoint.SourceVolume":           true,
	"VolumeFrom.SourceContainer":        true,
	"ContainerDependency.ContainerName": true,
	"ProxyConfiguration.ContainerName":  true,
	// An image reference is checked by convertImage, which refuses what
	// Docker cannot pull.
	"ContainerDefinition.Image": true,
	// Converted under the secret policy where they are used.
	"ContainerDefinition.Environment":      true,
	"ContainerDefinition.Secrets":          true,
	"ContainerDefinition.Command":          true,
	"ContainerDefinition.EntryPoint":       true,
	"ContainerDefinition.DockerLabels":     true,
	"HealthCheck.Command":                  true,
	"LogConfiguration.Options":             true,
	"LogConfiguration.SecretOptions":       true,
	"DockerVolumeConfiguration.DriverOpts": true,
	"DockerVolumeConfiguration.Labels":     true,
	"KeyValuePair.Name":                    true,
	"Secret.Name":                          true,
}

// redactDef returns a copy of def in which every other string of the task
// definition (a user, a working directory, a host name, an S3 ARN, a
// sysctl value, a proxy property, a tag, and any field the taskdef types
// gain later) holds no secret secretpolicy.Redact finds, each replacement
// reported at its path without the value. def is not modified.
func (t *translator) redactDef(def *taskdef.Def) *taskdef.Def {
	cp := *def
	task := deepCopy(reflect.ValueOf(def.Task))
	cp.Task = task.Interface().(taskdef.TaskDefinition)
	r := redactor{t: t, def: &cp}
	r.walk(reflect.ValueOf(&cp.Task).Elem(), def.Root(), "")
	return &cp
}

// redactor walks one task definition copy, redacting in place.
type redactor struct {
	t   *translator
	def *taskdef.Def
}

// walk redacts the strings of v, at path p, inside container (""
// outside one).
func (r redactor) walk(v reflect.Value, p fieldpath.Path, container string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			r.walk(v.Elem(), p, container)
		}
	case reflect.Struct:
		ty := v.Type()
		for i := range ty.NumField() {
			f := ty.Field(i)
			if !f.IsExported() || notFreeText[ty.Name()+"."+f.Name] {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			r.walk(v.Field(i), p.Next(name), container)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			// Any list of strings may be an argument list: a flag's
			// value may be the next element.
			l := make([]string, v.Len())
			for i := range l {
				l[i] = v.Index(i).String()
			}
			out, found := secretpolicy.RedactArgs(l)
			for i, f := range found {
				if f != nil {
					v.Index(i).SetString(out[i])
					r.report(p.Index(i), container, out[i], f)
				}
			}
			return
		}
		for i := range v.Len() {
			e, at, in := v.Index(i), p.Index(i), container
			if c, ok := e.Interface().(taskdef.ContainerDefinition); ok {
				at, in = at.Named(c.Name), c.Name
			}
			r.walk(e, at, in)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.String {
			return
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			if r.redact(e, p.Next(k.String()), container, k.String()) {
				v.SetMapIndex(k, e)
			}
		}
	case reflect.String:
		r.redact(v, p, container, "")
	}
}

// redact replaces the secrets in string v, the value of map key key (""
// for a field), reporting it; it says whether it changed v.
func (r redactor) redact(v reflect.Value, p fieldpath.Path, container, key string) bool {
	out, found := secretpolicy.Redact(v.String())
	if key != "" {
		out, found = secretpolicy.RedactEntry(key, v.String())
	}
	if found == nil {
		return false
	}
	v.SetString(out)
	r.report(p, container, out, found)
	return true
}

// report records the replacement of what was found at p by local.
func (r redactor) report(p fieldpath.Path, container, local string, found []secretpolicy.What) {
	d := Deviation{File: r.def.File, Path: p.String(), Kind: Rewritten, Production: "(secret, hidden)", Local: local,
		Why: "holds " + secretpolicy.Why(found) + "; production secrets never reach the generated file"}
	if container != "" {
		d.Service, d.Container = r.t.local.ServiceName(r.def.Task.Family, container), container
	}
	r.t.deviate(d)
}

// deepCopy returns a copy of v sharing no pointer, slice or map with it.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if n.Field(i).CanSet() {
				n.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			n.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return n
	}
	return v
}

// redactList returns l with the secrets embedded in it replaced
// (secretpolicy.RedactArgs: credential-shaped values, URL passwords,
// --password X, --token=X, Authorization headers), reporting each replaced
// element at p[i] without showing it.
func (tk *task) redactList(c *taskdef.ContainerDefinition, p fieldpath.Path, l []string) []string {
	out, found := secretpolicy.RedactArgs(l)
	for i, f := range found {
		if f != nil {
			tk.deviate(c, p.Index(i), Rewritten, "(secret, hidden)", out[i], "holds "+secretpolicy.Why(f)+"; production secrets never reach the generated file")
		}
	}
	return out
}

// redactMap is redactList for a map (labels, log and volume driver
// options; secretpolicy.RedactEntry: a secret-looking key's value, or
// secrets embedded in the value); p.Next(key).
func (tk *task) redactMap(c *taskdef.ContainerDefinition, p fieldpath.Path, m map[string]string) map[string]string {
	out := maps.Clone(m)
	for _, k := range slices.Sorted(maps.Keys(out)) {
		if r, found := secretpolicy.RedactEntry(k, out[k]); found != nil {
			out[k] = r
			tk.deviate(c, p.Next(k), Rewritten, "(secret, hidden)", r, "holds "+secretpolicy.Why(found)+"; production secrets never reach the generated file")
		}
	}
	return out
}

// redactVolume is redactMap for a map of task volume v's
// dockerVolumeConfiguration (driverOpts, labels: a CIFS password in o=...),
// reported once for the task at volumes[i].dockerVolumeConfiguration.field,
// however many containers mount v.
func (tk *task) redactVolume(v *taskdef.Volume, field string, m map[string]string) map[string]string {
	i := slices.IndexFunc(tk.td.Volumes, func(tv taskdef.Volume) bool { return tv.Name == v.Name })
	at := tk.def.Root().Next("volumes").Index(i).Next("dockerVolumeConfiguration").Next(field)
	out := maps.Clone(m)
	for _, k := range slices.Sorted(maps.Keys(out)) {
		r, found := secretpolicy.RedactEntry(k, out[k])
		if found == nil {
			continue
		}
		out[k] = r
		p := at.Next(k).String()
		if !slices.ContainsFunc(tk.t.report, func(d Deviation) bool { return d.File == tk.def.File && d.Path == p }) {
			tk.deviate(nil, at.Next(k), Rewritten, "(secret, hidden)", r, "holds "+secretpolicy.Why(found)+"; production secrets never reach the generated file")
		}
	}
	return out
}
