"""Benchmark inference per cycle: PyTorch against onnxruntime, the same model and inputs, in the same run. One JSON line.

Usage: python benchmarks/predict_onnx.py [--config configs/demo.yaml] [--batches 1,32] [--seconds 2] [--rounds 3]
                                         [--threads N]
- The model: the config's model section (default: the demo's SoftFiLM, a tiny AST of width 64 and depth 2 on
  64 mels x 256 frames), random weights; exported with `metafilm.export.export_onnx` into a temporary folder.
- PyTorch: `model(fbank, meta)` in eval mode under `torch.inference_mode()`, fp32 (what `metafilm predict` runs on a
  CPU). onnxruntime: `metafilm.export.OnnxModel` (NumPy in and out, the CPU execution provider). Both with --threads
  intra-op threads (default: every core), inputs already in memory: the model's time only, not the frontend's.
- Each (batch, runtime) is timed for --seconds after 3 warm-up calls, the two runtimes alternating for --rounds
  rounds (A B A B ...) so that a change in the machine's speed hits both; reported: the median call over all rounds,
  in ms per cycle, and the PyTorch / onnxruntime ratio. Also the largest |logit difference| between the two.
"""
import argparse, os, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np, torch
sys.path.insert(0, str(Path(__file__).parent))
from steptime import emit, load, machine
from metafilm.config import load_config
from metafilm.export import OnnxModel, export_onnx
from metafilm.models import build_model

ROOT = Path(__file__).resolve().parent.parent

def inputs(cfg, B: int, seed: int = 0) -> tuple:
    "A batch of random spectrograms and metadata (every device and site index, `<unk>` included) as NumPy arrays."
    r = np.random.default_rng(seed); a = cfg.model.ast
    return (r.standard_normal((B, 1, a.n_mels, a.frames), dtype=np.float32), np.arange(B) % 5, np.arange(B) % 8,
            r.standard_normal((B, cfg.model.conditioning.n_cont), dtype=np.float32))

def calls(fn, seconds: float) -> list:
    "Seconds per call of `fn`, after 3 warm-up calls, for `seconds` of calls (at least 5)."
    for _ in range(3): fn()
    out, t_end = [], time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(out) < 5:
        t0 = time.perf_counter(); fn(); out.append(time.perf_counter() - t0)
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', default=str(ROOT/'configs/demo.yaml')); p.add_argument('--batches', default='1,32')
    p.add_argument('--seconds', type=float, default=2.0); p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--threads', type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(0)
    cfg = load_config(a.config)
    model = build_model(cfg.model, verbose=False).eval()
    with tempfile.TemporaryDirectory() as td:
        t0 = time.perf_counter(); path = export_onnx(model, Path(td)/'model.onnx'); export_s = time.perf_counter() - t0
        onnx_mb = path.stat().st_size / 2**20
        om = OnnxModel(path, threads=a.threads)
        load0, res = load(), {}
        for B in map(int, a.batches.split(',')):
            x = inputs(cfg, B); t = [torch.from_numpy(np.asarray(v)) for v in x]
            meta = {'device': t[1], 'site': t[2], 'cont': t[3]}
            def pt():
                with torch.inference_mode(): return model(t[0], meta)[0].numpy()
            ort = lambda: om(*x)
            times = {'torch': [], 'onnxruntime': []}
            for _ in range(a.rounds):
                times['torch'] += calls(pt, a.seconds); times['onnxruntime'] += calls(ort, a.seconds)
            ms = {k: statistics.median(v) / B * 1e3 for k, v in times.items()}
            res[f'batch{B}'] = dict(ms_per_cycle={k: round(v, 3) for k, v in ms.items()},
                                    torch_over_onnxruntime=round(ms['torch'] / ms['onnxruntime'], 2),
                                    calls={k: len(v) for k, v in times.items()},
                                    max_abs_logit_diff=float(np.abs(pt() - ort()).max()))
    c = cfg.model
    emit(dict(bench='predict_onnx', config=os.path.relpath(a.config, ROOT), method=c.conditioning.method,
              model=f'embed {c.ast.embed_dim}, depth {c.ast.depth}, {c.ast.n_mels} x {c.ast.frames}, '
                    f'stride {c.ast.fstride}x{c.ast.tstride}',
              parameters=sum(p.numel() for p in model.parameters()), onnx_mb=round(onnx_mb, 2),
              export_s=round(export_s, 1), **res, seconds_per_runtime=a.seconds * a.rounds,
              onnxruntime=__import__('onnxruntime').__version__, load_start=load0, load_end=load(), **machine()))

if __name__ == '__main__': main()
