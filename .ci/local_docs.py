"""Build a browsable local docs site without Quarto: nbdev_proc_nbs, then pandoc per chapter, into _site/."""
import os, re, shutil, subprocess, sys
from pathlib import Path
import yaml

root = Path(__file__).resolve().parent.parent

def _title(path: Path) -> str:
    "The chapter title from nbdev's front matter (the first raw cell's `title:`), else the file name."
    import json
    for c in json.loads(path.read_text())['cells'][:2]:
        for l in ''.join(c['source']).splitlines():
            if c['cell_type'] == 'raw' and l.startswith('title:'): return l.split(':', 1)[1].strip().strip('\'"')
    return path.stem

_DIRECTIVE = re.compile(r'^\s*#\s*\|.*$\n?', re.M)

def _pandoc_ready(path: Path) -> Path:
    "A copy for pandoc, doing what Quarto would: `echo: false` cells show only their (markdown) output, directives vanish."
    import json
    nb = json.loads(path.read_text())
    cells = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'code':
            if re.search(r'^\s*#\s*\|\s*(hide|include:\s*false)', src, re.M): continue
            if re.search(r'^\s*#\s*\|\s*echo:\s*false', src, re.M):  # show_doc cells: their markdown output only
                md = [re.sub(r'\{target="_blank"[^}]*\}', '', ''.join(o['data']['text/markdown']))  # Quarto link attributes
                      for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
                cells += [{'cell_type': 'markdown', 'metadata': {}, 'source': m} for m in md]
                continue
            c['source'] = _DIRECTIVE.sub('', src)
        for o in c.get('outputs', []):  # cleaned notebooks have no execution counts, which pandoc's reader requires
            if o.get('output_type') == 'execute_result': o['output_type'] = 'display_data'; o.pop('execution_count', None)
        cells.append(c)
    nb['cells'] = cells
    out = path.with_suffix('.pandoc.ipynb'); out.write_text(json.dumps(nb))
    return out

# pandoc 2.17's template caps the body at 36em and ignores `-V maxwidth`: wider pages, code that scrolls, tables that fit
_STYLE = ('<style>body{max-width:72em;} pre{overflow-x:auto;} pre code{white-space:pre;} table{font-size:0.9em;} '
          'img{max-width:100%;} nav{font-size:0.9em;}</style>')

def _pandoc() -> list:
    "The pandoc command: the one on PATH, else the one the pypandoc-binary wheel (a dev dependency) ships."
    exe = shutil.which('pandoc')
    if exe is None:
        try:
            import pypandoc
            exe = pypandoc.get_pandoc_path()
        except (ImportError, OSError): exe = None
    if not exe or not Path(exe).exists():
        sys.exit('make docs: no quarto and no pandoc: run `make install` (it installs pypandoc-binary, which ships pandoc), '
                 'or `apt-get install pandoc`, or install Quarto for the full site')
    major = int(re.search(r'(\d+)\.', subprocess.run([exe, '--version'], capture_output=True, text=True).stdout)[1])
    # pandoc 3 replaced --self-contained with --embed-resources --standalone (2.19+ has both)
    return [exe, '--embed-resources', '--standalone'] if major >= 3 else [exe, '--self-contained', '-s']

def _toc_gaps(html: str) -> list:
    "Ids of the page's sections (h2, h3: pandoc's default toc-depth) that its table of contents does not list."
    toc = re.search(r'<nav id="TOC".*?</nav>', html, re.S)
    listed = set(re.findall(r'href="#([^"]+)"', toc.group(0))) if toc else set()
    body = html[toc.end():] if toc else html
    return [i for i in re.findall(r'<h[23] id="([^"]+)"', body) if i not in listed]

def main():
    pandoc = _pandoc()
    # nbdev_proc_nbs would try to install Quarto and `pip install -e` into whatever pip is on PATH: call its parts
    os.chdir(root)
    import nbdev.doclinks
    from nbdev.config import get_config
    from nbdev.quarto import proc_nbs
    nbdev.doclinks._build_modidx()
    proc_nbs(get_config().nbs_path, n_workers=0)
    proc, site = root/'_proc', root/'_site'
    shutil.rmtree(site, ignore_errors=True); site.mkdir(); gaps = []
    order = yaml.safe_load((root/'nbs/sidebar.yml').read_text())['website']['sidebar']['contents']
    nav = ' | '.join(f'<a href="{Path(n).stem}.html">{Path(n).stem}</a>' for n in order)
    for n in order:
        src = _pandoc_ready(proc/n)
        out = site/f'{Path(n).stem}.html'
        title = _title(proc/n)
        # self-contained: output images (pandoc's media bag) and linked images become data URIs, so pages open anywhere
        subprocess.run([*pandoc, '-f', 'ipynb', '-t', 'html5', '--toc', '--lua-filter', str(root/'.ci/markdown_cells.lua'),
                        '--resource-path', str(proc), '--metadata', f'title={title}', '-V', f'header-includes={_STYLE}',
                        '-V', f'include-before=<nav>{nav}</nav>', '-o', str(out), str(src)], check=True)
        html = out.read_text()
        if missing := _toc_gaps(html): gaps.append(f'{out.name}: {", ".join(missing)}')
        html = re.sub(r'href="([\w.-]+)\.ipynb(#[^"]*)?"', lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)  # chapter links
        out.write_text(html)
        print('wrote', out.relative_to(root))
    if gaps: sys.exit('make docs: sections missing from the table of contents of ' + '; '.join(gaps))
    print(f'open {site/"index.html"}')

if __name__ == '__main__': main()
