package translate

import (
	"fmt"
	"strings"
)

// Rule says what Translate does with one task definition field.
type Rule struct {
	// Field is the field's JSON path; "[]" stands for any element.
	Field string
	// Compose is the Compose key it becomes ("" when none).
	Compose string
	// Does is one of: mapped, rewritten, defaulted, dropped, unsupported,
	// structural (drives the translation without a key of its own).
	Does string
	// Note is what happens and why.
	Note string
}

// Mapping is the complete table of task definition fields. A test checks
// that every field of taskdef.TaskDefinition, ContainerDefinition and their
// grouped sub-structures has exactly one entry, and docs/mapping.md is
// rendered from it.
var Mapping = []Rule{
	// Task definition.
	{"family", "x-devenv.task", "mapped", "recorded on every service of the task; volume names are scoped by it"},
	{"taskRoleArn", "", "dropped", "no AWS credentials are given to local containers; the fakes need none"},
	{"executionRoleArn", "", "dropped", "images and secrets are not fetched from AWS"},
	{"networkMode", "network_mode, networks", "rewritten", "bridge/absent: a network of the task's own, `<family>` (links work; other tasks' services are reached only through devenv.yaml hosts rules, which put their target on every task network, the fakes and a container replaced by the datadog-stub stand-in (production's agent serves every task of its instance), which are on every task network, and published ports); host: `host`; none: `none`; awsvpc: devenv adds a pause service `<family>-pause` (image `devenv/pause:local`, command `devenv pause`) that holds the network namespace and publishes all the task's ports; every container gets `service:<family>-pause`, so containers reach each other on localhost and no task container (an init container that exits, say) owns the namespace"},
	{"containerDefinitions", "services", "mapped", "one service per container, named after it (or as `services.<family>/<container>.name` in devenv.yaml says); invalid names and names used twice are errors pointing at that key"},
	{"volumes", "volumes, services.*.volumes", "structural", "resolved through each container's mountPoints (see volumes[] rows)"},
	{"placementConstraints", "", "dropped", "there is one local host"},
	{"requiresCompatibilities", "", "dropped", "launch types do not exist locally"},
	{"cpu", "", "dropped", "Compose has no task-wide CPU limit; container cpu applies"},
	{"memory", "", "dropped", "Compose has no task-wide memory limit; container memory applies"},
	{"tags", "", "dropped", "AWS resource tags"},
	{"pidMode", "pid", "mapped", "host → `host`; task → `service:<family>-pause` on every container (the pause service holds the namespace)"},
	{"ipcMode", "ipc", "mapped", "host → `host`; none → `none`; task → the pause service `<family>-pause` is `shareable`, every container `service:<family>-pause`"},
	{"proxyConfiguration", "", "unsupported", "App Mesh traffic redirection is not set up"},
	{"inferenceAccelerators", "", "unsupported", "Elastic Inference is not available locally"},
	{"ephemeralStorage", "", "dropped", "containers use the Docker host's disk"},
	{"runtimePlatform", "platform", "rewritten", "X86_64 → linux/amd64, ARM64 → linux/arm64; a non-Linux OS family is unsupported"},
	{"runtimePlatform.cpuArchitecture", "platform", "mapped", "X86_64 → linux/amd64, ARM64 → linux/arm64"},
	{"runtimePlatform.operatingSystemFamily", "", "structural", "LINUX accepted; any other family unsupported, reported"},
	{"enableFaultInjection", "", "dropped", "ECS fault injection endpoints are not emulated"},
	{"trustedExecutionConfiguration", "", "unsupported", "sandboxed isolation is not available locally"},
	{"taskDefinitionArn", "", "dropped", "describe output metadata"},
	{"revision", "", "dropped", "describe output metadata"},
	{"status", "", "dropped", "describe output metadata"},
	{"requiresAttributes", "", "dropped", "describe output metadata"},
	{"compatibilities", "", "dropped", "describe output metadata"},
	{"registeredAt", "", "dropped", "describe output metadata"},
	{"registeredBy", "", "dropped", "describe output metadata"},
	{"deregisteredAt", "", "dropped", "describe output metadata"},
	{"deleteRequestedAt", "", "dropped", "describe output metadata"},

	// Volumes.
	{"volumes[].name", "", "structural", "what mountPoints[].sourceVolume refers to; a dangling reference is an error"},
	{"volumes[].host", "services.*.volumes (bind)", "rewritten", "sourcePath → bind of the folder mapped under volumes in devenv.yaml (by volume name or production path), else `./.devenv/volumes/<family>/<name>` (one folder per task definition, so two tasks' volumes of one name stay apart), which survives devenv down/up; no sourcePath → task-scoped named volume `<family>.<name>`"},
	{"volumes[].dockerVolumeConfiguration", "volumes", "mapped", "a folder mapped under volumes in devenv.yaml (by volume name) is bound instead; otherwise named volume with driverOpts and labels; scope shared keeps the production name; a non-local driver is unsupported and replaced by local"},
	{"volumes[].efsVolumeConfiguration", "volumes", "rewritten", "a folder mapped under volumes in devenv.yaml (by volume name) is bound instead; otherwise named volume `efs_<fileSystemId>[_<accessPointId>][_<rootDirectory>]`, empty at first, shared by every task that mounts the same file system, access point and root"},
	{"volumes[].fsxWindowsFileServerVolumeConfiguration", "volumes", "rewritten", "a folder mapped under volumes in devenv.yaml (by volume name) is bound instead; otherwise named volume `fsx_<fileSystemId>`, empty at first, shared by every task that mounts the file system"},
	{"volumes[].s3filesVolumeConfiguration", "volumes", "rewritten", "named volume `<family>.<name>`, empty at first"},
	{"volumes[].configuredAtLaunch", "volumes", "rewritten", "EBS volume attached at launch → named volume, empty at first"},

	{"volumes[].host.sourcePath", "services.*.volumes[].source", "rewritten", "see volumes[].host"},
	{"volumes[].dockerVolumeConfiguration.scope", "volumes.*.name", "mapped", "task → project volume `<family>.<name>`; shared → the production volume name, shared by the tasks and projects that use it"},
	{"volumes[].dockerVolumeConfiguration.autoprovision", "volumes.*.external", "mapped", "shared with autoprovision false → `external: true` (ECS expects the volume to exist; create it with docker volume create), reported; otherwise Compose creates it"},
	{"volumes[].dockerVolumeConfiguration.driver", "volumes.*.driver", "rewritten", "local kept; any other driver is unsupported, reported, and a local volume stands in"},
	{"volumes[].dockerVolumeConfiguration.driverOpts", "volumes.*.driver_opts", "mapped", "dropped with a non-local driver; a CIFS password in `o` (`password=X,`) and the value of a secret-looking option replaced by fakes"},
	{"volumes[].dockerVolumeConfiguration.labels", "volumes.*.labels", "mapped", "the value of a secret-looking label replaced by a fake"},
	{"volumes[].efsVolumeConfiguration.fileSystemId", "volumes (name)", "structural", "keys the stand-in volume"},
	{"volumes[].efsVolumeConfiguration.rootDirectory", "volumes (name)", "structural", "keys the stand-in volume (with the file system and access point)"},
	{"volumes[].efsVolumeConfiguration.transitEncryption", "", "dropped", "ENABLED reported: a local volume has no network transport"},
	{"volumes[].efsVolumeConfiguration.transitEncryptionPort", "", "dropped", "reported: a local volume has no network transport"},
	{"volumes[].efsVolumeConfiguration.authorizationConfig", "", "structural", "see its rows"},
	{"volumes[].efsVolumeConfiguration.authorizationConfig.accessPointId", "volumes (name)", "structural", "keys the stand-in volume: two access points of one file system are two volumes"},
	{"volumes[].efsVolumeConfiguration.authorizationConfig.iam", "", "dropped", "ENABLED reported: no IAM authorization locally"},
	{"volumes[].fsxWindowsFileServerVolumeConfiguration.fileSystemId", "volumes (name)", "structural", "keys the stand-in volume"},
	{"volumes[].fsxWindowsFileServerVolumeConfiguration.rootDirectory", "", "dropped", "the stand-in volume is the whole file system (Windows file shares do not exist on Linux hosts)"},
	{"volumes[].fsxWindowsFileServerVolumeConfiguration.authorizationConfig", "", "dropped", "a credentials secret and an AD domain; never fetched (the report says so)"},
	{"volumes[].s3filesVolumeConfiguration.fileSystemArn", "", "structural", "shown in the report"},
	{"volumes[].s3filesVolumeConfiguration.accessPointArn", "", "dropped", "the task-scoped stand-in volume has no access points"},
	{"volumes[].s3filesVolumeConfiguration.rootDirectory", "", "dropped", "the task-scoped stand-in volume is empty at first"},
	{"volumes[].s3filesVolumeConfiguration.transitEncryptionPort", "", "dropped", "a local volume has no network transport"},

	// Container definition.
	{"containerDefinitions[].name", "service name", "mapped", "must be a valid Compose service name, unique across all task definitions; `services.<family>/<container>.name` in devenv.yaml renames the service (dependsOn, links, volumesFrom follow; a link keeps the production name as alias)"},
	{"containerDefinitions[].image", "image, build, pull_policy, x-devenv", "rewritten", "the first images rule of devenv.yaml whose match is the repository (name, path, registry and path), its registry, or a glob over them: build → `build`; go → a Go main package built FROM scratch (`x-devenv.go`); standIn → `devenv/<stand-in>:local` with the stand-in's command, ports, health check and, for fake-s3, fake-td and datadog-stub, data volume (README); pull → unchanged. Without a rule the image is unchanged; an ECR image also gets `pull_policy: missing`, reported with the `aws ecr get-login-password | docker login` line it needs. A placeholder (`<IMAGE1_NAME>`) is an error, even under pull: true"},
	{"containerDefinitions[].repositoryCredentials", "", "dropped", "local pulls use your own Docker login"},
	{"containerDefinitions[].cpu", "cpu_shares", "mapped", "CPU units are relative shares, as in ECS (minimum 2)"},
	{"containerDefinitions[].memory", "mem_limit", "mapped", "MiB → bytes; 4-5 MiB raised to Docker 20.10's 6 MiB minimum, reported"},
	{"containerDefinitions[].memoryReservation", "mem_reservation", "mapped", "MiB → bytes; 4-5 MiB raised to Docker 20.10's 6 MiB minimum, reported"},
	{"containerDefinitions[].links", "links", "mapped", "bridge mode only (dropped, reported, otherwise); a link to an unknown container is an error"},
	{"containerDefinitions[].portMappings", "ports", "rewritten", "long syntax on bindAddress (127.0.0.1 by default); see portMappings[] rows; host port collisions between services are errors naming both and the devenv.yaml `services.<family>/<container>.ports` entry that resolves them"},
	{"containerDefinitions[].essential", "x-devenv.essential", "rewritten", "ECS default true; attached `devenv up` stops the container's task when an essential container exits, as ECS does; `devenv up -d` cannot, reported"},
	{"containerDefinitions[].restartPolicy", "restart", "rewritten", "enabled → `unless-stopped`, reported; ignoredExitCodes and restartAttemptPeriod have no Compose equivalent (their rows)"},
	{"containerDefinitions[].entryPoint", "entrypoint", "mapped", "`$` written as `$$`; dropped, reported, for a container replaced by a devenv stand-in; a secret flag's value (`--password X`, `--token=X`) and other secrets replaced by fakes, as in command and healthCheck.command"},
	{"containerDefinitions[].command", "command", "mapped", "`$` written as `$$`; a container replaced by a devenv stand-in runs the stand-in's command, reported"},
	{"containerDefinitions[].environment", "environment", "rewritten", "`$` written as `$$`; a devenv.yaml environment override wins over every other rule; secret-looking names (SECRET, TOKEN, PASSWORD, ..., KEY as the last part or after API/ACCESS/SECRET/PRIVATE; not those listed under notSecret, nor a URL without credentials) and credential-shaped values under any name (AWS key ids, JWTs, PEM private keys, Slack/GitHub tokens) get stand-ins from devenv.yaml secrets, --secrets-env, or a `devenv-fake-...` value, never the production value; secrets inside other values (a URL's password, `-Dpassword=X` in JAVA_OPTS, `Password=X;` in a connection string) are replaced by fakes; devenv.yaml environment overrides and hosts rewrites apply"},
	{"containerDefinitions[].environmentFiles", "env_file", "rewritten", "S3 objects are not fetched: optional local file `.devenv/env/<container>/<object name>`"},
	{"containerDefinitions[].mountPoints", "volumes", "mapped", "through the task volume (see volumes[] rows); readOnly → read_only. The fluentd service (devenv.yaml fluentd.service) also gets the local copy of fluentd.config bind-mounted read-only at fluentd.mountPath, reported with every line it changes. A container replaced by the fake-s3, fake-td or datadog-stub stand-in gets the named volume `<service>-data` at /data (its --data-dir: it survives devenv down, down -v removes it), reported; a production mount at /data is dropped, reported"},
	{"containerDefinitions[].volumesFrom", "volumes_from", "mapped", "`<container>[:ro]`; an unknown container is an error"},
	{"containerDefinitions[].linuxParameters", "", "structural", "see linuxParameters rows"},
	{"containerDefinitions[].secrets", "environment", "rewritten", "never fetched: a devenv.yaml environment override, else a stand-in from devenv.yaml secrets, --secrets-env, or a `devenv-fake-...` value; the parameter ARN is not written either"},
	{"containerDefinitions[].dependsOn", "depends_on", "mapped", "START → service_started, HEALTHY → service_healthy, SUCCESS → service_completed_successfully, COMPLETE → service_completed_successfully (reported: Compose cannot wait for any exit code); required: true"},
	{"containerDefinitions[].startTimeout", "", "dropped", "Compose has no dependency timeout"},
	{"containerDefinitions[].stopTimeout", "stop_grace_period", "mapped", "seconds"},
	{"containerDefinitions[].versionConsistency", "", "dropped", "digest pinning is an ECS deployment feature"},
	{"containerDefinitions[].hostname", "hostname", "mapped", "dropped, reported, for containers sharing an awsvpc namespace"},
	{"containerDefinitions[].user", "user", "mapped", ""},
	{"containerDefinitions[].workingDirectory", "working_dir", "mapped", ""},
	{"containerDefinitions[].disableNetworking", "network_mode", "mapped", "true → `none`"},
	{"containerDefinitions[].privileged", "privileged", "mapped", ""},
	{"containerDefinitions[].readonlyRootFilesystem", "read_only", "mapped", ""},
	{"containerDefinitions[].dnsServers", "dns", "mapped", "dropped, reported, for containers sharing an awsvpc namespace"},
	{"containerDefinitions[].dnsSearchDomains", "dns_search", "mapped", "dropped, reported, for containers sharing an awsvpc namespace"},
	{"containerDefinitions[].extraHosts", "extra_hosts", "mapped", "dropped, reported, for containers sharing an awsvpc namespace (Docker refuses extra hosts there)"},
	{"containerDefinitions[].dockerSecurityOptions", "security_opt", "mapped", ""},
	{"containerDefinitions[].interactive", "stdin_open", "mapped", ""},
	{"containerDefinitions[].pseudoTerminal", "tty", "mapped", ""},
	{"containerDefinitions[].dockerLabels", "labels", "mapped", "`$` written as `$$`; the value of a secret-looking key is replaced by `devenv-fake-<key>`, secrets inside a value as in every field (as in log options and volume driverOpts and labels)"},
	{"containerDefinitions[].ulimits", "ulimits", "mapped", "{soft, hard}"},
	{"containerDefinitions[].logConfiguration", "logging", "rewritten", "see logConfiguration rows"},
	{"containerDefinitions[].healthCheck", "healthcheck", "defaulted", "see healthCheck rows. devenv.yaml's `services.<family>/<container>.healthCheck` (same shape and ECS limits) replaces it, or adds one, reported with its devenv.yaml line; NONE turns it off (an error when a container waits for it HEALTHY). Otherwise a container replaced by the fake-s3, fake-td or datadog-stub stand-in gets the stand-in's instead, reported: `[CMD, /devenv, healthcheck, http://127.0.0.1:<port>/_devenv/health]` (the image is FROM scratch: no shell or curl), every 1s, timeout 2s, 30 retries, so devenv up waits seconds"},
	{"containerDefinitions[].systemControls", "sysctls", "mapped", "net.* dropped, reported, for containers sharing an awsvpc namespace"},
	{"containerDefinitions[].resourceRequirements", "", "unsupported", "GPUs and accelerators are not reserved"},
	{"containerDefinitions[].firelensConfiguration", "", "unsupported", "FireLens routing is not emulated; the router runs as an ordinary container"},
	{"containerDefinitions[].credentialSpecs", "", "unsupported", "gMSA needs Active Directory"},

	{"containerDefinitions[].restartPolicy.enabled", "restart", "mapped", "true → `unless-stopped`"},
	{"containerDefinitions[].restartPolicy.ignoredExitCodes", "", "dropped", "reported: Compose restarts on every exit"},
	{"containerDefinitions[].restartPolicy.restartAttemptPeriod", "", "dropped", "reported: Compose has no attempt period"},
	{"containerDefinitions[].environment[].name", "environment (key)", "mapped", "non-empty, without '=' (a decode error otherwise)"},
	{"containerDefinitions[].environment[].value", "environment (value)", "rewritten", "see containerDefinitions[].environment"},
	{"containerDefinitions[].environmentFiles[].value", "env_file[].path", "rewritten", "the S3 ARN's object name under `.devenv/env/<container>/`"},
	{"containerDefinitions[].environmentFiles[].type", "", "structural", "s3, the only type"},
	{"containerDefinitions[].mountPoints[].sourceVolume", "volumes[].source", "rewritten", "resolved through the task volume"},
	{"containerDefinitions[].mountPoints[].containerPath", "volumes[].target", "mapped", ""},
	{"containerDefinitions[].mountPoints[].readOnly", "volumes[].read_only", "mapped", ""},
	{"containerDefinitions[].volumesFrom[].sourceContainer", "volumes_from", "mapped", "the container's service name"},
	{"containerDefinitions[].volumesFrom[].readOnly", "volumes_from (`:ro`)", "mapped", ""},
	{"containerDefinitions[].linuxParameters.capabilities.add", "cap_add", "mapped", ""},
	{"containerDefinitions[].linuxParameters.capabilities.drop", "cap_drop", "mapped", ""},
	{"containerDefinitions[].linuxParameters.devices[].hostPath", "devices[].source", "mapped", ""},
	{"containerDefinitions[].linuxParameters.devices[].containerPath", "devices[].target", "mapped", "hostPath when absent"},
	{"containerDefinitions[].linuxParameters.devices[].permissions", "devices[].permissions", "mapped", "read/write/mknod → rwm (all when absent)"},
	{"containerDefinitions[].linuxParameters.tmpfs[].containerPath", "volumes[].target (tmpfs)", "mapped", ""},
	{"containerDefinitions[].linuxParameters.tmpfs[].size", "volumes[].tmpfs.size", "mapped", "MiB → bytes"},
	{"containerDefinitions[].linuxParameters.tmpfs[].mountOptions", "", "dropped", "reported: Compose's tmpfs mount takes only size and mode"},
	{"containerDefinitions[].secrets[].name", "environment (key)", "mapped", "non-empty, without '=' (a decode error otherwise)"},
	{"containerDefinitions[].secrets[].valueFrom", "environment", "rewritten", "never fetched nor written: the variable gets a stand-in, and the report names only the store"},
	{"containerDefinitions[].dependsOn[].containerName", "depends_on (key)", "mapped", "the container's service name"},
	{"containerDefinitions[].dependsOn[].condition", "depends_on.*.condition", "mapped", "see containerDefinitions[].dependsOn"},
	{"containerDefinitions[].extraHosts[].hostname", "extra_hosts (key)", "mapped", ""},
	{"containerDefinitions[].extraHosts[].ipAddress", "extra_hosts (value)", "mapped", ""},
	{"containerDefinitions[].ulimits[].name", "ulimits (key)", "mapped", ""},
	{"containerDefinitions[].ulimits[].softLimit", "ulimits.*.soft", "mapped", ""},
	{"containerDefinitions[].ulimits[].hardLimit", "ulimits.*.hard", "mapped", ""},
	{"containerDefinitions[].systemControls[].namespace", "sysctls (key)", "mapped", ""},
	{"containerDefinitions[].systemControls[].value", "sysctls (value)", "mapped", ""},

	// Port mappings.
	{"containerDefinitions[].portMappings[].containerPort", "ports[].target", "mapped", ""},
	{"containerDefinitions[].portMappings[].hostPort", "ports[].published", "mapped", "fixed stays fixed; 0 or absent in bridge mode → Docker picks one, as ECS does; awsvpc → containerPort; `services.<family>/<container>.ports` in devenv.yaml chooses another host port"},
	{"containerDefinitions[].portMappings[].protocol", "ports[].protocol", "mapped", "tcp (default) or udp"},
	{"containerDefinitions[].portMappings[].name", "ports[].name", "mapped", ""},
	{"containerDefinitions[].portMappings[].appProtocol", "ports[].app_protocol", "mapped", ""},
	{"containerDefinitions[].portMappings[].containerPortRange", "ports", "rewritten", "expanded to one entry per port (at most 1000)"},

	// Linux parameters.
	{"containerDefinitions[].linuxParameters.capabilities", "cap_add, cap_drop", "mapped", ""},
	{"containerDefinitions[].linuxParameters.devices", "devices", "mapped", "permissions read/write/mknod → rwm"},
	{"containerDefinitions[].linuxParameters.initProcessEnabled", "init", "mapped", ""},
	{"containerDefinitions[].linuxParameters.sharedMemorySize", "shm_size", "mapped", "MiB → bytes"},
	{"containerDefinitions[].linuxParameters.tmpfs", "volumes (tmpfs)", "mapped", "size MiB → bytes; mountOptions dropped, reported"},
	{"containerDefinitions[].linuxParameters.maxSwap", "memswap_limit", "mapped", "memory + maxSwap; dropped, reported, without a hard memory limit"},
	{"containerDefinitions[].linuxParameters.swappiness", "mem_swappiness", "mapped", ""},

	// Health check.
	{"containerDefinitions[].healthCheck.command", "healthcheck.test", "mapped", "CMD, CMD-SHELL and NONE kept. Any other first element (`[\"/healthcheck\"]`, which ECS registers) → `NONE`, reported: the ECS agent hands the command to Docker unchanged and Docker runs no probe for a test of unknown kind, so production's health stays UNKNOWN and the image's HEALTHCHECK is off; a container waiting for it HEALTHY is an error (it starts nowhere)"},
	{"containerDefinitions[].healthCheck.interval", "healthcheck.interval", "defaulted", "ECS default 30s written out when absent"},
	{"containerDefinitions[].healthCheck.timeout", "healthcheck.timeout", "defaulted", "ECS default 5s written out when absent (Docker's is 30s)"},
	{"containerDefinitions[].healthCheck.retries", "healthcheck.retries", "defaulted", "ECS default 3 written out when absent"},
	{"containerDefinitions[].healthCheck.startPeriod", "healthcheck.start_period", "mapped", ""},

	// Log configuration.
	{"containerDefinitions[].logConfiguration.logDriver", "logging.driver", "rewritten", "json-file, local, none kept; fluentd kept with its address rewritten; awslogs, splunk, gelf, syslog, ... → json-file, reported; awsfirelens → json-file, reported unsupported (FireLens routing is not emulated, so --strict fails)"},
	{"containerDefinitions[].logConfiguration.options", "logging.options", "rewritten", "fluentd-address → the local collector's published port on 127.0.0.1 through devenv.yaml hosts (the Docker engine connects, not the container); fluentd-async: \"true\"; an unmapped production address falls back to json-file, reported unsupported"},
	{"containerDefinitions[].logConfiguration.secretOptions", "", "dropped", "never fetched; names reported, values never shown"},
}

// MappingMarkdown renders Mapping as the Markdown of docs/mapping.md.
func MappingMarkdown() string {
	var b strings.Builder
	b.WriteString("<!-- Code generated by go test ./translate -update from translate/mapping.go; DO NOT EDIT. -->\n\n")
	b.WriteString("# How devenv maps ECS task definition fields to Compose\n\n")
	b.WriteString("Every field of the ECS `TaskDefinition` and `ContainerDefinition` API, and of their\n")
	b.WriteString("port mapping, volume, Linux parameter, health check and log configuration parts, is\n")
	b.WriteString("listed here. Whatever is not mapped as is shows up in `devenv plan` as a deviation\n")
	b.WriteString("(rewritten, defaulted, dropped or unsupported) when a task definition sets it.\n\n")
	b.WriteString("| ECS field | Compose | devenv | notes |\n|---|---|---|---|\n")
	for _, r := range Mapping {
		compose := r.Compose
		if compose == "" {
			compose = "—"
		} else {
			compose = "`" + compose + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Field, compose, r.Does, strings.ReplaceAll(r.Note, "|", "\\|"))
	}
	return b.String()
}
