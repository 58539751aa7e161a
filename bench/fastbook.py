"""The fastbook collab recipe (50 factors, y_range (0, 5.5), bs 64, `fit_one_cycle(5, 5e-3, wd=0.1)`) on ML-100k,
with fastai's `CollabDataLoaders` and with fastcf's `FastCollabDataLoaders`, all trained by fastai's own `collab_learner`.
fastcf runs twice: sampling with replacement as fastai 2.8's `TabWeightedDL` does (same statistics as fastai),
and with its default permutation (each rating once an epoch).

    python bench/fastbook.py [--seeds 42] [--epochs 5]
"""
import argparse, time
from fastai.collab import CollabDataLoaders, collab_learner
from fastcf.all import *

def run(make_dls, ratings, seed, epochs):
    t = time.perf_counter()
    dls = make_dls(ratings, bs=64, seed=seed)
    set_seed(seed)
    learn = collab_learner(dls, n_factors=50, y_range=(0,5.5))
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 5e-3, wd=0.1)
    secs = time.perf_counter()-t
    with learn.no_bar(): return secs, learn.validate()[0]

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seeds', type=int, nargs='+', default=[42])
    p.add_argument('--epochs', type=int, default=5)
    a = p.parse_args()
    ratings = load_movielens(titles=False)
    loaders = {'fastai': CollabDataLoaders.from_df,
               'fastcf-replacement': partial(FastCollabDataLoaders.from_df, vocab='train', replacement=True),
               'fastcf': partial(FastCollabDataLoaders.from_df, vocab='train')}
    print(f"{'seed':>5} {'loaders':>20} {'wall s':>8} {'valid MSE':>10} {'speed-up':>9} {'MSE - fastai':>13}")
    for seed in a.seeds:
        res = {}
        for name,mk in loaders.items():
            t,mse = res[name] = run(mk, ratings, seed, a.epochs)
            t0,m0 = res['fastai']
            print(f"{seed:>5} {name:>20} {t:>8.2f} {mse:>10.4f} {t0/t:>8.2f}x {mse-m0:>+13.4f}", flush=True)
