package verify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/fluent/fluent-logger-golang/fluent"
)

// sender puts a sample into the stack.
type sender interface {
	// send delivers the sample line of e, or returns why it could not.
	send(ctx context.Context, e *Event) error
	// via says where samples go, for the report.
	via() string
	// where names the hop for a stop.
	where() string
	close()
}

// httpSender posts each sample line as a JSON body to the service's
// endpoint, which logs it.
type httpSender struct {
	service string
	url     string
	client  *http.Client
}

func (s *httpSender) via() string   { return "POST " + s.url }
func (s *httpSender) where() string { return s.service }
func (s *httpSender) close()        {}

func (s *httpSender) send(ctx context.Context, e *Event) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader([]byte(e.Line)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s answered %s: %s", s.url, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// forwardSender sends each sample line to fluentd over the forward
// protocol, as Docker's fluentd log driver sends a line the container
// wrote (fluent-logger-golang, the driver's client; the message mode, time
// in whole seconds), asking for an ack so that a sample fluentd did not take
// is a send failure.
type forwardSender struct {
	addr   string
	host   string
	port   int
	source source
	logger *fluent.Fluent
}

func newForwardSender(addr string, src source) (*forwardSender, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("fluentd's forward address %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("fluentd's forward address %q: %w", addr, err)
	}
	return &forwardSender{addr: addr, host: host, port: n, source: src}, nil
}

func (s *forwardSender) via() string   { return "forward " + s.addr + " (tag " + s.source.tag + ")" }
func (s *forwardSender) where() string { return "fluentd's forward port " + s.addr }

func (s *forwardSender) close() {
	if s.logger != nil {
		s.logger.Close()
	}
}

func (s *forwardSender) send(ctx context.Context, e *Event) error {
	if s.logger == nil {
		l, err := fluent.New(fluent.Config{FluentHost: s.host, FluentPort: s.port, Timeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
			ReadTimeout: 5 * time.Second, MaxRetry: 1, RetryWait: 100, RequestAck: true})
		if err != nil {
			return fmt.Errorf("connect to %s: %w", s.addr, err)
		}
		s.logger = l
	}
	rec := map[string]string{
		"container_id":   s.source.container.ID,
		"container_name": s.source.container.Name,
		"source":         "stdout",
		"log":            e.Line,
	}
	if err := s.logger.PostWithTime(s.source.tag, e.Sent, rec); err != nil {
		return fmt.Errorf("forward to %s: %w", s.addr, err)
	}
	return nil
}
