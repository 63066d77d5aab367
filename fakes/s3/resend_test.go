package s3

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
)

// A part re-sent while its first upload is still arriving is the upload
// that finishes last, and a Complete that lists both ETags, the one that
// finished last listed last, assembles it.
func TestResentPartFinishingLastWins(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "mpu")
	cr, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("k")})
	assert.NilError(t, err)
	id := aws.ToString(cr.UploadId)

	// Upload A starts: half its body is read by the server, then it stalls.
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.ts.URL+"/mpu/k?partNumber=1&uploadId="+id, pr)
	assert.NilError(t, err)
	req.ContentLength = 8
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := f.ts.Client().Do(req)
		done <- answer{resp, err}
	}()
	_, err = pw.Write([]byte("AAAA"))
	assert.NilError(t, err)

	// Upload B of the same part starts later and finishes first.
	b, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("k"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("BBBBBBBB"))})
	assert.NilError(t, err)

	_, err = pw.Write([]byte("AAAA"))
	assert.NilError(t, err)
	assert.NilError(t, pw.Close())
	a := <-done
	assert.NilError(t, a.err)
	a.resp.Body.Close()
	assert.Equal(t, a.resp.StatusCode, http.StatusOK)
	etagA := a.resp.Header.Get("ETag")
	assert.Assert(t, etagA != aws.ToString(b.ETag))

	_, err = complete(t, c, "mpu", "k", id, []types.CompletedPart{
		{PartNumber: aws.Int32(1), ETag: b.ETag}, {PartNumber: aws.Int32(1), ETag: aws.String(etagA)},
	})
	assert.NilError(t, err)
	assert.DeepEqual(t, getBytes(t, c, "mpu", "k"), []byte("AAAAAAAA"))
}
