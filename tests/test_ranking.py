"Ranking learners end to end: export/load keeps the lists, `recommend` gives the lists the metrics score, and bad input is named"
import sys
from pathlib import Path
import pandas as pd, numpy as np, torch, pytest
from fastcf.all import *
from fastai.callback.tracker import EarlyStoppingCallback, SaveModelCallback
for _n in [n for n in list(globals()) if n.startswith('test')]: del globals()[_n]  # (fastcore's test_* helpers are not tests)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))
from fold_in_ranking import ndcg as list_ndcg  # (NDCG@10 of a list, as bench/fold_in_ranking.py scores fold-ins)

@pytest.fixture(scope='module')
def inter(): return synthetic_interactions(n_users=200, n_items=120, per_user=20, seed=1)

def _trained(inter, model):
    "A `ranking_learner` of `model` ('mf' or 'dae') trained for 3 epochs"
    dls = ImplicitDataLoaders.from_df(inter, bs=128, seed=0)
    set_seed(0)
    learn = ranking_learner(dls, model=model, n_factors=8)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 0.05 if model=='mf' else 3e-3)
    return learn

@pytest.mark.parametrize('kind', ['mf', 'ease', 'dae'])
def test_export_load_same_top10(inter, kind, tmp_path):
    learn = fast_ranker(inter, bs=128, seed=0) if kind=='ease' else _trained(inter, kind)
    users = list(inter.user.unique()[:20])
    before = learn.recommend_many(users, 10)
    learn.path = tmp_path
    learn.export('r.pkl')
    back = load_collab_learner(tmp_path/'r.pkl')
    after = back.recommend_many(users, 10)
    assert before[['user','rank','item']].equals(after[['user','rank','item']])
    np.testing.assert_allclose(before.score.values, after.score.values, rtol=1e-5)
    assert back.recommend('somebody new', 5).reason.iloc[0]=='cold start: popularity' if kind=='ease' else len(back.recommend('somebody new', 5))==5
    if kind=='ease':  # its item table is popularity: no bias table made of it
        with pytest.raises(ValueError, match="EASE learns no biases: its item table is how often each item was chosen"): CollabInterpretation.from_learner(back).biases()

def test_recommend_gives_the_scored_lists(inter):
    learn = fast_ranker(inter, bs=128, seed=0)
    view = collab_view(learn)
    u = view.decode(torch.arange(1, 6), 'user')
    rec = learn.recommend_many(u, 10)
    S = learn.score_items(u)
    seen = set(map(tuple, view.codes(0).tolist())) | set(map(tuple, view.codes(1).tolist()))
    for r,uid in enumerate(u):
        code = r+1
        s = S[r].clone(); s[0] = -float('inf')
        for i in range(len(s)):
            if (code, i) in seen: s[i] = -float('inf')
        assert rec[rec.user==uid].item.tolist()==view.decode(s.topk(10).indices, 'item')

@pytest.mark.parametrize('kind', ['mf', 'dae'])
def test_fold_in_a_few_items(inter, kind):
    learn = _trained(inter, kind)
    res = learn.recommend('new', 5, ratings=pd.DataFrame({'item': [inter.item.iloc[0], inter.item.iloc[1]]}))
    assert len(res)==5 and (res.reason=='fold-in').all()
    assert not set(res.item) & {inter.item.iloc[0], inter.item.iloc[1]}
    pd.testing.assert_frame_equal(learn.recommend("new", 5, ratings=[inter.item.iloc[0], inter.item.iloc[1]]), res)  # (her items as a list: the same list)

def test_fold_in_pulls_towards_the_average_user():
    "A few items cannot pin a new user down: pulled towards the average user, RankMF's fold-in ranks her other items better than without the pull, and than the average user"
    inter = synthetic_interactions(n_users=300, n_items=120, per_user=20, seed=1)
    cold = inter.user.unique()[-30:]
    learn = _trained(inter[~inter.user.isin(cold)], 'mf')
    view = collab_view(learn)
    def ndcg(u, **kw):
        it = view.encode_ids(inter[inter.user==u].sample(frac=1, random_state=0).item.values, 'item')
        s = learn.model.fold_in_scores(it[:3], **kw).clone(); s[0] = s[it[:3]] = -float('inf')
        return list_ndcg(s.topk(10).indices.tolist(), set(it[3:].tolist()))  # (17 of her items left: the ideal list is 10 hits, as before)
    res = {name: np.mean([ndcg(u, **kw) for u in cold]) for name,kw in (('default', {}), ('no pull', dict(wd=0.)), ('average user', dict(wd=1e9)))}
    assert res['default'] > res['no pull'] + 0.03 and res['default'] > res['average user'] + 0.1, res
    with pytest.raises(ValueError, match="wd=-1"): learn.recommend('new', 5, ratings=pd.DataFrame({'item': [inter.item.iloc[0]]}), wd=-1)
    cold_list = learn.recommend('nobody', 5)  # (no items: the average user's list, not the learned item bias's)
    m = learn.model
    s = (m.user_factors.weight[1:].mean(0) @ m.item_factors.weight.t() + m.item_bias.weight[:,0]).detach(); s[0] = -float('inf')
    assert (cold_list.reason=='cold start: average user').all() and list(cold_list.item)==list(view.decode(s.topk(5).indices, 'item'))

def test_bad_input(inter):
    learn = fast_ranker(inter, bs=128, seed=0)
    with pytest.raises(KeyError, match=r"unknown user\(s\).*'nobody'"): learn.recommend_many(['nobody'])
    with pytest.raises(KeyError, match=r"history names 1 item\(s\) the model never saw: \[1000000\]"): learn.recommend('new', 5, ratings=pd.DataFrame({'item': [10**6]}))
    with pytest.raises(ValueError, match="history is empty"): learn.recommend('new', 5, ratings=pd.DataFrame({'item': []}))
    with pytest.raises(ValueError, match=r"k=500 is more than the \d+ items of the catalogue"): ranking_learner(learn.dls, model='ease', k=500)
    with pytest.raises(ValueError, match="k=500 is more than"): evaluate_ranking(learn, 500, threshold=None)
    rated = inter.assign(rating=3.)
    with pytest.raises(ValueError, match=r"threshold=4 leaves no interactions: the highest rating is 3"):
        ImplicitDataLoaders.from_df(rated, rating_name='rating', threshold=4)
    with pytest.raises(TypeError, match="ranking_learner trains on ImplicitDataLoaders"):
        ranking_learner(FastCollabDataLoaders.from_df(rated, bs=64))
    with pytest.raises(ValueError, match="loss='warp': needs one of 'softmax', 'sampled', 'bpr' or a module"): ranking_learner(learn.dls, loss='warp')
    with pytest.raises(ValueError, match="nothing to fit"): learn.fit(1)
    with pytest.raises(ValueError, match="tau needs the interactions' timestamps"): ranking_learner(learn.dls, model='ease', tau=60.)

def test_losses_set_the_batches(inter):
    dls = ImplicitDataLoaders.from_df(inter, bs=128, seed=0)
    ranking_learner(dls, loss='bpr'); x,y = dls.one_batch()
    assert x.shape==(128, 3) and y.shape==(128, 2)
    ranking_learner(dls, loss=SampledSoftmaxLoss(16)); x,y = dls.one_batch()
    assert x.shape==(128, 18)
    ranking_learner(dls, loss='softmax'); x,y = dls.one_batch()
    assert x.shape==(128, 1) and y.shape==(128,)

def test_fastai_training_tools(inter, tmp_path):
    "lr_find, discriminative learning rates, EarlyStoppingCallback and SaveModelCallback on the NDCG metric"
    dls = ImplicitDataLoaders.from_df(inter, bs=128, seed=0)
    learn = ranking_learner(dls, n_factors=8, path=tmp_path)
    with learn.no_bar(), learn.no_logging(): sug = learn.lr_find(show_plot=False)
    assert sug.valley > 0
    assert len(learn.opt.param_groups)==2  # tables, then the item bias
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(3, slice(1e-3, 1e-2), cbs=[EarlyStoppingCallback(monitor='ndcg@10', comp=np.greater, patience=5),
                                                      SaveModelCallback(monitor='ndcg@10', comp=np.greater, fname='best')])
    lrs = [h['lr'] for h in learn.opt.hypers]
    assert lrs[0] < lrs[1]
    assert (tmp_path/'models'/'best.pth').exists()
    best = max(v[2] for v in learn.recorder.values)
    with learn.no_bar(): assert abs(learn.validate()[1] - best) < 1e-6  # SaveModelCallback loaded the best epoch
