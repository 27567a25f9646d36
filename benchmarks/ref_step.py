"""The reference's SoftFiLM model step, timed like ours (run by model_step.py in the reference's own environment).

Usage: REF_PYTHON benchmarks/ref_step.py [--src /work/ref/src] [--batch 2] [--modes bf16,fp32] [--reps 3]
Builds `ls.models.builder.build_model(cfg.models, "ast_film_soft")` from its configs/ast_film_soft_config.yaml with
audioset_pretrain and imagenet_pretrain off (timm 0.4.5), steps it on (B, 1, 128, 1024) inputs with device and site ids
and 3 continuous values: loss on the logits plus model.mask_regularization_loss(), backward, zero_grad; under
torch.autocast('cpu', bfloat16) for bf16 (what the reference runs on a CPU) or none for fp32. One JSON line per mode.
"""
import argparse, contextlib, io, os, sys, time
import torch
from steptime import ast_flops, emit, load, machine, peak_rss_mb, timed

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--src', default=os.environ.get('REF_SRC', '/work/ref/src')); p.add_argument('--batch', type=int, default=2); p.add_argument('--modes', default='bf16,fp32')
    p.add_argument('--reps', type=int, default=3); p.add_argument('--threads', type=int, default=None); p.add_argument('--round', type=int, default=0)
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    try: import timm; ok = timm.__version__ == '0.4.5' and os.path.isdir(a.src)
    except ImportError: ok = False
    if not ok: return emit(dict(bench='model_step', impl='reference', skipped=f'needs the reference source ({a.src}) and its environment (timm 0.4.5): see model_step.py'))
    sys.path.insert(0, a.src); here = os.getcwd(); os.chdir(a.src)
    from ls.config.loader import load_config
    from ls.models.builder import build_model
    cfg = load_config('configs/ast_film_soft_config.yaml'); os.chdir(here)
    cfg.models.ast_film_soft.audioset_pretrain = False; cfg.models.ast_film_soft.imagenet_pretrain = False
    torch.manual_seed(0)
    with contextlib.redirect_stdout(io.StringIO()): m = build_model(cfg.models, 'ast_film_soft')
    m.train(); B = a.batch
    x = torch.randn(B, 1, 128, 1024); dev, site, rest = torch.randint(0, 4, (B,)), torch.randint(0, 7, (B,)), torch.randn(B, 3)
    F, peaks, load0 = ast_flops(B), {}, load()
    for mode in a.modes.split(','):
        ctx = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if mode == 'bf16' else contextlib.nullcontext
        def step():
            with ctx(): loss = m(x, dev, site, rest).float().square().mean() + m.mask_regularization_loss()
            loss.backward(); m.zero_grad(set_to_none=True)
        r = timed(step, F['step'], torch.bfloat16 if mode == 'bf16' else torch.float32, a.reps, peaks)
        emit(dict(bench='model_step', impl='reference', variant='softfilm', what='step', mode=mode, batch=B, round=a.round, **r,
                  gflop_fwd_per_sample=round(F['forward'] / B / 1e9, 1), peak_rss_mb=peak_rss_mb(), load_start=load0, load_end=load(), **machine()))

if __name__ == '__main__': main()
