"""New users folded in from a few ratings (`recommend(user, ratings=...)`, `fold_in`) on MovieLens: users held out of
training entirely (seeded), each gives k of her ratings, and the RMSE on her other ratings is reported for the average
user (no ratings used), each item's mean rating, and fold-in with and without its pull towards the average user
(`wd=1`, the default, and `wd=0`), for the fast recipe (SVD++), the fastbook recipe (`DotProductBias`, 50 factors) and
the autoencoder recipe (`ItemAutoRec`), all trained on the other users.

    python bench/fold_in.py [--kind ml-100k] [--seed 0] [--users 60] [--ks 3 5 10 20] [--threads 2]
"""
import argparse, time
import numpy as np, pandas as pd, torch
from fastcf.all import *
from fastcf.inference import fold_in, _scores

def trained(recipe, warm, seed):
    "A learner of `recipe` trained on the ratings `warm`"
    set_seed(seed)
    if recipe=='fast': l = fast_learner(warm, valid_pct=0.05, seed=seed); fit = l.fit_fast
    elif recipe=='autorec': l = autorec_learner(FastCollabDataLoaders.from_df(warm, valid_pct=0.05, seed=seed, bs=1024)); fit = l.fit_fast
    else:
        l = collab_learner(FastCollabDataLoaders.from_df(warm, valid_pct=0.05, seed=seed, bs=64), n_factors=50, y_range=(0, 5.5))
        fit = lambda: l.fit_one_cycle(5, 5e-3, wd=0.1)
    with l.no_bar(), l.no_logging(): fit()
    return l

def rmses(learn, ratings, cold, k, item_mean):
    "RMSE on the held-out users' other ratings of each way to predict them after `k` of their ratings"
    view,sq,n = collab_view(learn),{},0
    known = ratings.item.isin(list(view.vocab('item'))[1:])
    for u in cold:
        r = ratings[(ratings.user==u) & known].sample(frac=1, random_state=0)
        if len(r) < k+10: continue  # (at least 10 ratings left to score)
        given,held = r.iloc[:k],r.iloc[k:]
        codes = view.encode(held.assign(user=view.vocab('user')[1])); codes[:,0] = 0  # (code 0: the folded-in user)
        y = torch.tensor(held.rating.values, dtype=torch.float32); n += len(y)
        preds = {'average user': learn.predict_ratings(held.assign(user=-1), unknown='average'),  # (-1: a user it never saw)
                 'item mean': torch.tensor(item_mean.reindex(held.item).values, dtype=torch.float32),
                 'fold-in, wd 0': _scores(learn, fold_in(learn, given, wd=0.), codes),
                 'fold-in (wd 1)': _scores(learn, fold_in(learn, given), codes)}
        for name,p in preds.items(): sq[name] = sq.get(name, 0.) + ((p-y)**2).sum().item()
    return {name: (v/n)**0.5 for name,v in sq.items()},n

def parser(doc, users:int, what:str):
    "The options of the fold-in benches (this one and `fold_in_ranking.py`): data, seed, `users` held out, how many of their `what` each gives"
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--kind', default='ml-100k', choices=['ml-100k', 'ml-latest-small'])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--users', type=int, default=users, help='new users held out of training')
    p.add_argument('--ks', type=int, nargs='+', default=[3, 5, 10, 20], help=f'{what} each new user gives')
    p.add_argument('--threads', type=int, default=2)
    return p

def held_out(a, cols:list)->tuple:
    "`(ratings, new users, the others' ratings)`: MovieLens `a.kind`'s `cols` with `a.users` users held out (seed `a.seed`), torch on `a.threads`"
    torch.set_num_threads(a.threads)
    ratings = load_movielens(kind=a.kind, titles=False)[cols]
    cold = np.random.RandomState(a.seed).choice(ratings.user.unique(), a.users, replace=False)
    return ratings,cold,ratings[~ratings.user.isin(cold)]

if __name__=='__main__':
    p = parser(__doc__, 60, 'ratings')
    p.add_argument('--recipes', nargs='+', default=['fast', 'fastbook', 'autorec'])
    a = p.parse_args()
    ratings,cold,warm = held_out(a, ['user','item','rating'])
    item_mean = warm.groupby('item').rating.mean()
    print(f"torch threads: {a.threads}; {a.kind}, seed {a.seed}: {a.users} new users held out, training on {len(warm):,} ratings of the others")
    for recipe in a.recipes:
        t = time.perf_counter(); learn = trained(recipe, warm, a.seed)
        print(f"\n{recipe} recipe (trained in {time.perf_counter()-t:.0f} s): RMSE on the new users' other ratings")
        for k in a.ks:
            r,n = rmses(learn, ratings, cold, k, item_mean)
            print(f"  k={k:<3} ({n:,} ratings scored) " + ', '.join(f"{name} {v:.4f}" for name,v in r.items()), flush=True)
