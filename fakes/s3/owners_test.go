package s3

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
)

// With two credential pairs each access key is an owner: bucket names are
// shared (BucketAlreadyExists to the other owner, BucketAlreadyOwnedByYou
// or 200 in us-east-1 to the owner), each lists its own buckets, and the
// other owner may do only what the canned ACLs grant, copies included.
func TestSDKTwoOwners(t *testing.T) {
	const altKey, altSecret = "AKIDALTERNATE", "alternate-secret"
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey), WithCredentials(altKey, altSecret))
	main := f.sdk(t)
	alt := f.sdk(t, func(o *s3sdk.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(altKey, altSecret, "")
	})
	ctx := t.Context()
	mustCreateBucket(t, main, "mine")
	mustCreateBucket(t, main, "mine-public")
	_, err := main.PutBucketAcl(ctx, &s3sdk.PutBucketAclInput{Bucket: aws.String("mine-public"), ACL: types.BucketCannedACLAuthenticatedRead})
	assert.NilError(t, err)
	mustCreateBucket(t, alt, "theirs")

	_, err = alt.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("mine")})
	assert.Equal(t, apiCode(err), "BucketAlreadyExists")
	_, err = main.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("mine")})
	assert.NilError(t, err, "us-east-1 answers 200 to the owner re-creating its bucket")

	names := func(c *s3sdk.Client) []string {
		out, err := c.ListBuckets(ctx, &s3sdk.ListBucketsInput{})
		assert.NilError(t, err)
		var n []string
		for _, b := range out.Buckets {
			n = append(n, aws.ToString(b.Name))
		}
		return n
	}
	assert.DeepEqual(t, names(main), []string{"mine", "mine-public"})
	assert.DeepEqual(t, names(alt), []string{"theirs"})

	put := func(c *s3sdk.Client, bucket, key string) error {
		_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("foo")})
		return err
	}
	assert.NilError(t, put(main, "mine", "k"))
	assert.NilError(t, put(main, "mine-public", "k"))
	assert.Equal(t, apiCode(put(alt, "mine", "k2")), "AccessDenied")
	_, err = alt.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("mine"), Key: aws.String("k")})
	assert.Equal(t, apiCode(err), "AccessDenied")
	_, err = alt.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("mine")})
	assert.Equal(t, apiCode(err), "AccessDenied")
	// authenticated-read opens listing to any signed caller.
	_, err = alt.ListObjectsV2(ctx, &s3sdk.ListObjectsV2Input{Bucket: aws.String("mine-public")})
	assert.NilError(t, err)

	copyFrom := func(src string) error {
		_, err := alt.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("theirs"), Key: aws.String("copy"), CopySource: aws.String(src)})
		return err
	}
	assert.Equal(t, apiCode(copyFrom("mine/k")), "AccessDenied")
	_, err = main.PutObjectAcl(ctx, &s3sdk.PutObjectAclInput{Bucket: aws.String("mine"), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead})
	assert.NilError(t, err)
	assert.NilError(t, copyFrom("mine/k"))
	assert.NilError(t, put(alt, "theirs", "own"))
	assert.NilError(t, copyFrom("theirs/own"))

	// The expected owner is the bucket's.
	_, err = alt.HeadBucket(ctx, &s3sdk.HeadBucketInput{Bucket: aws.String("theirs"), ExpectedBucketOwner: aws.String(fakeOwner.ID)})
	assert.Equal(t, apiCode(err), "Forbidden") // a HEAD answer has no body
	_, err = main.HeadBucket(ctx, &s3sdk.HeadBucketInput{Bucket: aws.String("mine"), ExpectedBucketOwner: aws.String(fakeOwner.ID)})
	assert.NilError(t, err)
}
