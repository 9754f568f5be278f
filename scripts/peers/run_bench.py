#!/usr/bin/env python3
"""The collecting half of scripts/bench (standard library only, so the dpq rows run even when the
peers' environment is missing). Runs each suite in dpq and in its peer ALTERNATELY for several
rounds (the peer first on odd rounds), takes the median of all runs of each side, and writes
docs/benchmarks.md and docs/benchmarks.json.

Ratios are always "dpq faster" when above 1: peer_time / dpq_time for seconds, dpq_rate /
peer_rate for throughputs."""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(line):
    print(f"bench: {line}", file=sys.stderr, flush=True)


def run_json(cmd, what):
    """Runs a suite command; returns its JSON document, or None with the reason logged."""
    log(f"{what}: {' '.join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)}")
    t0 = time.time()
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        log(f"{what} failed ({p.returncode}): {p.stderr.strip()[-800:]}")
        return None
    try:
        doc = json.loads(p.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError) as e:
        log(f"{what}: unreadable output ({e}): {p.stdout[-400:]}")
        return None
    log(f"{what}: done in {time.time() - t0:.0f} s: " + "; ".join(
        f"{r['workload']} {statistics.median(r['values']):.4g}" for r in doc.get("results", []) if r["values"]))
    return doc


def merge(into, doc, side):
    """Appends a document's values per workload to into[workload][side]."""
    if doc is None:
        return
    if not (side == "peer" and doc.get("suite") == "fused"):   # the fused suite's other side is dpq too
        into.setdefault("_machine", {}).setdefault(side, doc.get("machine", {}))
        into.setdefault("_tools", {})[side] = doc.get("tool", "")
    into.setdefault("_notes", {}).setdefault(side, [])
    for n in doc.get("notes", []):
        if n not in into["_notes"][side]:
            into["_notes"][side].append(n)
    for r in doc["results"]:
        w = into.setdefault(r["workload"], {"unit": r["unit"], "higher_is_better": r["higher_is_better"], "info": {}})
        w.setdefault(side, []).extend(r["values"])
        w["info"][side] = r.get("info", {})


def median(v):
    return statistics.median(v) if v else None


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if unit in ("mAP@all", "relative distortion", "top-100 overlap"):
        return f"{v:.4f}"
    if unit == "s":
        return f"{v:.3f} s"
    return f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"   # backbones run at tens of images/s


def ratio(w):
    d, p = median(w.get("dpq", [])), median(w.get("peer", []))
    if d is None or p is None or d == 0 or p == 0:
        return None
    return d / p if w["higher_is_better"] else p / d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dpq", required=True)
    ap.add_argument("--python", default=None, help="the peers' Python (torch, faiss); absent: peer rows say so")
    ap.add_argument("--data", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--suites", default="train,quantizers,search,map,backbones")
    ap.add_argument("--load-start", default="")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks"))
    ap.add_argument("--peer-problem", default="")
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows of OUT.json this run does not measure, each marked with the run that measured it")
    a = ap.parse_args()
    suites = a.suites.split(",")
    peers = os.path.join(ROOT, "scripts", "peers")
    dpq = lambda suite, *extra: [a.dpq, "bench", suite, "--json", "--data", a.data, "--threads", "2", *extra]
    py = a.python
    plan = {
        # training steps and network encoding at 1 and at 2 threads on both sides (rows /t1, /t2)
        "train": (dpq("train", "--runs", "1", "--steps", "10", "--batch", "128", "--thread-counts", "1,2",
                      "--encode-images", "10000"),
                  py and [py, os.path.join(peers, "torch_dpq.py"), "--runs", "1", "--steps", "10", "--batch", "128",
                          "--thread-counts", "1,2", "--encode-images", "10000", "--data", a.data]),
        "quantizers": (dpq("quantizers", "--runs", "1"),
                       py and [py, os.path.join(peers, "faiss_bench.py"), "quantizers", "--runs", "1", "--data", a.data]),
        "backbones": (dpq("backbones", "--runs", "3", "--size", "224", "--backbone-batch", "8"),
                      py and [py, os.path.join(peers, "torch_backbones.py"), "--runs", "3", "--size", "224",
                              "--batch", "8", "--threads", "2"]),
        "search": (dpq("search", "--runs", "3"),
                   py and [py, os.path.join(peers, "faiss_bench.py"), "search", "--runs", "3", "--data", a.data]),
        # each fused kernel against its composite of primitives, both in dpq (no Python needed)
        "fused": (dpq("fused", "--runs", "3", "--side", "fused"), dpq("fused", "--runs", "3", "--side", "composite")),
    }
    results = {}
    started = time.time()
    for suite in [s for s in suites if s in plan]:
        dpq_cmd, peer_cmd = plan[suite]
        for r in range(a.rounds):
            order = [("dpq", dpq_cmd), ("peer", peer_cmd)]
            if r % 2 == 1:
                order.reverse()
            for side, cmd in order:
                if not cmd:
                    continue
                if side == "dpq" and suite == "search" and r == 0:
                    cmd = cmd + ["--write-ids"]
                if suite == "quantizers":
                    cmd = cmd + ["--seed", str(1234 + r)]   # distortion medians over seeds, not one draw
                merge(results, run_json(cmd, f"{suite} round {r + 1}/{a.rounds} {side}"), side)
    tests = None
    if "map" in suites:
        merge(results, run_json(dpq("map"), "map dpq"), "dpq")
        if py:
            merge(results, run_json([py, os.path.join(peers, "faiss_bench.py"), "map", "--data", a.data], "map peer"), "peer")
    if py and "search" in suites:
        log("export-faiss test")
        p = subprocess.run([py, os.path.join(peers, "test_export_faiss.py"), a.data], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tests = {"returncode": p.returncode, "output": p.stdout.strip().splitlines()}
        for line in tests["output"]:
            log(f"  {line}")
    write(a, results, tests, time.time() - started)


def peer_name(workload):
    if workload.startswith("fused/"):
        return "dpq, composite of primitives"
    if workload.startswith("train/"):
        return "PyTorch"
    if workload.startswith("encode/"):
        return "PyTorch (torch.no_grad)"
    if workload.startswith("backbone/"):
        return "PyTorch (torchvision.models)"
    if workload.startswith("search/dpq_ip") or workload.startswith("search/rq_l2"):
        return "faiss IndexResidualQuantizer"
    if workload.startswith("search/pq_l2"):
        return "faiss IndexPQ"
    if workload.startswith("search/opq_l2"):
        return "faiss IndexPreTransform(OPQ)+IndexPQ"
    return "faiss"


def write(a, results, tests, seconds):
    machine = results.get("_machine", {})
    tools = results.get("_tools", {})
    notes = results.get("_notes", {})
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mhz = None
    try:
        with open("/proc/cpuinfo") as f:
            mhz = float(next(l.split(":", 1)[1] for l in f if l.startswith("cpu MHz")))
    except (OSError, StopIteration, ValueError):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    with open("/proc/loadavg") as f:
        load_end = " ".join(f.read().split()[:3])
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    dm = machine.get("dpq", {})
    rows = []
    for w, v in results.items():
        if w.startswith("_"):
            continue
        rows.append({"workload": w, "unit": v["unit"], "higher_is_better": v["higher_is_better"],
                     "dpq_median": median(v.get("dpq", [])), "peer_median": median(v.get("peer", [])),
                     "dpq_values": v.get("dpq", []), "peer_values": v.get("peer", []),
                     "ratio_dpq_faster": ratio(v) if v["unit"] not in ("mAP@all", "relative distortion", "top-100 overlap") else None,
                     "peer": peer_name(w), "info": v["info"]})
    doc = {"date": now, "commit": commit, "rounds": a.rounds, "seconds": seconds,
           "machine": {"cpu": cpu, "cpu_mhz": mhz, "cores": os.cpu_count(), "openblas_core": dm.get("openblas_core"),
                       "openblas_threads": dm.get("openblas_threads"), "load_average_start": a.load_start,
                       "load_average_end": load_end, "python": platform.python_version(),
                       "peer": machine.get("peer", {})},
           "tools": tools, "notes": notes, "peer_problem": a.peer_problem, "export_test": tests, "results": rows}
    if a.merge:
        merge_earlier(doc, a.out + ".json")
    with open(a.out + ".json", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    with open(a.out + ".md", "w") as f:
        f.write(markdown(doc))
    log(f"wrote {a.out}.md and {a.out}.json")


def run_label(doc):
    return f"{doc['date']} ({doc['commit']})"


def merge_earlier(doc, path):
    """--merge: the rows of the previous document at `path` that this run did not measure stay,
    in their places, each with the run that measured it (`measured`), whose machine, load and
    rounds go to `earlier_runs`; so is its export-faiss test and its notes when not re-run."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        prev = json.load(f)
    label = run_label(doc)
    prev_label = run_label(prev)
    earlier = dict(prev.get("earlier_runs", {}))
    fresh = {r["workload"]: dict(r, measured=label) for r in doc["results"]}
    rows, used = [], set()
    for r in prev.get("results", []):
        w = r["workload"]
        if w in fresh:
            rows.append(fresh[w]); used.add(w)
            continue
        kept = dict(r, measured=r.get("measured", prev_label))
        if kept["measured"] == prev_label:
            earlier[prev_label] = {"date": prev["date"], "commit": prev["commit"], "rounds": prev["rounds"],
                                   "seconds": prev["seconds"], "machine": prev["machine"], "tools": prev.get("tools", {})}
        rows.append(kept)
    rows += [r for w, r in fresh.items() if w not in used]
    still = {r["measured"] for r in rows}
    doc["earlier_runs"] = {k: v for k, v in earlier.items() if k in still and k != label}
    doc["results"] = rows
    if doc.get("export_test") is None and prev.get("export_test"):
        doc["export_test"] = dict(prev["export_test"], measured=prev["export_test"].get("measured", prev_label))
    for side, ns in prev.get("notes", {}).items():
        mine = doc["notes"].setdefault(side, [])
        mine += [n for n in ns if n not in mine]


def table(rows, columns):
    out = ["| " + " | ".join(c[0] for c in columns) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(c[1](r) for c in columns) + " |")
    return "\n".join(out)


def scale_section():
    """The scale curves and IVF serving, from docs/scale.md (`dpq bench scale --out docs/scale`, which
    scripts/bench runs first when `scale` is among its suites: it takes about half an hour) and
    docs/interop.md, so a re-run of scripts/bench without it keeps them."""
    lines = ["## Scale: 100,000 to 10 million items (`dpq bench scale`)", ""]
    path = os.path.join(ROOT, "docs", "scale.md")
    if not os.path.exists(path):
        return lines + ["Not measured yet: `dpq bench scale --out docs/scale` writes docs/scale.md.", ""]
    with open(path) as f:
        body = f.read().splitlines()[1:]   # without its title
    lines += ["From [scale.md](scale.md) (`dpq bench scale --out docs/scale`; not part of the rounds above):"]
    lines += body
    lines += ["", "Reading it: per-item columns (ns/item, B/item) that stay flat from row to row mean linear cost in",
              "the database size. Issue 14's target is >= 100 queries/s at 10 million items on 2 cores (32 bits,",
              "top-100): compare the 10,000,000 row's queries/s, and twice its q/CPU-s for two cores free of other",
              "work. The scan is exhaustive: 10 million items cost about ten times 1 million.",
              "", "Serving beyond one machine: `scripts/export-faiss --ivf NLIST` writes a faiss IVF index over the",
              "same codes (recall@100 and queries/s: [interop.md](interop.md#an-inverted-file-index-for-sharding---ivf-nlist)).", ""]
    return lines


def fused_section(doc):
    """The fused kernels of GradientTable (Sources/DPQTensor/GradientTable.swift), each timed against
    the same computation composed from primitives (`dpq bench fused --side fused|composite`): the one
    list of the ops that keep a hand-written gradient without being primitives, with the reason."""
    rows = [r for r in doc["results"] if r["workload"].startswith("fused/")]
    if not rows:
        return []
    lines = ["## Fused kernels against their composites (`dpq bench fused`)", "",
             "Every differentiable op of dpq is a primitive with a hand-written gradient, a composite of",
             "primitives (no gradient code: `sub`, `square`, `mean`, `variance`, `mseLoss`, `dropout`, ...), or one",
             "of the fused kernels below (`GradientTable` in Sources/DPQTensor/GradientTable.swift). Each row",
             "times one forward + backward call of the kernel and of the same computation written as a",
             "composite of primitives, in the same binary, alternately; **ratios above 1 mean the fused kernel",
             "is faster**. \"Experiment\" marks the kernels `dpq experiment` runs: their arithmetic is frozen (a",
             "composite would change the reference numbers in the last digits), whatever the ratio. Average",
             "pooling and adaptive average pooling were fused kernels until this table's first run measured them",
             "at 0.79x and 0.35x (composite faster); they are composites now.", "",
             "| kernel | shape | fused ms | composite ms | ratio | max abs diff (fwd / grad) | experiment | why fused | composite |",
             "|---|---|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        info = r["info"].get("dpq") or r["info"].get("peer") or {}
        ratio = "n/a" if r["ratio_dpq_faster"] is None else f"**{r['ratio_dpq_faster']:.2f}x**"
        diff = f"{info.get('max_abs_difference_forward', float('nan')):.1e} / {info.get('max_abs_difference_gradient', float('nan')):.1e}"
        lines.append(f"| `{info.get('kernel', r['workload'][6:])}` | {info.get('shape', '')} | "
                     f"{fmt_ms(r['dpq_median'])} ({len(r['dpq_values'])}) | {fmt_ms(r['peer_median'])} ({len(r['peer_values'])}) | "
                     f"{ratio} | {diff} | {'yes' if info.get('on_experiment_path') else 'no'} | {info.get('reason', '')} | "
                     f"`{info.get('composite', '')}` |")
    return lines + [""]


def fmt_ms(v):
    return "n/a" if v is None else f"{v:.3f}"


def search_bound_section(doc):
    """The 32-bit scan's cost per item and query beside the load-port bound, from this run's
    one-thread search rows (rows kept from earlier runs ran on other machines: not mixed in)."""
    mhz = doc["machine"].get("cpu_mhz")
    this = run_label(doc)
    rows = [r for r in doc["results"] if r["workload"].startswith("search/") and r["workload"].endswith("/t1")
            and r["dpq_median"] and r.get("measured", this) == this]
    if not rows or not mhz:
        return []
    lines = ["## The search scan against the load-port bound", "",
             "A lookup-table scan reads, per item and query, M code bytes and M table entries (plus the item's",
             "norm for squared L2). Done one query at a time that is M + 1 loads (one 4-byte load of the codes)",
             "or M + 2; at 3 loads per cycle (the load ports of Zen 4/5 and recent Intel cores for scalar",
             "loads) that bounds a core at (M + 1) / 3 or (M + 2) / 3 cycles per item and query. dpq's 32-bit",
             "scan (M = 4 bytes, one code length) works on blocks of 8 queries over tiles of 1,024 items: each",
             "item's codes and norm are loaded once for the 8, and the 8 queries' tables are interleaved so",
             "that one 32-byte vector load fetches an entry for all of them (three vector additions give the 8",
             "sums, bit for bit the scalar ones). Its loads per item and query are (M + 1) / 8 or (M + 2) / 8,",
             "so the load bound drops to 0.21-0.25 cycles. The measured cost below is the whole search divided",
             "by the items: besides the scan it holds each query's top-100 heap (about 750 insertions per query",
             "at 69,000 items, most in the first tile, which each query scans alone while its heap fills), its",
             "lookup tables (one sgemm per batch) and the compare of each item's 8 scores with the 8 heaps'",
             "worst. Those per-query costs weigh less as the database grows: docs/scale.md's search ns/item",
             "at 1 and 10 million items is the scan itself.",
             "",
             f"Cycles at the nominal clock ({mhz:.0f} MHz, /proc/cpuinfo; boost raises the true count), one thread:",
             "",
             "| index | M | items | dpq queries/s | item-queries/s per core | ns per item-query | cycles per item-query | scalar bound (cycles) | dpq kernel bound (cycles) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        info = r["info"].get("dpq", {})
        n, m = info.get("database"), info.get("code_bytes")
        if not n or not m:
            continue
        loads = m + (2 if info.get("metric") == "squaredL2" else 1)
        rate = r["dpq_median"] * n
        ns = 1e9 / rate
        name = r["workload"].split("/")[1]
        lines.append(f"| `{name}` | {m} | {n:,} | {r['dpq_median']:,.0f} | {rate / 1e6:,.0f} M | {ns:.3f} | "
                     f"{ns * mhz / 1000:.2f} | {loads / 3:.2f} | {loads / 8 / 3:.2f} |")
    return lines + [""]


def profile_section():
    """The per-op breakdown of train/dpq-step from docs/profile.md (`dpq bench profile --compare-im2col
    --out docs/profile`, a separate command: it is not part of the rounds), so a re-run of
    scripts/bench keeps it; its sections become subsections here."""
    lines = ["## Where a training step's time goes (`dpq bench profile`)", ""]
    path = os.path.join(ROOT, "docs", "profile.md")
    if not os.path.exists(path):
        return lines + ["Not measured yet: `dpq bench profile --compare-im2col --out docs/profile` writes docs/profile.md.", ""]
    with open(path) as f:
        body = f.read().splitlines()[1:]   # without its title
    lines += ["From [profile.md](profile.md) (not part of the rounds above):"]
    lines += ["#" + l if l.startswith("## ") else l for l in body]
    return lines + [""]


def markdown(doc):
    rows = doc["results"]
    by = {r["workload"]: r for r in rows}
    m = doc["machine"]
    n_runs = lambda r, side: len(r[f"{side}_values"])
    speed_cols = [
        ("workload", lambda r: f"`{r['workload']}`"),
        ("unit", lambda r: r["unit"]),
        ("dpq median", lambda r: f"{fmt(r['dpq_median'], r['unit'])} ({n_runs(r, 'dpq')})"),
        ("peer median", lambda r: f"{fmt(r['peer_median'], r['unit'])} ({n_runs(r, 'peer')})"),
        ("peer", lambda r: r["peer"]),
        ("ratio (>1 = dpq faster)", lambda r: "n/a" if r["ratio_dpq_faster"] is None else f"**{r['ratio_dpq_faster']:.2f}x**"),
    ]
    value_cols = [
        ("workload", lambda r: f"`{r['workload']}`"),
        ("dpq", lambda r: ", ".join(f"{v:.4f}" for v in r["dpq_values"]) or "n/a"),
        ("peer", lambda r: ", ".join(f"{v:.4f}" for v in r["peer_values"]) or "n/a"),
        ("dpq - peer (medians)", lambda r: "n/a" if r["dpq_median"] is None or r["peer_median"] is None
                                           else f"{r['dpq_median'] - r['peer_median']:+.4f}"),
    ]
    earlier = doc.get("earlier_runs", {})
    if earlier:   # a --merge document: say which run measured each row
        this = run_label(doc)
        measured = ("measured", lambda r: "this run" if r.get("measured", this) == this else r["measured"])
        speed_cols.append(measured)
        value_cols.append(measured)
    speed = [r for r in rows if r["ratio_dpq_faster"] is not None and not r["workload"].startswith("fused/")]
    values = [r for r in rows if r["ratio_dpq_faster"] is None]
    lines = [
        "# Benchmarks: dpq against PyTorch and faiss",
        "",
        "Written by `scripts/bench` (do not edit by hand; re-run it). Each workload ran in dpq and in its peer",
        f"alternately, {doc['rounds']} rounds{' in this run' if doc.get('earlier_runs') else ''} (the peer first on every other round), on the same data files;",
        "medians are over all runs of a side (run counts in parentheses). **Ratios above 1 mean dpq is faster**",
        "(peer seconds / dpq seconds, or dpq rate / peer rate). Quality rows (distortion, mAP, agreement)",
        "are values, not ratios.",
        "",
        "## Machine",
        "",
        f"- date: {doc['date']}; commit {doc['commit']}; whole run {doc['seconds'] / 60:.0f} min",
        f"- CPU: {m['cpu']}, {m['cores']} cores (shared with other users: see the load)",
        f"- load average at start: {m['load_average_start']}; at the end: {m['load_average_end']}",
        f"- dpq: OpenBLAS core {m['openblas_core']}, {m['openblas_threads']} threads; release build",
        f"- peers: {', '.join(v for k, v in doc['tools'].items() if k == 'peer') or 'none'}; "
        f"{json.dumps(m['peer'])}",
    ]
    if doc.get("peer_problem"):
        lines.append(f"- peers unavailable: {doc['peer_problem']}")
    if earlier:
        lines += ["", "This run measured the rows marked \"this run\"; the others are kept from earlier runs",
                  "(`scripts/bench --merge`), which ran on:", ""]
        for label, e in sorted(earlier.items()):
            em = e["machine"]
            lines.append(f"- {label}: {e['rounds']} rounds, {e['seconds'] / 60:.0f} min; {em['cpu']}, {em['cores']} cores; "
                         f"load average {em['load_average_start']} at the start, {em['load_average_end']} at the end; "
                         f"OpenBLAS core {em['openblas_core']}, {em['openblas_threads']} threads; "
                         f"peers {', '.join(v for k, v in e.get('tools', {}).items() if k == 'peer') or 'none'}")
    lines += ["", "## Speed", "", table(speed, speed_cols), "", "## Quality", "", table(values, value_cols), ""]
    if doc.get("export_test"):
        t = doc["export_test"]
        lines += ["## scripts/export-faiss test", ""]
        if t.get("measured"):
            lines += [f"From the run of {t['measured']} (`--merge`; not re-run here).", ""]
        lines += ["```"] + t["output"] + ["```", ""]
    lines += fused_section(doc)
    lines += search_bound_section(doc)
    lines += profile_section()
    lines += scale_section()
    lines += ["## Settings", "",
              "- training: DPQ model (LeNet backbone, D = 300, M = 4, K = 256, l2 similarity, dropout 0.5), stage 2",
              "  (network and codebooks; the trainer's default: quantization losses train the codebooks only),",
              "  batch 128, 10 steps per run after one untimed epoch, at 1 thread (`/t1`) and at 2 (`/t2`) on both",
              "  sides (OpenBLAS and dpq's workers; torch.set_num_threads); SGD",
              "  (momentum 0.9, weight decay 5e-4) on the network, Adam on the codebooks; FM-5k training images.",
              "  Where the step's time goes: [profile.md](profile.md) (`dpq bench profile --out docs/profile`).",
              "- encoding: `encode/dpq-lenet` is `model.index(dataset)`'s work (the LeNet features in eval mode",
              "  without a graph, batches of 500, the hard codes of the 4 blocks, and on dpq's side the index",
              "  itself) for the first 10,000 FM database images, random weights on both sides; the peer is the",
              "  same network and encoding in PyTorch under torch.no_grad(), at 1 and 2 threads.",
              "- backbones: forward pass of AlexNet (up to fc7's ReLU) and ResNet-18 (up to the global average",
              "  pool) at 224x224, batch 8 of N(0, 1) images, random weights, eval mode without a graph, 2 threads;",
              "  the peer is torchvision.models' alexnet/resnet18 without their ImageNet heads under torch.no_grad()",
              "  (scripts/peers/torch_backbones.py; the peer's note says how torchvision was imported).",
              "- quantizers: trained on the 5,000 training vectors (learned features: 300-d; pixels: 784-d),",
              "  encode = the 69,000 database vectors, distortion = sum ||x - x_hat||^2 / sum ||x||^2 on them;",
              "  K = 256, M = 4, 25 Lloyd iterations, k-means++ seeding, 2 threads on both sides; round r uses",
              f"  seed 1234 + r on both sides, so a distortion median is over {doc['rounds']} seeds.",
              "  OPQ, both from a random rotation with 6 rotation updates: dpq 25 + 6 x (rotation, 4 iterations)",
              "  + a final warm-started 25; faiss OPQMatrix niter 6 (first PQ 25 iterations, then 4), then",
              "  IndexPQ's PQ trained cold for 25.",
              "  RQ: greedy training and encoding on both sides (faiss Train_default, max_beam_size 1).",
              "- search: 1,000 queries, 69,000 items, top-100, 4-byte codes; faiss searches the dpq index files",
              "  exported by scripts/export-faiss (identical codebooks and codes).",
              "- mAP@all at 32 bits: relevant = same class; `map/file/*` are the same index files evaluated by dpq",
              "  and by faiss decoding + NumPy ranking; `map/trained/*` are models trained by each library with",
              "  seeds 1234, 1, 2.", ""]
    lines += [
        "## Reading these numbers", "",
        "- The machine is shared: compare the load average above. Under heavy load (12-17 on 2 cores)",
        "  the peers' OpenMP threads lose more to oversubscription than dpq's, so ratios there favour dpq.",
        "  Spot checks on an earlier machine when it was nearly idle (load < 2, 2 runs each, not part of",
        "  this table): k-means and OPQ training at parity with faiss, RQ training about 0.8x and k-means",
        "  assignment about 0.8x of faiss, RQ encoding at parity; search stayed above 2x.",
        "- Training and encoding (`train/*`, `encode/*`): on CPUs with AVX-512 dpq's 5x5 convolutions run",
        "  on direct kernels (Sources/CKernels, picked at run time; OpenBLAS still does every matrix",
        "  product), fused with ReLU and 2x2 max pooling in LeNet; [profile.md](profile.md) has the",
        "  per-op breakdown of a step at 1 and 2 threads. `DPQ_CONV_KERNEL=im2col` measures the",
        "  im2col + sgemm path instead.",
        "- Distortion and mAP rows are the same computations on both sides; their differences are within",
        "  the spread across seeds (the `map/trained` rows show that spread).",
        "- `agreement` counts shared ids in the two top-100 lists; `agreement-ties` counts an item as",
        "  agreeing when it scores at least as well as the other list's 100th item: items with equal",
        "  scores (repeated codes) can be cut at the 100th place in either order.",
        "- What was changed to get here: OPQ's Procrustes SVD runs on one OpenBLAS thread (its rotation",
        "  step was 2-3x slower with two on a busy machine: `Sources/DPQQuantization/Procrustes.swift`),",
        "  and RQ encoding uses row chunks up to 4x larger (larger sgemm, +7-12% on 784-d:",
        "  `Sources/DPQQuantization/RQBeamSearch.swift`).", ""]
    for side, ns in doc["notes"].items():
        for n in ns:
            lines.append(f"- note ({side}): {n}")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
