package fakeclient

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// S3 reads the fake S3's inspection API. Create it with [NewS3]; it is safe
// for concurrent use.
type S3 struct {
	base
}

// NewS3 returns a client for the fake S3 served at baseURL, such as
// "http://127.0.0.1:4566" (a trailing slash is ignored).
func NewS3(baseURL string, opts ...Option) *S3 {
	return &S3{base: newBase(baseURL, opts)}
}

// S3Bucket is one bucket, as GET /_devenv/buckets lists it.
type S3Bucket struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Region is the LocationConstraint the bucket was created with; empty
	// for none (the fake's region).
	Region string `json:"region,omitempty"`
	// ACL is the bucket's canned ACL (x-amz-acl); empty for private.
	ACL string `json:"acl,omitempty"`
	// Owner is the canonical ID of the owner who created the bucket; empty
	// for the fake's first owner, who owns every bucket made without
	// credentials.
	Owner string `json:"owner,omitempty"`
}

// S3Checksum is one of S3's additional checksums of an object or part.
type S3Checksum struct {
	// Algorithm is CRC32, CRC32C, CRC64NVME, SHA1 or SHA256; empty for none.
	Algorithm string `json:"algorithm,omitempty"`
	// Value is the base64 checksum, with a "-N" suffix for a composite
	// checksum of an N-part upload.
	Value string `json:"value,omitempty"`
	// Type is FULL_OBJECT or COMPOSITE.
	Type string `json:"type,omitempty"`
}

// S3Object is one stored object's metadata, as GET /_devenv/objects lists
// it: everything S3 returns from HeadObject, and the bucket.
type S3Object struct {
	Bucket       string     `json:"bucket"`
	Key          string     `json:"key"`
	Size         int64      `json:"size"`
	ETag         string     `json:"etag"`
	LastModified time.Time  `json:"last_modified"`
	Checksum     S3Checksum `json:"checksum,omitzero"`
	// PartSizes are the sizes of the parts of an object made by a
	// multipart upload, in order.
	PartSizes []int64 `json:"part_sizes,omitempty"`

	ContentType        string `json:"content_type,omitempty"`
	ContentEncoding    string `json:"content_encoding,omitempty"`
	ContentDisposition string `json:"content_disposition,omitempty"`
	ContentLanguage    string `json:"content_language,omitempty"`
	CacheControl       string `json:"cache_control,omitempty"`
	Expires            string `json:"expires,omitempty"`
	StorageClass       string `json:"storage_class,omitempty"`
	// ACL is the object's canned ACL (x-amz-acl); empty for private.
	ACL string `json:"acl,omitempty"`
	// Metadata holds the x-amz-meta-* headers, keyed by the lowercase name
	// without the prefix.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Headers holds other headers S3 stores and echoes, such as
	// x-amz-server-side-encryption and x-amz-tagging-count.
	Headers map[string]string `json:"headers,omitempty"`
}

// S3Request is one S3 request the fake answered, as GET /_devenv/requests
// lists it.
type S3Request struct {
	Time time.Time `json:"time"`
	// ID is the x-amz-request-id the fake answered with.
	ID string `json:"id"`
	// Op is the S3 operation, such as PutObject or ListObjectsV2; Unknown
	// when the request named none.
	Op     string `json:"op"`
	Method string `json:"method"`
	// Path is the request path as sent; for virtual-hosted-style requests
	// it lacks the bucket, which is in Host.
	Path  string `json:"path"`
	Query string `json:"query,omitempty"`
	Host  string `json:"host"`
	// Addressing is "path" or "virtual-host".
	Addressing string `json:"addressing"`
	Bucket     string `json:"bucket,omitempty"`
	Key        string `json:"key,omitempty"`
	Status     int    `json:"status"`
	// Code is the S3 error code answered, if any.
	Code string `json:"code,omitempty"`
	// Injected is true when fault injection answered the request.
	Injected bool `json:"injected,omitempty"`
	// Auth is none, sigv4, sigv4-presigned, sigv4a, sigv2 or unknown.
	Auth      string `json:"auth"`
	AccessKey string `json:"access_key,omitempty"`
	// SignatureVerified is true when the fake has credentials configured
	// and the signature matched.
	SignatureVerified bool `json:"signature_verified"`
	// BodyMode is how the body was framed: plain, aws-chunked-signed,
	// aws-chunked-signed-trailer or aws-chunked-unsigned-trailer; empty when
	// the body was not read.
	BodyMode string `json:"body_mode,omitempty"`
	// Integrity lists the checks the client asked for, comma-separated:
	// content-md5, <algorithm>-header, <algorithm>-trailer, sha256-payload.
	Integrity string `json:"integrity,omitempty"`
	// BodyBytes is the number of decoded body bytes received.
	BodyBytes int64  `json:"body_bytes,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	// Duration is how long the fake took to answer.
	Duration time.Duration `json:"duration_ns"`
}

// S3RequestFilter selects requests from the fake's log; empty fields match
// all.
type S3RequestFilter struct {
	// Op is an S3 operation, such as PutObject.
	Op     string
	Bucket string
}

// Buckets returns every bucket, sorted by name.
func (c *S3) Buckets(ctx context.Context) ([]S3Bucket, error) {
	var out []S3Bucket
	err := c.get(ctx, "/buckets", nil, &out)
	return out, err
}

// Objects returns the metadata of the objects in bucket (every bucket when
// empty) whose keys start with prefix, sorted by bucket and key. A bucket
// that does not exist is an error (404).
func (c *S3) Objects(ctx context.Context, bucket, prefix string) ([]S3Object, error) {
	var out []S3Object
	err := c.get(ctx, "/objects", url.Values{"bucket": {bucket}, "prefix": {prefix}}, &out)
	return out, err
}

// Object returns an object's bytes as stored; with decompress, gzip content
// is returned gunzipped (a corrupt gzip object is an error, 422), and other
// content as stored. A missing bucket or key is an error (404).
func (c *S3) Object(ctx context.Context, bucket, key string, decompress bool) ([]byte, error) {
	return c.getBytes(ctx, "/object", url.Values{
		"bucket": {bucket}, "key": {key}, "decompress": {strconv.FormatBool(decompress)},
	})
}

// Lines returns an object's lines, gunzipped when it is gzip: what
// fluentd's out_s3 writes, one record a line. Each line lacks its "\n"; a
// last line without one is returned too, and an empty object has no lines.
func (c *S3) Lines(ctx context.Context, bucket, key string) ([]string, error) {
	data, err := c.Object(ctx, bucket, key, true)
	if err != nil {
		return nil, err
	}
	var lines []string
	for line := range strings.Lines(string(data)) {
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
	return lines, nil
}

// WaitObjects blocks until bucket holds at least n (at least 1) objects
// under prefix and returns them all, sorted by key. It fails after timeout
// (at most 5 minutes; zero means the fake's default, 30 s) with the fake's
// 408 naming how many objects there were, or when ctx ends. A bucket that
// does not exist yet counts as empty.
func (c *S3) WaitObjects(ctx context.Context, bucket, prefix string, n int, timeout time.Duration) ([]S3Object, error) {
	q := url.Values{"bucket": {bucket}, "prefix": {prefix}, "count": {strconv.Itoa(n)}}
	if timeout != 0 {
		q.Set("timeout", timeout.String())
	}
	var out []S3Object
	err := c.get(ctx, "/wait", q, &out)
	return out, err
}

// Requests returns the requests the fake remembers (its latest ones) that
// match f, oldest first.
func (c *S3) Requests(ctx context.Context, f S3RequestFilter) ([]S3Request, error) {
	q := url.Values{}
	if f.Op != "" {
		q.Set("op", f.Op)
	}
	if f.Bucket != "" {
		q.Set("bucket", f.Bucket)
	}
	var out []S3Request
	err := c.get(ctx, "/requests", q, &out)
	return out, err
}

// Counts returns how many requests of each operation (PutObject, ...) the
// fake answered since it started or was reset.
func (c *S3) Counts(ctx context.Context) (map[string]int, error) {
	var out map[string]int
	err := c.get(ctx, "/counts", nil, &out)
	return out, err
}
