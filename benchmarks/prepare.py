"""Benchmark `metafilm prepare`: an ICBHI-sized synthetic corpus from WAV files to a ready feature cache, cold and warm.

Usage: python benchmarks/prepare.py [CORPUS] [--workers N]   (without CORPUS, a --like-icbhi corpus is synthesised first)
Prints one JSON line: wall seconds, cycles/s, peak RSS of the main process and of the largest worker, cache size, no-op time.
"""
import argparse, json, os, platform, resource, shutil, tempfile, time
from pathlib import Path
from metafilm.frontend import FeatureCache, FrontendConfig, prepare
from metafilm.synth import synth

def main():
    p = argparse.ArgumentParser(description=__doc__); p.add_argument('corpus', nargs='?'); p.add_argument('--workers', type=int, default=None)
    p.add_argument('--store-wave', action='store_true'); a = p.parse_args()
    work = Path(tempfile.mkdtemp())
    try:
        corpus = Path(a.corpus) if a.corpus else synth(work/'corpus', like_icbhi=True, seed=0, progress=False)
        cfg = FrontendConfig(store_wave=a.store_wave)
        t0 = time.perf_counter(); path = prepare(corpus, cfg, work/'cache', workers=a.workers, progress=False); cold = time.perf_counter() - t0
        t0 = time.perf_counter(); prepare(corpus, cfg, work/'cache', workers=a.workers, progress=False); warm = time.perf_counter() - t0
        fc = FeatureCache.open(path); n = len(fc.cycles)
        size = sum(f.stat().st_blocks * 512 for f in path.iterdir())
        print(json.dumps(dict(bench='prepare', machine=f'{platform.node()} {os.cpu_count()} cpu {platform.machine()}', cycles=n,
                              recordings=int(fc.cycles.recording.nunique()), workers=a.workers or os.cpu_count(), store_wave=a.store_wave,
                              cold_s=round(cold, 2), cycles_per_s=round(n / cold, 1), warm_s=round(warm, 3),
                              peak_rss_main_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                              peak_rss_worker_mb=fc.meta['worker_peak_rss_mb'],
                              peak_rss_sum_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                                                    + (a.workers or os.cpu_count()) * fc.meta['worker_peak_rss_mb']),
                              cache_mb=round(size / 2**20), dtype=cfg.dtype, shape=[n] + fc.meta['shape'])))
    finally: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
