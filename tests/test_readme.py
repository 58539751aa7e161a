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
