package s3

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
)

// With credentials set, an unsigned request may do what the canned ACLs
// grant AllUsers and nothing else, and learns that a bucket is missing
// before anything else, as from S3.
func TestAnonymousRequestsFollowCannedACLs(t *testing.T) {
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey))
	owner := f.sdk(t)
	anon := f.sdk(t, func(o *s3sdk.Options) { o.Credentials = aws.AnonymousCredentials{} })
	ctx := t.Context()
	put := func(c *s3sdk.Client, bucket, key string, acl types.ObjectCannedACL) error {
		_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ACL: acl, Body: strings.NewReader("foo")})
		return err
	}
	get := func(bucket, key string) error {
		_, err := anon.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err
	}
	head := func(bucket, key string) error {
		_, err := anon.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err
	}
	list := func(bucket string) (error, error) {
		_, v1 := anon.ListObjects(ctx, &s3sdk.ListObjectsInput{Bucket: aws.String(bucket)})
		_, v2 := anon.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String(bucket)})
		return v1, v2
	}
	for _, b := range []struct {
		name string
		acl  types.BucketCannedACL
	}{{"private", ""}, {"public-read", types.BucketCannedACLPublicRead}, {"public-read-write", types.BucketCannedACLPublicReadWrite}} {
		_, err := owner.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String(b.name), ACL: b.acl})
		assert.NilError(t, err)
		assert.NilError(t, put(owner, b.name, "open", types.ObjectCannedACLPublicRead))
		assert.NilError(t, put(owner, b.name, "closed", ""))
	}

	// The object's ACL decides GetObject and HeadObject, whatever the
	// bucket's.
	for _, b := range []string{"private", "public-read", "public-read-write"} {
		assert.NilError(t, get(b, "open"), b)
		assert.NilError(t, head(b, "open"), b)
		assert.Equal(t, apiCode(get(b, "closed")), "AccessDenied", b)
		assert.Equal(t, apiCode(head(b, "closed")), "Forbidden", b) // a HEAD answer has no body
	}
	// A missing key is NoSuchKey where anyone may list, else AccessDenied.
	assert.Equal(t, apiCode(get("private", "missing")), "AccessDenied")
	assert.Equal(t, apiCode(get("public-read", "missing")), "NoSuchKey")

	// The bucket's READ lets anyone list.
	v1, v2 := list("private")
	assert.Equal(t, apiCode(v1), "AccessDenied")
	assert.Equal(t, apiCode(v2), "AccessDenied")
	v1, v2 = list("public-read")
	assert.NilError(t, v1)
	assert.NilError(t, v2)

	// The bucket's WRITE lets anyone write and delete.
	assert.Equal(t, apiCode(put(anon, "public-read", "new", "")), "AccessDenied")
	assert.NilError(t, put(anon, "public-read-write", "new", ""))
	_, err := anon.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("public-read"), Key: aws.String("open")})
	assert.Equal(t, apiCode(err), "AccessDenied")
	_, err = anon.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("public-read-write"), Key: aws.String("new")})
	assert.NilError(t, err)

	// Nothing else is open: not the ACLs, not the bucket's deletion.
	_, err = anon.GetBucketAcl(ctx, &s3sdk.GetBucketAclInput{Bucket: aws.String("public-read-write")})
	assert.Equal(t, apiCode(err), "AccessDenied")
	_, err = anon.DeleteBucket(ctx, &s3sdk.DeleteBucketInput{Bucket: aws.String("public-read-write")})
	assert.Equal(t, apiCode(err), "AccessDenied")
	_, err = anon.ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	assert.Equal(t, apiCode(err), "AccessDenied")

	// A missing bucket is NoSuchBucket, to anyone.
	assert.Equal(t, apiCode(get("gone", "open")), "NoSuchBucket")
	_, err = anon.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("gone"), Key: aws.String("open")})
	assert.Equal(t, apiCode(err), "NoSuchBucket")
}

// An unsigned PUT with Expect: 100-continue is refused before its body is
// sent unless the bucket lets anyone write; then the server asks for the
// body with 100 Continue.
func TestAnonymousPutExpectContinue(t *testing.T) {
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey))
	owner := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, owner, "drop")
	// firstLine sends the PUT's headers only and reads the status line the
	// server answers them with.
	firstLine := func() string {
		t.Helper()
		conn, err := net.Dial("tcp", f.ts.Listener.Addr().String())
		assert.NilError(t, err)
		defer conn.Close()
		_, err = io.WriteString(conn, "PUT /drop/obj HTTP/1.1\r\nHost: "+f.ts.Listener.Addr().String()+
			"\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
		assert.NilError(t, err)
		line, err := bufio.NewReader(conn).ReadString('\n')
		assert.NilError(t, err)
		return strings.TrimSpace(line)
	}
	assert.Equal(t, firstLine(), "HTTP/1.1 403 Forbidden")
	_, err := owner.PutBucketAcl(ctx, &s3sdk.PutBucketAclInput{Bucket: aws.String("drop"), ACL: types.BucketCannedACLPublicReadWrite})
	assert.NilError(t, err)
	assert.Equal(t, firstLine(), "HTTP/1.1 100 Continue")
}

// x-amz-expected-bucket-owner naming another owner than the fake's one is
// AccessDenied, for signed and unsigned callers alike.
func TestExpectedBucketOwner(t *testing.T) {
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey))
	owner := f.sdk(t)
	anon := f.sdk(t, func(o *s3sdk.Options) { o.Credentials = aws.AnonymousCredentials{} })
	ctx := t.Context()
	_, err := owner.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("open"), ACL: types.BucketCannedACLPublicReadWrite})
	assert.NilError(t, err)
	for _, c := range []*s3sdk.Client{owner, anon} {
		_, err = c.ListObjects(ctx, &s3sdk.ListObjectsInput{Bucket: aws.String("open"), ExpectedBucketOwner: aws.String(fakeOwner.ID)})
		assert.NilError(t, err)
		_, err = c.ListObjects(ctx, &s3sdk.ListObjectsInput{Bucket: aws.String("open"), ExpectedBucketOwner: aws.String("123456789012")})
		assert.Equal(t, apiCode(err), "AccessDenied")
		_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("open"), Key: aws.String("k"), Body: strings.NewReader("x"), ExpectedBucketOwner: aws.String("123456789012")})
		assert.Equal(t, apiCode(err), "AccessDenied")
	}
}
