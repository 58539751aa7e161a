"The course's models on real ML-100k data (offline FASTAI_HOME), 80/20 random split, seed 42, fastbook recipe"
import sys
from pathlib import Path
import pytest
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))
from models import fit
from fastcf.loaders import FastCollabDataLoaders

@pytest.fixture(scope='module')
def dls(ml100k): return FastCollabDataLoaders.from_df(ml100k[['user','item','rating']], bs=64, seed=42)

@pytest.mark.parametrize('model,limit', [('dot_bias', 0.83), ('params', 0.83), ('nn', 0.87)])
def test_fastbook_recipe(dls, model, limit):
    _,mse = fit(dls, model)
    assert mse <= limit, f'{model}: valid MSE {mse:.4f} > {limit}'
