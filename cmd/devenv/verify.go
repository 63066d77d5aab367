package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/verify"
)

type verifyOptions struct {
	composeOptions
	events  []string      // --event
	timeout time.Duration // --timeout
	json    bool          // --json
}

func newVerifyCommand() *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Send one sample of each event type through the running stack and check where it arrives",
		Long: `Prove, against the stack devenv up started, that each event type arrives where
production would deliver it. For each event type (verify.events in
devenv.yaml, or --event), verify:

 1. sends one sample with an id of its own (devenv_verify_id), the line the
    API server logs for an event: {"devenv_verify_id", "event_type",
    "log_type":"EVENT", "time"}. With verify.endpoint.path it is POSTed to
    the service (verify.endpoint.service) as a JSON body; without, it goes
    straight to fluentd's published forward port, as Docker's fluentd
    driver sends the service's lines (its tag, container id and name);
 2. asks the route simulator, as devenv routes --docker-tag does, with the
    local fluent.conf, fluentd's environment and hostname, where fluentd
    delivers that line: S3 bucket and key, Treasure Data database.table;
 3. waits for it at each fake (fake-s3, fake-td) and, with verify.metric,
    for the service's count of it in the Datadog stub, and checks that the
    S3 line and the TD record are exactly as predicted.

It prints one row per event type: S3 key, TD table, metric, latency; or
the hop where the event stopped and why:

  send             the service or fluentd's forward port did not take it
  route            not routed (no <match>), or dropped by a filter
  output           output failing: the fake answered fluentd's writes with
                   errors (its request log, or fluentd's log, says so)
  fake             fake unreachable, not arrived, or content differs

The fakes keep their data across runs: each sample is found by its id.

--json prints the report: {project, via, timeout_ns, ok, elapsed_ns,
events: [{event, id, line, sent, ok, latency_ns, stop, metric, unchecked,
deliveries: [{type, output, fake, bucket, key_prefix, want_key, key,
database, table, want, got, arrived, latency_ns, stop: {hop, where,
reason, detail}}]}]}.

Examples:
  devenv up -d && devenv verify
  devenv verify --event click --event purchase --timeout 10s
  devenv verify --json | jq '.events[] | select(.ok | not)'

Exit codes: 0 every sample arrived everywhere, as predicted; 1 one did not
within --timeout (or is not routed anywhere), or the stack is not running
(start it with devenv up -d) or lacks a fake; 2 a usage error, or no event
types to send; 130 interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerify(cmd.Context(), o, cmd.Flags().Changed("config"), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringArrayVar(&o.events, "event", nil, "event type to send a sample of (repeatable; default verify.events in devenv.yaml)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", verify.DefaultTimeout, "how long to wait for the samples at the fakes")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON")
	return cmd
}

func runVerify(ctx context.Context, o verifyOptions, configExplicit bool, stdout, stderr io.Writer) error {
	if o.timeout <= 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("verify: --timeout %s: want a positive duration such as 30s", o.timeout)}
	}
	rep, err := verify.Run(ctx, verify.Options{ConfigFile: o.configFile, ConfigExplicit: configExplicit, File: o.file,
		Events: o.events, Timeout: o.timeout, Progress: stderr})
	if errors.Is(err, verify.ErrNoEvents) {
		return &exitError{code: 2, msg: "verify: " + err.Error()}
	}
	if err != nil && ctx.Err() != nil {
		return &exitError{code: 130, msg: "verify: interrupted"}
	}
	if err != nil {
		return err
	}
	if o.json {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		writeVerifyTable(stdout, rep)
	}
	if !rep.OK {
		failed := rep.Failed()
		return &exitError{code: 1, msg: fmt.Sprintf("verify: %s did not arrive everywhere (%d of %s)", strings.Join(failed, ", "), len(failed), plural(len(rep.Events), "event type"))}
	}
	return nil
}

// writeVerifyTable prints one row per event, then each stop on a line of
// its own, then a summary.
func writeVerifyTable(w io.Writer, rep *verify.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tS3 KEY\tTD TABLE\tMETRIC\tLATENCY")
	for _, e := range rep.Events {
		var s3, td []string
		for _, d := range e.Deliveries {
			cell := d.Place()
			if !d.Arrived {
				cell = "✗ " + cell
			}
			switch d.Type {
			case "s3":
				s3 = append(s3, cell)
			case "tdlog":
				td = append(td, cell)
			}
		}
		metric := "-"
		if m := e.Metric; m != nil {
			metric = fmt.Sprintf("%s %g", m.Name, m.Count)
			if !m.Arrived {
				metric = "✗ " + m.Name
			}
		}
		latency := "-"
		if e.OK {
			latency = e.Latency.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Type, cellOf(s3), cellOf(td), metric, latency)
	}
	tw.Flush()
	for _, e := range rep.Events {
		for _, s := range e.Stops() {
			fmt.Fprintf(w, "%s: %s\n", e.Type, s)
		}
	}
	elapsed := rep.Elapsed.Round(10 * time.Millisecond)
	if rep.OK {
		fmt.Fprintf(w, "%s arrived everywhere, as predicted, in %s (%s)\n", plural(len(rep.Events), "event type"), elapsed, rep.Via)
		return
	}
	fmt.Fprintf(w, "%d of %s arrived everywhere, in %s (timeout %s; %s)\n", len(rep.Events)-len(rep.Failed()), plural(len(rep.Events), "event type"), elapsed, rep.Timeout, rep.Via)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func cellOf(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}
