package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"gotest.tools/v3/assert"
)

// Repeated --access-key/--secret-key pairs are owners of their own: each
// signs, each lists its own buckets, and a name one has taken is
// BucketAlreadyExists to the other.
func TestFakeS3CommandTwoCredentialPairs(t *testing.T) {
	url, stop := startFakeS3(t, "--access-key", "AKIDMAIN", "--secret-key", "main-secret", "--access-key", "AKIDALT", "--secret-key", "alt-secret")
	defer func() { assert.NilError(t, stop()) }()
	ctx := t.Context()
	main, alt := sdkFor(url, "AKIDMAIN", "main-secret"), sdkFor(url, "AKIDALT", "alt-secret")
	_, err := main.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("taken")})
	assert.NilError(t, err)
	_, err = alt.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("taken")})
	assert.ErrorContains(t, err, "BucketAlreadyExists")
	out, err := alt.ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	assert.NilError(t, err)
	assert.Equal(t, len(out.Buckets), 0)
	_, err = sdkFor(url, "AKIDALT", "main-secret").ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	assert.ErrorContains(t, err, "SignatureDoesNotMatch", "each key has its own secret")
}

func TestFakeS3CommandRejectsUnpairedCredentials(t *testing.T) {
	t.Setenv("DEVENV_S3_ACCESS_KEY", "")
	t.Setenv("DEVENV_S3_SECRET_KEY", "")
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), strings.Fields("fake s3 --access-key a --secret-key x --access-key b"), strings.NewReader(""), &stdout, &stderr)
	var ee *exitError
	assert.Assert(t, errors.As(err, &ee), "%v", err)
	assert.Equal(t, ee.code, 2)
	assert.ErrorContains(t, err, "got 2 access keys, 1 secret keys")
}
