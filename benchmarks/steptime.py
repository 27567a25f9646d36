"""Timing helpers shared by the model-step benchmarks (ours, the reference's, the GPU script): analytic FLOPs of the AST,
the chip's matmul peak measured in the same run, and a timing loop that interleaves the two. Imports torch only, so
the reference's own environment can use it too."""
import json, os, platform, resource, statistics, time
import torch

def ast_flops(B: int = 1, D: int = 768, depth: int = 12, n_mels: int = 128, frames: int = 1024, patch: int = 16,
              fstride: int = 10, tstride: int = 10, mlp_ratio: float = 4.0, extra_tokens: int = 2) -> dict:
    "Analytic forward FLOPs (2 per multiply-add) of an AST for a batch of B, by part; 'step' = 3 x forward (fwd + bwd)."
    gh, gw = (n_mels - patch) // fstride + 1, (frames - patch) // tstride + 1
    P = gh * gw; N = P + extra_tokens; H = int(mlp_ratio * D)
    f = dict(patch_conv=2 * P * D * patch * patch,          # Conv2d(1, D, 16, stride 10) as a matmul over the 1,212 patches
             qkv=depth * 2 * N * D * 3 * D,                   # per block: qkv projection
             attn_qk=depth * 2 * N * N * D,                   # Q K^T over all heads
             attn_av=depth * 2 * N * N * D,                   # softmax(.) V
             proj=depth * 2 * N * D * D,                      # attention output projection
             mlp=depth * 2 * N * D * H * 2)                   # fc1 + fc2
    f = {k: v * B for k, v in f.items()}
    f['forward'] = sum(f.values()); f['step'] = 3 * f['forward']; f['tokens'] = N
    return f

def matmul_gflops(dtype=torch.bfloat16, n: int = 2048, seconds: float = 0.25) -> float:
    "The chip's dense matmul rate now: n^3 matmuls in `dtype`, repeated for `seconds`, in GFLOP/s (this process's threads)."
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    k, t0 = 0, time.perf_counter()
    while (t := time.perf_counter() - t0) < seconds: a @ b; k += 1
    return 2 * n ** 3 * k / t / 1e9

def load() -> float:
    "1-minute load average (other work on the machine)."
    try: return round(os.getloadavg()[0], 2)
    except OSError: return None

def machine() -> dict:
    "Where it ran: host, cores, CPU model, torch, threads."
    cpu = platform.processor() or platform.machine()
    try: cpu = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): pass
    try: isa = sorted({w for l in open('/proc/cpuinfo') if l.startswith('flags') for w in l.split() if w in ('avx512_bf16', 'amx_bf16', 'avx512f')})
    except OSError: isa = []
    return dict(machine=f'{platform.node()} {os.cpu_count()} cpu {platform.machine()}', cpu=cpu, isa=isa, torch=torch.__version__,
                threads=torch.get_num_threads())

def peak_rss_mb() -> int: return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

def timed(fn, flops: float, dtype, reps: int = 3, peaks: dict | None = None) -> dict:
    """Warm `fn` up once, then time `reps` calls, each between two measurements of the `dtype` matmul peak.
    `peaks` ({dtype name: [GFLOP/s, ...]}) collects every peak measured in this process. Returns the best call (step_s),
    every call, its achieved TFLOP/s, the best peak of the run and the share: achieved at the best call / best peak
    (both the best the machine gave this process, so a burst of other work on the machine lowers neither alone),
    and the median of the per-call shares (each call against the mean of its two neighbouring peaks)."""
    peaks = {} if peaks is None else peaks
    key = str(dtype).replace('torch.', '')
    t0 = time.perf_counter(); fn(); first = time.perf_counter() - t0
    times, shares = [], []
    p_prev = matmul_gflops(dtype); peaks.setdefault(key, []).append(p_prev)
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); t = time.perf_counter() - t0
        p = matmul_gflops(dtype); peaks[key].append(p)
        times.append(t); shares.append(flops / t / 1e9 / ((p + p_prev) / 2)); p_prev = p
    best, pk = min(times), max(peaks[key])
    return dict(step_s=round(best, 3), times_s=[round(t, 3) for t in times], first_s=round(first, 2),
                tflops=round(flops / best / 1e12, 3), peak_gflops=round(pk), share_of_peak=round(flops / best / 1e9 / pk, 3),
                share_median=round(statistics.median(shares), 3))

def emit(d: dict):
    "Print one JSON line."
    print(json.dumps(d), flush=True)
