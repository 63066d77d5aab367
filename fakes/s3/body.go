package s3

import (
	"crypto/md5" //nolint:gosec // MD5 is S3's ETag and Content-MD5, not a security use.
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// body is a request body being received: it undoes aws-chunked framing,
// enforces the size limit, and verifies the declared length, Content-MD5,
// payload SHA-256 and x-amz-checksum-* (header or trailer) as the bytes go
// by. It implements [Content].
type body struct {
	src      io.Reader
	chunked  *chunkedReader // nil for plain bodies
	declared int64          // decoded length the client declared; -1 unknown
	max      int64
	tooLarge func(proposed int64) *Error

	n       int64
	md5     hash.Hash
	wantMD5 []byte
	sha     hash.Hash // payload hash to verify, when the client sent one
	wantSHA []byte

	alg        checksumAlg
	sum        hash.Hash
	want       string // expected checksum from the header; "" for trailer or none
	fromTrail  bool   // expect the checksum in the trailer
	clientSent bool   // the client chose alg (header or trailer)

	digest Digest
	err    error
	st     *request
}

var _ Content = (*body)(nil)

// bodyLimits says how large a body may be and what exceeding it is called.
type bodyLimits struct {
	max      int64
	tooLarge func(proposed int64) *Error
}

func (s *Server) objectLimits() bodyLimits {
	return bodyLimits{max: s.maxObjectSize, tooLarge: func(proposed int64) *Error {
		e := with(ErrEntityTooLarge, "MaxSizeAllowed", strconv.FormatInt(s.maxObjectSize, 10))
		if proposed >= 0 {
			e.Fields = append([]Field{{"ProposedSize", strconv.FormatInt(proposed, 10)}}, e.Fields...)
		}
		return e
	}}
}

// maxXMLBody bounds request bodies that carry XML (DeleteObjects,
// CompleteMultipartUpload with 10,000 parts, CreateBucket).
const maxXMLBody = 4 << 20

var xmlLimits = bodyLimits{max: maxXMLBody, tooLarge: func(int64) *Error {
	return with(ErrMaxMessageLengthExceeded)
}}

// errPayloadHash is S3's answer to an x-amz-content-sha256 it cannot use.
var errPayloadHash = errorf(ErrInvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.")

// newBody checks a request's body headers and returns the body reader. It
// reads nothing, so an error here is answered before `100 Continue`.
// fallback is the checksum algorithm to compute when the client sends none.
func (s *Server) newBody(r *http.Request, st *request, lim bodyLimits, fallback checksumAlg) (*body, error) {
	b := &body{src: r.Body, declared: r.ContentLength, max: lim.max, tooLarge: lim.tooLarge, md5: md5.New(), st: st, alg: fallback}
	h := r.Header
	if st.auth.scheme == "sigv4-presigned" {
		h = presignedHeaders(h, st.query)
	}
	payload := h.Get("X-Amz-Content-Sha256")
	streaming := strings.HasPrefix(payload, "STREAMING-")
	st.bodyMode = "plain"
	switch {
	case streaming:
		switch payload {
		case payloadStreamingSigned, payloadStreamingECDSA:
			st.bodyMode = "aws-chunked-signed"
		case payloadStreamingSignedTrail, payloadStreamingECDSATrail:
			st.bodyMode = "aws-chunked-signed-trailer"
		case payloadStreamingUnsignedTail:
			st.bodyMode = "aws-chunked-unsigned-trailer"
		default:
			return nil, errPayloadHash
		}
		b.chunked = newChunkedReader(r.Body, st.auth.chunks)
		b.src = b.chunked
		b.declared = -1
		if v := h.Get("X-Amz-Decoded-Content-Length"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, errorf(ErrInvalidArgument, "x-amz-decoded-content-length must be a non-negative integer, got %s", quoteShort(v))
			}
			b.declared = n
		}
	case payload == "" || payload == payloadUnsigned:
	case len(payload) == 64:
		want, err := hex.DecodeString(payload)
		if err != nil {
			return nil, errPayloadHash
		}
		b.sha, b.wantSHA = sha256.New(), want
	default:
		return nil, errPayloadHash
	}
	if b.declared > lim.max {
		return nil, lim.tooLarge(b.declared)
	}
	var checks []string
	if vs, ok := h["Content-Md5"]; ok {
		v := vs[0]
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) != md5.Size {
			return nil, with(ErrInvalidDigest, "Content-MD5", v)
		}
		b.wantMD5 = raw
		checks = append(checks, "content-md5")
	}
	if err := b.checksumHeaders(h, streaming); err != nil {
		return nil, err
	}
	if b.clientSent {
		where := "header"
		if b.fromTrail {
			where = "trailer"
		}
		checks = append(checks, strings.ToLower(b.alg.name)+"-"+where)
	}
	if b.sha != nil {
		checks = append(checks, "sha256-payload")
	}
	st.checksum = strings.Join(checks, ",")
	st.digested = b.wantMD5 != nil || b.clientSent
	b.sum = b.alg.new()
	return b, nil
}

// storedBody reads size bytes of a stored object (for CopyObject and
// UploadPartCopy) as the [Content] of a new object or part, computing its
// ETag and its alg checksum. A source of another length fails the copy.
func storedBody(src io.Reader, size int64, alg checksumAlg) *body {
	return &body{src: src, declared: size, max: size, tooLarge: func(int64) *Error { return with(ErrInternalError) },
		md5: md5.New(), sum: alg.new(), alg: alg, st: &request{}}
}

// presignedHeaders adds the checksum headers a presigned URL carries in its
// query (as some SDKs hoist them) to h; S3 enforces them like headers.
func presignedHeaders(h http.Header, q url.Values) http.Header {
	var out http.Header
	for k, v := range q {
		lower := strings.ToLower(k)
		if strings.HasPrefix(lower, "x-amz-checksum-") || lower == "x-amz-sdk-checksum-algorithm" {
			if out == nil {
				out = h.Clone()
			}
			out.Set(lower, v[0])
		}
	}
	if out == nil {
		return h
	}
	return out
}

// checksumHeaders reads x-amz-checksum-*, x-amz-trailer and
// x-amz-sdk-checksum-algorithm, as S3 validates them.
func (b *body) checksumHeaders(h http.Header, streaming bool) error {
	found := 0
	for name, vals := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, "x-amz-checksum-") {
			continue
		}
		switch lower {
		case "x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-mode":
			continue
		}
		alg, ok := checksumByHeader(lower)
		if !ok {
			continue
		}
		found++
		if !alg.validValue(vals[0]) {
			return errorf(ErrInvalidRequest, "Value for %s header is invalid.", lower)
		}
		b.alg, b.want, b.clientSent = alg, vals[0], true
	}
	if t := h.Get("X-Amz-Trailer"); t != "" {
		if !streaming {
			return errorf(ErrInvalidRequest, "The x-amz-trailer header needs an aws-chunked body (x-amz-content-sha256: STREAMING-...-TRAILER).")
		}
		alg, ok := checksumByHeader(strings.TrimSpace(t))
		if !ok {
			return errorf(ErrInvalidRequest, "The value specified in the x-amz-trailer header is not supported")
		}
		found++
		b.alg, b.fromTrail, b.clientSent = alg, true, true
	}
	if found > 1 {
		return errorf(ErrInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	if v := h.Get("X-Amz-Sdk-Checksum-Algorithm"); v != "" {
		alg, ok := checksumByName(v)
		if !ok {
			return errorf(ErrInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		if found == 0 {
			return errorf(ErrInvalidRequest, "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		}
		if alg.name != b.alg.name {
			return errorf(ErrInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	return nil
}

// Size implements [Content].
func (b *body) Size() int64 { return b.declared }

// Digest implements [Content].
func (b *body) Digest() Digest { return b.digest }

// Read implements [Content].
func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.src.Read(p)
	if n > 0 {
		b.n += int64(n)
		b.st.received = b.n
		if b.n > b.max {
			b.err = b.tooLarge(-1)
			return 0, b.err
		}
		if b.declared >= 0 && b.n > b.declared {
			b.err = errorf(ErrIncompleteBody, "The request body is longer than the declared length of %d bytes.", b.declared)
			return 0, b.err
		}
		b.md5.Write(p[:n])
		b.sum.Write(p[:n])
		if b.sha != nil {
			b.sha.Write(p[:n])
		}
	}
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF):
		b.err = b.finish()
		if b.err == nil {
			b.err = io.EOF
		}
		return n, b.err
	default:
		var s3err *Error
		if !errors.As(err, &s3err) {
			err = errorf(ErrIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header")
		}
		b.err = err
		return n, err
	}
}

// finish verifies the whole body once it ended.
func (b *body) finish() error {
	if b.declared >= 0 && b.n != b.declared {
		return errorf(ErrIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header")
	}
	m := b.md5.Sum(nil)
	if b.wantMD5 != nil && string(m) != string(b.wantMD5) {
		return with(ErrBadDigest, "ExpectedDigest", base64.StdEncoding.EncodeToString(b.wantMD5), "CalculatedDigest", base64.StdEncoding.EncodeToString(m))
	}
	if b.sha != nil {
		if got := b.sha.Sum(nil); string(got) != string(b.wantSHA) {
			return with(ErrXAmzContentSHA256Mismatch, "ClientComputedContentSHA256", hex.EncodeToString(b.wantSHA), "S3ComputedContentSHA256", hex.EncodeToString(got))
		}
	}
	got := base64.StdEncoding.EncodeToString(b.sum.Sum(nil))
	want := b.want
	if b.fromTrail {
		v, ok := b.chunked.trailers[b.alg.header]
		if !ok {
			return errorf(ErrIncompleteBody, "The %s trailer announced in x-amz-trailer was not received.", b.alg.header)
		}
		if !b.alg.validValue(v) {
			return errorf(ErrInvalidRequest, "Value for %s trailing header is invalid.", b.alg.header)
		}
		want = v
	}
	if b.clientSent && got != want {
		return errorf(ErrBadDigest, "The %s you specified did not match the calculated checksum.", b.alg.name)
	}
	b.digest = Digest{
		Size:     b.n,
		ETag:     `"` + hex.EncodeToString(m) + `"`,
		Checksum: Checksum{Algorithm: b.alg.name, Value: got, Type: "FULL_OBJECT"},
	}
	return nil
}
