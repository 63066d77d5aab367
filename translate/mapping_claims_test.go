package translate_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// plant sets one task definition field in a minimal valid task definition
// (family app, one container web with image nginx:1.27 unless the plant
// gives web an image).
type plant struct {
	// task and container are JSON members added to the task definition
	// and to the container web ("" for none); others are more containers
	// (JSON objects) after web.
	task, container, others string
	// want is text the translated project's JSON holds because of the
	// planted value: the value itself for a mapped field, the local value
	// for a rewritten one (unused for dropped and unsupported).
	want string
}

// plants sets every field whose Mapping row claims mapped, rewritten,
// dropped or unsupported (each such row can be checked by a planted value).
var plants = map[string]plant{
	// Task definition.
	"family":                          {task: `"family": "shopfront"`, want: `"shopfront"`},
	"taskRoleArn":                     {task: `"taskRoleArn": "arn:aws:iam::123456789012:role/app"`},
	"executionRoleArn":                {task: `"executionRoleArn": "arn:aws:iam::123456789012:role/exec"`},
	"networkMode":                     {task: `"networkMode": "awsvpc"`, want: `"service:app-pause"`},
	"containerDefinitions":            {container: `"user": "planted-user"`, want: `"web":{`},
	"placementConstraints":            {task: `"placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t2.*"}]`},
	"requiresCompatibilities":         {task: `"requiresCompatibilities": ["EC2"]`},
	"cpu":                             {task: `"cpu": "256"`},
	"memory":                          {task: `"memory": "512"`},
	"tags":                            {task: `"tags": [{"key": "team", "value": "shop"}]`},
	"pidMode":                         {task: `"pidMode": "host"`, want: `"pid":"host"`},
	"ipcMode":                         {task: `"ipcMode": "host"`, want: `"ipc":"host"`},
	"proxyConfiguration":              {task: `"proxyConfiguration": {"type": "APPMESH", "containerName": "web", "properties": [{"name": "AppPorts", "value": "8080"}]}`},
	"inferenceAccelerators":           {task: `"inferenceAccelerators": [{"deviceName": "d1", "deviceType": "eia2.medium"}]`},
	"ephemeralStorage":                {task: `"ephemeralStorage": {"sizeInGiB": 30}`},
	"runtimePlatform":                 {task: `"runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}`, want: `"platform":"linux/arm64"`},
	"runtimePlatform.cpuArchitecture": {task: `"runtimePlatform": {"cpuArchitecture": "ARM64"}`, want: `"platform":"linux/arm64"`},
	"enableFaultInjection":            {task: `"enableFaultInjection": true`},
	"trustedExecutionConfiguration":   {task: `"trustedExecutionConfiguration": {"isolationMode": "ISOLATED_SANDBOX"}`},
	"taskDefinitionArn":               {task: `"taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:3"`},
	"revision":                        {task: `"revision": 3`},
	"status":                          {task: `"status": "ACTIVE"`},
	"requiresAttributes":              {task: `"requiresAttributes": [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}]`},
	"compatibilities":                 {task: `"compatibilities": ["EC2"]`},
	"registeredAt":                    {task: `"registeredAt": "2024-01-02T03:04:05Z"`},
	"registeredBy":                    {task: `"registeredBy": "arn:aws:iam::123456789012:user/me"`},
	"deregisteredAt":                  {task: `"deregisteredAt": "2024-01-02T03:04:05Z"`},
	"deleteRequestedAt":               {task: `"deleteRequestedAt": "2024-01-02T03:04:05Z"`},

	// Volumes: a task volume data mounted by web at /srv/data.
	"volumes[].host":                                                        volume(`"host": {"sourcePath": "/var/lib/planted"}`, `/.devenv/volumes/app/data"`),
	"volumes[].dockerVolumeConfiguration":                                   volume(`"dockerVolumeConfiguration": {"scope": "task", "driver": "local", "labels": {"planted": "label"}}`, `"planted":"label"`),
	"volumes[].efsVolumeConfiguration":                                      volume(`"efsVolumeConfiguration": {"fileSystemId": "fs-0123"}`, `"efs_fs-0123"`),
	"volumes[].fsxWindowsFileServerVolumeConfiguration":                     volume(`"fsxWindowsFileServerVolumeConfiguration": {"fileSystemId": "fs-0456", "rootDirectory": "share", "authorizationConfig": {"credentialsParameter": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:fsx", "domain": "corp"}}`, `"fsx_fs-0456"`),
	"volumes[].s3filesVolumeConfiguration":                                  volume(`"s3filesVolumeConfiguration": {"fileSystemArn": "arn:aws:s3files:eu-west-1:123456789012:file-system/fs-1"}`, `"app.data"`),
	"volumes[].configuredAtLaunch":                                          volume(`"configuredAtLaunch": true`, `"app.data"`),
	"volumes[].host.sourcePath":                                             volume(`"host": {"sourcePath": "/var/lib/planted"}`, `/.devenv/volumes/app/data"`),
	"volumes[].dockerVolumeConfiguration.scope":                             volume(`"dockerVolumeConfiguration": {"scope": "shared", "autoprovision": true, "driver": "local"}`, `"name":"data"`),
	"volumes[].dockerVolumeConfiguration.autoprovision":                     volume(`"dockerVolumeConfiguration": {"scope": "shared", "autoprovision": false, "driver": "local"}`, `"external":true`),
	"volumes[].dockerVolumeConfiguration.driver":                            volume(`"dockerVolumeConfiguration": {"scope": "task", "driver": "rexray/ebs"}`, `"app.data":{}`),
	"volumes[].dockerVolumeConfiguration.driverOpts":                        volume(`"dockerVolumeConfiguration": {"scope": "task", "driver": "local", "driverOpts": {"type": "planted-opt"}}`, `"planted-opt"`),
	"volumes[].dockerVolumeConfiguration.labels":                            volume(`"dockerVolumeConfiguration": {"scope": "task", "driver": "local", "labels": {"planted": "label"}}`, `"planted":"label"`),
	"volumes[].efsVolumeConfiguration.transitEncryption":                    volume(`"efsVolumeConfiguration": {"fileSystemId": "fs-0123", "transitEncryption": "ENABLED"}`, ""),
	"volumes[].efsVolumeConfiguration.transitEncryptionPort":                volume(`"efsVolumeConfiguration": {"fileSystemId": "fs-0123", "transitEncryptionPort": 2049}`, ""),
	"volumes[].efsVolumeConfiguration.authorizationConfig.iam":              volume(`"efsVolumeConfiguration": {"fileSystemId": "fs-0123", "transitEncryption": "ENABLED", "authorizationConfig": {"iam": "ENABLED"}}`, ""),
	"volumes[].fsxWindowsFileServerVolumeConfiguration.rootDirectory":       volume(`"fsxWindowsFileServerVolumeConfiguration": {"fileSystemId": "fs-0456", "rootDirectory": "share", "authorizationConfig": {"credentialsParameter": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:fsx", "domain": "corp"}}`, ""),
	"volumes[].fsxWindowsFileServerVolumeConfiguration.authorizationConfig": volume(`"fsxWindowsFileServerVolumeConfiguration": {"fileSystemId": "fs-0456", "rootDirectory": "share", "authorizationConfig": {"credentialsParameter": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:fsx", "domain": "corp"}}`, ""),
	"volumes[].s3filesVolumeConfiguration.accessPointArn":                   volume(`"s3filesVolumeConfiguration": {"fileSystemArn": "arn:aws:s3files:eu-west-1:123456789012:file-system/fs-1", "accessPointArn": "arn:aws:s3files:eu-west-1:123456789012:access-point/ap-1"}`, ""),
	"volumes[].s3filesVolumeConfiguration.rootDirectory":                    volume(`"s3filesVolumeConfiguration": {"fileSystemArn": "arn:aws:s3files:eu-west-1:123456789012:file-system/fs-1", "rootDirectory": "/planted"}`, ""),
	"volumes[].s3filesVolumeConfiguration.transitEncryptionPort":            volume(`"s3filesVolumeConfiguration": {"fileSystemArn": "arn:aws:s3files:eu-west-1:123456789012:file-system/fs-1", "transitEncryptionPort": 2049}`, ""),

	// Container definition.
	"containerDefinitions[].name":                   {container: `"user": "x"`, want: `"web":{`},
	"containerDefinitions[].image":                  {container: `"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"`, want: `"pull_policy":"missing"`},
	"containerDefinitions[].repositoryCredentials":  {container: `"repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:reg"}`},
	"containerDefinitions[].cpu":                    {container: `"cpu": 384`, want: `"cpu_shares":384`},
	"containerDefinitions[].memory":                 {container: `"memory": 300`, want: `314572800`},
	"containerDefinitions[].memoryReservation":      {container: `"memoryReservation": 200`, want: `209715200`},
	"containerDefinitions[].links":                  {task: `"networkMode": "bridge"`, container: `"links": ["db:planted-alias"]`, others: db, want: `"db:planted-alias"`},
	"containerDefinitions[].portMappings":           {container: `"portMappings": [{"containerPort": 8123, "hostPort": 8124}]`, want: `"host_ip":"127.0.0.1"`},
	"containerDefinitions[].essential":              {container: `"essential": true`, want: `"essential":true`},
	"containerDefinitions[].restartPolicy":          {container: `"restartPolicy": {"enabled": true}`, want: `"restart":"unless-stopped"`},
	"containerDefinitions[].entryPoint":             {container: `"entryPoint": ["/planted-entry", "$HOME"]`, want: `"/planted-entry","$HOME"`},
	"containerDefinitions[].command":                {container: `"command": ["planted-command", "$HOME"]`, want: `"planted-command","$HOME"`},
	"containerDefinitions[].environment":            {container: `"environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]`, want: `"DB_PASSWORD":"devenv-fake-`},
	"containerDefinitions[].environmentFiles":       {container: `"environmentFiles": [{"value": "arn:aws:s3:::bucket/planted.env", "type": "s3"}]`, want: `.devenv/env/web/planted.env`},
	"containerDefinitions[].mountPoints":            volume(`"host": {"sourcePath": "/var/lib/planted"}`, `"target":"/srv/data"`),
	"containerDefinitions[].volumesFrom":            {container: `"volumesFrom": [{"sourceContainer": "db"}]`, others: db, want: `"volumes_from":["db"]`},
	"containerDefinitions[].secrets":                {container: `"secrets": [{"name": "PLANTED_SECRET", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/planted"}]`, want: `"PLANTED_SECRET":"devenv-fake-`},
	"containerDefinitions[].dependsOn":              {container: `"dependsOn": [{"containerName": "db", "condition": "START"}]`, others: db, want: `"condition":"service_started"`},
	"containerDefinitions[].startTimeout":           {container: `"startTimeout": 77`},
	"containerDefinitions[].stopTimeout":            {container: `"stopTimeout": 77`, want: `"stop_grace_period":"1m17s"`},
	"containerDefinitions[].versionConsistency":     {container: `"versionConsistency": "disabled"`},
	"containerDefinitions[].hostname":               {container: `"hostname": "planted-host"`, want: `"hostname":"planted-host"`},
	"containerDefinitions[].user":                   {container: `"user": "planted-user"`, want: `"user":"planted-user"`},
	"containerDefinitions[].workingDirectory":       {container: `"workingDirectory": "/planted"`, want: `"working_dir":"/planted"`},
	"containerDefinitions[].disableNetworking":      {container: `"disableNetworking": true`, want: `"network_mode":"none"`},
	"containerDefinitions[].privileged":             {container: `"privileged": true`, want: `"privileged":true`},
	"containerDefinitions[].readonlyRootFilesystem": {container: `"readonlyRootFilesystem": true`, want: `"read_only":true`},
	"containerDefinitions[].dnsServers":             {container: `"dnsServers": ["10.9.8.7"]`, want: `"dns":["10.9.8.7"]`},
	"containerDefinitions[].dnsSearchDomains":       {container: `"dnsSearchDomains": ["planted.internal"]`, want: `"dns_search":["planted.internal"]`},
	"containerDefinitions[].extraHosts":             {container: `"extraHosts": [{"hostname": "planted.internal", "ipAddress": "10.9.8.7"}]`, want: `planted.internal`},
	"containerDefinitions[].dockerSecurityOptions":  {container: `"dockerSecurityOptions": ["no-new-privileges"]`, want: `"security_opt":["no-new-privileges"]`},
	"containerDefinitions[].interactive":            {container: `"interactive": true`, want: `"stdin_open":true`},
	"containerDefinitions[].pseudoTerminal":         {container: `"pseudoTerminal": true`, want: `"tty":true`},
	"containerDefinitions[].dockerLabels":           {container: `"dockerLabels": {"planted": "$HOME"}`, want: `"planted":"$HOME"`},
	"containerDefinitions[].ulimits":                {container: `"ulimits": [{"name": "nofile", "softLimit": 1234, "hardLimit": 5678}]`, want: `"soft":1234,"hard":5678`},
	"containerDefinitions[].logConfiguration":       {container: `"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}`, want: `"driver":"json-file"`},
	"containerDefinitions[].systemControls":         {container: `"systemControls": [{"namespace": "kernel.shmmax", "value": "4096"}]`, want: `"kernel.shmmax":"4096"`},
	"containerDefinitions[].resourceRequirements":   {container: `"resourceRequirements": [{"type": "GPU", "value": "1"}]`},
	"containerDefinitions[].firelensConfiguration":  {container: `"firelensConfiguration": {"type": "fluentbit"}`},
	"containerDefinitions[].credentialSpecs":        {container: `"credentialSpecs": ["credentialspec:arn:aws:s3:::bucket/spec.json"]`},

	"containerDefinitions[].restartPolicy.enabled":                   {container: `"restartPolicy": {"enabled": true}`, want: `"restart":"unless-stopped"`},
	"containerDefinitions[].restartPolicy.ignoredExitCodes":          {container: `"restartPolicy": {"enabled": true, "ignoredExitCodes": [3]}`},
	"containerDefinitions[].restartPolicy.restartAttemptPeriod":      {container: `"restartPolicy": {"enabled": true, "restartAttemptPeriod": 120}`},
	"containerDefinitions[].environment[].name":                      {container: `"environment": [{"name": "PLANTED", "value": "v"}]`, want: `"PLANTED":"v"`},
	"containerDefinitions[].environment[].value":                     {container: `"environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]`, want: `"DB_PASSWORD":"devenv-fake-`},
	"containerDefinitions[].environmentFiles[].value":                {container: `"environmentFiles": [{"value": "arn:aws:s3:::bucket/planted.env", "type": "s3"}]`, want: `.devenv/env/web/planted.env`},
	"containerDefinitions[].mountPoints[].sourceVolume":              volume(`"host": {"sourcePath": "/var/lib/planted"}`, `/.devenv/volumes/app/data"`),
	"containerDefinitions[].mountPoints[].containerPath":             volume(`"host": {"sourcePath": "/var/lib/planted"}`, `"target":"/srv/data"`),
	"containerDefinitions[].mountPoints[].readOnly":                  {task: `"volumes": [{"name": "data", "host": {"sourcePath": "/var/lib/planted"}}]`, container: `"mountPoints": [{"sourceVolume": "data", "containerPath": "/srv/data", "readOnly": true}]`, want: `"read_only":true`},
	"containerDefinitions[].volumesFrom[].sourceContainer":           {container: `"volumesFrom": [{"sourceContainer": "db"}]`, others: db, want: `"volumes_from":["db"]`},
	"containerDefinitions[].volumesFrom[].readOnly":                  {container: `"volumesFrom": [{"sourceContainer": "db", "readOnly": true}]`, others: db, want: `"volumes_from":["db:ro"]`},
	"containerDefinitions[].linuxParameters.capabilities.add":        {container: `"linuxParameters": {"capabilities": {"add": ["NET_ADMIN"]}}`, want: `"cap_add":["NET_ADMIN"]`},
	"containerDefinitions[].linuxParameters.capabilities.drop":       {container: `"linuxParameters": {"capabilities": {"drop": ["MKNOD"]}}`, want: `"cap_drop":["MKNOD"]`},
	"containerDefinitions[].linuxParameters.devices[].hostPath":      {container: `"linuxParameters": {"devices": [{"hostPath": "/dev/planted"}]}`, want: `"source":"/dev/planted"`},
	"containerDefinitions[].linuxParameters.devices[].containerPath": {container: `"linuxParameters": {"devices": [{"hostPath": "/dev/planted", "containerPath": "/dev/inside"}]}`, want: `"target":"/dev/inside"`},
	"containerDefinitions[].linuxParameters.devices[].permissions":   {container: `"linuxParameters": {"devices": [{"hostPath": "/dev/planted", "permissions": ["read"]}]}`, want: `"permissions":"r"`},
	"containerDefinitions[].linuxParameters.tmpfs[].containerPath":   {container: `"linuxParameters": {"tmpfs": [{"containerPath": "/planted-tmp", "size": 64}]}`, want: `"target":"/planted-tmp"`},
	"containerDefinitions[].linuxParameters.tmpfs[].size":            {container: `"linuxParameters": {"tmpfs": [{"containerPath": "/planted-tmp", "size": 64}]}`, want: `67108864`},
	"containerDefinitions[].linuxParameters.tmpfs[].mountOptions":    {container: `"linuxParameters": {"tmpfs": [{"containerPath": "/planted-tmp", "size": 64, "mountOptions": ["noexec"]}]}`},
	"containerDefinitions[].secrets[].name":                          {container: `"secrets": [{"name": "PLANTED_SECRET", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/planted"}]`, want: `"PLANTED_SECRET":`},
	"containerDefinitions[].secrets[].valueFrom":                     {container: `"secrets": [{"name": "PLANTED_SECRET", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/planted"}]`},
	"containerDefinitions[].dependsOn[].containerName":               {container: `"dependsOn": [{"containerName": "db", "condition": "START"}]`, others: db, want: `"depends_on":{"db":`},
	"containerDefinitions[].dependsOn[].condition":                   {container: `"dependsOn": [{"containerName": "db", "condition": "SUCCESS"}]`, others: db, want: `"condition":"service_completed_successfully"`},
	"containerDefinitions[].extraHosts[].hostname":                   {container: `"extraHosts": [{"hostname": "planted.internal", "ipAddress": "10.9.8.7"}]`, want: `planted.internal`},
	"containerDefinitions[].extraHosts[].ipAddress":                  {container: `"extraHosts": [{"hostname": "planted.internal", "ipAddress": "10.9.8.7"}]`, want: `10.9.8.7`},
	"containerDefinitions[].ulimits[].name":                          {container: `"ulimits": [{"name": "nofile", "softLimit": 1234, "hardLimit": 5678}]`, want: `"nofile":`},
	"containerDefinitions[].ulimits[].softLimit":                     {container: `"ulimits": [{"name": "nofile", "softLimit": 1234, "hardLimit": 5678}]`, want: `"soft":1234`},
	"containerDefinitions[].ulimits[].hardLimit":                     {container: `"ulimits": [{"name": "nofile", "softLimit": 1234, "hardLimit": 5678}]`, want: `"hard":5678`},
	"containerDefinitions[].systemControls[].namespace":              {container: `"systemControls": [{"namespace": "kernel.shmmax", "value": "4096"}]`, want: `"kernel.shmmax":`},
	"containerDefinitions[].systemControls[].value":                  {container: `"systemControls": [{"namespace": "kernel.shmmax", "value": "4096"}]`, want: `:"4096"`},

	// Port mappings.
	"containerDefinitions[].portMappings[].containerPort":      {container: `"portMappings": [{"containerPort": 8123}]`, want: `"target":8123`},
	"containerDefinitions[].portMappings[].hostPort":           {container: `"portMappings": [{"containerPort": 8123, "hostPort": 8124}]`, want: `"published":"8124"`},
	"containerDefinitions[].portMappings[].protocol":           {container: `"portMappings": [{"containerPort": 8123, "protocol": "udp"}]`, want: `"protocol":"udp"`},
	"containerDefinitions[].portMappings[].name":               {container: `"portMappings": [{"containerPort": 8123, "name": "planted-port"}]`, want: `"name":"planted-port"`},
	"containerDefinitions[].portMappings[].appProtocol":        {container: `"portMappings": [{"containerPort": 8123, "name": "planted-port", "appProtocol": "http2"}]`, want: `"app_protocol":"http2"`},
	"containerDefinitions[].portMappings[].containerPortRange": {container: `"portMappings": [{"containerPortRange": "8123-8125"}]`, want: `"target":8125`},

	// Linux parameters.
	"containerDefinitions[].linuxParameters.capabilities":       {container: `"linuxParameters": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]}}`, want: `"cap_add":["NET_ADMIN"]`},
	"containerDefinitions[].linuxParameters.devices":            {container: `"linuxParameters": {"devices": [{"hostPath": "/dev/planted", "permissions": ["read", "write"]}]}`, want: `"permissions":"rw"`},
	"containerDefinitions[].linuxParameters.initProcessEnabled": {container: `"linuxParameters": {"initProcessEnabled": true}`, want: `"init":true`},
	"containerDefinitions[].linuxParameters.sharedMemorySize":   {container: `"linuxParameters": {"sharedMemorySize": 96}`, want: `100663296`},
	"containerDefinitions[].linuxParameters.tmpfs":              {container: `"linuxParameters": {"tmpfs": [{"containerPath": "/planted-tmp", "size": 64}]}`, want: `"type":"tmpfs"`},
	"containerDefinitions[].linuxParameters.maxSwap":            {container: `"memory": 300, "linuxParameters": {"maxSwap": 100}`, want: `419430400`},
	"containerDefinitions[].linuxParameters.swappiness":         {container: `"linuxParameters": {"swappiness": 37}`, want: `"mem_swappiness":"37"`},

	// Health check.
	"containerDefinitions[].healthCheck.command":     {container: `"healthCheck": {"command": ["CMD-SHELL", "planted-probe"]}`, want: `"planted-probe"`},
	"containerDefinitions[].healthCheck.startPeriod": {container: `"healthCheck": {"command": ["CMD-SHELL", "planted-probe"], "startPeriod": 17}`, want: `"start_period":"17s"`},

	// Log configuration.
	"containerDefinitions[].logConfiguration.logDriver":     {container: `"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}`, want: `"driver":"json-file"`},
	"containerDefinitions[].logConfiguration.options":       {container: `"logConfiguration": {"logDriver": "fluentd", "options": {"fluentd-address": "logs.example.com:24224"}}`, want: `"logging":{"driver":"json-file"}`},
	"containerDefinitions[].logConfiguration.secretOptions": {container: `"logConfiguration": {"logDriver": "json-file", "secretOptions": [{"name": "token", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/t"}]}`},
}

// db is a second container, for the fields that name another container.
const db = `{"name": "db", "image": "postgres:16"}`

// volume plants a task volume data, with the configuration members conf,
// that web mounts at /srv/data.
func volume(conf, want string) plant {
	v := `"name": "data"`
	if conf != "" {
		v += ", " + conf
	}
	return plant{
		task:      `"volumes": [{` + v + `}]`,
		container: `"mountPoints": [{"sourceVolume": "data", "containerPath": "/srv/data"}]`,
		want:      want,
	}
}

// falseClaims are the rows whose kind this test finds false, with what
// translation does instead. Each is a finding to fix in translate (or in
// the row); the test fails when one starts to hold, so that it leaves
// this list.
var falseClaims = map[string]string{}

// indexOrName matches a path's element index or variable name
// (`[0]`, `[FOO]`) and a container's name (`(web)`).
var indexOrName = regexp.MustCompile(`\[[^\]]*\]|\([^)]*\)`)

// fieldOf is a report path as a Mapping field: indices and names as `[]`,
// container names left out.
func fieldOf(path string) string {
	return indexOrName.ReplaceAllStringFunc(path, func(s string) string {
		if s[0] == '(' {
			return ""
		}
		return "[]"
	})
}

// at reports whether a report path is at field or under it.
func at(path, field string) bool {
	f := fieldOf(path)
	return f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(f, field+"[")
}

// atVolume reports whether d is a deviation of a volumes[] field: those
// are reported at the mount point that uses the volume, with a Production
// text that begins with the volume (`volumes[data] `) and, for a field
// under the volume's configuration, names that field's path below the
// configuration (`transitEncryption ENABLED`, `transitEncryption port
// 2049`, `authorizationConfig.iam ENABLED`; compared without case and
// spaces).
func atVolume(d translate.Deviation, field string) bool {
	rest, ok := strings.CutPrefix(field, "volumes[].")
	if !ok || fieldOf(d.Path) != "containerDefinitions[].mountPoints[].sourceVolume" {
		return false
	}
	prod, ok := strings.CutPrefix(d.Production, "volumes[data] ")
	if !ok {
		return false
	}
	_, sub, nested := strings.Cut(rest, ".")
	if !nested {
		return true
	}
	squash := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	return strings.HasPrefix(squash(prod), squash(sub))
}

// TestMappingClaims plants a value at every field whose Mapping row says
// mapped, rewritten, dropped or unsupported, translates, and checks the
// row's kind: dropped and unsupported fields are reported so at that path;
// a mapped field's value is in the project with no deviation at its path;
// a rewritten field is reported rewritten at its path or its local value
// is in the project.
func TestMappingClaims(t *testing.T) {
	for _, r := range translate.Mapping {
		switch r.Does {
		case "mapped", "rewritten", "dropped", "unsupported":
		default:
			continue
		}
		p, ok := plants[r.Field]
		if !ok {
			t.Errorf("Mapping row %s (%s) has no planted value: add one to plants", r.Field, r.Does)
			continue
		}
		t.Run(r.Field, func(t *testing.T) {
			problems := checkClaim(t, r, p)
			does, known := falseClaims[r.Field]
			switch {
			case known && len(problems) == 0:
				t.Errorf("Mapping's claim for %s now holds (falseClaims says: %s): remove it from falseClaims", r.Field, does)
			case !known:
				for _, m := range problems {
					t.Error(m)
				}
			}
		})
	}
	for f := range falseClaims {
		if _, ok := plants[f]; !ok {
			t.Errorf("falseClaims lists %s, which is not planted", f)
		}
	}
	for f := range plants {
		if !hasRow(f) {
			t.Errorf("plants sets %s, which has no Mapping row of kind mapped, rewritten, dropped or unsupported", f)
		}
	}
}

func hasRow(field string) bool {
	for _, r := range translate.Mapping {
		if r.Field == field {
			switch r.Does {
			case "mapped", "rewritten", "dropped", "unsupported":
				return true
			}
		}
	}
	return false
}

// checkClaim translates p and returns how what translation did differs
// from what r claims (nil when it holds).
func checkClaim(t *testing.T, r translate.Rule, p plant) []string {
	t.Helper()
	var problems []string
	task := `"family": "app"`
	if p.task != "" {
		if strings.HasPrefix(p.task, `"family"`) {
			task = p.task
		} else {
			task += ", " + p.task
		}
	}
	container := `"name": "web"`
	if !strings.Contains(p.container, `"image":`) {
		container += `, "image": "nginx:1.27"`
	}
	if p.container != "" {
		container += ", " + p.container
	}
	containers := `{` + container + `}`
	if p.others != "" {
		containers += ", " + p.others
	}
	src := `{` + task + `, "containerDefinitions": [` + containers + `]}`
	def, err := taskdef.Decode("app.json", []byte(src))
	if err != nil {
		t.Fatalf("the planted task definition does not decode: %v\n%s", err, src)
	}
	project, report, err := translate.Translate([]taskdef.Def{def}, config.Default())
	if err != nil {
		t.Fatalf("translate the planted task definition: %v\n%s", err, src)
	}
	out, err := json.Marshal(project)
	if err != nil {
		t.Fatal(err)
	}
	// here are the deviations at the field or under it; for a mapped
	// field only those at the field itself count (a container is mapped
	// while its fields may deviate).
	var here []translate.Deviation
	for _, d := range report {
		if (at(d.Path, r.Field) || atVolume(d, r.Field)) && (r.Does != "mapped" || fieldOf(d.Path) == r.Field) {
			here = append(here, d)
		}
	}
	kinds := map[translate.Kind]bool{}
	for _, d := range here {
		kinds[d.Kind] = true
	}
	switch r.Does {
	case "dropped", "unsupported":
		if !kinds[translate.Kind(r.Does)] {
			problems = append(problems, fmt.Sprintf("Mapping says %s is %s, but the report has no %s deviation at it; at it: %v\nplanted: %s\nreport: %v", r.Field, r.Does, r.Does, here, src, report))
		}
	case "mapped":
		if !strings.Contains(string(out), p.want) {
			problems = append(problems, fmt.Sprintf("Mapping says %s is mapped, but the project does not hold %s\nplanted: %s\nproject: %s", r.Field, p.want, src, out))
		}
		if len(here) > 0 {
			problems = append(problems, fmt.Sprintf("Mapping says %s is mapped, but the report has deviations at it: %v\nplanted: %s", r.Field, here, src))
		}
	case "rewritten":
		// Without a rewritten deviation, the project must hold the local
		// value, and that value (want after its key, if it has one) must
		// not be in the planted text.
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		value := p.want
		if _, v, keyed := strings.Cut(p.want, `":`); keyed {
			value = v
		}
		changed := p.want != "" && strings.Contains(string(out), p.want) && !strings.Contains(squash(src), squash(value))
		if !kinds[translate.Rewritten] && !changed {
			problems = append(problems, fmt.Sprintf("Mapping says %s is rewritten, but the report has no rewritten deviation at it (at it: %v) and the project does not hold the local value %q, or it is the planted text\nplanted: %s\nproject: %s", r.Field, here, p.want, src, out))
		}
	}
	return problems
}
