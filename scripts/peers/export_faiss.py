#!/usr/bin/env python3
"""Turns a dpq index file (safetensors written by `Index.save`) into a faiss index.

Layouts (Sources/DPQRetrieval/Index+File.swift):
  additive: `codebooks` F32 [M, K, D], `codes` U8/U16 [n, M]  -> IndexResidualQuantizer
  product:  `codebooks` F32 [M, K, D/M], `codes` [n, M]        -> IndexPQ
            + `rotation` F32 [D, D] (rotated = R x)             -> IndexPreTransform(OPQMatrix, IndexPQ)
Metric `innerProduct` -> METRIC_INNER_PRODUCT; `squaredL2` -> METRIC_L2.

The additive index searches with lookup tables: ST_LUT_nonorm for the inner product (no norm is
needed, code size M bytes), ST_norm_float for squared L2 (each code carries its float32 norm,
code size M + 4 bytes), the faiss search type that matches dpq's stored per-item norms.
The codebooks and codes are copied bit for bit; every export decodes a sample of items in faiss and
checks them against the reconstruction computed here from the dpq file.

With --ivf NLIST the same codebooks and codes become the fine codes of an inverted-file index, which
faiss can shard (IndexShardsIVF) or move to GPUs: additive -> IndexIVFResidualQuantizer, product ->
IndexIVFPQ (+ the OPQ rotation in front), both with by_residual = False, so each item's fine code is
dpq's code itself, not a code of its residual to the coarse centroid. The coarse quantizer (flat, the
index's metric) is trained by faiss k-means on the items' reconstructions (dpq's index file holds no
features), and each item goes to the list of the centroid nearest to its reconstruction. Search
visits `nprobe` lists (faiss's default is 1; set index.nprobe, see docs/interop.md).
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "U8": np.uint8, "U16": np.uint16, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    """(metadata, {name: array}) of a safetensors file, read with NumPy alone."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (length,) = struct.unpack("<Q", raw[:8])
    if 8 + length > len(raw):
        raise ValueError(f"{path}: header length {length} runs past the end of the file")
    header = json.loads(raw[8:8 + length])
    meta = header.pop("__metadata__", {}) or {}
    body = raw[8 + length:]
    arrays = {}
    for name, e in header.items():
        if e["dtype"] not in DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {e['dtype']}")
        start, end = e["data_offsets"]
        a = np.frombuffer(body[start:end], dtype=np.dtype(DTYPES[e["dtype"]]).newbyteorder("<"))
        arrays[name] = a.reshape(e["shape"]).astype(DTYPES[e["dtype"]])
    return meta, arrays


def code_space_reconstruct(meta, arrays, items):
    """Reconstructions of the given items in the space the codes live in (rotated for OPQ)."""
    books, codes = arrays["codebooks"], arrays["codes"][items].astype(np.int64)
    m = books.shape[0]
    if meta["layout"] == "additive":
        return sum(books[b][codes[:, b]] for b in range(m)).astype(np.float32)
    return np.concatenate([books[b][codes[:, b]] for b in range(m)], axis=1).astype(np.float32)


def dpq_reconstruct(meta, arrays, items):
    """Reconstructions of the given items from the dpq file, in the original space."""
    y = code_space_reconstruct(meta, arrays, items)
    r = arrays.get("rotation")
    return y if r is None else y @ r       # x = R^T y for column vectors


def read_dpq_index(path):
    """The dpq index file `path` checked for export: (meta, arrays, books, codes, m, k, dc, n,
    nbits, faiss metric)."""
    import faiss
    meta, arrays = read_safetensors(path)
    if meta.get("format") != "dpq-index":
        raise ValueError(f"{path}: not a dpq index file (metadata format {meta.get('format')!r})")
    books = np.ascontiguousarray(arrays["codebooks"], dtype=np.float32)
    codes = np.ascontiguousarray(arrays["codes"])
    m, k, dc = books.shape
    n = codes.shape[0]
    nbits = k.bit_length() - 1
    if 1 << nbits != k:
        raise ValueError(f"{path}: K = {k} codewords is not a power of two; faiss packs codes in whole bits")
    metric = {"innerProduct": faiss.METRIC_INNER_PRODUCT, "squaredL2": faiss.METRIC_L2}.get(meta.get("metric"))
    if metric is None:
        raise ValueError(f"{path}: unknown metric {meta.get('metric')!r}")
    return meta, arrays, books, codes, m, k, dc, n, nbits, metric


def to_faiss(path):
    """The faiss index holding the same codebooks and codes as the dpq index file `path`."""
    import faiss
    meta, arrays, books, codes, m, k, dc, n, nbits, metric = read_dpq_index(path)
    if meta["layout"] == "additive":
        search_type = (faiss.AdditiveQuantizer.ST_LUT_nonorm if metric == faiss.METRIC_INNER_PRODUCT
                       else faiss.AdditiveQuantizer.ST_norm_float)
        index = faiss.IndexResidualQuantizer(dc, m, nbits, metric, search_type)
        rq = index.rq
        faiss.copy_array_to_vector(books.ravel(), rq.codebooks)
        rq.is_trained = True
        index.is_trained = True
        packed = np.zeros((n, index.code_size), dtype=np.uint8)
        # pack_codes computes each item's norm from its decoded vector when the search type stores one.
        codes32 = np.ascontiguousarray(codes, dtype=np.int32)   # kept alive across the call
        rq.pack_codes(n, faiss.swig_ptr(codes32), faiss.swig_ptr(packed))
        add_codes(index, packed)
        result = index
    elif meta["layout"] == "product":
        d = m * dc
        pq_index = faiss.IndexPQ(d, m, nbits, metric)
        faiss.copy_array_to_vector(books.ravel(), pq_index.pq.centroids)   # faiss: [M, ksub, dsub] too
        pq_index.is_trained = True
        packed = np.zeros((n, pq_index.code_size), dtype=np.uint8)
        writer_pack(codes, nbits, packed)
        add_codes(pq_index, packed)
        result = pq_index
        if "rotation" in arrays:
            r = np.ascontiguousarray(arrays["rotation"], dtype=np.float32)
            opq = faiss.OPQMatrix(d, m)
            faiss.copy_array_to_vector(r.ravel(), opq.A)   # faiss applies y = A x: A = R
            opq.is_trained = True
            opq.is_orthonormal = True
            result = faiss.IndexPreTransform(opq, pq_index)
            result.is_trained = True   # the Python wrapper keeps opq and pq_index alive
    else:
        raise ValueError(f"{path}: unknown layout {meta.get('layout')!r}")
    check(result, meta, arrays, path)
    return result


def writer_pack(codes, nbits, packed):
    """faiss's bit packing of M codes of nbits each (little-endian bit order, as PQEncoderGeneric)."""
    if nbits == 8:
        packed[:, :codes.shape[1]] = codes.astype(np.uint8)
        return
    n, m = codes.shape
    for i in range(n):
        acc, bit, out = 0, 0, bytearray()
        for b in range(m):
            acc |= int(codes[i, b]) << bit
            bit += nbits
            while bit >= 8:
                out.append(acc & 0xFF); acc >>= 8; bit -= 8
        if bit > 0:
            out.append(acc & 0xFF)
        packed[i, :len(out)] = np.frombuffer(bytes(out), dtype=np.uint8)


def add_codes(index, packed):
    """Appends already-encoded items to a flat-codes index."""
    import faiss
    faiss.copy_array_to_vector(packed.ravel(), index.codes)
    index.ntotal = packed.shape[0]


def check(index, meta, arrays, path, sample=64):
    """faiss decodes a sample of items to what the dpq file describes, or the export is refused."""
    n = arrays["codes"].shape[0]
    if n == 0:
        return
    items = np.unique(np.linspace(0, n - 1, min(n, sample)).astype(np.int64))
    got = np.stack([index.reconstruct(int(i)) for i in items])
    want = dpq_reconstruct(meta, arrays, items)
    err = np.abs(got - want).max() / max(1e-12, np.abs(want).max())
    if err > 1e-4:
        raise ValueError(f"{path}: faiss decodes items differently from dpq (max relative difference {err:.2e})")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="scripts/export-faiss",
                                 usage="scripts/export-faiss [--ivf NLIST] INDEX.safetensors OUT.faiss")
    ap.add_argument("index")
    ap.add_argument("out")
    ap.add_argument("--ivf", type=int, default=None, metavar="NLIST",
                    help="write an IVF index with NLIST lists (coarse quantizer trained by faiss, dpq's codes as fine codes)")
    ap.add_argument("--seed", type=int, default=1234, help="seed of the coarse k-means (--ivf)")
    if len(argv) < 3 or any(a in ("-h", "--help") for a in argv[1:]):
        print("usage: scripts/export-faiss [--ivf NLIST] INDEX.safetensors OUT.faiss", file=sys.stderr)
        return 2
    a = ap.parse_args(argv[1:])
    import faiss
    if a.ivf is not None:
        import export_faiss_ivf
        index = export_faiss_ivf.to_faiss_ivf(a.index, a.ivf, seed=a.seed)
    else:
        index = to_faiss(a.index)
    faiss.write_index(index, a.out)
    ivf = "" if a.ivf is None else f", {a.ivf} lists (set nprobe to search more than 1)"
    print(f"export-faiss: {a.index} -> {a.out}: {type(index).__name__}, {index.ntotal} items, "
          f"d = {index.d}, {'inner product' if index.metric_type == faiss.METRIC_INNER_PRODUCT else 'L2'}{ivf}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))


def top_k_agreement(meta, arrays, queries, ids_a, ids_b):
    """How far two top-k lists of the same index agree, with ties taken into account.

    Returns (overlap, tie_aware, worst_score_gap): the mean fraction of shared ids; the mean
    fraction of list b's items that score at least as well as list a's k-th item (so swapping
    equal-score items at the cut-off is not a disagreement); and the largest difference between
    the two lists' k-th best scores relative to the size of the terms summed in float32. Scores are recomputed here in
    float64 from the dpq file (inner product, or squared L2 to the reconstruction)."""
    items = np.arange(arrays["codes"].shape[0])
    recon = dpq_reconstruct(meta, arrays, items).astype(np.float64)
    norms = (recon * recon).sum(axis=1)
    q = queries.astype(np.float64)
    larger = meta["metric"] == "innerProduct"
    k = ids_a.shape[1]
    overlap, tie_aware, gap = [], [], 0.0
    for s0 in range(0, q.shape[0], 100):
        dots = q[s0:s0 + 100] @ recon.T
        # goodness: larger is better (the inner product, or the negated squared distance)
        qn = (q[s0:s0 + 100] ** 2).sum(axis=1)
        good_rows = dots if larger else 2 * dots - norms[None, :] - qn[:, None]
        for j, good in enumerate(good_rows):
            i = s0 + j
            cut_a = good[ids_a[i]].min()
            # The size of the terms summed in float32: |<q, x>| for the inner product,
            # ||q||^2 + ||x||^2 for squared L2 (a distance is a small difference of large terms).
            terms = np.abs(dots[j][ids_a[i]]) if larger else qn[j] + norms[ids_a[i]]
            scale = max(1e-12, float(terms.max()))
            tie_aware.append(np.mean(good[ids_b[i]] >= cut_a - 1e-5 * scale))
            overlap.append(len(np.intersect1d(ids_a[i], ids_b[i])) / k)
            gap = max(gap, abs(good[ids_a[i]].min() - good[ids_b[i]].min()) / scale)
    return float(np.mean(overlap)), float(np.mean(tie_aware)), float(gap)
