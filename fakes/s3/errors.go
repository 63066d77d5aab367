package s3

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorCode is an S3 error code, spelled exactly as S3 spells it in the
// <Code> element of its XML error body. An ErrorCode is itself an error, so a
// [Store] can return one (possibly wrapped) and the server renders it with
// [ErrorCode.Status] and the code's default message.
type ErrorCode string

// The S3 error codes the fake answers with. See
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html.
const (
	ErrAccessDenied                      ErrorCode = "AccessDenied"
	ErrAuthorizationHeaderMalformed      ErrorCode = "AuthorizationHeaderMalformed"
	ErrAuthorizationQueryParametersError ErrorCode = "AuthorizationQueryParametersError"
	ErrBadDigest                         ErrorCode = "BadDigest"
	ErrBucketAlreadyOwnedByYou           ErrorCode = "BucketAlreadyOwnedByYou"
	ErrBucketAlreadyExists               ErrorCode = "BucketAlreadyExists"
	ErrBucketNotEmpty                    ErrorCode = "BucketNotEmpty"
	ErrEntityTooLarge                    ErrorCode = "EntityTooLarge"
	ErrEntityTooSmall                    ErrorCode = "EntityTooSmall"
	ErrIncompleteBody                    ErrorCode = "IncompleteBody"
	ErrInternalError                     ErrorCode = "InternalError"
	ErrInvalidAccessKeyID                ErrorCode = "InvalidAccessKeyId"
	ErrInvalidArgument                   ErrorCode = "InvalidArgument"
	ErrInvalidBucketName                 ErrorCode = "InvalidBucketName"
	ErrInvalidDigest                     ErrorCode = "InvalidDigest"
	ErrInvalidPart                       ErrorCode = "InvalidPart"
	ErrInvalidPartNumber                 ErrorCode = "InvalidPartNumber"
	ErrInvalidPartOrder                  ErrorCode = "InvalidPartOrder"
	ErrInvalidRange                      ErrorCode = "InvalidRange"
	ErrInvalidRequest                    ErrorCode = "InvalidRequest"
	ErrInvalidURI                        ErrorCode = "InvalidURI"
	ErrKeyTooLong                        ErrorCode = "KeyTooLongError"
	ErrMalformedXML                      ErrorCode = "MalformedXML"
	ErrMaxMessageLengthExceeded          ErrorCode = "MaxMessageLengthExceeded"
	ErrMetadataTooLarge                  ErrorCode = "MetadataTooLarge"
	ErrMethodNotAllowed                  ErrorCode = "MethodNotAllowed"
	ErrNoSuchBucket                      ErrorCode = "NoSuchBucket"
	ErrNoSuchKey                         ErrorCode = "NoSuchKey"
	ErrNoSuchUpload                      ErrorCode = "NoSuchUpload"
	ErrNotImplemented                    ErrorCode = "NotImplemented"
	ErrPreconditionFailed                ErrorCode = "PreconditionFailed"
	ErrRequestTimeTooSkewed              ErrorCode = "RequestTimeTooSkewed"
	ErrSignatureDoesNotMatch             ErrorCode = "SignatureDoesNotMatch"
	ErrSlowDown                          ErrorCode = "SlowDown"
	ErrXAmzContentSHA256Mismatch         ErrorCode = "XAmzContentSHA256Mismatch"
)

type codeInfo struct {
	status  int
	message string
}

var codes = map[ErrorCode]codeInfo{
	ErrAccessDenied:                      {http.StatusForbidden, "Access Denied"},
	ErrAuthorizationHeaderMalformed:      {http.StatusBadRequest, "The authorization header is malformed."},
	ErrAuthorizationQueryParametersError: {http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter."},
	ErrBadDigest:                         {http.StatusBadRequest, "The Content-MD5 you specified did not match what we received."},
	ErrBucketAlreadyOwnedByYou:           {http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."},
	ErrBucketAlreadyExists:               {http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."},
	ErrBucketNotEmpty:                    {http.StatusConflict, "The bucket you tried to delete is not empty"},
	ErrEntityTooLarge:                    {http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed size"},
	ErrEntityTooSmall:                    {http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."},
	ErrIncompleteBody:                    {http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header"},
	ErrInternalError:                     {http.StatusInternalServerError, "We encountered an internal error. Please try again."},
	ErrInvalidAccessKeyID:                {http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records."},
	ErrInvalidArgument:                   {http.StatusBadRequest, "Invalid Argument"},
	ErrInvalidBucketName:                 {http.StatusBadRequest, "The specified bucket is not valid."},
	ErrInvalidDigest:                     {http.StatusBadRequest, "The Content-MD5 you specified was invalid."},
	ErrInvalidPart:                       {http.StatusBadRequest, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
	ErrInvalidPartNumber:                 {http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable"},
	ErrInvalidPartOrder:                  {http.StatusBadRequest, "The list of parts was not in ascending order. Parts must be ordered by part number."},
	ErrInvalidRange:                      {http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"},
	ErrInvalidRequest:                    {http.StatusBadRequest, "Invalid Request"},
	ErrInvalidURI:                        {http.StatusBadRequest, "Couldn't parse the specified URI."},
	ErrKeyTooLong:                        {http.StatusBadRequest, "Your key is too long"},
	ErrMalformedXML:                      {http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema"},
	ErrMaxMessageLengthExceeded:          {http.StatusBadRequest, "Your request was too big."},
	ErrMetadataTooLarge:                  {http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."},
	ErrMethodNotAllowed:                  {http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."},
	ErrNoSuchBucket:                      {http.StatusNotFound, "The specified bucket does not exist"},
	ErrNoSuchKey:                         {http.StatusNotFound, "The specified key does not exist."},
	ErrNoSuchUpload:                      {http.StatusNotFound, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."},
	ErrNotImplemented:                    {http.StatusNotImplemented, "A header you provided implies functionality that is not implemented"},
	ErrPreconditionFailed:                {http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold"},
	ErrRequestTimeTooSkewed:              {http.StatusForbidden, "The difference between the request time and the current time is too large."},
	ErrSignatureDoesNotMatch:             {http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	ErrSlowDown:                          {http.StatusServiceUnavailable, "Please reduce your request rate."},
	ErrXAmzContentSHA256Mismatch:         {http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."},
}

// Status is the HTTP status S3 answers the code with; 500 for a code the fake
// does not know.
func (c ErrorCode) Status() int {
	if info, ok := codes[c]; ok {
		return info.status
	}
	return http.StatusInternalServerError
}

// Message is S3's default message for the code.
func (c ErrorCode) Message() string {
	if info, ok := codes[c]; ok {
		return info.message
	}
	return string(c)
}

// Error implements error.
func (c ErrorCode) Error() string { return string(c) + ": " + c.Message() }

// Error is an S3 error response: the code, a message, and the extra elements
// S3 adds for some codes (the bucket for NoSuchBucket, the key for NoSuchKey,
// sizes for EntityTooLarge, ...).
type Error struct {
	Code    ErrorCode
	Message string
	// Fields are extra elements of the XML body, in order, such as
	// {"BucketName", "logs"}.
	Fields []Field
	// status overrides Code.Status(), for injected faults and for the
	// few answers S3 gives with another status than the code's usual one.
	status int
}

// Field is one extra element of an S3 XML error body.
type Field struct {
	Name, Value string
}

// Error implements error.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Unwrap lets errors.Is(err, ErrNoSuchKey) match.
func (e *Error) Unwrap() error { return e.Code }

// errorf builds an *Error with a formatted message and no extra fields.
func errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// with returns an *Error for code with its default message and extra fields
// given as name, value pairs.
func with(code ErrorCode, nameValues ...string) *Error {
	e := &Error{Code: code, Message: code.Message()}
	for i := 0; i+1 < len(nameValues); i += 2 {
		e.Fields = append(e.Fields, Field{nameValues[i], nameValues[i+1]})
	}
	return e
}

// asS3Error turns any error into the *Error the client sees. Errors that are
// not S3 errors become InternalError; internal reports whether that happened
// so the caller can log the cause.
func asS3Error(err error) (e *Error, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	var code ErrorCode
	if errors.As(err, &code) {
		return &Error{Code: code, Message: code.Message()}, false
	}
	return &Error{Code: ErrInternalError, Message: ErrInternalError.Message()}, true
}
