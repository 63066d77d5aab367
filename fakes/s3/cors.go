package s3

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
)

// The fake answers CORS for any origin, as a bucket whose CORS
// configuration allows every origin, method and header would, so that a
// browser can upload to it (presigned PUT, POST, multipart with ETag read
// back).

// opCORSPreflight is the request log's name for an OPTIONS preflight.
const opCORSPreflight = "PreflightRequest"

// corsMethods are the methods a preflight may ask for.
var corsMethods = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead}

// corsExposed are the response headers a browser script may read.
const corsExposed = "ETag, x-amz-request-id, x-amz-id-2, x-amz-version-id, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-checksum-type"

// preflight answers an OPTIONS preflight, which carries no credentials: 200
// allowing the origin, the method and the headers asked for; 400 when
// Origin or Access-Control-Request-Method is missing, 403 for a method S3
// does not serve.
func (s *Server) preflight(c echo.Context, st *request) error {
	r := c.Request()
	origin, method := r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method")
	if origin == "" {
		return errorf(ErrInvalidRequest, "Insufficient information. Origin request header needed.")
	}
	if method == "" {
		return errorf(ErrInvalidRequest, "Invalid Access-Control-Request-Method: null")
	}
	if !slices.Contains(corsMethods, method) {
		return errorf(ErrAccessDenied, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	}
	if st.bucket != "" {
		if _, err := s.store.HeadBucket(r.Context(), st.bucket); err != nil {
			return noSuchBucket(err, st.bucket)
		}
	}
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Methods", method)
	if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
		h.Set("Access-Control-Allow-Headers", hs)
	}
	h.Set("Access-Control-Max-Age", "3000")
	return c.NoContent(http.StatusOK)
}

// corsHeaders adds the CORS headers of a response to a request from a
// browser (one with Origin).
func corsHeaders(r *http.Request, h http.Header) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", corsExposed)
	h.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}
