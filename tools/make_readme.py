"""Write README.md from nbs/index.ipynb without Quarto (what `nbdev-readme` does where Quarto exists):
markdown cells as they are, code cells as Python blocks, `#| hide` cells left out.

    python tools/make_readme.py
"""
from pathlib import Path
import nbformat

def readme_text(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    parts = ['<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->']
    for c in nb.cells:
        src = c.source.strip()
        if not src or src.startswith('#| hide'): continue
        parts.append(src if c.cell_type=='markdown' else f'```python\n{src}\n```')
    return '\n\n'.join(parts) + '\n'

if __name__=='__main__':
    root = Path(__file__).resolve().parents[1]
    (root/'README.md').write_text(readme_text(root/'nbs'/'index.ipynb'))
    print('wrote README.md')
