// Package e2e holds devenv's end-to-end tests: they build the real devenv
// binary, run it on copies of the reference project (and small projects
// of their own under testdata/) against the local Docker engine, and check
// what a user sees: the stack's state, the log path from the API server
// through fluentd into the fakes, and the errors of every failure. Each
// test uses its own Compose project name and its own loopback bind
// address, so two runs never collide, and removes every container,
// network, volume and image it created, even when it fails.
package e2e
