// Command app is the e2e tests' stand-in for a production container: it
// runs until SIGTERM or SIGINT, or exits on cue, and answers its health
// check as told, so a test can make a service that fails each way.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// readyFile marks the app ready for -check-ready (the image has /tmp).
const readyFile = "/tmp/ready"

func main() {
	exitAfter := flag.Duration("exit-after", 0, "exit after this long (0: run until stopped)")
	code := flag.Int("code", 0, "exit code for -exit-after")
	readyAfter := flag.Duration("ready-after", 0, "write the ready file after this long")
	failHealth := flag.Bool("fail-health", false, "health check: fail, saying why")
	checkReady := flag.Bool("check-ready", false, "health check: pass once the ready file exists")
	flag.Parse()
	switch {
	case *failHealth:
		fmt.Println("health: the database does not answer")
		os.Exit(1)
	case *checkReady:
		if _, err := os.Stat(readyFile); err != nil {
			fmt.Println("health: not ready yet")
			os.Exit(1)
		}
		return
	}
	fmt.Println("app: starting")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *readyAfter > 0 {
		time.AfterFunc(*readyAfter, func() { os.WriteFile(readyFile, nil, 0o644) })
	}
	var exit <-chan time.Time
	if *exitAfter > 0 {
		exit = time.After(*exitAfter)
	}
	select {
	case <-exit:
		fmt.Println("app: giving up: cannot reach the database")
		os.Exit(*code)
	case <-ctx.Done():
		fmt.Println("app: stopped")
	}
}
