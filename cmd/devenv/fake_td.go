package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/devenv-sh/devenv/fakes/control"
	"github.com/devenv-sh/devenv/fakes/td"
)

// fakeTDOptions are the flags of `devenv fake td`.
type fakeTDOptions struct {
	addr       string   // --addr
	dataDir    string   // --data-dir
	apiKeys    []string // --apikey, repeatable
	strict     bool     // --strict
	autoCreate bool     // --auto-create
}

func newFakeTDCommand() *cobra.Command {
	var o fakeTDOptions
	cmd := &cobra.Command{
		Use:   "td",
		Short: "Serve a fake Treasure Data import API (what fluent-plugin-td and td-client use)",
		Long: `Serve a fake Treasure Data until SIGINT or SIGTERM.

It answers the calls fluent-plugin-td and td-client make, on one port for both
the import and the API endpoint:
  PUT  /v3/table/import/DB/TABLE/msgpack.gz            (also .../msgpack)
  PUT  /v3/table/import_with_id/DB/TABLE/ID/msgpack.gz (an ID is stored once)
  POST /v3/database/create/DB, /v3/table/create/DB/TABLE/log, .../delete/...
  GET  /v3/database/list, /v3/table/list/DB, /v3/system/server_status
Requests need "Authorization: TD1 <key>" (401 otherwise); any key is accepted
unless --apikey is given. Names follow TD's rule ^[a-z0-9_]{3,255}$. A corrupt
gzip or msgpack body is answered 400 and nothing of it is stored.

An import into a missing database or table answers 404, as TD does, and
fluent-plugin-td creates the database and table and imports again (its
auto_create_table, on by default); with --auto-create the fake creates them on
import instead, for clients that never create tables. Records without an integer "time" are stored and reported
in the import log; with --strict the whole import is refused with 400.

What arrived is under /_devenv/ on the same port:
  GET  /_devenv/tables                              tables with record counts
  GET  /_devenv/records?db=DB&table=T&since=N&limit=M  records as JSON
  GET  /_devenv/imports                             every import: id, status, size, dup, findings
  GET  /_devenv/counts, /_devenv/health; POST /_devenv/reset
  POST /_devenv/faults {"times":2,"status":503}     fail the next requests

With --data-dir every acknowledged change is journaled and synced before the
answer, and replayed at start: a restart, or SIGTERM, loses nothing.

fluent-plugin-td must point both endpoints at the fake:
  endpoint     http://127.0.0.1:8081
  api_endpoint http://127.0.0.1:8081

Examples:
  devenv fake td
  devenv fake td --addr 127.0.0.1:8081 --data-dir .devenv/td --apikey dummy-key
  devenv fake td --auto-create --strict
  curl -s 'http://127.0.0.1:8081/_devenv/records?db=delish&table=events&limit=5'

Exit codes: 0 after a clean shutdown; 1 when the fake cannot start (address in
use, unreadable data dir); 2 on bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFakeTD(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: 2, msg: "fake td: " + err.Error()}
	})
	o.addFlags(cmd.Flags(), "")
	return cmd
}

// addFlags registers the options on f, each name prefixed with prefix: ""
// for `devenv fake td`, "td-" for a command serving every fake at once
// (--td-addr, --td-data-dir, ...).
func (o *fakeTDOptions) addFlags(f *pflag.FlagSet, prefix string) {
	f.StringVar(&o.addr, prefix+"addr", "127.0.0.1:8081", "address to listen on (port 0 picks a free port)")
	f.StringVar(&o.dataDir, prefix+"data-dir", "", "keep data in this directory across restarts (default: in memory)")
	f.StringArrayVar(&o.apiKeys, prefix+"apikey", nil, "accept only this API key (repeatable; default: any non-empty key)")
	f.BoolVar(&o.strict, prefix+"strict", false, "refuse with 400 an import whose records lack an integer time")
	f.BoolVar(&o.autoCreate, prefix+"auto-create", false, "create a missing database or table on import instead of answering 404 as TD does")
}

// openFakeTD builds the fake Treasure Data the options describe, logging
// to logw. The caller serves it and closes it after serving; a command
// serving every fake in one process reuses it.
func openFakeTD(o fakeTDOptions, logw io.Writer) (*td.Server, error) {
	for _, k := range o.apiKeys {
		if strings.TrimSpace(k) == "" {
			return nil, &exitError{code: 2, msg: "fake td: --apikey must not be empty"}
		}
	}
	srv, err := td.Open(td.Config{
		DataDir:    o.dataDir,
		APIKeys:    o.apiKeys,
		StrictTime: o.strict,
		AutoCreate: o.autoCreate,
		Logger:     slog.New(slog.NewTextHandler(logw, nil)).With("fake", "td"),
	})
	if err != nil {
		return nil, fmt.Errorf("open fake td: %w", err)
	}
	return srv, nil
}

// runFakeTD serves the fake until ctx is done (SIGINT, SIGTERM), then lets
// requests in flight finish and closes the store.
func runFakeTD(ctx context.Context, o fakeTDOptions, stdout, stderr io.Writer) (err error) {
	srv, err := openFakeTD(o, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := srv.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close fake td: %w", cerr)
		}
	}()
	storage := "in memory"
	if o.dataDir != "" {
		storage = "in " + o.dataDir
	}
	return control.Serve(ctx, o.addr, srv, func(a net.Addr) {
		fmt.Fprintf(stdout, "fake td: serving http://%s (data %s)\n", a, storage)
	})
}
