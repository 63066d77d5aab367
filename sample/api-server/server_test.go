package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"
	"gotest.tools/v3/assert"
)

var fixed = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestServer(t *testing.T, metrics statsd.ClientInterface) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	if metrics == nil {
		metrics = &statsd.NoOpClient{}
	}
	srv := httptest.NewServer(newServer(newLogger(&out, func() time.Time { return fixed }), metrics).handler())
	t.Cleanup(srv.Close)
	return srv, &out
}

func lines(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var rec map[string]any
		assert.NilError(t, json.Unmarshal(sc.Bytes(), &rec), "line %q", sc.Text())
		recs = append(recs, rec)
	}
	return recs
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	assert.NilError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestEventIsOneJSONLineWithLogTypeAndTime(t *testing.T) {
	srv, out := newTestServer(t, nil)
	assert.Equal(t, post(t, srv.URL+"/events", `{"event_type":"click","user_id":42}`), http.StatusAccepted)
	recs := lines(t, out)
	assert.Equal(t, len(recs), 2, "one event line and one access line")
	assert.DeepEqual(t, recs[0], map[string]any{
		"log_type": "EVENT", "event_type": "click", "user_id": float64(42), "time": "2024-01-02T03:04:05Z",
	})
	assert.Equal(t, recs[1]["log_type"], "ACCESS")
	assert.Equal(t, recs[1]["path"], "/events")
	assert.Equal(t, recs[1]["status"], float64(202))
}

func TestEventKeepsTheCallersTime(t *testing.T) {
	srv, out := newTestServer(t, nil)
	assert.Equal(t, post(t, srv.URL+"/events", `{"event_type":"click","time":"2024-05-06T07:08:09Z"}`), http.StatusAccepted)
	assert.Equal(t, lines(t, out)[0]["time"], "2024-05-06T07:08:09Z")
}

func TestBadEventsAreRejectedAndNotLogged(t *testing.T) {
	srv, out := newTestServer(t, nil)
	for _, body := range []string{`[1]`, `{"event_type":""}`, `{"event_type":"a.b"}`, `{"event_type":7}`, `{`} {
		assert.Equal(t, post(t, srv.URL+"/events", body), http.StatusBadRequest, body)
	}
	for _, rec := range lines(t, out) {
		assert.Equal(t, rec["log_type"], "ACCESS")
	}
}

func TestRecipeViewLogsAnEvent(t *testing.T) {
	srv, out := newTestServer(t, nil)
	resp, err := http.Get(srv.URL + "/recipes/12")
	assert.NilError(t, err)
	resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	rec := lines(t, out)[0]
	assert.Equal(t, rec["event_type"], "recipe_view")
	assert.Equal(t, rec["recipe_id"], float64(12))
}

func TestMetricsReachDogStatsD(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	assert.NilError(t, err)
	t.Cleanup(func() { pc.Close() })
	client, err := statsd.New(pc.LocalAddr().String(), statsd.WithNamespace("delish.api."), statsd.WithoutTelemetry(),
		statsd.WithoutClientSideAggregation())
	assert.NilError(t, err)
	srv, _ := newTestServer(t, client)
	assert.Equal(t, post(t, srv.URL+"/events", `{"event_type":"click"}`), http.StatusAccepted)
	assert.NilError(t, client.Flush())

	var got strings.Builder
	buf := make([]byte, 65536)
	want := []string{"delish.api.event:1|c|#event_type:click", "delish.api.request:1|c|#method:POST,status:202"}
	for !strings.Contains(got.String(), want[0]) || !strings.Contains(got.String(), want[1]) {
		assert.NilError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := pc.ReadFrom(buf)
		assert.NilError(t, err, "datagrams so far: %q", got.String())
		got.Write(buf[:n])
		got.WriteByte('\n')
	}
}
