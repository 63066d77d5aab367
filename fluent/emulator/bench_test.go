package emulator

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/internal/testsupport"
	"github.com/fluent/fluent-logger-golang/fluent"
	"github.com/vmihailenco/msgpack/v5"
	"gotest.tools/v3/assert"
)

// streamRecords sends n Docker-shaped event records as Message-mode frames
// (the bytes Docker's driver sends, one frame per record) over clients
// concurrent connections, each written through a 64 KiB buffer: many
// Docker log drivers at once, with less client CPU than
// fluent-logger-golang spends encoding through reflection.
func streamRecords(b testing.TB, addr string, n, clients int) {
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			w := bufio.NewWriterSize(conn, 64<<10)
			enc := msgpack.NewEncoder(w)
			for i := c; i < n; i += clients {
				rec := dockerRecord(`{"log_type":"EVENT","event_type":"click","user_id":` + strconv.Itoa(i) + `,"item":{"id":"x1","tags":["a","b"]},"price":9.99}`)
				if err := enc.Encode([]any{"docker.delish", int64(1704164645), rec, map[string]any{}}); err != nil {
					errs <- err
					return
				}
			}
			if err := w.Flush(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// sendRecords posts n Docker-shaped event records with clients concurrent
// fluent-logger-golang clients (Message mode, as Docker's driver sends).
func sendRecords(b testing.TB, addr string, n, clients int) { postRecords(b, addr, n, clients, false) }

// sendAckedRecords is sendRecords with RequestAck: every record waits for
// its ack, which the emulator sends once the record is fsynced.
func sendAckedRecords(b testing.TB, addr string, n, clients int) {
	postRecords(b, addr, n, clients, true)
}

func postRecords(b testing.TB, addr string, n, clients int, ack bool) {
	host, port := hostPort(b, addr)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			logger, err := fluent.New(fluent.Config{FluentHost: host, FluentPort: port, Timeout: 5 * time.Second, RequestAck: ack})
			if err != nil {
				errs <- err
				return
			}
			defer logger.Close()
			at := time.Unix(1704164645, 0)
			for i := c; i < n; i += clients {
				rec := dockerRecord(`{"log_type":"EVENT","event_type":"click","user_id":` + strconv.Itoa(i) + `,"item":{"id":"x1","tags":["a","b"]},"price":9.99}`)
				if err := logger.PostWithTime("docker.delish", at, rec); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkForwardInput sends b.N Docker-shaped records over loopback
// through the production pipeline (filter_parser, two rewrites, forest,
// copy) into the file buffers of out_s3 and out_tdlog, in process.
func BenchmarkForwardInput(b *testing.B) {
	for _, client := range []struct {
		name string
		send func(testing.TB, string, int, int)
	}{{"stream", streamRecords}, {"fluent-logger-golang", sendRecords}, {"fluent-logger-golang-ack", sendAckedRecords}} {
		b.Run(client.name, func(b *testing.B) { benchForwardInput(b, client.send) })
	}
}

func benchForwardInput(b *testing.B, send func(testing.TB, string, int, int)) {
	sk := newSinks(b)
	root := parseConfig(b, sk.env(b.TempDir(), "1s"))
	e := startEmulator(b, root)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU(b)
	send(b, e.Addr(), b.N, 4)
	testsupport.Until(b, time.Minute, "all records buffered", func() bool { return e.Stats().Delivered == int64(2*b.N) })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	// CPU of the whole test process (clients and fakes included): the
	// rate the machine sustains per core when other processes compete.
	b.ReportMetric(float64(b.N)/(processCPU(b)-cpu0).Seconds(), "records/cpu-s")
}

// processCPU is this process's user+system CPU time.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	assert.NilError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS reads a process's peak resident set size (VmHWM) in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// cpuTime reads a process's user+system CPU time from /proc (clock ticks
// of 1/100 s).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+2:]))
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// BenchmarkForwardInputMillion runs the emulator as a child process and
// sends 1,000,000 records through the production pipeline into file
// buffers flushed every second to the fake S3 and TD (in this process); it
// reports the rate and the child's peak resident memory.
func BenchmarkForwardInputMillion(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		sk := newSinks(b)
		env := sk.env(b.TempDir(), "1s")
		proc := startChildTB(b, env, anyPort)
		listen := proc.addr
		start := time.Now()
		streamRecords(b, listen, n, 4)
		sent := time.Since(start)
		testsupport.Until(b, 2*time.Minute, "every record in TD", func() bool {
			t, err := sk.tdStore.Table("delish_dev", "event_click")
			return err == nil && t.Count == n
		})
		rss, err := peakRSS(proc.cmd.Process.Pid)
		assert.NilError(b, err)
		cpu, err := cpuTime(proc.cmd.Process.Pid)
		assert.NilError(b, err)
		proc.stopTB(b)
		b.ReportMetric(float64(n)/sent.Seconds(), "records/s")
		b.ReportMetric(float64(n)/cpu.Seconds(), "records/emulator-cpu-s")
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
	}
}
