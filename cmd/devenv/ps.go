package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type psOptions struct {
	composeOptions
	json bool // --json
}

func newPsCommand() *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List the local stack's containers: state, health, ports",
		Long: `List the containers of the stack devenv up started, stopped ones included, one
per line: service, ECS task, state and health, and the host addresses its
ports are published on. docker compose -f docker-compose.gen.yaml ps lists
the same containers.

--json prints an array of {service, name, image, state, health, status,
exitCode, task, standIn, ports: [{host, target, protocol}]}, sorted by
service; state is Docker's (running, exited, ...), health is healthy,
unhealthy or starting, or absent without a health check.

Examples:
  devenv ps
  devenv ps --json | jq -r '.[] | select(.state != "running") | .service'

Exit codes: 0 listed (an empty list when nothing runs); 1 a failure; 2 a
usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPs(cmd.Context(), o, cmd.Flags().Changed("config"), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&o.json, "json", false, "print the containers as a JSON array")
	return cmd
}

func runPs(ctx context.Context, o psOptions, configExplicit bool, stdout, stderr io.Writer) error {
	eng, p, err := o.open(ctx, configExplicit, stderr)
	if err != nil {
		return err
	}
	defer eng.Close()
	ctrs, err := eng.Ps(ctx, p)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ctrs)
	}
	if len(ctrs) == 0 {
		fmt.Fprintf(stderr, "no containers of project %s: devenv up starts them\n", p.Name)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tTASK\tSTATUS\tPORTS")
	for _, c := range ctrs {
		ports := make([]string, len(c.Ports))
		for i, pt := range c.Ports {
			ports[i] = fmt.Sprintf("%s->%d/%s", pt.Host, pt.Target, pt.Protocol)
		}
		task := c.Task
		if task == "" {
			task = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Service, task, c.Status, strings.Join(ports, ", "))
	}
	return tw.Flush()
}
