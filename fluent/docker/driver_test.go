package docker

import (
	"strings"
	"testing"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"
)

var c = Container{ID: strings.Repeat("a", 64), Name: "/delish-api-1"}

func TestRecord(t *testing.T) {
	assert.DeepEqual(t, Record(c, "stdout", "hello\r"), record.Record{
		{Key: "container_id", Value: c.ID}, {Key: "container_name", Value: "/delish-api-1"},
		{Key: "source", Value: "stdout"}, {Key: "log", Value: "hello\r"}})
}

func TestRecordsSplitsAt16KiB(t *testing.T) {
	assert.Equal(t, len(Records(c, "stdout", strings.Repeat("x", MaxLine), "p")), 1)
	recs := Records(c, "stderr", strings.Repeat("x", 2*MaxLine+5), "p1")
	assert.Equal(t, len(recs), 3)
	for i, r := range recs {
		log, _ := r.Get("log")
		ord, _ := r.Get("partial_ordinal")
		last, _ := r.Get("partial_last")
		id, _ := r.Get("partial_id")
		pm, _ := r.Get("partial_message")
		assert.Equal(t, ord, []string{"1", "2", "3"}[i])
		assert.Equal(t, last, []string{"false", "false", "true"}[i])
		assert.Equal(t, id, "p1")
		assert.Equal(t, pm, "true")
		assert.Equal(t, len(log.(string)), []int{MaxLine, MaxLine, 5}[i])
	}
}

func TestCheckOptions(t *testing.T) {
	hs := CheckOptions(map[string]string{"fluentd-address": "x:24224", "fluentd-max-retries": "3", "tag": "docker.delish"})
	var names []string
	for _, h := range hs {
		names = append(names, h.Option)
	}
	assert.DeepEqual(t, names, []string{"fluentd-async", "fluentd-max-retries"})
	hs = CheckOptions(map[string]string{"fluentd-async": "true", "fluentd-sub-second-precision": "true", "fluentd-async-connect": "true", "fluentd-buffer-limit": "1m"})
	names = nil
	for _, h := range hs {
		names = append(names, h.Option)
	}
	assert.DeepEqual(t, names, []string{"fluentd-async", "fluentd-async-connect", "fluentd-buffer-limit", "fluentd-sub-second-precision"})
	assert.Equal(t, hs[0].Drop, record.DropSilent)
	assert.Equal(t, hs[3].Drop, record.DropConnectionClosed)
}

func TestTag(t *testing.T) {
	info := TagInfo{Container: Container{ID: "0123456789abcdef" + strings.Repeat("0", 48), Name: "/delish-api-1"}, ImageName: "delish-server:latest", DaemonName: "docker"}
	for tmpl, want := range map[string]string{
		"":                                "0123456789ab",
		"docker.delish":                   "docker.delish",
		"docker.{{.Name}}":                "docker.delish-api-1",
		"{{.DaemonName}}.{{upper .Name}}": "docker.DELISH-API-1",
		"{{.FullID}}":                     info.Container.ID,
		"{{truncate .ImageName 6}}":       "delish",
	} {
		got, err := Tag(tmpl, info)
		assert.NilError(t, err, tmpl)
		assert.Equal(t, got, want, tmpl)
	}
	_, err := Tag("{{.Nope}}", info)
	assert.ErrorContains(t, err, `render log tag template "{{.Nope}}"`)
}
