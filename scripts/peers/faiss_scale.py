#!/usr/bin/env python3
"""faiss peer of `dpq bench scale`, which runs it once per database size in the same run.

Reads a dpq index file (safetensors, written by the dpq side for this size), exports it to faiss
with export_faiss.to_faiss (identical codebooks and codes: IndexResidualQuantizer, ST_norm_float
for squared L2), and measures on the same queries and threads:
  import   seconds to build the faiss index from the dpq file (includes export's decode check)
  search   top-k queries/s (median of --runs after one warm-up), and the overlap of faiss's
           top-k ids with dpq's (--dpq-ids, written by the dpq side)
  encode   vectors/s of faiss's greedy RQ encoding (max_beam_size 1, as dpq) with the same
           codebooks: of --features (.npy), or of --encode synthetic vectors drawn chunk by chunk
           from the same kind of mixture as dpq's (centres N(0, 1/D), uniform noise of a quarter
           of the signal's energy); only the encoding is timed, not the drawing.
Prints one JSON document in the format of the other peers."""
import argparse
import json
import os
import sys
import time

import numpy as np
import faiss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_faiss  # noqa: E402


def measurement(workload, unit, higher, values, **info):
    return {"workload": workload, "unit": unit, "higher_is_better": higher, "values": values, "info": info}


def log(line):
    print(f"faiss_scale: {line}", file=sys.stderr, flush=True)


def synthetic_chunks(total, d, chunk, seed=14):
    rng = np.random.default_rng(seed)
    centres = (rng.standard_normal((256, d)) / np.sqrt(d)).astype(np.float32)
    half_width = np.float32(np.sqrt(3 * 0.25 / d))
    done = 0
    while done < total:
        c = min(chunk, total - done)
        x = centres[rng.integers(0, 256, c)] + rng.uniform(-half_width, half_width, (c, d)).astype(np.float32)
        yield np.ascontiguousarray(x, dtype=np.float32)
        done += c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True, help="dpq index file (safetensors)")
    ap.add_argument("--queries", required=True, help="queries .npy [nq, D]")
    ap.add_argument("--nq", type=int, default=0, help="use the first NQ queries (0: all)")
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--label", required=True, help="workload prefix, e.g. scale/1000000")
    ap.add_argument("--dpq-ids", default=None, help=".npy of dpq's top-k ids for the same queries")
    ap.add_argument("--features", default=None, help=".npy of vectors to encode")
    ap.add_argument("--encode", type=int, default=0, help="synthetic vectors to encode (without --features)")
    a = ap.parse_args()
    faiss.omp_set_num_threads(a.threads)
    results = []

    t0 = time.perf_counter()
    index = export_faiss.to_faiss(a.index)
    import_seconds = time.perf_counter() - t0
    info = {"faiss_index": type(index).__name__, "code_size": int(index.code_size), "items": int(index.ntotal),
            "threads": a.threads}
    results.append(measurement(f"{a.label}/import/faiss", "s", False, [import_seconds], **info))
    log(f"{a.label}: imported {index.ntotal} items in {import_seconds:.2f} s ({type(index).__name__})")

    queries = np.ascontiguousarray(np.load(a.queries), dtype=np.float32)
    if a.nq:
        queries = np.ascontiguousarray(queries[:a.nq])
    _, ids = index.search(queries, a.k)   # warm-up
    rates = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        index.search(queries, a.k)
        rates.append(queries.shape[0] / (time.perf_counter() - t0))
    results.append(measurement(f"{a.label}/search/faiss", "queries/s", True, rates, queries=int(queries.shape[0]),
                               k=a.k, **info))
    log(f"{a.label}: search {np.median(rates):.1f} queries/s")
    if a.dpq_ids and os.path.exists(a.dpq_ids):
        dpq_ids = np.load(a.dpq_ids)
        overlap = np.mean([len(np.intersect1d(dpq_ids[i], ids[i])) / a.k for i in range(ids.shape[0])])
        results.append(measurement(f"{a.label}/agreement/faiss", "top-k overlap", True, [float(overlap)], **info))
        log(f"{a.label}: top-{a.k} overlap with dpq {overlap:.4f}")

    rq = index.rq
    rq.max_beam_size = 1
    d = index.d
    encoded, seconds = 0, 0.0
    if a.features:
        chunks = [np.ascontiguousarray(np.load(a.features), dtype=np.float32)]
    else:
        chunks = synthetic_chunks(a.encode, d, 100_000)
    for x in chunks:
        t0 = time.perf_counter()
        rq.compute_codes(x)
        seconds += time.perf_counter() - t0
        encoded += x.shape[0]
    if encoded:
        results.append(measurement(f"{a.label}/encode/faiss", "vectors/s", True, [encoded / seconds],
                                   vectors=encoded, seconds=seconds, beam=1, **info))
        log(f"{a.label}: encoded {encoded} vectors at {encoded / seconds:.0f}/s")
    print(json.dumps({"suite": "scale", "tool": f"faiss {faiss.__version__}",
                      "machine": {"omp_threads": a.threads}, "results": results, "notes": []}))


if __name__ == "__main__":
    main()
