//go:build !linux

package heapguard

// totalMemory is not read outside Linux; the heap guard then uses ballastDefault.
func totalMemory() uint64 { return 0 }
