package translate_test

import (
	"os"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestFluentdConfigErrors: a fluentd setting that cannot be honoured is an
// error naming devenv.yaml's key (or the task definition) and what to do.
func TestFluentdConfigErrors(t *testing.T) {
	defs, err := taskdef.Load(os.DirFS("testdata/delish"), "taskdefs")
	assert.NilError(t, err)
	base := readLocal(t, "testdata/delish/local.yaml")
	ok := translate.FluentdConfig{Files: []string{"fluentd/fluent.conf"}}
	for name, tc := range map[string]struct {
		service string
		opts    []translate.Option
		want    string
	}{
		"no copy":         {"fluentd", nil, "local.yaml: fluentd.config: fluentd/fluent.conf: the local copy was not made"},
		"unknown service": {"collector", []translate.Option{translate.WithFluentdConfig(ok)}, `local.yaml:69: fluentd.service: "collector" is not a container of the task definitions`},
		"fake service":    {"fake-s3", []translate.Option{translate.WithFluentdConfig(ok)}, `local.yaml:69: fluentd.service: "fake-s3" is not a container of the task definitions`},
		"include outside": {"fluentd", []translate.Option{translate.WithFluentdConfig(translate.FluentdConfig{Files: []string{"fluentd/fluent.conf", "shared/out.conf"}})}, "fluentd/fluent.conf includes shared/out.conf, outside its folder"},
	} {
		t.Run(name, func(t *testing.T) {
			local := base
			local.Fluentd.Service = tc.service
			p, _, err := translate.Translate(defs, local, tc.opts...)
			assert.Assert(t, p == nil)
			assert.Assert(t, is.ErrorContains(err, tc.want))
		})
	}
}

// TestFluentdConfigMountAndReport: every file of the local copy is mounted
// read-only beside the config path, and each change is a rewritten
// deviation of the fluentd service located by file and line.
func TestFluentdConfigMountAndReport(t *testing.T) {
	defs, err := taskdef.Load(os.DirFS("testdata/delish"), "taskdefs")
	assert.NilError(t, err)
	local := readLocal(t, "testdata/delish/local.yaml")
	fc := translate.FluentdConfig{
		Files:   []string{"fluentd/fluent.conf", "fluentd/conf.d/s3.conf"},
		Changes: []translate.FluentdChange{{File: "fluentd/conf.d/s3.conf", Line: 3, Section: "<match a.**> (s3)", Key: "flush_interval", Production: "600s", Local: "1s", Why: "flush quickly"}},
	}
	p, report, err := translate.Translate(defs, local, translate.WithFluentdConfig(fc))
	assert.NilError(t, err)
	var mounts []string
	for _, v := range p.Services["fluentd"].Volumes {
		if v.ReadOnly {
			mounts = append(mounts, v.Source+" "+v.Target)
		}
	}
	assert.DeepEqual(t, mounts, []string{
		"./.devenv/fluentd/fluent.conf /fluentd/etc/fluent.conf",
		"./.devenv/fluentd/conf.d/s3.conf /fluentd/etc/conf.d/s3.conf",
	})
	last := report[len(report)-1]
	assert.DeepEqual(t, last, translate.Deviation{File: "fluentd/conf.d/s3.conf", Line: 3, Service: "fluentd", Container: "fluentd", Path: "<match a.**> (s3).flush_interval", Kind: translate.Rewritten, Production: "600s", Local: "1s", Why: "flush quickly"})
	assert.Assert(t, is.Contains(report.Text(), "  rewritten   fluentd/conf.d/s3.conf:3: <match a.**> (s3).flush_interval: 600s → 1s: flush quickly\n"))
	assert.Assert(t, is.Len(report.Unsupported(), 0))
}
