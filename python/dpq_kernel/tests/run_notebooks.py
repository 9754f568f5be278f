"""Runs .ipynb notebooks through nbclient with the dpq kernel, as Jupyter's "Run all" does.

    DPQ_EXECUTABLE=.build/release/dpq .venv/bin/python python/dpq_kernel/tests/run_notebooks.py NB.ipynb ...

Each notebook must run with no error output and show at least one figure as image/png; the
executed copy is written beside it as NAME.executed.ipynb. The kernel starts in the current
directory, so relative paths in the notebooks mean what they mean for `dpq notebook`. Exit
status 0 when all pass, 1 when one fails, 2 when a Python package is missing (never a skip).
"""

import os
import sys
import tempfile
import time

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from dpq_kernel.install import install
except ImportError as e:
    sys.stderr.write("run_notebooks: missing Python package (%s); run scripts/setup\n" % e)
    sys.exit(2)


def outputs(notebook, kind):
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
            if o.get("output_type") == kind]


def run(path):
    """Executes one notebook; returns a list of problems (empty when it passed)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name="dpq", timeout=900,
                            resources={"metadata": {"path": os.getcwd()}})
    problems = []
    try:
        client.execute()
    except CellExecutionError as e:
        problems.append("a cell failed: %s: %s" % (e.ename, e.evalue))
    errors = outputs(notebook, "error")
    if errors and not problems:
        problems.append("error output: %s" % errors[0].get("evalue"))
    figures = [o for o in outputs(notebook, "display_data") if "image/png" in o.get("data", {})]
    if not figures:
        problems.append("no figure arrived as image/png")
    nbformat.write(notebook, os.path.splitext(path)[0] + ".executed.ipynb")
    return problems, len(figures)


def main(paths):
    dpq = os.environ.get("DPQ_EXECUTABLE")
    if not dpq or not os.access(dpq, os.X_OK):
        sys.stderr.write("run_notebooks: DPQ_EXECUTABLE must name the built dpq binary\n")
        return 2
    failures = 0
    with tempfile.TemporaryDirectory() as prefix:
        install(dpq, prefix=prefix)  # a private kernelspec, found through JUPYTER_PATH
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter")
        for path in paths:
            start = time.time()
            problems, figures = run(path)
            seconds = time.time() - start
            if problems:
                failures += 1
                print("FAIL %s (%.0fs): %s" % (path, seconds, "; ".join(problems)))
            else:
                print("ok   %s (%.0fs, %d figures through the dpq kernel)" % (path, seconds, figures))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
