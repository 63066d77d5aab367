package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/spf13/cobra"

	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/predict"
	"github.com/devenv-sh/devenv/fluent/router"
	"github.com/devenv-sh/devenv/project"
)

type routesOptions struct {
	config        string   // --config
	tag           string   // --tag
	dockerTag     string   // --docker-tag
	containerID   string   // --container-id
	containerName string   // --container-name
	source        string   // --source
	time          string   // --time
	hostname      string   // --hostname
	tz            string   // --tz
	env           []string // --env
	logOpts       []string // --log-opt
	taskdefs      []string // --taskdef
	json          bool     // --json
	lint          bool     // --lint
	v1            bool     // --v1
	label         string   // --label
	configDir     string   // --config-dir
	// Which of --hostname, --tz and --config-dir were given: the others
	// may come from the project's fluentd service.
	hostnameSet, tzSet, configDirSet bool
}

func newRoutesCommand() *cobra.Command {
	var o routesOptions
	cmd := &cobra.Command{
		Use:   "routes",
		Short: "Show where each log record goes through fluentd, or lint the config",
		Long: `Route records through a fluentd v0.12 config statically, with the semantics of
fluentd v0.12 and its plugins (filter_parser, rewrite_tag_filter, forest, copy,
s3, tdlog, ...), and print each record's journey: the filters applied, every
re-tag, the final tag, each destination (S3 bucket and object key, TD
database.table, the exact record written) or the drop and its kind:

  silent             gone without a log line (no rewrite rule fired)
  warning            gone with a warn line in fluentd's log (parse errors, no match)
  error              gone with an error line per event (forest plant failures)
  connection closed  the emit raised into in_forward: the client's TCP connection
                     is closed and the rest of its read buffer is lost

Records enter where the config's forward source sends them: the root, or the
<label> named by the source's @label (--label @NAME chooses a label
explicitly; it is required when sources send to different labels).

Records are JSON lines on stdin, routed with --tag. With --docker-tag, each
stdin line is a line the application wrote to stdout, wrapped as Docker's
fluentd log driver sends it: {container_id, container_name, source, log}
(lines over 16 KiB become partial messages, as the driver splits them).

The config reads "#{ENV['X']}" from the environment of the local stack's
fluentd service: when devenv.yaml (in the working directory) names --config
as its fluentd.config (or --config is its local copy under .devenv/fluentd/),
that is the service's environment as the generated Compose file has it (the
task definition's, with devenv.yaml's environment and secret stand-ins, never
production secrets), and its hostname and TZ unless --hostname or --tz say
otherwise; stderr says which service and files it came from. --env KEY=VALUE
overrides a variable. Without devenv.yaml, or for another config, only --env
is read. The process environment is never read, so results are reproducible. The S3 key assumes no object exists
yet (%{index} 0) and uses the event time as the flush time. State carries from
one record to the next as in a running fluentd: a tag whose forest instance
failed to plant stays broken.

--lint reports production hazards instead: unanchored patterns, Ruby line
anchors, captured values that make invalid TD names (which also lose the S3
copy), variables that evaluate to "", forest buffer_path collisions, long
flush intervals (or none on s3/file outputs, which then wait for the end of
the time slice), durations and sizes fluentd v0.12 misreads ("0.5s" is 5 s),
and Docker fluentd driver options fluentd v0.12 cannot read
(from --log-opt or the logConfiguration of --taskdef files; without either,
taskdefs/*.json in the working directory).

--json prints one object per record (JSON Lines): {n, tag, time, record,
final_tags, steps: [{kind, plugin, at, tag, new_tag, detail}], deliveries:
[{type, output, tag, time, bucket, key, database, table, path, record, line}],
drops: [{kind, tag, plugin, at, reason}]}. --lint --json prints
[{at, code, message}].

Examples:
  echo '{"log_type":"EVENT","event_type":"click"}' | \
    devenv routes --docker-tag docker.delish      # in a devenv project: the local stack
  echo '{"log_type":"EVENT","event_type":"click"}' | \
    devenv routes --config fluentd/fluent.conf --docker-tag docker.delish \
      --time 2024-01-02T03:04:05Z --hostname fluentd01 \
      --env AWS_S3_BUCKET=delish-logs --env TD_DATABASE=delish_dev
  devenv routes --tag delish.event.signup --json < records.jsonl
  devenv routes --lint --taskdef taskdefs/api-server.json

Exit codes: 0 ok; 1 bad config or input (file:line:col); 2 usage, or --lint
found hazards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			o.hostnameSet, o.tzSet, o.configDirSet = f.Changed("hostname"), f.Changed("tz"), f.Changed("config-dir")
			return runRoutes(cmd.Context(), o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), time.Now)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "fluentd/fluent.conf", "fluentd config file")
	f.StringVar(&o.tag, "tag", "", "tag of the JSON records read from stdin")
	f.StringVar(&o.dockerTag, "docker-tag", "", "treat stdin lines as container output sent by Docker's fluentd driver with this tag (the driver's tag log-opt: a literal or a template such as docker.{{.Name}})")
	f.StringVar(&o.containerID, "container-id", strings.Repeat("0", 64), "container_id for --docker-tag records")
	f.StringVar(&o.containerName, "container-name", "/app", "container_name for --docker-tag records (Docker keeps the leading /)")
	f.StringVar(&o.source, "source", "stdout", "source for --docker-tag records (stdout or stderr)")
	f.StringVar(&o.time, "time", "", "event time: RFC 3339 or Unix seconds (default: now)")
	f.StringVar(&o.hostname, "hostname", "fluentd", "fluentd's hostname (${hostname}, %{hostname} in S3 keys)")
	f.StringVar(&o.tz, "tz", "UTC", "fluentd's TZ: time slices and time_format use it")
	f.StringArrayVar(&o.env, "env", nil, "KEY=VALUE for \"#{ENV['KEY']}\" in the config, over the project's fluentd service environment (repeatable)")
	f.StringArrayVar(&o.logOpts, "log-opt", nil, "Docker fluentd driver option KEY=VALUE to lint (repeatable)")
	f.StringArrayVar(&o.taskdefs, "taskdef", nil, "ECS task definition whose fluentd logConfiguration options to lint (repeatable; register-task-definition input or describe-task-definition output; default taskdefs/*.json)")
	f.BoolVar(&o.json, "json", false, "print one JSON object per record (JSON Lines); with --lint, a JSON array of hazards")
	f.BoolVar(&o.lint, "lint", false, "report production hazards of the config instead of routing records")
	f.StringVar(&o.configDir, "config-dir", "/fluentd/etc", "the folder fluentd reads --config from (absolute @include paths under it are read next to --config)")
	f.StringVar(&o.label, "label", "", "route into this <label @NAME> (default: the @label of the config's sources, else the root)")
	f.BoolVar(&o.v1, "v1", false, "read the config with fluentd v1's syntax differences (quoted section arguments, #{hostname}, <match /regexp/>); plugins keep v0.12 semantics")
	return cmd
}

func parseKeyVals(flag string, kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("--%s %q: want KEY=VALUE", flag, kv)}
		}
		m[k] = v
	}
	return m, nil
}

func parseEventTime(s string, now func() time.Time) (router.EventTime, error) {
	if s == "" {
		t := now()
		return router.EventTime{Sec: t.Unix()}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return router.EventTime{Sec: n}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return router.EventTime{}, &exitError{code: 2, msg: fmt.Sprintf("--time %q: want RFC 3339 or Unix seconds", s)}
	}
	return router.EventTime{Sec: t.Unix(), Nsec: uint32(t.Nanosecond())}, nil
}

// loadRouter parses the config and builds the router, with the project's
// fluentd service environment under --env (see project.FluentdService), said once on
// stderr.
func loadRouter(ctx context.Context, o routesOptions, stderr io.Writer) (*router.Router, error) {
	flagEnv, err := parseKeyVals("env", o.env)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	sf, err := project.FluentdService(ctx, o.config)
	if err != nil {
		return nil, err
	}
	if sf != nil {
		maps.Copy(env, sf.Env)
		what, over := "environment", "--env overrides"
		if sf.Hostname != "" && !o.hostnameSet {
			o.hostname = sf.Hostname
			what, over = "environment and hostname", "--env and --hostname override"
		}
		if tz := sf.Env["TZ"]; tz != "" && !o.tzSet {
			o.tz = tz
		}
		if !o.configDirSet {
			o.configDir = sf.ConfigDir
		}
		fmt.Fprintf(stderr, "%s of service %s (%s); %s\n", what, sf.Service, strings.Join(sf.Sources, ", "), over)
	}
	maps.Copy(env, flagEnv)
	loc, err := time.LoadLocation(o.tz)
	if err != nil {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("--tz %q: %v", o.tz, err)}
	}
	// Positions name the config as given when it is inside the working
	// directory; otherwise relative to its own directory.
	dir, name := ".", filepath.ToSlash(filepath.Clean(o.config))
	if !filepath.IsLocal(o.config) {
		dir, name = filepath.Split(o.config)
	}
	return predict.Load(predict.Config{FS: os.DirFS(dir), Name: name, Env: env, ConfigDir: o.configDir, Hostname: o.hostname, Location: loc, V1: o.v1})
}

func runRoutes(ctx context.Context, o routesOptions, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) error {
	if o.lint {
		return runRoutesLint(ctx, o, stdout, stderr)
	}
	if (o.tag == "") == (o.dockerTag == "") {
		return &exitError{code: 2, msg: "routes: give exactly one of --tag (JSON records) or --docker-tag (container output lines)"}
	}
	r, err := loadRouter(ctx, o, stderr)
	if err != nil {
		return err
	}
	label, err := entryLabel(r, o.label)
	if err != nil {
		return err
	}
	pred := predict.New(r, label)
	et, err := parseEventTime(o.time, now)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	sc.Split(scanLinesKeepCR)
	ctr := docker.Container{ID: o.containerID, Name: o.containerName}
	dockerTag := ""
	if o.dockerTag != "" {
		if dockerTag, err = predict.DockerTag(o.dockerTag, ctr); err != nil {
			return &exitError{code: 2, msg: "--docker-tag: " + err.Error()}
		}
	}
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		var preds []predict.Prediction
		if o.dockerTag != "" {
			preds = pred.DockerLine(dockerTag, ctr, o.source, text, fmt.Sprintf("partial-%d", line), et)
		} else {
			if strings.TrimSpace(text) == "" {
				continue
			}
			v, err := record.ParseJSON([]byte(text))
			if err != nil {
				return fmt.Errorf("read record: stdin:%d: %w", line, err)
			}
			rec, ok := v.(record.Record)
			if !ok {
				return fmt.Errorf("read record: stdin:%d: a record must be a JSON object", line)
			}
			preds = []predict.Prediction{pred.Route(router.Event{Tag: o.tag, Time: et, Record: rec})}
		}
		for _, pr := range preds {
			n++
			rep := predict.NewReport(n, pr)
			if o.json {
				b, err := json.Marshal(rep)
				if err != nil {
					return fmt.Errorf("encode journey: %w", err)
				}
				w.Write(b)
				w.WriteByte('\n')
			} else {
				rep.WriteText(w)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return w.Flush()
}

// entryLabel is the label records enter: flag if given (it must exist),
// else the @label shared by every source of the config ("" = the root).
func entryLabel(r *router.Router, flag string) (string, error) {
	label, err := predict.EntryLabel(r, flag)
	var le *predict.LabelError
	switch {
	case errors.As(err, &le) && le.Missing != "":
		return "", &exitError{code: 2, msg: fmt.Sprintf("--label %s: %v", flag, err)}
	case err != nil:
		return "", &exitError{code: 2, msg: "routes: " + err.Error() + ": choose one with --label @NAME"}
	}
	return label, nil
}

// scanLinesKeepCR splits on "\n" only: Docker's copier keeps a "\r" before
// the newline in the log field.
func scanLinesKeepCR(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func runRoutesLint(ctx context.Context, o routesOptions, stdout, stderr io.Writer) error {
	r, err := loadRouter(ctx, o, stderr)
	if err != nil {
		return err
	}
	fs := predict.RouterFindings(r)
	opts, err := parseKeyVals("log-opt", o.logOpts)
	if err != nil {
		return err
	}
	if len(opts) > 0 {
		fs = append(fs, predict.DriverFindings("--log-opt", opts)...)
	}
	taskdefs := o.taskdefs
	if len(taskdefs) == 0 && len(o.logOpts) == 0 {
		// In a devenv project, lint the production task definitions.
		taskdefs, _ = filepath.Glob(filepath.Join("taskdefs", "*.json"))
	}
	if len(taskdefs) > 0 {
		defs, err := project.LoadTaskDefs(".", taskdefs)
		if err != nil {
			return err
		}
		fs = append(fs, predict.TaskDefFindings(defs)...)
	}
	if o.json {
		if fs == nil {
			fs = []predict.Finding{}
		}
		b, err := json.MarshalIndent(fs, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		for _, f := range fs {
			fmt.Fprintf(stdout, "%s: %s: %s\n", f.At, f.Code, f.Message)
		}
	}
	if len(fs) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("routes --lint: %d hazards", len(fs))}
	}
	return nil
}
