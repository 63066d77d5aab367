package s3

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
)

// rubyUA is the User-Agent of aws-sdk-s3 inside fluentd.
const rubyUA = "aws-sdk-ruby3/3.201.0 ruby/3.3.5 x86_64-linux aws-sdk-s3/1.169.0"

// encodeUnsignedTrailer frames data the way aws-sdk-ruby's
// AwsChunkedTrailerDigestIO does: chunks of chunkSize, a zero chunk, and the
// checksum as a trailer.
func encodeUnsignedTrailer(data []byte, chunkSize int, trailer, value string) []byte {
	var b bytes.Buffer
	for off := 0; off < len(data); off += chunkSize {
		c := data[off:min(off+chunkSize, len(data))]
		fmt.Fprintf(&b, "%x\r\n", len(c))
		b.Write(c)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "0\r\n%s:%s\r\n\r\n", trailer, value)
	return b.Bytes()
}

// bodyMode is how the Ruby SDK sends a PutObject body, by version.
type bodyMode int

const (
	rubyContentMD5  bodyMode = iota // aws-sdk-s3 < 1.178
	rubyCRC32Header                 // 1.178 to 1.209
	rubyTrailer                     // >= 1.210
)

// rubyS3 sends requests shaped like aws-sdk-ruby's S3 client configured by
// fluent-plugin-s3: virtual-hosted addressing on s3_endpoint, SigV4 with the
// configured keys, Expect: 100-continue on bodies.
type rubyS3 struct {
	t        *testing.T
	hc       *http.Client
	endpoint string // host:port of s3_endpoint
	bucket   string
}

func (r *rubyS3) request(method, path, query string, body []byte, mode bodyMode, header http.Header) (*http.Response, []byte, bool) {
	t := r.t
	ctx := t.Context()
	u := "http://" + r.bucket + "." + r.endpoint + path
	if query != "" {
		u += "?" + query
	}
	var encoded []byte
	payloadHash := hex.EncodeToString(sha256Sum(body))
	h := http.Header{"User-Agent": {rubyUA}}
	for k, v := range header {
		h[k] = v
	}
	if method == http.MethodPut && len(body) > 0 {
		h.Set("Expect", "100-continue")
		switch mode {
		case rubyContentMD5:
			sum := md5.Sum(body)
			h.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
		case rubyCRC32Header:
			h.Set("X-Amz-Checksum-Crc32", crc32Of(body))
			h.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
		case rubyTrailer:
			payloadHash = payloadStreamingUnsignedTail
			h.Set("Content-Encoding", "aws-chunked")
			h.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
			h.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(body)))
			h.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
			encoded = encodeUnsignedTrailer(body, 16<<10, "x-amz-checksum-crc32", crc32Of(body))
		}
	}
	if encoded == nil {
		encoded = body
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(encoded))
	assert.NilError(t, err)
	req.Header = h
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	err = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(ctx,
		aws.Credentials{AccessKeyID: "dummy", SecretAccessKey: "dummy"}, req, payloadHash, "s3", "us-east-1", time.Now().UTC())
	assert.NilError(t, err)
	got100 := false
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{Got100Continue: func() { got100 = true }}))
	resp, err := r.hc.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	return resp, b, got100
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func gzipLines(t *testing.T, lines ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := io.WriteString(zw, strings.Join(lines, ""))
	assert.NilError(t, err)
	assert.NilError(t, zw.Close())
	return b.Bytes()
}

// TestFluentPluginS3Sequence replays what fluent-plugin-s3 (v1.x, defaults:
// check_apikey_on_start, check_bucket, auto_create_bucket, check_object,
// store_as gzip) sends at startup and on three flushes, one per Ruby SDK
// body mode, with the default virtual-hosted addressing.
func TestFluentPluginS3Sequence(t *testing.T) {
	f := newFake(t, false, WithCredentials("dummy", "dummy"))
	ctx := t.Context()
	addr := f.ts.Listener.Addr().String()
	_, port, err := net.SplitHostPort(addr)
	assert.NilError(t, err)
	hc := hostDialer(addr)
	hc.Transport.(*http.Transport).ExpectContinueTimeout = time.Second
	rb := &rubyS3{t: t, hc: hc, endpoint: "s3.localhost:" + port, bucket: "delish-logs"}

	// 1. check_apikeys: @bucket.objects(prefix: path, max_keys: 1).first.
	resp, body, _ := rb.request(http.MethodGet, "/", "encoding-type=url&list-type=2&max-keys=1&prefix=logs%2F", nil, 0, nil)
	assert.Equal(t, resp.StatusCode, http.StatusNotFound, string(body))
	assert.Equal(t, xmlCode(body), "NoSuchBucket") // the only error the plugin rescues
	assert.Assert(t, is.Contains(string(body), "<BucketName>delish-logs</BucketName>"))

	// 2. ensure_bucket: HeadBucket through the BucketExists waiter.
	resp, body, _ = rb.request(http.MethodHead, "/", "", nil, 0, nil)
	assert.Equal(t, resp.StatusCode, http.StatusNotFound)
	assert.Equal(t, len(body), 0)

	// 3. auto_create_bucket.
	resp, body, _ = rb.request(http.MethodPut, "/", "", nil, 0, nil)
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.Equal(t, resp.Header.Get("Location"), "/delish-logs")

	// The startup listing now succeeds and is empty.
	resp, body, _ = rb.request(http.MethodGet, "/", "encoding-type=url&list-type=2&max-keys=1&prefix=logs%2F", nil, 0, nil)
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.Assert(t, is.Contains(string(body), "<KeyCount>0</KeyCount>"))

	// 4. Three flushes: HeadObject on _0, _1, ... until a 404, then PutObject there.
	var want []string
	for flush, mode := range []bodyMode{rubyContentMD5, rubyCRC32Header, rubyTrailer} {
		index := 0
		for ; ; index++ {
			resp, body, _ := rb.request(http.MethodHead, fmt.Sprintf("/logs/20261126_%d.gz", index), "", nil, 0, nil)
			if resp.StatusCode == http.StatusNotFound {
				assert.Equal(t, len(body), 0, "HEAD answers without a body")
				break
			}
			assert.Equal(t, resp.StatusCode, http.StatusOK)
		}
		assert.Equal(t, index, flush)
		line := fmt.Sprintf("2026-11-26T12:00:0%dZ\tapp.access\t{\"flush\":%d,\"path\":\"/recipes\"}\n", flush, flush)
		want = append(want, line)
		data := gzipLines(t, strings.Repeat(line, 1+flush*2000)) // the third spans several 16 KiB chunks
		resp, body, got100 := rb.request(http.MethodPut, fmt.Sprintf("/logs/20261126_%d.gz", index), "", data, mode, http.Header{
			"Content-Type": {"application/x-gzip"}, "X-Amz-Storage-Class": {"STANDARD"},
		})
		assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
		assert.Assert(t, got100, "the fake sends 100 Continue before reading the body")
		sum := md5.Sum(data)
		assert.Equal(t, resp.Header.Get("ETag"), `"`+hex.EncodeToString(sum[:])+`"`)

		got, err := f.client.Object(ctx, "delish-logs", fmt.Sprintf("logs/20261126_%d.gz", index), true)
		assert.NilError(t, err)
		assert.Equal(t, string(got), strings.Repeat(line, 1+flush*2000))
	}

	counts, err := f.client.Counts(ctx)
	assert.NilError(t, err)
	assert.DeepEqual(t, counts, map[string]int{
		"ListObjectsV2": 2, "HeadBucket": 1, "CreateBucket": 1, "HeadObject": 1 + 2 + 3, "PutObject": 3,
	})
	puts, err := f.client.Requests(ctx, fakeclient.S3RequestFilter{Op: "PutObject"})
	assert.NilError(t, err)
	var modes []string
	for _, p := range puts {
		modes = append(modes, p.BodyMode+" "+p.Integrity)
		assert.Assert(t, p.SignatureVerified)
		assert.Equal(t, p.Addressing, "virtual-host")
		assert.Equal(t, p.UserAgent, rubyUA)
	}
	assert.DeepEqual(t, modes, []string{
		"plain content-md5,sha256-payload",
		"plain crc32-header,sha256-payload",
		"aws-chunked-unsigned-trailer crc32-trailer",
	})
	// Each flush wrote its own object: the later PUTs left the earlier ones whole.
	for index, line := range want {
		got, err := f.client.Object(ctx, "delish-logs", fmt.Sprintf("logs/20261126_%d.gz", index), true)
		assert.NilError(t, err)
		assert.Equal(t, string(got), strings.Repeat(line, 1+index*2000), "logs/20261126_%d.gz after all three flushes", index)
	}
	objs, err := f.client.Objects(ctx, "delish-logs", "logs/")
	assert.NilError(t, err)
	assert.Equal(t, len(objs), len(want))
	assert.Equal(t, objs[2].ContentType, "application/x-gzip")
	assert.Equal(t, objs[2].ContentEncoding, "", "aws-chunked is not stored")
	assert.Equal(t, objs[2].StorageClass, "STANDARD")

	// ListObjects v1 (fluent-plugin-s3 0.8 on aws-sdk v2) with encoding-type=url.
	resp, body, _ = rb.request(http.MethodGet, "/", "encoding-type=url&prefix=logs%2F", nil, 0, nil)
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	assert.Assert(t, is.Contains(string(body), "<Key>logs/20261126_0.gz</Key>"))
	assert.Assert(t, is.Contains(string(body), "<EncodingType>url</EncodingType>"))
}

// A PutObject that S3 refuses before reading (no such bucket) is answered
// without 100 Continue, so the client never sends the body.
func TestExpectContinueRefusedWithoutReadingBody(t *testing.T) {
	f := newFake(t, false)
	addr := f.ts.Listener.Addr().String()
	_, port, err := net.SplitHostPort(addr)
	assert.NilError(t, err)
	hc := hostDialer(addr)
	hc.Transport.(*http.Transport).ExpectContinueTimeout = 5 * time.Second
	rb := &rubyS3{t: t, hc: hc, endpoint: "s3.localhost:" + port, bucket: "missing-bucket"}
	resp, body, got100 := rb.request(http.MethodPut, "/k.gz", "", []byte("data"), rubyContentMD5, nil)
	assert.Equal(t, resp.StatusCode, http.StatusNotFound)
	assert.Equal(t, xmlCode(body), "NoSuchBucket")
	assert.Assert(t, !got100)
	recs, err := f.client.Requests(context.Background(), fakeclient.S3RequestFilter{})
	assert.NilError(t, err)
	assert.Equal(t, recs[0].BodyBytes, int64(0))
}

// An injected fault answers before the body is read: a client sending
// Expect: 100-continue gets the S3 error without ever sending the body, and
// fluentd would retry the chunk.
func TestFaultBeforeExpectContinue(t *testing.T) {
	f := newFake(t, false)
	addr := f.ts.Listener.Addr().String()
	_, port, err := net.SplitHostPort(addr)
	assert.NilError(t, err)
	hc := hostDialer(addr)
	hc.Transport.(*http.Transport).ExpectContinueTimeout = 5 * time.Second
	rb := &rubyS3{t: t, hc: hc, endpoint: "s3.localhost:" + port, bucket: "faulty"}
	resp, body, _ := rb.request(http.MethodPut, "/", "", nil, 0, nil)
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.NilError(t, f.client.InjectFault(t.Context(), faultSlowDown(1, http.MethodPut, "/faulty/logs/")))

	resp, body, got100 := rb.request(http.MethodPut, "/logs/x_0.gz", "", []byte("chunk"), rubyContentMD5, nil)
	assert.Equal(t, resp.StatusCode, http.StatusServiceUnavailable)
	assert.Equal(t, xmlCode(body), "SlowDown")
	assert.Assert(t, !got100)
	resp, body, got100 = rb.request(http.MethodPut, "/logs/x_0.gz", "", []byte("chunk"), rubyContentMD5, nil)
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.Assert(t, got100)
}
