package datadog

// WithReadGate makes every datagram reader call gate before each read, so
// that a test can hold the readers while datagrams overflow the socket
// buffer.
func WithReadGate(gate func()) Option { return func(o *options) { o.readGate = gate } }
