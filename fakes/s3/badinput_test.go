package s3

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// rawReq describes one hand-made request for the bad-input tables.
type rawReq struct {
	method, path string
	header       map[string]string
	body         []byte
	chunkedTE    bool // send with Transfer-Encoding: chunked (no Content-Length)
}

func (f *fake) send(t *testing.T, r rawReq) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunkedTE {
		body = io.MultiReader(bytes.NewReader(r.body)) // hides the length
	}
	req, err := http.NewRequestWithContext(t.Context(), r.method, f.ts.URL+r.path, body)
	assert.NilError(t, err)
	if r.chunkedTE {
		req.ContentLength = -1
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	return do(t, f.ts.Client(), req)
}

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestBadInput sends malformed or inconsistent requests and checks each gets
// the status and code S3 answers with, and that no object is stored.
func TestBadInput(t *testing.T) {
	data := []byte("the object body")
	trailer := func(value string) []byte { return encodeUnsignedTrailer(data, 4, "x-amz-checksum-crc32", value) }
	trailerHdr := map[string]string{
		"X-Amz-Content-Sha256": payloadStreamingUnsignedTail, "Content-Encoding": "aws-chunked",
		"X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Decoded-Content-Length": fmt.Sprint(len(data)),
	}
	merge := func(a map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range a {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	put := func(header map[string]string, body []byte) rawReq {
		return rawReq{method: http.MethodPut, path: "/bad/obj", header: header, body: body}
	}
	longKey := strings.Repeat("k", 1025)
	var manyTrailers []byte
	for i := range 5000 {
		manyTrailers = fmt.Appendf(manyTrailers, "x-junk-%d:v\r\n", i)
	}

	for _, tc := range []struct {
		name   string
		req    rawReq
		status int
		code   string
	}{
		{"content-md5 mismatch", put(map[string]string{"Content-Md5": md5b64([]byte("other"))}, data), 400, "BadDigest"},
		{"content-md5 not base64", put(map[string]string{"Content-Md5": "not base64!"}, data), 400, "InvalidDigest"},
		{"content-md5 wrong length", put(map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString([]byte("short"))}, data), 400, "InvalidDigest"},
		{"crc32 header mismatch", put(map[string]string{"X-Amz-Checksum-Crc32": crc32Of([]byte("other"))}, data), 400, "BadDigest"},
		{"crc32c header mismatch", put(map[string]string{"X-Amz-Checksum-Crc32c": checksumAlgs[1].sum([]byte("x"))}, data), 400, "BadDigest"},
		{"crc64nvme header mismatch", put(map[string]string{"X-Amz-Checksum-Crc64nvme": checksumAlgs[2].sum([]byte("x"))}, data), 400, "BadDigest"},
		{"sha1 header mismatch", put(map[string]string{"X-Amz-Checksum-Sha1": checksumAlgs[3].sum([]byte("x"))}, data), 400, "BadDigest"},
		{"sha256 header mismatch", put(map[string]string{"X-Amz-Checksum-Sha256": checksumAlgs[4].sum([]byte("x"))}, data), 400, "BadDigest"},
		{"crc32 header not a checksum", put(map[string]string{"X-Amz-Checksum-Crc32": "AAAA"}, data), 400, "InvalidRequest"},
		{"two checksum headers", put(map[string]string{"X-Amz-Checksum-Crc32": crc32Of(data), "X-Amz-Checksum-Sha1": checksumAlgs[3].sum(data)}, data), 400, "InvalidRequest"},
		{"sdk algorithm without checksum", put(map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}, data), 400, "InvalidRequest"},
		{"payload sha256 mismatch", put(map[string]string{"X-Amz-Content-Sha256": strings.Repeat("ab", 32)}, data), 400, "XAmzContentSHA256Mismatch"},
		{"payload sha256 garbage", put(map[string]string{"X-Amz-Content-Sha256": "SHA-PLEASE"}, data), 400, "InvalidArgument"},
		{"streaming mode unknown", put(map[string]string{"X-Amz-Content-Sha256": "STREAMING-SOMETHING"}, data), 400, "InvalidArgument"},
		{"trailer checksum mismatch", put(trailerHdr, trailer(crc32Of([]byte("other")))), 400, "BadDigest"},
		{"trailer checksum malformed", put(trailerHdr, trailer("!!")), 400, "InvalidRequest"},
		{"trailer missing", put(trailerHdr, encodeUnsignedTrailer(data, 4, "x-amz-checksum-sha1", checksumAlgs[3].sum(data))), 400, "IncompleteBody"},
		{"trailer line malformed", put(trailerHdr, bytes.Replace(trailer(crc32Of(data)), []byte("x-amz-checksum-crc32:"), []byte("no colon here "), 1)), 400, "InvalidRequest"},
		{"trailers too large", put(trailerHdr, bytes.Replace(trailer(crc32Of(data)), []byte("0\r\n"), append([]byte("0\r\n"), manyTrailers...), 1)), 400, "InvalidRequest"},
		{"trailer header without streaming", put(map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"}, data), 400, "InvalidRequest"},
		{"chunked body truncated", put(trailerHdr, trailer(crc32Of(data))[:30]), 400, "IncompleteBody"},
		{"chunked size not hex", put(trailerHdr, append([]byte("zz\r\n"), trailer(crc32Of(data))...)), 400, "IncompleteBody"},
		{"chunk data longer than its size", put(trailerHdr, []byte("2\r\nabcdef\r\n0\r\n\r\n")), 400, "IncompleteBody"},
		{"chunk size line without CRLF", put(trailerHdr, []byte("4\nthe \r\n")), 400, "IncompleteBody"},
		{"decoded length mismatch", put(merge(trailerHdr, "X-Amz-Decoded-Content-Length", "3"), trailer(crc32Of(data))), 400, "IncompleteBody"},
		{"decoded length not a number", put(merge(trailerHdr, "X-Amz-Decoded-Content-Length", "many"), trailer(crc32Of(data))), 400, "InvalidArgument"},
		{"oversize by content-length", put(nil, bytes.Repeat([]byte("x"), 2048)), 400, "EntityTooLarge"},
		{"oversize by decoded length", put(merge(trailerHdr, "X-Amz-Decoded-Content-Length", "4096"), trailer(crc32Of(data))), 400, "EntityTooLarge"},
		{"oversize without length", rawReq{method: http.MethodPut, path: "/bad/obj", body: bytes.Repeat([]byte("x"), 4096), chunkedTE: true}, 400, "EntityTooLarge"},
		{"key too long", rawReq{method: http.MethodPut, path: "/bad/" + longKey, body: data}, 400, "KeyTooLongError"},
		{"key not UTF-8", rawReq{method: http.MethodPut, path: "/bad/bad%FFkey", body: data}, 400, "InvalidURI"},
		{"multipart key not UTF-8", rawReq{method: http.MethodPost, path: "/bad/%C3%28?uploads"}, 400, "InvalidURI"},
		{"put into missing bucket", rawReq{method: http.MethodPut, path: "/nobucket/k", body: data}, 404, "NoSuchBucket"},
		{"invalid storage class", put(map[string]string{"X-Amz-Storage-Class": "COLD"}, data), 400, "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, false, WithMaxObjectSize(1024))
			mustCreateBucket(t, f.sdk(t), "bad")
			resp, body := f.send(t, tc.req)
			assert.Equal(t, resp.StatusCode, tc.status, string(body))
			assert.Equal(t, xmlCode(body), tc.code, string(body))
			assert.Equal(t, resp.Header.Get("Content-Type"), "application/xml")
			assert.Assert(t, resp.Header.Get("X-Amz-Request-Id") != "")
			objs, err := f.client.Objects(t.Context(), "bad", "")
			assert.NilError(t, err)
			assert.Assert(t, is.Len(objs, 0), "nothing may be stored")
		})
	}
}

// TestBadInputKeepsPreviousVersion checks that a rejected overwrite leaves
// the stored object as it was.
func TestBadInputKeepsPreviousVersion(t *testing.T) {
	f := newFake(t, false)
	mustCreateBucket(t, f.sdk(t), "keep")
	resp, body := f.send(t, rawReq{method: http.MethodPut, path: "/keep/k", body: []byte("good")})
	assert.Equal(t, resp.StatusCode, 200, string(body))
	resp, _ = f.send(t, rawReq{method: http.MethodPut, path: "/keep/k", body: []byte("evil"), header: map[string]string{"Content-Md5": md5b64([]byte("good"))}})
	assert.Equal(t, resp.StatusCode, 400)
	got, err := f.client.Object(t.Context(), "keep", "k", false)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "good")
}

func TestBadRequests(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	mustCreateBucket(t, c, "reqs")
	resp, body := f.send(t, rawReq{method: http.MethodPut, path: "/reqs/obj", body: []byte("x")})
	assert.Equal(t, resp.StatusCode, 200, string(body))
	cr := initiate(t, f, "reqs", "mp")
	deleteXML := []byte(`<Delete><Object><Key>obj</Key></Object></Delete>`)

	for _, tc := range []struct {
		name   string
		req    rawReq
		status int
		code   string
	}{
		{"bucket name too short", rawReq{method: http.MethodPut, path: "/ab"}, 400, "InvalidBucketName"},
		{"bucket name uppercase", rawReq{method: http.MethodPut, path: "/Upper-Case"}, 400, "InvalidBucketName"},
		{"bucket name underscore", rawReq{method: http.MethodPut, path: "/under_score"}, 400, "InvalidBucketName"},
		{"bucket name double dot", rawReq{method: http.MethodPut, path: "/a..b"}, 400, "InvalidBucketName"},
		{"bucket name IP address", rawReq{method: http.MethodPut, path: "/192.168.5.4"}, 400, "InvalidBucketName"},
		{"bucket name leading hyphen", rawReq{method: http.MethodPut, path: "/-abc"}, 400, "InvalidBucketName"},
		{"bucket name xn-- prefix", rawReq{method: http.MethodPut, path: "/xn--abc"}, 400, "InvalidBucketName"},
		{"bucket name too long", rawReq{method: http.MethodPut, path: "/" + strings.Repeat("a", 64)}, 400, "InvalidBucketName"},
		{"create bucket malformed XML", rawReq{method: http.MethodPut, path: "/new-bucket", body: []byte("<CreateBucketConfiguration><Location")}, 400, "MalformedXML"},
		{"delete objects malformed XML", rawReq{method: http.MethodPost, path: "/reqs?delete", body: []byte("<Delete><Object>"), header: map[string]string{"Content-Md5": md5b64([]byte("<Delete><Object>"))}}, 400, "MalformedXML"},
		{"delete objects wrong root element", rawReq{method: http.MethodPost, path: "/reqs?delete", body: []byte("<Remove><Object><Key>obj</Key></Object></Remove>"), header: map[string]string{"Content-Md5": md5b64([]byte("<Remove><Object><Key>obj</Key></Object></Remove>"))}}, 400, "MalformedXML"},
		{"complete wrong root element", rawReq{method: http.MethodPost, path: "/reqs/mp?uploadId=" + cr, body: []byte(`<Complete><Part><PartNumber>7</PartNumber><ETag>"x"</ETag></Part></Complete>`)}, 400, "MalformedXML"},
		{"create bucket wrong root element", rawReq{method: http.MethodPut, path: "/new-bucket", body: []byte("<Configuration><LocationConstraint>eu-west-1</LocationConstraint></Configuration>")}, 400, "MalformedXML"},
		{"delete objects empty", rawReq{method: http.MethodPost, path: "/reqs?delete", body: []byte("<Delete></Delete>"), header: map[string]string{"Content-Md5": md5b64([]byte("<Delete></Delete>"))}}, 400, "MalformedXML"},
		{"delete objects without digest", rawReq{method: http.MethodPost, path: "/reqs?delete", body: deleteXML}, 400, "InvalidRequest"},
		{"delete objects too large", rawReq{method: http.MethodPost, path: "/reqs?delete", body: bytes.Repeat([]byte("x"), maxXMLBody+1)}, 400, "MaxMessageLengthExceeded"},
		{"get missing key", rawReq{method: http.MethodGet, path: "/reqs/missing"}, 404, "NoSuchKey"},
		{"get key not UTF-8", rawReq{method: http.MethodGet, path: "/reqs/%AE%8A-"}, 400, "InvalidURI"},
		{"get missing bucket", rawReq{method: http.MethodGet, path: "/nobucket/k"}, 404, "NoSuchBucket"},
		{"list missing bucket", rawReq{method: http.MethodGet, path: "/nobucket?list-type=2"}, 404, "NoSuchBucket"},
		{"delete missing bucket", rawReq{method: http.MethodDelete, path: "/nobucket"}, 404, "NoSuchBucket"},
		{"range past the end", rawReq{method: http.MethodGet, path: "/reqs/obj", header: map[string]string{"Range": "bytes=5-9"}}, 416, "InvalidRange"},
		{"if-match fails", rawReq{method: http.MethodGet, path: "/reqs/obj", header: map[string]string{"If-Match": `"nope"`}}, 412, "PreconditionFailed"},
		{"max-keys not a number", rawReq{method: http.MethodGet, path: "/reqs?list-type=2&max-keys=ten"}, 400, "InvalidArgument"},
		{"max-keys negative", rawReq{method: http.MethodGet, path: "/reqs?max-keys=-1"}, 400, "InvalidArgument"},
		{"encoding-type unknown", rawReq{method: http.MethodGet, path: "/reqs?list-type=2&encoding-type=base64"}, 400, "InvalidArgument"},
		{"continuation token garbage", rawReq{method: http.MethodGet, path: "/reqs?list-type=2&continuation-token=%21%21%21"}, 400, "InvalidArgument"},
		{"part number zero", rawReq{method: http.MethodPut, path: "/reqs/mp?partNumber=0&uploadId=" + cr, body: []byte("x")}, 400, "InvalidArgument"},
		{"part number too large", rawReq{method: http.MethodPut, path: "/reqs/mp?partNumber=10001&uploadId=" + cr, body: []byte("x")}, 400, "InvalidArgument"},
		{"part of unknown upload", rawReq{method: http.MethodPut, path: "/reqs/mp?partNumber=1&uploadId=deadbeef", body: []byte("x")}, 404, "NoSuchUpload"},
		{"part for another key", rawReq{method: http.MethodPut, path: "/reqs/other?partNumber=1&uploadId=" + cr, body: []byte("x")}, 404, "NoSuchUpload"},
		{"complete malformed XML", rawReq{method: http.MethodPost, path: "/reqs/mp?uploadId=" + cr, body: []byte("<CompleteMultipartUpload><Part>")}, 400, "MalformedXML"},
		{"complete without parts", rawReq{method: http.MethodPost, path: "/reqs/mp?uploadId=" + cr, body: []byte("<CompleteMultipartUpload></CompleteMultipartUpload>")}, 400, "MalformedXML"},
		{"complete unknown part", rawReq{method: http.MethodPost, path: "/reqs/mp?uploadId=" + cr, body: []byte(`<CompleteMultipartUpload><Part><PartNumber>7</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`)}, 400, "InvalidPart"},
		{"complete parts out of order", rawReq{method: http.MethodPost, path: "/reqs/mp?uploadId=" + cr, body: []byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>"x"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`)}, 400, "InvalidPartOrder"},
		{"abort unknown upload", rawReq{method: http.MethodDelete, path: "/reqs/mp?uploadId=feedface"}, 404, "NoSuchUpload"},
		{"copy without source key", rawReq{method: http.MethodPut, path: "/reqs/copy", header: map[string]string{"X-Amz-Copy-Source": "/reqs"}}, 400, "InvalidArgument"},
		{"copy onto itself", rawReq{method: http.MethodPut, path: "/reqs/obj", header: map[string]string{"X-Amz-Copy-Source": "/reqs/obj"}}, 400, "InvalidRequest"},
		{"method not allowed", rawReq{method: http.MethodPatch, path: "/reqs/obj"}, 405, "MethodNotAllowed"},
		{"unimplemented subresource", rawReq{method: http.MethodGet, path: "/reqs?policy"}, 501, "NotImplemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.send(t, tc.req)
			assert.Equal(t, resp.StatusCode, tc.status, string(body))
			assert.Equal(t, xmlCode(body), tc.code, string(body))
		})
	}

	// Parts smaller than 5 MiB, except the last, are refused at completion.
	p1 := uploadPart(t, f, "reqs", "mp", cr, 1, []byte("small"))
	p2 := uploadPart(t, f, "reqs", "mp", cr, 2, []byte("last"))
	resp, body = f.send(t, rawReq{method: http.MethodPost, path: "/reqs/mp?uploadId=" + cr, body: []byte(fmt.Sprintf(
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>`, p1, p2))})
	assert.Equal(t, resp.StatusCode, 400)
	assert.Equal(t, xmlCode(body), "EntityTooSmall")
	// A single small part is a valid (last) part.
	resp, body = f.send(t, rawReq{method: http.MethodPost, path: "/reqs/mp?uploadId=" + cr, body: []byte(fmt.Sprintf(
		`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>`, p2))})
	assert.Equal(t, resp.StatusCode, 200, string(body))

	// HEAD errors carry no body.
	resp, body = f.send(t, rawReq{method: http.MethodHead, path: "/reqs/missing"})
	assert.Equal(t, resp.StatusCode, 404)
	assert.Equal(t, len(body), 0)
}

func initiate(t *testing.T, f *fake, bucket, key string) string {
	t.Helper()
	resp, body := f.send(t, rawReq{method: http.MethodPost, path: "/" + bucket + "/" + key + "?uploads"})
	assert.Equal(t, resp.StatusCode, 200, string(body))
	_, rest, _ := strings.Cut(string(body), "<UploadId>")
	id, _, _ := strings.Cut(rest, "</UploadId>")
	return id
}

func uploadPart(t *testing.T, f *fake, bucket, key, id string, n int, data []byte) string {
	t.Helper()
	resp, body := f.send(t, rawReq{method: http.MethodPut, path: fmt.Sprintf("/%s/%s?partNumber=%d&uploadId=%s", bucket, key, n, id), body: data})
	assert.Equal(t, resp.StatusCode, 200, string(body))
	return resp.Header.Get("ETag")
}

// A client that sends fewer bytes than its Content-Length and half-closes
// gets IncompleteBody, and nothing is stored.
func TestTruncatedPlainBody(t *testing.T) {
	f := newFake(t, false)
	mustCreateBucket(t, f.sdk(t), "trunc")
	conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
	assert.NilError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "PUT /trunc/k HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\nonly fifty bytes.................................", f.ts.Listener.Addr())
	assert.NilError(t, err)
	assert.NilError(t, conn.(*net.TCPConn).CloseWrite())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	assert.NilError(t, err)
	body, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	assert.Equal(t, resp.StatusCode, 400)
	assert.Equal(t, xmlCode(body), "IncompleteBody")
	objs, err := f.client.Objects(t.Context(), "trunc", "")
	assert.NilError(t, err)
	assert.Assert(t, is.Len(objs, 0))
}

// TestErrorBody pins the exact shape of an S3 error response.
func TestErrorBody(t *testing.T) {
	f := newFake(t, false, WithRandom(bytes.NewReader(bytes.Repeat([]byte{0xab}, 1024))))
	resp, body := f.send(t, rawReq{method: http.MethodGet, path: "/no-such/some%20key"})
	assert.Equal(t, resp.StatusCode, 404)
	assert.Equal(t, resp.Header.Get("X-Amz-Request-Id"), "ABABABABABABABAC")
	assert.Equal(t, resp.Header.Get("Server"), "AmazonS3")
	assert.Equal(t, string(body), `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>no-such</BucketName><Resource>/no-such/some key</Resource><RequestId>ABABABABABABABAC</RequestId><HostId>q6urq6urq6urq6urq6urrA==</HostId></Error>`)
}
