package s3

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// A presigned URL whose X-Amz-Expires is negative or over a week, or that
// has expired, authorizes nothing: S3 answers 403, even for an object the
// URL's signer may read.
func TestPresignedExpiresOutOfRangeIsForbidden(t *testing.T) {
	clock := &testClock{now: time.Now()}
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey), WithClock(clock.Now))
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "presigned")
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("presigned"), Key: aws.String("foo"), Body: strings.NewReader("bar")})
	assert.NilError(t, err)

	get := func(expires time.Duration) (*http.Response, []byte) {
		t.Helper()
		pc := s3sdk.NewPresignClient(c, s3sdk.WithPresignExpires(expires))
		u, err := pc.PresignGetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("presigned"), Key: aws.String("foo")})
		assert.NilError(t, err)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.URL, nil)
		assert.NilError(t, err)
		return do(t, f.ts.Client(), req)
	}

	resp, body := get(maxPresignedAge)
	assert.Equal(t, resp.StatusCode, http.StatusOK, "a week is the longest S3 allows: %s", body)

	resp, body = get(maxPresignedAge + time.Second)
	assert.Equal(t, resp.StatusCode, http.StatusForbidden)
	assert.Equal(t, xmlCode(body), "AuthorizationQueryParametersError")
	assert.Assert(t, is.Contains(string(body), "must be less than 604800 seconds"))

	// The SDK refuses to presign a negative expiry, as botocore does not:
	// sign one with the SDK's signer.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.ts.URL+"/presigned/foo?X-Amz-Expires=-7", nil)
	assert.NilError(t, err)
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey},
		req, payloadUnsigned, "s3", "us-east-1", clock.Now())
	assert.NilError(t, err)
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, signed, nil)
	assert.NilError(t, err)
	resp, body = do(t, f.ts.Client(), req)
	assert.Equal(t, resp.StatusCode, http.StatusForbidden)
	assert.Equal(t, xmlCode(body), "AuthorizationQueryParametersError")
	assert.Assert(t, is.Contains(string(body), "X-Amz-Expires must be non-negative"))

	// A put presigned for a second is refused, with S3's AccessDenied,
	// once the second has passed.
	pc := s3sdk.NewPresignClient(c, s3sdk.WithPresignExpires(time.Second))
	put, err := pc.PresignPutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("presigned"), Key: aws.String("foo")})
	assert.NilError(t, err)
	clock.Advance(2 * time.Second)
	req, err = http.NewRequestWithContext(ctx, put.Method, put.URL, strings.NewReader("foo"))
	assert.NilError(t, err)
	for k, vs := range put.SignedHeader {
		req.Header[k] = vs
	}
	resp, body = do(t, f.ts.Client(), req)
	assert.Equal(t, resp.StatusCode, http.StatusForbidden)
	assert.Equal(t, xmlCode(body), "AccessDenied")
}
