package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// fluentdBuffers is where the reference stack keeps fluentd's buffer
// files on the host: production's host volume /var/log/delish-fluentd,
// mapped under .devenv/volumes/.
const fluentdBuffers = ".devenv/volumes/delish-fluentd/fluentd_log"

// killSeqStart numbers the events of the kill test apart from the others.
const killSeqStart = 100000

// killFluentd kills fluentd (SIGKILL) while events keep coming, starts it
// again with devenv up -d, and checks that every event fluentd had taken
// (delivered before the kill, or in its buffer files then) reaches fake
// S3 and fake TD exactly once. Docker's fluentd driver does not ask for
// acknowledgements (the task definition sets no fluentd-request-ack):
// what fluentd had written to its buffer is what it had accepted. The
// events the driver could not deliver while fluentd was down are reported.
func (p *project) killFluentd(t *testing.T, api string, fakeS3 *fakeclient.S3, fakeTD *fakeclient.TD) {
	var mu sync.Mutex
	var accepted []int
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for seq := killSeqStart; ; seq++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			body := fmt.Sprintf(`{"event_type":"click","seq":%d}`, seq)
			resp, err := http.Post(api+"/events", "application/json", strings.NewReader(body))
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				mu.Lock()
				accepted = append(accepted, seq)
				mu.Unlock()
			}
		}
	}()
	stopSender := sync.OnceFunc(func() { close(stop); <-done })
	defer stopSender()

	time.Sleep(1500 * time.Millisecond)
	id := p.containerID("fluentd")
	if _, err := p.docker.ContainerKill(t.Context(), id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatalf("docker kill fluentd: %v", err)
	}
	testsupport.Eventually(t, 10*time.Second, "fluentd stopped", func(context.Context) error {
		info, err := p.docker.ContainerInspect(t.Context(), id, client.ContainerInspectOptions{})
		if err != nil {
			return err
		}
		if info.Container.State.Running {
			return errors.New("still running")
		}
		return nil
	})
	// What fluentd had taken when it died.
	takenS3 := union(seqsOfS3(t, fakeS3), p.bufferedS3(t))
	takenTD := union(seqsOfTD(t, fakeTD), p.bufferedTD(t))

	time.Sleep(time.Second) // events go on while fluentd is down
	p.mustDevenv(2*time.Minute, "up", "-d")
	time.Sleep(time.Second)
	stopSender()

	var gotS3, gotTD map[int]int
	testsupport.Eventually(t, 30*time.Second, "what fluentd had taken", func(context.Context) error {
		gotS3, gotTD = seqsOfS3(t, fakeS3), seqsOfTD(t, fakeTD)
		if n := missing(takenS3, gotS3); n > 0 {
			return fmt.Errorf("%d of the %d events fluentd had taken are not in S3", n, len(takenS3))
		}
		if n := missing(takenTD, gotTD); n > 0 {
			return fmt.Errorf("%d of the %d events fluentd had taken are not in TD", n, len(takenTD))
		}
		return nil
	})
	for what, got := range map[string]map[int]int{"S3": gotS3, "TD": gotTD} {
		for seq, n := range got {
			if n != 1 {
				t.Errorf("%s holds event %d %d times", what, seq, n)
			}
		}
	}
	mu.Lock()
	sent := len(accepted)
	dropped := 0
	for _, seq := range accepted {
		if gotS3[seq] == 0 {
			dropped++
		}
	}
	mu.Unlock()
	if len(takenS3) == 0 || sent == 0 {
		t.Fatalf("the test proves nothing: fluentd had taken %d events of %d sent", len(takenS3), sent)
	}
	t.Logf("fluentd killed: it had taken %d events (S3) and %d (TD); all arrived once. Of %d events the API server logged, Docker's fluentd driver dropped %d: "+
		"while fluentd was down it kept them in memory (fluentd-async) and gave up after fluentd-max-retries=3 reconnects, and without fluentd-request-ack nothing tells it what fluentd had taken",
		len(takenS3), len(takenTD), sent, dropped)
}

// seqsOfS3 counts the kill test's events in the fake S3's objects.
func seqsOfS3(t *testing.T, c *fakeclient.S3) map[int]int {
	out := map[int]int{}
	for _, l := range s3Lines(t, c) {
		// "bucket key line"
		parts := strings.SplitN(l, " ", 3)
		if seq, ok := seqOf([]byte(parts[2])); ok {
			out[seq]++
		}
	}
	return out
}

// seqsOfTD counts the kill test's events in fake TD's event_click table.
func seqsOfTD(t *testing.T, c *fakeclient.TD) map[int]int {
	out := map[int]int{}
	recs, err := c.Records(t.Context(), localDatabase, "event_click")
	if err != nil {
		return out
	}
	for _, r := range recs {
		n, _ := r["seq"].(json.Number) // Records keeps numbers exact
		if seq, err := strconv.Atoi(string(n)); err == nil && seq >= killSeqStart {
			out[seq]++
		}
	}
	return out
}

func seqOf(line []byte) (int, bool) {
	var rec struct {
		Seq *int `json:"seq"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.Seq == nil || *rec.Seq < killSeqStart {
		return 0, false
	}
	return *rec.Seq, true
}

// bufferedS3 reads the events in the S3 output's buffer files: JSON lines,
// the last one possibly torn by the kill.
func (p *project) bufferedS3(t *testing.T) map[int]int {
	out := map[int]int{}
	for _, f := range p.bufferFiles(t, "buf-delish-event-click.") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			if seq, ok := seqOf(sc.Bytes()); ok {
				out[seq]++
			}
		}
	}
	return out
}

// bufferedTD reads the events in the TD output's buffer files: msgpack
// records one after another, the last one possibly torn.
func (p *project) bufferedTD(t *testing.T) map[int]int {
	out := map[int]int{}
	for _, f := range p.bufferFiles(t, "td-buf-delish-click.") {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := msgpack.NewDecoder(fh)
		dec.UseLooseInterfaceDecoding(true) // every integer an int64 or uint64
		for {
			var rec map[string]any
			if err := dec.Decode(&rec); err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Logf("%s: %v (a record torn by the kill)", f, err)
				}
				break
			}
			var seq int
			switch v := rec["seq"].(type) {
			case int64:
				seq = int(v)
			case uint64:
				seq = int(v)
			}
			if seq >= killSeqStart {
				out[seq]++
			}
		}
		fh.Close()
	}
	return out
}

// bufferFiles lists fluentd's chunk files whose names start with prefix.
func (p *project) bufferFiles(t *testing.T, prefix string) []string {
	files, err := filepath.Glob(filepath.Join(p.dir, fluentdBuffers, prefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func union(a, b map[int]int) map[int]int {
	out := map[int]int{}
	for k := range a {
		out[k] = 1
	}
	for k := range b {
		out[k] = 1
	}
	return out
}

// missing counts the keys of want that got lacks.
func missing(want, got map[int]int) int {
	n := 0
	for k := range want {
		if got[k] == 0 {
			n++
		}
	}
	return n
}
