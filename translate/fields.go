package translate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/secretpolicy"
	"github.com/devenv-sh/devenv/taskdef"
)

// convertImage maps the production image through devenv.yaml's image rules.
// An image without a rule is kept as is, as Docker pulls it: an ECR image
// too (pull_policy missing, reported), which pulls once Docker is logged in
// to its registry. Only a reference Docker cannot pull at all (a
// placeholder such as <IMAGE1_NAME>) is an error, naming every way out.
func (tk *task) convertImage(c *taskdef.ContainerDefinition, p fieldpath.Path, svc *types.ServiceConfig) {
	p = p.Next("image")
	ext := svc.Extensions[ExtensionKey].(map[string]any)
	rule, ok := tk.t.local.ImageRule(c.Image)
	if ok {
		tk.t.use("images", rule.Match)
	}
	if err := imageError(tk.t.local, c.Image); err != nil {
		tk.t.fail(tk.def.File, p, err)
		return
	}
	if !ok {
		svc.Image = c.Image
		if login, ecr := config.ECRLogin(c.Image); ecr {
			svc.PullPolicy = types.PullPolicyMissing
			tk.deviate(c, p, Rewritten, c.Image+" (ECS pulls it with the execution or instance role)", c.Image+" (pulled with your Docker login, pull_policy: missing)",
				"no rule under images in "+tk.t.local.File+" matches this ECR image, so devenv up pulls it unless it is already here: it needs an ECR login first ("+login+"), or a rule under images: build, go or standIn to run something local instead, or pull: true to keep it without this line")
		}
		return
	}
	switch rule.Action {
	case config.ActionPull:
		svc.Image = c.Image
	case config.ActionBuild:
		svc.Image = localImage(svc.Name)
		b := &types.BuildConfig{Context: rule.Build.Context, Dockerfile: rule.Build.Dockerfile, Target: rule.Build.Target}
		if len(rule.Build.Args) > 0 {
			b.Args = types.MappingWithEquals{}
			for k, v := range rule.Build.Args {
				b.Args[k] = &v
			}
		}
		svc.Build = b
		svc.PullPolicy = types.PullPolicyBuild
		tk.deviate(c, p, Rewritten, c.Image, "build "+rule.Build.Context, "devenv.yaml maps image "+rule.Match+" to a local Docker build")
	case config.ActionGo:
		svc.Image = localImage(svc.Name)
		svc.PullPolicy = types.PullPolicyNever
		ext["go"] = rule.GoPackage
		tk.deviate(c, p, Rewritten, c.Image, "go build "+rule.GoPackage, "devenv.yaml maps image "+rule.Match+" to a Go main package built into a FROM scratch image by devenv up")
	case config.ActionStandIn:
		svc.Image = standInImage(rule.StandIn)
		svc.PullPolicy = types.PullPolicyNever
		ext["standIn"] = string(rule.StandIn)
		tk.deviate(c, p, Rewritten, c.Image, "stand-in "+string(rule.StandIn), "devenv.yaml replaces image "+rule.Match+" with a devenv stand-in")
	}
	if rule.Fallback != "" {
		ext["fallback"] = string(rule.Fallback)
	}
	if rule.Fallback == config.StandInFluentd || rule.StandIn == config.StandInFluentd {
		// The fluentd emulator reads the configuration where the image does.
		ext["fluentdConfig"] = tk.t.local.Fluentd.MountPath
	}
}

// imageError is the error for a production image that local's image
// rules leave to Docker although Docker cannot pull it (a placeholder such
// as <IMAGE1_NAME>, a <region> in an ECR host), naming every way out; nil
// when the image is fine or a rule builds or replaces it.
func imageError(local config.Local, image string) error {
	if validImageRef(image) {
		return nil
	}
	rule, ok := local.ImageRule(image)
	switch {
	case !ok:
		return fieldpath.Invalidf("%q is not an image reference Docker can pull: fix the task definition, or add a rule matching it to the images list of %s, e.g. {match: %q, build: {context: <folder>}}, or go: ./path/to/main, or standIn: <%s>; pull: true cannot keep it, since Docker cannot pull it", image, local.File, config.Repository(image).Path, standInList())
	case rule.Action == config.ActionPull:
		return fieldpath.Invalidf("%q is not an image reference Docker can pull, yet %s keeps it (pull: true, match %s): give that rule build: {context: <folder>}, go: ./path/to/main or standIn: <%s> instead of pull: true, or fix the task definition", image, local.File, rule.Match, standInList())
	}
	return nil
}

// CheckImages returns the image errors Translate would report for defs,
// which may be task definitions taskdef rejected (taskdef.Rejected): the
// image checks depend on nothing validation guarantees, so one run reports
// them together with the task definitions' own problems.
func CheckImages(defs []taskdef.Def, local config.Local) error {
	var errs []error
	for _, d := range defs {
		for i, c := range d.Task.ContainerDefinitions {
			if err := imageError(local, c.Image); err != nil {
				errs = append(errs, fieldpath.At(d.File, d.Root().Next("containerDefinitions").Index(i).Named(c.Name).Next("image"), err))
			}
		}
	}
	return errors.Join(errs...)
}

// standInList renders the stand-ins devenv.yaml may name: "a | b | c".
func standInList() string {
	names := make([]string, len(config.StandIns))
	for i, s := range config.StandIns {
		names[i] = string(s)
	}
	return strings.Join(names, " | ")
}

func localImage(service string) string { return "devenv.local/" + strings.ToLower(service) + ":dev" }

// validImageRef is a light check of a Docker image reference: lowercase
// repository path components, optional registry, tag and digest; no
// placeholders such as <IMAGE1_NAME> or ${Image}.
func validImageRef(s string) bool {
	if s == "" || strings.ContainsAny(s, " <>${}\"'") || placeholder.MatchString(s) {
		return false
	}
	r := config.Repository(s)
	if r.Path == "" || r.Path != strings.ToLower(r.Path) {
		return false
	}
	for _, part := range strings.Split(r.Path, "/") {
		if part == "" {
			return false
		}
	}
	return true
}

// redactList returns l with the secrets embedded in it replaced
// (secretpolicy.RedactArgs: credential-shaped values, URL passwords,
// --password X, --token=X, Authorization headers), reporting each replaced
// element at p[i] without showing it.
func (tk *task) redactList(c *taskdef.ContainerDefinition, p fieldpath.Path, l []string) []string {
	out, found := secretpolicy.RedactArgs(l)
	for i, f := range found {
		if f != nil {
			tk.deviate(c, p.Index(i), Rewritten, "(secret, hidden)", out[i], "holds "+secretpolicy.Why(f)+"; production secrets never reach the generated file")
		}
	}
	return out
}

// redactMap is redactList for a map (labels, log and volume driver
// options; secretpolicy.RedactEntry: a secret-looking key's value, or
// secrets embedded in the value); p.Next(key).
func (tk *task) redactMap(c *taskdef.ContainerDefinition, p fieldpath.Path, m map[string]string) map[string]string {
	out := maps.Clone(m)
	for _, k := range slices.Sorted(maps.Keys(out)) {
		if r, found := secretpolicy.RedactEntry(k, out[k]); found != nil {
			out[k] = r
			tk.deviate(c, p.Next(k), Rewritten, "(secret, hidden)", r, "holds "+secretpolicy.Why(found)+"; production secrets never reach the generated file")
		}
	}
	return out
}

// redactVolume is redactMap for a map of task volume v's
// dockerVolumeConfiguration (driverOpts, labels: a CIFS password in o=...),
// reported once for the task at volumes[i].dockerVolumeConfiguration.field,
// however many containers mount v.
func (tk *task) redactVolume(v *taskdef.Volume, field string, m map[string]string) map[string]string {
	i := slices.IndexFunc(tk.td.Volumes, func(tv taskdef.Volume) bool { return tv.Name == v.Name })
	at := tk.def.Root().Next("volumes").Index(i).Next("dockerVolumeConfiguration").Next(field)
	out := maps.Clone(m)
	for _, k := range slices.Sorted(maps.Keys(out)) {
		r, found := secretpolicy.RedactEntry(k, out[k])
		if found == nil {
			continue
		}
		out[k] = r
		p := at.Next(k).String()
		if !slices.ContainsFunc(tk.t.report, func(d Deviation) bool { return d.File == tk.def.File && d.Path == p }) {
			tk.deviate(nil, at.Next(k), Rewritten, "(secret, hidden)", r, "holds "+secretpolicy.Why(found)+"; production secrets never reach the generated file")
		}
	}
	return out
}

// standIn returns the local value for a secret, how the report shows it,
// and where it came from. Values from secrets.env (not committed) are never
// shown; devenv.yaml values and fake defaults are.
func (tk *task) standIn(container, name string) (value, shown, why string) {
	if s, ok := tk.t.local.Secrets.Lookup(container, name); ok {
		tk.t.use("secrets", secretScope(tk.t.local.Secrets, container, name), name)
		shown = s.Value
		if s.Source == config.SourceSecretsEnv {
			shown = "(from " + string(s.Source) + ", hidden)"
		}
		return s.Value, shown, "stand-in from " + string(s.Source)
	}
	v := secretpolicy.Fake(name)
	return v, v, "fake default (set one under secrets in " + tk.t.local.File + " or in " + config.DefaultSecretsFile + ")"
}

// convertEnvironment maps environment and secrets into one environment.
// Secrets and secret-looking plain-text values become stand-ins; overrides
// from devenv.yaml and production host names mapped to local services are
// applied to the rest.
func (tk *task) convertEnvironment(c *taskdef.ContainerDefinition, p fieldpath.Path) types.MappingWithEquals {
	env := types.MappingWithEquals{}
	set := func(k, v string) { env[k] = &v }
	for i, kv := range c.Environment {
		name, value := *kv.Name, deref(kv.Value)
		ep := p.Next("environment").Index(i).Named(name)
		if o, ok := tk.t.local.Env(c.Name, name); ok {
			prod := value
			if secretpolicy.Name(name) || secretpolicy.Value(value) {
				prod = "(plain-text secret, hidden)"
			} else if _, found := redactValue(name, value); found != nil {
				prod = "(value with a secret, hidden)"
			}
			set(name, o)
			tk.deviate(c, ep.Next("value"), Rewritten, prod, o, "environment override in "+tk.t.local.File)
			continue
		}
		switch {
		case secretpolicy.Value(value):
			local, shown, why := tk.standIn(c.Name, name)
			set(name, local)
			tk.deviate(c, ep.Next("value"), Rewritten, "(credential-shaped value, hidden)", shown, "the value of "+name+" looks like a credential (AWS key id, JWT, private key or token): "+why)
		case secretpolicy.Name(name) && !tk.notSecret(c.Name, name) && !secretpolicy.PlainURL(value):
			local, shown, why := tk.standIn(c.Name, name)
			set(name, local)
			tk.deviate(c, ep.Next("value"), Rewritten, "(plain-text secret, hidden)", shown, "secret-looking variable "+name+": "+why)
		default:
			prod, why := value, ""
			if r, found := redactValue(name, value); found != nil {
				value, prod, why = r, "(value with a secret, hidden)", "holds "+secretpolicy.Why(found)+", replaced by a fake"
			}
			if r, ok := tk.rewriteHosts(value); ok {
				value = r
				why = strings.TrimPrefix(why+"; production host mapped to a local service in "+tk.t.local.File, "; ")
			}
			set(name, value)
			if why != "" {
				tk.deviate(c, ep.Next("value"), Rewritten, prod, value, why)
			}
		}
	}
	for i, s := range c.Secrets {
		sp := p.Next("secrets").Index(i).Named(s.Name)
		if o, ok := tk.t.local.Env(c.Name, s.Name); ok {
			set(s.Name, o)
			tk.deviate(c, sp, Rewritten, "(secret from "+secretpolicy.Store(s.ValueFrom)+", not fetched)", o, "environment override in "+tk.t.local.File)
			continue
		}
		local, shown, why := tk.standIn(c.Name, s.Name)
		set(s.Name, local)
		tk.deviate(c, sp, Rewritten, "(secret from "+secretpolicy.Store(s.ValueFrom)+", not fetched)", shown, why)
	}
	// Overrides of variables production does not set.
	for _, scope := range []string{"*", c.Name} {
		for _, name := range slices.Sorted(maps.Keys(tk.t.local.Environment[scope])) {
			if _, ok := env[name]; ok {
				continue
			}
			v, _ := tk.t.local.Env(c.Name, name)
			set(name, v)
			tk.deviate(c, p.Next("environment"), Rewritten, "", name+"="+v, "variable added by "+tk.t.local.File)
		}
	}
	if len(env) == 0 {
		return nil
	}
	return env
}

// redactValue replaces the secrets embedded in the value of environment
// variable name: a URL's password by a fake named after the variable
// (DATABASE_URL → devenv-fake-database-url-password), and whatever else
// secretpolicy.Redact finds (-Dpassword=X in JAVA_OPTS, Password=X; in a
// connection string, --token=X).
func redactValue(name, v string) (string, []secretpolicy.What) {
	var found []secretpolicy.What
	if r, ok := secretpolicy.HideURLPassword(v, secretpolicy.Fake(name+"_password")); ok {
		v, found = r, []secretpolicy.What{secretpolicy.URLPassword}
	}
	r, more := secretpolicy.Redact(v)
	for _, w := range more {
		if w != secretpolicy.URLPassword || found == nil {
			found = append(found, w)
		}
	}
	return r, found
}

// rewriteHosts replaces production host names mapped in devenv.yaml with
// their local service (and port). Only whole host names match: a db.prod
// rule leaves replica-db.prod and db.prod.example.com alone. A service of
// an awsvpc task is reached through its namespace holder, whose name is
// the one other containers resolve.
func (tk *task) rewriteHosts(v string) (string, bool) {
	out, changed := v, false
	for _, h := range tk.t.local.Hosts {
		from, to := h.Host, h.Service
		if holder, ok := tk.t.holderOf[to]; ok {
			to = holder
		}
		if h.Port != 0 {
			from += ":" + itoa(h.Port)
			port := h.Port
			if h.ServicePort != 0 {
				port = h.ServicePort
			}
			to += ":" + itoa(port)
		}
		if r, ok := replaceHost(out, from, to, h.Port != 0); ok {
			out, changed = r, true
			tk.t.use("hosts", hostKey(h))
		}
	}
	return out, changed
}

// replaceHost replaces each occurrence of host name (or host:port) from in
// s that is a whole name: not preceded by a host name character, nor
// followed by one (or by ".label", a longer name; after a port, by a digit).
func replaceHost(s, from, to string, withPort bool) (string, bool) {
	var b strings.Builder
	changed := false
	for {
		i := strings.Index(strings.ToLower(s), strings.ToLower(from))
		if i < 0 {
			break
		}
		j := i + len(from)
		before := i == 0 || !hostChar(s[i-1])
		after := j == len(s) || !(hostChar(s[j]) && s[j] != '.' || s[j] == '.' && j+1 < len(s) && hostChar(s[j+1]) && s[j+1] != '.')
		if withPort {
			after = j == len(s) || s[j] < '0' || s[j] > '9'
		}
		if before && after {
			b.WriteString(s[:i] + to)
			changed = true
		} else {
			b.WriteString(s[:j])
		}
		s = s[j:]
	}
	b.WriteString(s)
	return b.String(), changed
}

func hostChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func (tk *task) convertEnvironmentFiles(c *taskdef.ContainerDefinition, p fieldpath.Path) []types.EnvFile {
	var files []types.EnvFile
	for i, f := range c.EnvironmentFiles {
		base := f.Value[strings.LastIndex(f.Value, "/")+1:]
		if base == "" {
			base = "env"
		}
		local := ".devenv/env/" + c.Name + "/" + base
		files = append(files, types.EnvFile{Path: local, Required: false})
		tk.deviate(c, p.Next("environmentFiles").Index(i), Rewritten, f.Value, local+" (optional)", "S3 objects are not fetched: put a local copy there")
	}
	return files
}

func (tk *task) convertHostname(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) string {
	if c.Hostname == nil {
		return ""
	}
	if s.netOwner != "" {
		tk.deviate(c, p.Next("hostname"), Dropped, *c.Hostname, "", "the container shares "+s.netOwner+"'s network namespace, which fixes the host name")
		return ""
	}
	return *c.Hostname
}

func (tk *task) convertExtraHosts(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) types.HostsList {
	if len(c.ExtraHosts) == 0 {
		return nil
	}
	if s.netOwner != "" {
		tk.deviate(c, p.Next("extraHosts"), Dropped, fmt.Sprint(len(c.ExtraHosts))+" entries", "", "Docker does not allow extra hosts for a container sharing another's network namespace")
		return nil
	}
	h := types.HostsList{}
	for _, e := range c.ExtraHosts {
		h[e.Hostname] = append(h[e.Hostname], e.IpAddress)
	}
	return h
}

func (tk *task) convertDNS(l []string, c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) types.StringList {
	if len(l) == 0 {
		return nil
	}
	if s.netOwner != "" {
		tk.deviate(c, p, Dropped, joinList(l), "", "the container shares "+s.netOwner+"'s network namespace and its DNS settings")
		return nil
	}
	return types.StringList(slices.Clone(l))
}

func convertUlimits(l []taskdef.Ulimit) map[string]*types.UlimitsConfig {
	if len(l) == 0 {
		return nil
	}
	m := map[string]*types.UlimitsConfig{}
	for _, u := range l {
		m[u.Name] = &types.UlimitsConfig{Soft: u.SoftLimit, Hard: u.HardLimit}
	}
	return m
}

func seconds(s *int) *types.Duration {
	if s == nil {
		return nil
	}
	d := types.Duration(time.Duration(*s) * time.Second)
	return &d
}

func (tk *task) convertSystemControls(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) types.Mapping {
	if len(c.SystemControls) == 0 {
		return nil
	}
	m := types.Mapping{}
	for i, sc := range c.SystemControls {
		if sc.Namespace == nil {
			tk.t.fail(tk.def.File, p.Next("systemControls").Index(i).Next("namespace"), fieldpath.Invalidf("missing: name the kernel parameter, e.g. net.core.somaxconn"))
			continue
		}
		if s.netOwner != "" && strings.HasPrefix(*sc.Namespace, "net.") {
			if owner := tk.t.services[s.netOwner]; owner != nil {
				if owner.cfg.Sysctls == nil {
					owner.cfg.Sysctls = types.Mapping{}
				}
				owner.cfg.Sysctls[*sc.Namespace] = deref(sc.Value)
			}
			tk.deviate(c, p.Next("systemControls").Index(i), Rewritten, *sc.Namespace+"="+deref(sc.Value), "set on "+s.netOwner, "network sysctls apply to the task's network namespace, which "+s.netOwner+" holds")
			continue
		}
		m[*sc.Namespace] = deref(sc.Value)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func capabilities(lp *taskdef.LinuxParameters, add bool) []string {
	if lp == nil || lp.Capabilities == nil {
		return nil
	}
	if add {
		return slices.Clone(lp.Capabilities.Add)
	}
	return slices.Clone(lp.Capabilities.Drop)
}

func convertDevices(lp *taskdef.LinuxParameters) []types.DeviceMapping {
	if lp == nil || len(lp.Devices) == 0 {
		return nil
	}
	var out []types.DeviceMapping
	for _, d := range lp.Devices {
		target := deref(d.ContainerPath)
		if target == "" {
			target = d.HostPath
		}
		perm := ""
		for _, p := range d.Permissions {
			switch p {
			case "read":
				perm += "r"
			case "write":
				perm += "w"
			case "mknod":
				perm += "m"
			}
		}
		if perm == "" {
			perm = "rwm"
		}
		out = append(out, types.DeviceMapping{Source: d.HostPath, Target: target, Permissions: perm})
	}
	return out
}

func initProcess(lp *taskdef.LinuxParameters) *bool {
	if lp == nil || lp.InitProcessEnabled == nil {
		return nil
	}
	v := *lp.InitProcessEnabled
	return &v
}

func sharedMemory(lp *taskdef.LinuxParameters) types.UnitBytes {
	if lp == nil {
		return 0
	}
	return mib(lp.SharedMemorySize)
}

func swappiness(lp *taskdef.LinuxParameters) types.UnitBytes {
	if lp == nil || lp.Swappiness == nil {
		return 0
	}
	return types.UnitBytes(*lp.Swappiness)
}

func mib(v *int) types.UnitBytes {
	if v == nil || *v <= 0 {
		return 0
	}
	return types.UnitBytes(*v) * 1024 * 1024
}

// minMemoryMiB is the smallest memory limit or reservation Docker 20.10
// and later accept (ECS accepts 4 MiB, the minimum of older daemons).
const minMemoryMiB = 6

// convertMemory maps memory or memoryReservation (MiB) to bytes, raising
// a value Docker would refuse to its minimum, reported.
func (tk *task) convertMemory(c *taskdef.ContainerDefinition, p fieldpath.Path, v *int) types.UnitBytes {
	if v != nil && *v > 0 && *v < minMemoryMiB {
		tk.deviate(c, p, Rewritten, itoa(*v)+" MiB", itoa(minMemoryMiB)+" MiB", "Docker 20.10 and later refuse less than 6 MiB")
		m := minMemoryMiB
		return mib(&m)
	}
	return mib(v)
}

// convertMaxSwap maps maxSwap to memswap_limit, which Docker counts as
// memory plus swap, so it needs the container's hard memory limit.
func (tk *task) convertMaxSwap(c *taskdef.ContainerDefinition, p fieldpath.Path) types.UnitBytes {
	lp := c.LinuxParameters
	if lp == nil || lp.MaxSwap == nil {
		return 0
	}
	if c.Memory == nil || *c.Memory <= 0 {
		tk.deviate(c, p.Next("linuxParameters").Next("maxSwap"), Dropped, itoa(*lp.MaxSwap)+" MiB", "", "Docker's memswap_limit counts memory plus swap and needs a hard memory limit, which the container has not")
		return 0
	}
	return mib(c.Memory) + mib(lp.MaxSwap)
}

func (tk *task) convertCPU(c *taskdef.ContainerDefinition, p fieldpath.Path) int64 {
	if c.Cpu == nil || *c.Cpu <= 0 {
		return 0
	}
	if *c.Cpu < 2 {
		tk.deviate(c, p.Next("cpu"), Rewritten, itoa(*c.Cpu), "2", "Docker's minimum cpu_shares is 2")
		return 2
	}
	return int64(*c.Cpu)
}

// convertNetworkMode implements the task's network mode: bridge and absent
// use the project network; host and none carry over; awsvpc puts every
// container into the namespace holder's network namespace.
func (tk *task) convertNetworkMode(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) string {
	if derefBool(c.DisableNetworking) {
		return "none"
	}
	switch tk.mode {
	case taskdef.NetworkModeHost:
		return "host"
	case taskdef.NetworkModeNone:
		return "none"
	case taskdef.NetworkModeAWSVPC:
		if s.netOwner != "" {
			tk.deviate(c, tk.def.Root().Next("networkMode"), Rewritten, "awsvpc", "service:"+s.netOwner, "the containers of an awsvpc task share one network namespace and reach each other on localhost")
			return "service:" + s.netOwner
		}
	}
	return ""
}

func (tk *task) convertPidMode() string {
	switch tk.td.PidMode {
	case "host":
		return "host"
	case "task":
		if tk.owner != "" {
			return "service:" + tk.owner
		}
	}
	return ""
}

func (tk *task) convertIpcMode() string {
	switch tk.td.IpcMode {
	case "host":
		return "host"
	case "none":
		return "none"
	case "task":
		if tk.owner != "" {
			return "service:" + tk.owner
		}
	}
	return ""
}

func (tk *task) convertPlatform() string {
	rp := tk.td.RuntimePlatform
	if rp == nil {
		return ""
	}
	switch rp.CpuArchitecture {
	case "X86_64":
		return "linux/amd64"
	case "ARM64":
		return "linux/arm64"
	}
	return ""
}

func (tk *task) convertRestartPolicy(c *taskdef.ContainerDefinition, p fieldpath.Path) string {
	rp := c.RestartPolicy
	if rp == nil || !rp.Enabled {
		return ""
	}
	if len(rp.IgnoredExitCodes) > 0 || rp.RestartAttemptPeriod != nil {
		tk.deviate(c, p.Next("restartPolicy"), Rewritten, "enabled with ignored exit codes or attempt period", "unless-stopped", "Compose restarts on every exit; ignoredExitCodes and restartAttemptPeriod have no Compose equivalent")
	}
	return "unless-stopped"
}

func (tk *task) convertLinks(c *taskdef.ContainerDefinition, p fieldpath.Path, s *service) []string {
	if len(c.Links) == 0 {
		return nil
	}
	if tk.mode != taskdef.NetworkModeBridge {
		tk.deviate(c, p.Next("links"), Dropped, joinList(c.Links), "", "links only apply in bridge mode")
		return nil
	}
	var out []string
	for _, l := range c.Links {
		name, alias, hasAlias := strings.Cut(l, ":")
		svc := tk.svc(name)
		switch {
		case hasAlias:
			out = append(out, svc+":"+alias)
		case svc != name:
			out = append(out, svc+":"+name) // the production name stays reachable
		default:
			out = append(out, l)
		}
	}
	return out
}

var conditions = map[string]string{
	taskdef.ConditionStart:    types.ServiceConditionStarted,
	taskdef.ConditionHealthy:  types.ServiceConditionHealthy,
	taskdef.ConditionSuccess:  types.ServiceConditionCompletedSuccessfully,
	taskdef.ConditionComplete: types.ServiceConditionCompletedSuccessfully,
}

func (tk *task) convertDependsOn(c *taskdef.ContainerDefinition, p fieldpath.Path) types.DependsOnConfig {
	if c.StartTimeout != nil {
		tk.deviate(c, p.Next("startTimeout"), Dropped, itoa(*c.StartTimeout)+"s", "", "Compose has no dependency timeout")
	}
	if len(c.DependsOn) == 0 {
		return nil
	}
	d := types.DependsOnConfig{}
	for i, dep := range c.DependsOn {
		if dep.Condition == taskdef.ConditionComplete {
			tk.deviate(c, p.Next("dependsOn").Index(i).Next("condition"), Rewritten, "COMPLETE", conditions[dep.Condition], "Compose cannot wait for an exit with any code; locally the dependency must exit 0")
		}
		d[tk.svc(dep.ContainerName)] = types.ServiceDependency{Condition: conditions[dep.Condition], Required: true}
	}
	return d
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

func (tk *task) convertVolumesFrom(c *taskdef.ContainerDefinition, p fieldpath.Path) []string {
	var out []string
	for _, v := range c.VolumesFrom {
		s := tk.svc(v.SourceContainer)
		if derefBool(v.ReadOnly) {
			s += ":ro"
		}
		out = append(out, s)
	}
	return out
}

// droppedContainerFields reports container fields with no local effect.
func (tk *task) droppedContainerFields(c *taskdef.ContainerDefinition, p fieldpath.Path) {
	if c.RepositoryCredentials != nil {
		tk.deviate(c, p.Next("repositoryCredentials"), Dropped, "(registry credentials secret)", "", "local images are built or pulled with your own Docker login")
	}
	if c.VersionConsistency != "" {
		tk.deviate(c, p.Next("versionConsistency"), Dropped, c.VersionConsistency, "", "digest pinning is an ECS deployment feature")
	}
	if len(c.ResourceRequirements) > 0 {
		var l []string
		for _, r := range c.ResourceRequirements {
			l = append(l, r.Type+"="+r.Value)
		}
		tk.deviate(c, p.Next("resourceRequirements"), Unsupported, joinList(l), "", "GPUs and accelerators are not reserved locally")
	}
	if len(c.CredentialSpecs) > 0 {
		tk.deviate(c, p.Next("credentialSpecs"), Unsupported, joinList(c.CredentialSpecs), "", "gMSA credential specs need Active Directory")
	}
	if lp := c.LinuxParameters; lp != nil {
		for i, t := range lp.Tmpfs {
			if len(t.MountOptions) > 0 {
				tk.deviate(c, p.Next("linuxParameters").Next("tmpfs").Index(i).Next("mountOptions"), Dropped, joinList(t.MountOptions), "", "Compose's tmpfs mount takes only size and mode")
			}
		}
	}
}

// taskFields reports task-level fields with no or a different local effect.
func (tk *task) taskFields() {
	td := tk.td
	r := tk.def.Root()
	dev := func(field string, kind Kind, prod, why string) {
		tk.deviate(nil, r.Next(field), kind, prod, "", why)
	}
	if td.TaskRoleArn != nil {
		dev("taskRoleArn", Dropped, *td.TaskRoleArn, "no AWS credentials are given to local containers; the fakes need none")
	}
	if td.ExecutionRoleArn != nil {
		dev("executionRoleArn", Dropped, *td.ExecutionRoleArn, "images and secrets are not fetched from AWS locally")
	}
	if td.Cpu != nil {
		dev("cpu", Dropped, *td.Cpu, "Compose has no task-wide CPU limit; container cpu values apply")
	}
	if td.Memory != nil {
		dev("memory", Dropped, *td.Memory, "Compose has no task-wide memory limit; container memory values apply")
	}
	if len(td.PlacementConstraints) > 0 {
		dev("placementConstraints", Dropped, itoa(len(td.PlacementConstraints))+" constraints", "there is one local host")
	}
	if len(td.RequiresCompatibilities) > 0 {
		dev("requiresCompatibilities", Dropped, joinList(td.RequiresCompatibilities), "launch types do not exist locally")
	}
	if len(td.Tags) > 0 {
		dev("tags", Dropped, itoa(len(td.Tags))+" tags", "AWS resource tags")
	}
	if td.ProxyConfiguration != nil {
		dev("proxyConfiguration", Unsupported, td.ProxyConfiguration.Type+" via "+td.ProxyConfiguration.ContainerName+": ECS redirects the task's traffic through the proxy", "the App Mesh proxy's traffic redirection is not set up locally: the task's containers talk to each other and to other services directly, without App Mesh routes, retries or TLS; "+td.ProxyConfiguration.ContainerName+" runs as an ordinary container")
	}
	if len(td.InferenceAccelerators) > 0 {
		dev("inferenceAccelerators", Unsupported, itoa(len(td.InferenceAccelerators))+" accelerators", "Elastic Inference is not available locally")
	}
	if td.EphemeralStorage != nil {
		dev("ephemeralStorage", Dropped, itoa(td.EphemeralStorage.SizeInGiB)+" GiB", "local containers use the Docker host's disk")
	}
	if rp := td.RuntimePlatform; rp != nil {
		if rp.OperatingSystemFamily != "" && rp.OperatingSystemFamily != "LINUX" {
			dev("runtimePlatform", Unsupported, rp.OperatingSystemFamily, "devenv runs Linux containers only")
		} else if rp.CpuArchitecture != "" {
			tk.deviate(nil, r.Next("runtimePlatform"), Rewritten, rp.CpuArchitecture, tk.convertPlatform(), "platform: the image is built or pulled for it, emulated if the host differs")
		}
	}
	if td.EnableFaultInjection != nil {
		dev("enableFaultInjection", Dropped, fmt.Sprint(*td.EnableFaultInjection), "ECS fault injection endpoints are not emulated")
	}
	if td.TrustedExecutionConfiguration != nil {
		dev("trustedExecutionConfiguration", Unsupported, td.TrustedExecutionConfiguration.IsolationMode, "sandboxed isolation is not available locally")
	}
	switch td.PidMode {
	case "task":
		tk.deviate(nil, r.Next("pidMode"), Rewritten, "task", "service:"+tk.owner, "containers join "+tk.owner+"'s PID namespace")
	}
	switch td.IpcMode {
	case "task":
		tk.deviate(nil, r.Next("ipcMode"), Rewritten, "task", "service:"+tk.owner, "containers join "+tk.owner+"'s IPC namespace")
	}
	meta := []struct {
		field string
		set   bool
	}{
		{"taskDefinitionArn", td.TaskDefinitionArn != nil},
		{"revision", td.Revision != nil},
		{"status", td.Status != ""},
		{"requiresAttributes", len(td.RequiresAttributes) > 0},
		{"compatibilities", len(td.Compatibilities) > 0},
		{"registeredAt", td.RegisteredAt != nil},
		{"registeredBy", td.RegisteredBy != nil},
		{"deregisteredAt", td.DeregisteredAt != nil},
		{"deleteRequestedAt", td.DeleteRequestedAt != nil},
	}
	for _, m := range meta {
		if m.set {
			dev(m.field, Dropped, "(describe output)", "metadata of the registered revision; no effect on containers")
		}
	}
	if tk.mode == taskdef.NetworkModeBridge || tk.mode == taskdef.NetworkModeAWSVPC || tk.mode == taskdef.NetworkModeDefault {
		tk.deviate(nil, r.Next("networkMode"), Rewritten, tk.prodNetworkMode(), "network "+taskNetwork(td.Family), "each task has a network of its own: its containers reach each other by name, other tasks' containers only through devenv.yaml hosts rules, the fakes, a datadog-stub stand-in and published ports on "+tk.t.local.BindAddress)
	}
	if tk.mode == taskdef.NetworkModeHost {
		tk.deviate(nil, r.Next("networkMode"), Rewritten, "host", "host (the Docker host's network)", "containers listen on every address of this machine; ports cannot be limited to "+tk.t.local.BindAddress)
	}
}
