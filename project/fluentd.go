package project

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/devenv-sh/devenv/config"
)

// Fluentd is the local stack's fluentd service as the generated Compose
// file has it, for predicting where its records go.
type Fluentd struct {
	Service   string
	Env       map[string]string // its environment, secret stand-ins included
	Hostname  string            // "": the service sets none
	ConfigDir string            // the folder the container reads its config from
	Sources   []string          // devenv.yaml and the task definition file
}

// FluentdService returns the fluentd service of the devenv project in the
// working directory, as the generated Compose file has it, when conf (the
// --config path) is the project's fluentd.config or its local copy. It
// returns nil without devenv.yaml, for another config, or when the project
// has no such service.
func FluentdService(ctx context.Context, conf string) (*Fluentd, error) {
	data, err := os.ReadFile(config.DefaultFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read settings: %w", err)
	}
	local, err := config.Parse(config.DefaultFile, data)
	if err != nil {
		return nil, err
	}
	f := local.Fluentd
	if f.Config == "" {
		return nil, nil
	}
	localCopy, _, _ := f.Paths(f.Config)
	if !sameFile(conf, f.Config) && !sameFile(conf, localCopy) {
		return nil, nil
	}
	st, err := Load(ctx, Options{})
	if err != nil {
		return nil, err
	}
	svc, ok := st.Project.Services[f.Service]
	if !ok {
		return nil, nil
	}
	env := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	sources := []string{st.Local.File}
	if td := st.TaskDefFile(f.Service); td != "" {
		sources = append(sources, td)
	}
	return &Fluentd{Service: f.Service, Env: env, Hostname: svc.Hostname, ConfigDir: path.Dir(f.MountPath), Sources: sources}, nil
}

// sameFile says whether paths a and b, relative to the working directory
// unless absolute, name the same file.
func sameFile(a, b string) bool {
	if b == "" {
		return false
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(filepath.FromSlash(b))
	return err1 == nil && err2 == nil && aa == ab
}
