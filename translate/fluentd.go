package translate

import (
	"path"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/internal/suggest"
	"github.com/devenv-sh/devenv/taskdef"
)

// FluentdConfig is the local copy of the fluentd configuration that
// devenv.yaml names under fluentd.config. The caller makes it (package
// fluent/localconf rewrites the files; Translate reads none) and passes it
// with WithFluentdConfig; Translate mounts the copy into the fluentd service
// and reports every change.
type FluentdConfig struct {
	// Files are the files of the local copy, as paths relative to the
	// project: fluentd.config first, then the included files that change.
	// Each is written at the path config.Fluentd.Paths gives.
	Files []string
	// Changes are the parameters the copy sets differently from production.
	Changes []FluentdChange
}

// FluentdChange is one parameter of the local fluentd configuration that
// differs from production.
type FluentdChange struct {
	// File and Line locate the parameter in the production file; an
	// inserted parameter (Inserted) is located by the line it follows (the
	// section's type line).
	File     string
	Line     int
	Inserted bool
	// Section is the element path, e.g. `<match a.**>/<store>[0] (s3)`.
	Section string
	Key     string
	// Production is the value as written ("" when the parameter is absent
	// in production and inserted locally).
	Production string
	Local      string
	Why        string
}

// Option configures Translate.
type Option func(*options)

type options struct {
	fluentd *FluentdConfig
	rest    []taskdef.Def // WithRestOfStack
}

// WithFluentdConfig gives Translate the local copy of the fluentd
// configuration. It is required when devenv.yaml sets fluentd.config.
func WithFluentdConfig(fc FluentdConfig) Option {
	return func(o *options) { o.fluentd = &fc }
}

// fluentdPath is the devenv.yaml path of a fluentd setting, for errors.
func fluentdPath(key string) fieldpath.Path { return fieldpath.Path{}.Next("fluentd").Next(key) }

// mountFluentdConfig bind-mounts the local copy of the fluentd
// configuration read-only over the production one in the fluentd service,
// makes that service start after the fakes its outputs now target, and
// reports the mounts and every change, under that service.
func (t *translator) mountFluentdConfig(fc *FluentdConfig) {
	f := t.local.Fluentd
	if f.Config == "" {
		return
	}
	if fc == nil {
		t.fail(t.local.File, fluentdPath("config"), fieldpath.Invalidf("%s: the local copy was not made (the caller must pass it to Translate with WithFluentdConfig)", f.Config))
		return
	}
	s := t.services[f.Service]
	if s == nil || s.container == "" {
		var names []string
		for name, s := range t.services {
			if s.container != "" {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		t.failLocal(fieldpath.Invalidf("%q is not a container of the task definitions%s: name the one that runs fluentd with %s", f.Service, suggest.Hint(f.Service, names), f.Config), "fluentd", "service")
		return
	}
	if len(fc.Files) == 0 || fc.Files[0] != f.Config {
		t.fail(t.local.File, fluentdPath("config"), fieldpath.Invalidf("the local copy must start with %s itself", f.Config))
		return
	}
	for _, file := range fc.Files {
		local, target, ok := f.Paths(file)
		if !ok {
			t.fail(t.local.File, fluentdPath("config"), fieldpath.Invalidf("%s includes %s, outside its folder: devenv can only mount files beside it (move the file, or include it by a path inside %s)", f.Config, file, path.Dir(f.Config)))
			continue
		}
		if slices.ContainsFunc(s.cfg.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Target == target }) {
			t.fail(s.file, s.path.Next("mountPoints"), fieldpath.Invalidf("%s is already a mount target of service %s: the local copy of %s cannot be mounted there; set fluentd.mountPath in %s", target, s.cfg.Name, file, t.local.File))
			continue
		}
		s.cfg.Volumes = append(s.cfg.Volumes, types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: "./" + local, Target: target, ReadOnly: true})
		t.deviate(Deviation{File: s.file, Service: s.cfg.Name, Container: s.container, Path: s.path.Next("mountPoints").String(), Kind: Rewritten,
			Production: target + " from the image", Local: "./" + local + " (read-only)",
			Why: "devenv generate writes " + local + ", a copy of " + file + " with only the " + file + " changes listed for this service; fluentd reads it instead of the image's"})
	}
	for _, c := range fc.Changes {
		prod, why := c.Production, c.Why
		if c.Inserted {
			prod, why = "(not set)", why+" (inserted after this line)"
		}
		t.deviate(Deviation{File: c.File, Line: c.Line, Service: s.cfg.Name, Container: s.container, Path: c.Section + "." + c.Key, Kind: Rewritten, Production: prod, Local: c.Local, Why: why})
		for _, fake := range []config.StandIn{config.StandInFakeS3, config.StandInFakeTD} {
			if u := t.local.FakeURL(fake); u != "" && strings.HasPrefix(c.Local, u) {
				t.dependOn(s, string(fake), "fluentd sends to "+string(fake)+", which starts first")
			}
		}
	}
}

// dependOn makes s start after service target (once), reported: after it
// is healthy when it has a health check (the fakes do), else after it
// started.
func (t *translator) dependOn(s *service, target, why string) {
	ts := t.services[target]
	if ts == nil {
		return
	}
	if s.cfg.DependsOn == nil {
		s.cfg.DependsOn = types.DependsOnConfig{}
	}
	if _, ok := s.cfg.DependsOn[target]; ok {
		return
	}
	cond, state := types.ServiceConditionStarted, "started"
	if hc := ts.cfg.HealthCheck; hc != nil && !hc.Disable && len(hc.Test) > 0 && hc.Test[0] != "NONE" {
		cond, state = types.ServiceConditionHealthy, "healthy"
	}
	s.cfg.DependsOn[target] = types.ServiceDependency{Condition: cond, Required: true}
	t.deviate(Deviation{File: s.file, Service: s.cfg.Name, Container: s.container, Path: s.path.Next("dependsOn").String(), Kind: Rewritten, Production: "", Local: target + " " + state, Why: why})
}
