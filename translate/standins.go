package translate

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
)

// standInPort is a port a stand-in listens on inside the stack and
// publishes, as itself, on the bind address.
type standInPort struct {
	port  int
	proto string
	why   string
}

// standInCommand returns the arguments of the devenv binary (the
// entrypoint of every stand-in image) that run stand-in s, and the ports it
// serves. The addresses are the ones the local fluent.conf and the
// containers use (config.FakeS3Port, config.FakeTDPort, ...).
func (t *translator) standInCommand(s config.StandIn) ([]string, []standInPort) {
	addr := func(port int) string { return "0.0.0.0:" + strconv.Itoa(port) }
	switch s {
	case config.StandInFakeS3:
		return []string{"fake", "s3", "--addr", addr(config.FakeS3Port)},
			[]standInPort{{config.FakeS3Port, "tcp", "the fake S3 API and its /_devenv/ inspection API, reachable from the host for tests"}}
	case config.StandInFakeTD:
		return []string{"fake", "td", "--addr", addr(config.FakeTDPort)},
			[]standInPort{{config.FakeTDPort, "tcp", "the fake Treasure Data endpoints and its /_devenv/ inspection API, reachable from the host for tests"}}
	case config.StandInDatadogStub:
		return []string{"fake", "datadog", "--statsd-addr", addr(config.DatadogStatsDPort), "--apm-addr", addr(config.DatadogAPMPort)},
			[]standInPort{
				{config.DatadogStatsDPort, "udp", "DogStatsD, as the agent serves it"},
				{config.DatadogAPMPort, "tcp", "the trace intake and the stub's /_devenv/ inspection API, reachable from the host for tests"},
			}
	case config.StandInFluentd:
		return []string{"fluentd", "--config", t.local.Fluentd.MountPath}, nil
	case config.StandInPause:
		return []string{"pause"}, nil
	}
	return nil, nil
}

// standIns gives every service that runs a devenv stand-in (a fake listed
// in devenv.yaml, or an image replaced by a stand-in) the stand-in's
// command, health check and ports. For a replaced container, a production
// command or entry point is dropped, and the health check and each added
// port are reported.
func (t *translator) standIns() {
	for _, name := range slices.Sorted(maps.Keys(t.services)) {
		s := t.services[name]
		ext, _ := s.cfg.Extensions[ExtensionKey].(map[string]any)
		si, _ := ext["standIn"].(string)
		if si == "" {
			continue
		}
		command, ports := t.standInCommand(config.StandIn(si))
		fromTask := s.container != ""
		if fromTask {
			if len(s.cfg.Entrypoint) > 0 {
				t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.Next("entryPoint").String(), Kind: Dropped, Production: strings.Join(s.cfg.Entrypoint, " "), Local: "", Why: "the " + si + " stand-in image's entry point is the devenv binary"})
			}
			t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.Next("command").String(), Kind: Rewritten, Production: strings.Join(s.cfg.Command, " "), Local: strings.Join(command, " "), Why: "runs the " + si + " stand-in (the devenv binary is its image's entry point)"})
		}
		s.cfg.Entrypoint = nil
		s.cfg.Command = types.ShellCommand(command)
		if hc := standInHealthCheck(config.StandIn(si)); hc != nil {
			s.cfg.HealthCheck = hc
			if fromTask {
				why := "the " + si + " stand-in's health check (devenv healthcheck: its FROM scratch image has no shell or curl) replaces production's, which runs in the production image; it probes every second so that devenv up waits seconds, not ECS's 30 s"
				if s.prodHealth == "" {
					why = "the " + si + " stand-in gets a health check (devenv healthcheck: its FROM scratch image has no shell or curl) so that devenv up can wait until it serves; production has none"
				}
				t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.Next("healthCheck").String(), Kind: Rewritten, Production: s.prodHealth, Local: describeHealthCheck(hc), Why: why})
			}
		}
		if s.cfg.NetworkMode == "none" || s.cfg.NetworkMode == "host" {
			continue // no ports to publish
		}
		pubBy := s // in an awsvpc task, the namespace holder publishes
		if o := t.services[s.netOwner]; o != nil {
			pubBy = o
		}
		for _, p := range ports {
			key := portKey(p.port, p.proto)
			if slices.ContainsFunc(pubBy.cfg.Ports, func(pc types.ServicePortConfig) bool {
				return int(pc.Target) == p.port && pc.Protocol == p.proto
			}) {
				continue
			}
			pub := strconv.Itoa(p.port)
			pubBy.cfg.Ports = append(pubBy.cfg.Ports, types.ServicePortConfig{Target: uint32(p.port), Published: pub, Protocol: p.proto, HostIP: t.local.BindAddress, Mode: "ingress"})
			pubBy.published[key] = pub
			if fromTask {
				t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.Next("portMappings").String(), Kind: Rewritten, Production: "", Local: joinHostPort(t.local.BindAddress, pub) + ":" + key, Why: "published: " + p.why})
			}
		}
	}
}
