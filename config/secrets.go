package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Source says where a stand-in value came from.
type Source string

// The sources of stand-in values.
const (
	SourceConfig     Source = "devenv.yaml"
	SourceSecretsEnv Source = ".devenv/secrets.env"
)

// Secret is one stand-in value.
type Secret struct {
	Value  string
	Source Source
}

// Secrets holds stand-in values: container name (or "*" for every
// container) → variable name → value.
type Secrets map[string]map[string]Secret

func (s Secrets) set(container, name, value string, src Source) {
	if s[container] == nil {
		s[container] = map[string]Secret{}
	}
	s[container][name] = Secret{Value: value, Source: src}
}

// Lookup returns the stand-in for a container's variable: a value given for
// that container wins over one given for "*".
func (s Secrets) Lookup(container, name string) (Secret, bool) {
	if v, ok := s[container][name]; ok {
		return v, true
	}
	v, ok := s["*"][name]
	return v, ok
}

// WithSecretsEnv returns a copy of l whose secret stand-ins are overridden by
// env (parsed by ParseSecretsEnv). l itself is unchanged.
func (l Local) WithSecretsEnv(env Secrets) Local {
	merged := Secrets{}
	for _, src := range []Secrets{l.Secrets, env} {
		for c, vars := range src {
			for n, v := range vars {
				merged.set(c, n, v.Value, v.Source)
			}
		}
	}
	l.Secrets = merged
	return l
}

// ParseSecretsEnv parses .devenv/secrets.env, a dotenv file: one
// NAME=value per line, where NAME is a variable for every container or
// container.NAME for one container; blank lines and # comments are skipped;
// an optional "export " prefix is allowed; values may be single-quoted
// (literal) or double-quoted (\n, \t, \\ and \" escapes). Errors name
// file:line and never echo the value.
func ParseSecretsEnv(file string, data []byte) (Secrets, error) {
	s := Secrets{}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		text = strings.TrimPrefix(text, "export ")
		key, value, ok := strings.Cut(text, "=")
		key = strings.TrimSpace(key)
		if !ok {
			errs = append(errs, &Error{File: file, Line: line, Msg: "want NAME=value or container.NAME=value"})
			continue
		}
		container, name := "*", key
		if c, n, ok := strings.Cut(key, "."); ok {
			container, name = c, n
			if !serviceName.MatchString(c) {
				errs = append(errs, &Error{File: file, Line: line, Msg: fmt.Sprintf("%q is not a container name", c)})
				continue
			}
		}
		if !envName.MatchString(name) {
			errs = append(errs, &Error{File: file, Line: line, Msg: fmt.Sprintf("%q is not a valid variable name", name)})
			continue
		}
		v, err := unquote(strings.TrimSpace(value))
		if err != nil {
			errs = append(errs, &Error{File: file, Line: line, Path: key, Msg: err.Error()})
			continue
		}
		s.set(container, name, v, SourceSecretsEnv)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &Error{File: file, Line: line + 1, Msg: fmt.Sprintf("read: %v", err)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func unquote(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '\'':
		if len(v) < 2 || v[len(v)-1] != '\'' {
			return "", errors.New("unterminated single-quoted value")
		}
		return v[1 : len(v)-1], nil
	case '"':
		if len(v) < 2 || v[len(v)-1] != '"' {
			return "", errors.New("unterminated double-quoted value")
		}
		var b strings.Builder
		body := v[1 : len(v)-1]
		for i := 0; i < len(body); i++ {
			c := body[i]
			if c != '\\' {
				if c == '"' {
					return "", errors.New("unescaped \" inside a double-quoted value")
				}
				b.WriteByte(c)
				continue
			}
			i++
			if i == len(body) {
				return "", errors.New("value ends with a lone backslash")
			}
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\', '"':
				b.WriteByte(body[i])
			default:
				return "", fmt.Errorf("unknown escape \\%c", body[i])
			}
		}
		return b.String(), nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}
