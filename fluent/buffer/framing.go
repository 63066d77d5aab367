package buffer

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/vmihailenco/msgpack/v5"
)

// Framing finds where the records of a chunk end. It reads a chunk's bytes
// and returns the length of the longest prefix made of complete records
// and how many records it holds. Recovery truncates a chunk file to that
// length, dropping a record torn by a crash in the middle of a write.
type Framing func(r io.Reader) (valid int64, records int, err error)

// Lines frames records that each end in '\n' (JSON lines, out_file lines).
func Lines(r io.Reader) (int64, int, error) {
	var valid, pos int64
	records := 0
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		chunk := buf[:n]
		for {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				break
			}
			pos += int64(i + 1)
			valid = pos
			records++
			chunk = chunk[i+1:]
		}
		pos += int64(len(chunk))
		if errors.Is(err, io.EOF) {
			return valid, records, nil
		}
		if err != nil {
			return valid, records, err
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Msgpack frames records that are concatenated msgpack values (the body of
// a Treasure Data import, a forward PackedForward stream).
func Msgpack(r io.Reader) (int64, int, error) {
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	d := msgpack.NewDecoder(br)
	var valid int64
	records := 0
	for {
		if _, err := br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				return valid, records, nil
			}
			return valid, records, err
		}
		if err := d.Skip(); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return valid, records, nil
			}
			// Bytes that are not msgpack at all: keep the good prefix.
			return valid, records, nil
		}
		valid = cr.n - int64(br.Buffered())
		records++
	}
}
