#!/usr/bin/env python3
"""How long a notebook cell takes, and where the time goes (issue 16: cells that answer in about a second).

Run it with the project venv after `make setup` (the build cache must be warm):

    .bpgo/venv/bin/python tests/bench/cells.py [--repeats 5] [--goflags=-tags=xla] [--repo DIR] [--json FILE]

It starts the bpgo kernel (its kernel.json, with GoNB's log turned up to -v=2 in a temporary file) in a notebook
directory outside the checkout, runs the import cell of notebook 01 once and then three kinds of cell, each once to
warm up and --repeats times measured, every repetition with a different constant so that `go build` really
compiles and links (a cell whose program is unchanged is not relinked):

  trivial   prints a number (the import cell's init_x64 still links the bpgo packages into every cell)
  figure    a small figure (notebook 01's white-noise plot) through kernel.Show
  training  two epochs of a 20-unit RNN trained by BPTT on 16 short sequences (notebook 01's task, smaller)

For each run it reports the wall time seen by the Jupyter client and GoNB's steps from its log: code generation
(parse and compose main.go), goimports, go get, go build, the program, and the rest (kernel bookkeeping and
messages). It then rebuilds each kind's last program outside the kernel to split `go build` into the package
loading, the main package's compile and the link (`go build -debug-trace`), and runs that program alone to time
its start-up and work, with the CPU seconds of each step (robust against a loaded machine, unlike wall time).

The machine's load average is printed with the results: compare runs at similar load. Not a test: nothing fails
on a slow number. tests/bench/CELLS.md keeps the results.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_CELL = """import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/bpgo/visualize"
	"github.com/bpgo/bpgo/datasets"
	"github.com/bpgo/bpgo/kernel"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func init_x64() { bpgo.EnableX64() }

%%
b := bpgo.Must1(bpgo.Backend())
fmt.Println("float type:", bpgo.FloatDType(), "| backend:", bpgo.BackendName(b))
"""

# Declarations the figure and training cells use (a cell of their own, as in the tutorial).
DECLS_CELL = """func whiteNoise(n int) []float64 {
	bpgo.SetSeed(2023)
	rng := bpgo.NewRNG()
	noises := make([]float64, n)
	for i := range noises {
		noises[i] = 0.2 * rng.NormFloat64()
	}
	return noises
}

type benchRNN struct {
	RNN *models.RNNCell
	Out *models.Dense
}

func (m *benchRNN) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Out.Update(ctx, m.RNN.Update(ctx, x))
}

func benchData(seed uint64) (x, y *tensors.Tensor) {
	const batch, steps = 16, 10
	bpgo.SetSeed(seed)
	rng := bpgo.NewRNG()
	xs, ys := make([]float64, batch*steps), make([]float64, batch*steps)
	for b := range batch {
		sum := 0.0
		for t := range steps {
			xs[b*steps+t] = 0.1 * rng.NormFloat64()
			sum += xs[b*steps+t]
			ys[b*steps+t] = sum
		}
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), xs, batch, steps, 1)),
		bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), ys, batch, steps, 1))
}

var _ = math.Pi
var _ = losses.MSE
var _ = initializers.KaimingNormal{}
var _ = datasets.LorenzOptions{}
var _ = optim.AdamDefaults
"""

CELLS = {
    "trivial": """%%
fmt.Println({n} + 1)
""",
    "figure": """%%
fig := visualize.NewFigure(8, 2)
fig.Subplot(1, 1, 1).Line(nil, whiteNoise(10+{n}), "")
bpgo.Must(kernel.Show(fig))
""",
    "training": """%%
bpgo.SetSeed(42)
restore := bpgo.UseMode(bpgo.TrainingMode)
cell := models.RNNCellDefaults()
cell.TrainState = true
model := &benchRNN{{
	RNN: bpgo.Must1(models.NewRNNCell(1, 20, cell)),
	Out: bpgo.Must1(models.NewDense(20, 1, models.DenseDefaults())),
}}
restore()
loss := func(lc *bpgo.LossContext, p, y *graph.Node) *graph.Node {{ return losses.MSE(p, y) }}
opt := bpgo.Must1(optim.NewAdam(optim.Constant(1e-2), optim.AdamDefaults()))
trainer := bpgo.Must1(trainers.NewBPTT(model, loss, trainers.BPTTOptions{{Optimizer: opt}}))
x, y := benchData({n})
bpgo.Must(trainer.Fit(trainers.Batches(trainers.Batch{{X: x, Y: y}}), nil, 2, trainers.FitOptions{{}}))
fmt.Println("trained", {n})
""",
}

# GoNB's -v=2 log lines (klog: "I1204 16:10:00.123456 pid file:line] [id] msg") that end each step of a cell.
KLOG_RE = re.compile(r"^[IWEF]\d{4} (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+ [^\]]+\] (?:\[\w+\] )?(.*)$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
START = "> kernel status set to busy."
MARKS = [  # (the step that ends at this line, the line's start)
    ("codegen", "ExecuteCell: after s.parseLinesAndComposeMain"),  # AutoTrack, parse the cell, write main.go
    ("goimports", "Executing "),  # then "go get" (goimports' own line starts the step)
    ("go get", "ExecuteCell: after s.GoImports"),
    ("go build", "ExecuteCell: after s.Compile"),
    ("program", "Execution finished successfully"),
    ("rest", "> kernel status set to idle."),  # messages back to the client
]
STEPS = [m[0] for m in MARKS]


def parse_log(path: Path) -> list[dict[str, float]]:
    """One {step: seconds} per executed cell, in order, from GoNB's -v=2 log."""
    cells, cur, last, nxt = [], None, 0.0, 0
    for line in path.read_text(errors="replace").splitlines():
        m = KLOG_RE.match(ANSI_RE.sub("", line))
        if not m:
            continue
        hh, mm, ss, us, msg = m.groups()
        t = int(hh) * 3600 + int(mm) * 60 + int(ss) + int(us) / 1e6
        if msg.startswith(START):
            cur, last, nxt = {}, t, 0
            cells.append(cur)
            continue
        if cur is None or nxt >= len(MARKS):
            continue
        step, mark = MARKS[nxt]
        if step == "goimports":  # the goimports step runs from "Executing goimports" to "Executing go get"
            if msg.startswith("Executing ") and "goimports" in msg:
                last = t
                continue
            if not (msg.startswith("Executing ") and msg.rstrip().endswith(" get")):
                continue
        elif not msg.startswith(mark):
            continue
        cur[step] = t - last
        last, nxt = t, nxt + 1
    return [c for c in cells if "codegen" in c]  # not the kernel_info and %goflags requests


def load_avg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


class Kernel:
    """The bpgo kernel, as its kernel.json starts it, with GoNB's log at -v=2 in tmp."""

    def __init__(self, tmp: Path, repo: Path | None, goflags: str | None, env: dict[str, str], direct: bool):
        from jupyter_client import KernelManager

        spec_path = ROOT / ".bpgo" / "jupyter" / "kernels" / "bpgo" / "kernel.json"
        if not spec_path.is_file():
            raise SystemExit(f"cells.py: {spec_path} not found: run `make setup` first")
        spec = json.loads(spec_path.read_text())
        self.log = tmp / "gonb.log"
        argv = []
        src = spec["argv"]
        if direct and len(src) > 3 and src[1:3] == ["exec", "--"]:
            src = src[3:]  # GoNB itself, without bpgo-kernel's GOFLAGS: the kernel before issue 16
        for a in src:  # GoNB's log to its stderr, which goes to self.log
            if a.startswith("-v="):
                a = "-v=2"
            elif a.startswith("-logtostderr="):
                a = "-logtostderr=true"
            elif a.startswith(("-log_file", "-alsologtostderr=", "-stderrthreshold=")):
                continue
            elif a.startswith("--go_work=") and repo is not None:
                a = f"--go_work={repo}"
            argv.append(a)
        spec["argv"] = argv
        if repo is not None:
            spec["env"]["BPGO_DIR"] = str(repo)
        spec["env"].update(env)
        kdir = tmp / "kernels" / "bpgo-cells-bench"
        kdir.mkdir(parents=True)
        (kdir / "kernel.json").write_text(json.dumps(spec))
        os.environ["JUPYTER_PATH"] = str(tmp)
        self.nbdir = tmp / "notebook"
        self.nbdir.mkdir()
        self.km = KernelManager(kernel_name="bpgo-cells-bench")
        self.logf = open(self.log, "w")
        self.km.start_kernel(cwd=str(self.nbdir), stderr=self.logf)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=180)
        self.pid = self.km.provisioner.pid
        if goflags:
            self.run(f"%goflags {goflags}")

    def environ(self) -> dict[str, str]:
        """GoNB's environment (with the GOFLAGS that bpgo-kernel exec set)."""
        data = Path(f"/proc/{self.pid}/environ").read_bytes()
        return dict(e.split("=", 1) for e in data.decode(errors="replace").split("\0") if "=" in e)

    def cpu(self) -> float:
        """CPU seconds of GoNB and of the processes it ran and waited for (go, goimports, the cells' programs)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime

    def run(self, code: str, timeout: float = 900) -> tuple[float, str, list[str]]:
        """Executes code; returns (wall seconds, stdout text, problems); self.last_cpu is its CPU seconds."""
        cpu0 = self.cpu()
        t0 = time.monotonic()
        msg_id = self.kc.execute(code)
        out, problems = [], []
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
                if content["name"] == "stderr" and re.search(r"panic:|exit status", content["text"]):
                    problems.append(content["text"].strip()[:300])
            elif kind == "error":
                problems.append(f"{content.get('ename')}: {content.get('evalue')}"[:300])
            elif kind == "status" and content["execution_state"] == "idle":
                break
        wall = time.monotonic() - t0
        self.last_cpu = self.cpu() - cpu0
        return wall, "".join(out), problems

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self.logf.close()


def gonb_dir(log: Path) -> Path | None:
    """GoNB's temporary directory (where it writes main.go), from its log."""
    for line in log.read_text(errors="replace").splitlines():
        m = re.search(r"Executing \S*goimports -w (\S+)/main\.go", line)
        if m:
            return Path(m.group(1))
    return None


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Runs cmd; returns (wall seconds, CPU seconds of the child, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r


def trace_steps(trace: Path) -> dict[str, float]:
    """Seconds of the package loading, the main package's compile and the link in a `go build -debug-trace`."""
    events = json.loads(trace.read_text())
    open_, out = {}, {"load": 0.0, "compile main": 0.0, "link": 0.0}
    for e in events:
        key = (e["name"], e.get("tid"))
        if e["ph"] == "B":
            open_[key] = e["ts"]
        elif e["ph"] == "E" and key in open_:
            d = (e["ts"] - open_.pop(key)) / 1e6
            name = e["name"]
            if name == "load.PackagesAndErrors":
                out["load"] += d
            elif re.match(r"Executing action \(build (gonb_|command-line)", name):
                out["compile main"] += d
            elif re.match(r"Executing action \(link ", name):
                out["link"] += d
    return out


def outside_kernel(src: Path, tmp: Path, kind: str, n: int, kernel_env: dict[str, str], goflags: str | None):
    """Rebuilds GoNB's last program for kind in a copy of its directory and runs it alone: per-step wall and CPU."""
    work = tmp / f"outside-{kind}"
    work.mkdir()
    for name in ("main.go", "go.mod", "go.sum", "go.work", "go.work.sum"):
        if (src / name).is_file():
            shutil.copy(src / name, work / name)
    main = work / "main.go"
    code = main.read_text()
    # Another constant: a changed program, so that go build really links (as every new cell does).
    main.write_text(re.sub(r"\b%d\b" % n, str(n + 1000), code, count=1))
    env = dict(kernel_env)
    for k in list(env):
        if k.startswith("GONB_"):
            del env[k]  # the program runs as a plain program (kernel.Show renders, shows nothing)
    res = {}
    flags = goflags.split() if goflags else []
    trace = work / "trace.json"
    w, c, r = timed(["go", "build", *flags, f"-debug-trace={trace}", "-o", "cellprog", "."], work, env)
    if r.returncode != 0:
        raise SystemExit(f"cells.py: go build of the {kind} cell failed:\n{r.stderr}")
    res["go build"] = (w, c)
    for step, secs in trace_steps(trace).items():
        res[f"  {step}"] = (secs, None)
    w, c, r = timed(["./cellprog"], work, env)
    if r.returncode != 0:
        raise SystemExit(f"cells.py: the {kind} program failed:\n{r.stderr[-2000:]}")
    res["program"] = (w, c)
    return res


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5, help="measured runs per kind of cell (default 5)")
    p.add_argument("--kinds", default="trivial,figure,training", help="comma-separated: trivial, figure, training")
    p.add_argument("--goflags", help="a %%goflags line for the notebook first, e.g. --goflags=-tags=xla")
    p.add_argument("--repo", type=Path, help="the repository the kernel builds cells against (default: this one)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="extra kernel environment")
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--direct", action="store_true",
                   help="start GoNB directly, without `bpgo-kernel exec` and its GOFLAGS (the kernel before issue 16)")
    p.add_argument("--no-outside", dest="outside", action="store_false",
                   help="skip rebuilding and running the programs outside the kernel")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (GoNB's log)")
    args = p.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    for k in kinds:
        if k not in CELLS:
            p.error(f"unknown kind {k!r}")
    env = dict(e.split("=", 1) for e in args.env)

    tmp = Path(tempfile.mkdtemp(prefix="bpgo-cells-"))
    loads = [load_avg()]
    print(f"cells.py: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"load {loads[0]}, repo {args.repo or ROOT}, goflags {args.goflags or '-'}, repeats {args.repeats}",
          flush=True)
    k = Kernel(tmp, args.repo.resolve() if args.repo else None, args.goflags, env, args.direct)
    runs: list[tuple] = []  # (kind, n, wall, warm-up?, CPU seconds)
    problems = []
    try:
        for code in (IMPORT_CELL, DECLS_CELL):
            wall, out, probs = k.run(code)
            problems += probs
            print(f"  setup cell: {wall:.2f} s  {out.strip().splitlines()[-1] if out.strip() else ''}", flush=True)
        n_cells_before = 2
        n = 0
        outside = {}
        for kind in kinds:
            for rep in range(args.repeats + 1):
                n += 1
                wall, out, probs = k.run(CELLS[kind].format(n=n))
                problems += [f"{kind}: {x}" for x in probs]
                runs.append((kind, n, wall, rep == 0, k.last_cpu))
            loads.append(load_avg())
            # GoNB's directory holds this kind's last program: rebuild it and run it alone.
            src = gonb_dir(k.log)
            if src is not None and args.outside:
                outside[kind] = outside_kernel(src, tmp, kind, n, k.environ(), args.goflags)
    finally:
        k.close()
    steps = parse_log(k.log)[n_cells_before:]
    if len(steps) != len(runs):
        print(f"warning: {len(steps)} cells in GoNB's log, {len(runs)} runs", file=sys.stderr)
    loads.append(load_avg())

    results = {"date": f"{_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "cpus": os.cpu_count(),
               "load": loads, "goflags": args.goflags, "repo": str(args.repo or ROOT), "kinds": {}}
    print(f"\nmedian of {args.repeats} warm runs per kind (seconds; load average during the runs: "
          f"{', '.join(loads)})")
    print(f"{'cell':10} {'wall':>6} {'CPU':>6} " + " ".join(f"{s:>9}" for s in STEPS))
    for kind in kinds:
        idx = [i for i, r in enumerate(runs) if r[0] == kind and not r[3]]
        walls, cpus = [runs[i][2] for i in idx], [runs[i][4] for i in idx]
        med = {s: median([steps[i].get(s, 0.0) for i in idx if i < len(steps)]) for s in STEPS}
        results["kinds"][kind] = {"wall": walls, "wall_median": median(walls), "cpu": cpus,
                                  "cpu_median": median(cpus), "steps_median": med}
        print(f"{kind:10} {median(walls):6.2f} {median(cpus):6.2f} " + " ".join(f"{med[s]:9.2f}" for s in STEPS))
    print("(wall: as the Jupyter client sees it; CPU: GoNB and every process it ran for the cell; "
          "the steps: GoNB's log, wall)")
    if outside:
        print("\neach kind's last program rebuilt (go build -debug-trace) and run outside the kernel, wall s / CPU s:")
        names = list(next(iter(outside.values())))
        print(f"  {'':16} " + " ".join(f"{kind:>13}" for kind in outside))
        for step in names:
            cols = []
            for kind in outside:
                w, c = outside[kind][step]
                cols.append(f"{w:6.2f} / {c:4.2f}" if c is not None else f"{w:6.2f}       ")
            print(f"  {step:16} " + " ".join(f"{c:>13}" for c in cols))
        results["outside"] = {kind: {s: {"wall": w, "cpu": c} for s, (w, c) in res.items()}
                              for kind, res in outside.items()}
    if problems:
        print("\nproblems:\n  " + "\n  ".join(problems))
    results["problems"] = problems
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.keep:
        print(f"\nkept {tmp} (GoNB log: {k.log})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
