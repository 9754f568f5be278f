#!/usr/bin/env python3
"""The --ivf half of scripts/export-faiss: a dpq index file as a faiss inverted-file index.

dpq's codebooks and codes are the fine quantizer's, copied bit for bit, with by_residual = False:
an item's fine code describes the item itself, so its score in faiss is the same lookup-table sum
dpq computes, and the coarse quantizer only decides which items a query visits. The coarse
quantizer is a flat index of NLIST centroids (inner product for inner-product indexes, L2 otherwise,
as faiss's index_factory pairs them) trained by faiss k-means on the reconstructions; every item is
filed under its reconstruction's best centroid by that metric (as faiss's own IndexIVF.add does).

  additive (DPQ, RQ)  -> IndexIVFResidualQuantizer (ST_LUT_nonorm for the inner product,
                         ST_norm_float for L2: each code carries its float norm, as dpq keeps one)
  product (PQ)        -> IndexIVFPQ
  product + rotation  -> IndexPreTransform(OPQMatrix, IndexIVFPQ); lists over rotated vectors
"""
import numpy as np

import export_faiss

CHUNK = 100_000          # items decoded at a time: bounds the memory of a 10-million-item export
POINTS_PER_CENTROID = 256


def to_faiss_ivf(path, nlist, seed=1234):
    import faiss
    meta, arrays, books, codes, m, k, dc, n, nbits, metric = export_faiss.read_dpq_index(path)
    if nlist < 1 or nlist > n:
        raise ValueError(f"{path}: --ivf {nlist}: need 1 <= NLIST <= the {n} items")
    additive = meta["layout"] == "additive"
    d = dc if additive else m * dc
    coarse = faiss.IndexFlatIP(d) if metric == faiss.METRIC_INNER_PRODUCT else faiss.IndexFlatL2(d)

    if additive:
        search_type = (faiss.AdditiveQuantizer.ST_LUT_nonorm if metric == faiss.METRIC_INNER_PRODUCT
                       else faiss.AdditiveQuantizer.ST_norm_float)
        ivf = faiss.IndexIVFResidualQuantizer(coarse, d, nlist, m, nbits, metric, search_type)
        faiss.copy_array_to_vector(books.ravel(), ivf.rq.codebooks)
        ivf.rq.is_trained = True
    elif meta["layout"] == "product":
        ivf = faiss.IndexIVFPQ(coarse, d, nlist, m, nbits, metric)
        faiss.copy_array_to_vector(books.ravel(), ivf.pq.centroids)
    else:
        raise ValueError(f"{path}: unknown layout {meta.get('layout')!r}")
    ivf.by_residual = False

    # Coarse centroids: faiss k-means on a sample of reconstructions (all of them when few).
    rng = np.random.default_rng(seed)
    sample_size = min(n, nlist * POINTS_PER_CENTROID)
    sample = np.sort(rng.choice(n, sample_size, replace=False)) if sample_size < n else np.arange(n)
    km = faiss.Kmeans(d, nlist, niter=20, seed=seed, max_points_per_centroid=POINTS_PER_CENTROID,
                      spherical=False, verbose=False)
    km.train(export_faiss.code_space_reconstruct(meta, arrays, sample))
    coarse.add(km.centroids)
    ivf.is_trained = True

    # File every item under its reconstruction's best centroid (by the coarse metric, as faiss's own
    # IndexIVF.add does), with dpq's code as is.
    lists = np.empty(n, dtype=np.int64)
    for s in range(0, n, CHUNK):
        _, nearest = coarse.search(export_faiss.code_space_reconstruct(meta, arrays, np.arange(s, min(n, s + CHUNK))), 1)
        lists[s:s + CHUNK] = nearest[:, 0]
    packed = pack(ivf, codes, nbits, additive)
    order = np.argsort(lists, kind="stable")
    bounds = np.searchsorted(lists[order], np.arange(nlist + 1))
    for l in range(nlist):
        ids = np.ascontiguousarray(order[bounds[l]:bounds[l + 1]], dtype=np.int64)
        if len(ids):
            block = np.ascontiguousarray(packed[ids])
            ivf.invlists.add_entries(l, len(ids), faiss.swig_ptr(ids), faiss.swig_ptr(block))
    ivf.ntotal = n

    result = ivf
    if "rotation" in arrays:
        r = np.ascontiguousarray(arrays["rotation"], dtype=np.float32)
        opq = faiss.OPQMatrix(d, m)
        faiss.copy_array_to_vector(r.ravel(), opq.A)   # faiss applies y = A x: A = R
        opq.is_trained = True
        opq.is_orthonormal = True
        result = faiss.IndexPreTransform(opq, ivf)
        result.is_trained = True
    # The decode check needs item -> (list, offset); the map is dropped again to keep the file lean.
    ivf.make_direct_map()
    export_faiss.check(result, meta, arrays, path)
    ivf.set_direct_map_type(faiss.DirectMap.NoMap)
    return result


def pack(ivf, codes, nbits, additive):
    """The fine codes as faiss stores them in the lists: packed bits, plus the norm for ST_norm_float."""
    n = codes.shape[0]
    packed = np.zeros((n, ivf.code_size), dtype=np.uint8)
    if additive:
        codes32 = np.ascontiguousarray(codes, dtype=np.int32)
        for s in range(0, n, CHUNK):   # pack_codes computes each item's norm from its decoded vector
            c = np.ascontiguousarray(codes32[s:s + CHUNK])
            out = np.zeros((c.shape[0], ivf.code_size), dtype=np.uint8)
            ivf.rq.pack_codes(c.shape[0], faiss_ptr(c), faiss_ptr(out))
            packed[s:s + c.shape[0]] = out
    else:
        export_faiss.writer_pack(codes, nbits, packed)
    return packed


def faiss_ptr(a):
    import faiss
    return faiss.swig_ptr(a)
