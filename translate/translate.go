// Package translate turns decoded ECS task definitions and the local settings
// into a Compose project and a report of every way the local stack differs
// from production.
//
// Translate is pure: it reads nothing but its arguments (no files, network,
// clock or environment) and logs nothing; deviations are returned as data.
// The mapping of every task definition field lives in Mapping (mapping.go)
// and is rendered in docs/mapping.md.
package translate

import (
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/internal/suggest"
	"github.com/devenv-sh/devenv/secretpolicy"
	"github.com/devenv-sh/devenv/taskdef"
)

// ExtensionKey is the service extension carrying what `devenv up` needs and
// Compose has no field for: the task family, essential, image build rules.
const ExtensionKey = "x-devenv"

var serviceName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Translate converts defs into a Compose project named local.Project and the
// deviation report. defs must come from taskdef.Decode or taskdef.Load,
// which guarantee what Translate does not check again: at least one
// container, references (dependsOn, links, volumesFrom, sourceVolume) to
// existing containers and volumes without cycles, known enumerations
// (conditions, protocols), port numbers and ranges, non-empty health check
// commands and environment names. It does not modify defs or local, and the project
// shares no maps or slices with them. Every error found is returned, joined; each is a
// *fieldpath.FieldError naming file, container and field. On error the
// project is nil. When local names a fluentd configuration
// (local.Fluentd.Config), its local copy must be given with
// WithFluentdConfig.
func Translate(defs []taskdef.Def, local config.Local, opts ...Option) (*types.Project, Report, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	t := &translator{local: local, services: map[string]*service{}, usedRules: map[string]bool{}, used: map[string]bool{}, holderOf: map[string]string{}, networks: map[string]bool{}}
	if local.BindAddress == "" {
		t.local.BindAddress = config.DefaultBindAddress
	}
	if local.Project == "" {
		t.local.Project = config.DefaultProject
	}
	if len(defs) == 0 {
		return nil, nil, fieldpath.Invalidf("no task definitions to translate: give --taskdefs or list them under taskdefs in devenv.yaml")
	}
	for _, d := range defs {
		if d.Task.NetworkMode == taskdef.NetworkModeAWSVPC {
			for _, c := range d.Task.ContainerDefinitions {
				t.holderOf[local.ServiceName(d.Task.Family, c.Name)] = d.Task.Family + HolderSuffix
			}
		}
	}
	for i := range defs {
		t.task(&defs[i])
	}
	t.checkServiceRules()
	t.fakes()
	t.shareServices()
	t.standIns()
	t.mountFluentdConfig(o.fluentd)
	t.wireLogging()
	t.checkUnused(defs, o.rest)
	t.sortPorts()
	t.checkPorts()
	t.checkCycles() // a cycle among the services made is one of the whole project too
	if len(t.errs) > 0 {
		return nil, nil, errors.Join(t.errs...)
	}
	p := &types.Project{Name: t.local.Project, Services: types.Services{}}
	for _, name := range slices.Sorted(maps.Keys(t.services)) {
		p.Services[name] = t.services[name].cfg
	}
	if len(t.volumes) > 0 {
		p.Volumes = t.volumes
	}
	p.Networks = t.projectNetworks()
	sortReport(t.report)
	return p, t.report, nil
}

type translator struct {
	local    config.Local
	services map[string]*service
	volumes  types.Volumes
	report   Report
	errs     []error
	// usedRules records the devenv.yaml services entries ("family/container")
	// and ports ("family/container 8080/tcp") that matched.
	usedRules map[string]bool
	// used records the other devenv.yaml entries that took effect, by key
	// path (see use), for checkUnused.
	used map[string]bool
	// holderOf maps the services of awsvpc tasks to their namespace holder.
	holderOf map[string]string
	// networks are the task networks in use.
	networks map[string]bool
}

// service is a Compose service being built, with where it came from.
type service struct {
	cfg       types.ServiceConfig
	file      string
	family    string // the task family ("" for a fake)
	container string
	path      fieldpath.Path
	// netOwner is the service whose network namespace this one joins ("" if own).
	netOwner string
	// published maps "containerPort/protocol" to the fixed host port, for
	// resolving host rules (fluentd log driver addresses).
	published map[string]string
	// portOwner maps "containerPort/protocol" to the task container whose
	// port a namespace holder publishes.
	portOwner map[string]string
	// logPath is where the fluentd log configuration is, for wireLogging.
	logPath fieldpath.Path
	// prodHealth describes the task definition's health check, for the
	// report when a stand-in's replaces it ("" when there is none).
	prodHealth string
	// localHealth is set when devenv.yaml's services entry gives the
	// health check, which no stand-in's replaces.
	localHealth bool
}

// task translates one task definition.
type task struct {
	t     *translator
	def   *taskdef.Def
	td    *taskdef.TaskDefinition
	mode  string // effective network mode
	owner string // the namespace holder service ("" when the task has none)
	vols  map[string]*taskdef.Volume
}

// standIn is the stand-in the service runs ("" for none).
func (s *service) standIn() config.StandIn {
	ext, _ := s.cfg.Extensions[ExtensionKey].(map[string]any)
	si, _ := ext["standIn"].(string)
	return config.StandIn(si)
}

func (t *translator) fail(file string, p fieldpath.Path, err error) {
	t.errs = append(t.errs, fieldpath.At(file, p, err))
}

// deviate records d. Whatever its caller put in Production and Why, the
// secrets secretpolicy finds there are replaced: a production value shown
// in the report never shows a secret. Local is what the generated file or
// devenv.yaml holds, already redacted where it came from production.
func (t *translator) deviate(d Deviation) {
	d.Production, _ = secretpolicy.Redact(d.Production)
	d.Why, _ = secretpolicy.Redact(d.Why)
	t.report = append(t.report, d)
}

func (tk *task) deviate(c *taskdef.ContainerDefinition, p fieldpath.Path, kind Kind, prod, local, why string) {
	d := Deviation{File: tk.def.File, Path: p.String(), Kind: kind, Production: prod, Local: local, Why: why}
	if c != nil {
		d.Service, d.Container = tk.t.local.ServiceName(tk.td.Family, c.Name), c.Name
	}
	tk.t.deviate(d)
}

func (t *translator) task(def *taskdef.Def) {
	def = t.redactDef(def)
	td := &def.Task
	tk := &task{t: t, def: def, td: td, vols: map[string]*taskdef.Volume{}}
	for i := range td.Volumes {
		tk.vols[td.Volumes[i].Name] = &td.Volumes[i]
	}
	tk.mode = td.NetworkMode
	if tk.mode == "" {
		tk.mode = taskdef.NetworkModeBridge
	}
	tk.addHolder()
	tk.taskFields()
	for i := range td.ContainerDefinitions {
		tk.container(i)
	}
	tk.reportSidecars()
}

// HolderSuffix names the namespace holder of a task: <family>-pause.
const HolderSuffix = "-pause"

// addHolder adds the service that holds the task's shared namespaces when
// the task has any (awsvpc network, pidMode or ipcMode task), as the ECS
// pause container does: a devenv stand-in running `devenv pause`, started
// before and independent of every task container. Each container joins it
// (network_mode, pid, ipc service:<holder>) and, in awsvpc mode, the
// holder publishes the ports of the whole task. No task container owns a
// namespace, so a one-shot container (essential false, or awaited with
// SUCCESS/COMPLETE) exiting does not take the namespace with it.
func (tk *task) addHolder() {
	td := tk.td
	if tk.mode != taskdef.NetworkModeAWSVPC && td.PidMode != "task" && td.IpcMode != "task" {
		return
	}
	t := tk.t
	name := td.Family + HolderSuffix
	if prev, ok := t.services[name]; ok {
		t.fail(tk.def.File, tk.def.Root().Next("family"), fieldpath.Invalidf("the namespace holder of task %s would be service %q, which %s already uses: rename that container under services in %s", td.Family, name, prev.file, t.local.File))
		return
	}
	tk.owner = name
	s := &service{file: tk.def.File, family: td.Family, published: map[string]string{}, portOwner: map[string]string{}, cfg: types.ServiceConfig{
		Name:          name,
		ContainerSpec: types.ContainerSpec{Image: standInImage(config.StandInPause), PullPolicy: types.PullPolicyNever},
		Extensions:    types.Extensions{ExtensionKey: map[string]any{"task": td.Family, "essential": false, "standIn": string(config.StandInPause)}},
	}}
	if td.IpcMode == "task" {
		s.cfg.Ipc = "shareable"
	}
	if tk.mode == taskdef.NetworkModeHost || tk.mode == taskdef.NetworkModeNone {
		s.cfg.NetworkMode = tk.mode
	}
	tk.joinTaskNetwork(s)
	t.services[name] = s
	if tk.mode == taskdef.NetworkModeAWSVPC {
		tk.deviate(nil, tk.def.Root().Next("networkMode"), Rewritten, "awsvpc", "service "+name+" holds the network namespace",
			"devenv adds a pause container ("+standInImage(config.StandInPause)+", running devenv pause) that holds the task's network namespace and publishes its ports, as the ECS pause container does; every container joins it and reaches the others on localhost")
	}
}

func (tk *task) containerPath(i int) fieldpath.Path {
	return tk.def.Root().Next("containerDefinitions").Index(i).Named(tk.td.ContainerDefinitions[i].Name)
}

func (tk *task) container(i int) {
	c := &tk.td.ContainerDefinitions[i]
	p := tk.containerPath(i)
	t := tk.t
	if !serviceName.MatchString(c.Name) {
		t.fail(tk.def.File, p.Next("name"), fieldpath.Invalidf("%q is not a valid Compose service name: use letters, digits, '-', '_' and '.', starting with a letter or digit", c.Name))
		return
	}
	name := tk.svc(c.Name)
	if prev, ok := t.services[name]; ok {
		t.fail(tk.def.File, p.Next("name"), fieldpath.Invalidf("service name %q is also used in %s: Compose service names must be unique across task definitions; give this container another service name under services in %s, e.g. services: {%s/%s: {name: %s-%s}}", name, prev.file, t.local.File, tk.td.Family, c.Name, tk.td.Family, c.Name))
		return
	}
	s := &service{file: tk.def.File, family: tk.td.Family, container: c.Name, path: p, published: map[string]string{}, prodHealth: describeECSHealthCheck(c.HealthCheck)}
	if name != c.Name {
		tk.deviate(c, p.Next("name"), Rewritten, c.Name, name, "service name chosen under services in "+t.local.File+"; links keep "+c.Name+" as an alias")
	}
	if tk.mode == taskdef.NetworkModeAWSVPC {
		s.netOwner = tk.owner
	}
	cs := tk.containerSpec(c, p, s)
	ws := tk.workloadSpec(c, p, s)
	s.cfg = types.ServiceConfig{
		Name:          name,
		Restart:       tk.convertRestartPolicy(c, p),
		Links:         tk.convertLinks(c, p, s),
		ContainerSpec: cs,
		WorkloadSpec:  ws,
		Extensions:    types.Extensions{ExtensionKey: tk.convertExtension(c)},
	}
	tk.joinTaskNetwork(s)
	tk.reportEssential(c, p)
	tk.convertImage(c, p, &s.cfg)
	tk.droppedContainerFields(c, p)
	tk.reportPlaceholders(c, p)
	t.services[name] = s
}

// svc returns the Compose service name of one of the task's containers
// (devenv.yaml services.<family>/<container>.name, else the container name)
// and records that the rule was used.
func (tk *task) svc(container string) string {
	key := tk.td.Family + "/" + container
	if _, ok := tk.t.local.Services[key]; ok {
		tk.t.usedRules[key] = true
	}
	return tk.t.local.ServiceName(tk.td.Family, container)
}

// checkServiceRules fails on devenv.yaml services entries that name no
// container, or a port the container does not publish: a typo there would
// otherwise be silently ignored.
func (t *translator) checkServiceRules() {
	var containers []string
	for _, s := range t.services {
		if s.family != "" {
			containers = append(containers, s.family+"/"+s.container)
		}
	}
	slices.Sort(containers)
	for _, key := range slices.Sorted(maps.Keys(t.local.Services)) {
		if !t.usedRules[key] {
			t.failLocal(fieldpath.Invalidf("no task definition has container %s (family/container)%s: fix the entry or remove it", key, suggest.Hint(key, containers)), "services", key)
			continue
		}
		for _, pk := range slices.Sorted(maps.Keys(t.local.Services[key].Ports)) {
			if !t.usedRules[key+" "+pk] {
				t.failLocal(fieldpath.Invalidf("container %s publishes no container port %s: fix the port or remove it", key, pk), "services", key, "ports", pk)
			}
		}
	}
}

func (tk *task) containerSpec(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) types.ContainerSpec {
	return types.ContainerSpec{
		Command:         types.ShellCommand(tk.redactList(c, p.Next("command"), c.Command)),
		Entrypoint:      types.ShellCommand(tk.redactList(c, p.Next("entryPoint"), c.EntryPoint)),
		Environment:     tk.convertEnvironment(c, p),
		EnvFiles:        tk.convertEnvironmentFiles(c, p),
		WorkingDir:      deref(c.WorkingDirectory),
		User:            deref(c.User),
		Hostname:        tk.convertHostname(c, p, s),
		ExtraHosts:      tk.convertExtraHosts(c, p, s),
		DNS:             tk.convertDNS(c.DnsServers, c, p.Next("dnsServers"), s),
		DNSSearch:       tk.convertDNS(c.DnsSearchDomains, c, p.Next("dnsSearchDomains"), s),
		Labels:          types.Labels(tk.redactMap(c, p.Next("dockerLabels"), c.DockerLabels)),
		SecurityOpt:     slices.Clone(c.DockerSecurityOptions),
		Ulimits:         convertUlimits(c.Ulimits),
		Privileged:      derefBool(c.Privileged),
		ReadOnly:        derefBool(c.ReadonlyRootFilesystem),
		StopGracePeriod: seconds(c.StopTimeout),
		Sysctls:         tk.convertSystemControls(c, p, s),
		CapAdd:          capabilities(c.LinuxParameters, true),
		CapDrop:         capabilities(c.LinuxParameters, false),
		Devices:         convertDevices(c.LinuxParameters),
		Init:            initProcess(c.LinuxParameters),
		ShmSize:         sharedMemory(c.LinuxParameters),
		MemSwapLimit:    tk.convertMaxSwap(c, p),
		MemSwappiness:   swappiness(c.LinuxParameters),
		CPUShares:       tk.convertCPU(c, p),
		MemLimit:        tk.convertMemory(c, p.Next("memory"), c.Memory),
		MemReservation:  tk.convertMemory(c, p.Next("memoryReservation"), c.MemoryReservation),
		NetworkMode:     tk.convertNetworkMode(c, p, s),
		Pid:             tk.convertPidMode(),
		Ipc:             tk.convertIpcMode(),
		Platform:        tk.convertPlatform(),
		Logging:         tk.convertLogConfiguration(c, p, s),
		Volumes:         tk.convertMountPoints(c, p),
		VolumesFrom:     tk.convertVolumesFrom(c, p),
	}
}

func (tk *task) workloadSpec(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) types.WorkloadSpec {
	return types.WorkloadSpec{
		DependsOn:   tk.convertDependsOn(c, p),
		HealthCheck: tk.healthCheck(c, p, s),
		Ports:       tk.convertPortMappings(c, p, s),
		StdinOpen:   derefBool(c.Interactive),
		Tty:         derefBool(c.PseudoTerminal),
	}
}

// reportEssential says how far the local stack keeps ECS's rule for an
// essential container, which Compose lacks: when it exits, ECS stops the
// whole task.
func (tk *task) reportEssential(c *taskdef.ContainerDefinition, p fieldpath.Path) {
	if c.Essential != nil && !*c.Essential {
		return
	}
	prod := "true"
	if c.Essential == nil {
		prod = "true (ECS's default)"
	}
	tk.deviate(c, p.Next("essential"), Rewritten, prod, "x-devenv.essential: true",
		"ECS stops the task when this container exits; attached devenv up does the same to the task's containers, devenv up -d cannot (Compose has no such rule)")
}

// convertExtension records what Compose cannot express but `devenv up`
// honours: the task family and whether the container is essential.
func (tk *task) convertExtension(c *taskdef.ContainerDefinition) map[string]any {
	essential := c.Essential == nil || *c.Essential
	return map[string]any{"task": tk.td.Family, "essential": essential}
}

func (t *translator) fakes() {
	for _, f := range t.local.Fakes {
		name := string(f)
		if prev, ok := t.services[name]; ok {
			t.fail(prev.file, prev.path.Next("name"), fieldpath.Invalidf("container %q has the name of the devenv fake %s listed under fakes in devenv.yaml: rename the container or remove the fake", name, name))
			continue
		}
		t.services[name] = &service{
			file: t.local.File,
			cfg: types.ServiceConfig{
				Name:          name,
				ContainerSpec: types.ContainerSpec{Image: standInImage(f), PullPolicy: types.PullPolicyNever},
				Extensions:    types.Extensions{ExtensionKey: map[string]any{"standIn": name}},
			},
			published: map[string]string{},
		}
	}
}

func standInImage(s config.StandIn) string { return "devenv/" + string(s) + ":local" }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefBool(b *bool) bool { return b != nil && *b }

func joinList(l []string) string { return strings.Join(l, ", ") }

func itoa(i int) string { return strconv.Itoa(i) }
