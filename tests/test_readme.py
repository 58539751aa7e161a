"README.md says what nbs/index.ipynb says"
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from make_readme import readme_text

def test_readme_in_sync_with_index():
    assert (ROOT/'README.md').read_text() == readme_text(ROOT/'nbs'/'index.ipynb'), 'run `python tools/make_readme.py`'

def test_readme_commands():
    text = (ROOT/'README.md').read_text()
    assert 'pip install torch==2.13.0 "torchvision==0.28.*"' in text
    assert 'fastcf train && fastcf recommend --user 1\n' in text and 'bash .ci/run' in text

def test_quarto_config_names_files_that_exist():
    "nbdev-docs (Quarto, on machines that have it) reads nbs/_quarto.yml: the stylesheet and metadata files it names are in nbs/"
    import yaml
    cfg = yaml.safe_load((ROOT/'nbs'/'_quarto.yml').read_text())
    css = cfg['format']['html'].get('css', [])
    named = [*([css] if isinstance(css, str) else css), *cfg.get('metadata-files', [])]
    assert named and [n for n in named if not (ROOT/'nbs'/n).exists()] == []
