package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/stack"
)

type downOptions struct {
	composeOptions
	volumes bool // -v
}

func newDownCommand() *cobra.Command {
	var o downOptions
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop and remove the local stack's containers and networks",
		Long: `Stop and remove the containers and networks of the stack devenv up started, as
docker compose down does (docker compose -f docker-compose.gen.yaml down does
the same). Data stays for the next up, as it stays in production: fluentd's
buffer folder and the other host folders under .devenv/volumes/, and the
fakes' data volumes (what fake S3, fake Treasure Data and the Datadog stub
received). With -v, down removes them too.

Examples:
  devenv down          # keep the data
  devenv down -v       # remove the data as well

Exit codes: 0 removed (or nothing to remove); 1 a failure; 2 a usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDown(cmd.Context(), o, cmd.Flags().Changed("config"), cmd.ErrOrStderr())
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVarP(&o.volumes, "volumes", "v", false, "also remove the fakes' data volumes and the host folders under "+config.DefaultVolumesDir+"/")
	return cmd
}

func runDown(ctx context.Context, o downOptions, configExplicit bool, stderr io.Writer) error {
	eng, p, err := o.open(ctx, configExplicit, stderr)
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := eng.Down(ctx, p, stack.DownOptions{Volumes: o.volumes}); err != nil {
		return err
	}
	if o.volumes {
		return removeHostFolders(p, stderr)
	}
	return nil
}

// removeHostFolders removes the bind-mounted folders of p that devenv
// keeps under .devenv/volumes/ (never anything outside it).
func removeHostFolders(p *types.Project, stderr io.Writer) error {
	root := filepath.Join(p.WorkingDir, filepath.FromSlash(config.DefaultVolumesDir))
	var dirs []string
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if rel, err := filepath.Rel(root, v.Source); err == nil && filepath.IsLocal(rel) && !slices.Contains(dirs, v.Source) {
				dirs = append(dirs, v.Source)
			}
		}
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("remove %s: %w", d, err)
		}
	}
	if len(dirs) > 0 {
		rel := make([]string, len(dirs))
		for i, d := range dirs {
			rel[i], _ = filepath.Rel(p.WorkingDir, d)
		}
		fmt.Fprintf(stderr, "removed %s\n", strings.Join(rel, ", "))
	}
	return nil
}
