"""Stock fastai's collab recipe vs fastcf's fast recipe vs Surprise's SVD on ML-100k, same 80/20 random split (seed 42),
in one run: wall time (building the loaders included) and valid MSE of each, and the ratios.

- fastai: `CollabDataLoaders` + fastai's `collab_learner`, 50 factors, y_range (0, 5.5), bs 64, `fit_one_cycle(5, 5e-3, wd=0.1)`
- fastcf: `fast_learner` + `fit_fast` (see `fastcf.recipes`): `SVDpp` (30 factors), `LazyAdam`, per-rating L2, bs 3072, 8 epochs
- Surprise: `SVD()` with its defaults (Cython SGD), fitted on the same training ratings

    python bench/speed.py [--seed 42] [--threads 2]
    python bench/speed.py --sweep   # the fast recipe's valid MSE over 8 training seeds, nearby batch sizes, dot_bias, item_prior 0,
                                    # fastai's momentums and fastbook's y_range
"""
import argparse, time
from fastai.collab import CollabDataLoaders, collab_learner as fastai_collab_learner
from fastcf.all import *

def stock_fastai(ratings, seed):
    t = time.perf_counter()
    dls = CollabDataLoaders.from_df(ratings, bs=64, seed=seed)
    set_seed(seed)
    learn = fastai_collab_learner(dls, n_factors=50, y_range=(0,5.5))
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 5e-3, wd=0.1)
    secs = time.perf_counter()-t
    with learn.no_bar(): return secs, learn.validate()[0]

def fastcf_fast(ratings, seed, train_seed=None, moms=None, **kw):
    t = time.perf_counter()
    if train_seed is not None: set_seed(train_seed)
    learn = fast_learner(ratings, seed=seed, **kw)
    with learn.no_bar(), learn.no_logging(): learn.fit_fast(**({} if moms is None else dict(moms=moms)))
    secs = time.perf_counter()-t
    with learn.no_bar(): return secs, learn.validate()[0]

def sweep(ratings, seed):
    "Valid MSE of the fast recipe (split `seed`) over training seeds 0-7, at nearby batch sizes, with `dot_bias`, each with and without `item_prior`"
    def mse(train_seed=seed, **kw): return fastcf_fast(ratings, seed, train_seed, **kw)[1]
    for prior in (FAST_RECIPE['item_prior'], 0.):
        for bs in (3072, 2048, 4096):
            ms = [mse(s, item_prior=prior, bs=bs) for s in range(8)]
            print(f"item_prior {prior:g}, bs {bs}: valid MSE {min(ms):.4f} to {max(ms):.4f} over training seeds 0-7", flush=True)
        print(f"item_prior {prior:g}, dot_bias: valid MSE {mse(item_prior=prior, model='dot_bias'):.4f} (30 factors), "
              f"{mse(item_prior=prior, model='dot_bias', n_factors=40):.4f} (40 factors)", flush=True)
    fa = [mse(bs=bs, moms=(0.95,0.85,0.95), sqr_mom=0.99) for bs in (2048, 3072, 4096)]
    print("with fastai's momentums (0.95, 0.85, 0.95) and sqr_mom 0.99, bs 2048 / 3072 / 4096: valid MSE " + ' / '.join(f'{m:.4f}' for m in fa), flush=True)
    print(f"with fastbook's y_range (0, 5.5): valid MSE {mse(y_range=(0, 5.5)):.4f}", flush=True)

def surprise_svd(ratings, seed):
    from surprise import SVD, Dataset, Reader
    trn,val = FastRandomSplitter(seed=seed)(ratings)
    t = time.perf_counter()
    tr = Dataset.load_from_df(ratings.iloc[trn.numpy()], Reader(rating_scale=(1,5))).build_full_trainset()
    algo = SVD(random_state=0)
    algo.fit(tr)
    v = ratings.iloc[val.numpy()]
    preds = np.array([algo.predict(u, i).est for u,i in zip(v.user, v.item)])
    return time.perf_counter()-t, float(((preds - v.rating.values)**2).mean())

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--sweep', action='store_true', help="the fast recipe's settings nearby, instead of the three recipes")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f'torch threads: {a.threads}; split seed {a.seed}')
    ratings = load_movielens(titles=False)[['user','item','rating']]
    if a.sweep: sweep(ratings, a.seed); raise SystemExit
    res = {}
    for name,f in (('fastai', stock_fastai), ('fastcf fast', fastcf_fast), ('surprise SVD', surprise_svd)):
        try: res[name] = f(ratings, a.seed)
        except ImportError as e: print(f'{name}: skipped ({e}; pip install scikit-surprise)'); continue
        print(f'{name:>13}: {res[name][0]:7.2f} s   valid MSE {res[name][1]:.4f}', flush=True)
    t0 = res['fastai'][0]
    for name,(t,mse) in res.items():
        if name!='fastai': print(f'fastai / {name}: {t0/t:5.1f}x the time')
    if 'surprise SVD' in res:
        (ts,ms),(tf,mf) = res['surprise SVD'],res['fastcf fast']
        print(f'surprise SVD / fastcf fast: {ts/tf:.2f}x the time, valid MSE {ms:.4f} vs {mf:.4f}')
