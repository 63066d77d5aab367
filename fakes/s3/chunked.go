package s3

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strings"
)

// maxChunkLine bounds a chunk header or trailer line. The longest legal one
// is a 16-digit size plus ";chunk-signature=" and 64 hex digits, or a
// trailer such as "x-amz-checksum-sha256:<44 base64>".
const maxChunkLine = 4096

// maxTrailerBytes bounds the trailer section of an aws-chunked body. S3
// clients send one checksum and at most a trailer signature; the bound keeps
// a client from growing the trailer map without end.
const maxTrailerBytes = 16 << 10

// emptySHA256 is the hex SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// chunkedReader decodes an aws-chunked body:
//
//	hex-size[;chunk-signature=<64 hex>]\r\n <data> \r\n ... 0[;chunk-signature=...]\r\n
//	[name:value\r\n ...] [x-amz-trailer-signature:<64 hex>\r\n] \r\n
//
// Read returns the decoded data and io.EOF after the final chunk and the
// trailers; framing errors are *Error values (IncompleteBody for truncated or
// malformed framing, InvalidRequest for a malformed trailer,
// SignatureDoesNotMatch for a bad chunk or trailer signature).
type chunkedReader struct {
	r      *bufio.Reader
	signer *chunkSigner // nil: signatures are not checked

	left     int64 // data bytes left in the current chunk
	inChunk  bool
	done     bool
	err      error
	chunk    hash.Hash // SHA-256 of the current chunk, when signed
	chunkSig string    // signature announced for the current chunk

	// trailers are the trailing headers received, by lowercase name.
	trailers map[string]string
}

// newChunkedReader decodes r; signer, when not nil, verifies every chunk
// signature and the trailer signature.
func newChunkedReader(r io.Reader, signer *chunkSigner) *chunkedReader {
	c := &chunkedReader{r: bufio.NewReaderSize(r, maxChunkLine), signer: signer}
	if signer != nil {
		c.chunk = sha256.New()
	}
	return c
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		if c.done {
			return 0, io.EOF
		}
		if !c.inChunk {
			c.err = c.readChunkHeader()
			continue
		}
		if c.left == 0 {
			c.err = c.endChunk()
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		if int64(len(p)) > c.left {
			p = p[:c.left]
		}
		n, err := c.r.Read(p)
		c.left -= int64(n)
		if c.chunk != nil {
			c.chunk.Write(p[:n])
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errTruncatedChunk
			}
			c.err = err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, c.err
}

var (
	errTruncatedChunk = &Error{Code: ErrIncompleteBody, Message: "The request body ended inside an aws-chunked chunk."}
	errChunkFraming   = &Error{Code: ErrIncompleteBody, Message: "The aws-chunked request body is malformed."}
	errChunkSignature = &Error{Code: ErrSignatureDoesNotMatch, Message: "The chunk signature we calculated does not match the signature you provided."}
)

// line reads one CRLF-terminated line without its terminator.
func (c *chunkedReader) line() (string, error) {
	b, err := c.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", errChunkFraming
	case errors.Is(err, io.EOF):
		return "", errTruncatedChunk
	case err != nil:
		return "", err
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return "", errChunkFraming
	}
	return string(b[:len(b)-2]), nil
}

// readChunkHeader reads "hex-size[;ext...]" and starts the chunk; a zero
// size ends the data and reads the trailers.
func (c *chunkedReader) readChunkHeader() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	sizeStr, exts, _ := strings.Cut(l, ";")
	size, ok := parseHexSize(sizeStr)
	if !ok {
		return errChunkFraming
	}
	c.chunkSig = ""
	for ext := range strings.SplitSeq(exts, ";") {
		if v, ok := strings.CutPrefix(ext, "chunk-signature="); ok {
			c.chunkSig = v
		}
	}
	if c.signer != nil && c.chunkSig == "" {
		return errChunkSignature
	}
	if size == 0 {
		if err := c.verifyChunk(); err != nil {
			return err
		}
		if err := c.readTrailers(); err != nil {
			return err
		}
		c.done = true
		return nil
	}
	c.left, c.inChunk = size, true
	return nil
}

// parseHexSize parses a chunk size of 1 to 15 hex digits.
func parseHexSize(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		d := s[i]
		switch {
		case '0' <= d && d <= '9':
			d -= '0'
		case 'a' <= d && d <= 'f':
			d -= 'a' - 10
		case 'A' <= d && d <= 'F':
			d -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	if l != "" {
		return errChunkFraming
	}
	c.inChunk = false
	return c.verifyChunk()
}

func (c *chunkedReader) verifyChunk() error {
	if c.signer == nil {
		return nil
	}
	sum := hex.EncodeToString(c.chunk.Sum(nil))
	c.chunk.Reset()
	if !c.signer.next("AWS4-HMAC-SHA256-PAYLOAD", emptySHA256+"\n"+sum, c.chunkSig) {
		return errChunkSignature
	}
	return nil
}

// readTrailers reads "name:value" lines up to an empty line. The body may
// also end right after the last trailer line.
func (c *chunkedReader) readTrailers() error {
	var canonical bytes.Buffer
	sig := ""
	size := 0
	for {
		b, err := c.r.ReadSlice('\n')
		if size += len(b); size > maxTrailerBytes {
			return &Error{Code: ErrInvalidRequest, Message: "The trailing headers of the aws-chunked body are too large."}
		}
		if errors.Is(err, io.EOF) && len(b) == 0 {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errTruncatedChunk
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return errChunkFraming
			}
			return err
		}
		if len(b) < 2 || b[len(b)-2] != '\r' {
			return errChunkFraming
		}
		l := string(b[:len(b)-2])
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" {
			return &Error{Code: ErrInvalidRequest, Message: "The trailing header is malformed: " + quoteShort(l)}
		}
		value = strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			sig = value
			continue
		}
		if c.trailers == nil {
			c.trailers = make(map[string]string)
		}
		c.trailers[name] = value
		canonical.WriteString(name + ":" + value + "\n")
	}
	if c.signer != nil && c.signer.trailer {
		sum := sha256.Sum256(canonical.Bytes())
		if !c.signer.next("AWS4-HMAC-SHA256-TRAILER", hex.EncodeToString(sum[:]), sig) {
			return &Error{Code: ErrSignatureDoesNotMatch, Message: "The trailer signature we calculated does not match the signature you provided."}
		}
	}
	return nil
}

// quoteShort quotes s for an error message, cut to 64 bytes.
func quoteShort(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// chunkSigner verifies the chain of SigV4 chunk signatures that starts at
// the request's seed signature.
type chunkSigner struct {
	key     []byte // SigV4 signing key
	amzDate string
	scope   string
	prev    string // previous signature, hex
	trailer bool   // a signed trailer ends the body
}

// next checks sig against the signature of the string to sign built from
// algorithm and payload, and advances the chain.
func (s *chunkSigner) next(algorithm, payload, sig string) bool {
	sts := algorithm + "\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" + payload
	want := hex.EncodeToString(hmacSHA256(s.key, sts))
	s.prev = want
	return hmac.Equal([]byte(want), []byte(strings.ToLower(sig)))
}
