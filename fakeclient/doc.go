// Package fakeclient reads what devenv's fakes received, through the
// inspection and control API each fake serves under /_devenv/ on its HTTP
// port: [S3] for the fake S3, [TD] for the fake Treasure Data and [Datadog]
// for the Datadog agent stub.
//
// It imports only the standard library, so a test that uses it links none
// of the fakes' server code (echo, the AWS SDK, msgpack). Its types mirror
// the JSON the fakes answer; the fakes' own tests check that they read back
// exactly what was stored.
//
// Every client has the same control methods: Health, Reset, InjectFault,
// Faults and ClearFaults. Every method takes a context that bounds the
// request, and returns an error when the fake cannot be reached or answers a
// status of 300 or more; such an error carries the method, the URL, the
// status and the start of the answer's body.
package fakeclient
