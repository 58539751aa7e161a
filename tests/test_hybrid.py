"Hybrid models on ML-100k's real features end to end: cold start from features, export/load, fastai's own loaders, and bad feature tables named"
import sys
from pathlib import Path
import pandas as pd, numpy as np, torch, pytest
from fastcf.all import *
from fastai.collab import CollabDataLoaders
from fastai.tabular.core import Categorify, Normalize
for _n in [n for n in list(globals()) if n.startswith('test')]: del globals()[_n]  # (fastcore's test_* helpers are not tests)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))
from fold_in_ranking import ndcg as list_ndcg  # (NDCG@10 of a list, as bench/fold_in_ranking.py scores fold-ins)

@pytest.fixture(scope='module')
def ml(ml100k):
    users,items = movielens_features()
    new = np.sort(np.random.RandomState(0).permutation(items.index.values)[:100])
    cold = ml100k.item.isin(new)
    return ml100k[~cold].reset_index(drop=True),ml100k[cold].reset_index(drop=True),users,items.drop(columns='title'),new

@pytest.fixture(scope='module')
def trained(ml):
    warm,_,users,items,_ = ml
    set_seed(0)
    dls = FastCollabDataLoaders.from_df(warm[['user','item','rating']], bs=1024, seed=0)
    learn = hybrid_learner(dls, users=users, items=items, n_factors=16, id_drop=0.5)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(4, 1e-2, wd=0.3)
    return learn

def test_new_items_beat_the_global_mean(ml, trained):
    warm,cold,_,items,new = ml
    s = trained.new_item_scores(items.loc[new])
    assert s.shape==(943, 100) and list(s.columns)==list(new)
    pred = s.values[s.index.get_indexer(cold.user), s.columns.get_indexer(cold.item)]
    rmse,base = np.sqrt(((pred-cold.rating)**2).mean()),np.sqrt(((warm.rating.mean()-cold.rating)**2).mean())
    assert rmse < base - 0.05, (rmse, base)

def test_export_load_keeps_the_feature_processing(ml, trained, tmp_path):
    _,cold,users,items,new = ml
    trained.path = tmp_path
    trained.export('h.pkl')
    back = load_collab_learner(tmp_path/'h.pkl')
    pd.testing.assert_frame_equal(back.new_item_scores(items.loc[new]), trained.new_item_scores(items.loc[new]))
    u = users.loc[[5]]
    pd.testing.assert_frame_equal(back.recommend(10**6, 10, features=u), trained.recommend(10**6, 10, features=u))
    pairs = ml[0][['user','item']].iloc[:50]
    np.testing.assert_allclose(back.predict_ratings(pairs), trained.predict_ratings(pairs))

def test_new_user_from_demographics_and_fold_in(ml, trained):
    _,_,users,_,_ = ml
    u = users.loc[[1]]
    cold = trained.recommend(10**6, 10, features=u)
    assert list(cold.reason.unique())==['features'] and len(cold)==10
    mine = pd.DataFrame({'item': [50, 172, 181], 'rating': [5., 5., 5.]})
    folded = trained.recommend(10**6, 10, features=u, ratings=mine)
    assert list(folded.reason.unique())==['features + fold-in'] and not set(folded.item) & {50, 172, 181}

@pytest.fixture(scope='module')
def tabular(ml):
    warm,_,users,items,_ = ml
    set_seed(0)
    dls = FastCollabDataLoaders.from_df(warm[['user','item','rating']], bs=1024, seed=0)  # (the same loaders as `trained`'s: they blend)
    learn = hybrid_learner(dls, users=users, items=items, model='tabular', layers=[32])
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 1e-2)
    return learn

def test_tabular_folds_a_new_user_in_after_export(ml, tabular, tmp_path):
    users,learn = ml[2],tabular
    learn.path = tmp_path
    learn.export('t.pkl')
    back = load_collab_learner(tmp_path/'t.pkl')
    u,mine = users.loc[[1]],pd.DataFrame({'item': [50, 172, 181], 'rating': [1., 1., 1.]})
    folded = back.recommend(10**6, 2000, features=u, ratings=mine, exclude_seen=False)
    pd.testing.assert_frame_equal(folded, learn.recommend(10**6, 2000, features=u, ratings=mine, exclude_seen=False))
    assert list(folded.reason.unique())==['features + fold-in']
    cold = back.recommend(10**6, 2000, features=u, exclude_seen=False).set_index('item').score
    f = folded.set_index('item').score
    assert (f[[50, 172, 181]] < cold[[50, 172, 181]] - 0.5).all(), (f[[50, 172, 181]], cold[[50, 172, 181]])  # her 1-star ratings pulled those down

def test_blend_of_hybrids_folds_a_new_user_in_after_export(ml, trained, tabular, tmp_path):
    users = ml[2]
    bl = blend_learner([trained, tabular], weights=[3, 1])
    bl.path = tmp_path
    bl.export('b.pkl')
    back = load_collab_learner(tmp_path/'b.pkl')
    u,mine = users.loc[[1]],pd.DataFrame({'item': [50, 172, 181], 'rating': [5., 5., 1.]})
    rec = lambda l: l.recommend(10**6, 2000, features=u, ratings=mine, exclude_seen=False)
    folded = rec(back)
    pd.testing.assert_frame_equal(folded, rec(bl))
    assert list(folded.reason.unique())==['features + fold-in']
    each = [rec(l).set_index('item').score for l in (trained, tabular)]  # each member folds her in from its own start
    np.testing.assert_allclose(folded.set_index('item').score.sort_index(), ((3*each[0] + each[1])/4).sort_index(), rtol=1e-5, atol=1e-5)

def test_fastai_loaders_work(ml):
    warm,_,users,items,new = ml
    dls = CollabDataLoaders.from_df(warm[['user','item','rating']].iloc[:20000], bs=256, seed=0)
    learn = hybrid_learner(dls, items=items, model='tabular', layers=[16])
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    assert learn.new_item_scores(items.loc[new[:3]], users=[1, 2]).shape==(2, 3)

def test_bad_feature_tables_are_named(ml):
    warm,_,users,items,_ = ml
    dls = FastCollabDataLoaders.from_df(warm[['user','item','rating']], bs=1024, seed=0)
    with pytest.raises(KeyError, match=r"1 user\(s\) of the ratings have no row of features: \[7\]"): hybrid_learner(dls, users=users.drop(index=7))
    no_age = users.assign(age=users.age.astype(float)); no_age.loc[3, 'age'] = np.nan
    with pytest.raises(ValueError, match=r"'age' is missing \(NaN\) for 1 user\(s\): \[3\]"):
        FeatureTable(no_age, collab_view(dls).vocab('user'), 'user', procs=[Categorify, Normalize])
    with pytest.raises(KeyError, match="none of the item feature table's ids"): hybrid_learner(dls, items=items.set_index('x'+items.index.astype(str)))
    learn = hybrid_learner(dls, users=users)
    with pytest.raises(ValueError, match=r"'occupation' has value\(s\) \['astronaut'\]"):
        learn.recommend(10**6, features=users.loc[[1]].assign(occupation='astronaut'))
    with pytest.raises(ValueError, match="has no item features"): learn.new_item_scores(items.iloc[:2])
    with pytest.raises(ValueError, match="needs features"): hybrid_learner(dls)

def test_ranking_hybrid_folds_a_few_items_in(ml100k):
    "A softmax HybridMF with demographics folds 5 items of each of 60 new ML-100k users in: her other items rank better than from her features alone, and than with a ten times stronger pull (NDCG@10 0.619, 0.566, 0.575)"
    users,_ = movielens_features()
    cold = np.random.RandomState(0).permutation(ml100k.user.unique())[:60]
    train = ml100k[~ml100k.user.isin(cold)][['user','item']]
    feats = users.copy()  # (a new user's zip prefix that no training user has is given as missing)
    for c in ('gender','occupation','zip_prefix'): feats.loc[~feats[c].isin(users.loc[train.user.unique(), c]), c] = np.nan
    set_seed(0)
    learn = hybrid_learner(ImplicitDataLoaders.from_df(train, bs=1024, seed=0), users=feats, n_factors=32, id_drop=0.)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(10, 3e-3, wd=1.)
    known = ml100k[ml100k.item.isin(train.item)]
    mine = {u: known[known.user==u].sample(frac=1, random_state=0).item for u in cold}  # (her first 5 revealed, the rest relevant)
    def ndcg(u, fold, **kw):
        five,hits = mine[u].iloc[:5],set(mine[u].iloc[5:])
        rec = learn.recommend(u, 15, features=feats.loc[[u]], ratings=five.to_frame() if fold else None, **kw).item
        return list_ndcg(list(rec[~rec.isin(five)]), hits)  # (the 5 are never ranked)
    res = {name: np.mean([ndcg(u, fold, **kw) for u in cold]) for name,fold,kw in (('features', False, {}), ('default', True, {}), ('wd 0.3', True, dict(wd=0.3)))}
    assert res['default'] > res['features'] + 0.03 and res['default'] > res['wd 0.3'] + 0.02, res
    with pytest.raises(ValueError, match=r"wd=-1.*her feature-based start"): learn.recommend(10**6, 5, features=feats.loc[[cold[0]]], ratings=mine[cold[0]].iloc[:5].to_frame(), wd=-1)

def test_no_torch_not_writable_warning(ml, tmp_path):
    "A feature table with one continuous column, the view of fastai's loaders, or `rating_values` of a Series gave torch's 'NumPy array is not writable' warning (pandas' arrays are read-only); torch says it once a process, so each runs in a fresh one"
    import subprocess
    code = ("import warnings; warnings.filterwarnings('error', message='The given NumPy array')\n"
            "import pandas as pd\n"
            "from fastcf.features import FeatureTable\nfrom fastcf.loaders import make_vocab\n"
            "FeatureTable(pd.DataFrame({'year': [1990., 1995, 2000]}, index=[1, 2, 3]), make_vocab(pd.Series([1, 2, 3])), 'item')\n"
            "from fastcf.view import _read_split\nfrom fastai.tabular.all import TabularPandas, Categorify\n"
            "to = TabularPandas(pd.DataFrame({'user': [1, 2], 'item': [3, 4], 'rating': [4., 5.]}), [Categorify], cat_names=['user','item'], y_names='rating')\n"
            "_read_split(to.train, ['user','item'], 'rating')\n"
            "from fastcf.models import rating_values\nrating_values(pd.Series([1., 2, 2], dtype='float32'))\n"
            "print('quiet')\n")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == 'quiet', r.stderr[-2000:]
