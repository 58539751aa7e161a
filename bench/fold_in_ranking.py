"""New users folded into a ranking model (`RankMF`, full softmax) from a few of their items, on MovieLens: users held
out of training entirely (seeded), each gives k of her items, and NDCG@10 of `recommend(user, ratings=...)` against her
other items is reported for lists that use none of her items (the items by RankMF's learned item bias, the most
popular, and `recommend`'s cold-start list: the average user's), fold-in without its pull towards the average user
(`wd=0`), and fold-in as it comes (`wd=0.03`). Every list leaves out the k items she gave.

    python bench/fold_in_ranking.py [--kind ml-100k] [--seed 0] [--users 100] [--ks 3 5 10 20] [--threads 2]
"""
import time
import numpy as np, pandas as pd, torch
from fastcf.all import *
from fold_in import parser, held_out  # (the options and held-out users of bench/fold_in.py)

def ndcg(rec, relevant, k=10):
    "NDCG@k of the list `rec` against the set `relevant`"
    dcg = sum(1/np.log2(r+2) for r,i in enumerate(rec[:k]) if i in relevant)
    return dcg/sum(1/np.log2(r+2) for r in range(min(k, len(relevant))))

if __name__=='__main__':
    a = parser(__doc__, 100, 'items').parse_args()
    inter,cold,warm = held_out(a, ['user','item'])
    set_seed(a.seed)
    learn = ranking_learner(ImplicitDataLoaders.from_df(warm, valid_pct=0.05, seed=a.seed, bs=1024), model='mf', loss='softmax', n_factors=64)
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(10, 3e-3, wd=0.01)
    print(f"torch threads: {a.threads}; {a.kind}, seed {a.seed}: {a.users} new users held out; RankMF trained on the others' {len(warm):,} interactions in {time.perf_counter()-t:.0f} s")
    known = inter.item.isin(list(collab_view(learn).vocab('item'))[1:])
    view = collab_view(learn)
    lists = {'item bias': list(view.decode(learn.model.item_bias.weight[1:,0].argsort(descending=True)+1, 'item')),
             'most popular': list(warm.item.value_counts().index),
             'cold-start list (average user)': list(learn.recommend(-1, n=view.n_items).item)}  # (-1: a user it never saw)
    ways = {'fold-in, wd 0': dict(wd=0.), 'fold-in (wd 0.03)': {}}
    for k in a.ks:
        res = {name: [] for name in [*lists, *ways]}
        for u in cold:
            h = inter[(inter.user==u) & known].sample(frac=1, random_state=0)
            if len(h) < k+10: continue  # (at least 10 items left to find)
            given,relevant = h.iloc[:k],set(h.item.iloc[k:])
            for name,l in lists.items(): res[name].append(ndcg([i for i in l if i not in set(given.item)], relevant))
            for name,kw in ways.items(): res[name].append(ndcg(list(learn.recommend(-1, n=10, ratings=given, **kw).item), relevant))
        print(f"  k={k:<3} ({len(res['most popular'])} users) " + ', '.join(f"{name} {np.mean(v):.4f}" for name,v in res.items()), flush=True)
