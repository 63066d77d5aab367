package s3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature Version 4 verification, as specified in
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html.

const (
	amzDateFormat   = "20060102T150405Z"
	maxSkew         = 15 * time.Minute
	maxPresignedAge = 7 * 24 * time.Hour

	payloadUnsigned              = "UNSIGNED-PAYLOAD"
	payloadStreamingSigned       = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	payloadStreamingSignedTrail  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	payloadStreamingUnsignedTail = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	payloadStreamingECDSA        = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	payloadStreamingECDSATrail   = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
)

// authInfo is what the server learned from a request's authentication.
type authInfo struct {
	scheme    string // none, sigv4, sigv4-presigned, sigv4a, sigv2, sigv2-presigned
	accessKey string
	verified  bool
	chunks    *chunkSigner // set for verified signed streaming bodies
}

// sigV4 holds the parts of a SigV4 signature, from the Authorization header
// or the presigned query.
type sigV4 struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
	amzDate                          string
}

func (v sigV4) scope() string {
	return v.date + "/" + v.region + "/" + v.service + "/aws4_request"
}

// errUnsupportedAuth is S3's answer to SigV4a, which the fake does not
// verify.
var errUnsupportedAuth = errorf(ErrInvalidRequest, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")

// authenticate identifies the caller and, when credentials are configured,
// verifies the signature, or for an unsigned request checks that the
// canned ACLs let anyone make it. Without credentials any request is
// accepted.
func (s *Server) authenticate(r *http.Request, st *request) error {
	strict := len(s.credentials) > 0
	auth := r.Header.Get("Authorization")
	q := st.query
	switch {
	case strings.HasPrefix(auth, "AWS4-HMAC-SHA256"):
		st.auth.scheme = "sigv4"
		v, err := parseAuthHeader(auth)
		if err != nil {
			if strict {
				return err
			}
			return nil
		}
		st.auth.accessKey = v.accessKey
		if !strict {
			return nil
		}
		v.amzDate = r.Header.Get("X-Amz-Date")
		if v.amzDate == "" {
			// SigV4 accepts the Date header when X-Amz-Date is absent.
			if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
				v.amzDate = t.UTC().Format(amzDateFormat)
			}
		}
		return s.verifyHeader(r, st, v)
	case q.Get("X-Amz-Algorithm") != "" || q.Get("X-Amz-Signature") != "":
		st.auth.scheme = "sigv4-presigned"
		st.auth.accessKey, _, _ = strings.Cut(q.Get("X-Amz-Credential"), "/")
		if !strict {
			return nil
		}
		return s.verifyPresigned(r, st)
	case strings.HasPrefix(auth, "AWS4-ECDSA-P256-SHA256"):
		st.auth.scheme = "sigv4a"
		if v, err := parseAuthHeader(auth); err == nil {
			st.auth.accessKey = v.accessKey
		}
	case strings.HasPrefix(auth, "AWS "):
		st.auth.scheme = "sigv2"
		var sig string
		st.auth.accessKey, sig, _ = strings.Cut(strings.TrimPrefix(auth, "AWS "), ":")
		if !strict {
			return nil
		}
		return s.verifySigV2(r, st, st.auth.accessKey, sig, false)
	case auth == "" && isSigV2Presigned(q):
		st.auth.scheme = "sigv2-presigned"
		st.auth.accessKey = q.Get("AWSAccessKeyId")
		if !strict {
			return nil
		}
		return s.verifySigV2(r, st, st.auth.accessKey, q.Get("Signature"), true)
	case auth == "":
		st.auth.scheme = "none"
		if strict {
			return s.authorizeGuest(r.Context(), st, false)
		}
		return nil
	default:
		st.auth.scheme = "unknown"
		if strict {
			return errorf(ErrInvalidArgument, "Unsupported Authorization Type")
		}
		return nil
	}
	if strict {
		return errUnsupportedAuth
	}
	return nil
}

// parseAuthHeader parses
// "AWS4-HMAC-SHA256 Credential=AKID/date/region/s3/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthHeader(h string) (sigV4, error) {
	var v sigV4
	_, rest, _ := strings.Cut(h, " ")
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			if err := v.parseCredential(val); err != nil {
				return v, err
			}
		case "SignedHeaders":
			v.signedHeaders = strings.Split(val, ";")
		case "Signature":
			v.signature = val
		}
	}
	if v.accessKey == "" || len(v.signedHeaders) == 0 || v.signature == "" {
		return v, errorf(ErrAuthorizationHeaderMalformed, "The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.")
	}
	return v, nil
}

func (v *sigV4) parseCredential(c string) error {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return errorf(ErrAuthorizationHeaderMalformed, "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	v.accessKey, v.date, v.region, v.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

func (s *Server) secretFor(accessKey string) (string, error) {
	secret, ok := s.credentials[accessKey]
	if !ok {
		return "", with(ErrInvalidAccessKeyID, "AWSAccessKeyId", accessKey)
	}
	return secret, nil
}

// verifyHeader checks a SigV4 Authorization header.
func (s *Server) verifyHeader(r *http.Request, st *request, v sigV4) error {
	secret, err := s.secretFor(v.accessKey)
	if err != nil {
		return err
	}
	if v.amzDate == "" {
		return errorf(ErrAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
	}
	t, err := time.Parse(amzDateFormat, v.amzDate)
	if err != nil {
		return errorf(ErrAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
	}
	if !strings.HasPrefix(v.amzDate, v.date) {
		return errorf(ErrAuthorizationHeaderMalformed, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	now := s.clock()
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return with(ErrRequestTimeTooSkewed, "RequestTime", v.amzDate, "ServerTime", now.UTC().Format(time.RFC3339), "MaxAllowedSkewMilliseconds", "900000")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return errorf(ErrInvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	key := signingKey(secret, v.date, v.region, v.service)
	canonical := canonicalRequest(r, st, v.signedHeaders, payload, "")
	if want := signature(key, v, canonical); !hmac.Equal([]byte(want), []byte(v.signature)) {
		return signatureMismatch(v, canonical)
	}
	st.auth.verified = true
	if payload == payloadStreamingSigned || payload == payloadStreamingSignedTrail {
		st.auth.chunks = &chunkSigner{
			key: key, amzDate: v.amzDate, scope: v.scope(), prev: v.signature,
			trailer: payload == payloadStreamingSignedTrail,
		}
	}
	return nil
}

// signatureMismatch is S3's SignatureDoesNotMatch, which shows the string
// to sign and the canonical request it computed, so a client can diff them.
func signatureMismatch(v sigV4, canonical string) *Error {
	return with(ErrSignatureDoesNotMatch, "AWSAccessKeyId", v.accessKey,
		"StringToSign", stringToSign(v, canonical), "SignatureProvided", v.signature,
		"CanonicalRequest", canonical)
}

// verifyPresigned checks a presigned URL's query signature and expiry.
func (s *Server) verifyPresigned(r *http.Request, st *request) error {
	q := st.query
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return errorf(ErrAuthorizationQueryParametersError, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			return errorf(ErrAuthorizationQueryParametersError, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	var v sigV4
	if err := v.parseCredential(q.Get("X-Amz-Credential")); err != nil {
		return errorf(ErrAuthorizationQueryParametersError, "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	v.signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	v.signature = q.Get("X-Amz-Signature")
	v.amzDate = q.Get("X-Amz-Date")
	secret, err := s.secretFor(v.accessKey)
	if err != nil {
		return err
	}
	t, err := time.Parse(amzDateFormat, v.amzDate)
	if err != nil {
		return errorf(ErrAuthorizationQueryParametersError, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil {
		return errorf(ErrAuthorizationQueryParametersError, "X-Amz-Expires should be a number")
	}
	// S3 refuses an X-Amz-Expires out of range with 403, not the
	// code's usual 400: the URL cannot authorize anything.
	if expires < 0 {
		e := errorf(ErrAuthorizationQueryParametersError, "X-Amz-Expires must be non-negative")
		e.status = http.StatusForbidden
		return e
	}
	if time.Duration(expires)*time.Second > maxPresignedAge {
		e := errorf(ErrAuthorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", int(maxPresignedAge/time.Second))
		e.status = http.StatusForbidden
		return e
	}
	now := s.clock()
	if now.Before(t.Add(-maxSkew)) {
		return errorf(ErrAccessDenied, "Request is not valid yet")
	}
	if now.After(t.Add(time.Duration(expires) * time.Second)) {
		return with(ErrAccessDenied, "X-Amz-Expires", q.Get("X-Amz-Expires"), "Expires", t.Add(time.Duration(expires)*time.Second).UTC().Format(time.RFC3339), "ServerTime", now.UTC().Format(time.RFC3339))
	}
	payload := q.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = r.Header.Get("X-Amz-Content-Sha256")
	}
	if payload == "" {
		payload = payloadUnsigned
	}
	key := signingKey(secret, v.date, v.region, v.service)
	canonical := canonicalRequest(r, st, v.signedHeaders, payload, "X-Amz-Signature")
	if want := signature(key, v, canonical); !hmac.Equal([]byte(want), []byte(v.signature)) {
		return signatureMismatch(v, canonical)
	}
	st.auth.verified = true
	return nil
}

// canonicalRequest builds the SigV4 canonical request; skipParam is left
// out of the canonical query (the signature itself, for presigned URLs).
func canonicalRequest(r *http.Request, st *request, signedHeaders []string, payload, skipParam string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := st.path
	if path == "" {
		path = "/"
	}
	b.WriteString(uriEncode(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, skipParam))
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		vals = r.TransferEncoding
	default:
		vals = r.Header.Values(name)
	}
	trimmed := make([]string, len(vals))
	for i, v := range vals {
		trimmed[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(trimmed, ",")
}

// canonicalQuery sorts and re-encodes the raw query string.
func canonicalQuery(raw, skip string) string {
	type kv struct{ k, v string }
	var params []kv
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if k == skip {
			continue
		}
		params = append(params, kv{uriEncode(k, true), uriEncode(v, true)})
	}
	slices.SortFunc(params, func(a, b kv) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode percent-encodes every byte except the unreserved characters
// (and '/' unless encodeSlash), as SigV4 specifies.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// signature returns the hex SigV4 signature of a canonical request.
func signature(key []byte, v sigV4, canonical string) string {
	return hex.EncodeToString(hmacSHA256(key, stringToSign(v, canonical)))
}

func stringToSign(v sigV4, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return "AWS4-HMAC-SHA256\n" + v.amzDate + "\n" + v.scope() + "\n" + hex.EncodeToString(sum[:])
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}
