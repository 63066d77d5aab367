package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// healthcheckOptions are the flags of `devenv healthcheck`.
type healthcheckOptions struct {
	timeout time.Duration // --timeout
}

// healthcheckBodyBytes is how much of a failed answer's body the one-line
// report shows.
const healthcheckBodyBytes = 200

func newHealthcheckCommand() *cobra.Command {
	var o healthcheckOptions
	cmd := &cobra.Command{
		Use:   "healthcheck URL",
		Short: "Exit 0 when URL answers 2xx: the health check of devenv's FROM scratch images",
		Long: `GET URL once and exit 0 when it answers with a 2xx status, 1 otherwise.

devenv's stand-in images (fake-s3, fake-td, datadog-stub, ...) are FROM
scratch: they hold the devenv binary at /devenv and nothing else, no shell,
curl or wget to run a health check with. Docker runs this command instead, as
an exec-form health check. devenv generate writes one for every fake into
docker-compose.gen.yaml, so that devenv up can wait for the fakes:

  healthcheck:
    test: ["CMD", "/devenv", "healthcheck", "http://127.0.0.1:4566/_devenv/health"]
    interval: 1s
    timeout: 2s
    retries: 30

Success prints nothing. Otherwise one line goes to stderr, which Docker keeps
in the container's health log (docker inspect --format '{{json .State.Health}}'
CONTAINER): for an answer that is not 2xx, its status and the first bytes of
its body (a redirect is not followed: a 3xx fails, naming its Location); when
nothing answers, why (connection refused, unknown host, no answer within
--timeout). Proxy variables are ignored: the check is for the address given.

  $ devenv healthcheck http://127.0.0.1:4566/_devenv/health
  devenv: healthcheck http://127.0.0.1:4566/_devenv/health: no answer: dial tcp 127.0.0.1:4566: connect: connection refused

Examples:
  devenv healthcheck http://127.0.0.1:4566/_devenv/health && echo fake-s3 is up
  devenv healthcheck --timeout 500ms http://127.0.0.1:8126/_devenv/health
  docker inspect --format '{{range .State.Health.Log}}{{.Output}}{{end}}' delish-fake-s3-1
  # in a Dockerfile FROM scratch with devenv at /devenv:
  HEALTHCHECK --interval=5s CMD ["/devenv", "healthcheck", "http://127.0.0.1:8080/health"]

Exit codes: 0 on a 2xx answer; 1 on any other answer, or none within
--timeout; 2 on a usage error (no URL or more than one, a URL that is not
http:// or https://, a --timeout that is not above zero, an unknown flag).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &exitError{code: 2, msg: fmt.Sprintf("healthcheck: want one URL, got %d arguments (see 'devenv healthcheck --help')", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHealthcheck(cmd.Context(), args[0], o)
		},
	}
	cmd.Flags().DurationVar(&o.timeout, "timeout", 2*time.Second, "give up when the answer's status has not arrived within this time")
	return cmd
}

// runHealthcheck GETs rawURL and returns nil on a 2xx answer, else an
// *exitError with code 1 and a one-line message saying what answered or why
// nothing did.
func runHealthcheck(ctx context.Context, rawURL string, o healthcheckOptions) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &exitError{code: 2, msg: fmt.Sprintf("healthcheck: %q is not an http:// or https:// URL (see 'devenv healthcheck --help')", rawURL)}
	}
	if o.timeout <= 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("healthcheck: --timeout %s must be above zero (see 'devenv healthcheck --help')", o.timeout)}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("healthcheck: %q: %v (see 'devenv healthcheck --help')", rawURL, err)}
	}
	req.Header.Set("User-Agent", "devenv-healthcheck")
	client := &http.Client{
		// No proxy, no connection kept: one request to the address given.
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("healthcheck %s: no answer: %s", rawURL, noAnswer(ctx, err, o.timeout))}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	msg := fmt.Sprintf("healthcheck %s: answered %s", rawURL, strings.TrimSpace(resp.Status))
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		msg += " (redirect to " + oneLine([]byte(loc), healthcheckBodyBytes) + ", not followed)"
	}
	// What arrived before the deadline; a body cut short is shown as is.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, healthcheckBodyBytes+1))
	if s := oneLine(body, healthcheckBodyBytes); s != "" {
		msg += ": " + s
	}
	return &exitError{code: 1, msg: msg}
}

// noAnswer says why a request got no answer: the timeout, an interruption,
// or the dial or protocol error without Go's `Get "URL":` wrapping.
func noAnswer(ctx context.Context, err error, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "nothing within " + timeout.String()
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return "interrupted"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return oneLine([]byte(err.Error()), 4*healthcheckBodyBytes)
}

// oneLine returns b as one line of valid UTF-8: control characters and runs
// of white space become one space, and past max bytes it is cut (at a
// character boundary) and ends in "…".
func oneLine(b []byte, max int) string {
	cut := len(b) > max
	if cut {
		n := max
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if cut {
		s += "…"
	}
	return s
}
