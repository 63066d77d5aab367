package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/translate"
)

type planOptions struct {
	stackOptions
	json   bool // --json
	strict bool // --strict
}

func newPlanCommand() *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show every way the local stack differs from production",
		Long: `Translate the production task definitions with devenv.yaml, as generate does,
and print every deviation grouped by service: the field, its production value,
the local value, and why. Secret values are never shown.

With fluentd.config in devenv.yaml, each parameter the local copy of
fluent.conf changes (S3 and tdlog endpoints, flush intervals) is listed under
the fluentd service as FILE:LINE: SECTION.KEY, where LINE is the production
file's line (for an inserted parameter, the line it is inserted after). These
are rewritten, never unsupported, so --strict ignores them. plan writes
nothing; a fluent.conf error is reported as FILE:LINE:COL: ... with exit 1.

Kinds: rewritten (kept with a local value), defaulted (production's default
written out), dropped (no local effect), unsupported (production behaviour the
local stack cannot reproduce), placeholder (a warning: a template placeholder
such as {{name}}, <NAME>, $$$NAME$$$, ${NAME} or REPLACE_ME left in a command,
entryPoint, environment value, log option or health check, kept as written;
${NAME} in a command or health check naming one of the container's own
variables is shell expansion, not a placeholder; an environment value that
devenv.yaml overrides or a stand-in replaces is not listed).

Examples:
  devenv plan                  # human-readable, grouped by service
  devenv plan --json | jq '.deviations[] | select(.kind=="unsupported")'
  devenv plan --strict         # fail when anything is unsupported or a placeholder

Exit codes: 0 ok; 1 bad input; 2 with --strict, an unsupported or placeholder
field, or a usage error (unknown flag, extra argument).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlan(cmd.Context(), o, cmd.Flags().Changed("config"), cmd)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON: {project, services, deviations: [{file, line, service, container, path, kind, production, local, why}]} (line only for fluent.conf changes)")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "exit 2 when any deviation is unsupported or a placeholder")
	return cmd
}

// planJSON is the --json output.
type planJSON struct {
	Project    string                `json:"project"`
	Services   []string              `json:"services"`
	Deviations []translate.Deviation `json:"deviations"`
}

func runPlan(ctx context.Context, o planOptions, configExplicit bool, cmd *cobra.Command) error {
	st, err := o.load(ctx, configExplicit)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.json {
		out := planJSON{Project: st.Project.Name, Services: st.Project.ServiceNames(), Deviations: st.Report}
		if out.Deviations == nil {
			out.Deviations = translate.Report{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // fluent.conf sections read <match ...>
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "project %s: %d services, %d deviations from production\n\n", st.Project.Name, len(st.Project.Services), len(st.Report))
		fmt.Fprint(w, st.Report.Text())
	}
	if u := st.Report.Strict(); o.strict && len(u) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("%s (--strict), in %s; first: %s: %s: %s", strictCount(u), strings.Join(unsupportedFiles(u), ", "), u[0].File, u[0].Path, u[0].Why)}
	}
	return nil
}

// strictCount says how many deviations of r fail --strict, by kind:
// "1 unsupported fields", "2 placeholder fields", "1 unsupported and 2
// placeholder fields".
func strictCount(r translate.Report) string {
	var unsupported, placeholders int
	for _, d := range r {
		if d.Kind == translate.Placeholder {
			placeholders++
		} else {
			unsupported++
		}
	}
	switch {
	case placeholders == 0:
		return fmt.Sprintf("%d unsupported fields", unsupported)
	case unsupported == 0:
		return fmt.Sprintf("%d placeholder fields", placeholders)
	}
	return fmt.Sprintf("%d unsupported and %d placeholder fields", unsupported, placeholders)
}

// unsupportedFiles lists the files of the deviations, in order, once each.
func unsupportedFiles(r translate.Report) []string {
	var files []string
	for _, d := range r {
		if !slices.Contains(files, d.File) {
			files = append(files, d.File)
		}
	}
	return files
}
