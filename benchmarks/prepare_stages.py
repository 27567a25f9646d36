"""Where `prepare`'s time goes: every stage of the frontend timed on one thread, in this process, over a corpus.

Usage: python benchmarks/prepare_stages.py CORPUS [--recordings N] [--seed 0]
Prints one JSON line: milliseconds per cycle of each stage (decode, resample, DC, cut/pad, fbank, normalise, fit,
write) and their total, summed over the recordings (all, or N drawn at random).
"""
import argparse, collections, json, os, platform, tempfile, time
import numpy as np, torch
from metafilm.frontend import (FrontendConfig, _Fbank, _fit, _norm, cut_cycle, one_thread, pad_cycle, read_audio,
                               resample)
from metafilm.icbhi import load_cycles

def main():
    p = argparse.ArgumentParser(description=__doc__); p.add_argument('corpus')
    p.add_argument('--recordings', type=int, default=None); p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    cyc, _ = load_cycles(a.corpus, progress=False)
    recs = list(cyc.groupby('recording', sort=False))
    if a.recordings: recs = [recs[i] for i in np.random.default_rng(a.seed).choice(len(recs), a.recordings, replace=False)]
    cfg, T, n = FrontendConfig(), collections.Counter(), 0
    fb, md = _Fbank(cfg), _norm(cfg, None)
    out = tempfile.NamedTemporaryFile(suffix='.bin')
    def lap(name, t0): T[name] += time.perf_counter() - t0; return time.perf_counter()
    with one_thread():
        for _, g in recs:
            n += len(g); t = time.perf_counter()
            x, sr = read_audio(g.path.iloc[0]); t = lap('decode', t)
            x = resample(x, sr, cfg.sample_rate); t = lap('resample', t)
            x = x - x.mean(); t = lap('dc', t)
            feats, buf = torch.empty(len(g), cfg.n_mels, cfg.target_frames, dtype=torch.float16), torch.empty(cfg.n_samples)
            for (s, e), o in zip(zip(g.start, g.end), feats):
                t = time.perf_counter(); w = pad_cycle(cut_cycle(x, s, e, cfg.sample_rate), cfg, out=buf); t = lap('cut_pad', t)
                m = fb(w); t = lap('fbank', t)
                m.sub_(md[0]).div_(md[1]); t = lap('normalise', t)
                _fit(m, cfg, o); t = lap('fit', t)
            os.pwrite(out.fileno(), feats.numpy().tobytes(), 0); lap('write', t)
    ms = {k: round(1000 * v / n, 3) for k, v in T.items()}
    print(json.dumps(dict(bench='prepare_stages', machine=f'{platform.node()} {os.cpu_count()} cpu {platform.machine()}',
                          recordings=len(recs), cycles=n, ms_per_cycle=ms, total_ms_per_cycle=round(sum(ms.values()), 3),
                          one_core_s=round(sum(T.values()), 2))))

if __name__ == '__main__': main()
