package router_test

import (
	"strings"
	"testing"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/router"
)

// longNameReason is the drop reason of a store whose chunk file (path,
// with its id shown as <16 hex digits>) has a name of n bytes.
func longNameReason(path string, n int) string {
	return `emit transaction failed: error_class=Errno::ENAMETOOLONG error="File name too long @ rb_sysopen - ` + path +
		`": the chunk's file name is ` + itoa(n) + ` bytes, over the 255 a file name may have; the stores before it in a copy write nothing either, and in_forward logs "forward error" and closes the connection`
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestCopyChainLongTDBufferName: production's forest → copy(s3, tdlog)
// with the event type of 100 characters and TD_DATABASE delish_local: the
// TD store's chunk file td-buf-delish-<100>.delish_local.event_<100>.b<16
// hex>.log is 256 bytes, so its emit raises ENAMETOOLONG; out_copy v0.12
// chains its stores (the S3 store appends only after the TD store
// returned), so S3 writes nothing either and the connection closes. One
// character less, or a database name two shorter, and both are written.
func TestCopyChainLongTDBufferName(t *testing.T) {
	for _, tc := range []struct {
		db        string
		eventLen  int
		nameBytes int // 0: the name fits, both stores write
	}{
		{"delish_local", 100, 256},
		{"delish_local", 99, 0},
		{"delish_dev", 100, 0},
		{"delish_dev", 101, 256},
		{"delish_dev", 150, 354},
	} {
		t.Run(tc.db+"/"+itoa(tc.eventLen), func(t *testing.T) {
			r := newDelishRouter(t, map[string]string{"AWS_S3_BUCKET": bucket, "TD_DATABASE": tc.db})
			et := strings.Repeat("e", tc.eventLen)
			for range 2 { // the first event plants, the second finds the planted instance
				j := r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"` + et + `"}`))
				if tc.nameBytes == 0 {
					assert.Equal(t, len(j.Drops), 0, "%+v", j.Drops)
					assert.Equal(t, len(j.Deliveries), 2)
					assert.Equal(t, j.Deliveries[0].Output.Type, "s3")
					assert.Equal(t, j.Deliveries[1].Output.Type, "tdlog")
					continue
				}
				assert.Equal(t, len(j.Deliveries), 0, "the S3 store before the failing TD store writes nothing")
				assert.DeepEqual(t, j.Drops, []router.Drop{{
					Kind: record.DropConnectionClosed, Tag: "delish.event." + et, Plugin: "tdlog", Pos: j.Drops[0].Pos,
					Reason: longNameReason("/fluentd/log/td-buf-delish-"+et+"."+tc.db+".event_"+et+".b<16 hex digits>.log", tc.nameBytes),
				}})
				assert.Equal(t, j.Drops[0].Pos.String(), "fluent.conf:57:5")
			}
		})
	}
}

// TestCopyChainOrder: a store that raises takes back the records of the
// buffered stores before it in the chain (nested copies included), not
// out_stdout's line (written before it calls the chain) nor what a
// rewrite_tag_filter store re-emitted (a chain of its own); the stores
// after it never run.
func TestCopyChainOrder(t *testing.T) {
	long := strings.Repeat("b", 250)
	r := build(t, `
<match app.**>
  @type copy
  <store>
    @type stdout
  </store>
  <store>
    @type rewrite_tag_filter
    <rule>
      key k
      pattern .
      tag side.copy
    </rule>
  </store>
  <store>
    @type copy
    <store>
      @type s3
      s3_bucket b
      buffer_path /tmp/s3
    </store>
  </store>
  <store>
    @type tdlog
    apikey k
    database db_a
    table tbl_a
    buffer_path /tmp/`+long+`
  </store>
  <store>
    @type stdout
  </store>
</match>
<match side.**>
  @type stdout
</match>
`)
	j := route(r, "app.x", rec("k", "v"))
	var got []string
	for _, d := range j.Deliveries {
		got = append(got, d.Output.Type+" "+d.Tag)
	}
	assert.DeepEqual(t, got, []string{"stdout app.x", "stdout side.copy"})
	assert.Equal(t, len(j.Drops), 1, "%+v", j.Drops)
	assert.Equal(t, j.Drops[0].Kind, record.DropConnectionClosed)
	assert.Equal(t, j.Drops[0].Reason, longNameReason("/tmp/"+long+".db_a.tbl_a.b<16 hex digits>.log", 283))
}

// TestCopyChainFailingFirstStore: when the first store raises, the later
// ones never run; a store outside any copy raises alone.
func TestCopyChainFailingFirstStore(t *testing.T) {
	long := strings.Repeat("c", 240)
	r := build(t, `
<match a.**>
  @type copy
  <store>
    @type s3
    s3_bucket b
    buffer_path /tmp/`+long+`
    time_slice_format %Y/%m/%d/%H
  </store>
  <store>
    @type stdout
  </store>
</match>
<match b.**>
  @type file
  path /tmp/`+long+`
</match>
`)
	j := route(r, "a.x", rec("k", "v"))
	assert.Equal(t, len(j.Deliveries), 0)
	assert.Equal(t, len(j.Drops), 1)
	// "2024/01/02/03" is escaped as buf_file escapes keys.
	assert.Equal(t, j.Drops[0].Reason, longNameReason("/tmp/"+long+".2024%2F01%2F02%2F03.b<16 hex digits>.log", 282))
	assert.Equal(t, j.Drops[0].Plugin, "s3")

	j = route(r, "b.x", rec("k", "v"))
	assert.Equal(t, len(j.Deliveries), 0)
	assert.Equal(t, len(j.Drops), 1)
	assert.Equal(t, j.Drops[0].Kind, record.DropConnectionClosed)
	// out_file's buffer_path is path + ".*": no ".log" after the id.
	assert.Equal(t, j.Drops[0].Reason, longNameReason("/tmp/"+long+".20240102.b<16 hex digits>", 267))
}
