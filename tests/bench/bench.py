#!/usr/bin/env python3
"""tests/bench driver: times the same workloads in BrainPy and in bpgo on each backend, one after the other.

    python3 tests/bench/bench.py [--quick] [--brainpy yes|auto|no] [--backends go-simd,go,xla] ...
    make bench [BENCH_ARGS="--quick"]        make bench-smoke

Steps (stdlib only; run it with any python3):
  1. BrainPy venv .bpgo/bench-venv from PyPI, hash-pinned (tests/bench/requirements.txt, BrainPy 2.4.3); rebuilt
     only when the lock or the python version changes (stamp .bpgo/bench-venv/.bench-stamp). The Fashion-MNIST
     rows use .bpgo/bench-venv-2.5 (tests/bench/requirements-2.5.txt, BrainPy 2.5.0, the version seed 004
     prints), made the same way; each venv only when a requested row needs it.
  2. bpgo's tests/bench/rnnbench built twice into .bpgo/bench/bin: GOEXPERIMENT=simd and GOEXPERIMENT= .
  3. Machine peak: tests/bench/peak.py (numpy matmul GFLOP/s, float64 and float32) in the bench venv.
  4. Rows: "rnn" (seed 000's RNN, one epoch = 100 BPTT steps of 128 x 25, float64), "bptt-T2250"
     (one BPTT training step, T=2250, batch 128, 40 -> 100 tanh RNN -> 2, float32), "snn" (seed 000's
     SNN, one unit = 100 training steps on 256 samples x 100 steps, float64) and "eprop-alif-T2250"
     (one BPTT step of seed 002's ALIF e-prop network, T=2250, batch 128, float32) with "eprop-online" (bpgo's
     online e-prop step on the same network and data, against BrainPy's BPTT step), "esn" (notebook 02's
     400-unit echo state network on Lorenz data, float64, as two rows: "esn-ridge" = one Ridge fit on 6000
     steps, "esn-rls" = one online RLS/FORCE fit on 1000 steps) and "eirnn" (one epoch of seed 003's E/I
     RNN, 64 batches x 16 trials x 110 steps, float32). For each row: BrainPy
     (tests/bench/brainpy_bench.py), then bpgo with BPGO_BACKEND=go on the SIMD build (bpgo's default),
     on the plain build, and BPGO_BACKEND=xla (XLA CPU PJRT plugin in .bpgo/pjrt, from `make setup`).
     Fashion-MNIST rows (notebook 05 = seed 004, float32, dt 0.1, the IDX files of `make testdata`):
     "lstm-fmnist" (one BPTT epoch of the LSTM over the 60,000 training images, batches of 256),
     "snn-fmnist" (one epoch of the latency-coded SNN, spike encoding included; the share of the epoch spent
     encoding is reported) and "loop-fmnist" (100 steps of the hand-written loop); BrainPy side
     tests/bench/brainpy25_bench.py, bpgo side rnnbench -workload lstm-fmnist|snn-fmnist|loop-fmnist.
     Each is its own process; only the JSON lines on stdout are parsed, stderr goes to .bpgo/bench/logs.
  5. Table on stdout; markdown to tests/bench/RESULTS.md (full run) or .bpgo/bench/RESULTS-quick.md
     (--quick), raw records to .bpgo/bench/results.json (results-quick.json).
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATE = os.path.join(ROOT, '.bpgo')
VENV = os.path.join(STATE, 'bench-venv')
OUTDIR = os.path.join(STATE, 'bench')
BINDIR = os.path.join(OUTDIR, 'bin')
LOGDIR = os.path.join(OUTDIR, 'logs')
PJRT_DIR = os.path.join(STATE, 'pjrt')
REQ = os.path.join(HERE, 'requirements.txt')
# The Fashion-MNIST rows (notebook 05 = seed 004) run BrainPy 2.5.0, the version that seed prints, in a venv of
# their own; everything else runs BrainPy 2.4.3 in VENV.
VENV25 = os.path.join(STATE, 'bench-venv-2.5')
REQ25 = os.path.join(HERE, 'requirements-2.5.txt')

# Sizes of the rows (must match rnnbench and brainpy_bench.py).
RNN = dict(n_in=1, hidden=100, n_out=1, batch=128, T=25)
BPTT = dict(n_in=40, hidden=100, n_out=2, batch=128)  # also the e-prop ALIF network's sizes
SNN = dict(n_in=100, hidden=10, n_out=2, batch=256, T=100, steps_per_unit=100)
FMNIST = dict(images=60000, rows=28, cols=28, hidden=100, classes=10, batch=256, steps=100, loop_steps=100)
FMNIST_ROWS = ('lstm-fmnist', 'snn-fmnist', 'loop-fmnist')
ESN = dict(n_in=3, hidden=400, n_out=3, ridge_steps=6000, rls_steps=1000)
EIRNN = dict(n_in=3, hidden=50, n_e=40, n_out=3, batch=16, T=110, batches=64)
MEMORY_RUNS = 3  # processes per figure of the e-prop memory table (a step's peak depends on when the collector runs)
MEMORY_STEPS = 4  # steps after the first per process of that table, whose high-water mark it reports
PAIRED_RUNS = 5  # pairs of online / BPTT e-prop processes run in turn for their ratio

# --workloads names; "esn" runs as two rows (esn-ridge, esn-rls), each in its own processes; "eprop" as the BPTT
# step and bpgo's online e-prop step (trainers.EProp), both against BrainPy's BPTT step (BrainPy has no online e-prop).
WORKLOADS = ('rnn', 'bptt', 'snn', 'eprop', 'esn', 'eirnn') + FMNIST_ROWS
ROWS_OF = {'esn': ('esn-ridge', 'esn-rls'), 'eprop': ('eprop', 'eprop-online')}

# bpgo backends: name -> (binary, BPGO_BACKEND, label)
BACKENDS = {
    'go-simd': ('rnnbench-simd', 'go', 'bpgo Go+SIMD (default)'),
    'go': ('rnnbench-nosimd', 'go', 'bpgo Go (no SIMD)'),
    'xla': ('rnnbench-simd', 'xla', 'bpgo XLA CPU'),
    # auto in a program built with XLA: the Go backend, and XLA for batch-1 runners of large weights
    # (bpgo.AutoXLAMinWeight); rnnbench reports which backend each row ran on.
    'auto-xla': ('rnnbench-simd', 'auto', 'bpgo auto, XLA linked'),
}


def log(msg):
    print('[bench] ' + msg, flush=True)


def die(msg):
    print('[bench] ERROR: ' + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout.strip()


def try_sh(cmd, **kw):
    try:
        return sh(cmd, stderr=subprocess.DEVNULL, **kw)
    except Exception:
        return ''


def env_sh_value(name, default):
    """A NAME=value line of kernel/env.sh (shared with setup.sh and the Makefile)."""
    try:
        with open(os.path.join(ROOT, 'kernel', 'env.sh')) as f:
            for line in f:
                m = re.match(r'^%s=(.*)$' % name, line.strip())
                if m:
                    return m.group(1)
    except OSError:
        pass
    return default


# ---------------------------------------------------------------------------------------------------------
# Set-up


def pick_python(arg):
    if arg:
        return arg
    if os.environ.get('BENCH_PYTHON'):
        return os.environ['BENCH_PYTHON']
    for p in ('python3.11', 'python3'):
        if shutil.which(p):
            return p
    die('no python3 on PATH (the BrainPy venv needs python 3.11; set BENCH_PYTHON)')


def venv_python(venv=VENV):
    return os.path.join(venv, 'bin', 'python')


def ensure_venv(python, venv=VENV, req=REQ):
    """Creates/refreshes a BrainPy venv (.bpgo/bench-venv or .bpgo/bench-venv-2.5) from its hash-pinned lock;
    idempotent (stamp)."""
    pyver = sh([python, '-c', 'import platform; print(platform.python_version())'])
    if not pyver.startswith('3.11.'):
        log('WARNING: %s is python %s; the locks were made for 3.11 (jaxlib 0.4.18 and 0.4.23 have wheels for 3.9-3.12)'
            % (python, pyver))
    with open(req, 'rb') as f:
        key = 'python=%s req=%s' % (pyver, hashlib.sha256(f.read()).hexdigest()[:16])
    stamp = os.path.join(venv, '.bench-stamp')
    if os.path.exists(stamp) and open(stamp).read().strip() == key and os.path.exists(venv_python(venv)):
        log('BrainPy venv: up to date (%s)' % venv)
        return
    t0 = time.time()
    log('BrainPy venv: creating %s (python %s) from %s' % (venv, pyver, os.path.relpath(req, ROOT)))
    if os.path.exists(venv):
        shutil.rmtree(venv)
    subprocess.run([python, '-m', 'venv', venv], check=True)
    r = subprocess.run([venv_python(venv), '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
                        '--require-hashes', '--no-deps', '-r', req])
    if r.returncode != 0:
        die('pip install of %s failed' % os.path.relpath(req, ROOT))
    sh([venv_python(venv), '-c', 'import brainpy, jax, jaxlib'])
    with open(stamp, 'w') as f:
        f.write(key + '\n')
    log('BrainPy venv: done in %.0f s' % (time.time() - t0))


def go_env():
    env = dict(os.environ)
    env.setdefault('GOTOOLCHAIN', env_sh_value('BPGO_GOTOOLCHAIN', 'go1.27.2'))
    return env


def build_bpgo(backends):
    os.makedirs(BINDIR, exist_ok=True)
    env = go_env()
    need = {}
    for b in backends:
        binary = BACKENDS[b][0]
        need[binary] = 'simd' if binary.endswith('-simd') else ''
    for binary, exp in sorted(need.items()):
        t0 = time.time()
        e = dict(env, GOEXPERIMENT=exp)
        out = os.path.join(BINDIR, binary)
        # -tags xla: XLA linked (bpgo's build tag), so that one binary runs every backend row.
        r = subprocess.run(['go', 'build', '-tags', 'xla', '-o', out, './tests/bench/rnnbench'], cwd=ROOT, env=e)
        if r.returncode != 0:
            die('go build ./tests/bench/rnnbench (GOEXPERIMENT=%s) failed' % exp)
        log('built %s (GOEXPERIMENT=%s) in %.0f s' % (os.path.relpath(out, ROOT), exp, time.time() - t0))


def have_pjrt():
    return os.path.isdir(PJRT_DIR) and any(f.endswith('.so') for f in os.listdir(PJRT_DIR))


# ---------------------------------------------------------------------------------------------------------
# Running


def child_env(threads, nproc):
    env = dict(os.environ)
    n = str(threads)
    env.update(GOMAXPROCS=n, OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, MKL_NUM_THREADS=n,
               TF_CPP_MIN_LOG_LEVEL='2', PYTHONUNBUFFERED='1', JAX_PLATFORMS='cpu')
    if threads == 1:
        # XLA's CPU client (JAX and the PJRT plugin alike) otherwise sizes its pool to the machine.
        env['XLA_FLAGS'] = (env.get('XLA_FLAGS', '') + ' --xla_cpu_multi_thread_eigen=false '
                            'intra_op_parallelism_threads=1').strip()
    return env


def affinity_prefix(threads, nproc):
    if threads < nproc and shutil.which('taskset'):
        return ['taskset', '-c', '0-%d' % (threads - 1)]
    return []


def run_json(cmd, env, logname, timeout):
    """Runs cmd; returns (JSON records from stdout, wall seconds, error or None)."""
    os.makedirs(LOGDIR, exist_ok=True)
    logpath = os.path.join(LOGDIR, logname)
    t0 = time.time()
    with open(logpath, 'w') as errf:
        errf.write('$ %s\n' % ' '.join(shlex.quote(c) for c in cmd))
        errf.flush()
        try:
            p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errf, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return [], time.time() - t0, 'timed out after %d s (log %s)' % (timeout, os.path.relpath(logpath, ROOT))
    wall = time.time() - t0
    recs = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith('{'):
            try:
                recs.append(json.loads(line))
            except ValueError:
                pass
    if p.returncode != 0:
        return recs, wall, 'exit status %d (log %s)' % (p.returncode, os.path.relpath(logpath, ROOT))
    if not recs:
        return recs, wall, 'no JSON line on stdout (log %s)' % os.path.relpath(logpath, ROOT)
    return recs, wall, None


WAITED = [0.0]  # seconds spent in wait_idle
LOADS = []  # 1-min load average just before each measurement


def wait_idle(max_wait, threshold):
    t0 = time.time()
    try:
        _wait_idle(max_wait, threshold)
    finally:
        WAITED[0] += time.time() - t0
        LOADS.append(os.getloadavg()[0])


def _wait_idle(max_wait, threshold):
    if max_wait <= 0:
        return
    t0 = time.time()
    while time.time() - t0 < max_wait:
        load1 = os.getloadavg()[0]
        if load1 < threshold:
            return
        log('waiting for an idle machine: load average %.2f >= %.2f (%.0f s of %d)'
            % (load1, threshold, time.time() - t0, max_wait))
        time.sleep(max(0.0, min(15.0, max_wait - (time.time() - t0))))
    log('machine still busy after %d s; going on' % max_wait)


# ---------------------------------------------------------------------------------------------------------
# Physics


def rnn_flops(n_in, hidden, n_out):
    """Matmul FLOPs of one sample-step of RNNCell(n_in, hidden) >> Dense(hidden, n_out), forward + backward.

    Forward: x@Wi, h@Wh, h@Wo. Backward: dWh and dh_prev for the recurrent matmul, dWi only for the input
    one (no gradient w.r.t. the data), dWo and dh for the readout. 2 FLOPs per multiply-add.
    """
    fwd = 2 * (n_in * hidden + hidden * hidden + hidden * n_out)
    bwd = 2 * (2 * hidden * hidden + n_in * hidden + 2 * hidden * n_out)
    return fwd + bwd


def rnn_fwd_flops(n_in, hidden, n_out):
    return 2 * (n_in * hidden + hidden * hidden + hidden * n_out)


def snn_flops(n_in, hidden, n_out):
    """Matmul FLOPs of one sample-step of seed 000's SNN (Linear n_in->hidden, Linear hidden->n_out, no
    recurrent matmul), forward + backward: dW only for the input Linear, dW and dh for the readout one."""
    fwd = 2 * (n_in * hidden + hidden * n_out)
    bwd = 2 * (n_in * hidden + 2 * hidden * n_out)
    return fwd + bwd


def lstm_flops(n_in, hidden, n_out):
    """Matmul FLOPs of one sample-step of LSTMCell(n_in, hidden) >> Dense(hidden, n_out), forward + backward:
    the four gates' x@Wi (n_in x 4H) and h@Wh (H x 4H); backward dWi only, dWh and dh_prev, dWo and dh."""
    g = 4 * hidden
    fwd = 2 * (n_in * g + hidden * g + hidden * n_out)
    bwd = 2 * (n_in * g + 2 * hidden * g + 2 * hidden * n_out)
    return fwd + bwd


def fmnist_snn_flops(n_in, hidden, n_out):
    """Matmul FLOPs of one sample-step of notebook 05's SNN: Linear(784,100) on the input spikes, Linear(100,10)
    on the hidden spikes, no recurrent matmul; backward dW only for the input Linear, dW and dh for the other."""
    return snn_flops(n_in, hidden, n_out)


def esn_fwd_flops():
    """Matmul FLOPs of one ESN step (batch 1): x@Win (3x400), h@Wrec (400x400), readout (400x3)."""
    return 2 * (ESN['n_in'] * ESN['hidden'] + ESN['hidden'] ** 2 + ESN['hidden'] * ESN['n_out'])


def eirnn_flops():
    """Matmul FLOPs of one E/I RNN sample-step, forward + backward: x@Wir (3x50), h@W (50x50),
    h[:, :40]@Wro (40x3); backward dWir only, dW and dh for the recurrence and the readout."""
    e = EIRNN
    fwd = 2 * (e['n_in'] * e['hidden'] + e['hidden'] ** 2 + e['n_e'] * e['n_out'])
    bwd = 2 * (e['n_in'] * e['hidden'] + 2 * e['hidden'] ** 2 + 2 * e['n_e'] * e['n_out'])
    return fwd + bwd


def workload_flops(row, p):
    if row == 'esn-ridge':
        # forward steps + the Gram matrix [1|X]^T [1|X] and [1|X]^T Y (BrainPy's normal equations; bpgo's
        # streamed QR of [1|X|Y] costs about the same, 2 n f^2).
        f = ESN['hidden'] + 1
        return ESN['ridge_steps'] * (esn_fwd_flops() + 2 * f * (f + ESN['n_out']))
    if row == 'esn-rls':
        # forward + RLS: k = P x' and P -= c k k^T, each 2 f^2 per step (the rest is O(f)).
        f = ESN['hidden'] + 1
        return ESN['rls_steps'] * (esn_fwd_flops() + 4 * f * f)
    if row == 'eirnn':
        return eirnn_flops() * EIRNN['batch'] * EIRNN['T'] * EIRNN['batches']
    f = FMNIST
    if row == 'lstm-fmnist':
        return lstm_flops(f['cols'], f['hidden'], f['classes']) * f['rows'] * p['images']
    if row == 'loop-fmnist':
        return lstm_flops(f['cols'], f['hidden'], f['classes']) * f['rows'] * f['batch'] * f['loop_steps']
    if row == 'snn-fmnist':
        samples = p['images'] // f['batch'] * f['batch']  # the last incomplete batch is dropped
        return fmnist_snn_flops(f['rows'] * f['cols'], f['hidden'], f['classes']) * f['steps'] * samples
    if row == 'rnn':
        return rnn_flops(RNN['n_in'], RNN['hidden'], RNN['n_out']) * RNN['batch'] * RNN['T'] * p['batches']
    if row == 'snn':
        return (snn_flops(SNN['n_in'], SNN['hidden'], SNN['n_out']) * SNN['batch'] * SNN['T']
                * SNN['steps_per_unit'])
    # bptt and eprop: i2r (40x100), the 100x100 recurrence (r2r for e-prop), readout 100x2: the same matmuls.
    return rnn_flops(BPTT['n_in'], BPTT['hidden'], BPTT['n_out']) * BPTT['batch'] * p['T']


# ---------------------------------------------------------------------------------------------------------
# Report


def fmt_s(x):
    if x is None:
        return '-'
    if x >= 100:
        return '%.0f' % x
    if x >= 10:
        return '%.1f' % x
    if x >= 1:
        return '%.2f' % x
    return '%.3f' % x


def stats(times):
    med = statistics.median(times)
    lo, hi = min(times), max(times)
    return med, lo, hi, (hi - lo) / 2 / med * 100 if med > 0 else 0.0


def table_rows(results, peak):
    """Rows of the table: dicts with the formatted cells (markdown and terminal share them)."""
    out = []
    for row in results:
        base = None
        for r in row['systems']:
            if r['system'] == 'BrainPy' and r.get('rec'):
                base = r['rec']['median']
        for r in row['systems']:
            cells = {'workload': row['label'], 'system': r['label']}
            rec = r.get('rec')
            if not rec:
                cells.update(first='-', median='-', spread=r.get('error', 'not run'), ratio='-', peak='-', mem='-')
                out.append(cells)
                continue
            med, lo, hi, pct = rec['median'], rec['min'], rec['max'], rec['spread_pct']
            cells['first'] = fmt_s(rec['first_s'])
            cells['median'] = fmt_s(med)
            cells['spread'] = '%s-%s (±%.0f%%, n=%d)' % (fmt_s(lo), fmt_s(hi), pct, len(rec['times_s']))
            if r['system'] == 'BrainPy':
                cells['ratio'] = '1 (ref.)'
            elif base:
                cells['ratio'] = '%.2fx' % (med / base)
            else:
                cells['ratio'] = '-'
            pk = peak.get('big_' + row['dtype']) if peak else None
            cells['peak'] = '%.1f%%' % (row['flops'] / med / 1e9 / pk * 100) if pk else '-'
            mem = max(rec.get('peak_rss_first_mb') or 0, rec.get('peak_rss_mb') or 0)
            cells['mem'] = '%.0f' % mem if mem else '-'
            out.append(cells)
    return out


COLS = [('workload', 'workload'), ('system', 'system / backend'), ('first', 'first s'),
        ('median', 'median s'), ('spread', 'spread min-max'), ('ratio', 'bpgo/BrainPy'),
        ('peak', '% of peak'), ('mem', 'peak MiB')]


def print_table(rows):
    widths = {k: max(len(h), *(len(r[k]) for r in rows)) for k, h in COLS}
    line = '  '.join(h.ljust(widths[k]) for k, h in COLS)
    print(line)
    print('-' * len(line))
    for r in rows:
        print('  '.join(r[k].ljust(widths[k]) for k, _ in COLS))


def md_table(rows):
    lines = ['| ' + ' | '.join(h for _, h in COLS) + ' |', '|' + '|'.join('---' for _ in COLS) + '|']
    for r in rows:
        lines.append('| ' + ' | '.join(r[k].replace('|', '/') for k, _ in COLS) + ' |')
    return '\n'.join(lines)


def machine_info():
    model = ''
    out = try_sh(['lscpu'])
    for line in out.splitlines():
        if line.startswith('Model name:'):
            model = line.split(':', 1)[1].strip()
    flags = ''
    for line in out.splitlines():
        if line.startswith('Flags:'):
            fl = line.split(':', 1)[1].split()
            flags = ', '.join(f for f in ('avx2', 'fma', 'avx512f') if f in fl)
    mem = ''
    try:
        with open('/proc/meminfo') as f:
            kb = int(f.readline().split()[1])
            mem = '%.0f GiB' % (kb / 2**20)
    except Exception:
        pass
    return {'cpu': model or platform.processor(), 'nproc': os.cpu_count(), 'isa': flags, 'mem': mem,
            'kernel': platform.release()}


def versions(brainpy_versions, backends_seen, brainpy25_versions=None):
    v = {}
    env = go_env()
    v['go'] = try_sh(['go', 'env', 'GOVERSION'], cwd=ROOT, env=env)
    try:
        with open(os.path.join(ROOT, 'go.mod')) as f:
            mod = f.read()
        for dep in ('github.com/gomlx/gomlx', 'github.com/gomlx/go-xla', 'github.com/gomlx/compute'):
            m = re.search(re.escape(dep) + r'\s+(v\S+)', mod)
            if m:
                v[dep.split('/')[-1]] = m.group(1)
    except OSError:
        pass
    commit = try_sh(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT)
    if commit:
        dirty = try_sh(['git', 'status', '--porcelain', '--untracked-files=no'], cwd=ROOT)
        v['bpgo'] = commit + (' + uncommitted changes' if dirty else '')
    for b in backends_seen:
        m = re.search(r'(v[0-9.]+) \[StableHLO\]', b)
        if m:
            v['pjrt'] = 'PJRT C-API %s (%s)' % (m.group(1), os.path.relpath(PJRT_DIR, ROOT))
    if brainpy_versions:
        v.update({k: brainpy_versions[k] for k in ('brainpy', 'jax', 'jaxlib', 'numpy', 'python')
                  if k in brainpy_versions})
    if brainpy25_versions:  # the Fashion-MNIST rows' venv, when the 2.4.3 rows ran too
        v['brainpy25'] = 'BrainPy %s with jax/jaxlib %s/%s, numpy %s' % tuple(
            brainpy25_versions.get(k, '?') for k in ('brainpy', 'jax', 'jaxlib', 'numpy'))
    return v


def write_markdown(path, ctx, rows):
    m, v, p, pk = ctx['machine'], ctx['versions'], ctx['params'], ctx['peak']
    L = []
    L.append('# tests/bench results%s' % (' (quick mode: reduced sizes, smoke test only)' if ctx['quick'] else ''))
    L.append('')
    waited = ' of which %.0f s waiting for an idle machine' % ctx['waited'] if ctx['waited'] >= 1 else ''
    L.append('Generated by `%s` on %s (total run time %.0f s%s). Regenerate with `make bench`; see '
             'tests/bench/README.md for what each row is and the caveats.'
             % (ctx['command'], ctx['date'], ctx['wall'], waited))
    L.append('')
    loads = ctx['loads']
    L.append('- Machine: %s, %d cores (%s), %s RAM, Linux %s; 1-min load average at start %s, just before each '
             'measurement %s%s.'
             % (m['cpu'], m['nproc'], m['isa'], m['mem'], m['kernel'], ctx['load_start'],
                '%.2f-%.2f' % (min(loads), max(loads)) if loads else '-',
                ' (waiting up to %d s for < %.2f)' % (ctx['wait_idle'], ctx['idle_load']) if ctx['wait_idle'] > 0 else ''))
    L.append('- Threads: %d for every system (%s).' % (ctx['threads'], ctx['threads_note']))
    ver = ['Go %s' % v.get('go', '?'), 'GoMLX %s' % v.get('gomlx', '?')]
    if 'go-xla' in v:
        ver.append('go-xla %s' % v['go-xla'])
    if 'pjrt' in v:
        ver.append('XLA CPU plugin %s' % v['pjrt'])
    if 'bpgo' in v:
        ver.append('bpgo %s' % v['bpgo'])
    if 'brainpy' in v:
        ver += ['BrainPy %s' % v['brainpy'], 'jax/jaxlib %s/%s' % (v.get('jax'), v.get('jaxlib')),
                'numpy %s' % v.get('numpy'), 'python %s' % v.get('python')]
    if 'brainpy25' in v:
        ver.append('Fashion-MNIST rows: ' + v['brainpy25'])
    L.append('- Versions: ' + ', '.join(ver) + '.')
    ran = [r['workload'] for r in ctx['rows_meta']]
    has = lambda prefix: any((w == prefix or w.startswith(prefix + '-')) and w not in FMNIST_ROWS for w in ran)
    desc = []
    if has('rnn'):
        desc.append('**rnn** = seed 000 RNN (RNNCell(1,100,train_state) >> Dense(100,1)), float64, one epoch = '
                    '%d BPTT steps on batches of %d x %d steps (data generation included), Adam(ExponentialDecay(0.025,1,0.99975), '
                    'eps=0.1), loss MSE + 2e-4 L2^2; "first s" = first epoch (compilation included), then %d epochs timed.'
                    % (p['batches'], RNN['batch'], RNN['T'], p['epochs']))
    if has('bptt'):
        desc.append('**%s** = one BPTT training step, T=%d, batch %d, 40 Bernoulli(0.05) inputs -> RNNCell(40,100,tanh) -> '
                    'Dense(100,2), cross-entropy on logits, Adam(0.01), float32 (an RNN stand-in of the e-prop size, kept as a '
                    'plain-RNN baseline); "first s" = first step (compilation included), then %d steps timed.'
                    % (ctx['bptt_label'], p['T'], BPTT['batch'], p['steps']))
    if has('snn'):
        desc.append('**snn** = seed 000 SNN (Linear(100,10)+Expon -> Lif(10) -> Linear(10,2)+Expon -> Integrator(2), '
                    'KaimingNormal(scale=20), dt=1), float64, %d samples x %d steps of 10 Hz input spikes, the seed\'s '
                    'hand-written Trainer (bm.grad + Adam(4e-3), cross-entropy of the max over time); one unit = %d training '
                    'steps; "first s" = first unit (compilation included), then %d units timed.'
                    % (SNN['batch'], SNN['T'], SNN['steps_per_unit'], p['epochs']))
    if has('eprop-alif') or has('eprop-online'):
        desc.append('**%s** = one BPTT training step of seed 002\'s EligSNN (40 Bernoulli(0.04) inputs -> 100 ALIFBellec2020, '
                    'half adaptive, recurrent Dense(100,100) on the previous spikes -> Dense(100,2) -> Leaky(2)), T=%d, batch %d, '
                    'float32, a random label per sample, loss = cross-entropy of the last 150 steps + firing-rate regulariser '
                    'on the monitored r.spike, Adam(0.01); "first s" = first step (compilation included), then %d steps timed.'
                    % (ctx['eprop_label'], p['T'], BPTT['batch'], p['steps']))
    if has('eprop-online'):
        desc.append('**eprop-online** = one step of bpgo\'s online e-prop (trainers.EProp, symmetric feedback, the same '
                    'network, inputs, loss terms and Adam) against the same BrainPy BPTT step: BrainPy has no online e-prop, '
                    'and the target is an online step no slower than the BPTT step.')
    if desc:
        L.append('- Rows: ' + ' '.join(desc))
    if any(r['workload'] in FMNIST_ROWS for r in ctx['rows_meta']):
        L.append('- Fashion-MNIST rows (notebook 05 = seed 004; BrainPy **2.5.0** in .bpgo/bench-venv-2.5, the seed\'s '
                 'code in tests/bench/brainpy25_bench.py; bpgo: the notebook\'s Go code in tests/bench/rnnbench/fmnist.go), '
                 'float32, dt = 0.1, %d training images (IDX files in %s), batches of 256: **lstm-fmnist** = one '
                 'epoch of BPTT fit (LSTMCell(28,100) -> Dense(100,10) over the 28 rows, cross-entropy of the max over '
                 'time, acc aux, Adam(1e-3)), no test pass; **snn-fmnist** = one epoch of the SNN (LifRef(100) + '
                 'Leaky(10), two HalfProjAlignPost(Linear + Expon + CUBA)) on latency-coded spike batches (256, 100, '
                 '784), last incomplete batch dropped, encoding included, Adam(1e-3); **loop-fmnist** = one unit of %d '
                 'steps of the hand-written loop (the LSTM, grad with aux, Adam(1e-3), batch 256). "first s" = the first '
                 'epoch/unit (compilation included), then %d epochs/units timed.'
                 % (p['images'], ctx.get('data_dir', '?'), FMNIST['loop_steps'], p['fm_epochs']))
    extra = []
    labels = [r['workload'] for r in ctx['rows_meta']]
    if 'esn-ridge' in labels or 'esn-rls' in labels:
        extra.append('**esn-ridge** / **esn-rls** = notebook 02\'s echo state network (Reservoir(3->400, spectral radius '
                     '1.4, leaky rate 0.3, tanh, 10%% connectivity) -> trainable linear readout 400->3), float64, Lorenz '
                     'data at dt 0.01 (one-step-ahead targets), after an untimed 2000-step warm-up: one Ridge fit (alpha '
                     '1e-6) on %d steps / one online RLS fit (alpha 1, FORCE) on %d steps, batch 1; "first s" = first fit '
                     '(compilation included), then %d fits of the same window timed (state continues).'
                     % (ESN['ridge_steps'], ESN['rls_steps'], p['epochs']))
    if 'eirnn' in labels:
        extra.append('**eirnn** = one epoch of seed 003\'s E/I RNN training loop (RatePerceptualDecisionMaking(dt=20): '
                     '%d batches x %d trials x %d steps drawn fresh each epoch; 50 hidden, 40 E / 10 I, recurrent noise '
                     'per step; cross-entropy over all T*B outputs; Adam(1e-3)), float32, data generation included; '
                     '"first s" = first epoch (compilation included), then %d epochs timed.'
                     % (EIRNN['batches'], EIRNN['batch'], EIRNN['T'], p['epochs']))
    for e in extra:
        L.append('- ' + e)
    L.append('- Columns: median and spread (min-max, ± half-range/median) of the timed epochs/steps; bpgo/BrainPy = '
             'ratio of medians (< 1: bpgo faster); % of peak = workload matmul FLOPs / median time / measured peak; '
             'peak MiB = the process\'s peak resident set (VmHWM), the larger of the first unit\'s and the others\'.')
    L.append('')
    L.append(md_table(rows))
    L.append('')
    L.append('What the physics allows (matmul FLOPs of forward + backward, elementwise work not counted; '
             'peak: best of two tests/bench/peak.py runs (before and after the rows), numpy %s + %s, %d threads):' % (
               pk.get('numpy', '?') if pk else '?', (pk.get('blas') or 'BLAS') if pk else 'BLAS', ctx['threads']))
    L.append('')
    for row in ctx['rows_meta']:
        dt = row['dtype']
        line = '- %s: %.2f GFLOP per %s (%s)' % (row['label'], row['flops'] / 1e9, row['unit'], dt)
        if pk and row['workload'] in FMNIST_ROWS:
            big = pk['big_' + dt]
            line += '; at the large-matmul peak %.1f GFLOP/s that is %s s' % (big, fmt_s(row['flops'] / 1e9 / big))
            if row['workload'] == 'snn-fmnist':
                line += (' (the input projection (256,784)@(784,100) and its weight gradient per step are 98% of it; '
                         'the rest is (256,100)@(100,10); elementwise work over the (256,100) states is not counted).')
            else:
                line += ' (matmuls (256,28)@(28,400) and (256,100)@(100,400) per step; the recurrence is sequential).'
        elif pk and row['workload'] in ('esn-ridge', 'esn-rls', 'eirnn'):
            big = pk['big_' + dt]
            line += ('; at the large-matmul peak %.1f GFLOP/s that is %s s. %s'
                     % (big, fmt_s(row['flops'] / 1e9 / big),
                        'Batch 1: every step is a (1,400)@(400,400) matrix-vector product, bound by memory bandwidth, '
                        'not by the FLOP peak.' if row['workload'] != 'eirnn' else
                        'Its matmuls ((16,50)@(50,50) per step) are far too small to approach the peak: per-op '
                        'overhead and elementwise work dominate.'))
        elif pk and row['workload'] == 'snn':
            big = pk['big_' + dt]
            line += ('; at the large-matmul peak %.1f GFLOP/s that is %s s (its matmuls, (256,100)@(100,10) and '
                     '(256,10)@(10,2), are far too small to reach it: elementwise work and per-step overhead dominate).'
                     % (big, fmt_s(row['flops'] / 1e9 / big)))
        elif pk:
            big, step = pk['big_' + dt], pk['step_' + dt]
            line += ('; at the large-matmul peak %.1f GFLOP/s that is %s s, at the (%d,%d)@(%d,%d) step-matmul rate '
                     '%.1f GFLOP/s %s s.' % (big, fmt_s(row['flops'] / 1e9 / big), RNN['batch'], RNN['hidden'],
                                            RNN['hidden'], RNN['hidden'], step, fmt_s(row['flops'] / 1e9 / step)))
        else:
            line += '; peak not measured (no numpy).'
        if row['workload'] in ('bptt', 'eprop') and ctx['params']['T'] > 100:
            line += (' bpgo runs T > 100 in compiled chunks of 100 steps and recomputes each chunk\'s forward pass in the '
                     'backward pass: +%.0f%% matmul FLOPs, not counted here.'
                     % (100.0 * rnn_fwd_flops(BPTT['n_in'], BPTT['hidden'], BPTT['n_out'])
                        / rnn_flops(BPTT['n_in'], BPTT['hidden'], BPTT['n_out'])))
        L.append(line)
    L.append('')
    for line in ctx.get('encode_lines') or []:
        L.append(line)
    if ctx.get('encode_lines'):
        L.append('')
    for line in ctx.get('memory_lines') or []:
        L.append(line)
    tgt = ctx.get('target')
    if tgt:
        L.append('Target (issue 3): bpgo default backend <= 0.5x BrainPy per epoch on the rnn row: ' + tgt + '.')
        L.append('')
    if ctx.get('fmnist_target'):
        L.append('Target (issue 14): bpgo default backend <= 1.0x BrainPy per Fashion-MNIST row (goal 0.5x): '
                 + ctx['fmnist_target'] + '.')
        L.append('')
    L.append('Caveat: a shared, noisy %d-core machine; absolute seconds move from run to run, the ratios of one run '
             'are what to compare. The systems ran one after the other, never concurrently.' % m['nproc'])
    L.append('')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(L))


# ---------------------------------------------------------------------------------------------------------


def rec_numbers(rec):
    vals = [rec.get('first_s'), rec.get('final_loss')] + list(rec.get('times_s') or [])
    if not rec.get('times_s'):
        vals.append(float('nan'))
    return [float('nan') if v is None else float(v) for v in vals]


def command_line():
    """How this run was started: `make bench ...` when the Makefile ran it (BENCH_MAKE names the target)."""
    args = ' '.join(shlex.quote(a) for a in sys.argv[1:])
    target = os.environ.get('BENCH_MAKE')
    if target:
        extra = os.environ.get('BENCH_ARGS', '').strip()
        return 'make %s' % target + (' BENCH_ARGS="%s"' % extra if extra else '')
    return 'python3 tests/bench/bench.py' + (' ' + args if args else '')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true',
                    help='reduced smoke run: rnn 2 epochs x 10 batches, bptt and eprop T=200 x 2 steps, snn 2 '
                         'units, esn 2 fits, eirnn 2 epochs, the Fashion-MNIST rows on 1024 images x (1 + 1) epochs/units; writes '
                         '.bpgo/bench/RESULTS-quick.md unless --results is given')
    ap.add_argument('--brainpy', choices=['yes', 'auto', 'no'], default='yes',
                    help='yes: build the venv if needed and run BrainPy; auto: only if .bpgo/bench-venv exists; no: skip')
    ap.add_argument('--backends', default='go-simd,go,xla', help='bpgo backends, comma-separated: go-simd, go, xla, auto-xla (BPGO_BACKEND=auto in the XLA-linked binary)')
    ap.add_argument('--workloads', default=','.join(WORKLOADS),
                    help='rows, comma-separated: %s (esn runs two rows, esn-ridge and esn-rls; default: all)' % ', '.join(WORKLOADS))
    ap.add_argument('--epochs', type=int,
                    help='timed rnn and eirnn epochs / snn units of 100 steps / esn fits after the first (default 10; '
                         'quick 2)')
    ap.add_argument('--batches', type=int, help='batches per rnn epoch (default 100; quick 10)')
    ap.add_argument('--steps', type=int, help='timed bptt and eprop steps after the first (default 5; quick 2)')
    ap.add_argument('--T', type=int, help='bptt and eprop sequence length (default 2250; quick 200; eprop needs >= 150)')
    ap.add_argument('--images', type=int,
                    help='Fashion-MNIST rows: training images used (default 60000; quick 1024)')
    ap.add_argument('--fmnist-epochs', type=int,
                    help='Fashion-MNIST rows: timed epochs (lstm, snn) or 100-step units (loop) after the first '
                         '(default 2; quick 1)')
    ap.add_argument('--data', help='Fashion-MNIST rows: data root holding FashionMNIST/raw (default $BPGO_DATA_DIR, '
                                   'else .bpgo/data; `make testdata` builds it)')
    ap.add_argument('--threads', type=int, default=0, help='threads for every system (default: all cores)')
    ap.add_argument('--python', help='python for the venv (default $BENCH_PYTHON, python3.11, python3)')
    ap.add_argument('--results', help='markdown output (default tests/bench/RESULTS.md; quick: .bpgo/bench/RESULTS-quick.md)')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds per process (default 1800)')
    ap.add_argument('--wait-idle', type=int, default=0, metavar='S',
                    help='before each measurement wait up to S s for the 1-min load average to drop below --idle-load')
    ap.add_argument('--idle-load', type=float, default=1.0)
    args = ap.parse_args()

    t_start = time.time()
    q = args.quick
    params = {
        'epochs': args.epochs or (2 if q else 10),
        'batches': args.batches or (10 if q else 100),
        'steps': args.steps or (2 if q else 5),
        'T': args.T or (200 if q else 2250),
        'images': args.images or (1024 if q else FMNIST['images']),
        'fm_epochs': args.fmnist_epochs or (1 if q else 2),
    }
    backends = [b.strip() for b in args.backends.split(',') if b.strip()]
    for b in backends:
        if b not in BACKENDS:
            die('unknown backend %r (go-simd, go, xla)' % b)
    workloads = [w.strip() for w in args.workloads.split(',') if w.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            die('unknown workload %r (%s)' % (w, ', '.join(WORKLOADS)))
    if 'eprop' in workloads and params['T'] < 150:
        die('--T %d: the eprop loss reads the last 150 steps (T >= 150)' % params['T'])
    nproc = os.cpu_count() or 1
    threads = args.threads or nproc
    if threads > nproc:
        die('--threads %d > %d cores' % (threads, nproc))

    # 1. BrainPy venvs: 2.4.3 for the seed 000/002 rows, 2.5.0 for the Fashion-MNIST rows (seed 004)
    run_brainpy = {}
    for venv, req, rows in ((VENV, REQ, [w for w in workloads if w not in FMNIST_ROWS]),
                            (VENV25, REQ25, [w for w in workloads if w in FMNIST_ROWS])):
        if not rows:
            continue
        run_brainpy[venv] = args.brainpy == 'yes' or (args.brainpy == 'auto' and os.path.exists(venv_python(venv)))
        if args.brainpy == 'yes':
            ensure_venv(pick_python(args.python), venv, req)
        elif args.brainpy == 'auto' and not run_brainpy[venv]:
            log('BrainPy: skipped for %s (no %s; `make bench` creates it)' % (', '.join(rows), os.path.relpath(venv, ROOT)))

    # Fashion-MNIST IDX files (the same files for both sides); `make testdata`'s script builds them if missing.
    data_dir = os.path.abspath(args.data or os.environ.get('BPGO_DATA_DIR') or os.path.join(STATE, 'data'))
    fmnist_missing = None
    if any(w in FMNIST_ROWS for w in workloads):
        raw = os.path.join(data_dir, 'FashionMNIST', 'raw')

        def have_fmnist():
            return all(os.path.exists(os.path.join(raw, n)) or os.path.exists(os.path.join(raw, n + '.gz'))
                       for n in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'))
        if not have_fmnist():
            log('Fashion-MNIST: not in %s; building it with tests/data/fetch-fashion-mnist.sh (make testdata)' % raw)
            subprocess.run(['bash', os.path.join(ROOT, 'tests', 'data', 'fetch-fashion-mnist.sh')], cwd=ROOT,
                           env=dict(os.environ, BPGO_DATA_DIR=data_dir))
        if not have_fmnist():
            fmnist_missing = 'skipped: no Fashion-MNIST in %s (make testdata)' % raw
            log(fmnist_missing)

    # 2. bpgo binaries
    if 'xla' in backends and not have_pjrt():
        log('XLA: no plugin in %s (run `make setup`); the XLA rows are skipped' % os.path.relpath(PJRT_DIR, ROOT))
    build_bpgo(backends)

    env = child_env(threads, nproc)
    pre = affinity_prefix(threads, nproc)
    threads_note = ('GOMAXPROCS=%d, OMP/OPENBLAS_NUM_THREADS=%d, XLA CPU thread pools at their default size'
                    % (threads, threads))
    if pre:
        threads_note += ', pinned with taskset -c 0-%d' % (threads - 1)
    if threads == 1:
        threads_note += ', XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'
    load_start = '%.2f' % os.getloadavg()[0]

    # 3. peak (measured again after the rows; the best of the two counts)
    def measure_peak(tag, best):
        py_np = next((venv_python(v) for v in (VENV, VENV25) if os.path.exists(venv_python(v))), sys.executable)
        wait_idle(args.wait_idle, args.idle_load)
        recs, _, err = run_json(pre + [py_np, os.path.join(HERE, 'peak.py')], env, 'peak-%s.log' % tag, 600)
        if not recs:
            log('peak (%s): not measured (%s)' % (tag, err))
            return best
        p = recs[0]
        log('peak (%s, numpy %s): float64 %.1f GFLOP/s (step shape %.1f), float32 %.1f GFLOP/s (step shape %.1f)'
            % (tag, p['numpy'], p['big_float64'], p['step_float64'], p['big_float32'], p['step_float32']))
        if best:
            for k, v in best.items():
                if k.startswith(('big_', 'step_')):
                    p[k] = max(p[k], v)
        return p

    peak = measure_peak('start', None)

    # 4. rows
    results, rows_meta, bp_versions, bp25_versions, backends_seen = [], [], None, None, []
    for w in [r for w in workloads for r in ROWS_OF.get(w, (w,))]:
        if w in ('esn-ridge', 'esn-rls'):
            meta = dict(workload=w, label=w, dtype='float64', unit='fit', flops=workload_flops(w, params))
            bp_args = ['--workload', w, '--epochs', str(params['epochs'])]
            go_args = ['-workload', w, '-epochs', str(params['epochs'])]
        elif w == 'eirnn':
            meta = dict(workload=w, label=w, dtype='float32', unit='epoch', flops=workload_flops(w, params))
            bp_args = ['--workload', w, '--epochs', str(params['epochs'])]
            go_args = ['-workload', w, '-epochs', str(params['epochs'])]
        elif w == 'rnn':
            meta = dict(workload='rnn', label='rnn', dtype='float64', unit='epoch', flops=workload_flops('rnn', params))
            bp_args = ['--workload', 'rnn', '--epochs', str(params['epochs']), '--batches', str(params['batches'])]
            go_args = ['-workload', 'rnn', '-epochs', str(params['epochs']), '-batches', str(params['batches'])]
        elif w == 'snn':
            meta = dict(workload='snn', label='snn', dtype='float64', unit='100 training steps',
                        flops=workload_flops('snn', params))
            bp_args = ['--workload', 'snn', '--epochs', str(params['epochs'])]
            go_args = ['-workload', 'snn', '-epochs', str(params['epochs'])]
        elif w in ('eprop', 'eprop-online'):
            label = 'eprop-alif-T%d' % params['T'] if w == 'eprop' else 'eprop-online-T%d (vs BrainPy BPTT)' % params['T']
            meta = dict(workload=w, label=label, dtype='float32', unit='step', flops=workload_flops('eprop', params))
            bp_args = ['--workload', 'eprop', '--epochs', str(params['steps']), '--T', str(params['T'])]
            go_args = ['-workload', w, '-epochs', str(params['steps']), '-T', str(params['T'])]
        elif w in FMNIST_ROWS:
            meta = dict(workload=w, label=w, dtype='float32', unit='100 training steps' if w == 'loop-fmnist' else 'epoch',
                        flops=workload_flops(w, params))
            sizes = ['--epochs', str(params['fm_epochs']), '--images', str(params['images']), '--data', data_dir]
            bp_args = ['--workload', w] + sizes
            go_args = ['-workload', w] + ['-' + a[2:] if a.startswith('--') else a for a in sizes]
        else:
            meta = dict(workload='bptt', label='bptt-T%d (RNN stand-in for ALIF)' % params['T'], dtype='float32',
                        unit='step', flops=workload_flops('bptt', params))
            bp_args = ['--workload', 'bptt', '--epochs', str(params['steps']), '--T', str(params['T'])]
            go_args = ['-workload', 'alif', '-epochs', str(params['steps']), '-T', str(params['T'])]
        rows_meta.append(meta)
        systems = []
        plan = []
        if w in FMNIST_ROWS and fmnist_missing:
            results.append(dict(meta, systems=[{'system': 'BrainPy', 'label': 'BrainPy 2.5.0', 'error': fmnist_missing}]))
            continue
        venv, script, bp_label = ((VENV25, 'brainpy25_bench.py', '2.5.0') if w in FMNIST_ROWS
                                  else (VENV, 'brainpy_bench.py', '2.4.3'))
        if run_brainpy.get(venv):
            plan.append(('BrainPy', 'BrainPy %s' % bp_label, [venv_python(venv), os.path.join(HERE, script)] + bp_args, env))
        for b in backends:
            binary, be, label = BACKENDS[b]
            if be == 'xla' and not have_pjrt():
                systems.append({'system': b, 'label': label, 'error': 'skipped: no XLA plugin (make setup)'})
                continue
            e = dict(env, BPGO_BACKEND=be)
            if be in ('xla', 'auto'):
                e['PJRT_PLUGIN_LIBRARY_PATH'] = PJRT_DIR
            plan.append((b, label, [os.path.join(BINDIR, binary)] + go_args, e))
        for name, label, cmd, e in plan:
            wait_idle(args.wait_idle, args.idle_load)
            log('%s: %s ...' % (meta['label'], label))
            recs, wall, err = run_json(pre + cmd, e, '%s-%s.log' % (w, name), args.timeout)
            entry = {'system': name, 'label': label, 'wall_s': wall}
            if err:
                entry['error'] = err
                log('  failed: ' + err)
            elif not all(math.isfinite(x) for x in rec_numbers(recs[-1])):
                err = 'non-finite time or loss: %s' % json.dumps(recs[-1])
                entry['error'] = err
                log('  failed: ' + err)
            else:
                rec = recs[-1]
                med, lo, hi, pct = stats(rec['times_s'])
                rec.update(median=med, min=lo, max=hi, spread_pct=pct)
                entry['rec'] = rec
                if name == 'BrainPy':
                    bv = rec.get('versions') or {}
                    if w in FMNIST_ROWS:
                        bp25_versions = bv
                    else:
                        bp_versions = bv
                    entry['label'] = 'BrainPy %s (jax %s)' % (bv.get('brainpy'), bv.get('jax'))
                else:
                    backends_seen.append(rec.get('backend', ''))
                    if name == 'auto-xla':
                        entry['label'] = '%s: ran on %s' % (label, 'XLA' if rec.get('backend', '').startswith('xla') else 'Go')
                log('  first %s s, median %s s (%s-%s), loss %.6g [%.0f s]'
                    % (fmt_s(rec['first_s']), fmt_s(med), fmt_s(lo), fmt_s(hi), rec.get('final_loss', float('nan')), wall))
            systems.append(entry)
        # Table order: BrainPy first, then the backends in the order given.
        order = ['BrainPy'] + backends
        systems.sort(key=lambda s: order.index(s['system']))
        results.append(dict(meta, systems=systems))

    # Peak memory of one e-prop step against the trial length (issue 12: online e-prop's within 10% at T and 4T;
    # BPTT's grows). The online step takes its trial a chunk at a time (-stream), so its inputs are never whole.
    memory_lines = []
    if 'eprop' in workloads and not q and 'go-simd' in backends:
        binary, be, _ = BACKENDS['go-simd']
        mem = {}
        # A step's peak depends on when the collector happens to run (at T = 2250 one process read 442 MiB and
        # the next 501 MiB, the same build): each figure is the median of MEMORY_RUNS processes, their range beside it.
        # Each process runs MEMORY_STEPS steps after the first and reports their high-water mark: the flush after
        # the first step empties the Go backend's buffer pools, and a single T = 2250 step ended before they had
        # filled again while a T = 9000 step did not (one step: 364 against 434 MiB; four: 520 against 507).
        for kind, extra in (('online', ['-workload', 'eprop-online', '-stream']), ('bptt', ['-workload', 'eprop'])):
            for T in (params['T'], 4 * params['T']):
                runs = []
                for rep in range(MEMORY_RUNS):
                    wait_idle(args.wait_idle, args.idle_load)
                    log('memory: %s step, T = %d, run %d of %d ...' % (kind, T, rep + 1, MEMORY_RUNS))
                    recs, wall, err = run_json(pre + [os.path.join(BINDIR, binary)] + extra + ['-epochs', str(MEMORY_STEPS), '-T', str(T)],
                                               dict(env, BPGO_BACKEND=be), 'memory-%s-T%d-%d.log' % (kind, T, rep + 1),
                                               args.timeout)
                    if err or not recs:
                        log('  failed: %s' % err)
                        continue
                    rec = recs[-1]
                    runs.append((rec['peak_rss_mb'], rec['median_s'], rec['peak_rss_first_mb']))
                    log('  peak %.0f MiB (first step, compilation included: %.0f MiB), step %s s'
                        % (rec['peak_rss_mb'], rec['peak_rss_first_mb'], fmt_s(rec['median_s'])))
                if len(runs) < MEMORY_RUNS:
                    mem[(kind, T)] = None
                    continue
                med = lambda i: statistics.median(r[i] for r in runs)
                mem[(kind, T)] = (med(0), med(1), med(2), min(r[0] for r in runs), max(r[0] for r in runs))
        T1, T4 = params['T'], 4 * params['T']
        memory_lines.append('Peak memory of one e-prop step against the trial length (Go backend, the click task, '
                            'batch %d; VmHWM of %d steps after the first, from what is live after the first with freed '
                            'pages handed back, median of %d processes with their range; in brackets the median of the '
                            'first step\'s, compilation included, and the steps\' median time):'
                            % (BPTT['batch'], MEMORY_STEPS, MEMORY_RUNS))
        memory_lines.append('')
        memory_lines.append('| step | T = %d | T = %d | ratio |' % (T1, T4))
        memory_lines.append('|---|---|---|---|')
        for kind, label in (('online', 'online e-prop, the trial handed over a window of 1000 steps at a time (EProp.StepTrial, EvidenceTrial)'),
                            ('bptt', 'BPTT (chunks of 100, forward recomputed in the backward pass)')):
            a, b = mem.get((kind, T1)), mem.get((kind, T4))
            cell = lambda v: 'failed' if v is None else '%.0f MiB, %.0f-%.0f (first %.0f MiB; %s s)' % (
                v[0], v[3], v[4], v[2], fmt_s(v[1]))
            ratio = '%.2f' % (b[0] / a[0]) if a and b else '-'
            memory_lines.append('| %s | %s | %s | %s |' % (label, cell(a), cell(b), ratio))
        memory_lines.append('')
        if mem.get(('online', T1)) and mem.get(('online', T4)):
            r = mem[('online', T4)][0] / mem[('online', T1)][0]
            memory_lines.append('Target (issue 12): online e-prop\'s peak memory at T = %d within 10%% of T = %d\'s: '
                                '%.2f, %s.' % (T4, T1, r, 'met' if abs(r - 1) <= 0.10 else 'not met'))
            memory_lines.append('')
            log(memory_lines[-2])

        # Online against BPTT, the two processes run in turn (issue 12: an online step no slower than a BPTT
        # step). Their steps are within a few percent of each other and the machine drifts by more than that
        # between rows, so the table's two rows alone do not settle it: each pair's ratio of step medians does.
        ratios = []
        for rep in range(PAIRED_RUNS):
            med = {}
            for kind in ('online', 'bptt'):
                wait_idle(args.wait_idle, args.idle_load)
                w = 'eprop-online' if kind == 'online' else 'eprop'
                recs, wall, err = run_json(pre + [os.path.join(BINDIR, binary), '-workload', w, '-epochs', str(MEMORY_STEPS),
                                                  '-T', str(params['T'])],
                                           dict(env, BPGO_BACKEND=be), 'paired-%s-%d.log' % (kind, rep + 1), args.timeout)
                if not err and recs:
                    med[kind] = recs[-1]['median_s']
            if len(med) == 2:
                ratios.append(med['online'] / med['bptt'])
                log('paired run %d: online %s s, BPTT %s s, ratio %.3f' % (rep + 1, fmt_s(med['online']), fmt_s(med['bptt']),
                                                                           ratios[-1]))
        if ratios:
            r = statistics.median(ratios)
            memory_lines.append('Online e-prop step against the BPTT step (Go backend, T = %d, batch %d; %d pairs of '
                                'processes run in turn, each the median of %d steps after the first): median ratio %.2f '
                                '(%s). Target (issue 12): online no slower than BPTT: %s.'
                                % (params['T'], BPTT['batch'], len(ratios), MEMORY_STEPS, r,
                                   ', '.join('%.2f' % x for x in ratios), 'met' if r <= 1 else 'not met'))
            memory_lines.append('')
            log(memory_lines[-2])

    peak = measure_peak('end', peak)

    # The share of an snn-fmnist epoch spent building the spike batches (the timed epochs; issue 14 wants it small).
    encode_lines = []
    for row in results:
        if row['workload'] != 'snn-fmnist':
            continue
        for sysr in row['systems']:
            rec = sysr.get('rec')
            enc = (rec or {}).get('encode_s') or []
            if not rec or len(enc) != len(rec['times_s']) + 1:
                continue
            share = sum(enc[1:]) / sum(rec['times_s'])
            encode_lines.append('- snn-fmnist, %s: %.1f%% of each timed epoch spent building the spike batches '
                                '(%s s of %s s median; first epoch %s s of %s s).'
                                % (sysr['label'], share * 100, fmt_s(statistics.median(enc[1:])), fmt_s(rec['median']),
                                   fmt_s(enc[0]), fmt_s(rec['first_s'])))
            log(encode_lines[-1][2:])

    # 5. report
    rows = table_rows(results, peak)
    print()
    print_table(rows)
    print()
    target = None
    for row in results:
        if row['workload'] != 'rnn':
            continue
        base = next((s['rec']['median'] for s in row['systems'] if s['system'] == 'BrainPy' and s.get('rec')), None)
        dflt = next((s['rec']['median'] for s in row['systems'] if s['system'] == 'go-simd' and s.get('rec')), None)
        if base and dflt:
            r = dflt / base
            target = '%.2fx, %s' % (r, 'met' if r <= 0.5 else 'not met')
            log('target (bpgo default <= 0.5x BrainPy per rnn epoch): ' + target)
    fm = []
    for row in results:
        if row['workload'] not in FMNIST_ROWS:
            continue
        base = next((s['rec']['median'] for s in row['systems'] if s['system'] == 'BrainPy' and s.get('rec')), None)
        dflt = next((s['rec']['median'] for s in row['systems'] if s['system'] == 'go-simd' and s.get('rec')), None)
        if base and dflt:
            r = dflt / base
            fm.append('%s %.2fx (%s)' % (row['workload'], r, 'goal met' if r <= 0.5 else 'met' if r <= 1.0 else 'not met'))
    fmnist_target = ', '.join(fm)
    if fmnist_target:
        log('target (bpgo default <= 1.0x BrainPy per Fashion-MNIST row, goal 0.5x): ' + fmnist_target)
    wall = time.time() - t_start
    ctx = {
        'fmnist_target': fmnist_target,
        'quick': q,
        'command': command_line(),
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'wall': wall,
        'machine': machine_info(),
        'versions': versions(bp_versions or bp25_versions, backends_seen, bp25_versions if bp_versions else None),
        'params': params,
        'peak': peak,
        'threads': threads,
        'threads_note': threads_note,
        'load_start': load_start,
        'loads': LOADS,
        'waited': WAITED[0],
        'wait_idle': args.wait_idle,
        'idle_load': args.idle_load,
        'rows_meta': rows_meta,
        'bptt_label': 'bptt-T%d' % params['T'],
        'eprop_label': 'eprop-alif-T%d' % params['T'],
        'target': target,
        'encode_lines': encode_lines,
        'memory_lines': memory_lines,
        'data_dir': os.path.relpath(data_dir, ROOT) if data_dir.startswith(ROOT) else data_dir,
    }
    path = args.results or (os.path.join(OUTDIR, 'RESULTS-quick.md') if q else os.path.join(HERE, 'RESULTS.md'))
    write_markdown(path, ctx, rows)
    os.makedirs(OUTDIR, exist_ok=True)
    raw = os.path.join(OUTDIR, 'results-quick.json' if q else 'results.json')
    with open(raw, 'w') as f:
        json.dump({'context': {k: v for k, v in ctx.items()}, 'results': results}, f, indent=1)
    log('wrote %s and %s (%.0f s in all)' % (os.path.relpath(path, ROOT),
                                            os.path.relpath(raw, ROOT), wall))
    failed = [s for row in results for s in row['systems'] if s.get('error') and not s['error'].startswith('skipped')]
    if failed:
        die('%d measurement(s) failed (see the table)' % len(failed))


if __name__ == '__main__':
    main()
