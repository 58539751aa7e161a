"Make `untar_data(URLs.ML_100k)` work offline: a temporary FASTAI_HOME whose data/ links to the shared MovieLens copies"
import os, tempfile
from pathlib import Path
import pytest

SHARED = Path(os.environ.get('FASTCF_SHARED_DATA', Path(__file__).resolve().parents[1].parent/'shared'/'data'))

def offline_fastai_home(root):
    "Create `root/data/<release>` links to the shared MovieLens folders and return `root`"
    data = Path(root)/'data'
    data.mkdir(parents=True, exist_ok=True)
    for name in ('ml-100k', 'ml-latest-small'):
        if (SHARED/name).exists() and not (data/name).exists(): (data/name).symlink_to(SHARED/name)
    return Path(root)

@pytest.fixture(scope='session', autouse=True)
def fastai_home():
    "Point FASTAI_HOME at an offline copy unless the caller already set one"
    if os.environ.get('FASTAI_HOME'): yield Path(os.environ['FASTAI_HOME']); return
    with tempfile.TemporaryDirectory() as d:
        os.environ['FASTAI_HOME'] = str(offline_fastai_home(d))
        yield Path(d)
        del os.environ['FASTAI_HOME']

@pytest.fixture(scope='session')
def ml100k(fastai_home):
    from fastcf.data import load_movielens
    return load_movielens()
