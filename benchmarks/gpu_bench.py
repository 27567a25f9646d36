"""The GPU benchmark behind benchmarks/gpu.sh: one JSON line per result.

1. gpu_step: a training step (bf16 autocast forward, BCE + auxiliary loss, backward, grad-clip, AdamW) of each variant
   (none, grf, film, tafilm, softfilm; `metafilm.models.build_model`) at each batch size, eager and `torch.compile`d,
   with MFU = analytic FLOPs / step time / the GPU's dense bf16 peak (a table by device name; unknown -> null).
2. gpu_loader: the training DataLoader's batches/s (to the device, SpecAugment on the device batch, as the engine does)
   on an ICBHI-sized synthetic corpus (`metafilm synth --like-icbhi`, `metafilm prepare`), against the step rate.
3. gpu_train: a short full-size SoftFiLM training through the engine (`metafilm.train.fit` on `load_config(path,
   overrides)`, one epoch of ≈ 200 steps): samples/s, the time a 4,142-cycle epoch takes at that rate, peak memory.
--tiny: a tiny model, a 3-patient corpus, the CPU and a few steps: every code path except the CUDA-only calls
(< 60 s on an idle 2-core machine; torch.compile with the aot_eager backend, on SoftFiLM only).
Work runs against a time budget (--budget, default 480 s): what does not fit is reported as skipped, never silently dropped.
"""
import argparse, contextlib, json, math, os, platform, resource, shutil, sys, tempfile, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from steptime import ast_flops

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ('none', 'grf', 'film', 'tafilm', 'softfilm')
# Dense (no sparsity) bf16 tensor-core peaks, TFLOP/s, from NVIDIA's data sheets; first match of the device name wins.
# The A10G (AWS) is not the A10: 125 TFLOP/s is the A10's figure, the A10G's tensor rate is ≈ 70.
PEAK_BF16_TFLOPS = (('GH200', 989), ('H200', 989), ('H100 PCIe', 756), ('H100 NVL', 835), ('H100', 989), ('A100', 312),
                    ('L40S', 362), ('L40', 181), ('L4', 121), ('A10G', 70), ('A10', 125), ('RTX 4090', 165))
T0 = time.perf_counter()

def emit(d: dict): print(json.dumps(d), flush=True)
def elapsed() -> float: return time.perf_counter() - T0

def peak_for(dev: torch.device) -> tuple:
    "(device name, dense bf16 peak TFLOP/s or None, note)."
    if dev.type != 'cuda': return platform.processor() or platform.machine(), None, 'CPU: no tensor-core peak (MFU null); see benchmarks/model_step.py for the CPU matmul peak'
    name = torch.cuda.get_device_name(dev)
    for key, tf in PEAK_BF16_TFLOPS:
        if key in name: return name, tf, f'dense bf16 peak of {key} from its data sheet'
    return name, None, f'{name!r} is not in the peak table (benchmarks/gpu_bench.py PEAK_BF16_TFLOPS): MFU null'

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def peak_mem_mb(dev) -> int:
    if dev.type == 'cuda': return round(torch.cuda.max_memory_allocated(dev) / 2**20)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

def model_config(a, variant):
    from metafilm.models import ModelConfig
    cond = dict(method=variant)
    if a.tiny:
        if variant in ('film', 'tafilm', 'softfilm'): cond['layers'] = (0, 1)
        return ModelConfig(ast=dict(size='custom', embed_dim=64, depth=2, heads=2, fstride=16, tstride=16, frames=a.frames), conditioning=cond)
    return ModelConfig(conditioning=cond)

def flops(cfg, B) -> dict:
    c = cfg.ast
    return ast_flops(B, D=c.embed_dim, depth=c.depth, n_mels=c.n_mels, frames=c.frames, patch=c.patch, fstride=c.fstride, tstride=c.tstride)

def batch_on(dev, B, frames, n_mels=128):
    x = torch.randn(B, 1, n_mels, frames, device=dev)
    meta = {'device': torch.randint(0, 4, (B,), device=dev), 'site': torch.randint(0, 7, (B,), device=dev), 'cont': torch.randn(B, 3, device=dev)}
    return x, meta, torch.randint(0, 2, (B, 2), device=dev).float()

def make_step(net, model, opt, x, meta, y):
    "The engine's training step on one fixed batch (no host synchronisation)."
    crit = torch.nn.BCEWithLogitsLoss()
    def step():
        with torch.autocast(x.device.type, dtype=torch.bfloat16):
            logits, aux = net(x, meta)
            loss = crit(logits.float(), y) + aux.float()
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
        return loss
    return step

def time_steps(step, dev, warmup, n) -> tuple:
    "(seconds per step over `n` steps after `warmup`, seconds of the first call)."
    t0 = time.perf_counter(); loss = step(); sync(dev); first = time.perf_counter() - t0
    for _ in range(warmup - 1): step()
    sync(dev); t0 = time.perf_counter()
    for _ in range(n): loss = step()
    sync(dev)
    if not math.isfinite(loss := float(loss.detach())): raise RuntimeError(f'non-finite loss {loss} in the step benchmark')
    return (time.perf_counter() - t0) / n, first

def bench_steps(a, dev, name, peak, compiled: bool, rates: dict):
    "One gpu_step line per variant and batch; compiled: one compilation per variant (batch marked dynamic)."
    from metafilm.models import build_model
    for v in (a.compile_variants if compiled else a.variants):
        if compiled and elapsed() + max(a.compile_reserve, 1.2 * getattr(a, '_compile_s', 0)) > a.budget:
            for B in a.batches: emit(dict(bench='gpu_step', variant=v, batch=B, compiled=True, skipped=f'time budget ({a.budget} s) reached after {elapsed():.0f} s'))
            continue
        torch.manual_seed(0)
        cfg = model_config(a, v)
        model = build_model(cfg, verbose=False).to(dev).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.05, fused=dev.type == 'cuda')
        net = torch.compile(model, backend=a.backend) if compiled else model
        for B in a.batches:
            x, meta, y = batch_on(dev, B, cfg.ast.frames)
            if compiled:
                for t in (x, y, *meta.values()): torch._dynamo.mark_dynamic(t, 0)
            if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
            s, first = time_steps(make_step(net, model, opt, x, meta, y), dev, a.warmup, a.steps)
            if compiled and B == a.batches[0]: a._compile_s = max(first, getattr(a, '_compile_s', 0))
            F = flops(cfg, B)['step']
            rates[v, B, compiled] = 1 / s
            emit(dict(bench='gpu_step', variant=v, batch=B, compiled=compiled, backend=a.backend if compiled else None, dtype='bf16 autocast',
                      step_ms=round(s * 1e3, 2), samples_per_s=round(B / s, 1), first_call_s=round(first, 2),
                      tflops=round(F / s / 1e12, 2), mfu=round(F / s / 1e12 / peak, 3) if peak else None, device=name,
                      gflop_per_sample_step=round(F / B / 1e9, 1), peak_mem_mb=peak_mem_mb(dev), elapsed_s=round(elapsed(), 1)))
        del model, opt, net
        if dev.type == 'cuda': torch.cuda.empty_cache()

def corpus_and_cache(a, work, overrides) -> tuple:
    "Synthesise the corpus and prepare its cache with the CLI (`metafilm synth`, `metafilm prepare`); (corpus, timings)."
    from metafilm.cli import main as cli
    corpus, t = Path(a.corpus) if a.corpus else work/'corpus', {}
    if not (corpus/'synth.json').exists():
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr): rc = cli(['synth', str(corpus)] + (['--patients', '3'] if a.tiny else ['--like-icbhi']))
        if rc: raise SystemExit('metafilm synth failed')
        t['synth_s'] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr): rc = cli(['prepare', str(a.config), '--cache', str(work/'cache')] + [x for o in overrides for x in ('--set', o)])
    if rc: raise SystemExit('metafilm prepare failed')
    t['prepare_s'] = round(time.perf_counter() - t0, 1)
    return corpus, t

def bench_loader(a, dev, cfg, rates, timings):
    "Training batches/s as the engine consumes them: to the device (non-blocking from pinned memory), SpecAugment there."
    from metafilm.frontend import prepare
    from metafilm.data import build_data, loaders
    from metafilm.augment import spec_augment
    cache = prepare(cfg.data.root, cfg.frontend, cfg.data.cache, progress=False)
    data = build_data(cache, cfg.data, cfg.augment if cfg.augment.enabled else None)
    dl = loaders(data, cfg.data, seed=0)['train']
    n = min(a.loader_batches, len(dl) - 1)
    it = iter(dl); next(it); sync(dev); t0 = time.perf_counter()
    for _ in range(n):
        b = next(it)
        x = b['fbank'].to(dev, non_blocking=True)
        if cfg.augment.enabled: x = spec_augment(x[:, 0], cfg.augment)[:, None]
        for k in ('device', 'site', 'cont', 'label'): b[k].to(dev, non_blocking=True)
    sync(dev); rate = n / (time.perf_counter() - t0)
    B = cfg.data.batch_size; a._loader = (B, rate)
    step_rates = {('compiled' if c else 'eager'): r for (v, b, c), r in rates.items() if v == 'softfilm' and b == B}
    best = max(step_rates.values(), default=None)
    emit(dict(bench='gpu_loader', batch=B, workers=cfg.data.num_workers, batches=n, augment=cfg.augment.enabled,
              pin_memory=dl.pin_memory, cycles_train=len(data.train), batches_per_s=round(rate, 1),
              softfilm_steps_per_s={k: round(r, 2) for k, r in step_rates.items()},
              loader_over_step=round(rate / best, 2) if best else None, **timings, elapsed_s=round(elapsed(), 1)))

def bench_train(a, dev, cfg, work, peak):
    "One epoch of SoftFiLM through `metafilm.train.fit`; the training part as the engine's own epoch row times it."
    import metafilm.train as T
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
    t0 = time.perf_counter()
    out = T.fit(cfg, work/'run', progress=False)
    wall = time.perf_counter() - t0
    row = out['history'][0]
    B = cfg.data.batch_size
    train_s, samples = row['train_s'], row['train_samples']
    sps = samples / train_s
    F = flops(cfg.model, 1)['step']
    emit(dict(bench='gpu_train', method=cfg.model.conditioning.method, batch=B, epochs=cfg.train.epochs, steps=samples // B, samples=samples,
              train_s=round(train_s, 2), samples_per_s=round(sps, 1), mfu=round(sps * F / 1e12 / peak, 3) if peak else None, epoch_4142_cycles_s=round(4142 / sps, 1), fit_wall_s=round(wall, 1),
              loss=round(row['loss'], 4), peak_mem_mb=peak_mem_mb(dev), amp=cfg.train.amp, workers=cfg.data.num_workers,
              device=str(dev), timed_by='the epoch row (train_epoch: first batch to last step)',
              elapsed_s=round(elapsed(), 1)))

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--tiny', action='store_true', help='tiny model, 3-patient corpus, CPU, a few steps (< 60 s)')
    p.add_argument('--device', default=None, help='default: cuda when available (cpu with --tiny)')
    p.add_argument('--parts', default='step,loader,train,compile')
    p.add_argument('--variants', default=','.join(VARIANTS))
    p.add_argument('--compile-variants', default=None, help='variants to compile, in order (default: softfilm first, then the rest; tiny: softfilm)'); p.add_argument('--batches', default=None, help='default 16,32 (tiny: 2,4)')
    p.add_argument('--steps', type=int, default=None); p.add_argument('--warmup', type=int, default=None)
    p.add_argument('--backend', default=None, help='torch.compile backend (default inductor; tiny: aot_eager)')
    p.add_argument('--budget', type=float, default=None, help='seconds for the whole run (default 480; tiny 55)')
    p.add_argument('--compile-reserve', type=float, default=None, help='skip a compilation when less than this (or 1.2 x the longest compilation so far) is left (default 60; tiny 0)')
    p.add_argument('--config', default=str(ROOT/'configs/softfilm.yaml')); p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', help='extra config overrides for prepare/loader/fit, e.g. train.compile=true')
    p.add_argument('--workers', type=int, default=None, help='loader workers (default: min(8, cores - 1); tiny 1)')
    p.add_argument('--loader-batches', type=int, default=None); p.add_argument('--corpus', default=None, help='reuse a synthetic corpus')
    p.add_argument('--work', default=None, help='working folder (default: a temporary one, removed at the end)')
    a = p.parse_args()
    tiny = a.tiny
    a.variants = a.variants.split(',')
    a.compile_variants = (a.compile_variants or ('softfilm' if tiny else ','.join(sorted(a.variants, key=lambda v: v != 'softfilm')))).split(',')
    a.batches = [int(b) for b in (a.batches or ('2,4' if tiny else '16,32')).split(',')]
    a.steps = a.steps or (1 if tiny else 10); a.warmup = a.warmup or (1 if tiny else 3)
    a.backend = a.backend or ('aot_eager' if tiny else 'inductor')
    a.budget = a.budget or (120 if tiny else 480); a.compile_reserve = a.compile_reserve if a.compile_reserve is not None else (0 if tiny else 60)
    a.loader_batches = a.loader_batches or (3 if tiny else 100)
    a.frames = 128
    if not tiny and a.device is None and not torch.cuda.is_available():  # the full size on a CPU takes hours (and `make bench` runs every script)
        return emit(dict(bench='gpu_env', skipped='no CUDA device: `benchmarks/gpu.sh --tiny` checks the code on the CPU; --device cpu forces the full run'))
    dev = torch.device(a.device or ('cpu' if tiny else 'cuda'))
    if dev.type == 'cuda':
        torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True; torch.backends.cudnn.benchmark = True
    name, peak, note = peak_for(dev)
    dc = torch._dynamo.config  # one compiled graph per variant: keep them all
    if hasattr(dc, 'recompile_limit'): dc.recompile_limit = max(dc.recompile_limit, 64)
    else: dc.cache_size_limit = max(dc.cache_size_limit, 64)
    import dataclasses
    from metafilm.config import TrainConfig
    from metafilm.data import DataConfig
    engine = sorted(f.name for cls in (TrainConfig, DataConfig) for f in dataclasses.fields(cls)
                    if f.name in ('compile', 'pin_memory', 'prefetch_factor', 'eval_batch_size', 'spec_on_device', 'tf32'))
    parts = set(a.parts.split(','))
    workers = a.workers if a.workers is not None else (1 if tiny else max(1, min(8, (os.cpu_count() or 2) - 1)))
    emit(dict(bench='gpu_env', device=name, peak_bf16_tflops=peak, note=note, tiny=tiny, torch=torch.__version__, cuda=torch.version.cuda,
              cpus=os.cpu_count(), host=platform.node(), engine_options_present=engine, variants=a.variants, batches=a.batches, backend=a.backend, budget_s=a.budget))
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix='metafilm-gpu-'))
    work.mkdir(parents=True, exist_ok=True)
    try:
        rates = {}
        if 'step' in parts: bench_steps(a, dev, name, peak, False, rates)
        if parts & {'loader', 'train'}:
            corpus = Path(a.corpus).resolve() if a.corpus else (work/'corpus').resolve()
            ov = [f'data.root={corpus}', f'data.cache={(work/"cache").resolve()}', f'data.num_workers={workers}', 'model.ast.audioset_ckpt=null',
                  'train.epochs=1', 'train.mlflow=false', f'train.runs={(work/"runs").resolve()}', f'train.device={dev}', 'train.amp=bf16']
            if tiny: ov += ['frontend.target_frames=128', 'model.ast.size=custom', 'model.ast.embed_dim=64', 'model.ast.depth=2', 'model.ast.heads=2',
                            'model.ast.fstride=16', 'model.ast.tstride=16', 'model.conditioning.layers=[0, 1]', 'data.batch_size=4', 'data.val_fraction=0',
                            'augment.enabled=false']
            ov += a.set
            from metafilm.config import load_config
            corpus, timings = corpus_and_cache(a, work, ov)
            cfg = load_config(a.config, ov)
            from metafilm.data import build_data
            from metafilm.frontend import prepare
            a._train_cycles = len(build_data(prepare(cfg.data.root, cfg.frontend, cfg.data.cache, progress=False), cfg.data).train)
            if 'loader' in parts: bench_loader(a, dev, cfg, rates, timings)
            if 'train' in parts: bench_train(a, dev, load_config(a.config, ov), work, peak)
        if 'compile' in parts: bench_steps(a, dev, name, peak, True, rates)
        best = {}
        for (v, B, c), r in rates.items():
            if peak and (B not in best or r > best[B][0]): best[B] = (r, v, c)
        lb, lr = getattr(a, '_loader', (None, None))
        sr = max((r for (v, b, c), r in rates.items() if v == 'softfilm' and b == lb), default=None)
        emit(dict(bench='gpu_summary', loader_over_best_softfilm_step=round(lr / sr, 2) if lr and sr else None, device=name, peak_bf16_tflops=peak, total_s=round(elapsed(), 1), budget_s=a.budget,
                  best_mfu={B: dict(mfu=round(r * flops(model_config(a, v), B)['step'] / 1e12 / peak, 3), variant=v, compiled=c) for B, (r, v, c) in best.items()},
                  within_budget=elapsed() <= a.budget, steps_measured=len(rates)))
    finally:
        if not a.work: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
