"""Run every notebook's tests (as `nbdev_test` does) and end with a `N passed, N failed` line CI can read."""
import argparse, os, sys, time
from pathlib import Path
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.test import test_nb

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('path', nargs='?', default=None, help='a notebook or glob (default: all of nbs/)')
    p.add_argument('--flags', default='', help='test flags to run that are normally skipped (e.g. "slow")')
    p.add_argument('--n_workers', type=int, default=2)
    a = p.parse_args()
    cfg = get_config()
    files = sorted(f.absolute() for f in nbglob(a.path, as_path=True)
                   if not any(q.startswith(("_", ".")) for q in f.absolute().relative_to(cfg.nbs_path.absolute()).parts))
    if not files: sys.exit('no notebooks found to test')
    skip, force = cfg.tst_flags.split(), a.flags.split()
    print(f"testing {len(files)} notebooks with {a.n_workers} workers (skipping flags: {' '.join(f for f in skip if f not in force) or 'none'})", flush=True)
    t0 = time.time()
    # one share of the cores per notebook: two processes each spinning torch on every core run slower than one after the other
    threads = str(max(1, (os.cpu_count() or 1) // a.n_workers))
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(var, threads)
    # each notebook in a fresh process, as a reader runs it: no state (imports, torch settings) leaks between them
    run = partial(test_nb, skip_flags=skip, force_flags=force, basepath=cfg.config_path)
    with working_directory(cfg.nbs_path), ProcessPoolExecutor(min(a.n_workers, len(files)), mp_context=mp.get_context('spawn'), max_tasks_per_child=1) as ex:
        order = files[::-1]  # the long chapters (training, analysis, tutorial) come last by name: start them first
        done = dict(zip(order, ex.map(run, order)))
    res = [done[f] for f in files]
    for f, (ok, dt) in zip(files, res): print(f"{'PASS' if ok else 'FAIL'}  {dt:6.1f}s  {f.name}")
    n_ok = sum(ok for ok, _ in res)
    print(f"all notebooks tested in {time.time() - t0:.0f}s")
    print(f"notebooks: {n_ok} passed, {len(files) - n_ok} failed")  # the closing line CI reads
    sys.exit(0 if n_ok == len(files) else 1)

if __name__ == '__main__': main()
