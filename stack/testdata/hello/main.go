// Command hello prints its greeting: the smallest program a stack test
// builds into an image and runs.
package main

import "fmt"

func main() { fmt.Println("hello from a FROM scratch image") }
