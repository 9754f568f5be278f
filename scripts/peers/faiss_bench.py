#!/usr/bin/env python3
"""faiss peer of `dpq bench quantizers|search|map`: the same data (the .npy and index files that
`dpq bench prepare` writes), the same settings, and the same JSON output format.

  quantizers  k-means (K=256), PQ, OPQ, RQ (M=4, K=256) on learned features and raw pixels:
              training seconds, database vectors/s encoded, relative distortion
  search      top-100 search of the 1,000 queries in the dpq index files exported to faiss
              (scripts/export-faiss), on 1 and 2 threads, and the agreement of the top-100 lists
              with dpq's (files NAME_top100.npy from `dpq bench search --write-ids`)
  map         mAP@all of the exported dpq index files (faiss decodes, NumPy ranks) and of PQ, OPQ,
              RQ trained by faiss with three seeds

Settings matched to dpq: 25 Lloyd iterations, k-means++ seeding, seed 1234, at most 256 points
per centroid; OPQ: 6 rotation updates, the first PQ of 25 iterations, 4 per later PQ, and a final PQ of 25;
RQ: plain k-means per block (Train_default, not progressive-dim), greedy encoding (beam 1).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import faiss

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_faiss  # noqa: E402

SEED = 1234
OPQ_ROTATIONS = 6      # OPQMatrix.niter: rotation updates (dpq's outerIterations)
KPP = faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS
INDEXES = ["dpq_ip", "pq_l2", "opq_l2", "rq_l2"]


def clustering(cp, seed=SEED, niter=25):
    cp.niter = niter
    cp.seed = seed
    cp.init_method = KPP
    cp.max_points_per_centroid = 256
    cp.verbose = False
    return cp


def train_quantizer(kind, x, seed=SEED):
    """Trains one quantizer on x; returns encode(y) -> codes-like object and decode(codes) -> y_hat."""
    d = x.shape[1]
    if kind == "kmeans":
        km = faiss.Kmeans(d, 256, niter=25, seed=seed, init_method=KPP, max_points_per_centroid=256, verbose=False)
        km.train(x)
        return (lambda y: km.index.search(y, 1)[1][:, 0]), (lambda labels: km.centroids[labels])
    if kind == "pq":
        pq = faiss.ProductQuantizer(d, 4, 8)
        clustering(pq.cp, seed)
        pq.train(x)
        return pq.compute_codes, pq.decode
    if kind == "opq":
        opq = faiss.OPQMatrix(d, 4)
        opq.niter, opq.niter_pq, opq.niter_pq_0 = OPQ_ROTATIONS, 4, 25
        inner = faiss.ProductQuantizer(d, 4, 8)
        clustering(inner.cp, seed)
        opq.pq = inner                  # faiss trains this one (and sets its iteration counts)
        opq.train(x)
        pq = faiss.ProductQuantizer(d, 4, 8)
        clustering(pq.cp, seed)
        pq.train(opq.apply(x))
        keep = (opq, inner, pq)
        return (lambda y: pq.compute_codes(opq.apply(y))), (lambda c: keep[0].reverse_transform(pq.decode(c)))
    if kind == "rq":
        rq = faiss.ResidualQuantizer(d, 4, 8)
        rq.train_type = faiss.ResidualQuantizer.Train_default
        rq.max_beam_size = 1
        clustering(rq.cp, seed)
        rq.train(x)
        return rq.compute_codes, rq.decode
    raise ValueError(kind)


def measurement(workload, unit, higher, values, **info):
    return {"workload": workload, "unit": unit, "higher_is_better": higher, "values": values, "info": info}


def suite_quantizers(a):
    results = []
    for name, train_file, db_file in [("features", "train_features.npy", "database_features.npy"),
                                      ("pixels", "train_pixels.npy", "database_pixels.npy")]:
        kinds = [k for k in ["kmeans", "pq", "opq", "rq"] if selected(a, f"quant/{name}/{k}")]
        if not kinds:
            continue
        x = np.ascontiguousarray(np.load(os.path.join(a.data, train_file)), dtype=np.float32)
        y = np.ascontiguousarray(np.load(os.path.join(a.data, db_file)), dtype=np.float32)
        energy = float((y.astype(np.float64) ** 2).sum())
        for kind in kinds:
            train_times, rates, distortion = [], [], float("nan")
            for _ in range(a.runs):
                t0 = time.perf_counter()
                encode, decode = train_quantizer(kind, x, seed=a.seed)
                t1 = time.perf_counter()
                codes = encode(y)
                t2 = time.perf_counter()
                train_times.append(t1 - t0)
                rates.append(y.shape[0] / (t2 - t1))
                distortion = float(((y.astype(np.float64) - decode(codes)) ** 2).sum()) / energy
            info = {"train": list(x.shape), "database": list(y.shape), "threads": a.threads, "seeding": "k-means++",
                    "seed": a.seed}
            key = f"quant/{name}/{kind}"
            results += [measurement(f"{key}/train", "s", False, train_times, **info),
                        measurement(f"{key}/encode", "vectors/s", True, rates, **info),
                        measurement(f"{key}/distortion", "relative distortion", False, [distortion], **info)]
            log(f"{key}: train {np.median(train_times):.3f} s, encode {np.median(rates):.0f}/s, distortion {distortion:.4f}")
    return results, ["faiss OPQ starts from a random rotation (dpq: identity) and trains its final PQ cold (dpq: warm)"]


def suite_search(a):
    results = []
    queries = np.ascontiguousarray(np.load(os.path.join(a.data, "query_features.npy")), dtype=np.float32)
    for name in INDEXES:
        if not selected(a, f"search/{name}"):
            continue
        index = export_faiss.to_faiss(os.path.join(a.data, f"{name}.safetensors"))
        info = {"faiss_index": type(index).__name__, "code_size": int(getattr(index, "code_size", 0) or
                                                                   faiss.downcast_index(index.index).code_size)}
        for t in (1, 2):
            if not selected(a, f"search/{name}/t{t}"):
                continue
            faiss.omp_set_num_threads(t)
            index.search(queries, 100)            # warm-up
            rates = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                index.search(queries, 100)
                rates.append(queries.shape[0] / (time.perf_counter() - t0))
            results.append(measurement(f"search/{name}/t{t}", "queries/s", True, rates, threads=t, **info))
            log(f"search/{name}/t{t}: {np.median(rates):.0f} queries/s")
        faiss.omp_set_num_threads(a.threads)
        dpq_ids_path = os.path.join(a.data, f"{name}_top100.npy")
        if os.path.exists(dpq_ids_path):
            _, ids = index.search(queries, 100)
            meta, arrays = export_faiss.read_safetensors(os.path.join(a.data, f"{name}.safetensors"))
            overlap, tie_aware, gap = export_faiss.top_k_agreement(meta, arrays, queries, np.load(dpq_ids_path), ids)
            results.append(measurement(f"search/{name}/agreement", "top-100 overlap", True, [overlap], **info))
            results.append(measurement(f"search/{name}/agreement-ties", "top-100 overlap", True, [tie_aware],
                                       worst_kth_score_gap=gap, **info))
            log(f"search/{name}: top-100 overlap with dpq {overlap:.4f}, counting ties {tie_aware:.4f}, "
                f"worst 100th-score gap {gap:.1e}")
    return results, ["additive indexes: IndexResidualQuantizer, ST_LUT_nonorm for the inner product (4-byte codes), "
                     "ST_norm_float for L2 (4-byte codes + a float norm; dpq keeps its norms beside the codes)"]


def average_precisions(scores, larger_is_better, query_labels, database_labels):
    """AP over the full ranking of each row of `scores` (ties: smaller database id first)."""
    order = np.argsort(-scores if larger_is_better else scores, axis=1, kind="stable")
    rel = database_labels[order] == query_labels[:, None]
    hits = np.cumsum(rel, axis=1)
    ranks = np.arange(1, scores.shape[1] + 1)
    total = rel.sum(axis=1)
    return np.where(total > 0, (rel * hits / ranks).sum(axis=1) / np.maximum(total, 1), 0.0)


def map_at_all(recon, queries, larger_is_better, qlab, dlab, chunk=100):
    """mAP@all ranking by inner product or squared L2 to the reconstructions (ADC)."""
    recon = recon.astype(np.float32)
    norms = (recon * recon).sum(axis=1)
    aps = []
    for s in range(0, queries.shape[0], chunk):
        q = queries[s:s + chunk]
        dots = q @ recon.T
        scores = dots if larger_is_better else (q * q).sum(axis=1)[:, None] - 2 * dots + norms[None, :]
        aps.append(average_precisions(scores, larger_is_better, qlab[s:s + chunk], dlab))
    return float(np.concatenate(aps).mean())


def suite_map(a):
    results = []
    load = lambda n: np.load(os.path.join(a.data, n))
    queries = np.ascontiguousarray(load("query_features.npy"), dtype=np.float32)
    train = np.ascontiguousarray(load("train_features.npy"), dtype=np.float32)
    database = np.ascontiguousarray(load("database_features.npy"), dtype=np.float32)
    qlab, dlab = load("query_labels.npy"), load("database_labels.npy")
    for name in INDEXES:
        if not selected(a, f"map/file/{name}"):
            continue
        index = export_faiss.to_faiss(os.path.join(a.data, f"{name}.safetensors"))
        recon = index.reconstruct_n(0, index.ntotal)
        m = map_at_all(recon, queries, index.metric_type == faiss.METRIC_INNER_PRODUCT, qlab, dlab)
        results.append(measurement(f"map/file/{name}", "mAP@all", True, [m], evaluated_by="faiss decode + NumPy ranking"))
        log(f"map/file/{name}: {m:.4f}")
    for kind in ["pq", "opq", "rq"]:
        if not selected(a, f"map/trained/{kind}"):
            continue
        maps = []
        for seed in (1234, 1, 2):
            encode, decode = train_quantizer(kind, train, seed=seed)
            maps.append(map_at_all(decode(encode(database)), queries, False, qlab, dlab))
        results.append(measurement(f"map/trained/{kind}", "mAP@all", True, maps, seeds=[1234, 1, 2], bits=32))
        log(f"map/trained/{kind}: {' '.join(f'{m:.4f}' for m in maps)}")
    return results, []


def selected(a, workload):
    return not a.only or any(part in workload for part in a.only.split(","))


def log(line):
    print(f"faiss_bench: {line}", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite", choices=["quantizers", "search", "map"])
    ap.add_argument("--data", default=".build/bench-data")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default=None)
    ap.add_argument("--seed", type=int, default=SEED, help="seed of the quantizers suite")
    a = ap.parse_args()
    faiss.omp_set_num_threads(a.threads)
    results, notes = {"quantizers": suite_quantizers, "search": suite_search, "map": suite_map}[a.suite](a)
    print(json.dumps({"suite": a.suite, "tool": f"faiss {faiss.__version__}",
                      "machine": {"omp_threads": a.threads, "faiss_compile": faiss.get_compile_options()},
                      "results": results, "notes": notes}))


if __name__ == "__main__":
    main()
