"""ML-100k accuracy on the canonical splits: RMSE on u1.base -> u1.test and the mean over the five folds u1..u5,
for fastcf's fast recipe (SVD++), the autoencoder recipe (`ItemAutoRec`), the accurate recipe (the autoencoder blended with
SVD++ trained without the fast recipe's `item_prior`: `ACCURATE_RECIPE`) and the
fastbook recipe, beside published anchors.

    python bench/accuracy.py [--folds 1 2 3 4 5] [--recipes fast autorec blend fastbook]
"""
import argparse, time
from fastcf.all import *

ANCHORS = {'GLocal-K (u1)': 0.8889, 'IGMC (u1)': 0.905, 'GC-MC (u1)': 0.910, 'Surprise SVD (5-fold)': 0.934}

def _rmse(learn):
    with learn.no_bar(): return math.sqrt(learn.validate()[0])

def _fast(df, **kw):
    "A fast-recipe learner on fold frame `df` (its `is_valid` rows validate), trained, and the seconds it took"
    t0 = time.perf_counter()
    set_seed(42)
    learn = fast_learner(df, splitter=ColSplitter(), **kw)
    with learn.no_bar(), learn.no_logging(): learn.fit_fast()
    return learn,time.perf_counter()-t0

def fold_rmses(fold, recipes):
    "RMSE of each recipe in `recipes` on fold `fold` (the blend: the autoencoder and the accurate recipe's SVD++, `ACCURATE_RECIPE`)"
    df = load_movielens(fold=fold, titles=False)[['user','item','rating','is_valid']]
    res,t = {},{}
    if {'fast','autorec','blend'} & set(recipes):
        svd,t['fast'] = _fast(df)
        res['fast'] = _rmse(svd)
    if {'autorec','blend'} & set(recipes):
        t0 = time.perf_counter()
        set_seed(42)  # (its own seed: its start does not hang on how the fast recipe drew)
        ae = autorec_learner(svd.dls)
        with ae.no_bar(), ae.no_logging(): ae.fit_fast()
        t['autorec'] = time.perf_counter()-t0
        res['autorec'] = _rmse(ae)
    if 'blend' in recipes:
        acc,ta = _fast(df, **ACCURATE_RECIPE)
        t['blend'],res['blend'] = ta + t['autorec'],_rmse(blend_learner([acc, ae]))
    if 'fastbook' in recipes:
        t0 = time.perf_counter()
        set_seed(42)
        dls = FastCollabDataLoaders.from_df(df, bs=64, splitter=ColSplitter())
        learn = collab_learner(dls, n_factors=50, y_range=(0,5.5))
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 5e-3, wd=0.1)
        t['fastbook'],res['fastbook'] = time.perf_counter()-t0,_rmse(learn)
    return {k:(res[k],t[k]) for k in recipes}

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--folds', type=int, nargs='+', default=[1,2,3,4,5])
    p.add_argument('--recipes', nargs='+', default=['fast','autorec','blend','fastbook'])
    a = p.parse_args()
    per_fold = [fold_rmses(k, a.recipes) for k in a.folds]
    for recipe in a.recipes:
        rmses = [f[recipe][0] for f in per_fold]
        secs = np.mean([f[recipe][1] for f in per_fold])
        print(f"{recipe:>9}: fold {a.folds[0]} RMSE {rmses[0]:.4f}; mean over folds {a.folds}: {np.mean(rmses):.4f} "
              f"(per fold {', '.join(f'{r:.4f}' for r in rmses)}), {secs:.1f} s per fold", flush=True)
    print('published anchors (RMSE): ' + ', '.join(f'{k} {v}' for k,v in ANCHORS.items()))
