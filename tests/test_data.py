"End-to-end and bad-input tests of data loading and the fast loaders"
import warnings
import numpy as np, pandas as pd, pytest, torch
from fastai.collab import CollabDataLoaders, collab_learner
from fastai.learner import load_learner
from fastai.data.external import untar_data, URLs
from fastcf.data import load_movielens
from fastcf.loaders import FastCollabDataLoaders

def test_untar_data_offline(fastai_home):
    p = untar_data(URLs.ML_100k)
    assert p == fastai_home/'data'/'ml-100k' or p.name == 'ml-100k'
    assert (p/'u.data').exists()

def test_movielens_shapes(ml100k):
    assert len(ml100k) == 100_000
    assert (ml100k.user.nunique(), ml100k.item.nunique()) == (943, 1682)
    small = load_movielens(kind='ml-latest-small')
    assert len(small) == 100_836 and small.title.notna().all()

def test_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match='no_such'): load_movielens(tmp_path/'no_such')
    with pytest.raises(FileNotFoundError, match='u.data'): load_movielens(tmp_path)
    with pytest.raises(FileNotFoundError, match='ratings.csv'): load_movielens(tmp_path, kind='ml-latest-small')
    with pytest.raises(ValueError, match="'ml-20m'"): load_movielens(kind='ml-20m')

@pytest.fixture
def tiny(): return pd.DataFrame({'u':['a','a','b','c'], 'i':['x','y','x','z'], 'r':[5.,4,1,3]})

@pytest.mark.parametrize('change,exc,msg', [
    (lambda d: d.iloc[:0], ValueError, 'empty'),
    (lambda d: d.drop(columns='r'), KeyError, "rating column 'r' not found"),
    (lambda d: d.drop(columns='i'), KeyError, "item column 'i' not found"),
    (lambda d: d.assign(r=[5, np.nan, 1, 3]), ValueError, "rating column 'r' has 1 missing"),
    (lambda d: d.assign(r=['5', '4', 'x', '3']), ValueError, "value 'x' at row 2"),
    (lambda d: d.assign(u=['a', None, 'b', 'c']), ValueError, "user column 'u' has 1 missing"),
    (lambda d: d.assign(i=['x', 'y', np.nan, 'z']), ValueError, "item column 'i' has 1 missing"),
])
def test_bad_input(tiny, change, exc, msg):
    with pytest.raises(exc, match=msg): FastCollabDataLoaders.from_df(change(tiny), user_name='u', item_name='i', rating_name='r')

def test_boolean_ratings(tiny):
    "Ratings given as booleans (liked or not) are ratings of 1 and 0, as fastai reads them: not an error"
    dls = FastCollabDataLoaders.from_df(tiny.assign(r=[True, False, True, True]), user_name='u', item_name='i', rating_name='r', valid_pct=0, bs=2)
    assert sorted(dls.train_ds.y.view(-1).tolist()) == [0., 1., 1., 1.]

def test_duplicates(tiny):
    d = pd.concat([tiny, tiny.iloc[[0]].assign(r=2.)], ignore_index=True)
    with pytest.raises(ValueError, match=r"1 duplicate \(u, i\) pair\(s\), e.g. \('a', 'x'\)"):
        FastCollabDataLoaders.from_df(d, duplicates='error')
    with pytest.warns(UserWarning, match="kept as separate ratings, as fastai keeps them; pass duplicates='mean' or 'last'"):
        dls = FastCollabDataLoaders.from_df(d, valid_pct=0, seed=0, bs=2)
    ys = lambda dls: sorted(torch.cat([dls.train.dataset.y, dls.valid.dataset.y]).flatten().tolist())
    assert ys(dls) == [1., 2., 3., 4., 5.]  # both (a, x) ratings kept, as fastai keeps them
    with pytest.warns(UserWarning, match='keeping the last rating'):
        assert ys(FastCollabDataLoaders.from_df(d, valid_pct=0, seed=0, bs=2, duplicates='last')) == [1., 2., 3., 4.]  # 5 replaced by the last, 2
    with pytest.warns(UserWarning, match='keeping the mean rating'):
        assert ys(FastCollabDataLoaders.from_df(d, valid_pct=0, seed=0, bs=2, duplicates='mean')) == [1., 3., 3.5, 4.]  # (5 + 2) / 2

def test_unknown_ids(ml100k):
    dls = FastCollabDataLoaders.from_df(ml100k, bs=64, seed=42)
    with pytest.raises(KeyError, match=r'unknown item\(s\).*\[123456\]'):
        dls.test_dl(pd.DataFrame({'user': [1], 'item': [123456]}))

def test_same_split_and_vocab_as_fastai(ml100k):
    ours = FastCollabDataLoaders.from_df(ml100k, bs=64, seed=7, vocab='train')
    theirs = CollabDataLoaders.from_df(ml100k, bs=64, seed=7)
    for n in ('user', 'item'): assert list(ours.classes[n]) == list(theirs.classes[n])
    assert torch.equal(ours.valid.dataset.x.long(), torch.tensor(theirs.valid_ds.items[['user','item']].values))
    assert torch.equal(ours.train.dataset.x.long(), torch.tensor(theirs.train_ds.items[['user','item']].values))

def test_export_load_roundtrip(ml100k, tmp_path):
    dls = FastCollabDataLoaders.from_df(ml100k, bs=256, seed=42, path=tmp_path)
    learn = collab_learner(dls, n_factors=8, y_range=(0, 5.5))
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-2)
    learn.export('m.pkl')
    new = load_learner(tmp_path/'m.pkl')
    assert new.dls.classes['item'] == dls.classes['item']
    test = ml100k.iloc[:500]
    p1,_ = learn.get_preds(dl=learn.dls.test_dl(test))
    p2,_ = new.get_preds(dl=new.dls.test_dl(test))
    assert torch.equal(p1, p2)
