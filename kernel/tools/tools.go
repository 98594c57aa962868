//go:build tools

// Package tools records the versions of the command-line tools used by the bpgo
// Jupyter kernel. kernel/setup.sh builds them with
//
//	go build -o .bpgo/bin/ github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls
package tools

import (
	_ "github.com/janpfeifer/gonb"
	_ "golang.org/x/tools/cmd/goimports"
	_ "golang.org/x/tools/gopls"
)
