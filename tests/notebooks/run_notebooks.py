#!/usr/bin/env python3
"""Execute bpgo notebooks headless through the `bpgo` GoNB kernel and check them.

Run it with the project venv (kernel/setup.sh creates it and installs the kernel):

    .bpgo/venv/bin/python tests/notebooks/run_notebooks.py [NOTEBOOK.ipynb ...] [--mode reduced|full] [--write]

Without paths it runs every notebooks/*.ipynb. The kernel gets BPGO_NOTEBOOK_MODE=<mode>. A notebook fails on:
  - an `error` output (GoNB emits one for compile errors, failed `go get`, panics and non-zero exits);
  - `panic:` or `exit status N` in a cell's output text (fallback for failures without an `error` output);
  - no figure at all: no image/png or image/svg+xml output (an HTML output with an inline <svg> or a
    data:image <img>, which is what gonbui.DisplaySvg / EmbedImageAsPNGSrc send, counts too);
  - metrics: a stdout line `metric <name> = <float>` that a notebook prints is checked against the bounds in
    tests/notebooks/expectations.py (see its docstring); a declared metric that was not printed fails, as does a
    value outside [lo, hi] or one that does not parse as a float (NaN is always out of bounds).
Execution stops at the first failing cell (use --keep-going to run the rest).

Each cell's wall time (request to reply, as the Jupyter client sees it: GoNB's build and link of the cell's program
plus its run) is printed under the notebook's verdict, with a summary line (`cell times: ...`) per notebook and for
the whole run, and kept in the --report JSON (cell_seconds, cell_times), so that a slower kernel shows in CI's log.
Cells slower than --slow-cell seconds are marked `slow` (a note, not a failure: wall time depends on the machine's
load).

Executed copies go to .bpgo/executed/ (--out-dir); --write rewrites the notebooks in place instead (only when they
pass; per-cell timing metadata is stripped so that re-runs do not churn the diff). Exit status: 0 when every
notebook passed, 1 otherwise, 2 on a usage error. The last line is `notebooks: N passed, M failed`.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import sys
import time
from html.parser import HTMLParser
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METRIC_RE = re.compile(r"^metric ([A-Za-z0-9_]+) = (\S+)$")
PANIC_RE = re.compile(r"^(panic: |fatal error: )|\bexit status [1-9][0-9]*\b", re.M)  # in stderr text
HTML_FIGURE_RE = re.compile(r"<svg[\s>]|<img[^>]+src=[\"']data:image/(png|svg\+xml|jpeg|gif)", re.I)
MODES = ("reduced", "full")


@dataclass
class Failure:
    cell: int | None  # index in the notebook's cell list (0-based); None: the notebook as a whole
    message: str

    def __str__(self) -> str:
        return (f"cell [{self.cell}]: " if self.cell is not None else "") + self.message


@dataclass
class Result:
    path: str
    passed: bool = False
    seconds: float = 0.0
    cell_seconds: dict[int, float] = field(default_factory=dict)
    cell_times: dict[str, float] = field(default_factory=dict)  # summary of cell_seconds (cell_time_summary)
    metrics: dict[str, float | str] = field(default_factory=dict)
    figures: int = 0
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------------------------
# Checks on an executed notebook (pure functions on the nbformat JSON; tested without a kernel).

def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def cell_failures(cell: dict, index: int) -> list[Failure]:
    """The failure shown in one code cell's outputs (at most one per cell), with the compiler's or the
    runtime's own message when GoNB shows one."""
    outputs = cell.get("outputs", [])
    errors = [_strip_ansi(o.get("evalue") or o.get("ename") or "error").strip()
              for o in outputs if o.get("output_type") == "error"]
    details = []
    stderr = _strip_ansi(stream_text(cell, "stderr"))
    m = PANIC_RE.search(stderr)
    if m:
        lines = stderr[m.start():].splitlines()
        details.append(lines[0].strip())
        loc = next((line for line in lines[1:12] if "[[ Cell" in line), None)
        if loc:
            details.append(loc.strip())
    if not details:  # compile / go get errors: GoNB shows the compiler's output as HTML
        for o in outputs:
            html = _text((o.get("data") or {}).get("text/html"))
            if "gonb-err" in html or "application/vnd.jupyter.stderr" in html:
                details += [line for line in html_text(html).splitlines()
                            if line.strip() and not line.lstrip().startswith(("#", "failed to run"))][:4]
    if not errors and not details:
        return []
    head = ("error output: " + errors[0]) if errors else "stderr shows a failure"
    parts = [head]
    for d in details:
        if d not in parts and d not in head:
            parts.append(d)
    return [Failure(index, _shorten("; ".join(parts)))]


def stream_text(cell: dict, name: str) -> str:
    """All text a cell wrote to one stream (GoNB's stream outputs arrive in fragments)."""
    return "".join(_text(o.get("text")) for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == name)


def coalesce_streams(nb) -> None:
    """Merges consecutive stream outputs of the same name (as nbconvert's coalesce_streams does)."""
    for c in nb.get("cells", []):
        merged = []
        for o in c.get("outputs", []):
            if (o.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == o.get("name")):
                merged[-1]["text"] = _text(merged[-1]["text"]) + _text(o.get("text"))
            else:
                merged.append(o)
        if "outputs" in c:
            c["outputs"] = merged


class _HTMLText(HTMLParser):
    """Text of an HTML fragment, without <style>/<script> and GoNB's hidden error-context boxes."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if self.skip or tag in ("style", "script") or "gonb-err-context" in (dict(attrs).get("class") or ""):
            if tag not in _VOID_TAGS:
                self.skip += 1
        elif tag in ("div", "br", "p", "pre"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.skip and tag not in _VOID_TAGS:
            self.skip -= 1
        elif tag in ("div", "p", "pre"):
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


_VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "wbr"}


def html_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "\n".join(" ".join(line.split()) for line in "".join(parser.parts).splitlines())


def _strip_ansi(s: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", s)


def _shorten(s: str, width: int = 400) -> str:
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 3] + "..."


def _first_lines(s: str, n: int = 3, width: int = 300) -> str:
    s = re.sub(r"\x1b\[[0-9;]*m", "", s)  # ANSI colours
    lines = [line for line in s.splitlines() if line.strip()][:n]
    return " | ".join(lines)[:width]


def count_figures(cells: list[dict]) -> int:
    n = 0
    for c in cells:
        for o in c.get("outputs", []):
            data = o.get("data") or {}
            if "image/png" in data or "image/svg+xml" in data:
                n += 1
            elif "text/html" in data and HTML_FIGURE_RE.search(_text(data["text/html"])):
                n += 1
    return n


def collect_metrics(cells: list[dict]) -> tuple[dict[str, tuple[int, str]], list[Failure]]:
    """Metric lines on stdout: name -> (cell index, raw value); the last print of a name wins."""
    metrics, failures = {}, []
    for i, c in enumerate(cells):
        for line in stream_text(c, "stdout").splitlines():
            m = METRIC_RE.match(line.rstrip("\r"))
            if m:
                metrics[m.group(1)] = (i, m.group(2))
            elif line.startswith("metric "):
                failures.append(Failure(i, f"malformed metric line {line!r} (want 'metric <name> = <float>')"))
    return metrics, failures


def bounds_for(expectations: dict, notebook: str, mode: str) -> dict[str, tuple]:
    """The (lo, hi) bounds that apply to notebook in mode (entries whose bounds for this mode are None drop out)."""
    out = {}
    for name, spec in (expectations.get(notebook) or {}).items():
        if isinstance(spec, dict):
            unknown = set(spec) - set(MODES)
            if unknown:
                raise ValueError(f"expectations[{notebook!r}][{name!r}]: unknown modes {sorted(unknown)}")
            spec = spec.get(mode)
        if spec is None:
            continue
        lo, hi = spec
        out[name] = (lo, hi)
    return out


def check_metrics(cells: list[dict], bounds: dict[str, tuple], ran_all: bool = True) -> tuple[dict, list[Failure], list[str]]:
    raw, failures = collect_metrics(cells)
    values, notes = {}, []
    for name, (i, text) in raw.items():
        try:
            values[name] = float(text)
        except ValueError:
            values[name] = text
            failures.append(Failure(i, f"metric {name} = {text!r} is not a number"))
            continue
        if name in bounds:
            lo, hi = bounds[name]
            v = values[name]
            ok = not math.isnan(v) and (lo is None or v >= lo) and (hi is None or v <= hi)
            if not ok:
                failures.append(Failure(i, f"metric {name} = {text} outside [{lo}, {hi}]"))
        else:
            notes.append(f"metric {name} = {text} has no bounds in the expectations")
    for name in bounds:
        if name not in raw and ran_all:
            failures.append(Failure(None, f"metric {name} was not printed (expected 'metric {name} = <float>')"))
    return values, failures, notes


def check_notebook(nb: dict, bounds: dict[str, tuple], ran_all: bool = True) -> tuple[list[Failure], dict, int, list[str]]:
    """All checks on an executed notebook: (failures, metrics, number of figures, notes). When execution stopped
    before the last cell (ran_all false), a missing figure or metric is not reported: the failure that stopped it is."""
    cells = nb.get("cells", [])
    failures = []
    for i, c in enumerate(cells):
        if c.get("cell_type") == "code":
            failures += cell_failures(c, i)
    values, metric_failures, notes = check_metrics(cells, bounds, ran_all)
    failures += metric_failures
    figures = count_figures(cells)
    if not ran_all:
        notes.append("execution stopped early: the figure and missing-metric checks were skipped")
    elif figures == 0:
        failures.append(Failure(None, "no figure: no image/png or image/svg+xml output in any cell"))
    return failures, values, figures, notes


# ----------------------------------------------------------------------------------------------------------------
# Execution.

def load_expectations(path: Path) -> dict:
    if not path.exists():
        return {}
    spec = importlib.util.spec_from_file_location("bpgo_notebook_expectations", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    exp = getattr(mod, "EXPECTATIONS", None)
    if not isinstance(exp, dict):
        raise SystemExit(f"{path}: must define a dict EXPECTATIONS")
    return exp


def execute(path: Path, args, expectations: dict) -> tuple[Result, dict]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    res = Result(path=str(path))
    nb = nbformat.read(path, as_version=4)
    # Outputs committed with the notebook must not count: a cell that is never reached (execution
    # stopped earlier) would otherwise still show its old metrics and figures.
    clear_outputs(nb)
    starts: dict[int, float] = {}

    def on_execute(cell, cell_index, **_):
        starts[cell_index] = time.monotonic()

    def on_executed(cell, cell_index, **_):
        if cell_index in starts:
            res.cell_seconds[cell_index] = time.monotonic() - starts[cell_index]

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        allow_errors=args.keep_going,
        record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=on_execute,
        on_cell_executed=on_executed,
    )
    t0 = time.monotonic()
    exec_failure, stopped = None, False
    try:
        client.execute()
    except CellTimeoutError as e:
        exec_failure = Failure(_running_cell(starts, res), f"timed out after {args.timeout} s ({_first_lines(str(e), 1)})")
    except DeadKernelError as e:
        exec_failure = Failure(_running_cell(starts, res), f"kernel died: {_first_lines(str(e), 2)}")
    except CellExecutionError:
        stopped = True  # the cell's error output is reported by the checks below
    except Exception as e:  # noqa: BLE001 - kernel start failures etc.: report, don't crash the run
        exec_failure = Failure(None, f"execution failed: {type(e).__name__}: {_first_lines(str(e), 3)}")
    res.seconds = time.monotonic() - t0
    res.cell_times = cell_time_summary(list(res.cell_seconds.values()))
    coalesce_streams(nb)

    bounds = bounds_for(expectations, path.name, args.mode)
    if path.name not in expectations:
        res.notes.append(f"{path.name} has no entry in the expectations")
    ran_all = exec_failure is None and not stopped
    failures, res.metrics, res.figures, notes = check_notebook(nb, bounds, ran_all)
    res.notes += notes
    if exec_failure:
        failures.insert(0, exec_failure)
    res.failures = failures
    res.passed = not failures
    return res, nb


def _running_cell(starts: dict[int, float], res: Result) -> int | None:
    pending = [i for i in starts if i not in res.cell_seconds]
    return max(pending) if pending else None


def _source_head(nb, i: int) -> str:
    for line in _text(nb.cells[i].get("source")).splitlines():
        if line.strip() and not line.strip().startswith("//"):
            return line.strip()[:60]
    return ""


def clear_outputs(nb) -> None:
    for c in nb.cells:
        if c.get("cell_type") == "code":
            c["outputs"] = []
            c["execution_count"] = None


def strip_timing(nb) -> None:
    for c in nb.cells:
        c.get("metadata", {}).pop("execution", None)


def cell_time_summary(seconds: list[float]) -> dict[str, float]:
    """Count, median, 90th percentile (nearest rank), max and total of cell wall times ({} for none)."""
    if not seconds:
        return {}
    xs = sorted(seconds)
    n = len(xs)
    median = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
    p90 = xs[min(n - 1, math.ceil(0.9 * n) - 1)]
    return {"cells": n, "median": median, "p90": p90, "max": xs[-1], "total": sum(xs)}


def format_cell_times(summary: dict[str, float]) -> str:
    if not summary:
        return "cell times: no cells ran"
    return (f"cell times: {summary['cells']} cell(s), median {summary['median']:.2f} s, "
            f"p90 {summary['p90']:.2f} s, max {summary['max']:.2f} s, total {summary['total']:.1f} s")


def report(res: Result, nb, stream=sys.stdout, slow_cell: float | None = None) -> None:
    status = "PASS" if res.passed else "FAIL"
    print(f"{status} {res.path}  ({res.seconds:.1f} s, {res.figures} figure(s), {len(res.metrics)} metric(s))",
          file=stream)
    for f in res.failures:  # first, so that a log cut after a few lines still says why
        print(f"    FAILED {res.path} {f}", file=stream)
    for i, s in sorted(res.cell_seconds.items()):
        mark = "  slow" if slow_cell is not None and s > slow_cell else ""
        print(f"    cell [{i}] {s:7.2f} s{mark}  {_source_head(nb, i)}", file=stream)
    print(f"    {format_cell_times(res.cell_times)}", file=stream)
    for name, v in res.metrics.items():
        print(f"    metric {name} = {v}", file=stream)
    for n in res.notes:
        print(f"    note: {n}", file=stream)
    stream.flush()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb)")
    p.add_argument("--mode", choices=MODES, default="reduced", help="BPGO_NOTEBOOK_MODE for the kernel")
    p.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds (default 900)")
    p.add_argument("--startup-timeout", type=int, default=180, help="kernel start timeout in seconds")
    p.add_argument("--write", action="store_true", help="rewrite passing notebooks in place with their outputs")
    p.add_argument("--out-dir", type=Path, default=ROOT / ".bpgo" / "executed",
                   help="where executed copies go (default .bpgo/executed)")
    p.add_argument("--expectations", type=Path, default=Path(__file__).resolve().parent / "expectations.py",
                   help="metric bounds file (default tests/notebooks/expectations.py)")
    p.add_argument("--kernel", default="bpgo", help="kernel name (default bpgo)")
    p.add_argument("--jupyter-data", type=Path, default=ROOT / ".bpgo" / "jupyter",
                   help="JUPYTER_DATA_DIR holding the kernel spec (default .bpgo/jupyter)")
    p.add_argument("--keep-going", action="store_true", help="run the remaining cells after a failing one")
    p.add_argument("--report", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--slow-cell", type=float, metavar="SECONDS",
                   help="mark cells slower than this in the report (a note, not a failure)")
    args = p.parse_args(argv)

    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    missing = [str(x) for x in paths if not x.is_file()]
    if missing:
        print(f"run_notebooks: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    spec = args.jupyter_data / "kernels" / args.kernel / "kernel.json"
    if not spec.is_file():
        print(f"run_notebooks: kernel spec {spec} not found: run kernel/setup.sh (make setup) first", file=sys.stderr)
        return 2
    expectations = load_expectations(args.expectations)

    # The kernel inherits this environment (plus its kernel.json env).
    os.environ["JUPYTER_DATA_DIR"] = str(args.jupyter_data.resolve())
    os.environ["BPGO_NOTEBOOK_MODE"] = args.mode
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    import nbformat

    print(f"running {len(paths)} notebook(s) with kernel {args.kernel!r}, BPGO_NOTEBOOK_MODE={args.mode}, "
          f"cell timeout {args.timeout} s", flush=True)
    results, t0 = [], time.monotonic()
    for path in paths:
        path = path.resolve()
        res, nb = execute(path, args, expectations)
        results.append(res)
        report(res, nb, slow_cell=args.slow_cell)
        if args.write and res.passed:
            strip_timing(nb)
            nbformat.write(nb, path)
            print(f"    wrote {path}")
        else:
            args.out_dir.mkdir(parents=True, exist_ok=True)
            out = args.out_dir / path.name
            nbformat.write(nb, out)
            print(f"    executed copy: {out}" + ("  (not written in place: it failed)" if args.write else ""))

    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if args.report:
        args.report.write_text(json.dumps([r.__dict__ | {"failures": [str(f) for f in r.failures]}
                                           for r in results], indent=1, default=str))
    for r in results:
        for f in r.failures:
            print(f"FAILED {Path(r.path).name} {f}")
    all_cells = [s for r in results for s in r.cell_seconds.values()]
    print(format_cell_times(cell_time_summary(all_cells)) + f" in {len(results)} notebook(s)")
    print(f"total {time.monotonic() - t0:.1f} s")
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
