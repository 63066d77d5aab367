package s3

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"gotest.tools/v3/assert"
)

// ListBuckets pages with max-buckets and continuation-token, as the SDK's
// paginator walks them, and filters by prefix.
func TestSDKListBucketsPaginated(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()

	out, err := c.ListBuckets(ctx, &s3sdk.ListBucketsInput{MaxBuckets: aws.Int32(1)})
	assert.NilError(t, err)
	assert.Equal(t, len(out.Buckets), 0)
	assert.Assert(t, out.ContinuationToken == nil)

	var want []string
	for i := range 5 {
		name := fmt.Sprintf("page-%d", i)
		mustCreateBucket(t, c, name)
		want = append(want, name)
	}
	mustCreateBucket(t, c, "other")

	out, err = c.ListBuckets(ctx, &s3sdk.ListBucketsInput{MaxBuckets: aws.Int32(5), Prefix: aws.String("page-")})
	assert.NilError(t, err)
	assert.Equal(t, len(out.Buckets), 5)
	assert.Assert(t, out.ContinuationToken == nil, "a page that ends the listing has no token")
	assert.Equal(t, aws.ToString(out.Prefix), "page-")

	var got []string
	pages := 0
	for p := s3sdk.NewListBucketsPaginator(c, &s3sdk.ListBucketsInput{MaxBuckets: aws.Int32(2), Prefix: aws.String("page-")}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		assert.NilError(t, err)
		pages++
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
		}
	}
	assert.DeepEqual(t, got, want)
	assert.Equal(t, pages, 3)

	out, err = c.ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	assert.NilError(t, err)
	assert.Equal(t, len(out.Buckets), 6)

	_, err = c.ListBuckets(ctx, &s3sdk.ListBucketsInput{MaxBuckets: aws.Int32(10001)})
	assert.Equal(t, apiCode(err), "InvalidArgument")
	_, err = c.ListBuckets(ctx, &s3sdk.ListBucketsInput{ContinuationToken: aws.String("not base64!")})
	assert.Equal(t, apiCode(err), "InvalidArgument")
}
