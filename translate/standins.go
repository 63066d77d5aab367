package translate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
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
// containers use (config.FakeS3Port, config.FakeTDPort, ...); the fakes
// keep their data in config.StandInDataDir (see standInData).
func (t *translator) standInCommand(s config.StandIn) ([]string, []standInPort) {
	addr := func(port int) string { return "0.0.0.0:" + strconv.Itoa(port) }
	data := []string{"--data-dir", config.StandInDataDir}
	switch s {
	case config.StandInFakeS3:
		return append([]string{"fake", "s3", "--addr", addr(config.FakeS3Port)}, data...),
			[]standInPort{{config.FakeS3Port, "tcp", "the fake S3 API and its /_devenv/ inspection API, reachable from the host for tests"}}
	case config.StandInFakeTD:
		return append([]string{"fake", "td", "--addr", addr(config.FakeTDPort)}, data...),
			[]standInPort{{config.FakeTDPort, "tcp", "the fake Treasure Data endpoints and its /_devenv/ inspection API, reachable from the host for tests"}}
	case config.StandInDatadogStub:
		return append([]string{"fake", "datadog", "--statsd-addr", addr(config.DatadogStatsDPort), "--apm-addr", addr(config.DatadogAPMPort)}, data...),
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
		if standInKeepsData(config.StandIn(si)) {
			t.standInData(name, s, si)
		}
		if hc := standInHealthCheck(config.StandIn(si)); hc != nil && !s.localHealth {
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

// standInKeepsData reports whether stand-in s runs with --data-dir
// config.StandInDataDir: the fakes do; fluentd and pause keep nothing.
func standInKeepsData(s config.StandIn) bool {
	return s == config.StandInFakeS3 || s == config.StandInFakeTD || s == config.StandInDatadogStub
}

// StandInVolumeSuffix names the volume a fake stand-in keeps its data on:
// <service>-data.
const StandInVolumeSuffix = "-data"

// standInData mounts the named volume <service>-data at
// config.StandInDataDir, where the fake's --data-dir points, and declares
// it in the project: what the fake received survives devenv down and up
// (Compose keeps named volumes), and devenv down -v removes it. A
// production mount at that path, which the stand-in does not read, gives
// way to it.
func (t *translator) standInData(name string, s *service, si string) {
	vol := name + StandInVolumeSuffix
	fromTask := s.container != ""
	if _, taken := t.volumes[vol]; taken {
		fix := ""
		if fromTask {
			fix = fmt.Sprintf(": give the service another name under services in %s, e.g. services: {%s/%s: {name: %s-stub}}", t.local.File, s.family, s.container, s.container)
		}
		t.fail(s.file, s.path, fieldpath.Invalidf("service %s runs the %s stand-in, which keeps its data on volume %q, the name of a task definition's shared volume too%s", name, si, vol, fix))
		return
	}
	var kept []types.ServiceVolumeConfig
	for _, v := range s.cfg.Volumes {
		if v.Target != config.StandInDataDir {
			kept = append(kept, v)
			continue
		}
		if fromTask {
			t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.Next("mountPoints").String(), Kind: Dropped, Production: cmp.Or(v.Source, string(v.Type)) + " at " + v.Target, Local: "", Why: "the " + si + " stand-in keeps its own data at " + config.StandInDataDir})
		}
	}
	s.cfg.Volumes = append(kept, types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Source: vol, Target: config.StandInDataDir})
	if t.volumes == nil {
		t.volumes = types.Volumes{}
	}
	t.volumes[vol] = types.VolumeConfig{}
	if fromTask {
		t.deviate(Deviation{File: s.file, Service: name, Container: s.container, Path: s.path.Next("mountPoints").String(), Kind: Rewritten, Production: "", Local: "volume " + vol + " at " + config.StandInDataDir,
			Why: "the " + si + " stand-in keeps what it received there (--data-dir " + config.StandInDataDir + "), so it survives devenv down and up; devenv down -v removes it"})
	}
}
