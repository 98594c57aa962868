#!/usr/bin/env bash
# tests/bench/gpu.sh: the bench rows on a GPU through XLA's CUDA plugin, prepared here and run there in one short
# call (GPU time is scarce). Two steps:
#
#   tests/bench/gpu.sh prepare      here: builds .bpgo/gpu/rnnbench (-tags xla, GOEXPERIMENT=simd) and records the
#                                   XLA CPU plugin's losses of short float32 runs (.bpgo/gpu/cpu-ref.json)
#   tests/bench/gpu.sh run          on the GPU machine, from the repository root, with .bpgo/gpu carried (no Go,
#                                   no network there): finds the CUDA PJRT plugin of the machine's JAX install
#                                   (jax_plugins.xla_cuda13 or xla_cuda12) and its NVIDIA libraries, times every
#                                   row, checks the float32 losses against the CPU's (relative 1e-4), and writes
#                                   gpu.json and GPU.md (a section for RESULTS.md) to $OUT (default .bpgo/gpu/out)
#   tests/bench/gpu.sh run --cpu    the same on this machine's XLA CPU plugin with the short runs as rows: tests
#                                   the script without a GPU
#
# With the device tool: run(command="bash tests/bench/gpu.sh run", carry=[".bpgo/gpu"], timeout_s=540).
# Rows (tests/bench/README.md): rnn and snn (seed 000, float64 as in the CPU bench), bptt and eprop at T = 2250
# (float32). The check runs each workload briefly in float32 with fixed seeds on both devices. Notebook 01's
# models are the rnn and snn rows: the notebook itself needs Go and Jupyter, which the GPU machine lacks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
GPU_DIR="$ROOT/.bpgo/gpu"
BIN="$GPU_DIR/rnnbench"
REF="$GPU_DIR/cpu-ref.json"
RTOL=1e-4

log() { printf '[gpu.sh] %s\n' "$*" >&2; }
die() { printf 'gpu.sh: %s\n' "$*" >&2; exit 1; }

# The agreement checks: short float32 runs, deterministic for a given seed and device.
CHECKS=(
	"rnn -epochs 1 -batches 5 -float32"
	"snn -epochs 1 -float32"
	"alif -epochs 1 -T 300"
	"eprop -epochs 1 -T 300"
)
# The timed rows, at the CPU bench's sizes (bench.py's defaults, fewer repetitions).
ROWS=(
	"rnn -epochs 5 -batches 100"
	"snn -epochs 3"
	"alif -epochs 3 -T 2250"
	"eprop -epochs 3 -T 2250"
)

# run_rows <backend spec> <out jsonl> <rows...>: one rnnbench process per row; its JSON line goes to the file.
run_rows() {
	local spec="$1" out="$2" row
	shift 2
	: >"$out"
	for row in "$@"; do
		log "BPGO_BACKEND=$spec rnnbench -workload $row"
		# shellcheck disable=SC2086 # $row is a list of flags
		BPGO_BACKEND="$spec" "$BIN" -workload $row 2>>"$out.log" | tail -n 1 >>"$out" ||
			die "rnnbench -workload $row failed on $spec (see $out.log)"
	done
}

prepare() {
	local cpu="$ROOT/.bpgo/pjrt/pjrt_c_api_cpu_plugin.so"
	[[ -f "$cpu" ]] || die "no XLA CPU plugin at $cpu: run make setup first"
	mkdir -p "$GPU_DIR"
	log "building $BIN"
	(cd "$ROOT" && GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.2}" GOEXPERIMENT=simd CGO_ENABLED=1 \
		go build -tags xla -o "$BIN" ./tests/bench/rnnbench)
	run_rows "xla:$cpu" "$REF.jsonl" "${CHECKS[@]}"
	python3 - "$REF.jsonl" "$REF" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump({r['workload']: r for r in recs}, open(sys.argv[2], 'w'), indent=1)
EOF
	rm -f "$REF.jsonl"
	log "wrote $REF; now run: bash tests/bench/gpu.sh run   (device tool: carry .bpgo/gpu)"
}

# cuda_plugin: prints the path of the machine's XLA CUDA plugin, after exporting LD_LIBRARY_PATH with the NVIDIA
# libraries pip installed beside it (JAX preloads them from Python; a Go program must be told where they are).
cuda_plugin() {
	python3 - <<'EOF'
import importlib, os, sys
for mod in ('jax_plugins.xla_cuda13', 'jax_plugins.xla_cuda12'):
    try:
        m = importlib.import_module(mod)
    except Exception:
        continue
    so = os.path.join(os.path.dirname(m.__file__), 'xla_cuda_plugin.so')
    if os.path.isfile(so):
        print(so)
        sys.exit(0)
sys.exit('no XLA CUDA plugin: neither jax_plugins.xla_cuda13 nor xla_cuda12 imports with an xla_cuda_plugin.so '
         '(pip install jax-cuda13-pjrt, or the versions in docker/cuda-requirements.txt)')
EOF
}

nvidia_lib_path() {
	python3 - <<'EOF'
import glob, os, site
dirs = set()
for sp in site.getsitepackages() + [site.getusersitepackages()]:
    for so in glob.glob(os.path.join(sp, 'nvidia', '**', 'lib*.so*'), recursive=True):
        dirs.add(os.path.dirname(so))
print(':'.join(sorted(dirs)))
EOF
}

run() {
	local cpu_mode="${1:-}" out="${OUT:-$GPU_DIR/out}" spec plugin device
	[[ -x "$BIN" && -f "$REF" ]] || die "no $BIN or $REF: run 'tests/bench/gpu.sh prepare' here first and carry .bpgo/gpu"
	mkdir -p "$out"
	if [[ "$cpu_mode" == "--cpu" ]]; then
		plugin="$ROOT/.bpgo/pjrt/pjrt_c_api_cpu_plugin.so"
		device="XLA CPU plugin (script test, no GPU)"
	else
		plugin="$(cuda_plugin)" || die "$plugin"
		# bpgo loads plugins named pjrt_c_api_<name>_plugin.so.
		mkdir -p "$GPU_DIR/pjrt"
		ln -sf "$plugin" "$GPU_DIR/pjrt/pjrt_c_api_cuda_plugin.so"
		plugin="$GPU_DIR/pjrt/pjrt_c_api_cuda_plugin.so"
		LD_LIBRARY_PATH="$(nvidia_lib_path)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
		export LD_LIBRARY_PATH
		# ptxas: the system CUDA where there is one (the NVIDIA pip wheels carry it otherwise).
		[[ -x /usr/local/cuda/bin/ptxas ]] && export XLA_FLAGS="${XLA_FLAGS:-} --xla_gpu_cuda_data_dir=/usr/local/cuda"
		device="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || echo unknown GPU)"
	fi
	spec="xla:$plugin"
	log "device: $device; plugin: $plugin"
	run_rows "$spec" "$out/check.jsonl" "${CHECKS[@]}"
	if [[ "$cpu_mode" == "--cpu" ]]; then
		run_rows "$spec" "$out/rows.jsonl" "${CHECKS[@]}" # the script's test: the short runs only
	else
		run_rows "$spec" "$out/rows.jsonl" "${ROWS[@]}"
	fi
	python3 - "$REF" "$out" "$device" "$RTOL" <<'EOF'
import datetime, json, os, sys
ref = json.load(open(sys.argv[1]))
out, device, rtol = sys.argv[2], sys.argv[3], float(sys.argv[4])
load = lambda p: [json.loads(l) for l in open(os.path.join(out, p)) if l.strip()]
checks, rows = load('check.jsonl'), load('rows.jsonl')
bad, lines = [], []
lines.append('## GPU (%s)' % device)
lines.append('')
lines.append('Generated on %s by `tests/bench/gpu.sh run` (rnnbench built by `gpu.sh prepare`; backend %s).'
             % (datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
                rows[0]['backend'] if rows else '?'))
lines.append('')
lines.append('| workload | dtype | first s (compile incl.) | median s | peak RSS MB |')
lines.append('|---|---|---|---|---|')
for r in rows:
    lines.append('| %s | %s | %.3g | %.3g | %.0f |' % (r['workload'], r['dtype'], r['first_s'], r['median_s'], r['peak_rss_mb']))
lines.append('')
lines.append('Loss agreement with the XLA CPU plugin (float32, short runs, relative tolerance %g):' % rtol)
lines.append('')
lines.append('| workload | CPU loss | this device | relative difference |')
lines.append('|---|---|---|---|')
for c in checks:
    want = ref[c['workload']]['final_loss']
    rel = abs(c['final_loss'] - want) / max(abs(want), 1e-30)
    lines.append('| %s | %.8g | %.8g | %.2e%s |' % (c['workload'], want, c['final_loss'], rel, '' if rel <= rtol else ' **over**'))
    if rel > rtol:
        bad.append(c['workload'])
md = '\n'.join(lines) + '\n'
open(os.path.join(out, 'GPU.md'), 'w').write(md)
json.dump({'device': device, 'rows': rows, 'checks': checks, 'cpu_ref': ref}, open(os.path.join(out, 'gpu.json'), 'w'), indent=1)
print(md)
if bad:
    sys.exit('gpu.sh: losses differ from the CPU run by more than %g on: %s' % (rtol, ', '.join(bad)))
EOF
}

case "${1:-}" in
prepare) prepare ;;
run) run "${2:-}" ;;
*) die "usage: tests/bench/gpu.sh prepare | run [--cpu]" ;;
esac
