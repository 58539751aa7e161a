"""Every fastcf model on ML-100k (80/20 random split, seed 42) with the fastbook recipe:
`fit_one_cycle(5, 5e-3, wd=0.1)`, 50 factors, y_range (0, 5.5), bs 64. Prints valid MSE and wall time of each.

    python bench/models.py [--models dot_bias params nn classes]
"""
import argparse, time
from fastcf.all import *

RECIPES = {  # model: collab_learner kwargs
    'dot_bias': dict(n_factors=50, y_range=(0,5.5)),
    'params':   dict(n_factors=50, y_range=(0,5.5)),
    'dot':      dict(n_factors=50, y_range=(0,5.5)),
    'nn':       dict(y_range=(0,5.5), layers=[100,50]),
    'classes':  dict(n_factors=50),
}

def fit(dls, model, epochs=5, lr=5e-3, wd=0.1, seed=42):
    set_seed(seed)
    learn = collab_learner(dls, model=model, **RECIPES[model])
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr, wd=wd)
    preds = learn.predict_ratings(dls_valid_frame(dls))
    mse = ((preds - dls.valid.dataset.y.view(-1))**2).mean().item()
    return time.perf_counter()-t, mse

def dls_valid_frame(dls):
    "The validation pairs of `dls` as raw ids"
    x = dls.valid.dataset.x.long()
    return pd.DataFrame({n: list(L(dls.classes[n])[x[:,i].tolist()]) for i,n in enumerate(dls.cat_names)})

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', nargs='+', default=['dot_bias','params','nn','classes'])
    a = p.parse_args()
    dls = FastCollabDataLoaders.from_df(load_movielens(titles=False), bs=64, seed=42)
    print(f"{'model':>9} {'wall s':>7} {'valid MSE':>10}")
    for m in a.models:
        t,mse = fit(dls, m)
        print(f"{m:>9} {t:>7.2f} {mse:>10.4f}", flush=True)
