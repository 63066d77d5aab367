package router_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/router"
)

// The fixed context of spec §5.
const (
	td         = 1704164645 // 2024-01-02T03:04:05Z
	hostname   = "fluentd01"
	bucket     = "delish-logs"
	keyPrefix  = "logs/delish-event/"
	dockerTag  = "docker.delish"
	containerI = "4f1c0e7b9a2d3c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
)

var container = docker.Container{ID: containerI, Name: "/delish-api-1"}

func delishEnv() map[string]string {
	return map[string]string{"AWS_S3_BUCKET": bucket, "TD_DATABASE": "delish_dev"}
}

func newDelishRouter(t testing.TB, env map[string]string, opts ...router.Option) *router.Router {
	t.Helper()
	root, err := config.Parse(os.DirFS("testdata/delish"), "fluent.conf", config.WithEnv(env))
	assert.NilError(t, err)
	opts = append([]router.Option{router.WithHostname(hostname), router.WithLocation(time.UTC)}, opts...)
	r, err := router.New(root, opts...)
	assert.NilError(t, err)
	return r
}

func dockerEvent(line string) router.Event {
	return router.Event{Tag: dockerTag, Time: router.EventTime{Sec: td}, Record: docker.Record(container, "stdout", line)}
}

// objectStore is a set of existing S3 keys (for %{index}).
type objectStore map[string]bool

func (s objectStore) exists(key string) (bool, error) { return s[key], nil }

// outcome is what a case expects. Empty strings mean "none".
type outcome struct {
	tag    string // final tag at the outputs
	s3Key  string // key without keyPrefix
	s3Line string // the JSON line, compared byte for byte
	td     string // db.table
	tdRec  string // JSON, compared as a JSON value
	drop   record.DropKind
}

type result struct {
	tags   []string
	s3Keys []string
	s3     []string
	td     []string
	tdRecs []string
	drops  []router.Drop
}

func collect(t *testing.T, j router.Journey, store objectStore) result {
	t.Helper()
	var r result
	for _, d := range j.Deliveries {
		r.tags = append(r.tags, d.Tag)
		switch d.Output.Type {
		case "s3":
			assert.Equal(t, d.Output.S3.Bucket, bucket)
			key, err := d.Output.S3.NextObjectKey(d.Time.Time(time.UTC), d.TimeSlice, nil, store.exists)
			assert.NilError(t, err)
			assert.Assert(t, strings.HasPrefix(key, keyPrefix), key)
			r.s3Keys = append(r.s3Keys, strings.TrimPrefix(key, keyPrefix))
			r.s3 = append(r.s3, strings.TrimSuffix(string(d.Line), "\n"))
			assert.Equal(t, d.ChunkKey, d.TimeSlice)
			assert.Assert(t, strings.HasSuffix(string(d.Line), "\n"))
		case "tdlog":
			db, table, err := d.Output.TD.Target(d.Tag)
			assert.NilError(t, err)
			assert.Equal(t, d.ChunkKey, db+"."+table)
			r.td = append(r.td, db+"."+table)
			r.tdRecs = append(r.tdRecs, string(record.AppendJSON(nil, d.Record)))
		default:
			t.Fatalf("unexpected output type %s", d.Output.Type)
		}
	}
	r.drops = j.Drops
	return r
}

func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	assert.NilError(t, json.Unmarshal([]byte(got), &g), got)
	assert.NilError(t, json.Unmarshal([]byte(want), &w), want)
	assert.DeepEqual(t, g, w)
}

func check(t *testing.T, r result, want outcome) {
	t.Helper()
	if want.drop != "" {
		assert.Assert(t, len(r.drops) > 0, "expected a %s drop, got deliveries %v", want.drop, r.tags)
		assert.Equal(t, r.drops[0].Kind, want.drop, "%+v", r.drops)
	}
	if want.s3Key == "" {
		assert.Equal(t, len(r.s3Keys), 0, "unexpected S3 deliveries %v", r.s3Keys)
	} else {
		assert.Equal(t, len(r.s3Keys), 1, "drops: %+v", r.drops)
		assert.Equal(t, r.s3Keys[0], want.s3Key)
		if want.s3Line != "" {
			// exact bytes: key order ("time" moved to the end, T2) and
			// Oj's formatting are part of the contract
			assert.Equal(t, r.s3[0], want.s3Line)
		}
	}
	if want.td == "" {
		assert.Equal(t, len(r.td), 0, "unexpected TD deliveries %v", r.td)
	} else {
		assert.Equal(t, len(r.td), 1, "drops: %+v", r.drops)
		assert.Equal(t, r.td[0], want.td)
		if want.tdRec != "" {
			jsonEqual(t, r.tdRecs[0], want.tdRec)
		}
	}
	if want.tag != "" {
		assert.Assert(t, len(r.tags) > 0 || len(r.drops) > 0)
		for _, tag := range r.tags {
			assert.Equal(t, tag, want.tag)
		}
		if len(r.tags) == 0 { // delivered nowhere: the tag is on the drop
			assert.Equal(t, r.drops[0].Tag, want.tag)
		}
	}
	if want.drop == "" {
		assert.Equal(t, len(r.drops), 0, "unexpected drops %+v", r.drops)
	}
}

// click is the happy-path outcome of T1 for a given log line's fields.
func clickOutcome(fields string, unixTime int64) outcome {
	return outcome{
		tag:    "delish.event.click",
		s3Key:  "click/2024/01/02/03_0_fluentd01.gz",
		s3Line: `{` + fields + `,"time":"2024-01-02 03:04:05"}`,
		td:     "delish_dev.event_click",
		tdRec:  fmt.Sprintf(`{%s,"time":%d}`, fields, unixTime),
	}
}

func TestSpecCases(t *testing.T) {
	t1 := `{"log_type":"EVENT","event_type":"click","user_id":42}`
	happy := clickOutcome(`"log_type":"EVENT","event_type":"click","user_id":42`, td)
	withEvent := func(et string) string { return `{"log_type":"EVENT","event_type":` + et + `}` }
	evOut := func(tagPart, et string) outcome {
		return outcome{
			tag:    "delish.event." + tagPart,
			s3Key:  tagPart + "/2024/01/02/03_0_fluentd01.gz",
			s3Line: `{"log_type":"EVENT","event_type":` + et + `,"time":"2024-01-02 03:04:05"}`,
			td:     "delish_dev.event_" + tagPart,
			tdRec:  `{"log_type":"EVENT","event_type":` + et + `,"time":1704164645}`,
		}
	}
	clickWith := func(et string) outcome { return evOut("click", et) }
	silent := outcome{drop: record.DropSilent}
	warn := outcome{drop: record.DropWarning}

	simple := []struct {
		name string
		log  string
		want outcome
	}{
		{"01-happy-path", t1, happy},
		{"02-app-time-replaces-docker-time", `{"log_type":"EVENT","event_type":"click","time":"2024-01-02T04:30:00Z","user_id":1}`, outcome{
			tag: "delish.event.click", s3Key: "click/2024/01/02/04_0_fluentd01.gz",
			s3Line: `{"log_type":"EVENT","event_type":"click","user_id":1,"time":"2024-01-02 04:30:00"}`,
			td:     "delish_dev.event_click", tdRec: `{"log_type":"EVENT","event_type":"click","user_id":1,"time":1704169800}`}},
		{"03-milliseconds-drop", `{"log_type":"EVENT","event_type":"click","time":"2024-01-02T03:04:05.123Z","user_id":1}`, warn},
		{"04-offset-drop", `{"log_type":"EVENT","event_type":"click","time":"2024-01-02T03:04:05+09:00","user_id":1}`, warn},
		{"05-numeric-time-drop", `{"log_type":"EVENT","event_type":"click","time":1704164645,"user_id":1}`, warn},
		{"06-null-time-uses-docker-time", `{"log_type":"EVENT","event_type":"click","time":null,"user_id":1}`,
			clickOutcome(`"log_type":"EVENT","event_type":"click","user_id":1`, td)},
		{"07-trailing-garbage-accepted", `{"log_type":"EVENT","event_type":"click","time":"2024-01-02T03:04:05Z extra","user_id":1}`,
			clickOutcome(`"log_type":"EVENT","event_type":"click","user_id":1`, td)},
		{"08-not-json", `GET /health 200`, warn},
		{"12-no-log-type", `{"event_type":"click"}`, silent},
		{"13-unanchored-EVENTS", `{"log_type":"EVENTS","event_type":"click"}`, outcome{
			tag: "delish.event.click", s3Key: "click/2024/01/02/03_0_fluentd01.gz",
			s3Line: `{"log_type":"EVENTS","event_type":"click","time":"2024-01-02 03:04:05"}`,
			td:     "delish_dev.event_click", tdRec: `{"log_type":"EVENTS","event_type":"click","time":1704164645}`}},
		{"14-substring-NOT_AN_EVENT", `{"log_type":"NOT_AN_EVENT","event_type":"click"}`, outcome{
			tag: "delish.event.click", s3Key: "click/2024/01/02/03_0_fluentd01.gz",
			s3Line: `{"log_type":"NOT_AN_EVENT","event_type":"click","time":"2024-01-02 03:04:05"}`,
			td:     "delish_dev.event_click", tdRec: `{"log_type":"NOT_AN_EVENT","event_type":"click","time":1704164645}`}},
		{"15-case-sensitive", `{"log_type":"event","event_type":"click"}`, silent},
		{"16-array-value-to_s", `{"log_type":["EVENT"],"event_type":"click"}`, outcome{
			tag: "delish.event.click", s3Key: "click/2024/01/02/03_0_fluentd01.gz",
			s3Line: `{"log_type":["EVENT"],"event_type":"click","time":"2024-01-02 03:04:05"}`,
			td:     "delish_dev.event_click", tdRec: `{"log_type":["EVENT"],"event_type":"click","time":1704164645}`}},
		{"17-empty-log-type", `{"log_type":"","event_type":"click"}`, silent},
		{"18-no-event-type", `{"log_type":"EVENT"}`, outcome{tag: "delish.event", drop: record.DropSilent}},
		{"19-empty-event-type", withEvent(`""`), silent},
		{"20-dash", withEvent(`"page-view"`), silent},
		{"21-dot", withEvent(`"page.view"`), silent},
		{"22-underscore", withEvent(`"page_view"`), evOut("page_view", `"page_view"`)},
		{"23-upper-case-kills-both", withEvent(`"Click"`), outcome{tag: "delish.event.Click", drop: record.DropError}},
		{"24-number", withEvent(`123`), evOut("123", `123`)},
		{"25-true", withEvent(`true`), evOut("true", `true`)},
		{"26-float", withEvent(`1.5`), silent},
		{"27-line-anchors", withEvent(`"click\nfoo"`), clickWith(`"click\nfoo"`)},
		{"28a-leading-space", withEvent(`" click"`), silent},
		{"28b-trailing-space", withEvent(`"click "`), silent},
		{"29-trailing-newline", withEvent(`"click\n"`), clickWith(`"click\n"`)},
		{"30-captured-TAG-placeholder", withEvent(`"__TAG__"`), func() outcome {
			o := evOut("delish", `"__TAG__"`)
			o.tag = "delish.event.delish.event"
			return o
		}()},
		{"31-captured-HOSTNAME-placeholder", withEvent(`"__HOSTNAME__"`), evOut("fluentd01", `"__HOSTNAME__"`)},
		{"32-unknown-placeholder-trailing-dot", withEvent(`"__X__"`), outcome{
			tag: "delish.event.", s3Key: "/2024/01/02/03_0_fluentd01.gz",
			s3Line: `{"log_type":"EVENT","event_type":"__X__","time":"2024-01-02 03:04:05"}`,
			td:     "delish_dev.event_", tdRec: `{"log_type":"EVENT","event_type":"__X__","time":1704164645}`}},
		{"33a-non-ascii-cafe", withEvent(`"café"`), silent},
		{"33b-non-ascii-japanese", withEvent(`"日本"`), silent},
		{"34-table-name-too-long", withEvent(`"` + strings.Repeat("a", 250) + `"`), outcome{tag: "delish.event." + strings.Repeat("a", 250), drop: record.DropError}},
		{"35-nesting-preserved", `{"log_type":"EVENT","event_type":"purchase","item":{"id":"x1","tags":["a","b"]},"price":9.99}`, outcome{
			tag: "delish.event.purchase", s3Key: "purchase/2024/01/02/03_0_fluentd01.gz",
			s3Line: `{"log_type":"EVENT","event_type":"purchase","item":{"id":"x1","tags":["a","b"]},"price":9.99,"time":"2024-01-02 03:04:05"}`,
			td:     "delish_dev.event_purchase", tdRec: `{"log_type":"EVENT","event_type":"purchase","item":{"id":"x1","tags":["a","b"]},"price":9.99,"time":1704164645}`}},
	}
	for _, c := range simple {
		t.Run("case-"+c.name, func(t *testing.T) {
			r := newDelishRouter(t, delishEnv())
			j := r.Route(dockerEvent(c.log))
			check(t, collect(t, j, objectStore{}), c.want)
		})
	}

	t.Run("case-09-empty-line", func(t *testing.T) {
		// Oj.load("") is nil, not a Hash: nil.delete raises NoMethodError,
		// which filter_parser logs as "parse failed".
		r := newDelishRouter(t, delishEnv())
		j := r.Route(dockerEvent(``))
		check(t, collect(t, j, objectStore{}), warn)
		assert.Equal(t, j.Drops[0].Plugin, "parser")
		assert.Equal(t, j.Drops[0].Reason, "parse failed undefined method `delete' for nil:NilClass")
	})

	t.Run("case-10-array-closes-connection", func(t *testing.T) {
		// The Array record reaches rewrite_tag_filter, whose record[key]
		// raises TypeError into in_forward: the connection is closed and the
		// T1 line sent after it in the same read buffer is lost too.
		r := newDelishRouter(t, delishEnv())
		js, closed := v012InForward(t, r, driverStream(t, false, `[{"log_type":"EVENT","event_type":"click"}]`, t1))
		assert.Assert(t, closed != nil)
		assert.Equal(t, closed.Kind, record.DropConnectionClosed)
		assert.Equal(t, len(js), 1, "the second event must not be routed")
		check(t, collect(t, js[0], objectStore{}), outcome{drop: record.DropConnectionClosed})
		// On a new connection T1 goes through.
		js, closed = v012InForward(t, r, driverStream(t, false, t1))
		assert.Assert(t, closed == nil)
		check(t, collect(t, js[0], objectStore{}), happy)
	})

	t.Run("case-06b-null-time-key-removed", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		j := r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"click","time":null}`))
		assert.Equal(t, len(j.Deliveries), 2)
		assert.Equal(t, string(j.Deliveries[0].Line), `{"log_type":"EVENT","event_type":"click","time":"2024-01-02 03:04:05"}`+"\n")
	})

	t.Run("case-11-scalar-json", func(t *testing.T) {
		for _, l := range []string{`"EVENT"`, `42`, `null`, `true`} {
			r := newDelishRouter(t, delishEnv())
			j := r.Route(dockerEvent(l))
			assert.Equal(t, len(j.Deliveries), 0, l)
			assert.Equal(t, len(j.Drops), 1, l)
			assert.Equal(t, j.Drops[0].Kind, record.DropWarning, l)
			assert.Equal(t, j.Drops[0].Plugin, "parser", l)
		}
	})

	t.Run("case-36-stderr-source-ignored", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		ev := dockerEvent(t1)
		ev.Record = docker.Record(container, "stderr", t1)
		check(t, collect(t, r.Route(ev), objectStore{}), happy)
	})

	t.Run("case-37-over-16KiB-partials", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		long := `{"log_type":"EVENT","event_type":"click","pad":"` + strings.Repeat("x", 17*1024) + `"}`
		parts := docker.Records(container, "stdout", long, "p1")
		assert.Equal(t, len(parts), 2)
		for _, rec := range parts {
			j := r.Route(router.Event{Tag: dockerTag, Time: router.EventTime{Sec: td}, Record: rec})
			check(t, collect(t, j, objectStore{}), warn)
		}
	})

	t.Run("case-38-direct-forward-bypasses-parser", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		j := r.Route(router.Event{Tag: "delish.event.signup", Time: router.EventTime{Sec: td}, Record: record.Record{{Key: "a", Value: int64(1)}}})
		check(t, collect(t, j, objectStore{}), outcome{
			tag: "delish.event.signup", s3Key: "signup/2024/01/02/03_0_fluentd01.gz",
			s3Line: `{"a":1,"time":"2024-01-02 03:04:05"}`,
			td:     "delish_dev.event_signup", tdRec: `{"a":1,"time":1704164645}`})
	})

	t.Run("case-39-buffer-path-collision", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		first := r.Route(router.Event{Tag: "delish.event.a", Time: router.EventTime{Sec: td}, Record: record.Record{{Key: "x", Value: "1"}}})
		assert.Equal(t, len(first.Deliveries), 2)
		j := r.Route(router.Event{Tag: "delish.event.a.b", Time: router.EventTime{Sec: td}, Record: record.Record{{Key: "x", Value: "1"}}})
		check(t, collect(t, j, objectStore{}), outcome{tag: "delish.event.a.b", drop: record.DropError})
		assert.Assert(t, strings.Contains(j.Drops[0].Reason, "already use same buffer_path"), j.Drops[0].Reason)
	})

	t.Run("case-40-index-after-flush", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		store := objectStore{keyPrefix + "click/2024/01/02/03_0_fluentd01.gz": true}
		want := happy
		want.s3Key = "click/2024/01/02/03_1_fluentd01.gz"
		check(t, collect(t, r.Route(dockerEvent(t1)), store), want)
	})

	t.Run("case-41-one-object-per-slice", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		j1 := r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"click","time":"2024-01-02T03:59:59Z"}`))
		j2 := r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"click","time":"2024-01-02T04:00:00Z"}`))
		r1, r2 := collect(t, j1, objectStore{}), collect(t, j2, objectStore{})
		assert.DeepEqual(t, r1.s3Keys, []string{"click/2024/01/02/03_0_fluentd01.gz"})
		assert.DeepEqual(t, r2.s3Keys, []string{"click/2024/01/02/04_0_fluentd01.gz"})
		assert.Equal(t, j1.Deliveries[0].Output, j2.Deliveries[0].Output) // same instance, two chunks
		assert.Assert(t, j1.Deliveries[0].TimeSlice != j2.Deliveries[0].TimeSlice)
		jsonEqual(t, r1.tdRecs[0], `{"log_type":"EVENT","event_type":"click","time":1704167999}`)
		jsonEqual(t, r2.tdRecs[0], `{"log_type":"EVENT","event_type":"click","time":1704168000}`)
	})

	t.Run("case-42-td-512-key-limit", func(t *testing.T) {
		r := newDelishRouter(t, delishEnv())
		var b strings.Builder
		b.WriteString(`{"log_type":"EVENT","event_type":"click"`)
		for i := range 511 {
			fmt.Fprintf(&b, `,"k%03d":%d`, i, i)
		}
		b.WriteString(`}`)
		j := r.Route(dockerEvent(b.String()))
		res := collect(t, j, objectStore{})
		assert.DeepEqual(t, res.s3Keys, []string{"click/2024/01/02/03_0_fluentd01.gz"})
		assert.Equal(t, len(res.td), 0)
		assert.Equal(t, len(j.Drops), 1)
		assert.Equal(t, j.Drops[0].Plugin, "tdlog")
		assert.Assert(t, strings.Contains(j.Drops[0].Reason, "Skipped a broken record"))
		var line map[string]any
		assert.NilError(t, json.Unmarshal(j.Deliveries[0].Line, &line))
		assert.Equal(t, len(line), 514)
	})

	t.Run("case-43-sub-second-precision", func(t *testing.T) {
		// What Docker's driver sends (fluent-logger-golang, Message mode)
		// with fluentd-sub-second-precision=true: the time as EventTime.
		stream := driverStream(t, true, t1)
		r := newDelishRouter(t, delishEnv())
		js, closed := v012InForward(t, r, stream)
		assert.Equal(t, len(js), 0)
		assert.Assert(t, closed != nil)
		assert.Equal(t, closed.Kind, record.DropConnectionClosed)
		assert.Assert(t, strings.Contains(closed.Reason, "UnknownExtTypeError"), closed.Reason)
		// Without the option the same line is T1.
		js, closed = v012InForward(t, r, driverStream(t, false, t1))
		assert.Assert(t, closed == nil)
		assert.Equal(t, len(js), 1)
		check(t, collect(t, js[0], objectStore{}), happy)
	})

	t.Run("case-44-td-database-unset", func(t *testing.T) {
		env := delishEnv()
		delete(env, "TD_DATABASE")
		r := newDelishRouter(t, env)
		j := r.Route(dockerEvent(t1))
		check(t, collect(t, j, objectStore{}), outcome{tag: "delish.event.click", drop: record.DropError})
		assert.Assert(t, strings.Contains(j.Drops[0].Reason, "empty database name"), j.Drops[0].Reason)
	})

	t.Run("case-45-transient-start-failure-poisons-tag", func(t *testing.T) {
		down := true
		r := newDelishRouter(t, delishEnv(), router.WithStart(func(o *router.Output) error {
			if down && o.Type == "s3" {
				return errors.New("dial tcp: connection refused")
			}
			return nil
		}))
		j := r.Route(dockerEvent(t1))
		check(t, collect(t, j, objectStore{}), outcome{tag: "delish.event.click", drop: record.DropError})
		down = false // the API recovers
		for range 3 {
			j = r.Route(dockerEvent(t1))
			check(t, collect(t, j, objectStore{}), outcome{tag: "delish.event.click", drop: record.DropError})
			assert.Assert(t, strings.Contains(j.Drops[0].Reason, "already use same buffer_path"), j.Drops[0].Reason)
		}
		// other tags are unaffected
		j = r.Route(dockerEvent(withEvent(`"signup"`)))
		assert.Equal(t, len(j.Deliveries), 2)
	})
}
