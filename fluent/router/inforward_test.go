package router_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/fluent/fluent-logger-golang/fluent"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/forward"
	"github.com/devenv-sh/devenv/fluent/router"
)

// driverStream returns the bytes Docker's fluentd log driver writes for
// the given output lines of the delish container: it uses the driver's
// client library, fluent-logger-golang, configured as the driver does
// (sync, Message mode, SubSecondPrecision from
// fluentd-sub-second-precision), against a loopback listener.
func driverStream(t *testing.T, subSecond bool, lines ...string) []byte {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	t.Cleanup(func() { ln.Close() })
	got := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		b, _ := io.ReadAll(conn)
		got <- b
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	logger, err := fluent.New(fluent.Config{FluentHost: "127.0.0.1", FluentPort: port, SubSecondPrecision: subSecond})
	assert.NilError(t, err)
	for _, l := range lines {
		rec := map[string]string{"container_id": containerI, "container_name": container.Name, "source": "stdout", "log": l}
		assert.NilError(t, logger.PostWithTime(dockerTag, time.Unix(td, 250_000_000), rec))
	}
	assert.NilError(t, logger.Close())
	select {
	case b := <-got:
		return b
	case <-t.Context().Done():
		t.Fatal("no data received")
	}
	return nil
}

// v012InForward is fluentd v0.12's in_forward reading one buffer from a
// connection (FD012 lib/fluent/plugin/in_forward.rb): frames are unpacked
// by msgpack-ruby with no ext types registered, so an EventTime raises
// MessagePack::UnknownExtTypeError; each event is emitted into the router,
// and an exception from emit propagates. Either error is logged as
// "forward error" and the connection closed: the rest of the buffer is
// never processed. It returns the journeys of the events emitted and the
// drop that closed the connection (nil when it stays open).
func v012InForward(t *testing.T, r *router.Router, stream []byte) ([]router.Journey, *router.Drop) {
	t.Helper()
	dec := forward.NewDecoder(bytes.NewReader(stream), nil)
	var js []router.Journey
	var f forward.Frame
	for {
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) {
			return js, nil
		}
		assert.NilError(t, err)
		for _, ev := range f.Events {
			if ev.EventTime {
				return js, &router.Drop{Kind: record.DropConnectionClosed, Tag: f.Tag, Plugin: "forward",
					Reason: "MessagePack::UnknownExtTypeError: unexpected extension type (EventTime, ext type 0)"}
			}
		}
		for _, ev := range f.Events {
			j := r.Route(router.Event{Tag: f.Tag, Time: router.EventTime{Sec: ev.Time.Sec}, Record: ev.Record})
			js = append(js, j)
			for _, d := range j.Drops {
				if d.Kind == record.DropConnectionClosed {
					return js, &d
				}
			}
		}
	}
}
