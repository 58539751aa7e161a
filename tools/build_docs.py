"""Build the docs site without Quarto, from the same sources as `nbdev-docs`: nbdev processes the notebooks (runs
`show_doc`, drops `#| hide` cells, turns the title into front matter), nbconvert renders each to HTML, and this script
adds what Quarto would: a sidebar from `nbs/sidebar.yml`, page titles from the notebooks, links between pages instead of
links to the published site, and a search box over every page. It then checks that every internal link resolves.
Where Quarto is installed, `nbdev-docs` builds the full site instead. Needs the dev extra: `pip install -e ".[dev]"`.

    python tools/build_docs.py [--out docs]     # then open docs/index.html
"""
import argparse, html, json, re, shutil, subprocess, sys
from pathlib import Path
import nbformat, yaml
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

ROOT = Path(__file__).resolve().parents[1]
SITE = 'https://fastcf.github.io/fastcf/'  # nbdev.yml's site-url: links there become links between pages
HIDDEN = ('#| hide', '#| include: false')

def page_name(nb_stem):
    "The page a notebook becomes, as Quarto names it: `03_view` -> `view.html` (numbers dropped)"
    return 'index' if nb_stem=='index' else re.sub(r'^\d+_', '', nb_stem)

def front_matter(node):
    "Title and description from nbdev's front-matter raw cell (or the first heading)"
    for c in node.cells:
        if c.cell_type=='raw' and c.source.startswith('---'):
            return yaml.safe_load(c.source.strip('-\n')) or {}
    h = next((c.source.splitlines()[0].lstrip('# ') for c in node.cells if c.cell_type=='markdown' and c.source.startswith('# ')), None)
    return {'title': h} if h else {}

QUARTO_ATTRS = re.compile(r'\{target="_blank"[^}]*\}')  # Quarto's link attributes in `show_doc`'s markdown

def clean(node, fm):
    "The title and description as a heading; drop front matter and hidden cells; `show_doc` output without its code or Quarto's attributes"
    cells = [nbformat.v4.new_markdown_cell(f"# {fm.get('title','')}\n\n> {fm.get('description','')}".rstrip('> \n'))]
    for c in node.cells:
        if c.cell_type=='raw' or any(d in c.source for d in HIDDEN): continue
        c.metadata = {}
        if c.cell_type=='code':
            if '#| echo: false' in c.source: c.metadata['tags'] = ['remove_input']
            c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|'))
            for o in c.get('outputs', []):
                md = o.get('data', {}).get('text/markdown')
                if md: o['data']['text/markdown'] = QUARTO_ATTRS.sub('', md)
        cells.append(c)
    node.cells = cells
    return node

def sidebar_entries():
    "(section or None, notebook stem) in the order of nbs/sidebar.yml"
    def walk(items, section=None):
        for it in items:
            if isinstance(it, dict): yield from walk(it.get('contents', []), it.get('section'))
            elif str(it).endswith('.ipynb'): yield section,Path(it).stem
    return list(walk(yaml.safe_load((ROOT/'nbs'/'sidebar.yml').read_text())['website']['sidebar']['contents']))

STYLE = """<style>
#fc-nav{position:fixed;top:0;left:0;bottom:0;width:250px;overflow:auto;padding:14px;background:#f6f7f9;border-right:1px solid #ddd;font:14px/1.4 sans-serif;z-index:10}
#fc-nav a{display:block;padding:3px 6px;color:#234;text-decoration:none;border-radius:4px}#fc-nav a.cur{background:#dfe7f3;font-weight:600}
#fc-nav .sec{margin:10px 0 2px;font-size:12px;text-transform:uppercase;color:#777}#fc-nav input{width:100%;box-sizing:border-box;padding:4px;margin:6px 0}
#fc-hits a{font-size:13px}body{margin-left:270px!important}.jp-InputPrompt,.jp-OutputPrompt{display:none!important}
</style>"""
SEARCH = """<script>
const fcPages=%s;
function fcSearch(q){const h=document.getElementById('fc-hits');h.innerHTML='';q=q.trim().toLowerCase();if(q.length<2)return;
 for(const p of fcPages){const i=p.text.toLowerCase().indexOf(q);if(i<0)continue;const a=document.createElement('a');a.href=p.page;
 a.textContent=p.title+': '+p.text.slice(Math.max(0,i-30),i+50)+'...';h.appendChild(a);}}
</script>"""

def nav(pages, current):
    out = ['<nav id="fc-nav"><a href="index.html"><b>fastcf</b></a><input placeholder="Search the docs" oninput="fcSearch(this.value)"><div id="fc-hits"></div>']
    last = None
    for section,stem,title in pages:
        if section!=last and section: out.append(f'<div class="sec">{html.escape(section)}</div>')
        last = section
        name = page_name(stem)
        out.append(f'<a href="{name}.html"{" class=cur" if name==current else ""}>{html.escape(title)}</a>')
    return '\n'.join(out) + '</nav>'

def local_links(body):
    "Links to the published site become links between these pages"
    return body.replace(f'href="{SITE}', 'href="').replace('.html.md', '.html')

def check_links(out):
    "Every relative link of every page names a page of the site (anchors within a page are not checked)"
    bad = []
    for p in sorted(out.glob('*.html')):
        for href in re.findall(r'href="([^"#]+)(?:#[^"]*)?"', p.read_text()):
            if re.match(r'^[a-z]+:|^//', href): continue
            if not (out/href).exists(): bad.append(f'{p.name} -> {href}')
    return bad

def build(out='docs'):
    subprocess.run(['nbdev-proc-nbs', '--force'], cwd=ROOT, check=True)
    out = ROOT/out
    if out.exists(): shutil.rmtree(out)
    out.mkdir()
    exp = HTMLExporter(template_name='lab')
    exp.register_preprocessor(TagRemovePreprocessor(remove_input_tags=['remove_input']), enabled=True)
    listed = sidebar_entries()
    stems = [s for _,s in listed]
    procd = {nb.stem: nb for nb in (ROOT/'_proc').glob('*.ipynb')}
    missing = [s for s in procd if s not in stems]
    if missing: raise SystemExit(f'notebooks missing from nbs/sidebar.yml: {missing}')
    nodes = {s: nbformat.read(procd[s], as_version=4) for s in stems}
    titles = {s: str(front_matter(nodes[s]).get('title') or s) for s in stems}
    pages = [(sec, s, titles[s]) for sec,s in listed]
    index = []
    for sec,s in listed:
        node = clean(nodes[s], front_matter(nodes[s]))
        body,_ = exp.from_notebook_node(node)
        name,title = page_name(s),titles[s]
        body = re.sub(r'<title>.*?</title>', f'<title>{html.escape(title)} - fastcf</title>', body, count=1, flags=re.S)
        body = body.replace('</head>', STYLE + '</head>', 1)
        body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + nav(pages, name), body, count=1)
        body = body.replace('</body>', SEARCH % '[]' + '<script src="search.js"></script></body>', 1)
        (out/f'{name}.html').write_text(local_links(body))
        text = ' '.join(c.source for c in node.cells if c.cell_type=='markdown')
        index.append(dict(page=f'{name}.html', title=title, text=re.sub(r'\s+', ' ', text)[:20000]))
    (out/'search.js').write_text(f'fcPages.push(...{json.dumps(index)});\n')
    bad = check_links(out)
    print(f'wrote {len(index)} pages to {out}:')
    for p in index: print(f"  {p['page']:<18} {p['title']}")
    if bad: raise SystemExit('broken internal links:\n  ' + '\n  '.join(bad))
    print('every internal link resolves')
    return out

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='docs')
    build(p.parse_args().out)
