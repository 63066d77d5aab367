package emulator

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
	fakes3 "github.com/devenv-sh/devenv/fakes/s3"
	faketd "github.com/devenv-sh/devenv/fakes/td"
	"github.com/devenv-sh/devenv/fluent/config"
)

// sinks are a fake S3 and a fake TD served over loopback.
type sinks struct {
	s3URL, tdAddr string
	s3            *fakes3.Server
	s3Store       *fakes3.MemStore
	td            *faketd.Server
	tdStore       *faketd.MemStore
}

func newSinks(t testing.TB) *sinks {
	t.Helper()
	s := &sinks{s3Store: fakes3.NewMemStore()}
	s.s3 = fakes3.New(s.s3Store)
	s3srv := httptest.NewServer(s.s3.Handler())
	t.Cleanup(s3srv.Close)
	s.tdStore = faketd.NewMemStore()
	s.td = faketd.New(s.tdStore)
	tdsrv := httptest.NewServer(s.td)
	t.Cleanup(tdsrv.Close)
	s.s3URL, s.tdAddr = s3srv.URL, tdsrv.Listener.Addr().String()
	return s
}

func (s *sinks) env(buf, flush string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY": "devenv", "AWS_SECRET_ACCESS_KEY": "devenv-secret", "AWS_S3_BUCKET": "delish-logs",
		"TD_DATABASE": "delish_dev", "TD_API_KEY": "td-key",
		"FAKE_S3": s.s3URL, "FAKE_TD": s.tdAddr, "BUF": buf, "FLUSH": flush,
	}
}

// requests returns the S3 requests the fake answered, oldest first.
func (s *sinks) requests(t testing.TB) []fakeclient.S3Request {
	t.Helper()
	reqs, err := fakeclient.NewS3(s.s3URL).Requests(context.Background(), fakeclient.S3RequestFilter{})
	assert.NilError(t, err)
	return reqs
}

// s3Lines returns every JSON line of every object under prefix, by key.
func (s *sinks) s3Lines(t testing.TB, prefix string) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for k, lines := range s.s3RawLines(t, prefix) {
		for _, l := range lines {
			var m map[string]any
			assert.NilError(t, json.Unmarshal([]byte(l), &m), "line %q", l)
			out[k] = append(out[k], m)
		}
	}
	return out
}

// tdRecords returns the records of delish_dev.<table>.
func (s *sinks) tdRecords(t testing.TB, table string) []map[string]any {
	t.Helper()
	raw, _, err := s.tdStore.Records("delish_dev", table, 0, 0)
	if err != nil {
		return nil
	}
	var out []map[string]any
	for _, b := range raw {
		var m map[string]any
		assert.NilError(t, msgpack.Unmarshal(b, &m))
		out = append(out, m)
	}
	return out
}

func parseConfig(t testing.TB, env map[string]string) *config.Element {
	t.Helper()
	root, err := parseConfigFile(t, "fluent.conf", env)
	assert.NilError(t, err)
	return root
}

func parseConfigFile(t testing.TB, name string, env map[string]string) (*config.Element, error) {
	t.Helper()
	return config.Parse(os.DirFS("testdata"), name, config.WithEnv(env))
}

// testLogger writes fluentd-style lines to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(NewLogHandler(testWriter{t}, slog.LevelInfo))
}

// startEmulator runs an emulator on 127.0.0.1:0 until the test ends.
func startEmulator(t testing.TB, root *config.Element, opts ...Option) *Emulator {
	t.Helper()
	opts = append([]Option{WithListenAddr("127.0.0.1:0"), WithHostname("fluentd01")}, opts...)
	e, err := New(root, opts...)
	assert.NilError(t, err)
	assert.NilError(t, e.Listen())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NilError(t, <-done)
	})
	return e
}

func hostPort(t testing.TB, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	assert.NilError(t, err)
	n, err := strconv.Atoi(p)
	assert.NilError(t, err)
	return h, n
}
