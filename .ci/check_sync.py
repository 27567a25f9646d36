"""Fail when the library, the notebooks or README.md differ from what nbdev_export, nbdev_clean and `make readme` make."""
import filecmp, shutil, subprocess, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root/'.ci'))
from readme import readme

def _diff(a, b):
    "Relative paths of files that differ between folders `a` and `b` (caches ignored)."
    fa = {p.relative_to(a) for p in a.rglob('*') if p.is_file() and '__pycache__' not in p.parts}
    fb = {p.relative_to(b) for p in b.rglob('*') if p.is_file() and '__pycache__' not in p.parts}
    return sorted(str(p) for p in fa ^ fb) + sorted(str(p) for p in fa & fb if not filecmp.cmp(a/p, b/p, shallow=False))

def _mixed_imports(nbs: Path) -> list:
    "Test cells that import and also do other work: the docs build (nbdev, Quarto) runs every import cell on its own."
    import ast, json
    out = []
    for nb in sorted(nbs.glob('*.ipynb')):
        cells = [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
        if not any(c.lstrip().startswith(('#| export', '#|export')) for c in cells): continue  # no API docs: not run
        for i, src in enumerate(cells):
            if src.lstrip().startswith(('#| export', '#|export')): continue
            try: body = ast.parse(src).body
            except SyntaxError: continue
            imports = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
            other = [n for n in body if n not in imports]
            if imports and other: out.append(f'{nb.name} code cell {i + 1}')
    return out

def _log_lines(nbs: Path) -> list:
    "Notebooks whose saved outputs hold library log lines (MLflow's, alembic's INFO): the docs would render them."
    import json, re
    pat = re.compile(r'\b(INFO|DEBUG) +(mlflow|alembic)\b|^INFO +\[alembic', re.M)
    out = []
    for nb in sorted(nbs.glob('*.ipynb')):
        outs = [o for c in json.loads(nb.read_text())['cells'] for o in c.get('outputs', [])]
        if any(pat.search(''.join(o.get('text', ''))) for o in outs): out.append(nb.name)
    return out

def main():
    bad = []
    if m := _log_lines(root/'nbs'):
        bad.append('saved outputs hold MLflow/alembic INFO log lines, which the docs render (open stores through '
                   'metafilm.tracking.client, then re-run the notebook): ' + ', '.join(m))
    if m := _mixed_imports(root/'nbs'):
        bad.append('cells mix imports with other code, which the docs build runs out of context '
                   "(move the imports to the notebook's import cell): " + ', '.join(m))
    bin_ = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        for f in ('settings.ini',): shutil.copy(root/f, td/f)
        for d in ('nbs', 'metafilm'): shutil.copytree(root/d, td/d, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
        subprocess.run([bin_/'nbdev_export'], cwd=td, check=True)
        if d := _diff(root/'metafilm', td/'metafilm'):
            bad.append('nbdev_export changes metafilm/ (edit the notebooks, run `make export`, commit both): ' + ', '.join(d))
        subprocess.run([bin_/'nbdev_clean'], cwd=td, check=True)
        if d := _diff(root/'nbs', td/'nbs'):
            bad.append('notebooks are not clean (run `make clean-nbs`): ' + ', '.join(d))
    if (root/'README.md').read_text(encoding='utf-8') != readme(root/'nbs/index.ipynb'):
        bad.append('README.md is stale: run `make readme` (it is generated from nbs/index.ipynb)')
    for b in bad: print('SYNC ERROR:', b)
    if bad: sys.exit(1)
    print('in sync: metafilm/ == nbdev_export(nbs/), notebooks clean, README.md == index.ipynb')

if __name__ == '__main__': main()
