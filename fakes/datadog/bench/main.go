// Command bench drives a sustained DogStatsD load over loopback UDP into the
// Datadog agent stub and reports how many datagrams were lost.
//
// By default it starts a stub in-process on 127.0.0.1:0; with -statsd and
// -api it targets one already running (devenv fake datadog):
//
//	go run ./fakes/datadog/bench -rate 100000 -duration 10s
//	go run ./fakes/datadog/bench -statsd 127.0.0.1:8125 -api http://127.0.0.1:8126
//
// Each datagram holds one metric shaped like datadog-go's (a timing with
// five tags and a container id). Sending is paced: every 200 µs the sender
// catches up with rate × elapsed time, with sendmmsg batches of up to 64.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/fakes/datadog"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Result is what one run measured.
type Result struct {
	Rate          int     `json:"rate"`
	Duration      string  `json:"duration"`
	Sent          uint64  `json:"sent"`
	SendRate      float64 `json:"send_rate"`
	Received      uint64  `json:"received"`
	Metrics       uint64  `json:"metrics"`
	ParseErrors   uint64  `json:"parse_errors"`
	DroppedKernel uint64  `json:"dropped_kernel"`
	DroppedQueue  uint64  `json:"dropped_queue"`
	Lost          uint64  `json:"lost"`
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	rate := fs.Int("rate", 100_000, "datagrams per second to send")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	statsdAddr := fs.String("statsd", "", "UDP address of a running stub (default: start one in-process)")
	api := fs.String("api", "", "inspection API base URL of the running stub given by -statsd")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	var counts func() (fakeclient.DatadogCounts, error)
	target := *statsdAddr
	switch {
	case target == "":
		a := datadog.New()
		defer a.Close()
		udp, err := a.ListenUDP("127.0.0.1:0")
		if err != nil {
			return err
		}
		target = udp.String()
		counts = func() (fakeclient.DatadogCounts, error) { return fakeclient.DatadogCounts(a.Counts()), nil }
	case *api == "":
		return fmt.Errorf("-statsd needs -api to read the stub's counts")
	default:
		c := fakeclient.NewDatadog(*api)
		if err := c.Reset(ctx); err != nil {
			return err
		}
		counts = func() (fakeclient.DatadogCounts, error) { return c.Counts(ctx) }
	}

	raddr, err := net.ResolveUDPAddr("udp4", target)
	if err != nil {
		return err
	}
	conn, err := net.DialUDP("udp4", nil, raddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Send with sendmmsg, up to 64 datagrams per system call, so that the
	// sender leaves the CPU to the stub.
	pc := ipv4.NewPacketConn(conn)
	msg := []byte("bench.http.request.duration:12.500000|ms|#env:bench,service:api,version:1.0.0,route:/users/:id,status:200|c:4f6e1b1c2d3e")
	batch := make([]ipv4.Message, 64)
	for i := range batch {
		batch[i].Buffers = [][]byte{msg}
	}
	start := time.Now()
	var sent uint64
	for {
		elapsed := time.Since(start)
		if elapsed >= *duration {
			break
		}
		// Catch up with the schedule in batches, rechecking the clock
		// after each one so that a sender that fell behind stops on time.
		for due := uint64(float64(*rate) * elapsed.Seconds()); sent < due; {
			n, err := pc.WriteBatch(batch[:min(uint64(len(batch)), due-sent)], 0)
			if err != nil {
				return fmt.Errorf("send datagram %d: %w", sent, err)
			}
			sent += uint64(n)
			if elapsed = time.Since(start); elapsed >= *duration {
				break
			}
			due = uint64(float64(*rate) * elapsed.Seconds())
		}
		time.Sleep(200 * time.Microsecond)
	}
	sendTime := time.Since(start)

	// Let the stub read and parse what is still queued: wait until every
	// datagram is accounted for, or nothing changed for a second.
	var n fakeclient.DatadogCounts
	last, lastChange := uint64(0), time.Now()
	for time.Since(lastChange) < time.Second {
		if n, err = counts(); err != nil {
			return err
		}
		seen := n.Packets + n.Dropped
		if seen >= sent {
			break
		}
		if seen != last {
			last, lastChange = seen, time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := Result{
		Rate: *rate, Duration: duration.String(), Sent: sent,
		SendRate: float64(sent) / sendTime.Seconds(),
		Received: n.Packets, Metrics: n.Metrics, ParseErrors: n.ParseErrors,
		DroppedKernel: n.DroppedKernel, DroppedQueue: n.DroppedQueue,
	}
	if r.Received < sent {
		r.Lost = sent - r.Received
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(out, "sent %d datagrams in %s (%.0f/s, target %d/s)\n", r.Sent, sendTime.Round(time.Millisecond), r.SendRate, r.Rate)
	fmt.Fprintf(out, "received %d, parsed %d metrics, %d parse errors\n", r.Received, r.Metrics, r.ParseErrors)
	fmt.Fprintf(out, "dropped: %d by the kernel (socket buffer full), %d by the stub (parser queue full); lost in total %d (%.4f%%)\n",
		r.DroppedKernel, r.DroppedQueue, r.Lost, 100*float64(r.Lost)/float64(max(r.Sent, 1)))
	return nil
}
