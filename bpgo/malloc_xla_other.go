//go:build xla && !(linux && cgo)

package bpgo

// Only glibc's malloc settings are changed (malloc_xla.go).
func keepMallocPages() {}

func mallocMapped(int) int { return -1 }
