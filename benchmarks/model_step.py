"""Benchmark a training step of each model variant at the paper's size (AST-B, 128 x 1024, stride 10 -> 1214 tokens).

Usage: python benchmarks/model_step.py [--variants none,grf,film,tafilm,softfilm,timm] [--batch 2] [--modes fp32,bf16] [--compile]
Each variant runs in its own process (so peak RSS is its own) and prints one JSON line: forward and forward+backward
seconds, peak memory, analytic FLOPs per sample and the achieved FLOP/s. `timm` is a plain timm DeiT-B (distilled,
384) adapted the same way (1 channel, stride 10, 128 x 1024): the in-run yardstick.
"""
import argparse, json, os, platform, resource, subprocess, sys, time
import torch

def flops_per_sample(D=768, depth=12, N=1214, patches=1212, k=16):
    "Analytic forward FLOPs (2 per multiply-add): patch embedding, and per layer qkv/proj/MLP (12·N·D²) plus attention (2·N²·D)."
    return 2 * (patches * D * k * k + depth * (12 * N * D * D + 2 * N * N * D))

def build(variant):
    if variant == 'timm':
        import timm
        m = timm.create_model('deit_base_distilled_patch16_384', pretrained=False, img_size=(128, 1024), in_chans=1, num_classes=2)
        m.patch_embed.proj.stride = (10, 10)
        gh, gw = (128 - 16) // 10 + 1, (1024 - 16) // 10 + 1
        m.patch_embed.grid_size, m.patch_embed.num_patches = (gh, gw), gh * gw
        m.pos_embed = torch.nn.Parameter(torch.zeros(1, 2 + gh * gw, 768))
        m.patch_embed.strict_img_size = False
        return lambda x, meta: m(x), m
    from metafilm.models import ModelConfig, build_model
    m = build_model(ModelConfig(conditioning=dict(method=variant)), verbose=False)
    return lambda x, meta: m(x, meta)[0], m

def run_one(a):
    torch.manual_seed(0)
    f, m = build(a.variant)
    if a.compile: f = torch.compile(f)
    B = a.batch
    x = torch.randn(B, 1, 128, 1024)
    meta = {'device': torch.randint(0, 4, (B,)), 'site': torch.randint(0, 7, (B,)), 'cont': torch.randn(B, 3)}
    out = dict(bench='model_step', variant=a.variant, batch=B, compile=a.compile, machine=f'{platform.node()} {os.cpu_count()} cpu {platform.machine()}',
               torch=torch.__version__, threads=torch.get_num_threads(), params_m=round(sum(p.numel() for p in m.parameters()) / 1e6, 2),
               gflops_fwd_per_sample=round(flops_per_sample() / 1e9, 1))
    for mode in a.modes.split(','):
        ctx = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if mode == 'bf16' else (lambda: torch.autocast('cpu', enabled=False))
        def fwd():
            with torch.no_grad(), ctx(): f(x, meta)
        def step():
            with ctx(): loss = f(x, meta).float().square().mean()
            loss.backward(); m.zero_grad(set_to_none=True)
        t0 = time.perf_counter(); step(); warm = time.perf_counter() - t0   # warm-up (and compile)
        t0 = time.perf_counter(); fwd(); tf = time.perf_counter() - t0
        t0 = time.perf_counter(); step(); tb = time.perf_counter() - t0
        out[mode] = dict(fwd_s=round(tf, 2), step_s=round(tb, 2), first_step_s=round(warm, 2),
                         tflops_achieved_step=round(3 * flops_per_sample() * B / tb / 1e12, 3))
    out['peak_rss_mb'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out), flush=True)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--variants', default='timm,none,grf,film,tafilm,softfilm'); p.add_argument('--variant')
    p.add_argument('--batch', type=int, default=2); p.add_argument('--modes', default='fp32,bf16'); p.add_argument('--compile', action='store_true')
    a = p.parse_args()
    if a.variant: run_one(a)
    else:
        for v in a.variants.split(','):
            subprocess.run([sys.executable, __file__, '--variant', v, '--batch', str(a.batch), '--modes', a.modes] + (['--compile'] if a.compile else []), check=True)
