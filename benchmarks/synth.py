"""Benchmark `metafilm synth`: wall time and size of the default corpus and of the ICBHI-sized one. Prints one JSON line."""
import json, os, platform, shutil, sys, tempfile, time
from pathlib import Path
from metafilm.synth import synth
from metafilm.icbhi import load_cycles

def run(**kw):
    "Time one synth + one header-reading load; sizes on disk."
    d = Path(tempfile.mkdtemp())
    try:
        t0 = time.perf_counter(); root = synth(d/'c', progress=False, **kw); t1 = time.perf_counter()
        cyc, rep = load_cycles(root, progress=False); t2 = time.perf_counter()
        size = sum(p.stat().st_size for p in root.rglob('*') if p.is_file())
        return dict(recordings=rep.n_recordings, cycles=len(cyc), patients=int(cyc.pid.nunique()), synth_s=round(t1 - t0, 2),
                    load_s=round(t2 - t1, 2), size_mb=round(size / 2**20, 1), audio_hours=round(float(cyc.drop_duplicates('recording').audio_duration.sum()) / 3600, 2))
    finally: shutil.rmtree(d)

if __name__ == '__main__':
    out = dict(bench='synth', machine=f'{platform.node()} {os.cpu_count()} cpu {platform.processor() or platform.machine()}',
               default=run(), like_icbhi=run(like_icbhi=True) if '--quick' not in sys.argv else None)
    print(json.dumps(out))
