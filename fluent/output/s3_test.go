package output

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
	fakes3 "github.com/devenv-sh/devenv/fakes/s3"
	"github.com/devenv-sh/devenv/fluent/buffer"
	"github.com/devenv-sh/devenv/fluent/router"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

type s3Fake struct {
	url   string
	store *fakes3.MemStore
	seen  int // requests already returned by takeOps
}

func newS3Fake(t *testing.T) *s3Fake {
	f := &s3Fake{store: fakes3.NewMemStore()}
	hs := httptest.NewServer(fakes3.New(f.store).Handler())
	t.Cleanup(hs.Close)
	f.url = hs.URL
	return f
}

// takeOps returns "Op key" for the requests since the last call.
func (f *s3Fake) takeOps(t *testing.T) []string {
	t.Helper()
	reqs, err := fakeclient.NewS3(f.url).Requests(t.Context(), fakeclient.S3RequestFilter{})
	assert.NilError(t, err)
	var ops []string
	for _, r := range reqs[f.seen:] {
		ops = append(ops, r.Op+" "+r.Key)
	}
	f.seen = len(reqs)
	return ops
}

func (f *s3Fake) object(t *testing.T, key string) string {
	t.Helper()
	_, r, err := f.store.GetObject(context.Background(), "logs", key)
	assert.NilError(t, err)
	defer r.Close()
	zr, err := gzip.NewReader(r)
	assert.NilError(t, err)
	b, err := io.ReadAll(zr)
	assert.NilError(t, err)
	return string(b)
}

func s3Config(endpoint string) *router.S3Config {
	return &router.S3Config{
		Bucket: "logs", Region: "ap-northeast-1", Endpoint: endpoint, ForcePathStyle: true,
		AWSKeyID: "devenv", AWSSecretKey: "secret",
		Path: "logs/click/", KeyFormat: "%{path}%{time_slice}_%{index}_fluentd01.%{file_extension}",
		TimeSliceFormat: "%Y/%m/%d/%H", Location: time.UTC,
		StoreAs: "gzip", FileExtension: "gz", ContentType: "application/x-gzip",
		CheckObject: true, CheckBucket: true, CheckAPIKey: true, AutoCreateBucket: true, IndexFormat: "%d",
	}
}

func TestS3StartCreatesBucketAndIndexAdvances(t *testing.T) {
	fake := newS3Fake(t)
	sink := NewS3(s3Config(fake.url))
	assert.NilError(t, sink.Start(t.Context()))
	assert.DeepEqual(t, fake.takeOps(t), []string{"ListObjects ", "HeadBucket ", "CreateBucket "})
	// A second start finds the bucket.
	assert.NilError(t, sink.Start(t.Context()))
	assert.DeepEqual(t, fake.takeOps(t), []string{"ListObjects ", "HeadBucket "})

	b := flushThrough(t, sink, "2024/01/02/03", []byte("{\"a\":1}\n"), []byte("{\"a\":2}\n"))
	testsupport.Until(t, 10*time.Second, "first object", func() bool { return b.Stats().Flushed == 1 })
	assert.Equal(t, fake.object(t, "logs/click/2024/01/02/03_0_fluentd01.gz"), "{\"a\":1}\n{\"a\":2}\n")
	b2 := flushThrough(t, sink, "2024/01/02/03", []byte("{\"a\":3}\n"))
	testsupport.Until(t, 10*time.Second, "second object", func() bool { return b2.Stats().Flushed == 1 })
	assert.Equal(t, fake.object(t, "logs/click/2024/01/02/03_1_fluentd01.gz"), "{\"a\":3}\n")
	assert.DeepEqual(t, fake.takeOps(t), []string{
		"HeadObject logs/click/2024/01/02/03_0_fluentd01.gz", "PutObject logs/click/2024/01/02/03_0_fluentd01.gz",
		"HeadObject logs/click/2024/01/02/03_0_fluentd01.gz", "HeadObject logs/click/2024/01/02/03_1_fluentd01.gz",
		"PutObject logs/click/2024/01/02/03_1_fluentd01.gz",
	})
	info, err := fake.store.HeadObject(t.Context(), "logs", "logs/click/2024/01/02/03_1_fluentd01.gz")
	assert.NilError(t, err)
	assert.Assert(t, info.Size > 0)
}

func TestS3RetriesAfterServerErrors(t *testing.T) {
	fake := newS3Fake(t)
	sink := NewS3(s3Config(fake.url))
	assert.NilError(t, sink.Start(t.Context()))
	err := fakeclient.NewS3(fake.url).InjectFault(t.Context(), fakeclient.Fault{Times: 2, Status: 503, Code: "SlowDown", Method: "PUT"})
	assert.NilError(t, err)
	b := flushThrough(t, sink, "2024/01/02/03", []byte("{\"a\":1}\n"))
	testsupport.Until(t, 10*time.Second, "object after retries", func() bool { return b.Stats().Flushed == 1 })
	assert.Equal(t, b.Stats().FlushErrors, int64(2))
	assert.Equal(t, fake.object(t, "logs/click/2024/01/02/03_0_fluentd01.gz"), "{\"a\":1}\n")
}

func TestS3DuplicatedPath(t *testing.T) {
	fake := newS3Fake(t)
	cfg := s3Config(fake.url)
	cfg.KeyFormat = "%{path}%{time_slice}.%{file_extension}"
	sink := NewS3(cfg)
	assert.NilError(t, sink.Start(t.Context()))
	b := flushThrough(t, sink, "k", []byte("x\n"))
	testsupport.Until(t, 10*time.Second, "first object", func() bool { return b.Stats().Flushed == 1 })
	_, err := fake.store.HeadObject(t.Context(), "logs", "logs/click/k.gz")
	assert.NilError(t, err)
	err = sink.Write(t.Context(), chunkOf(t, "k", "y\n"))
	assert.Assert(t, errors.Is(err, router.ErrDuplicatedPath), "%v", err)
}

func TestS3StartFailsOnAuthError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	err := NewS3(s3Config(srv.URL)).Start(t.Context())
	assert.ErrorContains(t, err, "can't call S3 API")
}

// TestS3RecoveredChunkNotUploadedTwice: a queued chunk left on disk by a
// process that died after uploading it, but before deleting it, is
// recognised by its ETag and not uploaded again.
func TestS3RecoveredChunkNotUploadedTwice(t *testing.T) {
	fake := newS3Fake(t)
	sink := NewS3(s3Config(fake.url))
	assert.NilError(t, sink.Start(t.Context()))
	dir := t.TempDir()
	cfg := buffer.Config{Type: "file", Path: filepath.Join(dir, "buf"), FlushInterval: time.Hour, RetryLimit: 3, RetryWait: 10 * time.Millisecond}

	// First life: append, keep a copy of the chunk file, flush.
	b, err := buffer.Open(cfg, sink)
	assert.NilError(t, err)
	assert.NilError(t, b.Append("2024/01/02/03", []byte("{\"a\":1}\n")))
	assert.NilError(t, b.Commit(true))
	staged, err := filepath.Glob(filepath.Join(dir, "buf.*.b*.log"))
	assert.NilError(t, err)
	assert.Equal(t, len(staged), 1)
	data, err := os.ReadFile(staged[0])
	assert.NilError(t, err)
	runUntil(t, b, func() bool { return b.Stats().Flushed == 1 })

	// The file comes back as a queued chunk, as if the process died right
	// after the upload.
	queued := strings.Replace(staged[0], ".b", ".q", 1)
	assert.NilError(t, os.WriteFile(queued, data, 0o644))
	b2, err := buffer.Open(cfg, sink)
	assert.NilError(t, err)
	assert.Equal(t, b2.Stats().RecoveredQ, 1)
	runUntil(t, b2, func() bool { return b2.Stats().Queued == 0 })
	objs, err := fakeclient.NewS3(fake.url).Objects(t.Context(), "logs", "logs/click/")
	assert.NilError(t, err)
	assert.Equal(t, len(objs), 1)

	// A recovered chunk with other records is written under the next index.
	assert.NilError(t, os.WriteFile(queued, []byte("{\"a\":2}\n"), 0o644))
	b3, err := buffer.Open(cfg, sink)
	assert.NilError(t, err)
	runUntil(t, b3, func() bool { return b3.Stats().Queued == 0 })
	assert.Equal(t, fake.object(t, "logs/click/2024/01/02/03_1_fluentd01.gz"), "{\"a\":2}\n")
}

// runUntil runs b until cond holds, then stops it.
func runUntil(t *testing.T, b *buffer.Buffer, cond func() bool) {
	t.Helper()
	b.ForceFlush()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, time.Second) }()
	testsupport.Until(t, 10*time.Second, "buffer state", cond)
	cancel()
	assert.NilError(t, <-done)
}

// TestS3StartListsAsV087: fluent-plugin-s3 v0.8.7's check_apikeys is
// @bucket.objects(prefix: path).first on aws-sdk v2: ListObjects (V1)
// with the prefix and encoding-type=url, and no max-keys.
func TestS3StartListsAsV087(t *testing.T) {
	fake := newS3Fake(t)
	assert.NilError(t, NewS3(s3Config(fake.url)).Start(t.Context()))
	reqs, err := fakeclient.NewS3(fake.url).Requests(t.Context(), fakeclient.S3RequestFilter{})
	assert.NilError(t, err)
	assert.Equal(t, reqs[0].Op, "ListObjects")
	q, err := url.ParseQuery(reqs[0].Query)
	assert.NilError(t, err)
	assert.Equal(t, q.Get("prefix"), "logs/click/")
	assert.Equal(t, q.Get("encoding-type"), "url")
	assert.Assert(t, !q.Has("max-keys"), "query %q", reqs[0].Query)
}
