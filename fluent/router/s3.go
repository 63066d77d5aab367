package router

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-sh/devenv/fluent/config"
)

// S3Config is out_s3 v0.8.7's resolved configuration (spec §4.5), with the
// pure functions the emulator uses at flush time.
type S3Config struct {
	Bucket         string
	Region         string
	Endpoint       string // s3_endpoint ("" = AWS)
	ForcePathStyle bool
	AWSKeyID       string
	AWSSecretKey   string
	// Path is `path`; it may hold strftime codes, expanded with the flush
	// time.
	Path string
	// KeyFormat is s3_object_key_format with %{hostname} already replaced
	// (fluent-plugin-s3 does that at configure time).
	KeyFormat       string
	TimeSliceFormat string
	// Location is the zone for time slices and path (localtime by default).
	Location *time.Location
	// StoreAs is the compressor actually used: "gzip", "json" or "text"
	// (an unknown store_as falls back to text with a warning).
	StoreAs          string
	FileExtension    string
	ContentType      string
	CheckObject      bool
	CheckBucket      bool
	CheckAPIKey      bool
	AutoCreateBucket bool
	Overwrite        bool
	HexRandomLength  int
	IndexFormat      string
	Format           *Formatter
	// Warnings are configure-time warnings fluentd would log.
	Warnings []string

	slices secondCache
}

var s3KeyVar = regexp.MustCompile(`%\{[^}]*\}`)

func (r *Router) newS3Config(el *config.Element, loc *time.Location) (*S3Config, error) {
	c := &S3Config{
		Region:           "us-east-1",
		KeyFormat:        "%{path}%{time_slice}_%{index}.%{file_extension}",
		TimeSliceFormat:  "%Y%m%d",
		Location:         loc,
		StoreAs:          "gzip",
		CheckObject:      true,
		CheckBucket:      true,
		CheckAPIKey:      true,
		AutoCreateBucket: true,
		HexRandomLength:  4,
		IndexFormat:      "%d",
	}
	bp := el.Param("s3_bucket")
	if bp == nil {
		return nil, config.Errorf(el.Pos, "s3: 's3_bucket' parameter is required")
	}
	c.Bucket = bp.Value
	get := func(k string, dst *string) {
		if v, ok := el.Get(k); ok {
			*dst = v
		}
	}
	get("s3_region", &c.Region)
	get("s3_endpoint", &c.Endpoint)
	get("aws_key_id", &c.AWSKeyID)
	get("aws_sec_key", &c.AWSSecretKey)
	get("path", &c.Path)
	get("time_slice_format", &c.TimeSliceFormat)
	get("store_as", &c.StoreAs)
	get("index_format", &c.IndexFormat)
	for _, b := range []struct {
		key string
		dst *bool
	}{{"force_path_style", &c.ForcePathStyle}, {"check_object", &c.CheckObject}, {"check_bucket", &c.CheckBucket},
		{"check_apikey_on_start", &c.CheckAPIKey}, {"auto_create_bucket", &c.AutoCreateBucket}, {"overwrite", &c.Overwrite}} {
		if p := el.Param(b.key); p != nil {
			*b.dst = boolValue(p.Value)
		}
	}
	if p := el.Param("hex_random_length"); p != nil {
		n, err := strconv.Atoi(p.Value)
		if err != nil || n > 16 {
			return nil, config.Errorf(p.ValuePos, "s3: hex_random_length must be an integer up to 16, got %q", p.Value)
		}
		c.HexRandomLength = n
	}
	if strings.HasSuffix(c.Endpoint, "amazonaws.com") {
		p := el.Param("s3_endpoint")
		return nil, config.Errorf(p.ValuePos, "s3: s3_endpoint parameter is not supported for S3, use s3_region instead. This parameter is for S3 compatible services")
	}
	switch c.StoreAs {
	case "gzip":
		c.FileExtension, c.ContentType = "gz", "application/x-gzip"
	case "json":
		c.FileExtension, c.ContentType = "json", "application/json"
	case "text":
		c.FileExtension, c.ContentType = "txt", "text/plain"
	default:
		c.Warnings = append(c.Warnings, fmt.Sprintf("'%s' not supported. Use 'text' instead", c.StoreAs))
		c.StoreAs, c.FileExtension, c.ContentType = "text", "txt", "text/plain"
	}
	kp := el.Param("s3_object_key_format")
	if kp != nil {
		c.KeyFormat = kp.Value
	}
	for _, v := range s3KeyVar.FindAllString(c.KeyFormat, -1) {
		switch v {
		case "%{uuid}", "%{uuid:random}", "%{uuid:hostname}", "%{uuid:timestamp}":
			return nil, config.Errorf(kp.ValuePos, "s3: %s placeholder in s3_object_key_format is removed", v)
		case "%{uuid_flush}":
			return nil, config.Errorf(kp.ValuePos, "s3: %%{uuid_flush} is not supported by devenv (it needs a random UUID per write)")
		}
	}
	if !c.CheckObject {
		if kp == nil {
			c.KeyFormat = "%{path}/%{date_slice}_%{hms_slice}.%{file_extension}"
		} else {
			c.Warnings = append(c.Warnings, "set 'check_object false' and s3_object_key_format is specified. Check s3_object_key_format is unique in each write. If not, existing file will be overwritten.")
		}
	}
	if strings.Contains(c.KeyFormat, "%{hostname}") || strings.Contains(c.Path, "%{hostname}") {
		c.Warnings = append(c.Warnings, "%{hostname} will be removed in the future. Use \"\\#{Socket.gethostname}\" instead")
		c.KeyFormat = strings.ReplaceAll(c.KeyFormat, "%{hostname}", r.hostname)
		c.Path = strings.ReplaceAll(c.Path, "%{hostname}", r.hostname)
	}
	f, err := newFormatter(el, "out_file", loc)
	if err != nil {
		return nil, err
	}
	c.Format = f
	return c, nil
}

// TimeSlice is the chunk key of an event: time_slice_format of the event
// time in the output's zone.
func (c *S3Config) TimeSlice(t EventTime) string {
	return c.slices.get(t.Sec, func() string { return Strftime(t.Time(c.Location), c.TimeSliceFormat) })
}

// ObjectKey builds the key for one write: %{path} (strftime of the flush
// time now), %{time_slice}, %{index} (index_format), %{file_extension},
// %{hex_random} (from the chunk's unique id), %{date_slice}/%{hms_slice}
// (flush time); any other %{x} becomes "".
func (c *S3Config) ObjectKey(now time.Time, timeSlice string, index int, chunkID []byte) string {
	now = now.In(c.Location)
	return s3KeyVar.ReplaceAllStringFunc(c.KeyFormat, func(v string) string {
		switch v {
		case "%{path}":
			return Strftime(now, c.Path)
		case "%{time_slice}":
			return timeSlice
		case "%{index}":
			return fmt.Sprintf(c.IndexFormat, index)
		case "%{file_extension}":
			return c.FileExtension
		case "%{hex_random}":
			return hexRandom(chunkID, c.HexRandomLength)
		case "%{date_slice}":
			return Strftime(now, "%Y%m%d")
		case "%{hms_slice}":
			return Strftime(now, "%H%M%S")
		}
		return ""
	})
}

// ErrDuplicatedPath is returned by NextObjectKey when the key does not
// change with %{index} and the object exists (and overwrite is false).
var ErrDuplicatedPath = errors.New("duplicated path is generated. use %{index} in s3_object_key_format")

// NextObjectKey picks the key for a write as out_s3 does: index from 0, and
// while exists(key) (an S3 HEAD) is true, the next index. With
// check_object false no HEAD is made. exists errors are returned.
func (c *S3Config) NextObjectKey(now time.Time, timeSlice string, chunkID []byte, exists func(key string) (bool, error)) (string, error) {
	key := c.ObjectKey(now, timeSlice, 0, chunkID)
	if !c.CheckObject {
		return key, nil
	}
	for i := 0; ; i++ {
		key = c.ObjectKey(now, timeSlice, i, chunkID)
		ok, err := exists(key)
		if err != nil {
			return "", fmt.Errorf("check s3 object %s: %w", key, err)
		}
		if !ok {
			return key, nil
		}
		if i > 0 && key == c.ObjectKey(now, timeSlice, i-1, chunkID) || !strings.Contains(c.KeyFormat, "%{index}") {
			if c.Overwrite {
				return key, nil
			}
			return "", ErrDuplicatedPath
		}
	}
}

// hexRandom is fluent-plugin-s3's %{hex_random}: each byte of the chunk id
// in hex without zero padding, the string reversed, cut to n characters.
func hexRandom(id []byte, n int) string {
	var b strings.Builder
	for _, x := range id {
		b.WriteString(strconv.FormatInt(int64(x), 16))
	}
	rs := []rune(b.String())
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	if len(rs) > n {
		rs = rs[:n]
	}
	return string(rs)
}
