"""Time one epoch of ML-100k training batches (bs 64, 80/20 random split, seed 42) with fastai's
`CollabDataLoaders` and with fastcf's `FastCollabDataLoaders`, and print the ratio.

    python bench/loaders.py [--bs 64] [--repeats 3]
"""
import argparse, time
from fastai.collab import CollabDataLoaders
from fastcf.all import *

def epoch_time(dl, repeats):
    "Best of `repeats` full passes over `dl`"
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        for b in dl: pass
        ts.append(time.perf_counter()-t)
    return min(ts)

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--bs', type=int, default=64)
    p.add_argument('--repeats', type=int, default=3)
    a = p.parse_args()
    ratings = load_movielens(titles=False)
    res = {}
    for name,mk in (('fastai', CollabDataLoaders.from_df), ('fastcf', FastCollabDataLoaders.from_df)):
        t = time.perf_counter()
        dls = mk(ratings, bs=a.bs, seed=42)
        build = time.perf_counter()-t
        res[name] = epoch_time(dls.train, a.repeats)
        print(f"{name:>7}: build {build:6.3f} s, one epoch ({len(dls.train)} batches of {a.bs}) {res[name]:7.4f} s", flush=True)
    print(f"fastcf iterates an epoch {res['fastai']/res['fastcf']:.1f}x faster than fastai")
