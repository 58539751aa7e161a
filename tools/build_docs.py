"""Build the docs without Quarto: nbdev processes the notebooks (hides `#| hide` cells, renders `show_doc`),
then nbconvert turns each into a standalone HTML page in `docs/`, with an index page linking them.
Where Quarto is installed, `nbdev-docs` builds the full site instead.

    python tools/build_docs.py [--out docs]
"""
import argparse, html, shutil, subprocess, sys
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

def build(out='docs'):
    root = Path(__file__).resolve().parents[1]
    subprocess.run(['nbdev-proc-nbs', '--force'], cwd=root, check=True)
    out = root/out
    if out.exists(): shutil.rmtree(out)
    out.mkdir()
    exp = HTMLExporter(template_name='lab')
    exp.register_preprocessor(TagRemovePreprocessor(remove_input_tags=['remove_input']), enabled=True)
    pages = []
    for nb in sorted((root/'_proc').glob('*.ipynb')):
        node = nbformat.read(nb, as_version=4)
        node.cells = [c for c in node.cells if c.cell_type!='raw']  # Quarto front matter
        for c in node.cells:
            c.metadata = {}
            if c.cell_type!='code': continue
            if '#| echo: false' in c.source: c.metadata['tags'] = ['remove_input']
            c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|'))
        body,_ = exp.from_notebook_node(node)
        name = 'index' if nb.stem=='index' else nb.stem
        (out/f'{name}.html').write_text(body)
        title = next((c.source.splitlines()[0].lstrip('# ') for c in node.cells if c.cell_type=='markdown' and c.source.startswith('#')), nb.stem)
        pages.append((name, title))
    links = '\n'.join(f'<li><a href="{n}.html">{html.escape(t)}</a></li>' for n,t in pages)
    (out/'contents.html').write_text(f'<!doctype html><html><head><meta charset="utf-8"><title>fastcf docs</title></head>'
                                     f'<body><h1>fastcf documentation</h1><ul>{links}</ul></body></html>')
    print(f'wrote {len(pages)} pages to {out}')
    return out

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='docs')
    build(p.parse_args().out)
