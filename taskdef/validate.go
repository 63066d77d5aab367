package taskdef

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/devenv-sh/devenv/internal/fieldpath"
)

// Values ECS accepts for enumerated fields.
var (
	networkModes          = []string{NetworkModeBridge, NetworkModeHost, NetworkModeAWSVPC, NetworkModeNone, NetworkModeDefault}
	pidModes              = []string{"host", "task"}
	ipcModes              = []string{"host", "task", "none"}
	compatibilities       = []string{"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"}
	statuses              = []string{"ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"}
	cpuArchitectures      = []string{"X86_64", "ARM64"}
	osFamilies            = []string{"LINUX", "WINDOWS_SERVER_2016_FULL", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2004_CORE", "WINDOWS_SERVER_20H2_CORE", "WINDOWS_SERVER_2022_CORE", "WINDOWS_SERVER_2022_FULL", "WINDOWS_SERVER_2025_CORE", "WINDOWS_SERVER_2025_FULL"}
	placementTypes        = []string{"memberOf"}
	proxyTypes            = []string{"APPMESH"}
	isolationModes        = []string{"SHARED", "ISOLATED_SANDBOX", "CONFIDENTIAL_SANDBOX"}
	targetTypes           = []string{"container-instance"}
	volumeScopes          = []string{"task", "shared"}
	enabledDisabled       = []string{"ENABLED", "DISABLED"}
	protocols             = []string{"tcp", "udp"}
	appProtocols          = []string{"http", "http2", "grpc"}
	conditions            = []string{ConditionStart, ConditionComplete, ConditionSuccess, ConditionHealthy}
	environmentFileTypes  = []string{"s3"}
	devicePermissions     = []string{"read", "write", "mknod"}
	resourceTypes         = []string{"GPU", "InferenceAccelerator", "NeuronDevice"}
	firelensTypes         = []string{"fluentd", "fluentbit"}
	versionConsistencies  = []string{"enabled", "disabled"}
	logDrivers            = []string{"json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens"}
	ulimitNames           = []string{"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}
	linuxCapabilities     = []string{"ALL", "AUDIT_CONTROL", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM"}
	nameRE                = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	taskCPURE             = regexp.MustCompile(`(?i)^\s*(\d+|\d*\.?\d+\s*vcpu)\s*$`)
	taskMemoryRE          = regexp.MustCompile(`(?i)^\s*(\d+|\d*\.?\d+\s*gb)\s*$`)
	portRangeRE           = regexp.MustCompile(`^(\d{1,5})-(\d{1,5})$`)
	minContainerMemoryMiB = 4
)

// check reports err at p unless a problem was already reported there or above.
func (d *decoder) check(p fieldpath.Path, err error) {
	if !d.reported(p) {
		d.fail(p, err)
	}
}

// enum reports v at p unless it is empty (absent) or one of allowed.
func (d *decoder) enum(p fieldpath.Path, v string, allowed []string) {
	if v == "" || slices.Contains(allowed, v) {
		return
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			d.check(p, fieldpath.Invalidf("invalid value %q; did you mean %q? (values are case-sensitive)", v, a))
			return
		}
	}
	d.check(p, fieldpath.Invalidf("invalid value %q; use one of %s", v, quoteList(allowed)))
}

// enums checks every element of vs with enum.
func (d *decoder) enums(p fieldpath.Path, vs []string, allowed []string) {
	for i, v := range vs {
		d.enum(p.Index(i), v, allowed)
	}
}

// between reports *v at p when it is set and outside [lo, hi].
func (d *decoder) between(p fieldpath.Path, v *int, lo, hi int, unit string) {
	if v != nil && (*v < lo || *v > hi) {
		d.check(p, fieldpath.Invalidf("%d is out of range; ECS accepts %d to %d%s", *v, lo, hi, unit))
	}
}

// quoteList renders values as "a", "b", "c".
func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// nameList renders names for a message like quoteList, listing at most 20.
func nameList(names []string) string {
	const limit = 20
	if len(names) <= limit {
		return quoteList(names)
	}
	return fmt.Sprintf("%s and %d more", quoteList(names[:limit]), len(names)-limit)
}

// validate checks what ECS checks beyond JSON types: names, references
// between containers and volumes, enumerations and ranges.
func (d *decoder) validate(t *TaskDefinition, base fieldpath.Path) {
	d.validateTask(t, base)
	volumes := d.validateVolumes(t.Volumes, base.Next("volumes"))
	containers := base.Next("containerDefinitions")
	if len(t.ContainerDefinitions) == 0 {
		d.check(containers, fieldpath.Invalidf("no containers; a task definition needs at least one container definition"))
		return
	}
	names := map[string]int{}
	var list []string
	for i, c := range t.ContainerDefinitions {
		if _, dup := names[c.Name]; !dup && c.Name != "" {
			names[c.Name] = i
			list = append(list, c.Name)
		}
	}
	volumeSet := make(map[string]bool, len(volumes))
	for _, v := range volumes {
		volumeSet[v] = true
	}
	refs := refs{names: names, list: nameList(list), volumes: volumeSet, volumeList: nameList(volumes)}
	essential := false
	for i := range t.ContainerDefinitions {
		c := &t.ContainerDefinitions[i]
		p := containers.Index(i).Named(c.Name)
		if first := names[c.Name]; c.Name != "" && first != i {
			d.check(p.Next("name"), fieldpath.Invalidf("duplicate container name %q (also %s); give each container a unique name", c.Name, containers.Index(first).Named(c.Name)))
		}
		d.validateContainer(t, c, p, refs)
		essential = essential || c.Essential == nil || *c.Essential
	}
	d.validateCycles(t, containers, names)
	if !essential {
		d.check(containers, fieldpath.Invalidf(`no essential container; mark at least one container "essential": true`))
	}
	if pc := t.ProxyConfiguration; pc != nil {
		d.enum(base.Next("proxyConfiguration").Next("type"), pc.Type, proxyTypes)
		d.ref(base.Next("proxyConfiguration").Next("containerName"), pc.ContainerName, "", refs)
	}
}

// refs are the names a container definition may refer to.
type refs struct {
	names      map[string]int  // container name → index
	list       string          // container names in order, for messages
	volumes    map[string]bool // volume names
	volumeList string          // volume names in order, for messages; "" if none
}

// ref checks that container name exists and is not self.
func (d *decoder) ref(p fieldpath.Path, name, self string, r refs) {
	if _, ok := r.names[name]; !ok {
		d.check(p, fieldpath.Invalidf("no container named %q in this task definition; use one of %s", name, r.list))
		return
	}
	if name == self {
		d.check(p, fieldpath.Invalidf("a container cannot refer to itself; name another container"))
	}
}

func (d *decoder) validateTask(t *TaskDefinition, base fieldpath.Path) {
	switch {
	case t.Family == "":
		d.check(base.Next("family"), fieldpath.Invalidf("must not be empty; name the task definition family"))
	case !nameRE.MatchString(t.Family):
		d.check(base.Next("family"), fieldpath.Invalidf("invalid family %q; use 1 to 255 letters, numbers, hyphens and underscores", truncate(t.Family)))
	}
	d.enum(base.Next("networkMode"), t.NetworkMode, networkModes)
	d.enum(base.Next("pidMode"), t.PidMode, pidModes)
	d.enum(base.Next("ipcMode"), t.IpcMode, ipcModes)
	d.enum(base.Next("status"), t.Status, statuses)
	d.enums(base.Next("requiresCompatibilities"), t.RequiresCompatibilities, compatibilities)
	d.enums(base.Next("compatibilities"), t.Compatibilities, compatibilities)
	if t.Cpu != nil && !taskCPURE.MatchString(*t.Cpu) {
		d.check(base.Next("cpu"), fieldpath.Invalidf("invalid task cpu %q; use CPU units (\"256\") or vCPUs (\"0.25 vCPU\")", truncate(*t.Cpu)))
	}
	if t.Memory != nil && !taskMemoryRE.MatchString(*t.Memory) {
		d.check(base.Next("memory"), fieldpath.Invalidf("invalid task memory %q; use MiB (\"512\") or GB (\"1 GB\")", truncate(*t.Memory)))
	}
	if rp := t.RuntimePlatform; rp != nil {
		d.enum(base.Next("runtimePlatform").Next("cpuArchitecture"), rp.CpuArchitecture, cpuArchitectures)
		d.enum(base.Next("runtimePlatform").Next("operatingSystemFamily"), rp.OperatingSystemFamily, osFamilies)
	}
	if es := t.EphemeralStorage; es != nil {
		v := es.SizeInGiB
		d.between(base.Next("ephemeralStorage").Next("sizeInGiB"), &v, 21, 200, " GiB")
	}
	for i, pc := range t.PlacementConstraints {
		d.enum(base.Next("placementConstraints").Index(i).Next("type"), pc.Type, placementTypes)
	}
	if tec := t.TrustedExecutionConfiguration; tec != nil {
		d.enum(base.Next("trustedExecutionConfiguration").Next("isolationMode"), tec.IsolationMode, isolationModes)
	}
	for i, a := range t.RequiresAttributes {
		d.enum(base.Next("requiresAttributes").Index(i).Next("targetType"), a.TargetType, targetTypes)
	}
}

// validateVolumes checks the task's volumes and returns their names.
func (d *decoder) validateVolumes(volumes []Volume, base fieldpath.Path) []string {
	seen := map[string]int{}
	var names []string
	for i, v := range volumes {
		p := base.Index(i)
		switch first, dup := seen[v.Name]; {
		case !nameRE.MatchString(v.Name):
			d.check(p.Next("name"), fieldpath.Invalidf("invalid volume name %q; use 1 to 255 letters, numbers, hyphens and underscores", truncate(v.Name)))
		case dup:
			d.check(p.Next("name"), fieldpath.Invalidf("duplicate volume name %q (also %s); give each volume a unique name", v.Name, base.Index(first)))
		default:
			seen[v.Name] = i
			names = append(names, v.Name)
		}
		var kinds []string
		if v.Host != nil {
			kinds = append(kinds, "host")
		}
		if dv := v.DockerVolumeConfiguration; dv != nil {
			kinds = append(kinds, "dockerVolumeConfiguration")
			d.enum(p.Next("dockerVolumeConfiguration").Next("scope"), dv.Scope, volumeScopes)
		}
		if ev := v.EfsVolumeConfiguration; ev != nil {
			kinds = append(kinds, "efsVolumeConfiguration")
			ep := p.Next("efsVolumeConfiguration")
			d.enum(ep.Next("transitEncryption"), ev.TransitEncryption, enabledDisabled)
			if ev.AuthorizationConfig != nil {
				d.enum(ep.Next("authorizationConfig").Next("iam"), ev.AuthorizationConfig.Iam, enabledDisabled)
			}
			d.between(ep.Next("transitEncryptionPort"), ev.TransitEncryptionPort, 1, 65535, "")
		}
		if v.FsxWindowsFileServerVolumeConfiguration != nil {
			kinds = append(kinds, "fsxWindowsFileServerVolumeConfiguration")
		}
		if v.S3filesVolumeConfiguration != nil {
			kinds = append(kinds, "s3filesVolumeConfiguration")
		}
		if len(kinds) > 1 {
			d.check(p, fieldpath.Invalidf("volume sets %s; keep only one of them", strings.Join(kinds, " and ")))
		}
	}
	return names
}

func (d *decoder) validateContainer(t *TaskDefinition, c *ContainerDefinition, p fieldpath.Path, r refs) {
	switch {
	case c.Name == "":
		d.check(p.Next("name"), fieldpath.Invalidf("must not be empty; name the container"))
	case !nameRE.MatchString(c.Name):
		d.check(p.Next("name"), fieldpath.Invalidf("invalid container name %q; use 1 to 255 letters, numbers, hyphens and underscores", truncate(c.Name)))
	}
	if c.Image == "" {
		d.check(p.Next("image"), fieldpath.Invalidf(`must not be empty; name the image to run, e.g. "nginx:1.27"`))
	}
	if c.Cpu != nil && *c.Cpu < 0 {
		d.check(p.Next("cpu"), fieldpath.Invalidf("%d is negative; use 0 or more CPU units", *c.Cpu))
	}
	if c.Memory != nil && *c.Memory < minContainerMemoryMiB {
		d.check(p.Next("memory"), fieldpath.Invalidf("%d MiB is below the %d MiB minimum of any Docker daemon; raise it", *c.Memory, minContainerMemoryMiB))
	}
	if c.MemoryReservation != nil && *c.MemoryReservation < minContainerMemoryMiB {
		d.check(p.Next("memoryReservation"), fieldpath.Invalidf("%d MiB is below the %d MiB minimum of any Docker daemon; raise it", *c.MemoryReservation, minContainerMemoryMiB))
	} else if c.MemoryReservation != nil && c.Memory != nil && *c.MemoryReservation > *c.Memory {
		d.check(p.Next("memoryReservation"), fieldpath.Invalidf("%d MiB is above memory (%d MiB); lower it or raise memory", *c.MemoryReservation, *c.Memory))
	}
	d.validateLinks(t, c, p.Next("links"), r)
	d.validatePorts(t, c, p.Next("portMappings"))
	for i, dep := range c.DependsOn {
		dp := p.Next("dependsOn").Index(i)
		d.ref(dp.Next("containerName"), dep.ContainerName, c.Name, r)
		d.enum(dp.Next("condition"), dep.Condition, conditions)
		if j, ok := r.names[dep.ContainerName]; ok && dep.Condition == ConditionHealthy {
			switch hc := t.ContainerDefinitions[j].HealthCheck; {
			case hc == nil || len(hc.Command) == 0 || hc.Command[0] == "NONE":
				d.check(dp.Next("condition"), fieldpath.Invalidf("HEALTHY needs a health check on %q, which has none (or NONE), so it never becomes healthy; add one there or wait for START", dep.ContainerName))
			case !RunsHealthCheck(hc.Command):
				d.check(dp.Next("condition"), fieldpath.Invalidf("HEALTHY waits for %q, whose health check starts with %q, which Docker never runs (only CMD and CMD-SHELL), so it never becomes healthy on ECS either; start that command with \"CMD\" (or \"CMD-SHELL\") or wait for START", dep.ContainerName, truncate(hc.Command[0])))
			}
		}
	}
	for i, vf := range c.VolumesFrom {
		d.ref(p.Next("volumesFrom").Index(i).Next("sourceContainer"), vf.SourceContainer, c.Name, r)
	}
	for i, mp := range c.MountPoints {
		mpp := p.Next("mountPoints").Index(i)
		if !r.volumes[mp.SourceVolume] {
			msg := "the task has no volumes; add one to the task's \"volumes\" or remove this mount point"
			if r.volumeList != "" {
				msg = "use one of " + r.volumeList + ", or add the volume to the task's \"volumes\""
			}
			d.check(mpp.Next("sourceVolume"), fieldpath.Invalidf("no volume named %q in this task definition; %s", mp.SourceVolume, msg))
		}
		if mp.ContainerPath == "" {
			d.check(mpp.Next("containerPath"), fieldpath.Invalidf("must not be empty; give the path inside the container"))
		}
	}
	for i, kv := range c.Environment {
		d.varName(p.Next("environment").Index(i).Next("name"), deref(kv.Name))
	}
	for i, sec := range c.Secrets {
		d.varName(p.Next("secrets").Index(i).Next("name"), sec.Name)
	}
	for i, ef := range c.EnvironmentFiles {
		d.enum(p.Next("environmentFiles").Index(i).Next("type"), ef.Type, environmentFileTypes)
	}
	d.validateLinux(c.LinuxParameters, p.Next("linuxParameters"))
	for i, u := range c.Ulimits {
		up := p.Next("ulimits").Index(i)
		d.enum(up.Next("name"), u.Name, ulimitNames)
		if u.SoftLimit > u.HardLimit && !d.reported(up.Next("hardLimit")) {
			d.check(up.Next("softLimit"), fieldpath.Invalidf("%d is above hardLimit (%d); lower it or raise hardLimit", u.SoftLimit, u.HardLimit))
		}
	}
	if lc := c.LogConfiguration; lc != nil {
		d.enum(p.Next("logConfiguration").Next("logDriver"), lc.LogDriver, logDrivers)
	}
	if hc := c.HealthCheck; hc != nil {
		hp := p.Next("healthCheck")
		switch {
		case len(hc.Command) == 0:
			d.check(hp.Next("command"), fieldpath.Invalidf(`must not be empty; use ["CMD", "executable", "arg"] or ["CMD-SHELL", "shell command"]`))
		}
		// Any other first element is accepted, as register-task-definition
		// accepts it; RunsHealthCheck says what Docker then does with it.
		d.between(hp.Next("interval"), hc.Interval, 5, 300, " seconds")
		d.between(hp.Next("timeout"), hc.Timeout, 2, 120, " seconds")
		d.between(hp.Next("retries"), hc.Retries, 1, 10, "")
		d.between(hp.Next("startPeriod"), hc.StartPeriod, 0, 300, " seconds")
	}
	for i, rr := range c.ResourceRequirements {
		d.enum(p.Next("resourceRequirements").Index(i).Next("type"), rr.Type, resourceTypes)
	}
	if fc := c.FirelensConfiguration; fc != nil {
		d.enum(p.Next("firelensConfiguration").Next("type"), fc.Type, firelensTypes)
	}
	d.enum(p.Next("versionConsistency"), c.VersionConsistency, versionConsistencies)
	d.between(p.Next("startTimeout"), c.StartTimeout, 0, 1<<31-1, " seconds")
	d.between(p.Next("stopTimeout"), c.StopTimeout, 0, 1<<31-1, " seconds")
	if rp := c.RestartPolicy; rp != nil {
		d.between(p.Next("restartPolicy").Next("restartAttemptPeriod"), rp.RestartAttemptPeriod, 60, 1800, " seconds")
	}
}

// varName checks an environment variable name (environment or secrets):
// Docker passes NAME=value, so a name cannot be empty or hold '=' or NUL.
func (d *decoder) varName(p fieldpath.Path, name string) {
	switch {
	case name == "":
		d.check(p, fieldpath.Invalidf("must not be empty; name the environment variable"))
	case strings.ContainsAny(name, "=\x00"):
		d.check(p, fieldpath.Invalidf("invalid variable name %q; a name cannot contain '=' or NUL", truncate(name)))
	}
}

// RunsHealthCheck reports whether Docker runs a health check whose test is
// command: one that starts with CMD or CMD-SHELL. ECS registers any first
// element, and its agent hands the command to Docker unchanged as the
// container's Config.Healthcheck.Test (agent/api/task: the backend's
// container config is unmarshalled as is; its TestContainerHealthConfig
// passes Test ["command"] through). Docker's daemon (moby daemon/health.go,
// getProbe) has a probe only for CMD and CMD-SHELL: for any other first
// element it logs "Unknown healthcheck type" and runs nothing: the
// container's health is never healthy or unhealthy (Docker Engine 20.10
// gives it no health state; moby versions that set one leave it
// "starting"), which the ECS agent does not report (dockerapi: metadata
// for "" or "starting" carries no health), so ECS shows the container's
// health as UNKNOWN for as long as it runs. The test still
// replaces the image's own HEALTHCHECK (moby merges the image's only when
// Test is empty). NONE is "no health check" and is not reported here.
func RunsHealthCheck(command []string) bool {
	return len(command) > 0 && (command[0] == "CMD" || command[0] == "CMD-SHELL")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// validateLinks checks "name" and "name:alias" links.
func (d *decoder) validateLinks(t *TaskDefinition, c *ContainerDefinition, p fieldpath.Path, r refs) {
	if len(c.Links) > 0 && t.NetworkMode == NetworkModeAWSVPC {
		d.check(p, fieldpath.Invalidf("links are not supported in awsvpc network mode, where containers reach each other on localhost; remove them"))
		return
	}
	for i, link := range c.Links {
		name, alias, hasAlias := strings.Cut(link, ":")
		if hasAlias && !nameRE.MatchString(alias) {
			d.check(p.Index(i), fieldpath.Invalidf("invalid link %q; write \"container\" or \"container:alias\"", truncate(link)))
			continue
		}
		d.ref(p.Index(i), name, c.Name, r)
	}
}

func (d *decoder) validatePorts(t *TaskDefinition, c *ContainerDefinition, p fieldpath.Path) {
	if len(c.PortMappings) > 0 && t.NetworkMode == NetworkModeNone {
		d.check(p, fieldpath.Invalidf(`port mappings are not allowed in network mode "none"; remove them or change the network mode`))
		return
	}
	for i, pm := range c.PortMappings {
		pp := p.Index(i)
		switch {
		case pm.ContainerPort == nil && pm.ContainerPortRange == nil:
			d.check(pp.Next("containerPort"), fieldpath.Invalidf("required field is missing; add it (or a containerPortRange)"))
		case pm.ContainerPort != nil && pm.ContainerPortRange != nil:
			d.check(pp, fieldpath.Invalidf("sets both containerPort and containerPortRange; keep only one"))
		case pm.ContainerPortRange != nil:
			d.validatePortRange(pp.Next("containerPortRange"), *pm.ContainerPortRange)
		}
		d.between(pp.Next("containerPort"), pm.ContainerPort, 1, 65535, "")
		d.between(pp.Next("hostPort"), pm.HostPort, 0, 65535, "")
		samePort := t.NetworkMode == NetworkModeAWSVPC || t.NetworkMode == NetworkModeHost
		if samePort && pm.HostPort != nil && pm.ContainerPort != nil && *pm.HostPort != *pm.ContainerPort {
			d.check(pp.Next("hostPort"), fieldpath.Invalidf("%d differs from containerPort (%d), which %s network mode does not allow; remove hostPort or set it to %d", *pm.HostPort, *pm.ContainerPort, t.NetworkMode, *pm.ContainerPort))
		}
		d.enum(pp.Next("protocol"), pm.Protocol, protocols)
		d.enum(pp.Next("appProtocol"), pm.AppProtocol, appProtocols)
	}
}

func (d *decoder) validatePortRange(p fieldpath.Path, r string) {
	m := portRangeRE.FindStringSubmatch(r)
	if m != nil {
		lo, _ := strconv.Atoi(m[1])
		hi, _ := strconv.Atoi(m[2])
		if 1 <= lo && lo < hi && hi <= 65535 {
			return
		}
	}
	d.check(p, fieldpath.Invalidf(`invalid port range %q; write "first-last" with 1 <= first < last <= 65535, e.g. "8000-8010"`, truncate(r)))
}

func (d *decoder) validateLinux(lp *LinuxParameters, p fieldpath.Path) {
	if lp == nil {
		return
	}
	if caps := lp.Capabilities; caps != nil {
		d.enums(p.Next("capabilities").Next("add"), caps.Add, linuxCapabilities)
		d.enums(p.Next("capabilities").Next("drop"), caps.Drop, linuxCapabilities)
	}
	for i, dev := range lp.Devices {
		d.enums(p.Next("devices").Index(i).Next("permissions"), dev.Permissions, devicePermissions)
	}
	for i, tmp := range lp.Tmpfs {
		size := tmp.Size
		d.between(p.Next("tmpfs").Index(i).Next("size"), &size, 1, 1<<31-1, " MiB")
	}
	d.between(p.Next("sharedMemorySize"), lp.SharedMemorySize, 0, 1<<31-1, " MiB")
	d.between(p.Next("maxSwap"), lp.MaxSwap, 0, 1<<31-1, " MiB")
	d.between(p.Next("swappiness"), lp.Swappiness, 0, 100, "")
}
