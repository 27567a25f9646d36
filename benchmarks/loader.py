"""Benchmark the training DataLoader: batches/s with augmentation off and on, against a model step. Prints one JSON line.

Usage: python benchmarks/loader.py [--patients N] [--workers W] [--batches B]
The corpus is synthetic (N patients); the features are the reference's 128 x 1024. The model step is a forward +
backward of timm's DeiT-tiny adapted to 1-channel 128 x 1024 inputs at stride 16 (a small AST), on this machine's CPU.
"""
import argparse, json, os, platform, shutil, tempfile, time
from pathlib import Path
import torch
from metafilm.synth import synth
from metafilm.frontend import FrontendConfig, prepare
from metafilm.augment import AugmentConfig, spec_augment
from metafilm.data import DataConfig, build_data, loaders

def rate(dl, n, spec=None):
    "Batches per second over `n` batches (after one warm-up batch)."
    it = iter(dl); next(it); t0 = time.perf_counter()
    for _ in range(n):
        b = next(it)
        if spec is not None: spec_augment(b['fbank'][:, 0], spec)
    return n / (time.perf_counter() - t0)

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--patients', type=int, default=24); p.add_argument('--workers', type=int, default=2); p.add_argument('--batches', type=int, default=30)
    a = p.parse_args(); work = Path(tempfile.mkdtemp())
    try:
        corpus = synth(work/'c', patients=a.patients, seed=0, progress=False)
        cache = prepare(corpus, FrontendConfig(store_wave=True), work/'cache', progress=False)
        cfg = DataConfig(batch_size=16, num_workers=a.workers)
        off = rate(loaders(build_data(cache, cfg), cfg)['train'], a.batches)
        spec = rate(loaders(build_data(cache, cfg), cfg)['train'], a.batches, AugmentConfig(enabled=True, spec_p=0.3))
        on = rate(loaders(build_data(cache, cfg, AugmentConfig(enabled=True)), cfg)['train'], a.batches, AugmentConfig(enabled=True, spec_p=0.3))
        import timm
        m = timm.create_model('deit_tiny_patch16_224', pretrained=False, img_size=(128, 1024), in_chans=1, num_classes=2)
        x = torch.randn(16, 1, 128, 1024); opt = torch.optim.AdamW(m.parameters())
        for i in range(3):
            if i == 1: t0 = time.perf_counter()
            loss = m(x).square().mean(); opt.zero_grad(); loss.backward(); opt.step()
        step = (time.perf_counter() - t0) / 2
        print(json.dumps(dict(bench='loader', machine=f'{platform.node()} {os.cpu_count()} cpu {platform.machine()}', batch=16, workers=a.workers,
                              batches_per_s_plain=round(off, 1), batches_per_s_specaug=round(spec, 1), batches_per_s_wave_and_specaug=round(on, 1),
                              model_step_s_deit_tiny_cpu=round(step, 2), model_steps_per_s=round(1 / step, 2))))
    finally: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
