package s3

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
)

// The cases of ceph/s3-tests test_put_object_if{,non}match_* and the
// conditional CompleteMultipartUpload, through the SDK's IfMatch and
// IfNoneMatch.
func TestSDKConditionalWrites(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "cond")
	put := func(key, body string, in s3sdk.PutObjectInput) (string, error) {
		in.Bucket, in.Key, in.Body = aws.String("cond"), aws.String(key), strings.NewReader(body)
		out, err := c.PutObject(ctx, &in)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ETag), nil
	}
	content := func(key string) string { return string(getBytes(t, c, "cond", key)) }
	failed := func(err error) {
		t.Helper()
		assert.Equal(t, apiCode(err), "PreconditionFailed")
		assert.ErrorContains(t, err, "StatusCode: 412")
	}

	// If-Match: a missing key fails it, whatever the ETag.
	_, err := put("foo", "bar", s3sdk.PutObjectInput{IfMatch: aws.String("*")})
	failed(err)
	_, err = put("foo", "bar", s3sdk.PutObjectInput{IfMatch: aws.String(`"d41d8cd98f00b204e9800998ecf8427e"`)})
	failed(err)
	bar, err := put("foo", "bar", s3sdk.PutObjectInput{})
	assert.NilError(t, err)
	// The current ETag (quoted or bare) or * pass; another fails and
	// changes nothing.
	zar, err := put("foo", "zar", s3sdk.PutObjectInput{IfMatch: aws.String(strings.Trim(bar, `"`))})
	assert.NilError(t, err)
	assert.Equal(t, content("foo"), "zar")
	_, err = put("foo", "baz", s3sdk.PutObjectInput{IfMatch: aws.String(bar)})
	failed(err)
	assert.Equal(t, content("foo"), "zar")
	_, err = put("foo", "baz", s3sdk.PutObjectInput{IfMatch: aws.String("*")})
	assert.NilError(t, err)
	assert.Equal(t, content("foo"), "baz")

	// If-None-Match: * fails on any object; an ETag only on that one.
	_, err = put("foo", "qux", s3sdk.PutObjectInput{IfNoneMatch: aws.String("*")})
	failed(err)
	_, err = put("foo", "qux", s3sdk.PutObjectInput{IfNoneMatch: aws.String(zar)})
	assert.NilError(t, err)
	_, err = put("new", "x", s3sdk.PutObjectInput{IfNoneMatch: aws.String("*")})
	assert.NilError(t, err)
	assert.Equal(t, content("new"), "x")

	// CompleteMultipartUpload: If-None-Match: * over an object fails and
	// leaves the upload; If-Match on the current ETag passes.
	id, parts := startUpload(t, c, "cond", "foo", []byte("multipart"))
	in := &s3sdk.CompleteMultipartUploadInput{Bucket: aws.String("cond"), Key: aws.String("foo"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, IfNoneMatch: aws.String("*")}
	_, err = c.CompleteMultipartUpload(ctx, in)
	failed(err)
	in.IfNoneMatch, in.IfMatch = nil, aws.String(bar)
	_, err = c.CompleteMultipartUpload(ctx, in)
	failed(err)
	head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("cond"), Key: aws.String("foo")})
	assert.NilError(t, err)
	in.IfMatch = head.ETag
	_, err = c.CompleteMultipartUpload(ctx, in)
	assert.NilError(t, err)
	assert.Equal(t, content("foo"), "multipart")

	id, parts = startUpload(t, c, "cond", "fresh", []byte("made once"))
	_, err = c.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{Bucket: aws.String("cond"), Key: aws.String("fresh"),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, IfNoneMatch: aws.String("*")})
	assert.NilError(t, err)
	assert.Equal(t, content("fresh"), "made once")
}
