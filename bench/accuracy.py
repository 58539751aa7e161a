"""ML-100k accuracy on the canonical splits: RMSE on u1.base -> u1.test and the mean over the five folds u1..u5,
for fastcf's fast recipe and the fastbook recipe, beside published anchors.

    python bench/accuracy.py [--folds 1 2 3 4 5]
"""
import argparse, time
from fastcf.all import *

ANCHORS = {'GLocal-K (u1)': 0.8889, 'IGMC (u1)': 0.905, 'GC-MC (u1)': 0.910, 'Surprise SVD (5-fold)': 0.934}

def fold_rmse(fold, recipe):
    df = load_movielens(fold=fold, titles=False)
    set_seed(42)
    if recipe=='fast':
        learn = fast_learner(df[['user','item','rating','is_valid']], splitter=ColSplitter())
        with learn.no_bar(), learn.no_logging(): learn.fit_fast()
    else:
        dls = FastCollabDataLoaders.from_df(df[['user','item','rating','is_valid']], bs=64, splitter=ColSplitter())
        learn = collab_learner(dls, n_factors=50, y_range=(0,5.5))
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 5e-3, wd=0.1)
    return math.sqrt(learn.validate()[0])

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--folds', type=int, nargs='+', default=[1,2,3,4,5])
    p.add_argument('--recipes', nargs='+', default=['fast','fastbook'])
    a = p.parse_args()
    for recipe in a.recipes:
        t = time.perf_counter()
        rmses = [fold_rmse(k, recipe) for k in a.folds]
        print(f"{recipe:>9}: u1 RMSE {rmses[0]:.4f}; mean over folds {a.folds}: {np.mean(rmses):.4f} "
              f"(per fold {', '.join(f'{r:.4f}' for r in rmses)}) in {time.perf_counter()-t:.0f} s", flush=True)
    print('published anchors (RMSE): ' + ', '.join(f'{k} {v}' for k,v in ANCHORS.items()))
