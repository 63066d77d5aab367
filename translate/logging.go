package translate

import (
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/secretpolicy"
	"github.com/devenv-sh/devenv/taskdef"
)

// localDrivers are log drivers that work on a laptop as configured.
var localDrivers = map[string]bool{"json-file": true, "local": true, "none": true}

// convertLogConfiguration keeps json-file/local/none, keeps fluentd (its
// address is resolved in wireLogging, once every service's published ports
// are known) and replaces cloud drivers (awslogs, awsfirelens, splunk, ...)
// by json-file, reported.
func (tk *task) convertLogConfiguration(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) *types.LoggingConfig {
	lc := c.LogConfiguration
	if lc == nil {
		return nil
	}
	p = p.Next("logConfiguration")
	for i, so := range lc.SecretOptions {
		tk.deviate(c, p.Next("secretOptions").Index(i), Dropped, so.Name+" (secret from "+secretpolicy.Store(so.ValueFrom)+", not fetched)", "", "log driver secrets are not fetched; the local driver needs none")
	}
	switch {
	case localDrivers[lc.LogDriver]:
		return &types.LoggingConfig{Driver: lc.LogDriver, Options: tk.redactMap(c, p.Next("options"), lc.Options)}
	case lc.LogDriver == "fluentd":
		s.logPath = p
		return &types.LoggingConfig{Driver: "fluentd", Options: tk.redactMap(c, p.Next("options"), lc.Options)}
	default:
		why, kind := "the "+lc.LogDriver+" driver ships logs to a production service; locally they stay in json-file (docker logs works)", Rewritten
		if lc.LogDriver == "awsfirelens" {
			// The logs do not reach the router as in production: --strict catches it.
			why, kind = "awsfirelens is not a Docker driver but ECS's FireLens router wiring, which devenv does not emulate; logs stay in json-file and never reach the router", Unsupported
		}
		tk.deviate(c, p.Next("logDriver"), kind, lc.LogDriver, "json-file", why)
		return &types.LoggingConfig{Driver: "json-file"}
	}
}

// wireLogging points every fluentd log driver at its local collector:
// Docker's log driver connects from the engine, not from the container
// network, so the address is the collector's published port on the bind
// address. fluentd-async lets a container start before its collector.
func (t *translator) wireLogging() {
	for _, name := range slices.Sorted(maps.Keys(t.services)) {
		s := t.services[name]
		if s.cfg.Logging == nil || s.cfg.Logging.Driver != "fluentd" {
			continue
		}
		dev := func(field string, kind Kind, prod, local, why string) {
			t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.logPath.Next("options").Next(field).String(), Kind: kind, Production: prod, Local: local, Why: why})
		}
		opts := s.cfg.Logging.Options
		if opts == nil {
			opts = map[string]string{}
			s.cfg.Logging.Options = opts
		}
		addr := opts["fluentd-address"]
		if addr == "" {
			addr = "localhost:24224" // Docker's default
		}
		host, port, err := splitAddress(addr)
		if err != nil {
			t.fail(s.file, s.logPath.Next("options").Next("fluentd-address"), fieldpath.Invalidf("%q: %v", addr, err))
			continue
		}
		if port == 0 {
			port = 24224 // the fluentd driver's default
		}
		local := ""
		rule, ok := t.local.HostRule(host, port)
		switch {
		case ok:
			t.use("hosts", hostKey(rule))
			target := t.services[rule.Service]
			if target == nil {
				t.fail(s.file, s.logPath.Next("options").Next("fluentd-address"), fieldpath.Invalidf("%s maps %s to service %q, which the stack does not have: map it to one of the task definitions' containers", t.local.File, host, rule.Service))
				continue
			}
			cport := port
			if rule.ServicePort != 0 {
				cport = rule.ServicePort
			}
			if cport == 0 {
				cport = 24224
			}
			pub := target.published[portKey(cport, "tcp")]
			if h := t.services[target.netOwner]; h != nil {
				pub = h.published[portKey(cport, "tcp")] // an awsvpc task's holder publishes its ports
			}
			if pub == "" {
				t.fail(s.file, s.logPath.Next("options").Next("fluentd-address"), fieldpath.Invalidf("service %s does not publish a fixed host port for container port %d, which the fluentd log driver needs: give that portMapping a hostPort", rule.Service, cport))
				continue
			}
			local = joinHostPort(t.dialAddress(), pub)
			if target.cfg.Name != name {
				if s.cfg.DependsOn == nil {
					s.cfg.DependsOn = types.DependsOnConfig{}
				}
				if _, ok := s.cfg.DependsOn[target.cfg.Name]; !ok {
					s.cfg.DependsOn[target.cfg.Name] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
					t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.Next("dependsOn").String(), Kind: Rewritten, Production: "", Local: target.cfg.Name + " started", Why: "the log collector " + target.cfg.Name + " starts first so early log lines are not buffered by the driver"})
				}
			}
		case isLoopback(host):
			// Already local (a collector in the same host network); keep.
		default:
			t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.logPath.Next("logDriver").String(), Kind: Unsupported, Production: "fluentd at " + addr, Local: "json-file", Why: "no local service for " + host + ": map it under hosts in " + t.local.File + " (e.g. " + host + ": fluentd) so logs reach the local collector"})
			s.cfg.Logging = &types.LoggingConfig{Driver: "json-file"}
			continue
		}
		if local != "" {
			opts["fluentd-address"] = local
			dev("fluentd-address", Rewritten, addr, local, "the Docker engine connects to the collector, so the address is its published port on this host")
		}
		if opts["fluentd-async"] != "true" {
			prev := opts["fluentd-async"]
			opts["fluentd-async"] = "true"
			dev("fluentd-async", Defaulted, prev, "true", "lets the container start before its collector accepts connections")
		}
	}
}

// dialAddress is the address the Docker engine dials to reach a port
// published on the bind address.
func (t *translator) dialAddress() string {
	switch t.local.BindAddress {
	case "0.0.0.0", "::", "":
		return "127.0.0.1"
	}
	return t.local.BindAddress
}

func splitAddress(addr string) (string, int, error) {
	a := addr
	for _, scheme := range []string{"tcp://", "unix://"} {
		a = strings.TrimPrefix(a, scheme)
	}
	if strings.HasPrefix(addr, "unix://") {
		return "", 0, fieldpath.Unsupportedf("unix sockets of the production host are not available locally")
	}
	i := strings.LastIndex(a, ":")
	if i < 0 || strings.HasSuffix(a, "]") {
		return strings.Trim(a, "[]"), 0, nil // a bare host name
	}
	host, port := strings.Trim(a[:i], "[]"), a[i+1:]
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, fieldpath.Invalidf("port %q is not a number from 1 to 65535", port)
	}
	return host, n, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}
