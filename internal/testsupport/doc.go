// Package testsupport holds what the project's tests share: waiting for a
// condition that holds eventually ([Eventually], [Until]), the process's CPU
// time, which benchmarks divide by because the machines they run on are
// shared ([CPUTime]), and checking that a client's types mirror a server's
// JSON exactly ([CheckMirror], with [Fetch] and [Get] for the raw answers).
package testsupport
