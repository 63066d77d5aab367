package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/stack"
)

// composeOptions are the inputs of the commands that act on a running
// stack (down, ps, logs): the Compose file devenv up ran, named by
// devenv.yaml's output.
type composeOptions struct {
	configFile string // --config
	file       string // --file
}

func (o *composeOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.configFile, "config", config.DefaultFile, "local settings file, read for the name of the generated Compose file (output)")
	cmd.Flags().StringVar(&o.file, "file", "", "the generated Compose file (default: output from devenv.yaml, else "+config.DefaultOutput+")")
}

// composeFile returns the Compose file the options name.
func (o composeOptions) composeFile(configExplicit bool) (string, error) {
	if o.file != "" {
		return o.file, nil
	}
	data, err := os.ReadFile(o.configFile)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !configExplicit:
		return config.DefaultOutput, nil
	case err != nil:
		return "", fmt.Errorf("read settings: %w", err)
	}
	local, err := config.Parse(o.configFile, data)
	if err != nil {
		return "", err
	}
	return local.Output, nil
}

// open connects to the Docker engine, progress going to progress, and
// loads the Compose file the options name as docker compose -f file does.
// The caller closes the engine.
func (o composeOptions) open(ctx context.Context, configExplicit bool, progress io.Writer) (*stack.Engine, *types.Project, error) {
	file, err := o.composeFile(configExplicit)
	if err != nil {
		return nil, nil, err
	}
	return openStack(ctx, file, progress)
}

// openStack connects to the Docker engine, progress going to progress,
// and loads the Compose file as docker compose -f file does.
func openStack(ctx context.Context, file string, progress io.Writer) (*stack.Engine, *types.Project, error) {
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s does not exist: run devenv up (or devenv generate) first", file)
	}
	eng, err := stack.New(ctx, stack.WithOutput(progress, progress))
	if err != nil {
		return nil, nil, err
	}
	p, err := eng.Load(ctx, file, "")
	if err != nil {
		eng.Close()
		return nil, nil, err
	}
	return eng, p, nil
}
