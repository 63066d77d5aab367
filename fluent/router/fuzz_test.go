package router_test

import (
	"os"
	"testing"

	"github.com/devenv-sh/devenv/fluent/config"
	"github.com/devenv-sh/devenv/fluent/record"
	"github.com/devenv-sh/devenv/fluent/router"
)

// FuzzRoute checks that any config the parser and New accept routes any
// JSON record without panicking, and that every delivery names its output.
func FuzzRoute(f *testing.F) {
	ref, err := os.ReadFile("testdata/delish/fluent.conf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref, "docker.delish", `{"log":"{\"log_type\":\"EVENT\",\"event_type\":\"click\"}"}`)
	f.Add(ref, "delish.event.a.b", `{"a":[1,{"b":null}]}`)
	f.Add([]byte("<match **>\n  @type rewrite_tag_filter\n  rewriterule1 k ^(.*)$ x.$1.${tag_parts[0]}\n</match>\n"), "a", `{"k":"__TAG__"}`)
	f.Add([]byte("<filter **>\n  @type record_transformer\n  <record>\n    x ${tag_suffix[-1]}\n  </record>\n</filter>\n<match **>\n  @type forest\n  subtype stdout\n  <template>\n    tag_key ${tag_parts[-9..9]}\n  </template>\n</match>\n"), "a..b", `{}`)
	f.Fuzz(func(t *testing.T, conf []byte, tag, recordJSON string) {
		root, err := config.ParseBytes(nil, "f.conf", conf, config.WithEnv(map[string]string{"TD_DATABASE": "db_x", "AWS_S3_BUCKET": "b"}))
		if err != nil {
			return
		}
		r, err := router.New(root, router.WithHostname("h"))
		if err != nil {
			return
		}
		v, err := record.ParseJSONString(recordJSON)
		if err != nil {
			return
		}
		rec, ok := v.(record.Record)
		if !ok {
			return
		}
		for range 2 {
			j := r.Route(router.Event{Tag: tag, Time: router.EventTime{Sec: 1704164645}, Record: rec})
			for _, d := range j.Deliveries {
				if d.Output == nil || d.Output.ID == "" {
					t.Fatalf("delivery without output: %+v", d)
				}
			}
		}
		r.Lint()
	})
}
