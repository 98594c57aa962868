package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
)

// CellLDFlags is the linker setting for notebook cells: no symbol table and no DWARF. Every cell
// is linked anew, and writing the debug information is a third of the link's CPU time; panics
// still show file:line (from the runtime's own tables), which is what GoNB maps to cell lines.
const CellLDFlags = "-ldflags=-s -w"

// XLATag is the build tag that links XLA into a program (bpgo.XLATag).
const XLATag = "xla"

// CellGoFlags returns the GOFLAGS for the kernel's cell builds, from goflags (the environment's)
// and backend (BPGO_BACKEND): CellLDFlags unless goflags sets -ldflags itself, and the xla build
// tag when backend asks for XLA ("xla", "xla:<config>"), so that the kernel links XLA exactly
// when it will be used. Entries with spaces are quoted as the go command expects.
func CellGoFlags(goflags, backend string) (string, error) {
	flags, err := splitGoFlags(goflags)
	if err != nil {
		return "", fmt.Errorf("GOFLAGS=%s: %w", goflags, err)
	}
	hasLD := slices.ContainsFunc(flags, func(f string) bool { return flagName(f) == "ldflags" })
	if !hasLD {
		flags = append(flags, CellLDFlags)
	}
	if b := strings.TrimSpace(backend); b == XLATag || strings.HasPrefix(b, XLATag+":") {
		i := slices.IndexFunc(flags, func(f string) bool { return flagName(f) == "tags" })
		switch {
		case i < 0:
			flags = append(flags, "-tags="+XLATag)
		default:
			_, val, _ := strings.Cut(flags[i], "=")
			tags := strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' })
			if !slices.Contains(tags, XLATag) {
				flags[i] = "-tags=" + strings.Join(append(tags, XLATag), ",")
			}
		}
	}
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = quoteGoFlag(f)
	}
	return strings.Join(out, " "), nil
}

// flagName is the name of a -flag=value entry ("" for anything else).
func flagName(f string) string {
	if !strings.HasPrefix(f, "-") {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
	return name
}

// splitGoFlags splits GOFLAGS the way the go command does: on spaces, where a whole entry may be
// quoted with ' or " to hold spaces.
func splitGoFlags(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return out, nil
		}
		if q := s[0]; q == '\'' || q == '"' {
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			out = append(out, s[1:1+end])
			s = s[2+end:]
			continue
		}
		end := strings.IndexAny(s, " \t\n\r")
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

func quoteGoFlag(f string) string {
	if !strings.ContainsAny(f, " \t\n\r") {
		return f
	}
	if strings.Contains(f, "'") {
		return `"` + f + `"`
	}
	return "'" + f + "'"
}

// execKernel replaces this process with args[0] (the GoNB binary, an absolute path) run with
// args[1:], after setting GOFLAGS for cell builds (CellGoFlags). It returns only on error.
func execKernel(args []string) error {
	if len(args) == 0 || !strings.HasPrefix(args[0], "/") {
		return fmt.Errorf("exec: want the absolute path of the kernel program, then its arguments; got %q", args)
	}
	goflags, err := CellGoFlags(os.Getenv("GOFLAGS"), os.Getenv("BPGO_BACKEND"))
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "GOFLAGS=") })
	env = append(env, "GOFLAGS="+goflags)
	if err := syscall.Exec(args[0], args, env); err != nil {
		return fmt.Errorf("exec %s: %w", args[0], err)
	}
	return nil
}
