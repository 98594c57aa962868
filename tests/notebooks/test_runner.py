"""Tests of the headless notebook runner (run_notebooks.py).

The first part checks the pure checking functions on hand-made notebooks; the second runs the runner on the
notebooks in testdata/ through the real GoNB kernel (needs `make setup`; the kernel name can be changed with
BPGO_TEST_KERNEL). Run with: .bpgo/venv/bin/python -m pytest tests/notebooks
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run_notebooks as rn  # noqa: E402

TESTDATA = HERE / "testdata"
KERNEL = os.environ.get("BPGO_TEST_KERNEL", "bpgo")


# ---------------------------------------------------------------------------------------------------------------
# Checks on hand-made notebooks (no kernel).

def code(*outputs) -> dict:
    return {"cell_type": "code", "source": "%%\n", "metadata": {}, "outputs": list(outputs)}


def stream(text, name="stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


PNG = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}, "metadata": {}}


def check(*cells, bounds=None, ran_all=True):
    return rn.check_notebook({"cells": list(cells)}, bounds or {}, ran_all)


def test_passing_notebook():
    failures, metrics, figures, _ = check(code(stream("metric loss = 0.5\n"), PNG), bounds={"loss": (0, 1)})
    assert failures == [] and metrics == {"loss": 0.5} and figures == 1


def test_error_output_names_cell():
    err = {"output_type": "error", "ename": "ERROR", "evalue": "exit status 2", "traceback": []}
    failures, *_ = check(code(PNG), code(stream("panic: ", "stderr"), stream("boom\n", "stderr"), err))
    assert len(failures) == 1
    assert failures[0].cell == 1
    assert "exit status 2" in str(failures[0]) and "panic: boom" in str(failures[0])


def test_panic_on_stderr_without_error_output():
    failures, *_ = check(code(PNG, stream("panic: runtime error: oops\n\ngoroutine 1 [running]:\n", "stderr")))
    assert [f.cell for f in failures] == [0] and "panic: runtime error: oops" in str(failures[0])


def test_exit_status_on_stderr():
    failures, *_ = check(code(PNG, stream("exit status 3\n", "stderr")))
    assert len(failures) == 1 and "exit status 3" in str(failures[0])


def test_exit_status_on_stdout_is_not_a_failure():
    failures, *_ = check(code(PNG, stream("the tool said: exit status 3\n")))
    assert failures == []


def test_no_figure():
    failures, _, figures, _ = check(code(stream("hello\n")))
    assert figures == 0 and any("no figure" in str(f) for f in failures)


def test_no_figure_not_reported_when_execution_stopped():
    failures, _, _, notes = check(code(stream("hello\n")), bounds={"x": (0, 1)}, ran_all=False)
    assert failures == [] and any("stopped early" in n for n in notes)


@pytest.mark.parametrize("data", [
    {"image/svg+xml": "<svg></svg>"},
    {"text/html": "<div><svg width='10'></svg></div>"},
    {"text/html": "<img src=\"data:image/png;base64,AAAA\"/>"},
])
def test_figure_kinds(data):
    _, _, figures, _ = check(code({"output_type": "display_data", "data": data, "metadata": {}}))
    assert figures == 1


def test_plain_html_is_not_a_figure():
    _, _, figures, _ = check(code({"output_type": "display_data", "data": {"text/html": "<b>step 3</b>"}}))
    assert figures == 0


def test_metric_split_across_stream_fragments():
    _, metrics, *_ = check(code(stream("metric acc"), stream("uracy = 0.9"), stream("5\n"), PNG))
    assert metrics == {"accuracy": 0.95}


@pytest.mark.parametrize("text,bounds,fragment", [
    ("metric acc = 0.4\n", {"acc": (0.5, 1)}, "outside [0.5, 1]"),
    ("metric acc = NaN\n", {"acc": (None, None)}, "outside"),
    ("metric acc = 1.5\n", {"acc": (None, 1.0)}, "outside"),
    ("metric acc = abc\n", {}, "not a number"),
    ("metric acc: 1\n", {}, "malformed"),
    ("", {"acc": (0, 1)}, "acc was not printed"),
])
def test_metric_failures(text, bounds, fragment):
    failures, *_ = check(code(stream(text), PNG), bounds=bounds)
    assert len(failures) == 1 and fragment in str(failures[0]), failures


def test_metric_last_value_wins_and_undeclared_is_noted():
    failures, metrics, _, notes = check(code(stream("metric a = 5\nmetric a = 1\nmetric b = 2\n"), PNG),
                                        bounds={"a": (0, 2)})
    assert failures == [] and metrics == {"a": 1.0, "b": 2.0}
    assert any("metric b" in n for n in notes)


def test_bounds_per_mode():
    exp = {"nb.ipynb": {"a": (0, 1), "b": {"reduced": (0, 10), "full": (0, 1)}, "c": {"full": (5, 6)}}}
    assert rn.bounds_for(exp, "nb.ipynb", "reduced") == {"a": (0, 1), "b": (0, 10)}
    assert rn.bounds_for(exp, "nb.ipynb", "full") == {"a": (0, 1), "b": (0, 1), "c": (5, 6)}
    assert rn.bounds_for(exp, "other.ipynb", "full") == {}
    with pytest.raises(ValueError):
        rn.bounds_for({"nb.ipynb": {"a": {"fast": (0, 1)}}}, "nb.ipynb", "full")


def test_project_expectations_are_well_formed():
    exp = rn.load_expectations(HERE / "expectations.py")
    for name in exp:
        assert name.endswith(".ipynb"), name
        for mode in rn.MODES:
            for metric, (lo, hi) in rn.bounds_for(exp, name, mode).items():
                assert lo is None or hi is None or lo <= hi, (name, metric)


def test_html_text_skips_style_and_hidden_context():
    html = ("<style>.x{}</style><div><span>Cell[1]: Line 5</span> undefined: foo"
            "<div class='gonb-err-context'>hidden<div>nested</div></div></div><div>after</div>")
    assert rn.html_text(html).split() == ["Cell[1]:", "Line", "5", "undefined:", "foo", "after"]


def test_cell_time_summary():
    assert rn.cell_time_summary([]) == {}
    s = rn.cell_time_summary([0.5, 3.0, 1.0, 0.7])
    assert s == {"cells": 4, "median": 0.85, "p90": 3.0, "max": 3.0, "total": 5.2}
    assert rn.cell_time_summary([2.0])["median"] == 2.0
    ten = rn.cell_time_summary([float(i) for i in range(1, 11)])
    assert ten["p90"] == 9.0 and ten["median"] == 5.5
    assert rn.format_cell_times(s) == "cell times: 4 cell(s), median 0.85 s, p90 3.00 s, max 3.00 s, total 5.2 s"


def test_report_prints_each_cell_time_and_the_summary():
    nb = SimpleNamespace(cells=[{"cell_type": "markdown", "source": "# t"}, code(), code()])  # nbformat-like
    nb.cells[1]["source"] = "// a comment\nfmt.Println(1)\n"
    nb.cells[2]["source"] = "bpgo.Must(kernel.Show(fig))\n"
    res = rn.Result(path="x.ipynb", passed=True, seconds=3.5, cell_seconds={1: 0.42, 2: 2.91})
    res.cell_times = rn.cell_time_summary(list(res.cell_seconds.values()))
    out = io.StringIO()
    rn.report(res, nb, out, slow_cell=1.5)
    lines = out.getvalue().splitlines()
    assert "    cell [1]    0.42 s  fmt.Println(1)" in lines, lines
    assert "    cell [2]    2.91 s  slow  bpgo.Must(kernel.Show(fig))" in lines, lines
    assert "    cell times: 2 cell(s), median 1.67 s, p90 2.91 s, max 2.91 s, total 3.3 s" in lines, lines


# ---------------------------------------------------------------------------------------------------------------
# The runner through the real kernel.

def run_runner(*args, report: Path) -> tuple[int, str, list[dict]]:
    proc = subprocess.run(
        [sys.executable, str(HERE / "run_notebooks.py"), "--kernel", KERNEL, "--timeout", "300",
         "--report", str(report), *map(str, args)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    results = json.loads(report.read_text()) if report.exists() else []
    return proc.returncode, out, results


@pytest.fixture(scope="module")
def testdata_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    rc, out, results = run_runner("--expectations", TESTDATA / "expectations.py", "--out-dir", tmp / "executed",
                                  *sorted(TESTDATA.glob("*.ipynb")), report=tmp / "report.json")
    assert results, f"runner produced no report (rc={rc}):\n{out}"
    return rc, out, {Path(r["path"]).name: r for r in results}, tmp


def test_run_summary_and_exit_code(testdata_run):
    rc, out, results, _ = testdata_run
    assert rc == 1, out
    assert out.rstrip().splitlines()[-1] == "notebooks: 1 passed, 4 failed", out


def test_run_hello_passes_with_figure_and_metrics(testdata_run):
    _, out, results, tmp = testdata_run
    hello = results["hello.ipynb"]
    assert hello["passed"], out
    assert hello["figures"] == 1
    assert 3.9 < hello["metrics"]["sine_area"] < 4.01 and hello["metrics"]["full_mode"] == 0
    assert set(hello["cell_seconds"]) == {"1", "2"}, hello  # JSON keys; markdown cell 0 not executed
    assert (tmp / "executed" / "hello.ipynb").is_file()


def test_run_reports_cell_wall_times(testdata_run):
    _, out, results, _ = testdata_run
    hello = results["hello.ipynb"]
    secs = hello["cell_seconds"]
    assert all(0 < s < 300 for s in secs.values()), secs
    assert hello["cell_times"]["cells"] == 2 and hello["cell_times"]["max"] == max(secs.values()), hello
    lines = out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("PASS ") and "hello.ipynb" in line)
    assert any(re.fullmatch(r"    cell \[1\] +\d+\.\d\d s  import \(", line) for line in lines[i:i + 4]), lines[i:i + 5]
    assert any(line.startswith("    cell times: 2 cell(s), median ") for line in lines[i:i + 5]), lines[i:i + 5]
    total = sum(len(r["cell_seconds"]) for r in results.values())
    assert any(re.match(rf"cell times: {total} cell\(s\), median .* in 5 notebook\(s\)$", line) for line in lines), out


@pytest.mark.parametrize("name,cell,fragment", [
    ("compile_error.ipynb", 1, "undefined: undefinedThing"),
    ("panic.ipynb", 2, "panic: runtime error: index out of range"),
    ("exit_status.ipynb", 1, "exit status 3"),
    ("no_figure.ipynb", None, "no figure"),
])
def test_run_failures_are_caught(testdata_run, name, cell, fragment):
    _, out, results, _ = testdata_run
    r = results[name]
    assert not r["passed"]
    assert any(fragment in f for f in r["failures"]), r["failures"]
    if cell is not None:
        assert any(f.startswith(f"cell [{cell}]") for f in r["failures"]), r["failures"]
        assert f"FAILED {name} cell [{cell}]" in out


def test_run_ignores_outputs_of_cells_not_reached(testdata_run):
    _, out, results, _ = testdata_run
    r = results["panic.ipynb"]
    assert "stale_output" not in r["metrics"], r  # committed output of the cell after the panic
    assert r["metrics"]["before_panic"] == 1


def test_run_prints_failures_next_to_the_verdict(testdata_run):
    _, out, _, _ = testdata_run
    lines = out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("FAIL ") and "panic.ipynb" in line)
    assert "FAILED" in lines[i + 1], lines[i:i + 3]


def test_run_full_mode_write_and_tight_bounds(tmp_path):
    nb = tmp_path / "hello.ipynb"
    shutil.copy(TESTDATA / "hello.ipynb", nb)
    rc, out, results = run_runner("--mode", "full", "--write", "--expectations", TESTDATA / "expectations.py", nb,
                                  report=tmp_path / "r1.json")
    assert rc == 0 and results[0]["metrics"]["full_mode"] == 1, out
    written = json.loads(nb.read_text())
    outputs = [o for c in written["cells"] for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert all("execution" not in c.get("metadata", {}) for c in written["cells"]), "timing metadata not stripped"

    tight = tmp_path / "tight.py"
    tight.write_text('EXPECTATIONS = {"hello.ipynb": {"sine_area": (10, 20), "not_printed": (0, 1)}}\n')
    rc, out, results = run_runner("--expectations", tight, "--out-dir", tmp_path / "ex", nb, report=tmp_path / "r2.json")
    assert rc == 1, out
    failures = results[0]["failures"]
    assert any("sine_area" in f and "outside [10, 20]" in f for f in failures), failures
    assert any("not_printed was not printed" in f for f in failures), failures
