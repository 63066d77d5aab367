package translate

import (
	"errors"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
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
