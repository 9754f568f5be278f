#!/usr/bin/env python3
"""Test of scripts/export-faiss in the bench environment: every prepared dpq index file is exported
through the command-line tool, read back by faiss, and searched with the same 1,000 queries; faiss's
top-100 lists must hold the same items as dpq's (`dpq bench search --write-ids` writes them).
Ends with the plain 'N passed, N failed' line; exits 1 on any failure."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import faiss

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import export_faiss  # noqa: E402


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "bench-data")
    queries = np.ascontiguousarray(np.load(os.path.join(data, "query_features.npy")), dtype=np.float32)
    passed, failed = 0, 0

    def report(ok, what):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'PASS' if ok else 'FAIL'}: {what}")

    with tempfile.TemporaryDirectory() as tmp:
        for name in ["dpq_ip", "pq_l2", "opq_l2", "rq_l2"]:
            src, out = os.path.join(data, f"{name}.safetensors"), os.path.join(tmp, f"{name}.faiss")
            run = subprocess.run([os.path.join(ROOT, "scripts", "export-faiss"), src, out],
                                 capture_output=True, text=True, env={**os.environ, "PYTHON": sys.executable})
            if run.returncode != 0:
                report(False, f"{name}: export-faiss failed: {run.stderr.strip()}")
                continue
            index = faiss.read_index(out)
            meta, arrays = export_faiss.read_safetensors(src)
            report(index.ntotal == arrays["codes"].shape[0], f"{name}: {index.ntotal} items in faiss")
            dpq_ids = np.load(os.path.join(data, f"{name}_top100.npy"))
            _, ids = index.search(queries, 100)
            overlap, tie_aware, gap = export_faiss.top_k_agreement(meta, arrays, queries, dpq_ids, ids)
            # Items with equal scores (repeated codes) may be cut at the 100th place in any order,
            # and float sums in another order differ in the last bits: count those as agreeing.
            report(tie_aware >= 0.999 and gap <= 1e-4,
                   f"{name}: top-100 overlap {overlap:.4f}, {tie_aware:.4f} counting ties, 100th-score gap {gap:.1e} "
                   f"({type(index).__name__})")
        bad = os.path.join(tmp, "bad.safetensors")
        with open(bad, "wb") as f:
            f.write(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
        run = subprocess.run([os.path.join(ROOT, "scripts", "export-faiss"), bad, os.path.join(tmp, "bad.faiss")],
                             capture_output=True, text=True, env={**os.environ, "PYTHON": sys.executable})
        report(run.returncode != 0 and "not a dpq index file" in run.stderr, "a file without dpq metadata is refused with a message")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
