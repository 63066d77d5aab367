package taskdef_test

import "testing"

func TestDecodeInvalidValues(t *testing.T) {
	runErrorCases(t, []errorCase{
		{
			name: "enumerations",
			in: `{"family": "app", "networkMode": "Bridge", "pidMode": "container", "requiresCompatibilities": ["EC2", "LAMBDA"],
				"containerDefinitions": [{"name": "web", "image": "nginx",
					"portMappings": [{"containerPort": 80, "protocol": "sctp"}],
					"dependsOn": [{"containerName": "db", "condition": "RUNNING"}],
					"ulimits": [{"name": "open-files", "softLimit": 1, "hardLimit": 2}],
					"logConfiguration": {"logDriver": "loki"},
					"linuxParameters": {"capabilities": {"add": ["NET_ADMIN", "CAP_SYS_TIME"]}}},
				{"name": "db", "image": "postgres"}]}`,
			want: []string{
				`x.json: networkMode: invalid value "Bridge"; did you mean "bridge"? (values are case-sensitive)`,
				`x.json: pidMode: invalid value "container"; use one of "host", "task"`,
				`x.json: requiresCompatibilities[1]: invalid value "LAMBDA"; use one of "EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"`,
				`x.json: containerDefinitions[0](web).portMappings[0].protocol: invalid value "sctp"; use one of "tcp", "udp"`,
				`x.json: containerDefinitions[0](web).dependsOn[0].condition: invalid value "RUNNING"; use one of "START", "COMPLETE", "SUCCESS", "HEALTHY"`,
				`x.json: containerDefinitions[0](web).linuxParameters.capabilities.add[1]: invalid value "CAP_SYS_TIME"; use one of "ALL", "AUDIT_CONTROL", "AUDIT_WRITE", "BLOCK_SUSPEND", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM"`,
				`x.json: containerDefinitions[0](web).ulimits[0].name: invalid value "open-files"; use one of "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"`,
				`x.json: containerDefinitions[0](web).logConfiguration.logDriver: invalid value "loki"; use one of "json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens"`,
			},
		},
		{
			name: "names",
			in:   `{"family": "my app", "containerDefinitions": [{"name": "web.1", "image": "nginx"}, {"name": "db", "image": "postgres", "links": ["web.1"]}]}`,
			want: []string{
				`x.json: family: invalid family "my app"; use 1 to 255 letters, numbers, hyphens and underscores`,
				`x.json: containerDefinitions[0]("web.1").name: invalid container name "web.1"; use 1 to 255 letters, numbers, hyphens and underscores`,
			},
		},
		{
			name: "ports",
			in: `{"family": "app", "networkMode": "awsvpc", "containerDefinitions": [{"name": "web", "image": "nginx", "portMappings": [
				{"containerPort": 8080, "hostPort": 80},
				{"containerPort": 70000},
				{"containerPort": 80, "containerPortRange": "80-90"},
				{"containerPortRange": "90-80"},
				{"containerPort": 443, "appProtocol": "https"}]}]}`,
			want: []string{
				`x.json: containerDefinitions[0](web).portMappings[0].hostPort: 80 differs from containerPort (8080), which awsvpc network mode does not allow; remove hostPort or set it to 8080`,
				`x.json: containerDefinitions[0](web).portMappings[1].containerPort: 70000 is out of range; ECS accepts 1 to 65535`,
				`x.json: containerDefinitions[0](web).portMappings[2]: sets both containerPort and containerPortRange; keep only one`,
				`x.json: containerDefinitions[0](web).portMappings[3].containerPortRange: invalid port range "90-80"; write "first-last" with 1 <= first < last <= 65535, e.g. "8000-8010"`,
				`x.json: containerDefinitions[0](web).portMappings[4].appProtocol: invalid value "https"; use one of "http", "http2", "grpc"`,
			},
		},
		{
			name: "no network",
			in:   `{"family": "app", "networkMode": "none", "containerDefinitions": [{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80}]}]}`,
			want: []string{`x.json: containerDefinitions[0](web).portMappings: port mappings are not allowed in network mode "none"; remove them or change the network mode`},
		},
		{
			name: "resources",
			in: `{"family": "app", "cpu": "a lot", "memory": "1 TB", "containerDefinitions": [
				{"name": "web", "image": "nginx", "memory": 2, "cpu": -1},
				{"name": "db", "image": "postgres", "memory": 256, "memoryReservation": 512,
					"ulimits": [{"name": "nofile", "softLimit": 4096, "hardLimit": 1024}],
					"linuxParameters": {"swappiness": 101},
					"healthCheck": {"command": ["curl -f http://localhost/"], "interval": 1, "retries": 0}}]}`,
			want: []string{
				`x.json: cpu: invalid task cpu "a lot"; use CPU units ("256") or vCPUs ("0.25 vCPU")`,
				`x.json: memory: invalid task memory "1 TB"; use MiB ("512") or GB ("1 GB")`,
				`x.json: containerDefinitions[0](web).cpu: -1 is negative; use 0 or more CPU units`,
				`x.json: containerDefinitions[0](web).memory: 2 MiB is below the 4 MiB minimum of any Docker daemon; raise it`,
				`x.json: containerDefinitions[1](db).memoryReservation: 512 MiB is above memory (256 MiB); lower it or raise memory`,
				`x.json: containerDefinitions[1](db).linuxParameters.swappiness: 101 is out of range; ECS accepts 0 to 100`,
				`x.json: containerDefinitions[1](db).ulimits[0].softLimit: 4096 is above hardLimit (1024); lower it or raise hardLimit`,
				`x.json: containerDefinitions[1](db).healthCheck.interval: 1 is out of range; ECS accepts 5 to 300 seconds`,
				`x.json: containerDefinitions[1](db).healthCheck.retries: 0 is out of range; ECS accepts 1 to 10`,
			},
		},
		{
			name: "no essential container",
			in:   task(`{"name": "web", "image": "nginx", "essential": false}`),
			want: []string{`x.json: containerDefinitions: no essential container; mark at least one container "essential": true`},
		},
		{
			name: "volume kinds",
			in:   `{"family": "app", "volumes": [{"name": "v", "host": {}, "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "on"}, "dockerVolumeConfiguration": {"scope": "global"}}], "containerDefinitions": [{"name": "web", "image": "nginx"}]}`,
			want: []string{
				`x.json: volumes[0].dockerVolumeConfiguration.scope: invalid value "global"; use one of "task", "shared"`,
				`x.json: volumes[0].efsVolumeConfiguration.transitEncryption: invalid value "on"; use one of "ENABLED", "DISABLED"`,
				`x.json: volumes[0]: volume sets host and dockerVolumeConfiguration and efsVolumeConfiguration; keep only one of them`,
			},
		},
		{
			name: "legacy default network mode",
			in:   `{"family": "app", "networkMode": "default", "containerDefinitions": [{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80, "hostPort": 0}]}]}`,
		},
	})
}

func TestDecodeAllErrorsAtOnce(t *testing.T) {
	runErrorCases(t, []errorCase{{
		name: "one of each",
		in: `{"famly": "app", "containerDefinitions": [
			{"name": "web", "image": "nginx", "portMappings": [{"containerPort": "80"}], "dependsOn": [{"containerName": "db", "condition": "START"}]},
			{"name": "web", "image": "nginx", "links": ["cache"]}]}`,
		want: []string{
			`x.json: famly: unknown field; did you mean "family"? (field names are case-sensitive)`,
			`x.json: containerDefinitions[0](web).portMappings[0].containerPort: expected an integer, got string "80"; write 80 without quotes`,
			`x.json: family: required field is missing; add it`,
			`x.json: containerDefinitions[0](web).dependsOn[0].containerName: no container named "db" in this task definition; use one of "web"`,
			`x.json: containerDefinitions[1](web).name: duplicate container name "web" (also containerDefinitions[0](web)); give each container a unique name`,
			`x.json: containerDefinitions[1](web).links[0]: no container named "cache" in this task definition; use one of "web"`,
		},
	}})
}

func TestDecodeVariableNames(t *testing.T) {
	runErrorCases(t, []errorCase{{
		name: "empty and '=' in environment and secrets names",
		in: task(`{"name": "web", "image": "nginx",
			"environment": [{"name": "", "value": "x"}, {"name": "A=B", "value": "x"}, {"value": "no name"}, {"name": "OK", "value": "x"}],
			"secrets": [{"name": "", "valueFrom": "p"}, {"name": "A=B", "valueFrom": "p"}, {"name": "TOKEN", "valueFrom": "p"}]}`),
		want: []string{
			`x.json: containerDefinitions[0](web).environment[0].name: must not be empty; name the environment variable`,
			`x.json: containerDefinitions[0](web).environment[1].name: invalid variable name "A=B"; a name cannot contain '=' or NUL`,
			`x.json: containerDefinitions[0](web).environment[2].name: must not be empty; name the environment variable`,
			`x.json: containerDefinitions[0](web).secrets[0].name: must not be empty; name the environment variable`,
			`x.json: containerDefinitions[0](web).secrets[1].name: invalid variable name "A=B"; a name cannot contain '=' or NUL`,
		},
	}})
}
