package bpgo

import (
	"fmt"
	"slices"
)

// argGroups names the consecutive groups of a compiled graph's inputs or results, so that the
// graph builder and the host code that calls the graph agree on positions by name instead of
// by index arithmetic. Build it once per graph with add, then split the graph's inputs (nodes)
// or its results (tensors) with splitArgs, and assemble the call's arguments with packArgs.
type argGroups struct {
	names []string
	sizes []int
}

// add appends a group of n consecutive values.
func (a *argGroups) add(name string, n int) *argGroups {
	for _, have := range a.names {
		if have == name {
			panic(fmt.Sprintf("bpgo: argument group %q added twice", name))
		}
	}
	a.names = append(a.names, name)
	a.sizes = append(a.sizes, n)
	return a
}

// total is the number of values in all groups.
func (a *argGroups) total() int {
	n := 0
	for _, s := range a.sizes {
		n += s
	}
	return n
}

// splitArgs cuts xs into the groups, by name. It panics if xs does not hold exactly the
// groups' values: caller and graph disagreeing is a bug in bpgo.
func splitArgs[T any](a *argGroups, xs []T) map[string][]T {
	if len(xs) != a.total() {
		panic(fmt.Sprintf("bpgo: %d values for argument groups %v of sizes %v", len(xs), a.names, a.sizes))
	}
	out := make(map[string][]T, len(a.names))
	i := 0
	for g, name := range a.names {
		out[name] = xs[i : i+a.sizes[g] : i+a.sizes[g]]
		i += a.sizes[g]
	}
	return out
}

// packArgs concatenates the groups' values in order. Every group must be given with its size
// (an empty group may be left out); an unknown group name is a bug.
func packArgs[T any](a *argGroups, groups map[string][]T) []T {
	out := make([]T, 0, a.total())
	for g, name := range a.names {
		if vs := groups[name]; len(vs) != a.sizes[g] {
			panic(fmt.Sprintf("bpgo: argument group %q: %d values, want %d", name, len(vs), a.sizes[g]))
		}
		out = append(out, groups[name]...)
	}
	for name := range groups {
		if !slices.Contains(a.names, name) {
			panic(fmt.Sprintf("bpgo: unknown argument group %q (groups %v)", name, a.names))
		}
	}
	return out
}

// anys converts typed values for packArgs' host side.
func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// offset is the index of group name's first value.
func (a *argGroups) offset(name string) int {
	i := 0
	for g, have := range a.names {
		if have == name {
			return i
		}
		i += a.sizes[g]
	}
	panic(fmt.Sprintf("bpgo: no argument group %q", name))
}
