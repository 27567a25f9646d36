"""`prepare` against the reference's dataset build, side by side: alternating runs (A B A B) on the same corpus.

Usage: python benchmarks/vs_reference.py CORPUS --ref-src SRC --ref-python PY [--rounds 2] [--quiet 0.5]
CORPUS is written by `python ../shared/bench/replica.py CORPUS --mixed --ref-layout`; SRC is the reference repository's
tree and PY the python of a virtual environment with its requirements (see ../shared/bench/README.md). Nothing of the
reference is part of metafilm: it is run as it is, in its own environment, and timed.
Prints one JSON line: per round, the reference's `build_dataloaders` (train then test) and `prepare` (a cold build into
an empty cache, then a warm no-op), wall seconds, CPU seconds and peak RSS; the load average before each run; the
ratio per round, and the ratio of the best (least disturbed) times.
"""
import argparse, json, os, platform, resource, subprocess, sys, time
from pathlib import Path

REFERENCE = r'''
import contextlib, io, json, os, resource, sys, time
import soundfile, torch, torchaudio
def load(path, *a, **k):  # torchaudio.load needs TorchCodec: the same values through soundfile
    x, sr = soundfile.read(str(path), dtype='float32', always_2d=True)
    return torch.from_numpy(x.T.copy()), sr
torchaudio.load = load
src, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, src); os.chdir(src)
from ls.config.loader import load_config
from ls.data.dataloaders import build_dataloaders
cfg = load_config('configs/ast_film_soft_config.yaml')
cfg.dataset.data_folder = f'{root}/ICBHI_final_database'
cfg.dataset.cycle_metadata_path = f'{root}/ICBHI_final_database/icbhi_metadata.csv'
cfg.audio.raw_augment = 0
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()): tr, te = build_dataloaders(cfg.dataset, cfg.audio)
print(json.dumps(dict(cycles=len(tr.dataset) + len(te.dataset), seconds=round(time.perf_counter() - t0, 2),
                      peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))))
'''

def settle(quiet: float|None, patience: float = 600.):
    "Wait (at most `patience` s) until the 1-minute load average is below `quiet` (other people's work on a shared machine)."
    t0 = time.time()
    while quiet and os.getloadavg()[0] >= quiet and time.time() - t0 < patience: time.sleep(10)

def run(cmd, env=None) -> dict:
    "Run a command that prints a JSON line last; that line, with the load average before it and the CPU time it used."
    load, r0 = os.getloadavg()[0], resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime  # the process and its workers, imports included
    return dict(json.loads(out.strip().splitlines()[-1]), load_before=round(load, 2), cpu_s=round(cpu, 1))

def main():
    p = argparse.ArgumentParser(description=__doc__); p.add_argument('corpus')
    p.add_argument('--ref-src', required=True); p.add_argument('--ref-python', required=True)
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--quiet', type=float, default=None, help='before each run, wait for the load average to fall below this')
    a = p.parse_args()
    here = Path(__file__).resolve().parent
    env = dict(os.environ, PYTHONPATH=str(here.parent))
    rows = []
    for _ in range(a.rounds):
        settle(a.quiet); ref = run([a.ref_python, '-c', REFERENCE, a.ref_src, str(Path(a.corpus).resolve())])
        settle(a.quiet); ours = run([sys.executable, str(here/'prepare.py'), a.corpus], env)
        rows.append(dict(reference=ref, metafilm=ours, ratio=round(ref['seconds'] / ours['cold_s'], 2)))
    best = min(r['reference']['seconds'] for r in rows) / min(r['metafilm']['cold_s'] for r in rows)
    print(json.dumps(dict(bench='vs_reference', date=time.strftime('%Y-%m-%d'), cpus=os.cpu_count(),
                          machine=f'{platform.node()} {platform.processor() or platform.machine()}', rounds=rows,
                          ratios=[r['ratio'] for r in rows], ratio_of_best=round(best, 2))))

if __name__ == '__main__': main()
