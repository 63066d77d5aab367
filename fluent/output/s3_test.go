package output

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakes/control"
	fakes3 "github.com/devenv-sh/devenv/fakes/s3"
	"github.com/devenv-sh/devenv/fluent/router"
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
	reqs, err := fakes3.NewClient(f.url).Requests(t.Context(), fakes3.RequestFilter{})
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
	waitFor(t, "first object", func() bool { return b.Stats().Flushed == 1 })
	assert.Equal(t, fake.object(t, "logs/click/2024/01/02/03_0_fluentd01.gz"), "{\"a\":1}\n{\"a\":2}\n")
	b2 := flushThrough(t, sink, "2024/01/02/03", []byte("{\"a\":3}\n"))
	waitFor(t, "second object", func() bool { return b2.Stats().Flushed == 1 })
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
	err := control.NewClient(fake.url).InjectFault(t.Context(), control.Fault{Times: 2, Status: 503, Code: "SlowDown", Method: "PUT"})
	assert.NilError(t, err)
	b := flushThrough(t, sink, "2024/01/02/03", []byte("{\"a\":1}\n"))
	waitFor(t, "object after retries", func() bool { return b.Stats().Flushed == 1 })
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
	waitFor(t, "first object", func() bool { return b.Stats().Flushed == 1 })
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
