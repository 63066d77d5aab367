// Package datadog is devenv's Datadog agent stub: a DogStatsD receiver (UDP,
// Unix datagram and Unix stream sockets) and a trace intake (HTTP, default port 8126) that
// the real clients, datadog-go and dd-trace-go, cannot tell from the agent,
// plus an inspection API under /_devenv/ that shows what arrived.
//
// The pieces, one file each:
//
//   - dogstatsd.go: the datagram parser ([ParseDatagram]) for metrics, events
//     and service checks, with every optional field of protocol v1.0-v1.3.
//   - ingest.go: the listeners; a reader goroutine per socket (reading UDP
//     in batches with recvmmsg) hands raw datagrams to a parser goroutine
//     through a bounded queue, and counts what the kernel or the queue drop.
//   - traces.go: the msgpack (and JSON) decoders of /v0.4/traces and the
//     string-table format of /v0.5/traces.
//   - store.go: the [Store] interface and its bounded in-memory ring with a
//     retention window.
//   - query.go: filters and aggregation behind the inspection API.
//   - persist.go: [Open], which keeps the store and the counts in a data
//     directory: a JSON snapshot loaded at open and saved atomically while
//     running and at [Agent.Close].
//   - agent.go: [Agent], which wires the above into one echo handler.
//
// Package fakeclient reads the inspection API from tests without linking
// this package.
//
// What is stored is what was received: counts are not rate-scaled and
// nothing is aggregated on the way in. Aggregation happens at query time over
// the requested window, the way a test wants to assert on it.
package datadog
