// Command jsonlines prints JSON event lines on stdout the way the DELISH
// API server logs events, for the Docker fluentd-driver test. Usage:
// jsonlines N EVENT_TYPE.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	n := 3
	eventType := "click"
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil {
			n = v
		}
	}
	if len(os.Args) > 2 {
		eventType = os.Args[2]
	}
	for i := range n {
		fmt.Printf("{\"log_type\":\"EVENT\",\"event_type\":%q,\"seq\":%d}\n", eventType, i)
	}
}
