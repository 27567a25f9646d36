"""Benchmark the model step at the paper's size (AST-B, 128 x 1024, stride 10 -> 1,214 tokens) on this machine's CPU,
beside the chip's matmul peak and the reference's step measured in the same run.

Usage: python benchmarks/model_step.py [--variants softfilm] [--batch 2] [--modes bf16,fp32] [--reps 3] [--rounds 2]
                                       [--ref auto|off] [--predict-batch 8] [--no-predict] [--compile] [--optim]
- The step: forward + loss + backward + zero_grad (the reference's yardstick, as /work/shared/bench/README.md times it);
  with --optim also the AdamW update (foreach and fused). bf16 = torch.autocast('cpu', bfloat16) around the forward.
- Each (implementation, variant) runs in its own process (its own peak RSS); ours and the reference alternate
  (A B A B, --rounds) so a drift in the machine's speed hits both. The reference runs in its own environment
  (REF_PYTHON, default /work/ref/venv/bin/python; REF_SRC, default /work/ref/src) and is skipped when that is absent.
- The peak: a 2048^3 matmul in bf16 and fp32 with the same threads, measured before and after every timed call.
- FLOPs are analytic (benchmarks/steptime.py: patch conv + per block qkv/proj/MLP + attention QK^T and AV; x3 for a step).
- predict: SoftFiLM inference, batch 8, in fp32 (what `metafilm predict` runs on a CPU today), bf16 autocast, and bf16
  autocast under torch.compile with frozen weights (inductor `freezing`), in ms per cycle and as a share of the peak.
Prints one JSON line per result, then summary lines (ours / reference, shares of the peak).
"""
import argparse, contextlib, copy, json, os, subprocess, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from steptime import ast_flops, emit, load, machine, peak_rss_mb, timed

HERE = Path(__file__).resolve().parent
REF_PYTHON = os.environ.get('REF_PYTHON', '/work/ref/venv/bin/python')
REF_SRC = os.environ.get('REF_SRC', '/work/ref/src')

def build(variant):
    "(forward(x, meta) -> (logits, aux), module) for one of ours, or a plain timm DeiT-B adapted the same way ('timm')."
    if variant == 'timm':
        import timm
        m = timm.create_model('deit_base_distilled_patch16_384', pretrained=False, img_size=(128, 1024), in_chans=1, num_classes=2)
        m.patch_embed.proj.stride = (10, 10)
        gh, gw = (128 - 16) // 10 + 1, (1024 - 16) // 10 + 1
        m.patch_embed.grid_size, m.patch_embed.num_patches = (gh, gw), gh * gw
        m.pos_embed = torch.nn.Parameter(torch.zeros(1, 2 + gh * gw, 768))
        m.patch_embed.strict_img_size = False
        return (lambda x, meta: (m(x), x.new_zeros(()))), m
    from metafilm.models import ModelConfig, build_model
    m = build_model(ModelConfig(conditioning=dict(method=variant)), verbose=False)
    return (lambda x, meta: m(x, meta)), m

def inputs(B):
    return torch.randn(B, 1, 128, 1024), {'device': torch.randint(0, 4, (B,)), 'site': torch.randint(0, 7, (B,)), 'cont': torch.randn(B, 3)}

def autocast(mode): return torch.autocast('cpu', dtype=torch.bfloat16) if mode == 'bf16' else contextlib.nullcontext()

def worker(a):
    "Time one variant of ours: forward (no grad), step, and (--optim) step + AdamW, per mode."
    torch.manual_seed(0)
    f, m = build(a.variant)
    if a.compile: f = torch.compile(f)
    B = a.batch; x, meta = inputs(B); F = ast_flops(B); peaks = {}; load0 = load()
    base = dict(bench='model_step', impl='timm' if a.variant == 'timm' else 'metafilm', variant=a.variant, batch=B, round=a.round,
                compile=a.compile, gflop_fwd_per_sample=round(F['forward'] / B / 1e9, 1))
    for mode in a.modes.split(','):
        dt = torch.bfloat16 if mode == 'bf16' else torch.float32
        def fwd():
            with torch.no_grad(), autocast(mode): f(x, meta)
        def step():
            with autocast(mode): lo, aux = f(x, meta); loss = lo.float().square().mean() + aux.float()
            loss.backward(); m.zero_grad(set_to_none=True)
        if not a.compile:  # a no-grad forward of a compiled function recompiles: time the step only
            emit(dict(base, what='forward', mode=mode, **{k: v for k, v in timed(fwd, F['forward'], dt, a.reps, peaks).items()}))
        emit(dict(base, what='step', mode=mode, **timed(step, F['step'], dt, a.reps, peaks), peak_rss_mb=peak_rss_mb()))
        for opt in (('foreach', 'fused') if a.optim else ()):
            o = torch.optim.AdamW(m.parameters(), lr=1e-6, **{opt: True})
            def train_step():
                with autocast(mode): lo, aux = f(x, meta); loss = lo.float().square().mean() + aux.float()
                loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); o.step(); o.zero_grad(set_to_none=True)
            def opt_only():
                for p in m.parameters(): p.grad = torch.zeros_like(p)
                t0 = time.perf_counter(); o.step(); return time.perf_counter() - t0
            r = timed(train_step, F['step'], dt, a.reps, peaks)
            emit(dict(base, what=f'step+clip+adamw({opt})', mode=mode, **r, adamw_only_s=round(min(opt_only() for _ in range(3)), 3)))
            del o
    emit(dict(bench='model_step_peaks', impl=base['impl'], variant=a.variant, round=a.round, load_start=load0, load_end=load(),
              peak_gflops={k: [round(v) for v in vs] for k, vs in peaks.items()}, peak_rss_mb=peak_rss_mb(), **machine()))

def predict_worker(a):
    "SoftFiLM inference at batch `--predict-batch`: fp32, bf16 autocast, bf16 autocast compiled with frozen weights."
    torch.manual_seed(0)
    _, m = build('softfilm'); m.eval()
    B = a.predict_batch; x, meta = inputs(B); F = ast_flops(B); peaks = {}; load0 = load()
    with torch.no_grad(): ref = m(x, meta)[0]
    for mode in a.predict_modes.split(','):
        mm, t0 = m, time.perf_counter()
        if mode == 'bf16-compiled':
            import torch._inductor.config as ic
            ic.freezing = True  # constant-fold and prepack the weights (inference only)
            mm = torch.compile(copy.deepcopy(m))
        def fwd():
            with torch.no_grad(), autocast('fp32' if mode == 'fp32' else 'bf16'): return mm(x, meta)[0]
        diff = (fwd().float() - ref).abs().max().item(); first = time.perf_counter() - t0
        r = timed(fwd, F['forward'], torch.float32 if mode == 'fp32' else torch.bfloat16, a.reps, peaks)
        emit(dict(bench='predict', impl='metafilm', variant='softfilm', mode=mode, batch=B, ms_per_cycle=round(r['step_s'] / B * 1e3, 1),
                  **r, first_call_s=round(first, 1), max_abs_logit_diff_vs_fp32=round(diff, 4), peak_rss_mb=peak_rss_mb(),
                  load_start=load0, load_end=load(), **machine()))

def run(cmd, env=None):
    "Run a worker; return its JSON lines (echoed as they come)."
    out = []
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    for line in p.stdout:
        if line.startswith('{'): print(line, end='', flush=True); out.append(json.loads(line))
        else: print(line, end='', file=sys.stderr)
    if p.wait(): raise SystemExit(f'{" ".join(map(str, cmd))}: exit {p.returncode}')
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--variants', default='softfilm', help='ours: none,grf,film,tafilm,softfilm; timm = plain timm DeiT-B')
    p.add_argument('--batch', type=int, default=2); p.add_argument('--modes', default='bf16,fp32'); p.add_argument('--reps', type=int, default=3)
    p.add_argument('--rounds', type=int, default=2, help='A B alternations of ours and the reference')
    p.add_argument('--ref', default='auto', choices=('auto', 'off')); p.add_argument('--compile', action='store_true'); p.add_argument('--optim', action='store_true')
    p.add_argument('--predict-batch', type=int, default=8); p.add_argument('--predict-modes', default='fp32,bf16,bf16-compiled')
    p.add_argument('--no-predict', action='store_true'); p.add_argument('--threads', type=int, default=None)
    p.add_argument('--worker', choices=('step', 'predict')); p.add_argument('--variant'); p.add_argument('--round', type=int, default=0)
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    if a.worker == 'step': return worker(a)
    if a.worker == 'predict': return predict_worker(a)
    me = [sys.executable, __file__, '--batch', str(a.batch), '--modes', a.modes, '--reps', str(a.reps)] + (['--threads', str(a.threads)] if a.threads else [])
    ref_ok = a.ref == 'auto' and Path(REF_PYTHON).exists() and Path(REF_SRC).exists()
    if a.ref == 'auto' and not ref_ok: print(f'note: no reference environment ({REF_PYTHON}, {REF_SRC}): reference skipped', file=sys.stderr)
    lines = []
    for r in range(a.rounds):
        for v in a.variants.split(','):
            lines += run(me + ['--worker', 'step', '--variant', v, '--round', str(r)] + ['--compile'] * a.compile + ['--optim'] * a.optim)
        if ref_ok and 'softfilm' in a.variants.split(','):
            lines += run([REF_PYTHON, str(HERE/'ref_step.py'), '--src', REF_SRC, '--batch', str(a.batch), '--modes', a.modes,
                          '--reps', str(a.reps), '--round', str(r)] + (['--threads', str(a.threads)] if a.threads else []),
                         env=dict(os.environ, PYTHONPATH=str(HERE)))
    if not a.no_predict:
        lines += run([sys.executable, __file__, '--worker', 'predict', '--predict-batch', str(a.predict_batch), '--predict-modes', a.predict_modes,
                      '--reps', str(a.reps)] + (['--threads', str(a.threads)] if a.threads else []))
    steps = [l for l in lines if l['bench'] == 'model_step' and l.get('what') == 'step']
    for mode in a.modes.split(','):
        best = {}
        for l in steps:
            if l['mode'] != mode: continue
            k = (l['impl'], l['variant'])
            if k not in best or l['step_s'] < best[k]['step_s']: best[k] = l
        ours, ref = best.get(('metafilm', 'softfilm')), best.get(('reference', 'softfilm'))
        emit(dict(bench='model_step_summary', mode=mode, batch=a.batch, rounds=a.rounds,
                  best_step_s={f'{i}/{v}': l['step_s'] for (i, v), l in best.items()},
                  share_of_peak={f'{i}/{v}': l['share_of_peak'] for (i, v), l in best.items()},
                  peak_gflops=max((l['peak_gflops'] for l in best.values()), default=None),
                  speedup_vs_reference=round(ref['step_s'] / ours['step_s'], 2) if ours and ref else None))

if __name__ == '__main__': main()
