// Package docker models, as pure functions, what Docker's fluentd logging
// driver sends for a container's output (shared/spec/fluentd-semantics.md
// §2): the record shape, the 16 KiB line splitting into partial messages,
// and which log-opts fluentd v0.12 cannot cope with.
package docker

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/devenv-sh/devenv/fluent/record"
)

// MaxLine is the copier's buffer size: longer lines become partials.
const MaxLine = 16 * 1024

// Container identifies the container whose output is logged.
type Container struct {
	// ID is the full 64-hex container id.
	ID string
	// Name is the container name with its leading "/" (as the driver sends it).
	Name string
}

// Record returns the driver's record for one complete line (without its
// trailing "\n"): container_id, container_name, source, log.
func Record(c Container, source, line string) record.Record {
	return record.Record{
		{Key: "container_id", Value: c.ID},
		{Key: "container_name", Value: c.Name},
		{Key: "source", Value: source},
		{Key: "log", Value: line},
	}
}

// Records returns what the driver sends for one line the application
// wrote: a single record, or for a line longer than MaxLine bytes several
// partial records sharing partialID, with partial_message, partial_id,
// partial_ordinal (1-based) and partial_last.
func Records(c Container, source, line, partialID string) []record.Record {
	if len(line) <= MaxLine {
		return []record.Record{Record(c, source, line)}
	}
	var out []record.Record
	for ord := 1; len(line) > 0; ord++ {
		n := min(MaxLine, len(line))
		part := line[:n]
		line = line[n:]
		rec := Record(c, source, part)
		rec = append(rec,
			record.Field{Key: "partial_message", Value: "true"},
			record.Field{Key: "partial_id", Value: partialID},
			record.Field{Key: "partial_ordinal", Value: strconv.Itoa(ord)},
			record.Field{Key: "partial_last", Value: strconv.FormatBool(len(line) == 0)},
		)
		out = append(out, rec)
	}
	return out
}

// Hazard is a log-opt problem for a fluentd v0.12 receiver.
type Hazard struct {
	Option string
	// Drop is the kind of loss it causes ("" when it is only a warning).
	Drop   record.DropKind
	Detail string
}

// CheckOptions reports the log-opts of a container's fluentd driver that
// break or degrade delivery to fluentd v0.12, sorted by option name.
func CheckOptions(opts map[string]string) []Hazard {
	var hs []Hazard
	if b, _ := strconv.ParseBool(opts["fluentd-async"]); !b {
		hs = append(hs, Hazard{Option: "fluentd-async",
			Detail: "not set: sync mode, so the container does not start when fluentd is unreachable at start (one 3 s dial, no retry), and the application blocks on write while fluentd is down"})
	}
	for k, v := range opts {
		switch k {
		case "fluentd-sub-second-precision":
			if b, _ := strconv.ParseBool(v); b {
				hs = append(hs, Hazard{Option: k, Drop: record.DropConnectionClosed,
					Detail: "sends time as EventTime (msgpack ext type 0); fluentd v0.12 raises UnknownExtTypeError, logs \"forward error\" and closes the connection: every event is lost"})
			}
		case "fluentd-async-connect":
			hs = append(hs, Hazard{Option: k,
				Detail: "deprecated in Docker 20.10 and removed in v28.0 (migrated to fluentd-async)"})
		case "fluentd-async":
			if b, _ := strconv.ParseBool(v); b {
				hs = append(hs, Hazard{Option: k, Drop: record.DropSilent,
					Detail: "events still queued when the container stops are discarded (ForceStopAsyncSend); a full queue drops lines with \"Buffer full\""})
			}
		case "fluentd-max-retries":
			hs = append(hs, Hazard{Option: k, Drop: record.DropError,
				Detail: fmt.Sprintf("after %s failed reconnects the driver gives up: lines logged while fluentd is down are lost", v)})
		case "fluentd-buffer-limit":
			hs = append(hs, Hazard{Option: k,
				Detail: fmt.Sprintf("%q is used as a number of EVENTS (channel capacity) in async mode, not bytes", v)})
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Option < hs[j].Option })
	return hs
}
