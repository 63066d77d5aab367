package emulator

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/internal/testsupport"
	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"
)

// child is an emulator process started from the test binary.
type child struct {
	cmd  *exec.Cmd
	addr string // the TCP address it listens on, as it reported it
}

// anyPort makes a child listen on a port the kernel picks as it binds, so
// no other process can take the port between choosing and binding it.
const anyPort = "127.0.0.1:0"

func startChild(t *testing.T, env map[string]string, listen string) *child {
	return startChildTB(t, env, listen)
}

// startChildTB starts an emulator child listening on listen (anyPort, or
// the address of a child killed before, which its clients keep dialling)
// and waits until it is ready. While another process holds the address
// (EADDRINUSE) it starts the child again, for up to 30 seconds.
func startChildTB(t testing.TB, env map[string]string, listen string) *child {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, inUse := tryStartChild(t, env, listen)
		if c != nil {
			return c
		}
		if !inUse {
			t.Fatalf("emulator child on %s exited before it was ready for another reason than the address in use (its stderr is above)", listen)
		}
		if time.Now().After(deadline) {
			t.Fatalf("another process held %s for 30 s, so the emulator child could not listen on it again", listen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tryStartChild starts one emulator child on listen and returns it once it
// is ready; if it exits first it returns nil, and addrInUse tells whether
// it exited because listen was taken.
func tryStartChild(t testing.TB, env map[string]string, listen string) (_ *child, addrInUse bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "LISTEN="+listen)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	assert.NilError(t, err)
	assert.NilError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill() //nolint:errcheck // cleanup of a process that may be gone
			cmd.Wait()         //nolint:errcheck // killed
		}
	})
	ready := make(chan string, 1)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- addr
			}
		}
	}()
	select {
	case addr := <-ready:
		return &child{cmd: cmd, addr: addr}, false
	case <-closed:
		err := cmd.Wait()
		var exit *exec.ExitError
		return nil, errors.As(err, &exit) && exit.ExitCode() == childAddrInUse
	case <-time.After(30 * time.Second):
		t.Fatal("emulator child did not start")
		return nil, false
	}
}

func (c *child) kill9(t *testing.T) {
	t.Helper()
	assert.NilError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	c.cmd.Wait() //nolint:errcheck // killed on purpose
}

func (c *child) stop(t *testing.T) { c.stopTB(t) }

func (c *child) stopTB(t testing.TB) {
	t.Helper()
	assert.NilError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	assert.NilError(t, c.cmd.Wait())
}

// TestChildRestartOnATakenAddress checks the restart path of the
// reliability test: a child whose address another process holds exits
// with childAddrInUse (so startChildTB starts it again), and once the
// address is free a child listens on it.
func TestChildRestartOnATakenAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("starts emulator processes")
	}
	sk := newSinks(t)
	env := sk.env(t.TempDir(), "1s")
	ln, err := net.Listen("tcp", anyPort)
	assert.NilError(t, err)
	addr := ln.Addr().String()
	c, inUse := tryStartChild(t, env, addr)
	assert.Assert(t, c == nil, "a child listened on %s, which this test holds", addr)
	assert.Assert(t, inUse, "the child on a taken address exited, but not with childAddrInUse")
	assert.NilError(t, ln.Close())
	c = startChild(t, env, addr)
	assert.Equal(t, c.addr, addr)
	c.stop(t)
}

// TestKill9KeepsAcknowledgedRecords streams records with acks from
// fluent-logger-golang to an emulator process, kill -9s it mid-stream,
// restarts it on the same buffer directory, and checks every acknowledged
// record reaches the fake S3 and the fake TD. Duplicates are counted and
// logged (at-least-once is fluentd's promise).
func TestKill9KeepsAcknowledgedRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts emulator processes")
	}
	sk := newSinks(t)
	env := sk.env(t.TempDir(), "1s")
	proc := startChild(t, env, anyPort)
	listen := proc.addr

	host, port := hostPort(t, listen)
	logger, err := fluent.New(fluent.Config{
		FluentHost: host, FluentPort: port, RequestAck: true,
		Timeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		MaxRetry: 100, RetryWait: 50, MaxRetryWait: 500,
	})
	assert.NilError(t, err)
	defer logger.Close()

	const total = 1500
	var mu sync.Mutex
	acked := map[int]bool{}
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	done := make(chan struct{})
	failures := 0
	go func() {
		defer close(done)
		for i := range total {
			line := fmt.Sprintf(`{"log_type":"EVENT","event_type":"click","seq":%d}`, i)
			if err := logger.PostWithTime("docker.delish", time.Unix(1704164645, 0), dockerRecord(line)); err != nil {
				failures++
				continue
			}
			mu.Lock()
			acked[i] = true
			mu.Unlock()
		}
	}()
	// Kill in the middle of the stream, twice.
	for _, at := range []int{300, 900} {
		testsupport.Until(t, 60*time.Second, fmt.Sprintf("%d acks", at), func() bool { return ackedCount() >= at })
		proc.kill9(t)
		t.Logf("killed the emulator with SIGKILL after %d acks", ackedCount())
		proc = startChild(t, env, listen)
	}
	<-done
	n := ackedCount()
	t.Logf("%d of %d records acknowledged (%d posts failed)", n, total, failures)
	assert.Assert(t, n > total/2)

	missing := func() (s3Missing, tdMissing []int, s3Dup, tdDup int) {
		s3Seen := map[int]int{}
		for _, lines := range sk.s3Lines(t, "logs/delish-event/click/") {
			for _, l := range lines {
				s3Seen[int(l["seq"].(float64))]++
			}
		}
		tdSeen := map[int]int{}
		for _, r := range sk.tdRecords(t, "event_click") {
			tdSeen[int(toInt(r["seq"]))]++
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range acked {
			if s3Seen[i] == 0 {
				s3Missing = append(s3Missing, i)
			}
			if tdSeen[i] == 0 {
				tdMissing = append(tdMissing, i)
			}
		}
		for _, c := range s3Seen {
			s3Dup += c - 1
		}
		for _, c := range tdSeen {
			tdDup += c - 1
		}
		return
	}
	testsupport.Until(t, 60*time.Second, "every acknowledged record in S3 and TD", func() bool {
		s3m, tdm, _, _ := missing()
		return len(s3m) == 0 && len(tdm) == 0
	})
	_, _, s3Dup, tdDup := missing()
	t.Logf("duplicates: S3 %d, TD %d", s3Dup, tdDup)
	proc.stop(t)
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}
