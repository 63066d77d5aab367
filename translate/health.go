package translate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/secretpolicy"
	"github.com/devenv-sh/devenv/taskdef"
)

// The stand-ins' health checks probe every second, not every 30 s as ECS
// does by default, because devenv up waits for them: a fake serves within a
// second of starting. 30 failures in a row mark it unhealthy. There is no
// start_interval: Docker Engine 20.10 (API 1.41) does not know it.
const (
	standInHealthInterval = time.Second
	standInHealthTimeout  = 2 * time.Second
	standInHealthRetries  = 30
)

// standInHealthPort is the port on which stand-in s answers GET
// /_devenv/health, or 0 when it has no health check (fluentd, pause).
func standInHealthPort(s config.StandIn) int {
	switch s {
	case config.StandInFakeS3:
		return config.FakeS3Port
	case config.StandInFakeTD:
		return config.FakeTDPort
	case config.StandInDatadogStub:
		return config.DatadogAPMPort
	}
	return 0
}

// standInHealthCheck is the health check of stand-in s, nil when it has
// none: in exec form (the image is FROM scratch, without a shell), the
// devenv binary's healthcheck command GETs the stand-in's /_devenv/health
// on the loopback address of its own network namespace.
func standInHealthCheck(s config.StandIn) *types.HealthCheckConfig {
	port := standInHealthPort(s)
	if port == 0 {
		return nil
	}
	interval, timeout := types.Duration(standInHealthInterval), types.Duration(standInHealthTimeout)
	retries := uint64(standInHealthRetries)
	return &types.HealthCheckConfig{
		Test:     types.HealthCheckTest{"CMD", config.StandInBinary, "healthcheck", "http://127.0.0.1:" + strconv.Itoa(port) + "/_devenv/health"},
		Interval: &interval,
		Timeout:  &timeout,
		Retries:  &retries,
	}
}

// replacedHealthCheck reports whether container c's health check is not
// production's but comes later from its stand-in, which standIns reports.
func (tk *task) replacedHealthCheck(c *taskdef.ContainerDefinition) bool {
	rule, ok := tk.t.local.ImageRule(c.Image)
	return ok && rule.Action == config.ActionStandIn && standInHealthPort(rule.StandIn) != 0
}

// healthCheck is the health check of container c: the one devenv.yaml's
// services entry gives, else production's, or none when its stand-in
// brings one.
func (tk *task) healthCheck(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) *types.HealthCheckConfig {
	key := tk.td.Family + "/" + c.Name
	if r := tk.t.local.Services[key]; r.HealthCheck != nil {
		s.localHealth = true
		return tk.localHealthCheck(c, p.Next("healthCheck"), key, r.HealthCheck)
	}
	if tk.replacedHealthCheck(c) {
		return nil
	}
	return tk.convertHealthCheck(c, p)
}

// localHealthCheck converts the health check of devenv.yaml's services
// entry key, which replaces production's, as convertHealthCheck converts
// production's (ECS's defaults written out), and reports it. NONE turns
// the check off; a container of the task that waits for this one to be
// HEALTHY then never could, which is an error.
func (tk *task) localHealthCheck(c *taskdef.ContainerDefinition, p fieldpath.Path, key string, hc *config.HealthCheck) *types.HealthCheckConfig {
	t := tk.t
	where := fmt.Sprintf("services.%q.healthCheck in %s:%d", key, t.local.File, hc.Line)
	at := fieldpath.Path{}.Next("services").Next(key).Next("healthCheck")
	if len(hc.Command) == 0 {
		t.fail(t.local.File, at.Next("command"), fieldpath.Invalidf("missing: give the check as in an ECS task definition"))
		return nil
	}
	var out *types.HealthCheckConfig
	local := ""
	if hc.Command[0] == "NONE" {
		for _, other := range tk.td.ContainerDefinitions {
			for _, dep := range other.DependsOn {
				if dep.ContainerName == c.Name && dep.Condition == taskdef.ConditionHealthy {
					t.fail(t.local.File, at.Next("command"), fieldpath.Invalidf("NONE (line %d) leaves %s without a health check, but %s waits for it to be HEALTHY in %s, so it would never start: give a check instead", hc.Line, c.Name, other.Name, tk.def.File))
				}
			}
		}
		out = &types.HealthCheckConfig{Test: types.HealthCheckTest{"NONE"}}
		local = "NONE (no health check)"
	} else {
		or := func(v *int, def int) int {
			if v == nil {
				return def
			}
			return *v
		}
		interval, timeout := or(hc.Interval, ecsHealthInterval), or(hc.Timeout, ecsHealthTimeout)
		retries := uint64(or(hc.Retries, ecsHealthRetries))
		out = &types.HealthCheckConfig{Test: slices.Clone(types.HealthCheckTest(hc.Command)), Interval: seconds(&interval), Timeout: seconds(&timeout), Retries: &retries}
		if hc.StartPeriod != nil && *hc.StartPeriod > 0 {
			out.StartPeriod = seconds(hc.StartPeriod)
		}
		local = describeHealthCheck(out)
	}
	prod := describeECSHealthCheck(c.HealthCheck)
	why := "set under " + where + ", replacing production's"
	if prod == "" {
		why = "added under " + where + "; production has none"
	}
	tk.deviate(c, p, Rewritten, prod, local, why)
	return out
}

// unrunHealthCheck is the local health check of container c, whose
// production check starts with neither CMD nor CMD-SHELL (nor NONE), as
// register-task-definition accepts: NONE, which does what production does.
// The ECS agent hands the command to Docker unchanged as the container's
// Healthcheck.Test, and Docker runs no probe for a test of unknown kind
// (moby daemon/health.go, getProbe: it logs "Unknown healthcheck type"), so
// the container's health never becomes healthy or unhealthy (Docker Engine
// 20.10 gives it no health state at all, as observed in
// TestDockerRunsNoHealthCheckOfUnknownKind; moby versions that set one
// leave it "starting"), which the ECS agent reports as no health: ECS
// shows UNKNOWN. The image's own HEALTHCHECK is replaced all the same
// (taskdef.RunsHealthCheck). Kept as it is, the check would leave devenv up
// waiting for a health that never comes; NONE runs nothing, as production
// does, and replaces the image's check too. A container waiting for this
// one to be HEALTHY is refused by taskdef: it starts nowhere.
func (tk *task) unrunHealthCheck(c *taskdef.ContainerDefinition, p fieldpath.Path, hc *taskdef.HealthCheck) *types.HealthCheckConfig {
	first, _ := secretpolicy.Redact(hc.Command[0])
	fix := `write ["CMD", ` + strconv.Quote(first) + `, ...] in the task definition (run directly), or give a check under services in ` + tk.t.local.File
	if strings.ContainsAny(first, " |&;$") {
		fix = `write ["CMD-SHELL", ` + strconv.Quote(first) + `] in the task definition (run in the container's shell), or give a check under services in ` + tk.t.local.File
	}
	if k := strings.ToUpper(hc.Command[0]); k == "CMD" || k == "CMD-SHELL" {
		fix = "write " + k + " in capitals in the task definition (Docker's kinds are case-sensitive), or give a check under services in " + tk.t.local.File
	}
	tk.deviate(c, p.Next("command"), Rewritten, describeECSHealthCheck(hc), "NONE (no health check)",
		"production never runs this check: ECS hands the command to Docker unchanged, and Docker runs only a test starting with CMD or CMD-SHELL; for "+strconv.Quote(first)+" it runs nothing, so the container's health never becomes healthy or unhealthy and ECS shows it as UNKNOWN for as long as it runs (a load balancer's health check still applies), and the image's own HEALTHCHECK is off too. Locally no check runs either, so devenv up waits only for the container to run. To have it run: "+fix)
	return &types.HealthCheckConfig{Test: types.HealthCheckTest{"NONE"}}
}

// describeHealthCheck renders a Compose health check for the report:
// "CMD /devenv healthcheck URL (interval 1s, timeout 2s, retries 30)".
func describeHealthCheck(hc *types.HealthCheckConfig) string {
	if hc == nil {
		return ""
	}
	var opts []string
	for _, o := range []struct {
		name string
		d    *types.Duration
	}{{"interval", hc.Interval}, {"timeout", hc.Timeout}, {"start period", hc.StartPeriod}} {
		if o.d != nil {
			opts = append(opts, o.name+" "+time.Duration(*o.d).String())
		}
	}
	if hc.Retries != nil {
		opts = append(opts, "retries "+strconv.FormatUint(*hc.Retries, 10))
	}
	return withOptions(strings.Join(hc.Test, " "), opts)
}

// describeECSHealthCheck renders a task definition's health check, as
// given, for the report; credential-shaped parts of the command are
// replaced as in the generated file.
func describeECSHealthCheck(hc *taskdef.HealthCheck) string {
	if hc == nil {
		return ""
	}
	cmd, _ := secretpolicy.RedactArgs(hc.Command)
	var opts []string
	for _, o := range []struct {
		name, unit string
		v          *int
	}{{"interval", "s", hc.Interval}, {"timeout", "s", hc.Timeout}, {"start period", "s", hc.StartPeriod}, {"retries", "", hc.Retries}} {
		if o.v != nil {
			opts = append(opts, o.name+" "+itoa(*o.v)+o.unit)
		}
	}
	return withOptions(strings.Join(cmd, " "), opts)
}

func withOptions(s string, opts []string) string {
	if len(opts) == 0 {
		return s
	}
	return s + " (" + strings.Join(opts, ", ") + ")"
}

// ECS health check defaults, filled in because Docker's own differ
// (Docker's default timeout is 30 s).
const (
	ecsHealthInterval = 30
	ecsHealthTimeout  = 5
	ecsHealthRetries  = 3
)

func (tk *task) convertHealthCheck(c *taskdef.ContainerDefinition, p fieldpath.Path) *types.HealthCheckConfig {
	hc := c.HealthCheck
	if hc == nil {
		return nil
	}
	p = p.Next("healthCheck")
	if hc.Command[0] != "NONE" && !taskdef.RunsHealthCheck(hc.Command) {
		return tk.unrunHealthCheck(c, p, hc)
	}
	test := types.HealthCheckTest(tk.redactList(c, p.Next("command"), hc.Command))
	fill := func(v *int, def int, field, unit string) int {
		if v == nil {
			tk.deviate(c, p.Next(field), Defaulted, "", itoa(def)+unit, "ECS default, written out because Docker's default differs")
			return def
		}
		return *v
	}
	interval := fill(hc.Interval, ecsHealthInterval, "interval", "s")
	timeout := fill(hc.Timeout, ecsHealthTimeout, "timeout", "s")
	retries := uint64(fill(hc.Retries, ecsHealthRetries, "retries", ""))
	out := &types.HealthCheckConfig{Test: test, Interval: seconds(&interval), Timeout: seconds(&timeout), Retries: &retries}
	if hc.StartPeriod != nil && *hc.StartPeriod > 0 {
		out.StartPeriod = seconds(hc.StartPeriod)
	}
	return out
}

func seconds(s *int) *types.Duration {
	if s == nil {
		return nil
	}
	d := types.Duration(time.Duration(*s) * time.Second)
	return &d
}
