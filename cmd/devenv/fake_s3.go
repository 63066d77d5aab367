package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/devenv-sh/devenv/fakes/control"
	"github.com/devenv-sh/devenv/fakes/s3"
)

// fakeS3Options are the flags of `devenv fake s3`.
type fakeS3Options struct {
	addr       string   // --addr
	dataDir    string   // --data-dir
	accessKeys []string // --access-key, repeatable, or DEVENV_S3_ACCESS_KEY
	secretKeys []string // --secret-key, one for each --access-key, or DEVENV_S3_SECRET_KEY
	domains    []string // --domain, repeatable
	region     string   // --region
	maxObject  string   // --max-object-size
}

func newFakeS3Command() *cobra.Command {
	var o fakeS3Options
	cmd := &cobra.Command{
		Use:   "s3",
		Short: "Serve a fake Amazon S3 (what the AWS SDKs and fluent-plugin-s3 use)",
		Long: `Serve a fake Amazon S3 until SIGINT or SIGTERM.

It answers the S3 REST API the AWS SDKs and fluent-plugin-s3 use: buckets
(create, head, list, delete), objects (put, get with Range, head, delete,
delete-multiple, copy), ListObjects v1 and v2, ListObjectVersions (buckets
are unversioned: every object is its one version, null), and multipart
uploads. Request
bodies are accepted in every shape the SDKs send (plain with Content-MD5 or
x-amz-checksum-*, aws-chunked signed or unsigned with trailing checksums) and
their checksums are verified; errors are S3's XML with S3's codes.

Addressing: path style (http://127.0.0.1:4566/BUCKET/KEY) always works. With
--domain D, a Host of BUCKET.D is virtual-hosted style (the default for
fluent-plugin-s3 and the SDKs): *.localhost resolves to 127.0.0.1 on most
systems, so http://logs.s3.localhost:4566/KEY reaches bucket "logs".

Credentials: with --access-key and --secret-key (or DEVENV_S3_ACCESS_KEY and
DEVENV_S3_SECRET_KEY), every request must carry a valid SigV4 or SigV2 signature
(header or presigned URL) by that key, or be one the canned ACLs open to anyone
(x-amz-acl public-read, public-read-write); without them any signature is
accepted. Repeat both flags for more keys, paired in order: each key is an owner
of its own, which lists its own buckets, cannot take another owner's bucket name
(BucketAlreadyExists) and reaches another owner's buckets and objects only as
their canned ACLs grant.
CORS preflights (OPTIONS) are answered for any origin, so browsers can upload.

What arrived is under /_devenv/ on the same port:
  GET  /_devenv/objects?bucket=B&prefix=P   objects with metadata
  GET  /_devenv/object?bucket=B&key=K       content (gunzipped for .gz keys; decompress=false for raw)
  GET  /_devenv/wait?bucket=B&prefix=P&count=N&timeout=30s   block until N objects exist
  GET  /_devenv/requests?op=PutObject       request log: body mode, checksums, auth, status
  GET  /_devenv/counts, /_devenv/buckets, /_devenv/health; POST /_devenv/reset
  POST /_devenv/faults {"times":2,"status":503,"code":"SlowDown"}   fail the next requests
       (answered as S3 XML; "path_prefix":"/BUCKET/" limits a fault to one bucket,
       in path-style form even for virtual-hosted requests; "latency_ms" delays)

Bodies: in memory (the default) a body is held whole while it arrives, so
--max-object-size (default 5GiB, S3's own limit) bounds what one PutObject or
UploadPart can take; larger ones get 400 EntityTooLarge. With --data-dir
bodies are streamed to disk.

With --data-dir every object is written to a temporary file, synced and renamed
before the answer, so a restart, or SIGTERM, loses nothing acknowledged.

Examples:
  devenv fake s3
  devenv fake s3 --addr 127.0.0.1:4566 --data-dir .devenv/s3 --domain fake-s3
  devenv fake s3 --access-key AKIDLOCAL --secret-key local-secret
  devenv fake s3 --access-key AKIDMAIN --secret-key main-secret --access-key AKIDALT --secret-key alt-secret
  devenv fake s3 --max-object-size 64MiB
  aws --endpoint-url http://127.0.0.1:4566 s3 cp ./x.gz s3://logs/x.gz
  curl -s 'http://127.0.0.1:4566/_devenv/objects?bucket=logs'

Exit codes: 0 after a clean shutdown; 1 when the fake cannot start (address in
use, unreadable data dir); 2 on bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.credentialsFrom(os.Getenv); err != nil {
				return err
			}
			return runFakeS3(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	o.addFlags(cmd.Flags(), "")
	return cmd
}

// addFlags registers the options on f, each name prefixed with prefix: ""
// for `devenv fake s3`, "s3-" for a command serving every fake at once
// (--s3-addr, --s3-data-dir, ...).
func (o *fakeS3Options) addFlags(f *pflag.FlagSet, prefix string) {
	f.StringVar(&o.addr, prefix+"addr", "127.0.0.1:4566", "address to listen on (port 0 picks a free port)")
	f.StringVar(&o.dataDir, prefix+"data-dir", "", "keep buckets and objects in this directory across restarts (default: in memory)")
	f.StringArrayVar(&o.accessKeys, prefix+"access-key", nil, "require SigV4 signatures by this access key (repeatable, each an owner; default $DEVENV_S3_ACCESS_KEY; none: accept any)")
	f.StringArrayVar(&o.secretKeys, prefix+"secret-key", nil, "secret of the access key of the same position (default $DEVENV_S3_SECRET_KEY)")
	f.StringArrayVar(&o.domains, prefix+"domain", []string{"s3.localhost", "localhost"}, "base domain for virtual-hosted-style addressing, BUCKET.DOMAIN (repeatable; replaces the defaults)")
	f.StringVar(&o.region, prefix+"region", "us-east-1", "region the fake reports for its buckets")
	f.StringVar(&o.maxObject, prefix+"max-object-size", "5GiB", "largest PutObject or UploadPart body accepted (EntityTooLarge above); in memory a body is held whole, so this bounds what one request can take")
}

// credentialsFrom fills the access and secret keys the flags left out from
// DEVENV_S3_ACCESS_KEY and DEVENV_S3_SECRET_KEY, and checks that each access
// key has its secret key, non-empty, and the other way round.
func (o *fakeS3Options) credentialsFrom(getenv func(string) string) error {
	if len(o.accessKeys) == 0 {
		if k := getenv("DEVENV_S3_ACCESS_KEY"); k != "" {
			o.accessKeys = []string{k}
		}
	}
	if len(o.secretKeys) == 0 {
		if k := getenv("DEVENV_S3_SECRET_KEY"); k != "" {
			o.secretKeys = []string{k}
		}
	}
	if len(o.accessKeys) != len(o.secretKeys) || slices.Contains(o.accessKeys, "") || slices.Contains(o.secretKeys, "") {
		return &exitError{code: 2, msg: fmt.Sprintf("fake s3: the access keys and the secret keys go together, paired in order: give as many non-empty secret keys as access keys, or neither (got %d access keys, %d secret keys)",
			len(o.accessKeys), len(o.secretKeys))}
	}
	return nil
}

// openFakeS3 builds the fake S3 the options describe, logging to logw. The
// caller serves its Handler and calls Close when shutting down; a command
// serving every fake in one process reuses it. The store needs no closing:
// every write is synced before it is acknowledged.
func openFakeS3(o fakeS3Options, logw io.Writer) (*s3.Server, error) {
	maxObject, err := units.RAMInBytes(o.maxObject)
	if err != nil || maxObject <= 0 {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("fake s3: --max-object-size: want a positive size such as 64MiB or 5GiB, got %q", o.maxObject)}
	}
	var store s3.Store = s3.NewMemStore()
	if o.dataDir != "" {
		ds, err := s3.OpenDiskStore(o.dataDir)
		if err != nil {
			return nil, fmt.Errorf("open fake s3: %w", err)
		}
		store = ds
	}
	opts := []s3.Option{
		s3.WithLogger(slog.New(slog.NewTextHandler(logw, nil)).With("fake", "s3")),
		s3.WithDomains(o.domains...),
		s3.WithRegion(o.region),
		s3.WithMaxObjectSize(maxObject),
	}
	for i, k := range o.accessKeys {
		opts = append(opts, s3.WithCredentials(k, o.secretKeys[i]))
	}
	return s3.New(store, opts...), nil
}

// runFakeS3 serves the fake until ctx is done (SIGINT, SIGTERM), then lets
// requests in flight finish.
func runFakeS3(ctx context.Context, o fakeS3Options, stdout, stderr io.Writer) error {
	srv, err := openFakeS3(o, stderr)
	if err != nil {
		return err
	}
	storage := "in memory"
	if o.dataDir != "" {
		storage = "in " + o.dataDir
	}
	auth := "any signature accepted"
	if len(o.accessKeys) == 1 {
		auth = "SigV4 required for access key " + o.accessKeys[0]
	} else if len(o.accessKeys) > 1 {
		auth = "SigV4 required for access keys " + strings.Join(o.accessKeys, ", ")
	}
	go func() {
		<-ctx.Done()
		srv.Close() // release /_devenv/wait long-polls so shutdown is quick
	}()
	return control.Serve(ctx, o.addr, srv.Handler(), func(a net.Addr) {
		fmt.Fprintf(stdout, "fake s3: serving http://%s (data %s; %s; virtual hosts *.%s)\n",
			a, storage, auth, strings.Join(o.domains, ", *."))
		// This process serves only the fake: what the rest of devenv's
		// packages took at start is given back once it serves (run beside
		// the accept loop's start, so that what starting it touches goes
		// too).
		go s3.ReleaseStartupMemory()
	})
}
