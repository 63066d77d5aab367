// Command latency measures the reference stack's event latency: the time
// from an API request that logs an event to the moment an object holding
// that event is listed in fake S3, through Docker's fluentd driver,
// fluentd's buffer and its flush. It sends -n events at -rate a second,
// polls fake S3, and prints the percentiles.
//
//	go run ./bench/latency -api http://127.0.0.1:1323 -s3 http://127.0.0.1:4566
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/devenv-sh/devenv/fakeclient"
)

func main() {
	api := flag.String("api", "http://127.0.0.1:1323", "the API server")
	s3url := flag.String("s3", "http://127.0.0.1:4566", "fake S3")
	bucket := flag.String("bucket", "delish-local", "the bucket fluentd writes")
	n := flag.Int("n", 300, "events to send")
	rate := flag.Float64("rate", 20, "events a second")
	timeout := flag.Duration("timeout", time.Minute, "give up on events not listed by then")
	flag.Parse()
	if err := run(*api, *s3url, *bucket, *n, *rate, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

func run(api, s3url, bucket string, n int, rate float64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Duration(float64(n)/rate*float64(time.Second)))
	defer cancel()
	fake := fakeclient.NewS3(s3url)
	run := fmt.Sprintf("%d", time.Now().UnixNano()) // tells this run's events apart
	var mu sync.Mutex
	sent := map[int]time.Time{}
	seen := map[int]time.Time{}

	go func() {
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tick.Stop()
		for seq := range n {
			<-tick.C
			body := fmt.Sprintf(`{"event_type":"latency","run":%q,"seq":%d}`, run, seq)
			start := time.Now()
			resp, err := http.Post(api+"/events", "application/json", strings.NewReader(body))
			if err != nil {
				fmt.Fprintln(os.Stderr, "latency: request:", err)
				continue
			}
			resp.Body.Close()
			mu.Lock()
			sent[seq] = start
			mu.Unlock()
		}
	}()

	read := map[string]bool{} // objects already read
	for {
		objs, err := fake.Objects(ctx, bucket, "logs/delish-event/latency/")
		now := time.Now()
		if err == nil {
			for _, o := range objs {
				if read[o.Key] {
					continue
				}
				read[o.Key] = true
				lines, err := fake.Lines(ctx, bucket, o.Key)
				if err != nil {
					return err
				}
				for _, line := range lines {
					var ev struct {
						Run string `json:"run"`
						Seq int    `json:"seq"`
					}
					if json.Unmarshal([]byte(line), &ev) == nil && ev.Run == run {
						mu.Lock()
						seen[ev.Seq] = now
						mu.Unlock()
					}
				}
			}
		}
		mu.Lock()
		done := len(seen) == n
		mu.Unlock()
		if done {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d events listed in fake S3 before the timeout", len(seen), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
	var lat []time.Duration
	for seq, at := range seen {
		lat = append(lat, at.Sub(sent[seq]))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("event latency over %d events (request → object listed in fake S3): p50 %s  p90 %s  p99 %s  max %s\n",
		len(lat), pct(0.50).Round(time.Millisecond), pct(0.90).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	return nil
}
