# Toolchain settings shared by kernel/setup.sh (sourced) and the Makefile (included).
# shellcheck shell=bash disable=SC2034  # (names used by the files that read this one)
# Keep to plain NAME=value lines: this file is read both as bash and as make syntax.
#
# Go toolchain for everything (the library needs go >= 1.27; fetched through the module proxy).
BPGO_GOTOOLCHAIN=go1.27.2
# GOEXPERIMENT for builds, tests and notebook cells ("simd": the Go backend's SIMD kernels).
# An explicitly set GOEXPERIMENT in the environment (even empty) takes precedence.
BPGO_GOEXPERIMENT=simd
