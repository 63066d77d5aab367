package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
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
	srv := httptest.NewServer(newServer(newLogger(&out, func() time.Time { return fixed }), metrics).handler(t.Output()))
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

// request sends one request and returns the response with its body read.
func request(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	assert.NilError(t, err)
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	return resp, data
}

func TestRouterErrorsAreJSONAndLoggedAsAccess(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		status       int
		message      string
	}{
		{"GET", "/nope", http.StatusNotFound, "Not Found"},
		{"GET", "/recipes/", http.StatusNotFound, "Not Found"},
		{"GET", "/recipes/1/2", http.StatusNotFound, "Not Found"},
		{"GET", "/recipes/1/", http.StatusNotFound, "Not Found"},
		{"HEAD", "/nope", http.StatusNotFound, ""},
		{"GET", "/health/", http.StatusNotFound, "Not Found"},
		{"POST", "/health", http.StatusMethodNotAllowed, "Method Not Allowed"},
		{"DELETE", "/recipes/1", http.StatusMethodNotAllowed, "Method Not Allowed"},
		{"GET", "/events", http.StatusMethodNotAllowed, "Method Not Allowed"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			srv, out := newTestServer(t, nil)
			resp, body := request(t, tc.method, srv.URL+tc.path, "")
			assert.Equal(t, resp.StatusCode, tc.status)
			assert.Equal(t, resp.Header.Get("Content-Type"), "application/json")
			if tc.method == http.MethodHead {
				assert.Equal(t, len(body), 0)
			} else {
				assert.Equal(t, string(body), `{"error":"`+tc.message+`"}`+"\n")
			}
			if tc.status == http.StatusMethodNotAllowed {
				assert.Assert(t, strings.Contains(resp.Header.Get("Allow"), http.MethodGet) ||
					strings.Contains(resp.Header.Get("Allow"), http.MethodPost), "Allow: %q", resp.Header.Get("Allow"))
			}
			recs := lines(t, out)
			assert.Equal(t, len(recs), 1, "one access line")
			_, ok := recs[0]["elapsed_ms"].(float64)
			assert.Assert(t, ok, "elapsed_ms: %#v", recs[0]["elapsed_ms"])
			delete(recs[0], "elapsed_ms")
			assert.DeepEqual(t, recs[0], map[string]any{
				"log_type": "ACCESS", "method": tc.method, "path": tc.path, "status": float64(tc.status),
				"time": "2024-01-02T03:04:05Z",
			})
		})
	}
}

func TestHandlerErrorsAreJSON(t *testing.T) {
	for _, tc := range []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"GET", "/recipes/abc", "", http.StatusBadRequest, "recipe id must be a positive integer"},
		{"GET", "/recipes/0", "", http.StatusBadRequest, "recipe id must be a positive integer"},
		{"GET", "/recipes/%2F", "", http.StatusBadRequest, "recipe id must be a positive integer"},
		{"POST", "/events", `{"event_type":"a b"}`, http.StatusBadRequest, `"event_type" must be a string of letters, digits and underscores`},
		{"POST", "/events", `[1]`, http.StatusBadRequest, "body must be a JSON object: json: cannot unmarshal array into Go value of type map[string]interface {}"},
		{"POST", "/events", `{"event_type":"x","pad":"` + strings.Repeat("a", maxEventBytes) + `"}`, http.StatusRequestEntityTooLarge, "http: request body too large"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			srv, out := newTestServer(t, nil)
			resp, body := request(t, tc.method, srv.URL+tc.path, tc.body)
			assert.Equal(t, resp.StatusCode, tc.status)
			assert.Equal(t, resp.Header.Get("Content-Type"), "application/json")
			var got map[string]string
			assert.NilError(t, json.Unmarshal(body, &got), "body %q", body)
			assert.DeepEqual(t, got, map[string]string{"error": tc.message})
			recs := lines(t, out)
			assert.Equal(t, len(recs), 1, "only the access line")
			assert.Equal(t, recs[0]["log_type"], "ACCESS")
			assert.Equal(t, recs[0]["status"], float64(tc.status))
		})
	}
}

func TestHealthAnswersGetAndHead(t *testing.T) {
	srv, out := newTestServer(t, nil)
	resp, body := request(t, http.MethodGet, srv.URL+"/health", "")
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	assert.Equal(t, resp.Header.Get("Content-Type"), "application/json")
	assert.Equal(t, string(body), `{"status":"ok"}`+"\n")
	resp, body = request(t, http.MethodHead, srv.URL+"/health", "")
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	assert.Equal(t, len(body), 0)
	recs := lines(t, out)
	assert.Equal(t, len(recs), 2)
	assert.Equal(t, recs[0]["method"], "GET")
	assert.Equal(t, recs[1]["method"], "HEAD")
	assert.Equal(t, recs[1]["status"], float64(200))
}

func TestRecipeResponseAndEscapedID(t *testing.T) {
	srv, out := newTestServer(t, nil)
	resp, body := request(t, http.MethodGet, srv.URL+"/recipes/%31%32", "")
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	assert.Equal(t, string(body), `{"id":12,"title":"recipe 12"}`+"\n")
	recs := lines(t, out)
	assert.Equal(t, len(recs), 2)
	assert.DeepEqual(t, recs[0], map[string]any{
		"log_type": "EVENT", "event_type": "recipe_view", "recipe_id": float64(12), "time": "2024-01-02T03:04:05Z",
	})
	assert.Equal(t, recs[1]["path"], "/recipes/12")
}

// readStatsD reads DogStatsD datagrams from pc until every wanted line has
// arrived, failing after 5 s without a datagram, and returns every line
// read. A "*" in a wanted line stands for the value.
func readStatsD(t *testing.T, pc net.PacketConn, want ...string) []string {
	t.Helper()
	var got []string
	match := func(w, g string) bool {
		pre, suf, wild := strings.Cut(w, "*")
		if !wild {
			return g == w
		}
		return len(g) > len(pre)+len(suf) && strings.HasPrefix(g, pre) && strings.HasSuffix(g, suf)
	}
	missing := func() []string {
		var m []string
		for _, w := range want {
			found := false
			for _, g := range got {
				found = found || match(w, g)
			}
			if !found {
				m = append(m, w)
			}
		}
		return m
	}
	buf := make([]byte, 65536)
	for len(missing()) > 0 {
		assert.NilError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, _, err := pc.ReadFrom(buf)
		assert.NilError(t, err, "still missing %q; lines so far: %q", missing(), got)
		got = append(got, strings.Split(strings.TrimSuffix(string(buf[:n]), "\n"), "\n")...)
	}
	return got
}

func TestRouterErrorsReachDogStatsD(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	assert.NilError(t, err)
	t.Cleanup(func() { pc.Close() })
	client, err := statsd.New(pc.LocalAddr().String(), statsd.WithNamespace("delish.api."), statsd.WithoutTelemetry(),
		statsd.WithoutClientSideAggregation())
	assert.NilError(t, err)
	t.Cleanup(func() { client.Close() })
	srv, _ := newTestServer(t, client)
	resp, _ := request(t, http.MethodGet, srv.URL+"/nope", "")
	assert.Equal(t, resp.StatusCode, http.StatusNotFound)
	resp, _ = request(t, http.MethodPut, srv.URL+"/events", "")
	assert.Equal(t, resp.StatusCode, http.StatusMethodNotAllowed)
	assert.NilError(t, client.Flush())
	readStatsD(t, pc,
		"delish.api.request:1|c|#method:GET,status:404", "delish.api.request.duration:*|ms|#method:GET,status:404",
		"delish.api.request:1|c|#method:PUT,status:405", "delish.api.request.duration:*|ms|#method:PUT,status:405")
}
