package s3

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// grantsOf flattens an ACL answer to "grantee permission" lines: the
// owner's ID or a group's URI.
func grantsOf(grants []types.Grant) []string {
	var out []string
	for _, g := range grants {
		who := aws.ToString(g.Grantee.URI)
		if who == "" {
			who = string(g.Grantee.Type) + ":" + aws.ToString(g.Grantee.ID)
		}
		out = append(out, who+" "+string(g.Permission))
	}
	return out
}

func TestSDKCannedACLs(t *testing.T) {
	for _, store := range []string{"mem", "disk"} {
		t.Run(store, func(t *testing.T) {
			f := newFake(t, false)
			if store == "disk" {
				ds, err := OpenDiskStore(t.TempDir())
				assert.NilError(t, err)
				f.srv = New(ds)
				f.ts.Config.Handler = f.srv.Handler()
			}
			c := f.sdk(t)
			ctx := t.Context()
			owner := "CanonicalUser:" + fakeOwner.ID + " FULL_CONTROL"

			// A bucket without x-amz-acl is private: its owner, FULL_CONTROL.
			mustCreateBucket(t, c, "acl")
			got, err := c.GetBucketAcl(ctx, &s3sdk.GetBucketAclInput{Bucket: aws.String("acl")})
			assert.NilError(t, err)
			assert.Equal(t, aws.ToString(got.Owner.ID), fakeOwner.ID)
			assert.DeepEqual(t, grantsOf(got.Grants), []string{owner})

			_, err = c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("public"), ACL: types.BucketCannedACLPublicRead})
			assert.NilError(t, err)
			got, err = c.GetBucketAcl(ctx, &s3sdk.GetBucketAclInput{Bucket: aws.String("public")})
			assert.NilError(t, err)
			assert.DeepEqual(t, grantsOf(got.Grants), []string{owner, allUsers + " READ"})
			_, err = c.PutBucketAcl(ctx, &s3sdk.PutBucketAclInput{Bucket: aws.String("public"), ACL: types.BucketCannedACLAuthenticatedRead})
			assert.NilError(t, err)
			got, err = c.GetBucketAcl(ctx, &s3sdk.GetBucketAclInput{Bucket: aws.String("public")})
			assert.NilError(t, err)
			assert.DeepEqual(t, grantsOf(got.Grants), []string{owner, authenticatedUsers + " READ"})

			// Objects: x-amz-acl on PutObject, PutObjectAcl with a canned ACL
			// or the policy a canned ACL makes, the bytes left alone.
			_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("acl"), Key: aws.String("k"), Body: strings.NewReader("body"),
				ACL: types.ObjectCannedACLPublicReadWrite})
			assert.NilError(t, err)
			before, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("acl"), Key: aws.String("k")})
			assert.NilError(t, err)
			oa, err := c.GetObjectAcl(ctx, &s3sdk.GetObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k")})
			assert.NilError(t, err)
			assert.DeepEqual(t, grantsOf(oa.Grants), []string{owner, allUsers + " READ", allUsers + " WRITE"})
			_, err = c.PutObjectAcl(ctx, &s3sdk.PutObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k"), AccessControlPolicy: &types.AccessControlPolicy{
				Owner: &types.Owner{ID: aws.String(fakeOwner.ID)},
				Grants: []types.Grant{
					{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(allUsers)}, Permission: types.PermissionRead},
					{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(fakeOwner.ID)}, Permission: types.PermissionFullControl},
				},
			}})
			assert.NilError(t, err)
			oa, err = c.GetObjectAcl(ctx, &s3sdk.GetObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k")})
			assert.NilError(t, err)
			assert.DeepEqual(t, grantsOf(oa.Grants), []string{owner, allUsers + " READ"})
			after, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("acl"), Key: aws.String("k")})
			assert.NilError(t, err)
			assert.Equal(t, aws.ToString(after.ETag), aws.ToString(before.ETag))
			assert.Equal(t, aws.ToTime(after.LastModified), aws.ToTime(before.LastModified))
			assert.Equal(t, string(getBytes(t, c, "acl", "k")), "body")
			_, err = c.PutObjectAcl(ctx, &s3sdk.PutObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k"), ACL: types.ObjectCannedACLPrivate})
			assert.NilError(t, err)
			oa, err = c.GetObjectAcl(ctx, &s3sdk.GetObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k")})
			assert.NilError(t, err)
			assert.DeepEqual(t, grantsOf(oa.Grants), []string{owner})

			// A copy takes the request's ACL, not the source's.
			_, err = c.PutObjectAcl(ctx, &s3sdk.PutObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead})
			assert.NilError(t, err)
			_, err = c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("acl"), Key: aws.String("copy"), CopySource: aws.String("acl/k")})
			assert.NilError(t, err)
			oa, err = c.GetObjectAcl(ctx, &s3sdk.GetObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("copy")})
			assert.NilError(t, err)
			assert.DeepEqual(t, grantsOf(oa.Grants), []string{owner})

			// What the fake cannot express is refused, saying so.
			_, err = c.PutObjectAcl(ctx, &s3sdk.PutObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k"), GrantRead: aws.String(`id="someone-else"`)})
			assert.Equal(t, apiCode(err), "NotImplemented")
			_, err = c.PutObjectAcl(ctx, &s3sdk.PutObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("k"), AccessControlPolicy: &types.AccessControlPolicy{
				Owner:  &types.Owner{ID: aws.String(fakeOwner.ID)},
				Grants: []types.Grant{{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String("someone-else")}, Permission: types.PermissionRead}},
			}})
			assert.Equal(t, apiCode(err), "NotImplemented")
			_, err = c.GetObjectAcl(ctx, &s3sdk.GetObjectAclInput{Bucket: aws.String("acl"), Key: aws.String("missing")})
			assert.Equal(t, apiCode(err), "NoSuchKey")
			_, err = c.GetBucketAcl(ctx, &s3sdk.GetBucketAclInput{Bucket: aws.String("missing")})
			assert.Equal(t, apiCode(err), "NoSuchBucket")

			resp, body := f.send(t, rawReq{method: http.MethodPut, path: "/acl/k2", body: []byte("x"), header: map[string]string{"x-amz-acl": "world-writable"}})
			assert.Equal(t, resp.StatusCode, http.StatusBadRequest)
			assert.Equal(t, xmlCode(body), "InvalidArgument")
			resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/acl?acl"})
			assert.Equal(t, resp.StatusCode, http.StatusOK)
			assert.Assert(t, is.Contains(string(body), `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">`))
		})
	}
}
