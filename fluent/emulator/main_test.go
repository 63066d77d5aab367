package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/devenv-sh/devenv/fluent/config"
)

// childEnv makes the test binary run an emulator instead of the tests, so
// that the reliability test can kill -9 a real process.
const childEnv = "DEVENV_EMULATOR_CHILD"

// childAddrInUse is the child's exit code when $LISTEN is taken
// (EADDRINUSE), so that the parent can start it again.
const childAddrInUse = 3

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild runs the emulator on testdata/fluent.conf with the process
// environment, listening on $LISTEN, until SIGTERM; SIGUSR1 flushes.
func runChild() int {
	env := map[string]string{}
	for _, k := range []string{"AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_S3_BUCKET", "TD_DATABASE", "TD_API_KEY", "FAKE_S3", "FAKE_TD", "BUF", "FLUSH"} {
		env[k] = os.Getenv(k)
	}
	root, err := config.Parse(os.DirFS("testdata"), "fluent.conf", config.WithEnv(env))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	logger := slog.New(NewLogHandler(os.Stderr, slog.LevelInfo))
	e, err := New(root, WithListenAddr(os.Getenv("LISTEN")), WithHostname("fluentd01"), WithLogger(logger))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := e.Listen(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, syscall.EADDRINUSE) {
			return childAddrInUse
		}
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			e.ForceFlush()
		}
	}()
	fmt.Println("READY", e.Addr())
	if err := e.Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
