package translate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

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
