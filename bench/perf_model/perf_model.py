#!/usr/bin/env python3
"""Static GPU performance model of spikemesh's kernels (predicted, not measured).

Compiles kernels/*.cu for sm_90 (nvcc -cubin -lineinfo -Xptxas -v), disassembles them with
nvdisasm (from the CUDA toolkit, or NVIDIA's nvidia-cuda-nvdisasm wheel), weights every SASS
instruction of the mesh kernel with how often its source line runs per mesh point (a gcov
profile of the same header code run on the host: spikemesh_perf_line_counts), and turns the
per-point instruction mix into SM-cycles per point from issue-slot and pipe limits, then into
points/s on an H100 and an H200. The method, formulas and constants: README.md beside this file.

  perf_model.py --build build/ci [--json out.json] [--markdown] [--gates gates.json]

Exit status: 0, or 1 when a gate of --gates is exceeded (each failure printed), 2 on bad
input or a missing tool."""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sass  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ---- the machines (per SM, per clock; NVIDIA's Hopper tuning guide and H100/H200 datasheets) ----
GPUS = {
    "H100 SXM5": {"sms": 132, "clock_ghz": 1.98, "hbm_tb_s": 3.35},
    "H200 SXM": {"sms": 132, "clock_ghz": 1.98, "hbm_tb_s": 4.8},
}
ISSUE_PER_CLK = 128  # 4 schedulers x 1 warp instruction x 32 lanes
PIPE_PER_CLK = {  # thread operations per SM per clock
    "fp32": 128,  # FFMA/FADD/FMUL (2 FLOP per FFMA: 67 TFLOP/s at 1.98 GHz on 132 SMs)
    "fp64": 64,  # DFMA/DADD/DMUL
    "int": 64,  # IMAD/IADD3/LEA/LOP3/... (the INT half of the FMA pipes)
    "xu": 16,  # MUFU and conversions
    "lsu": 32,  # every load, store, atomic and shuffle (MIO issue)
}
# A CAS spin loop (64-bit shared atomics) retries once per lane that hit the same address: the
# histograms put most lanes of a warp in one bin (f = 0 off the spikes), so each such atomic
# is taken to serialise CAS_PASSES times.
CAS_PASSES = 16

CASES = ["c1-d2", "c1-d6", "c1-d10", "c1-wide", "dense-32", "dense-64", "dense-128", "dense-256",
         "sparse-32"]
PRECISIONS = ["float", "double"]
KERNELS = {  # .cu file -> extra nvcc flags, as kernels/CMakeLists.txt compiles it
    "eval_mesh.cu": [],
    "eval_dense.cu": [],
    "landscape_loss.cu": [],
    "certify_boxes.cu": [],
}
MESH_KERNEL = "eval_mesh_kernel"
# The host profile runs the per-warp code on a lockstep warp emulator (math/warp.hpp): a
# per-lane block runs 32 times per warp step there, as on the device's 32 lanes, but a
# warp-uniform statement (loop bounds, collectives, masks) runs once per warp, where every lane
# of the device issues it. Lines marked with this comment are scaled by WARP_SIZE. The
# emulator's own loops over lanes are not device code: its file is left out of the profile,
# so the device intrinsics there count once per execution of their (scaled) call site.
WARP_SIZE = 32
UNIFORM_MARK = re.compile(r"//.*\bwarp-uniform\b")
# The block emulator (math/block.hpp) runs a phase for each of a block's threads, as the
# device does, but a block-uniform statement (the dense kernel's loops over rounds, steps,
# layers, output passes and input chunks) once per block, where all BLOCK_THREADS threads of
# the device issue it: lines marked `// block-uniform` are scaled by BLOCK_THREADS.
BLOCK_THREADS = 128
BLOCK_UNIFORM_MARK = re.compile(r"//.*\bblock-uniform\b")
EMULATOR_FILES = ("include/spikemesh/math/warp.hpp", "include/spikemesh/math/block.hpp")


def die(msg):
    print("perf_model: " + msg, file=sys.stderr)
    sys.exit(2)


def find_tool(name, env):
    if os.environ.get(env):
        return os.environ[env]
    cands = [os.path.join("/usr/local/cuda/bin", name), shutil.which(name) or ""]
    cands += sorted(glob.glob(os.path.join(ROOT, "build", "tools", "pip", "nvidia", "*", "bin",
                                           name)))
    for p in sys.path + [os.path.expanduser("~/.local/lib")]:
        cands += sorted(glob.glob(os.path.join(p, "nvidia", "*", "bin", name)))
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    die(f"{name} not found: install the CUDA toolkit's or NVIDIA's PyPI wheel "
        f"(bash scripts/install-deps.sh --perf-model), or set {env}")


def short_name(mangled):
    """_ZN...eval_mesh_kernelIfLi32EE... -> eval_mesh_kernel<float, 32>."""
    try:
        d = subprocess.run(["c++filt", mangled], capture_output=True, text=True).stdout.strip()
    except OSError:
        d = mangled
    m = re.search(r"(\w+)<([^()]*)>\(", d)
    if m:
        return f"{m.group(1)}<{m.group(2)}>"
    m = re.search(r"(\w+)\(", d)
    return m.group(1) if m else mangled


def compile_kernels(nvcc, nvdisasm, workdir):
    """-> {short name: {"resources": ..., "function": sass.Function, "file": ...}}."""
    out = {}
    for cu, extra in KERNELS.items():
        src = os.path.join(ROOT, "kernels", cu)
        cubin = os.path.join(workdir, cu + ".cubin")
        cmd = [nvcc, "-cubin", "-arch=sm_90", "-O3", "-std=c++17", "--expt-relaxed-constexpr",
               "--fmad=false", "-lineinfo", "-Xptxas", "-v", "-I", os.path.join(ROOT, "kernels"), "-I",
               os.path.join(ROOT, "include"), *extra, src, "-o", cubin]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            die(f"nvcc failed on {cu}:\n{r.stderr[-3000:]}")
        res = sass.parse_ptxas(r.stderr)
        d = subprocess.run([nvdisasm, "-c", "-gi", cubin], capture_output=True, text=True)
        if d.returncode != 0:
            die(f"nvdisasm failed on {cu}: {d.stderr.strip()[:500]}")
        funcs = sass.parse_sass(d.stdout)
        for mangled, fn in funcs.items():
            if mangled not in res:
                continue  # device functions (slow paths) are not entries
            out[short_name(mangled)] = {"resources": res[mangled], "function": fn, "file": cu}
    return out


# ---- the host profile: how often each source line runs per point ----------------------------
def line_counts(report, objdir, emulator_files=EMULATOR_FILES):
    """{(real path, line): device-equivalent executions} from a gcov JSON report: the warp
    emulator's files dropped, lines marked warp-uniform scaled by WARP_SIZE."""
    counts = {}
    cwd = report.get("current_working_directory", objdir)  # where the TU was compiled
    emulator = {os.path.realpath(os.path.join(ROOT, e)) for e in emulator_files}
    for f in report["files"]:
        path = os.path.realpath(os.path.join(cwd, f["file"]))
        if path in emulator:
            continue
        uniform = uniform_lines(path)
        block_uniform = uniform_lines(path, BLOCK_UNIFORM_MARK)
        for ln in f["lines"]:
            key = (path, ln["line_number"])
            scale = (BLOCK_THREADS if ln["line_number"] in block_uniform else
                     WARP_SIZE if ln["line_number"] in uniform else 1)
            n = ln["count"] * scale
            counts[key] = counts.get(key, 0) + n
    return counts


def uniform_lines(path, mark=UNIFORM_MARK):
    """Line numbers of @p path marked `// warp-uniform` (see UNIFORM_MARK), or @p mark."""
    try:
        with open(path) as f:
            return {n for n, text in enumerate(f, start=1) if mark.search(text)}
    except OSError:
        return set()


def line_profile(build, case, precision, mesh_points=1e9, generic=False):
    exe = os.path.join(build, "bench", "spikemesh_perf_line_counts")
    objdir = os.path.join(build, "bench", "CMakeFiles", "spikemesh_perf_line_counts.dir",
                          "perf_model")
    if not os.path.exists(exe):
        die(f"{exe} missing: build the target spikemesh_perf_line_counts first")
    for g in glob.glob(os.path.join(objdir, "*.gcda")):
        os.remove(g)
    args = [exe, case, precision]
    if mesh_points != 1e9 or generic:
        args += ["0", repr(mesh_points)] + (["generic"] if generic else [])
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        die(f"{exe} {case} {precision}: {r.stderr.strip()}")
    meta = json.loads(r.stdout)
    g = subprocess.run(["gcov", "-j", "-t", "line_counts.cpp.gcda"], cwd=objdir,
                       capture_output=True, text=True)
    if g.returncode != 0:
        die(f"gcov failed: {g.stderr.strip()[:500]}")
    counts = line_counts(json.loads(g.stdout), objdir)
    points = meta["points"]
    return meta, {k: v / points for k, v in counts.items()}


def copies_of(ins):
    """How many copies of one line's code a group holds (unrolling, peeled remainders): the
    most common opcode count among the opcodes seen at least twice (a line's loads, FMAs and
    address arithmetic repeat once per copy; loop-invariant set-up appears once)."""
    ops = Counter(i.opcode for i in ins if i.klass != "branch")
    repeated = Counter(c for c in ops.values() if c >= 2)
    if not repeated:
        return 1
    return max(repeated, key=lambda c: (repeated[c], c))


def weigh(fn, per_point):
    """Per-point dynamic instruction counts by class for one kernel function.

    A group is the instructions of one source line with one inline chain inside one SASS loop
    (innermost address range, or none). It runs as often as its line runs (the host profile),
    shared, at each level of the chain, between the sites seen there in proportion to how often
    each site runs (a helper inlined at two call sites runs half as often at each), divided
    by the copies of the line the group holds (unrolling), and at most once per iteration of
    its SASS loop: a loop's iterations are the largest such rate among its body's lines other
    than the loop's own header line. Lines of other files (CUB, intrinsics, the math library)
    run once per execution of their first profiled site; code of no profiled line (prologue, block
    reduction, epilogue) runs per block, not per point, and is left out. A loop header's code
    outside its loop runs once per entry of the loop."""
    loops = fn.loops()

    def region(offset):
        best = None
        for lo, hi, br in loops:
            if lo <= offset <= hi and (best is None or hi - lo < best[1] - best[0]):
                best = (lo, hi, br)
        return best

    real = os.path.realpath
    groups = defaultdict(list)
    for ins in fn.instructions:
        if ins.line is None:
            continue
        line = (real(ins.line[0]), ins.line[1])
        chain = tuple((real(f), n) for f, n in ins.chain)
        r = region(ins.offset)
        groups[(line, chain, r[:2] if r else None)].append(ins)
    # For each prefix (line, first k sites) of an inline chain, the sites seen at level k + 1.
    siblings = defaultdict(set)
    for line, chain, _ in groups:
        for k in range(len(chain)):
            siblings[(line,) + chain[:k]].add(chain[k])
    known_files = {k[0] for k in per_point}
    header_line = {}
    for lo, hi, br in loops:
        if br.line:
            header_line[(lo, hi)] = (real(br.line[0]), br.line[1])

    def rate(key):
        """Per-point executions of a line; a line gcov does not list takes the nearest listed
        line above it in the same file (declarations, braces)."""
        if key in per_point:
            return per_point[key]
        for back in range(1, 6):
            k = (key[0], key[1] - back)
            if k in per_point:
                return per_point[k]
        return 0.0

    def group_rate(line, chain, ins):
        """rate(line) (or, for another file's line, rate of its first profiled site), times at
        each inline level the share of this site among the sites seen there, by their rates."""
        if line[0] in known_files:
            freq, first = rate(line), 0
        else:
            first = next((k for k, s in enumerate(chain) if s[0] in known_files), None)
            if first is None:
                return 0.0  # per block, not per point
            freq, first = rate(chain[first]), first + 1
        for k in range(first, len(chain)):
            sibs = siblings[(line,) + chain[:k]]
            if len(sibs) < 2:
                continue
            if all(s[0] in known_files for s in sibs) and sum(rate(s) for s in sibs) > 0:
                freq *= rate(chain[k]) / sum(rate(s) for s in sibs)
            else:
                freq /= len(sibs)
        return freq / copies_of(ins)

    rates = {k: group_rate(k[0], k[1], v) for k, v in groups.items()}
    # A loop's header line runs once per entry and once per iteration (gcov counts both); its
    # code outside the loop (set-up, remainder dispatch) runs once per entry only.
    body_rate = defaultdict(float)
    for line, site, r in groups:
        if r is not None and line != header_line.get(r) and line[0] in known_files:
            body_rate[r] = max(body_rate[r], rate(line))
    entries = {}
    for r, h in header_line.items():
        if r in body_rate:
            entries[h] = min(entries.get(h, float("inf")), max(rate(h) - body_rate[r], 0.0))
    for key, ins in groups.items():
        line, site, r = key
        if line in entries and header_line.get(r) != line:
            rates[key] = min(rates[key], entries[line] / copies_of(ins))
    iters = defaultdict(float)
    for (line, site, r), v in rates.items():
        if r is not None and line != header_line.get(r) and line[0] in known_files:
            iters[r] = max(iters[r], v)
    dyn = Counter()
    hot = []
    for key, ins in groups.items():
        w = rates[key]
        r = key[2]
        if r is not None and r in iters:
            w = min(w, iters[r])
        if w <= 0:
            continue
        for i in ins:
            dyn[i.klass] += w
        hot.append((key, w, ins))
    return dyn, hot


def cycles(dyn):
    """SM-cycles per point: the busiest of issue and the pipes (thread ops / per-clock rate)."""
    total = sum(dyn.values())
    lsu = sum(dyn[c] for c in sass.LSU_CLASSES) + dyn["cas"] * (CAS_PASSES - 1)
    limits = {
        "issue": total / ISSUE_PER_CLK,
        "fp32": (dyn["ffma"] + dyn["fp32"]) / PIPE_PER_CLK["fp32"],
        "fp64": (dyn["dfma"] + dyn["fp64"]) / PIPE_PER_CLK["fp64"],
        "int": dyn["int"] / PIPE_PER_CLK["int"],
        "xu": (dyn["mufu"] + dyn["convert"]) / PIPE_PER_CLK["xu"],
        "lsu": lsu / PIPE_PER_CLK["lsu"],
    }
    bound = max(limits, key=limits.get)
    return limits[bound], bound, limits


def hot_loop(fn, hot):
    """The innermost SASS loop that issues the most instructions per point, and its FMA share:
    (FMA / instructions of its body, FMAs, FP arithmetic instructions (FMA, add, multiply,
    compare), instructions, source line of its back edge)."""
    loops = fn.loops()
    weight = Counter()
    for (line, site, r), w, ins in hot:
        if r is not None:
            weight[r] += w * len(ins)
    for r, _ in weight.most_common():
        lo, hi = r
        if any(lo <= a and b <= hi and (a, b) != (lo, hi) for a, b, _ in loops):
            continue  # not innermost
        body = [i for i in fn.instructions if lo <= i.offset <= hi]
        fma = sum(1 for i in body if i.klass in ("ffma", "dfma"))
        fp = sum(1 for i in body if i.klass in ("ffma", "dfma", "fp32", "fp64"))
        br = next(b for a, c, b in loops if (a, c) == r)
        where = f"{os.path.basename(br.line[0])}:{br.line[1]}" if br.line else "?"
        return fma / len(body), fma, fp, len(body), where
    return 0.0, 0, 0, 0, "-"


def predict(kernels, build, mesh_points=1e9, generic=False):
    rows = []
    for case in CASES:
        for prec in PRECISIONS:
            meta, per_point = line_profile(build, case, prec, mesh_points, generic)
            t = "float" if prec == "float" else "double"
            # The kernel the CUDA evaluator runs the case with (the fused dense kernel for
            # the dense-W cases), as the profile program reports it.
            name = meta.get("kernel") or f"{MESH_KERNEL}<{t}, {meta['width']}>"
            if name not in kernels:
                die(f"no SASS for {name} (have {sorted(kernels)})")
            fn = kernels[name]["function"]
            dyn, hot = weigh(fn, per_point)
            cyc, bound, limits = cycles(dyn)
            share, fmas, fp, body, where = hot_loop(fn, hot)
            row = {"case": case, "precision": prec, "kernel": name,
                   "instructions_per_point": sum(dyn.values()),
                   "classes_per_point": dict(dyn), "cycles_per_point": cyc, "bound": bound,
                   "limits": limits, "flops_per_point": meta["flops_per_point"],
                   "cas_per_point": dyn["cas"], "inner_loop_fma_share": share,
                   "inner_loop": f"{fmas} FMA, {fp} FP in {body}, {where}"}
            for gpu, g in GPUS.items():
                pps = g["sms"] * g["clock_ghz"] * 1e9 / cyc
                peak = g["sms"] * PIPE_PER_CLK["fp32"] * 2 * g["clock_ghz"] * 1e9
                row[gpu] = {"points_per_s": pps, "ms_per_1e9": 1e12 / pps,
                            "fp32_peak_pct": 100 * meta["flops_per_point"] * pps / peak}
            rows.append(row)
    return rows


def resources(kernels):
    out = []
    for name, k in sorted(kernels.items()):
        fn = k["function"]
        r = dict(k["resources"])
        loops = fn.loops()
        r["cas_in_loops"] = sum(1 for i in fn.instructions if i.klass == "cas" and any(
            lo <= i.offset <= hi and (hi - lo) > 0x200 for lo, hi, _ in loops))
        r["cas"] = sum(1 for i in fn.instructions if i.klass == "cas")
        r["sass_instructions"] = len(fn.instructions)
        out.append({"kernel": name, "file": k["file"], **r})
    return out


def check_gates(gates, res, rows):
    fails = []
    for r in res:
        for pattern, lim in gates.get("kernels", {}).items():
            if re.fullmatch(pattern, r["kernel"]):
                for key, ceiling in lim.items():
                    if r[key] > ceiling:
                        fails.append(f"{r['kernel']}: {key} {r[key]} > ceiling {ceiling}")
    for row in rows:
        lim = gates.get("cases", {}).get(f"{row['case']}/{row['precision']}", {})
        checks = {
            "instructions_per_point": row["instructions_per_point"],
            "cas_per_point": row["cas_per_point"],
            "ms_per_1e9_h200": row["H200 SXM"]["ms_per_1e9"],
        }
        for key, ceiling in lim.items():
            if key == "min_inner_loop_fma_share":
                if row["inner_loop_fma_share"] < ceiling:
                    fails.append(f"{row['case']}/{row['precision']}: inner-loop FMA share "
                                 f"{row['inner_loop_fma_share']:.3f} < floor {ceiling}")
            elif checks[key] > ceiling:
                fails.append(f"{row['case']}/{row['precision']}: {key} {checks[key]:.4g} > "
                             f"ceiling {ceiling}")
    return fails


def print_tables(res, rows, md):
    sep = " | " if md else "  "

    def line(cells):
        return ("| " + sep.join(cells) + " |") if md else sep.join(cells)

    print("Predicted by the static model, not measured (sm_90 SASS; README in bench/perf_model).")
    print()
    head = ["kernel", "regs", "stack B", "spill st/ld B", "smem B", "SASS instr", "CAS", "CAS in loops"]
    print(line(head))
    if md:
        print(line(["---"] * len(head)))
    for r in res:
        print(line([r["kernel"], str(r["registers"]), str(r["stack"]),
                    f"{r['spill_stores']}/{r['spill_loads']}", str(r["smem"]),
                    str(r["sass_instructions"]), str(r["cas"]), str(r["cas_in_loops"])]))
    print()
    head = ["case", "prec", "instr/pt", "FMA/pt", "FP add+mul/pt", "local/pt", "CAS/pt", "bound", "cyc/pt/SM",
            "H100 pts/s", "H200 pts/s", "H200 ms/1e9", "FP32 peak %", "hot loop: FMA share"]
    print(line(head))
    if md:
        print(line(["---"] * len(head)))
    for r in rows:
        c = r["classes_per_point"]
        h1, h2 = r["H100 SXM5"], r["H200 SXM"]
        print(line([r["case"], r["precision"], f"{r['instructions_per_point']:.0f}",
                    f"{c.get('ffma', 0) + c.get('dfma', 0):.0f}",
                    f"{c.get('fp32', 0) + c.get('fp64', 0):.0f}", f"{c.get('local', 0):.0f}",
                    f"{r['cas_per_point']:.2f}", r["bound"], f"{r['cycles_per_point']:.2f}",
                    f"{h1['points_per_s']:.3g}", f"{h2['points_per_s']:.3g}",
                    f"{h2['ms_per_1e9']:.1f}", f"{h2['fp32_peak_pct']:.1f}",
                    f"{100 * r['inner_loop_fma_share']:.0f}% ({r['inner_loop']})"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="CMake build folder holding "
                    "bench/spikemesh_perf_line_counts (e.g. build/ci)")
    ap.add_argument("--json", help="write every figure to this JSON file")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    ap.add_argument("--gates", help="JSON file of ceilings; exit 1 when one is exceeded")
    ap.add_argument("--mesh-points", type=float, default=1e9,
                    help="profile a sample of the mesh of this many points (default 1e9, the "
                         "benchmarks' mesh); 0: the whole coarse sample mesh (before 2026-12-01)")
    ap.add_argument("--generic", action="store_true",
                    help="profile the generic forward pass where the separable path applies "
                         "(the kernel before it: before/after tables)")
    a = ap.parse_args()
    if not os.path.isdir(a.build):
        die(f"--build {a.build}: not a folder")
    nvcc = find_tool("nvcc", "NVCC")
    nvdisasm = find_tool("nvdisasm", "NVDISASM")
    with tempfile.TemporaryDirectory(prefix="spikemesh-perf-") as tmp:
        kernels = compile_kernels(nvcc, nvdisasm, tmp)
    res = resources(kernels)
    rows = predict(kernels, os.path.abspath(a.build), a.mesh_points, a.generic)
    print_tables(res, rows, a.markdown)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"gpus": GPUS, "pipes_per_clk": PIPE_PER_CLK, "issue_per_clk": ISSUE_PER_CLK,
                       "cas_passes": CAS_PASSES, "kernels": res, "cases": rows}, f, indent=1)
    if a.gates:
        with open(a.gates) as f:
            gates = json.load(f)
        fails = check_gates(gates, res, rows)
        print()
        if fails:
            for msg in fails:
                print("GATE FAILED: " + msg)
            return 1
        print(f"all gates of {os.path.relpath(a.gates, ROOT)} hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
