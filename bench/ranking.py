"""Top-10 ranking on MovieLens with the MS Recommenders protocol: each user's ratings split 75/25 at random
(`StratifiedSplitter(0.25, seed=42)`), every item the user did not rate in training ranked, every held-out rating
relevant. Every model's scores go through ONE metric function, `fastcf.callbacks.evaluate_ranking`.

Rows: popularity; fastai's own `collab_learner` (fastbook recipe); fastcf's rating recipe (`fast_learner`);
fastcf's ranking models (`RankMF` with full softmax, sampled softmax, BPR; `MultDAE`; EASE; the ranking recipe `fast_ranker`);
and, when the `bench` extra is installed, `implicit` (ALS, BPR) and `cornac` (BPR, EASE; BiVAE with --bivae).

    python bench/ranking.py [--datasets ml-100k ml-latest-small] [--bivae] [--threads 2]
    python bench/ranking.py --tune    # how the ranking recipe's settings were chosen: NDCG@10 on validation splits
                                      # carved from the training interactions (StratifiedSplitter(0.25, seed=1), and
                                      # seed=2 for the low-pass filter), never the test rows
"""
import argparse, time, os, warnings, inspect
import torch
from fastcf.all import *
from fastai.collab import CollabDataLoaders, collab_learner as fastai_collab_learner

def _timed(f):
    t = time.perf_counter(); s = f()
    return s, time.perf_counter()-t

class Context:
    "The split of one dataset, and the learner whose data `evaluate_ranking` reads (vocabularies, train and held-out items)"
    def __init__(self, kind):
        self.kind = kind
        self.df = load_movielens(kind=kind, titles=False)
        self.trn,self.val = StratifiedSplitter(0.25, seed=42)(self.df)
        self.train = self.df.iloc[self.trn].reset_index(drop=True)
        self.dls = ImplicitDataLoaders.from_df(self.df, time_name='timestamp', splitter=lambda d: (self.trn, self.val))
        self.view = collab_view(self.dls)
        self.users = self.view.decode(torch.arange(1, self.view.n_users), 'user')
        self.items = self.view.decode(torch.arange(1, self.view.n_items), 'item')
        self.ctx = ranking_learner(self.dls, model=RankMF(self.view.n_users, self.view.n_items, 2))

    def matrix(self, score_fn):
        "A `[n_users, n_items]` score matrix in fastcf's code order from `score_fn(user_ids, item_ids) -> [len(users), len(items)]`"
        S = torch.full((self.view.n_users, self.view.n_items), -float('inf'))
        S[1:,1:] = torch.as_tensor(np.asarray(score_fn(self.users, self.items), dtype=np.float32))
        return S

    def evaluate(self, S, k=10):
        "THE metric function for every model: fastcf's `evaluate_ranking` on score matrix `S`"
        return evaluate_ranking(self.ctx, k, threshold=None, scorer=lambda u: S[u].clone())

def _reorder(scores, have, want):
    "Columns of `scores` (ids `have`) in the order of ids `want`; ids it lacks score -inf"
    pos = {o:i for i,o in enumerate(have)}
    idx = np.array([pos.get(o, -1) for o in want])
    out = np.full((scores.shape[0], len(want)), -np.inf, dtype=np.float32)
    out[:, idx>=0] = scores[:, idx[idx>=0]]
    return out

def popularity(c):
    cnt = c.train.item.value_counts()
    return lambda: c.matrix(lambda us, its: np.tile(cnt.reindex(its).fillna(0).values, (len(us), 1)))

def learner_scores(c, learn):
    "Scores of every (user, item) by a rating learner (fastai's or fastcf's) through fastcf's `score_items`"
    v = collab_view(learn)
    S = learn.score_items(c.users).numpy()
    return c.matrix(lambda us, its: _reorder(S, v.decode(torch.arange(v.n_items), 'item'), its))

def fastai_fastbook(c):
    def f():
        set_seed(42)
        dls = CollabDataLoaders.from_df(c.train[['user','item','rating']], bs=64, valid_pct=0.1, seed=42)
        learn = fastai_collab_learner(dls, n_factors=50, y_range=(0, 5.5))
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 5e-3, wd=0.1)
        return learn
    return f, lambda learn: learner_scores(c, learn)

def fastcf_rating(c):
    def f():
        set_seed(42)
        learn = fast_learner(c.train[['user','item','rating']], valid_pct=0.1, seed=42)
        with learn.no_bar(), learn.no_logging(): learn.fit_fast()
        return learn
    return f, lambda learn: learner_scores(c, learn)

def fastcf_ranker(c, loss, epochs, lr, wd, n_factors=64, bs=1024, model='mf'):
    def f():
        set_seed(42)
        learn = ranking_learner(c.dls, model=model, loss=loss, n_factors=n_factors)
        c.dls.train.bs = bs
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr, wd=wd)
        return learn
    return f, lambda learn: _score_all(learn)

def _score_all(learn):
    S = learn.score_items(collab_view(learn).decode(torch.arange(1, collab_view(learn).n_users), 'user'))
    return torch.cat([torch.full((1, S.shape[1]), -float('inf')), S])

def fastcf_ease(c, **kw):
    return (lambda: ranking_learner(c.dls, model='ease', **kw)), _score_all

def fastcf_recipe(c):
    # the recipe as a user calls it: from the frame of ratings with timestamps, our split
    return (lambda: fast_ranker(c.df, splitter=lambda d: (c.trn, c.val))), _score_all

def _csr(c):
    import scipy.sparse as sp
    v = c.view; x = v.codes(0).numpy()
    return sp.csr_matrix((np.ones(len(x), dtype=np.float32), (x[:,0], x[:,1])), shape=(v.n_users, v.n_items))

def implicit_model(c, kind):
    import implicit
    def f():
        X = _csr(c)
        m = (implicit.cpu.als.AlternatingLeastSquares(factors=64, regularization=0.05, alpha=2.0, iterations=15, random_state=42) if kind=='als'
             else implicit.cpu.bpr.BayesianPersonalizedRanking(factors=64, learning_rate=0.01, regularization=0.01, iterations=100, random_state=42))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore'); m.fit(X, show_progress=False)
        return m
    def s(m):
        S = torch.from_numpy(np.asarray(m.user_factors) @ np.asarray(m.item_factors).T).float()
        S[0] = -float('inf'); S[:,0] = -float('inf')
        return S
    return f, s

def cornac_model(c, kind):
    import cornac
    def f():
        ds = cornac.data.Dataset.from_uir(list(c.train[['user','item','rating']].itertuples(index=False, name=None)), seed=42)
        m = {'bpr': lambda: cornac.models.BPR(k=200, max_iter=100, learning_rate=0.01, lambda_reg=0.001, seed=123, verbose=False),
             'ease': lambda: cornac.models.EASE(lamb=500, verbose=False),
             'bivae': lambda: cornac.models.BiVAECF(k=50, encoder_structure=[100], act_fn='tanh', likelihood='pois', n_epochs=500,
                                                    batch_size=128, learning_rate=0.001, seed=42, use_gpu=False, verbose=False)}[kind]()
        m.fit(ds)
        return m,ds
    def s(md):
        m,ds = md
        S = np.stack([np.asarray(m.score(ds.uid_map[u])).reshape(-1) for u in c.users])
        inv = [None]*len(ds.iid_map)
        for raw,i in ds.iid_map.items(): inv[i] = raw
        return c.matrix(lambda us, its: _reorder(S, inv, its))
    return f, s

def tune(kind, lams=(200., 400., 800.), taus=(60., 600., 3600.), betas=(0., 1., 2., 4.)):
    "NDCG@10 of time-aware EASE for each (tau, beta, lam) on a validation split of the training interactions"
    df = load_movielens(kind=kind, titles=False)
    trn,_ = StratifiedSplitter(0.25, seed=42)(df)
    dls = ImplicitDataLoaders.from_df(df.iloc[trn].reset_index(drop=True), time_name='timestamp', splitter=StratifiedSplitter(0.25, seed=1))
    view = collab_view(dls); x = view.codes(0)
    G0,res = interaction_gram(x, view.n_items),{}
    for tau in taus:
        Gt = time_gram(x, view.times(0), view.n_items, tau)
        for beta in betas:
            if beta==0 and tau!=taus[0]: continue  # (beta 0 is plain EASE, whatever tau)
            for lam in lams:
                learn = ranking_learner(dls, model=EASE(csr_of(x, view.n_users), view.n_items, lam, G0 + beta*Gt))
                with learn.no_bar(): res[(tau, beta, lam)] = learn.validate()[1]
                print(f"{kind} validation: tau {tau:>6.0f} s, beta {beta}, lambda {lam:>4.0f}: NDCG@10 {res[(tau, beta, lam)]:.4f}", flush=True)
    (tau,beta,lam),best = max(res.items(), key=lambda o: o[1])
    print(f"{kind} validation: best tau {tau:.0f} s, beta {beta}, lambda {lam:.0f}: NDCG@10 {best:.4f}; "
          f"the recipe's (60 s, 2, 400): {res.get((60., 2., 400.), float('nan')):.4f}; plain EASE at lambda 400: {res[(taus[0], 0., 400.)]:.4f}")

def tune_low_pass(kinds, seeds=(1, 2), alphas=(0.25, 0.375), ranks=(24, 32, 48), weights=(0.15, 0.2, 0.3)):
    "NDCG@10 of the recipe's time-aware EASE with the low-pass filter blended in, for each (alpha, rank, weight), on validation splits of each dataset"
    gain = {}
    for kind in kinds:
        df = load_movielens(kind=kind, titles=False)
        trn,_ = StratifiedSplitter(0.25, seed=42)(df)
        for seed in seeds:
            dls = ImplicitDataLoaders.from_df(df.iloc[trn].reset_index(drop=True), time_name='timestamp', splitter=StratifiedSplitter(0.25, seed=seed))
            view = collab_view(dls); x = view.codes(0); rated = csr_of(x, view.n_users)
            G = time_gram(x, view.times(0), view.n_items, RANK_RECIPE['tau'], RANK_RECIPE['beta'], plain=1.)
            def ndcg(**kw):
                learn = ranking_learner(dls, model=EASE(rated, view.n_items, RANK_RECIPE['lam'], G, **kw))
                with learn.no_bar(): return learn.validate()[1]
            base = ndcg()
            print(f"{kind} validation (seed {seed}): time-aware EASE alone: NDCG@10 {base:.4f}", flush=True)
            for a in alphas:
                for r in ranks:
                    for w in weights:
                        v = ndcg(rank=r, low_pass=w, alpha=a)
                        gain.setdefault((a, r, w), {}).setdefault(kind, []).append(v-base)
                        print(f"{kind} validation (seed {seed}): alpha {a}, rank {r}, weight {w}: NDCG@10 {v:.4f} ({v-base:+.4f})", flush=True)
    total = {k: sum(np.mean(g) for g in v.values()) for k,v in gain.items()}
    for (a,r,w),t in sorted(total.items(), key=lambda o: -o[1]):
        print(f"alpha {a}, rank {r}, weight {w}: mean gain " + ", ".join(f"{k} {np.mean(g):+.4f}" for k,g in gain[(a,r,w)].items()) + f"; summed {t:+.4f}")
    (a,r,w),t = max(total.items(), key=lambda o: o[1])
    print(f"low-pass filter: best summed validation gain alpha {a}, rank {r}, weight {w} ({t:+.4f}); the recipe's: alpha {inspect.signature(EASE).parameters['alpha'].default}, rank {RANK_RECIPE['rank']}, weight {RANK_RECIPE['low_pass']}")

def _have(mod):
    try: __import__(mod); return True
    except ImportError: return False

def rows(c, bivae):
    "(name, fit, to scores) of every model in the benchmark"
    res = [('most popular', lambda: None, lambda _: popularity(c)()),
           ("fastai collab_learner (fastbook recipe)", *fastai_fastbook(c)),
           ('fastcf fast_learner (rating recipe)', *fastcf_rating(c)),
           ('fastcf RankMF, full softmax', *fastcf_ranker(c, 'softmax', 20, 3e-3, 0.3)),
           ('fastcf RankMF, sampled softmax + logQ (64 neg.)', *fastcf_ranker(c, SampledSoftmaxLoss(64), 10, 3e-3, 0.3)),
           ('fastcf RankMF, BPR', *fastcf_ranker(c, 'bpr', 20, 3e-3, 0.01)),
           ('fastcf Mult-DAE (200, full softmax)', *fastcf_ranker(c, 'softmax', 10, 3e-3, 0., n_factors=200, model='dae')),
           ('fastcf EASE (lambda 400)', *fastcf_ease(c, lam=400.)),
           ('fastcf fast_ranker (ranking recipe)', *fastcf_recipe(c))]
    if _have('implicit'): res += [('implicit ALS', *implicit_model(c, 'als')), ('implicit BPR', *implicit_model(c, 'bpr'))]
    else: res += [('implicit ALS', None, None), ('implicit BPR', None, None)]
    if _have('cornac'):
        res += [('cornac BPR', *cornac_model(c, 'bpr')), ('cornac EASE', *cornac_model(c, 'ease'))]
        if bivae: res += [('cornac BiVAE', *cornac_model(c, 'bivae'))]
    else: res += [('cornac BPR', None, None), ('cornac EASE', None, None)]
    return res

def run(kind, bivae):
    c = Context(kind)
    print(f"\n{kind}: {len(c.trn):,} training and {len(c.val):,} held-out interactions, {c.view.n_users-1} users, {c.view.n_items-1} items")
    print(f"{'model':<48} {'NDCG@10':>8} {'P@10':>7} {'R@10':>7} {'MAP@10':>7} {'fit s':>7}")
    out = {}
    for name,fit,scores in rows(c, bivae):
        if fit is None: print(f"{name:<48} {'n/a (not installed: pip install fastcf[bench])':>40}"); continue
        m,secs = _timed(fit)
        r = c.evaluate(scores(m))
        out[name] = (r, secs)
        print(f"{name:<48} {r['ndcg']:8.4f} {r['precision']:7.4f} {r['recall']:7.4f} {r['map']:7.4f} {secs:7.2f}", flush=True)
    return out

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--datasets', nargs='+', default=['ml-100k','ml-latest-small'])
    p.add_argument('--bivae', action='store_true', help="add cornac's BiVAE (minutes)")
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--tune', action='store_true', help="print the validation grid the ranking recipe was chosen on, and stop")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for m in ('fastai', 'implicit', 'torch'): warnings.filterwarnings('ignore', module=m)  # (pandas deprecations in fastai, implicit's BLAS-threads advice)
    print(f"torch threads: {a.threads}")
    if a.tune:
        for kind in a.datasets: tune(kind)
        tune_low_pass(a.datasets)
        raise SystemExit
    res = {kind: run(kind, a.bivae) for kind in a.datasets}
    if 'ml-100k' in res:
        r = res['ml-100k']
        ours = r['fastcf fast_ranker (ranking recipe)'][0]['ndcg']
        name,best = max(((n,v[0]['ndcg']) for n,v in r.items() if not n.startswith('fastcf')), key=lambda o: o[1])
        print(f"ranking: fastcf {ours:.4f} vs best other {best:.4f} ({name}) on ml-100k")
