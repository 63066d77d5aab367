package s3

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
)

const (
	testAccessKey = "AKIDDEVENVTEST"
	testSecretKey = "devenv-test-secret"
)

// fake is a fake S3 served over httptest for one test.
type fake struct {
	srv    *Server
	ts     *httptest.Server
	client *fakeclient.S3
}

// newFake serves a fake over TLS (so aws-sdk-go-v2 sends aws-chunked
// bodies with trailing checksums, as it does against real S3) or plain
// HTTP (header checksums).
func newFake(t *testing.T, tls bool, opts ...Option) *fake {
	t.Helper()
	srv := New(NewMemStore(), opts...)
	var ts *httptest.Server
	if tls {
		ts = httptest.NewTLSServer(srv.Handler())
	} else {
		ts = httptest.NewServer(srv.Handler())
	}
	t.Cleanup(ts.Close)
	return &fake{srv: srv, ts: ts, client: fakeclient.NewS3(ts.URL, fakeclient.WithHTTPClient(ts.Client()))}
}

// sdk returns an aws-sdk-go-v2 S3 client with its default configuration
// (standard retries, request checksums when supported, response checksum
// validation), pointed at the fake with path-style addressing.
func (f *fake) sdk(t *testing.T, optFns ...func(*s3sdk.Options)) *s3sdk.Client {
	t.Helper()
	// The checksum settings are the defaults config.LoadDefaultConfig
	// resolves (spelled out so the machine's AWS_* environment cannot
	// change them).
	cfg := aws.Config{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		HTTPClient:                 f.ts.Client(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3sdk.NewFromConfig(cfg, append([]func(*s3sdk.Options){func(o *s3sdk.Options) {
		o.BaseEndpoint = aws.String(f.ts.URL)
		o.UsePathStyle = true
	}}, optFns...)...)
}

// apiCode returns the S3 error code of an SDK error, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	assert.NilError(t, err)
	return b
}

func mustCreateBucket(t *testing.T, c *s3sdk.Client, name string) {
	t.Helper()
	_, err := c.CreateBucket(t.Context(), &s3sdk.CreateBucketInput{Bucket: aws.String(name)})
	assert.NilError(t, err)
}

func TestSDKPutGetWithTrailingChecksum(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "logs")
	data := randomBytes(t, 200_000) // several aws-chunked chunks

	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{
		Bucket: aws.String("logs"), Key: aws.String("app/2026/x.bin"), Body: bytes.NewReader(data),
		ContentType: aws.String("application/x-gzip"), Metadata: map[string]string{"owner": "devenv"},
	})
	assert.NilError(t, err)

	puts, err := f.client.Requests(ctx, fakeclient.S3RequestFilter{Op: "PutObject"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(puts, 1))
	assert.Equal(t, puts[0].BodyMode, "aws-chunked-unsigned-trailer")
	assert.Equal(t, puts[0].Integrity, "crc32-trailer")
	assert.Equal(t, puts[0].BodyBytes, int64(len(data)))

	out, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("app/2026/x.bin")})
	assert.NilError(t, err)
	got, err := io.ReadAll(out.Body)
	assert.NilError(t, err)
	assert.NilError(t, out.Body.Close())
	assert.Assert(t, bytes.Equal(got, data), "object bytes differ from what was put")
	assert.Equal(t, aws.ToString(out.ContentType), "application/x-gzip")
	assert.Equal(t, out.Metadata["owner"], "devenv")
	assert.Equal(t, aws.ToString(out.ChecksumCRC32), crc32Of(data))

	stored, err := f.client.Object(ctx, "logs", "app/2026/x.bin", false)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(stored, data), "stored bytes carry aws-chunked framing")
}

func crc32Of(b []byte) string { return checksumAlgs[0].sum(b) }

func TestSDKPutWithHeaderChecksumOverPlainHTTP(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "logs")
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{
		Bucket: aws.String("logs"), Key: aws.String("a.txt"), Body: strings.NewReader("hello"),
	})
	assert.NilError(t, err)
	puts, err := f.client.Requests(ctx, fakeclient.S3RequestFilter{Op: "PutObject"})
	assert.NilError(t, err)
	assert.Equal(t, puts[0].BodyMode, "plain")
	assert.Equal(t, puts[0].Integrity, "crc32-header,sha256-payload")
}

func TestSDKGetObjectRange(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "bucket1")
	data := []byte("0123456789abcdefghij")
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("bucket1"), Key: aws.String("k"), Body: bytes.NewReader(data)})
	assert.NilError(t, err)

	for _, tc := range []struct{ rng, want, contentRange string }{
		{"bytes=2-5", "2345", "bytes 2-5/20"},
		{"bytes=15-", "fghij", "bytes 15-19/20"},
		{"bytes=-3", "hij", "bytes 17-19/20"},
		{"bytes=18-100", "ij", "bytes 18-19/20"},
	} {
		out, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bucket1"), Key: aws.String("k"), Range: aws.String(tc.rng)})
		assert.NilError(t, err, tc.rng)
		got, err := io.ReadAll(out.Body)
		assert.NilError(t, err)
		out.Body.Close()
		assert.Equal(t, string(got), tc.want, tc.rng)
		assert.Equal(t, aws.ToString(out.ContentRange), tc.contentRange, tc.rng)
	}
	_, err = c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bucket1"), Key: aws.String("k"), Range: aws.String("bytes=20-")})
	assert.Equal(t, apiCode(err), "InvalidRange")
}

func TestSDKListObjectsV2Pagination(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "list")
	keys := []string{"a/1", "a/2", "b/1", "c", "d+e f", "logs/2026/01.gz", "logs/2026/02.gz", "logs/2027/01.gz"}
	for _, k := range keys {
		_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("list"), Key: aws.String(k), Body: strings.NewReader(k)})
		assert.NilError(t, err)
	}

	var got []string
	pages := 0
	p := s3sdk.NewListObjectsV2Paginator(c, &s3sdk.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		assert.NilError(t, err)
		pages++
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
		}
	}
	assert.DeepEqual(t, got, keys)
	assert.Equal(t, pages, 3)

	// Delimiter: common prefixes count towards max-keys and are not repeated.
	var prefixes, objects []string
	p = s3sdk.NewListObjectsV2Paginator(c, &s3sdk.ListObjectsV2Input{Bucket: aws.String("list"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		assert.NilError(t, err)
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
		for _, o := range page.Contents {
			objects = append(objects, aws.ToString(o.Key))
		}
	}
	assert.DeepEqual(t, prefixes, []string{"a/", "b/", "logs/"})
	assert.DeepEqual(t, objects, []string{"c", "d+e f"})

	out, err := c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("logs/"), Delimiter: aws.String("/")})
	assert.NilError(t, err)
	assert.Equal(t, len(out.CommonPrefixes), 2)
	assert.Equal(t, aws.ToInt32(out.KeyCount), int32(2))

	out, err = c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("list"), StartAfter: aws.String("c")})
	assert.NilError(t, err)
	assert.Equal(t, aws.ToString(out.Contents[0].Key), "d+e f")

	v1, err := c.ListObjects(ctx, &s3sdk.ListObjectsInput{Bucket: aws.String("list"), Marker: aws.String("b/1"), MaxKeys: aws.Int32(2)})
	assert.NilError(t, err)
	assert.Equal(t, len(v1.Contents), 2)
	assert.Equal(t, aws.ToString(v1.Contents[0].Key), "c")
	assert.Assert(t, aws.ToBool(v1.IsTruncated))

	_, err = c.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("nope")})
	assert.Equal(t, apiCode(err), "NoSuchBucket")
}

func TestSDKDeleteObjectsAndCopy(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "src")
	mustCreateBucket(t, c, "dst")
	for _, k := range []string{"x", "y", "z"} {
		_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(k), Body: strings.NewReader("body-" + k),
			Metadata: map[string]string{"k": k}})
		assert.NilError(t, err)
	}

	cp, err := c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copied/x"), CopySource: aws.String("src/x")})
	assert.NilError(t, err)
	head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copied/x")})
	assert.NilError(t, err)
	assert.Equal(t, aws.ToString(head.ETag), aws.ToString(cp.CopyObjectResult.ETag))
	assert.Equal(t, aws.ToInt64(head.ContentLength), int64(len("body-x")))
	assert.Equal(t, head.Metadata["k"], "x")
	got, err := f.client.Object(ctx, "dst", "copied/x", false)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "body-x")

	_, err = c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("r"), CopySource: aws.String("src/y"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"new": "1"}})
	assert.NilError(t, err)
	head, err = c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("r")})
	assert.NilError(t, err)
	assert.DeepEqual(t, head.Metadata, map[string]string{"new": "1"})

	_, err = c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("q"), CopySource: aws.String("src/missing")})
	assert.Equal(t, apiCode(err), "NoSuchKey")

	del, err := c.DeleteObjects(ctx, &s3sdk.DeleteObjectsInput{Bucket: aws.String("src"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("x")}, {Key: aws.String("y")}, {Key: aws.String("never-existed")}},
	}})
	assert.NilError(t, err)
	assert.Equal(t, len(del.Deleted), 3)
	objs, err := f.client.Objects(ctx, "src", "")
	assert.NilError(t, err)
	assert.Equal(t, len(objs), 1)
	assert.Equal(t, objs[0].Key, "z")

	_, err = c.DeleteBucket(ctx, &s3sdk.DeleteBucketInput{Bucket: aws.String("src")})
	assert.Equal(t, apiCode(err), "BucketNotEmpty")
	_, err = c.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("z")})
	assert.NilError(t, err)
	_, err = c.DeleteBucket(ctx, &s3sdk.DeleteBucketInput{Bucket: aws.String("src")})
	assert.NilError(t, err)
	_, err = c.HeadBucket(ctx, &s3sdk.HeadBucketInput{Bucket: aws.String("src")})
	var nf *types.NotFound
	assert.Assert(t, errors.As(err, &nf), "HeadBucket on a deleted bucket: %v", err)
}

func TestSDKUploadManagerMultipart(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "big")
	data := randomBytes(t, 12<<20+12345)

	//lint:ignore SA1019 feature/s3/manager is the uploader most users still run; transfermanager is its successor
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	//lint:ignore SA1019 as above
	res, err := up.Upload(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("blob"), Body: bytes.NewReader(data)})
	assert.NilError(t, err)
	assert.Assert(t, strings.HasSuffix(aws.ToString(res.ETag), `-3"`), "ETag %s", aws.ToString(res.ETag))
	// The uploader asks for CRC32; S3 answers a COMPOSITE checksum of the part checksums.
	var partSums []Checksum
	for off := 0; off < len(data); off += 5 << 20 {
		partSums = append(partSums, Checksum{Algorithm: "CRC32", Value: crc32Of(data[off:min(off+5<<20, len(data))])})
	}
	want, _ := checksumAlgs[0].composite(partSums)
	assert.Equal(t, aws.ToString(res.ChecksumCRC32), want)
	assert.Equal(t, res.ChecksumType, types.ChecksumTypeComposite)

	counts, err := f.client.Counts(ctx)
	assert.NilError(t, err)
	assert.Equal(t, counts["CreateMultipartUpload"], 1)
	assert.Equal(t, counts["UploadPart"], 3)
	assert.Equal(t, counts["CompleteMultipartUpload"], 1)

	out, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob")})
	assert.NilError(t, err)
	got, err := io.ReadAll(out.Body)
	assert.NilError(t, err)
	out.Body.Close()
	assert.Assert(t, bytes.Equal(got, data))
	assert.Equal(t, aws.ToInt32(out.PartsCount), int32(0)) // only reported for ?partNumber

	// GetObject with PartNumber (how transfermanager downloads) returns one part.
	part, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob"), PartNumber: aws.Int32(3)})
	assert.NilError(t, err)
	got, err = io.ReadAll(part.Body)
	assert.NilError(t, err)
	part.Body.Close()
	assert.Assert(t, bytes.Equal(got, data[10<<20:]))
	assert.Equal(t, aws.ToInt32(part.PartsCount), int32(3))
	assert.Equal(t, aws.ToString(part.ContentRange), fmt.Sprintf("bytes %d-%d/%d", 10<<20, len(data)-1, len(data)))
	_, err = c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob"), PartNumber: aws.Int32(4)})
	assert.Equal(t, apiCode(err), "InvalidPartNumber")

	// Abort and ListParts on a second upload.
	cr, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("aborted")})
	assert.NilError(t, err)
	_, err = c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: aws.String("big"), Key: aws.String("aborted"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part one"))})
	assert.NilError(t, err)
	parts, err := c.ListParts(ctx, &s3sdk.ListPartsInput{Bucket: aws.String("big"), Key: aws.String("aborted"), UploadId: cr.UploadId})
	assert.NilError(t, err)
	assert.Equal(t, len(parts.Parts), 1)
	assert.Equal(t, aws.ToInt64(parts.Parts[0].Size), int64(8))
	_, err = c.AbortMultipartUpload(ctx, &s3sdk.AbortMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("aborted"), UploadId: cr.UploadId})
	assert.NilError(t, err)
	_, err = c.ListParts(ctx, &s3sdk.ListPartsInput{Bucket: aws.String("big"), Key: aws.String("aborted"), UploadId: cr.UploadId})
	assert.Equal(t, apiCode(err), "NoSuchUpload")
}

func TestSDKErrors(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	_, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("none"), Key: aws.String("k")})
	assert.Equal(t, apiCode(err), "NoSuchBucket")
	mustCreateBucket(t, c, "bucket2")
	_, err = c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("bucket2"), Key: aws.String("k")})
	var nsk *types.NoSuchKey
	assert.Assert(t, errors.As(err, &nsk), "%v", err)
	_, err = c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("bucket2"), Key: aws.String("k")})
	var nf *types.NotFound
	assert.Assert(t, errors.As(err, &nf), "%v", err)
	_, err = c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bucket2")})
	assert.NilError(t, err, "us-east-1 answers 200 to re-creating an owned bucket")
	tokyo := newFake(t, true, WithRegion("ap-northeast-1"))
	tc := tokyo.sdk(t, func(o *s3sdk.Options) { o.Region = "ap-northeast-1" })
	mustCreateBucket(t, tc, "bucket2")
	_, err = tc.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("bucket2")})
	var owned *types.BucketAlreadyOwnedByYou
	assert.Assert(t, errors.As(err, &owned), "%v", err)
	_, err = c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	assert.Equal(t, apiCode(err), "InvalidBucketName")

	head, err := c.HeadBucket(ctx, &s3sdk.HeadBucketInput{Bucket: aws.String("bucket2")})
	assert.NilError(t, err)
	assert.Equal(t, aws.ToString(head.BucketRegion), "us-east-1")
	loc, err := c.GetBucketLocation(ctx, &s3sdk.GetBucketLocationInput{Bucket: aws.String("bucket2")})
	assert.NilError(t, err)
	assert.Equal(t, string(loc.LocationConstraint), "", "us-east-1 is reported as an empty constraint")
	list, err := c.ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	assert.NilError(t, err)
	assert.Equal(t, len(list.Buckets), 1)
	assert.Equal(t, aws.ToString(list.Buckets[0].Name), "bucket2")
}

func TestSDKRetriesInjectedSlowDown(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t, func(o *s3sdk.Options) {
		o.Retryer = retryNoDelay(o.Retryer)
	})
	ctx := t.Context()
	mustCreateBucket(t, c, "retry")
	assert.NilError(t, f.client.InjectFault(ctx, faultSlowDown(2, http.MethodPut, "/retry/")))

	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("retry"), Key: aws.String("k"), Body: strings.NewReader("payload")})
	assert.NilError(t, err)

	puts, err := f.client.Requests(ctx, fakeclient.S3RequestFilter{Op: "PutObject"})
	assert.NilError(t, err)
	assert.Equal(t, len(puts), 3, "two injected 503s, then success")
	for i, want := range []struct {
		status   int
		code     string
		injected bool
	}{{503, "SlowDown", true}, {503, "SlowDown", true}, {200, "", false}} {
		assert.Equal(t, puts[i].Status, want.status, "attempt %d", i)
		assert.Equal(t, puts[i].Code, want.code, "attempt %d", i)
		assert.Equal(t, puts[i].Injected, want.injected, "attempt %d", i)
	}
	got, err := f.client.Object(ctx, "retry", "k", false)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "payload")

	// Three faults exhaust the standard retryer's three attempts.
	assert.NilError(t, f.client.InjectFault(ctx, faultSlowDown(3, http.MethodGet, "/retry/")))
	_, err = c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("retry"), Key: aws.String("k")})
	assert.Equal(t, apiCode(err), "SlowDown")
	gets, err := f.client.Requests(ctx, fakeclient.S3RequestFilter{Op: "GetObject"})
	assert.NilError(t, err)
	assert.Equal(t, len(gets), 3)
}

// retryNoDelay is the SDK's standard retryer (three attempts) without the
// backoff sleeps, so retry tests stay fast.
func retryNoDelay(aws.Retryer) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func faultSlowDown(times int, method, pathPrefix string) fakeclient.Fault {
	return fakeclient.Fault{Times: times, Status: http.StatusServiceUnavailable, Code: "SlowDown", Method: method, PathPrefix: pathPrefix}
}

func TestSDKDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	serve := func() (*fake, *s3sdk.Client) {
		store, err := OpenDiskStore(dir)
		assert.NilError(t, err)
		srv := New(store)
		ts := httptest.NewTLSServer(srv.Handler())
		f := &fake{srv: srv, ts: ts, client: fakeclient.NewS3(ts.URL, fakeclient.WithHTTPClient(ts.Client()))}
		return f, f.sdk(t)
	}
	f, c := serve()
	mustCreateBucket(t, c, "durable")
	small := randomBytes(t, 1000)
	big := randomBytes(t, 10<<20+1)
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("durable"), Key: aws.String("small"), Body: bytes.NewReader(small)})
	assert.NilError(t, err)
	//lint:ignore SA1019 feature/s3/manager is the uploader most users still run; transfermanager is its successor
	up, err := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 }).
		Upload(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("durable"), Key: aws.String("big"), Body: bytes.NewReader(big)})
	assert.NilError(t, err)
	f.ts.Close()

	f, c = serve()
	defer f.ts.Close()
	for key, want := range map[string][]byte{"small": small, "big": big} {
		out, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("durable"), Key: aws.String(key)})
		assert.NilError(t, err, key)
		got, err := io.ReadAll(out.Body)
		assert.NilError(t, err)
		out.Body.Close()
		assert.Assert(t, bytes.Equal(got, want), key)
		if key == "big" {
			assert.Equal(t, aws.ToString(out.ETag), aws.ToString(up.ETag))
		}
	}
}

func TestSDKUploadPartCopy(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "copyparts")
	src := randomBytes(t, 5<<20+100)
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("copyparts"), Key: aws.String("src"), Body: bytes.NewReader(src)})
	assert.NilError(t, err)
	cr, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("copyparts"), Key: aws.String("dst")})
	assert.NilError(t, err)
	var parts []types.CompletedPart
	for i, rng := range []string{fmt.Sprintf("bytes=0-%d", 5<<20-1), fmt.Sprintf("bytes=%d-%d", 5<<20, len(src)-1)} {
		out, err := c.UploadPartCopy(ctx, &s3sdk.UploadPartCopyInput{Bucket: aws.String("copyparts"), Key: aws.String("dst"),
			UploadId: cr.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("copyparts/src"), CopySourceRange: aws.String(rng)})
		assert.NilError(t, err)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: aws.String("copyparts"), Key: aws.String("dst"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	assert.NilError(t, err)
	got, err := f.client.Object(ctx, "copyparts", "dst", false)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(got, src))
}

// The C++ SDK sends bodies with Transfer-Encoding: chunked and no
// Content-Length; S3 takes them.
func TestPutWithoutContentLength(t *testing.T) {
	f := newFake(t, false)
	putRaw(t, f, "/telen", nil, nil)
	data := bytes.Repeat([]byte("streamed "), 10000)
	resp, body := f.send(t, rawReq{method: http.MethodPut, path: "/telen/k", body: data, chunkedTE: true,
		header: map[string]string{"X-Amz-Checksum-Crc32": crc32Of(data)}})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	got, err := f.client.Object(t.Context(), "telen", "k", false)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(got, data))
}
