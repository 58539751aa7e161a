"""Scale: 25M synthetic ratings with MovieLens-25M's shape (162,541 users, 59,047 items, long-tailed popularity):
build time, loaders time, one training epoch's wall time, valid MSE, and peak RSS, in one run.

Training uses the sparse path (`collab_learner(sparse=True)`: sparse embedding gradients, `SparseAdam`), large batches.

    python bench/scale.py [--n-ratings 25000000] [--bs 32768] [--n-factors 32]
"""
import argparse, resource, time
from fastcf.all import *

def peak_rss_gb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024**2

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n-ratings', type=int, default=25_000_000)
    p.add_argument('--n-users', type=int, default=162_541)
    p.add_argument('--n-items', type=int, default=59_047)
    p.add_argument('--bs', type=int, default=32768)
    p.add_argument('--n-factors', type=int, default=32)
    p.add_argument('--lr', type=float, default=2e-2)
    a = p.parse_args()
    t = time.perf_counter()
    df,truth = synthetic_ratings(a.n_users, a.n_items, a.n_ratings, n_factors=8, seed=0)
    del truth['signal']
    t_build = time.perf_counter()-t
    print(f'built {len(df):,} ratings in {t_build:.1f} s; peak RSS {peak_rss_gb():.2f} GB', flush=True)
    t = time.perf_counter()
    dls = FastCollabDataLoaders.from_arrays(df.user.values, df.item.values, df.rating.values, seed=0, bs=a.bs)
    del df
    t_dls = time.perf_counter()-t
    print(f'loaders in {t_dls:.1f} s ({len(dls.train):,} batches of {a.bs}); peak RSS {peak_rss_gb():.2f} GB', flush=True)
    set_seed(0)
    learn = collab_learner(dls, n_factors=a.n_factors, y_range=(-1, 8), sparse=True)
    t = time.perf_counter()
    learn.fit_one_cycle(1, a.lr, wd=0.)
    t_epoch = time.perf_counter()-t
    print(f'\n{a.n_ratings:,} ratings: build {t_build:.1f} s, loaders {t_dls:.1f} s, one epoch (train + valid) {t_epoch:.1f} s, '
          f'valid MSE {learn.recorder.values[-1][1]:.4f} (noise variance {0.25:.2f}), peak RSS {peak_rss_gb():.2f} GB')
