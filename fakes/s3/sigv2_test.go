package s3

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // SigV2 is HMAC-SHA1.
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// sign2 is the SigV2 signature of a string to sign, built here from the
// documented algorithm (RESTAuthentication.html), not the fake's code.
func sign2(secret, toSign string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// presign2 returns a SigV2 presigned URL path for method on resource (the
// canonical resource: "/bucket/key" plus sub-resources), expiring at exp.
func presign2(method, resource, contentType string, amzHeaders string, exp time.Time, key, secret string) string {
	expires := strconv.FormatInt(exp.Unix(), 10)
	sig := sign2(secret, method+"\n\n"+contentType+"\n"+expires+"\n"+amzHeaders+resource)
	sep := "?"
	if strings.Contains(resource, "?") {
		sep = "&"
	}
	return resource + sep + url.Values{"AWSAccessKeyId": {key}, "Expires": {expires}, "Signature": {sig}}.Encode()
}

func TestSigV2PresignedAndHeader(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey), WithClock(clock.Now))
	exp := clock.now.Add(time.Hour)

	// A header-signed SigV2 PUT creates the bucket and an object.
	date := clock.now.Format(http.TimeFormat)
	resp, body := f.send(t, rawReq{method: http.MethodPut, path: "/sig2", header: map[string]string{
		"Date": date, "Authorization": "AWS " + testAccessKey + ":" + sign2(testSecretKey, "PUT\n\n\n"+date+"\n/sig2"),
	}})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	toSign := "PUT\n\ntext/plain\n\nx-amz-date:" + date + "\nx-amz-meta-who:devenv\n/sig2/a%20b"
	resp, body = f.send(t, rawReq{method: http.MethodPut, path: "/sig2/a%20b", body: []byte("hello"), header: map[string]string{
		"Content-Type": "text/plain", "X-Amz-Date": date, "X-Amz-Meta-Who": "devenv",
		"Authorization": "AWS " + testAccessKey + ":" + sign2(testSecretKey, toSign),
	}})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))

	// Presigned GET, with a response override in the canonical resource.
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: presign2("GET", "/sig2/a%20b", "", "", exp, testAccessKey, testSecretKey)})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.Equal(t, string(body), "hello")
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: presign2("GET", "/sig2/a%20b?response-content-type=application/json", "", "", exp, testAccessKey, testSecretKey)})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.Equal(t, resp.Header.Get("Content-Type"), "application/json")

	// Presigned PUT with its Content-Type signed.
	resp, body = f.send(t, rawReq{method: http.MethodPut, path: presign2("PUT", "/sig2/up", "image/png", "", exp, testAccessKey, testSecretKey),
		body: []byte("png"), header: map[string]string{"Content-Type": "image/png"}})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))

	for _, tc := range []struct {
		name, path string
		header     map[string]string
		status     int
		code       string
	}{
		{"another method", presign2("PUT", "/sig2/a%20b", "", "", exp, testAccessKey, testSecretKey), nil, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"an extra parameter outside the canonical resource", presign2("GET", "/sig2/a%20b", "", "", exp, testAccessKey, testSecretKey) + "&x=1", nil, http.StatusOK, ""},
		{"wrong secret", presign2("GET", "/sig2/up", "", "", exp, testAccessKey, "not-the-secret"), nil, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"unknown access key", presign2("GET", "/sig2/up", "", "", exp, "AKIDUNKNOWN", testSecretKey), nil, http.StatusForbidden, "InvalidAccessKeyId"},
		{"expired", presign2("GET", "/sig2/up", "", "", clock.now.Add(-time.Second), testAccessKey, testSecretKey), nil, http.StatusForbidden, "AccessDenied"},
		{"skewed header date", "/sig2/up", map[string]string{
			"Date":          clock.now.Add(-time.Hour).Format(http.TimeFormat),
			"Authorization": "AWS " + testAccessKey + ":" + sign2(testSecretKey, "GET\n\n\n"+clock.now.Add(-time.Hour).Format(http.TimeFormat)+"\n/sig2/up"),
		}, http.StatusForbidden, "RequestTimeTooSkewed"},
	} {
		resp, body := f.send(t, rawReq{method: http.MethodGet, path: tc.path, header: tc.header})
		assert.Equal(t, resp.StatusCode, tc.status, "%s: %s", tc.name, body)
		assert.Equal(t, xmlCode(body), tc.code, tc.name)
	}
}

// A browser's preflight, which carries no credentials, is answered for any
// origin, and the answers to its requests let the page read ETag.
func TestCORSPreflight(t *testing.T) {
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey))
	f2 := newFake(t, false)
	putRaw(t, f2, "/web", nil, nil)
	for _, fk := range []*fake{f, f2} {
		resp, body := fk.send(t, rawReq{method: http.MethodOptions, path: "/web/upload.bin", header: map[string]string{
			"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-amz-acl",
		}})
		if fk == f {
			// No bucket on this server: S3 answers the preflight 404.
			assert.Equal(t, resp.StatusCode, http.StatusNotFound, string(body))
			continue
		}
		assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
		assert.Equal(t, resp.Header.Get("Access-Control-Allow-Origin"), "http://localhost:3000")
		assert.Equal(t, resp.Header.Get("Access-Control-Allow-Methods"), "PUT")
		assert.Equal(t, resp.Header.Get("Access-Control-Allow-Headers"), "content-type,x-amz-acl")
		assert.Assert(t, strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag"))
	}
	resp, body := f2.send(t, rawReq{method: http.MethodOptions, path: "/web/x", header: map[string]string{"Access-Control-Request-Method": "PUT"}})
	assert.Equal(t, resp.StatusCode, http.StatusBadRequest, string(body))
	resp, body = f2.send(t, rawReq{method: http.MethodOptions, path: "/web/x", header: map[string]string{"Origin": "http://a", "Access-Control-Request-Method": "PATCH"}})
	assert.Equal(t, resp.StatusCode, http.StatusForbidden, string(body))

	resp, body = f2.send(t, rawReq{method: http.MethodPut, path: "/web/x", body: []byte("x"), header: map[string]string{"Origin": "http://localhost:3000"}})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.Equal(t, resp.Header.Get("Access-Control-Allow-Origin"), "http://localhost:3000")
	assert.Assert(t, strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag"))
	resp, _ = f2.send(t, rawReq{method: http.MethodGet, path: "/web/x"})
	assert.Equal(t, resp.Header.Get("Access-Control-Allow-Origin"), "", "no Origin, no CORS headers")
}
