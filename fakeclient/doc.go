// Package fakeclient holds the light Go clients of devenv's fakes. [S3],
// [TD] and [Datadog] read what each fake received, through the inspection
// and control API it serves under /_devenv/ on its HTTP port. [TDAPI]
// drives the fake Treasure Data as an application does, through the
// Treasure Data API (imports, databases, tables), with [EncodeTDRecords]
// building the msgpack.gz bodies fluent-plugin-td sends.
//
// It imports only the standard library (its msgpack encoder is its own), so
// a test that uses it links none of the fakes' server code (echo, the AWS
// SDK, msgpack); its tests check both. Its types mirror the JSON the fakes
// answer (the Datadog stub answers in these very types); the fakes' own
// tests check that they read back exactly what was stored.
//
// Every client is configured with the same [Option]s, and none exposes raw
// requests. Every inspection client has the same control methods: Health,
// Reset, InjectFault, Faults and ClearFaults. Every method takes a context
// that bounds the request. An inspection client's method returns an error
// when the fake cannot be reached or answers a status of 300 or more; such
// an error carries the method, the URL, the status and the start of the
// answer's body. [TDAPI]'s errors are Treasure Data's: a [*TDAPIError]
// with the status, code and message of the answer.
package fakeclient
