package s3

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // SigV2 is HMAC-SHA1 by definition.
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature Version 2 verification (header and presigned URL), as specified
// in https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html.
// botocore still presigns with it in some setups (signature_version s3).

// sigV2Subresources are the query parameters SigV2's canonical resource
// includes, in the order it lists them (sorted).
var sigV2Subresources = []string{
	"acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber",
	"policy", "requestPayment", "response-cache-control", "response-content-disposition",
	"response-content-encoding", "response-content-language", "response-content-type",
	"response-expires", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId",
	"versioning", "versions", "website",
}

// verifySigV2 checks a SigV2 signature: from the Authorization header
// ("AWS AKID:signature", dated by Date or x-amz-date within 15 minutes) or
// a presigned URL (AWSAccessKeyId, Expires, Signature).
func (s *Server) verifySigV2(r *http.Request, st *request, accessKey, sig string, presigned bool) error {
	secret, err := s.secretFor(accessKey)
	if err != nil {
		return err
	}
	now := s.clock()
	var date string
	if presigned {
		date = st.query.Get("Expires")
		exp, err := strconv.ParseInt(date, 10, 64)
		if err != nil {
			return errorf(ErrAccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
		}
		if now.Unix() > exp {
			return with(ErrAccessDenied, "Expires", time.Unix(exp, 0).UTC().Format(time.RFC3339), "ServerTime", now.UTC().Format(time.RFC3339))
		}
	} else {
		sent := r.Header.Get("X-Amz-Date")
		if sent == "" {
			sent = r.Header.Get("Date")
			date = sent
		}
		t, err := http.ParseTime(sent)
		if err != nil {
			return errorf(ErrAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
		}
		if d := now.Sub(t); d > maxSkew || d < -maxSkew {
			return with(ErrRequestTimeTooSkewed, "RequestTime", sent, "ServerTime", now.UTC().Format(time.RFC3339), "MaxAllowedSkewMilliseconds", "900000")
		}
	}
	toSign := sigV2StringToSign(r, st, date)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(toSign))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return with(ErrSignatureDoesNotMatch, "AWSAccessKeyId", accessKey, "StringToSign", toSign, "SignatureProvided", sig)
	}
	st.auth.verified = true
	return nil
}

// sigV2StringToSign is the string a SigV2 signature signs: the method,
// Content-MD5, Content-Type, the date (Expires for a presigned URL, empty
// when x-amz-date is sent), the x-amz-* headers and the canonical resource.
func sigV2StringToSign(r *http.Request, st *request, date string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.Header.Get("Content-Md5") + "\n" + r.Header.Get("Content-Type") + "\n" + date + "\n")
	var names []string
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			names = append(names, l)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		var vals []string
		for _, v := range r.Header.Values(name) {
			vals = append(vals, strings.TrimSpace(v))
		}
		b.WriteString(name + ":" + strings.Join(vals, ",") + "\n")
	}
	if st.virtualHost {
		b.WriteString("/" + st.bucket)
	}
	b.WriteString(st.rawPath)
	sep := "?"
	for _, sub := range sigV2Subresources {
		vals, ok := st.query[sub]
		if !ok {
			continue
		}
		b.WriteString(sep + sub)
		if vals[0] != "" {
			b.WriteString("=" + vals[0])
		}
		sep = "&"
	}
	return b.String()
}

// isSigV2Presigned reports whether a query carries a SigV2 presigned
// signature.
func isSigV2Presigned(q url.Values) bool {
	return q.Get("AWSAccessKeyId") != "" && q.Get("Signature") != ""
}
