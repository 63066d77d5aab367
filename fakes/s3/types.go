package s3

import "github.com/devenv-sh/devenv/fakeclient"

// The inspection API answers in fakeclient's types, the ones user tests
// decode it with, so that the two cannot drift apart: each is documented
// there. BucketInfo and Checksum are also what a Store keeps (the disk
// store writes them as this JSON).
type (
	BucketInfo    = fakeclient.S3Bucket
	Checksum      = fakeclient.S3Checksum
	RequestRecord = fakeclient.S3Request
)
