// Package output holds the sinks the emulator's buffers flush to: out_s3
// (fluent-plugin-s3 v0.8.7) through aws-sdk-go-v2, and out_tdlog
// (fluent-plugin-td v0.10.29) as td-client-ruby speaks the Treasure Data
// import API. Each sink has Start (the plugin's start-up calls) and Write
// (one buffer chunk), and makes exactly the requests the plugin makes (see
// shared/spec/fakes-protocols.md §1.1 and §2.1-2.4).
//
// One deliberate difference: a chunk recovered from disk after a crash is
// not uploaded to S3 again when the HeadObject of the %{index} search
// returns the ETag (MD5) of its exact body, since the dead process already
// uploaded it; fluent-plugin-s3 would write a duplicate object under the
// next index. Treasure Data needs no such check: it deduplicates imports by
// unique_id, which is the chunk's id.
package output

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/router"
)

// S3 is out_s3: chunks keyed by time slice, uploaded as one object each.
type S3 struct {
	cfg    *router.S3Config
	client *s3.Client
	now    func() time.Time
	logger *slog.Logger
}

// S3Option configures an S3 sink.
type S3Option func(*s3Settings)

type s3Settings struct {
	httpClient *http.Client
	now        func() time.Time
	logger     *slog.Logger
}

// WithS3Logger sets the logger.
func WithS3Logger(l *slog.Logger) S3Option { return func(s *s3Settings) { s.logger = l } }

// WithS3HTTPClient sets the HTTP client the AWS SDK uses.
func WithS3HTTPClient(c *http.Client) S3Option { return func(s *s3Settings) { s.httpClient = c } }

// WithS3Clock sets the clock used for the flush time in keys (%{path}
// strftime codes, %{hms_slice}).
func WithS3Clock(now func() time.Time) S3Option { return func(s *s3Settings) { s.now = now } }

// NewS3 builds the sink for one out_s3 instance. Credentials are the
// configured aws_key_id/aws_sec_key; when both are empty (unset env
// variables) requests are sent unsigned.
func NewS3(cfg *router.S3Config, opts ...S3Option) *S3 {
	var set s3Settings
	for _, o := range opts {
		o(&set)
	}
	if set.now == nil {
		set.now = time.Now
	}
	if set.logger == nil {
		set.logger = slog.New(slog.DiscardHandler)
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if cfg.AWSKeyID != "" || cfg.AWSSecretKey != "" {
		creds = credentials.NewStaticCredentialsProvider(cfg.AWSKeyID, cfg.AWSSecretKey, "")
	}
	o := s3.Options{
		Region:           cfg.Region,
		Credentials:      creds,
		UsePathStyle:     cfg.ForcePathStyle,
		RetryMaxAttempts: 1,
	}
	if cfg.Endpoint != "" {
		o.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	if set.httpClient != nil {
		o.HTTPClient = set.httpClient
	}
	return &S3{cfg: cfg, client: s3.New(o), now: set.now, logger: set.logger}
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// Start makes out_s3's start-up calls: with check_apikey_on_start a
// ListObjects of `path` (NoSuchBucket is tolerated), with check_bucket a
// HeadBucket and, when it answers 404 and auto_create_bucket is on, a
// CreateBucket. Any other failure fails the start.
func (s *S3) Start(ctx context.Context) error {
	if s.cfg.CheckAPIKey {
		// v0.8.7 on aws-sdk v2: @bucket.objects(prefix: path).first, a
		// ListObjects (V1) with encoding-type=url and no max-keys.
		_, err := s.client.ListObjects(ctx, &s3.ListObjectsInput{
			Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(s.cfg.Path), EncodingType: types.EncodingTypeUrl,
		})
		var nsb *types.NoSuchBucket
		if err != nil && !errors.As(err, &nsb) && !isAPICode(err, "NoSuchBucket") {
			return fmt.Errorf("can't call S3 API. Please check your aws_key_id / aws_sec_key or s3_region configuration: %w", err)
		}
	}
	if !s.cfg.CheckBucket {
		return nil
	}
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.cfg.Bucket)})
	switch st := httpStatus(err); {
	case err == nil, st == http.StatusMovedPermanently, st == http.StatusForbidden:
		return nil
	case st == http.StatusNotFound:
		if !s.cfg.AutoCreateBucket {
			return fmt.Errorf("the specified bucket does not exist: bucket = %s", s.cfg.Bucket)
		}
		if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.cfg.Bucket)}); err != nil {
			return fmt.Errorf("create s3 bucket %s: %w", s.cfg.Bucket, err)
		}
		return nil
	default:
		return fmt.Errorf("check s3 bucket %s: %w", s.cfg.Bucket, err)
	}
}

// alreadyWritten stops the %{index} search when a recovered chunk is found
// already uploaded.
type alreadyWritten struct{ key string }

func (a *alreadyWritten) Error() string { return "chunk already written to " + a.key }

func isAPICode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// Write uploads one chunk: the key's %{index} is the first one HeadObject
// reports free (404), and the body is the chunk compressed as store_as
// says (one gzip member for gzip), sent with PutObject.
func (s *S3) Write(ctx context.Context, c *buffer.Chunk) error {
	body, err := s.body(c)
	if err != nil {
		return err
	}
	// A chunk recovered after a crash may have been uploaded just before
	// the crash: an object whose ETag is the MD5 of this very body is that
	// upload, and writing it again would only duplicate it.
	var etag string
	if c.Recovered {
		sum := md5.Sum(body)
		etag = `"` + hex.EncodeToString(sum[:]) + `"`
	}
	key, err := s.cfg.NextObjectKey(s.now(), c.Key, c.UniqueIDBytes(), func(key string) (bool, error) {
		out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
		if err == nil {
			if etag != "" && aws.ToString(out.ETag) == etag {
				return false, &alreadyWritten{key: key}
			}
			return true, nil
		}
		if httpStatus(err) == http.StatusNotFound {
			return false, nil
		}
		return false, err
	})
	var aw *alreadyWritten
	if errors.As(err, &aw) {
		s.logger.Info("recovered chunk was already uploaded before the restart: not writing it again", "bucket", s.cfg.Bucket, "key", aw.key)
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.cfg.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(s.cfg.ContentType),
		StorageClass:  types.StorageClassStandard,
	})
	if err != nil {
		return fmt.Errorf("put s3 object %s/%s: %w", s.cfg.Bucket, key, err)
	}
	return nil
}

func (s *S3) body(c *buffer.Chunk) ([]byte, error) {
	r, err := c.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if s.cfg.StoreAs != "gzip" {
		return io.ReadAll(r)
	}
	return gzipAll(r)
}

// gzipAll compresses r as a single gzip member.
func gzipAll(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.Copy(zw, r); err != nil {
		return nil, fmt.Errorf("compress chunk: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress chunk: %w", err)
	}
	return buf.Bytes(), nil
}
