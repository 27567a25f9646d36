"""Write README.md from nbs/index.ipynb to stdout (nbdev_readme needs Quarto; this uses nbconvert's markdown exporter)."""
import re, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

_dir = re.compile(r'^\s*#\s*\|\s*(.*)$')

def _directives(src):
    return [m.group(1).strip() for l in src.splitlines() if (m := _dir.match(l))]

def readme(nb_path='nbs/index.ipynb'):
    "Markdown of the home-page notebook with nbdev's hidden cells dropped and directive lines stripped."
    nb = nbformat.read(nb_path, as_version=4)
    cells = []
    for c in nb.cells:
        ds = _directives(c.source) if c.cell_type == 'code' else []
        if any(d.startswith(('hide', 'include: false', 'export', 'exporti')) for d in ds): continue
        if c.cell_type == 'code':
            c.source = '\n'.join(l for l in c.source.splitlines() if not _dir.match(l)).strip()
            if any(d.startswith('echo: false') for d in ds): c.source = ''
        cells.append(c)
    nb.cells = cells
    nb.metadata['language_info'] = {'name': 'python'}
    body, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    body = re.sub(r'\n```python\n\n```\n', '\n', body)
    body = re.sub(r'<style scoped>.*?</style>\n?', '', body, flags=re.S)
    body = re.sub(r'\]\((?!https?:|#|/)([^)]+\.(?:png|jpg|svg))\)', r'](nbs/\1)', body)  # images beside the notebook, seen from the root
    body = re.sub(r'\]\((\d\d_\w+|index)\.ipynb\)', r'](nbs/\1.ipynb)', body)  # chapter links too
    body = re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'
    return '<!-- generated from nbs/index.ipynb by `make readme`: edit the notebook, not this file -->\n\n' + body

if __name__ == '__main__': sys.stdout.write(readme())
