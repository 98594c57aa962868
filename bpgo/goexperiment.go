package bpgo

import "runtime/debug"

// goexperiment returns the GOEXPERIMENT setting this binary was built with ("" if none).
func goexperiment() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == "GOEXPERIMENT" {
			return s.Value
		}
	}
	return ""
}
