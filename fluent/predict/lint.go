package predict

import (
	"github.com/devenv-sh/devenv/fluent/docker"
	"github.com/devenv-sh/devenv/fluent/router"
	"github.com/devenv-sh/devenv/taskdef"
)

// Finding is one hazard devenv routes --lint reports: where, a stable
// code, and what happens.
type Finding struct {
	At      string `json:"at"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// DriverFindings lints the Docker fluentd log driver options opts, found
// at where (a task definition container, or --log-opt).
func DriverFindings(where string, opts map[string]string) []Finding {
	var fs []Finding
	for _, h := range docker.CheckOptions(opts) {
		msg := h.Detail
		if h.Drop != "" {
			msg += " (drop: " + string(h.Drop) + ")"
		}
		fs = append(fs, Finding{At: where, Code: "driver-" + h.Option, Message: msg})
	}
	return fs
}

// RouterFindings lints the fluentd configuration r was built from.
func RouterFindings(r *router.Router) []Finding {
	var fs []Finding
	for _, h := range r.Lint() {
		fs = append(fs, Finding{At: h.Pos.String(), Code: h.Code, Message: h.Message})
	}
	return fs
}

// TaskDefFindings lints the fluentd log driver options of every container
// of defs that logs through Docker's fluentd driver.
func TaskDefFindings(defs []taskdef.Def) []Finding {
	var fs []Finding
	for _, d := range defs {
		for _, c := range d.Task.ContainerDefinitions {
			lc := c.LogConfiguration
			if lc == nil || lc.LogDriver != "fluentd" {
				continue
			}
			opts := lc.Options
			if opts == nil {
				opts = map[string]string{}
			}
			fs = append(fs, DriverFindings(d.File+": container "+c.Name, opts)...)
		}
	}
	return fs
}
