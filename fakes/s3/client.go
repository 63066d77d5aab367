package s3

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/devenv-sh/devenv/fakes/control"
)

// Client reads the fake S3's inspection API; it embeds the shared control
// client (Health, Reset, InjectFault, ClearFaults).
type Client struct {
	*control.Client
}

// NewClient returns a client for the fake S3 served at baseURL, such as
// "http://127.0.0.1:4566".
func NewClient(baseURL string) *Client {
	return &Client{Client: control.NewClient(baseURL)}
}

// Buckets returns every bucket.
func (c *Client) Buckets(ctx context.Context) ([]BucketInfo, error) {
	var out []BucketInfo
	err := c.Get(ctx, "/buckets", nil, &out)
	return out, err
}

// Objects returns the metadata of the objects in bucket (every bucket when
// empty) whose keys start with prefix, sorted by bucket and key.
func (c *Client) Objects(ctx context.Context, bucket, prefix string) ([]ObjectRecord, error) {
	var out []ObjectRecord
	err := c.Get(ctx, "/objects", url.Values{"bucket": {bucket}, "prefix": {prefix}}, &out)
	return out, err
}

// Object returns an object's bytes; with decompress, gzip content is
// returned gunzipped (a corrupt gzip object is an error).
func (c *Client) Object(ctx context.Context, bucket, key string, decompress bool) ([]byte, error) {
	return c.GetBytes(ctx, "/object", url.Values{
		"bucket": {bucket}, "key": {key}, "decompress": {strconv.FormatBool(decompress)},
	})
}

// WaitObjects blocks until bucket holds at least n objects under prefix
// and returns them, or fails after timeout (at most 5 minutes) or when ctx
// ends. A bucket that does not exist yet counts as empty.
func (c *Client) WaitObjects(ctx context.Context, bucket, prefix string, n int, timeout time.Duration) ([]ObjectRecord, error) {
	var out []ObjectRecord
	err := c.Get(ctx, "/wait", url.Values{
		"bucket": {bucket}, "prefix": {prefix}, "count": {strconv.Itoa(n)}, "timeout": {timeout.String()},
	}, &out)
	return out, err
}

// RequestFilter selects requests from the log; empty fields match all.
type RequestFilter struct {
	Op     string
	Bucket string
}

// Requests returns the remembered requests matching f, oldest first.
func (c *Client) Requests(ctx context.Context, f RequestFilter) ([]RequestRecord, error) {
	q := url.Values{}
	if f.Op != "" {
		q.Set("op", f.Op)
	}
	if f.Bucket != "" {
		q.Set("bucket", f.Bucket)
	}
	var out []RequestRecord
	err := c.Get(ctx, "/requests", q, &out)
	return out, err
}

// Counts returns how many requests of each operation the fake answered
// since it started or was reset.
func (c *Client) Counts(ctx context.Context) (map[string]int, error) {
	var out map[string]int
	err := c.Get(ctx, "/counts", nil, &out)
	return out, err
}
