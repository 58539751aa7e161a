"""Cold start on ML-100k with the features MovieLens ships: items and users nobody rated in training.

(1) New items: 20% of the items held out entirely (seeded). RMSE on their ratings, and NDCG@10/P@10/R@10 ranking only
    the held-out items for each user who rated any (every held-out rating relevant).
(2) New users: 20% of the users held out entirely. RMSE on their ratings, and NDCG@10 ranking every item, cold (from
    demographics alone: every rating of the user is scored, every item ranked) and with 5 revealed ratings per user
    (seeded: the other ratings are scored, and the 5 revealed items are not ranked). One cold row also knows when
    each new user signed up (the time of her first rating) and boosts what training users rated in the days before.
    Two more know who else joined shortly before her: `Cohort`, the choices of the users who joined in the weeks before
    her sign-up, those of her age band and gender or occupation counting more.
    The softmax HybridMF ranks cold users with one model, and folds the 5 in with another (ids kept in training, so
    that her id part has trained directions to move in), each with its settings picked on the validation users.
    The cold rows' settings (models, windows and weights) are picked on five folds (`FOLDS`) of the training users (every
    training user held out once, all of them validation users), as their candidates differ by less than one split of
    151 users can tell apart; the other rows' on one split of 20% of the training users.
(3) Warm start (80/20 random split, and u1.base -> u1.test): RMSE of the fast recipe (`fast_learner`), a HybridMF with
    both sides' features trained on the same loaders, and its `blend_learner` with SVD++ trained as the accurate recipe's
    (`ACCURATE_RECIPE`: without the fast recipe's `item_prior`, as blends gain more from SVD++ without it).

Item features: the 19 genre flags and the release year of u.item; user features: age, gender, occupation and zip
prefix of u.user (`movielens_features`). Every setting of every row that has one is picked on a validation split carved
from the training data the same way (items or users held out of the training ratings), never on the test rows.
All ranking rows go through ONE metric function, `fastcf.callbacks.rank_metrics`.

    python bench/coldstart.py [--seed 42] [--threads 2] [--quick]

LightFM rows need the LightFM wheel (`pip install ../shared/wheels/lightfm-*.whl`); they read 'n/a' without it, or with a
wheel that dies on this machine's CPU (tried first in a child process, so the run goes on).
"""
import argparse, time, warnings, itertools, math, subprocess, sys, signal
import numpy as np, pandas as pd, torch
from fastcf.all import *

K = 10

# ---------------------------------------------------------------- data and the one metric
def hold_out(df, col, frac, seed):
    "Rows of `df` whose `col` is outside / inside a seeded `frac` of its distinct values, and those values"
    ids = np.sort(df[col].unique())
    return split_on(df, col, np.random.RandomState(seed).permutation(ids)[:round(frac*len(ids))])

def split_on(df, col, held):
    "Rows of `df` whose `col` is not / is in `held`, and those values"
    m = df[col].isin(held).values
    return df[~m].reset_index(drop=True),df[m].reset_index(drop=True),np.sort(held)

def ranking(scores, users, cands, test, exclude=None):
    "Mean NDCG/P/R@10 over `users` of score matrix `scores` [users, cands]; relevant: `test` pairs; `exclude` pairs never ranked"
    S = torch.from_numpy(np.array(scores, dtype=np.float32))  # (a copy: the -inf of excluded pairs stay here)
    ui,ci = pd.Index(users),pd.Index(cands)
    rel = torch.zeros(S.shape, dtype=torch.bool)
    rel[ui.get_indexer(test.user), ci.get_indexer(test.item)] = True
    if exclude is not None: S[ui.get_indexer(exclude.user), ci.get_indexer(exclude.item)] = -float('inf')
    r = rank_metrics(S, rel, K)
    return {k: v/len(users) for k,v in r.items()}

def rmse_of(pred, test): return float(np.sqrt(np.mean((np.asarray(pred, dtype=np.float64) - test.rating.values)**2)))

YEAR_BINS = [0, 1950, 1960, 1970, 1980, 1990, 1994, 1995, 1996, 1997, 3000]
AGE_BINS = [0, 18, 25, 35, 45, 50, 56, 200]

def item_matrix(items):
    "Genre flags and one-hot release-year bins (a missing year has none), one row per item id: all 0/1"
    g = items.drop(columns=['title','year']).astype(np.float32)
    return pd.concat([g, pd.get_dummies(pd.cut(items.year, YEAR_BINS, right=False), prefix='year').astype(np.float32)], axis=1)

def user_matrix(users):
    "One-hot gender, occupation, zip prefix and age band, one row per user id: all 0/1"
    d = users[['gender','occupation','zip_prefix']].astype(str).assign(age=pd.cut(users.age, AGE_BINS).astype(str))
    return pd.get_dummies(d).astype(np.float32)

# ---------------------------------------------------------------- baselines
def means(train):
    g = train.rating.mean()
    return g,train.groupby('user').rating.mean(),train.groupby('item').rating.mean()

def genre_mean_offset(train, test, F):
    "Each new item: the mean rating of the items of its genres, plus the user's offset from the global mean"
    g,um,_ = means(train)
    genres = [c for c in F.columns if not c.startswith('year')]
    Ft = F.loc[train.item, genres].values
    gm = (Ft*train.rating.values[:,None]).sum(0)/np.maximum(Ft.sum(0), 1)
    Fn = F.loc[test.item, genres].values
    item_part = np.where(Fn.sum(1)>0, (Fn*gm).sum(1)/np.maximum(Fn.sum(1), 1), g)
    return item_part + (um.reindex(test.user).fillna(g).values - g)

def _ridge(X, y, alpha):
    from sklearn.linear_model import Ridge
    return Ridge(alpha=alpha).fit(X, y)

def ridge_rows(train, F, alpha):
    _,um,_ = means(train)
    return np.c_[um.reindex(train.user).values, F.loc[train.item].values]

def ridge_predict(train, test, F, alpha):
    "Ridge regression of the rating on the user's mean, the genres and the year"
    g,um,_ = means(train)
    m = _ridge(ridge_rows(train, F, alpha), train.rating.values, alpha)
    return m.predict(np.c_[um.reindex(test.user).fillna(g).values, F.loc[test.item].values])

def genre_popularity(train, F, cands):
    "A new item's score: the mean number of ratings of training items sharing each of its genres"
    genres = [c for c in F.columns if not c.startswith('year')]
    cnt = train.item.value_counts()
    Ftr = F.loc[cnt.index, genres].values
    per_genre = (Ftr*cnt.values[:,None]).sum(0)/np.maximum(Ftr.sum(0), 1)
    Fc = F.loc[cands, genres].values
    return (Fc*per_genre).sum(1)/np.maximum(Fc.sum(1), 1)

def feature_popularity(train, F, cands, alpha):
    "A new item's predicted log number of ratings, by ridge regression on genres and year over the training items"
    cnt = train.item.value_counts()
    return _ridge(F.loc[cnt.index].values, np.log1p(cnt.values), alpha).predict(F.loc[cands].values)

# ---------------------------------------------------------------- LightFM
def _lightfm_why_not():
    "None if LightFM imports and fits a tiny model, else why not; tried in a child process, since a wheel built for another CPU dies of SIGILL"
    probe = "import numpy as np, scipy.sparse as sp; from lightfm import LightFM; LightFM(loss='warp').fit(sp.coo_matrix(np.eye(5, dtype=np.float32)), epochs=1)"
    r = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True)
    if r.returncode==0: return None
    if 'No module named' in r.stderr: return 'not installed'
    return f"crashes here: exit {r.returncode}{' (SIGILL: a wheel built for another CPU; build one here as ../shared/wheels/README says)' if r.returncode==-signal.SIGILL else ''}"

def lightfm_scores(train, users, cands, user_feats=None, item_feats=None, epochs=30, seed=42):
    "LightFM WARP on the training interactions, with identity + feature columns; held-out entities have features only"
    import scipy.sparse as sp
    from lightfm import LightFM
    uids = np.union1d(train.user.unique(), users); iids = np.union1d(train.item.unique(), cands)
    uix,iix = pd.Index(uids),pd.Index(iids)
    X = sp.coo_matrix((np.ones(len(train), dtype=np.float32), (uix.get_indexer(train.user), iix.get_indexer(train.item))), shape=(len(uids), len(iids)))
    def feats(ids, known, M):
        eye = sp.diags(np.isin(ids, known).astype(np.float32)).tocsr()  # identity columns only for entities seen in training
        if M is None: return eye
        res = sp.hstack([eye, sp.csr_matrix(M.loc[ids].values)]).tocsr()
        return sp.diags(1/np.maximum(np.asarray(res.sum(1)).ravel(), 1e-9)) @ res
    Fu,Fi = feats(uids, train.user.unique(), user_feats),feats(iids, train.item.unique(), item_feats)
    m = LightFM(no_components=32, loss='warp', learning_rate=0.05, random_state=seed)
    m.fit(X, user_features=Fu, item_features=Fi, epochs=epochs, num_threads=1)
    uu,cc = np.repeat(uix.get_indexer(users), len(cands)),np.tile(iix.get_indexer(cands), len(users))
    return m.predict(uu.astype(np.int32), cc.astype(np.int32), user_features=Fu, item_features=Fi, num_threads=1).reshape(len(users), len(cands))

# ---------------------------------------------------------------- fastcf
def fit_hybrid(train, model='mf', kind='rating', users=None, items=None, n_factors=32, id_drop=0.5, wd=0.1, epochs=8, lr=1e-2, seed=42):
    set_seed(seed)
    if kind=='rating':
        dls = FastCollabDataLoaders.from_df(train[['user','item','rating']], bs=512, valid_pct=0.05, seed=seed)
    else:
        dls = ImplicitDataLoaders.from_df(train[['user','item']], bs=1024, valid_pct=0.05, seed=seed)
    learn = hybrid_learner(dls, users=users, items=items, model=model, id_drop=id_drop, **(dict(n_factors=n_factors) if model=='mf' else {}),
                           layers=[100] if model=='tabular' else None)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr, wd=wd)
    return learn

def pair_scores(learn, items_df, test):
    s = learn.new_item_scores(items_df)
    return s.values[s.index.get_indexer(test.user), s.columns.get_indexer(test.item)]

# ---------------------------------------------------------------- (1) new items
def items_protocol(ratings, users_f, items_f, seed, grid):
    F = item_matrix(items_f)
    feats = items_f.drop(columns=['title']).assign(year_band=pd.cut(items_f.year, YEAR_BINS, right=False).astype(str))  # fastcf's: genres, year, and its band as a category
    train,test,cold = hold_out(ratings, 'item', 0.2, seed)
    fit,val,vcold = hold_out(train, 'item', 0.2, seed+1)
    tusers = np.sort(test.user.unique()); vusers = np.sort(val.user.unique())
    print(f"\n(1) new items: {len(cold)} of {ratings.item.nunique()} items held out ({len(test):,} ratings, {len(tusers)} users); training {len(train):,} ratings; "
          f"validation: {len(vcold)} items ({len(val):,} ratings) held out of training")
    rows = {}
    def row(name, pred=None, scores=None, secs=None):
        r = rmse_of(pred, test) if pred is not None else None
        m = ranking(scores, tusers, cold, test) if scores is not None else None
        rows[name] = (r, m)
        f = lambda v: '-' if v is None else f'{v:.4f}'
        print(f"{name:<58} {f(r):>7} {f(m and m['ndcg']):>8} {f(m and m['precision']):>7} {f(m and m['recall']):>7} {'' if secs is None else f'{secs:6.1f}'}", flush=True)
    print(f"{'model':<58} {'RMSE':>7} {'NDCG@10':>8} {'P@10':>7} {'R@10':>7}  fit s")
    g,um,_ = means(train)
    row('global mean / random ranking', np.full(len(test), g), np.random.RandomState(seed).rand(len(tusers), len(cold)))
    row('user mean', um.reindex(test.user).fillna(g).values)
    row('genre mean + user offset / genre popularity', genre_mean_offset(train, test, F), np.tile(genre_popularity(train, F, cold), (len(tusers), 1)))
    # ridge: alpha on validation
    a_r = min((1., 10., 100., 1000.), key=lambda a: rmse_of(ridge_predict(fit, val, F, a), val))
    a_p = max((1., 10., 100., 1000.), key=lambda a: ranking(np.tile(feature_popularity(fit, F, vcold, a), (len(vusers), 1)), vusers, vcold, val)['ndcg'])
    row(f'ridge on user mean, genres, year (alpha {a_r:g}) / popularity from genres + year (alpha {a_p:g})',
        ridge_predict(train, test, F, a_r), np.tile(feature_popularity(train, F, cold, a_p), (len(tusers), 1)))
    if LIGHTFM is None:
        t = time.perf_counter(); s = lightfm_scores(train, tusers, cold, item_feats=F, seed=seed)
        row('LightFM WARP, item identity + genres + year bins', None, s, time.perf_counter()-t)
    else: print(f"{'LightFM WARP, item identity + genres + year':<58} n/a ({LIGHTFM})")
    # fastcf: each model's settings, and the blend's weight, picked on the validation items
    fitted,vpred = {},{}
    for name,model,kind in (('fastcf HybridMF (MSE)', 'mf', 'rating'), ('fastcf HybridTabular (MSE)', 'tabular', 'rating'),
                            ('fastcf HybridMF (softmax ranking)', 'mf', 'ranking')):
        def score_val(cfg):
            l = fit_hybrid(fit, model, kind, items=feats, seed=seed, **cfg)
            if kind=='rating':
                vpred[(name, str(cfg))] = pair_scores(l, feats.loc[vcold], val)
                return -rmse_of(vpred[(name, str(cfg))], val)
            return ranking(l.new_item_scores(feats.loc[vcold], users=list(vusers)).values, vusers, vcold, val)['ndcg']
        best = max(grid[name], key=score_val)
        t = time.perf_counter(); l = fit_hybrid(train, model, kind, items=feats, seed=seed, **best); secs = time.perf_counter()-t
        fitted[name] = (l, best)
        row(f"{name} {best}", pair_scores(l, feats.loc[cold], test) if kind=='rating' else None,
            l.new_item_scores(feats.loc[cold], users=list(tusers)).values, secs)
    (mf,cm),(tab,ct) = fitted['fastcf HybridMF (MSE)'],fitted['fastcf HybridTabular (MSE)']
    rows['_mf_cfg'] = cm  # (the warm-start HybridMF reuses the weight decay picked here)
    pm,pt = vpred[('fastcf HybridMF (MSE)', str(cm))],vpred[('fastcf HybridTabular (MSE)', str(ct))]
    w = min((0.25, 0.5, 0.75), key=lambda w: rmse_of(w*pm + (1-w)*pt, val))
    b = blend_learner([mf, tab], weights=[w, 1-w])
    row(f"fastcf blend_learner of the two hybrids (weights {w}, {1-w})", pair_scores(b, feats.loc[cold], test),
        b.new_item_scores(feats.loc[cold], users=list(tusers)).values)
    return rows

# ---------------------------------------------------------------- (2) new users
def knn_scores(train, revealed, users, items):
    "Item-kNN on the revealed ratings: each item's summed cosine similarity (training co-ratings) to the user's revealed items"
    import scipy.sparse as sp
    ix = pd.Index(items); uix = pd.Index(np.sort(train.user.unique()))
    X = sp.csr_matrix((np.ones(len(train), dtype=np.float32), (uix.get_indexer(train.user), ix.get_indexer(train.item))), shape=(len(uix), len(ix)))
    G = (X.T @ X).toarray(); n = np.sqrt(np.diag(G)); S = G/np.maximum(np.outer(n, n), 1e-9); np.fill_diagonal(S, 0)
    R = np.zeros((len(users), len(items)), dtype=np.float32)
    R[pd.Index(users).get_indexer(revealed.user), ix.get_indexer(revealed.item)] = 1
    return R @ S

def group_popularity(train, users_f, users, items):
    "Popularity within the user's age band x gender group"
    band = lambda u: (pd.cut(users_f.loc[u].age, AGE_BINS).astype(str) + users_f.loc[u].gender).values
    tr = train.assign(group=band(train.user.values))
    cnt = tr.groupby(['group','item']).size().unstack(fill_value=0).reindex(columns=items, fill_value=0)
    allc = train.item.value_counts().reindex(items, fill_value=0).values
    return np.stack([cnt.loc[gp].values + 1e-3*allc if gp in cnt.index else allc for gp in band(users)])

def with_trend(split, scores, items, days, weight):
    "`scores` `[new users, items]` plus each new user's `weight` x `Trending(days)` lift at her sign-up"
    return scores + weight*split.lifts(items, days)

class UserSplit:
    "Users held out of `df` (seeded, or `held`), each with 5 revealed ratings; their unseen categories given as missing ('#na#')"
    def __init__(self, df, users_f, seed, held=None):
        self.train,held,self.cold = hold_out(df, 'user', 0.2, seed) if held is None else split_on(df, 'user', held)
        self.held = held.sample(frac=1, random_state=seed)  # cold: all their ratings are the test
        known = self.held.item.isin(self.train.item.unique())  # (the 5 revealed are items training has: fold-in can only use those)
        self.revealed = self.held[known].groupby('user').head(5); self.test = self.held.drop(self.revealed.index)  # +5: the rest
        self.joined = held.groupby('user').timestamp.min()  # when each new user signed up: her first rating
        self.trending = {}  # each new user's `Trending` lift, by window in days
        self.cohorts = {}  # each new user's `Cohort.boost`, by setting
        self.users = users_f.assign(age_band=pd.cut(users_f.age, AGE_BINS).astype(str))  # (for `Cohort`'s matches)
        self.fitted,self.scored = {},{}  # hybrids trained on `train`, and their cold scores, by (kind, model, setting, seed)
        seen = users_f.loc[self.train.user.unique()]
        self.ufeats = users_f.copy()  # (a held-out user's zip prefix that no training user has is given as missing: '#na#')
        for c in ('gender','occupation','zip_prefix'): self.ufeats.loc[~self.ufeats[c].isin(seen[c]), c] = np.nan

    def tested(self, five): return self.test if five else self.held
    def lifts(self, items, days):
        "Each new user's lift of what training users rated in the `days` before she signed up `[new users, items]` (`Trending.lift`)"
        if days not in self.trending:
            t = Trending(self.train, days=days)
            self.trending[days] = np.stack([t.lift(self.joined[u]).reindex(items, fill_value=0).values for u in self.cold])
        return self.trending[days]
    def cohort(self, items, days, group, occupation):
        "Each new user's `Cohort.boost` at her sign-up `[new users, items]`: users who joined `days` before count 1/e, those of her age band x gender `1 + group` times, of her occupation `1 + occupation`"
        key = (days, group, occupation)
        if key not in self.cohorts:
            c = Cohort(self.train, users=self.users, days=days, match={('age_band','gender'): group, 'occupation': occupation})
            self.cohorts[key] = np.stack([c.boost(self.joined[u], self.users.loc[u]).reindex(items, fill_value=0).values for u in self.cold])
        return self.cohorts[key]
    def ndcg(self, S, items, five=False):
        return ranking(np.nan_to_num(S, nan=-1e9), self.cold, items, self.tested(five), exclude=self.revealed if five else None)['ndcg']
    def pairs(self, S, items, fill, five=False):
        t = self.tested(five)
        return np.nan_to_num(S[pd.Index(self.cold).get_indexer(t.user), pd.Index(items).get_indexer(t.item)], nan=fill)

    def ease(self, lam, drop, items):
        "Scores of the 5-rating users by fastcf's EASE (`drop`: EDLAE; no time kernel, no low-pass filter) folding in their revealed items"
        e = fast_ranker(self.train[['user','item']], valid_pct=0.05, lam=lam, drop=drop, rank=None)
        n_e = collab_view(e).n_items-1
        return np.stack([e.recommend(10**9, n=n_e, ratings=self.revealed[self.revealed.user==u], exclude_seen=False)
                         .set_index('item').score.reindex(items).values for u in self.cold])

    def hybrid(self, kind, cfg, items, seed, fold_wds=(), model='mf'):
        "Scores of held-out users by a hybrid `model` trained on `train`: from features, and by fold-in wd with their 5 ratings folded in"
        key = (kind, model, str(cfg), seed)  # (a setting picked on validation is trained once: its fold-ins reuse it)
        if key not in self.fitted: self.fitted[key] = fit_hybrid(self.train, model, kind, users=self.ufeats, seed=seed, **cfg)
        l = self.fitted[key]; n_l = collab_view(l).n_items-1
        def scores(u, five, **kw):
            r = l.recommend(10**9, n=n_l, features=self.ufeats.loc[[u]], ratings=self.revealed[self.revealed.user==u] if five else None, exclude_seen=False, **kw)
            return r.set_index('item').score.reindex(items).values  # (NaN: items only the held-out users rated)
        if key not in self.scored: self.scored[key] = np.stack([scores(u, False) for u in self.cold])  # (the cold scores, asked for again by each boost tried)
        return self.scored[key],{wd: np.stack([scores(u, True, wd=wd) for u in self.cold]) for wd in fold_wds}

FOLDS = 5

def user_folds(df, users_f, seed, k=FOLDS):
    "`k` `UserSplit`s of `df` whose held-out users are a seeded partition of its users: each user held out once"
    us = np.random.RandomState(seed).permutation(np.sort(df.user.unique()))
    return [UserSplit(df, users_f, seed, held=us[j::k]) for j in range(k)]

def folds_ndcg(vf, items, scores):
    "Cold NDCG@10 of `scores(split)` over the held-out users of every split of `vf` (each user counting once)"
    return sum(v.ndcg(scores(v), items)*len(v.cold) for v in vf)/sum(len(v.cold) for v in vf)

def boosted(split, S, items, k):
    "`S` plus the boosts of setting `k`: `(days, weight)` of `Trending`, or `(cohort, weight, trend weight)`: `Cohort` and the 30-day `Trending`"
    if len(k)==2: return with_trend(split, S, items, *k)
    (days, group, occupation),w,wt = k
    C = S + w*split.cohort(items, days, group, occupation)
    return with_trend(split, C, items, 30, wt) if wt else C

def pick_boosts(vf, items, trends, boosts, scores):
    "The best of `trends` and the best of `boosts` (when another) added to `scores(split)`, on the folds `vf`"
    ks = [max(g, key=lambda k: folds_ndcg(vf, items, lambda v: boosted(v, scores(v), items, k))) for g in (trends, boosts)]
    return ks[:1] if ks[1]==ks[0] else ks

def boost_name(k):
    if len(k)==2: return f"Trending({k[0]} days) x {k[1]:g}"
    (days, group, occupation),w,wt = k
    return (f"Trending(30 days) x {wt:g} + " if wt else '') + f"Cohort({days} days; age band x gender {group:g}, occupation {occupation:g}) x {w:g}"

def users_protocol(ratings, users_f, items_f, seed, grid, lams, trends, fold_wds, cohorts=()):
    items = np.sort(ratings.item.unique())
    sp = UserSplit(ratings, users_f, seed)
    vs = UserSplit(sp.train, users_f, seed+1)  # validation: users held out of the training users, the same way
    vf = user_folds(sp.train, users_f, seed+1)  # the cold rows' validation: every training user held out once
    boosts = list(trends) + list(cohorts)  # the cold rows' boosts: Trending alone, or with Cohort
    train,cold,revealed,test = sp.train,sp.cold,sp.revealed,sp.test
    print(f"\n(2) new users: {len(cold)} of {ratings.user.nunique()} users held out, {len(sp.held):,} ratings scored cold; 5 revealed ratings each, the other {len(test):,} scored with them; "
          f"training {len(train):,} ratings; validation: {len(vs.cold)} users held out of training (cold rows: {len(vf)} folds of its {train.user.nunique()} users)")
    print(f"{'model':<58} {'RMSE':>7} {'NDCG@10':>8} {'RMSE+5':>7} {'NDCG+5':>8}")
    rows = {}
    def row(name, pred=None, scores=None, pred5=None, scores5=None):
        r = [None if p is None else rmse_of(p, sp.tested(f)) for p,f in ((pred, False), (pred5, True))]
        n = [None if s is None else sp.ndcg(s, items, f) for s,f in ((scores, False), (scores5, True))]
        rows[name] = (r[0], n[0], r[1], n[1])
        f = lambda v: '-' if v is None else f'{v:.4f}'
        print(f"{name:<58} {f(r[0]):>7} {f(n[0]):>8} {f(r[1]):>7} {f(n[1]):>8}", flush=True)
    g,_,im = means(train)
    pop = np.tile(train.item.value_counts().reindex(items, fill_value=0).values, (len(cold), 1)).astype(np.float32)
    ipred = lambda t: im.reindex(t.item).fillna(g).values
    off = (revealed.rating - ipred(revealed)).groupby(revealed.user).mean()
    row('global mean / popularity', np.full(len(sp.held), g), pop, None, pop)
    row('item mean / item mean + offset of the 5 revealed', ipred(sp.held), None, ipred(test) + off.reindex(test.user).values, None)
    G = group_popularity(train, users_f, cold, items)
    row('popularity within age band x gender', None, G)
    logp = lambda P: np.log(np.maximum(P, 1e-9))  # (items nobody in training rated: last)
    VG = {id(v): logp(group_popularity(v.train, users_f, v.cold, items)) for v in vf}
    for k in pick_boosts(vf, items, trends, boosts, lambda v: VG[id(v)]):  # the same boosts as fastcf's rows, on the same folds
        row(f'popularity within age band x gender + {boost_name(k)}', None, boosted(sp, logp(G), items, k))
    row('item-kNN on the 5 revealed ratings', None, None, None, knn_scores(train, revealed, cold, items) + 1e-6*pop)
    if LIGHTFM is None:
        U = user_matrix(users_f)
        row('LightFM WARP, user identity + demographics (refit with the 5)', None, lightfm_scores(train, cold, items, user_feats=U, seed=seed),
            None, lightfm_scores(pd.concat([train, revealed]), cold, items, user_feats=U, seed=seed))
    else: print(f"{'LightFM WARP, user identity + demographics':<58} n/a ({LIGHTFM})")
    val = {c: vs.ndcg(vs.ease(*c, items), items, five=True) for c in lams}
    for plain in (True, False):  # the best plain EASE, and the best with dropout (EDLAE)
        cands = [c for c in val if (c[1]==0)==plain]
        if not cands: continue
        lam,drop = max(cands, key=val.get)
        row(f'fastcf EASE (lambda {lam:g}, drop {drop:g}) folding in the 5', None, None, None, sp.ease(lam, drop, items))
    rated = {}  # each rating hybrid's predictions: validation cold, test cold, test +5 (for their blend)
    for name,model in (('fastcf HybridMF (MSE)', 'mf'), ('fastcf HybridTabular (MSE)', 'tabular')):  # cold from features; +5: folded in from there
        val = {str(c): vs.pairs(vs.hybrid('rating', c, items, seed, model=model)[0], items, g) for c in grid[name]}
        cm = min(grid[name], key=lambda c: rmse_of(val[str(c)], vs.held))
        V5 = vs.hybrid('rating', cm, items, seed, fold_wds=fold_wds['rating'], model=model)[1]
        wd = min(V5, key=lambda w: rmse_of(vs.pairs(V5[w], items, g, five=True), vs.test))  # the fold-in's pull, on validation
        S0,S5 = sp.hybrid('rating', cm, items, seed, fold_wds=(wd,), model=model)
        P0,P5 = sp.pairs(S0, items, g),sp.pairs(S5[wd], items, g, five=True)
        rated[model] = val[str(cm)],P0,P5
        row(f'{name} {cm}, fold-in wd {wd}', P0, None, P5, None)
    mix = lambda w, k: w*rated['mf'][k] + (1-w)*rated['tabular'][k]  # (a Blend's fold-in is its members' weighted: 22_hybrid tests it)
    w = min((0.25, 0.5, 0.75), key=lambda w: rmse_of(mix(w, 0), vs.held))  # the blend's weight, on the validation users cold
    row(f'fastcf blend of the two (weights {w}, {1-w}), +5: each folds in', mix(w, 1), None, mix(w, 2), None)
    cold_model = lambda v, c: v.hybrid('ranking', c, items, seed)[0]
    cr = max(grid['users: fastcf HybridMF (softmax ranking)'], key=lambda c: folds_ndcg(vf, items, lambda v: cold_model(v, c)))
    S0 = cold_model(sp, cr)
    row(f'fastcf HybridMF (softmax ranking) {cr}', None, S0)
    for k in pick_boosts(vf, items, trends, boosts, lambda v: cold_model(v, cr)):  # the boosts' windows and weights, on the folds
        row(f'fastcf HybridMF (softmax) + {boost_name(k)}', None, boosted(sp, S0, items, k))
    five = grid['users +5: fastcf HybridMF (softmax ranking)']  # +5: the model and the fold-in's pull towards her feature-based start, on validation
    val = {(k, wd): vs.ndcg(S, items, five=True) for k,c in enumerate(five) for wd,S in vs.hybrid('ranking', c, items, seed, fold_wds=fold_wds['ranking'])[1].items()}
    k,wd = max(val, key=val.get)
    row(f'fastcf HybridMF (softmax ranking) {five[k]}, fold-in wd {wd}', None, None, None, sp.hybrid('ranking', five[k], items, seed, fold_wds=(wd,))[1][wd])
    return rows

def warm_protocol(users_f, items_f, seed, cfg):
    "Warm start (every user and item rated in training): the fast recipe, a HybridMF with both sides' features on its loaders, and its blend with SVD++ (`ACCURATE_RECIPE`)"
    feats = items_f.drop(columns=['title']).assign(year_band=pd.cut(items_f.year, YEAR_BINS, right=False).astype(str))
    print(f"\n(3) warm start, RMSE: {'split':<22} {'fast recipe':>12} {'HybridMF':>10} {'blend':>8}")
    res = {}
    for name,df,kw in (('80/20 random (seed)', load_movielens(titles=False), dict(valid_pct=0.2, seed=seed)),
                       ('u1.base -> u1.test', load_movielens(fold=1, titles=False), dict(splitter=ColSplitter()))):
        set_seed(seed)
        fast = fast_learner(df[[c for c in ('user','item','rating','is_valid') if c in df]], **kw)
        with fast.no_bar(), fast.no_logging(): fast.fit_fast()
        set_seed(seed)
        acc = fast_learner(fast.dls, **ACCURATE_RECIPE)  # (the SVD++ that blends: without the fast recipe's item_prior, as the accurate recipe's)
        with acc.no_bar(), acc.no_logging(): acc.fit_fast()
        set_seed(seed)
        hyb = hybrid_learner(fast.dls, users=users_f, items=feats, n_factors=32, id_drop=0.)
        with hyb.no_bar(), hyb.no_logging(): hyb.fit_one_cycle(8, 1e-2, wd=cfg['wd'])
        def rmse(l):
            with l.no_bar(): return math.sqrt(l.validate()[0])
        r = [rmse(l) for l in (fast, hyb, blend_learner([acc, hyb]))]
        res[name] = r
        print(f"{'':<22} {name:<22} {r[0]:12.4f} {r[1]:10.4f} {r[2]:8.4f}", flush=True)
    return res

def best(rows, i, lower, ours):
    "`(name, figure)` of the best fastcf row (`ours`) or the best other row in column `i` of `rows`"
    vals = [(n, v[i]) for n,v in rows.items() if v[i] is not None and n.startswith('fastcf')==ours]
    return (min if lower else max)(vals, key=lambda o: o[1])
def best_ours(rows, i, lower): return best(rows, i, lower, True)
def best_other(rows, i, lower): return best(rows, i, lower, False)

def settings(quick=False):
    "Each fastcf row's validation grid, EASE's (lambda, drop), Trending's (days, weight), the fold-in pulls and Cohort's settings; `quick`: one of each"
    grid = {'fastcf HybridMF (MSE)': [dict(wd=w) for w in (1., 3., 10.)],
            'fastcf HybridTabular (MSE)': [dict(wd=w, epochs=e, lr=lr) for w in (0.1, 0.3) for e,lr in ((8, 1e-2), (5, 3e-3))],
            'fastcf HybridMF (softmax ranking)': [dict(id_drop=d, wd=w) for d in (0.25, 0.5) for w in (0.05, 0.2)],
            'users: fastcf HybridMF (softmax ranking)': [dict(id_drop=d, wd=w, epochs=20, lr=3e-3) for d in (0.75, 1.) for w in (0.3, 1.)],
            'users +5: fastcf HybridMF (softmax ranking)': [dict(id_drop=d, wd=1., epochs=20, lr=3e-3) for d in (0., 0.25)]}  # (ids kept: her fold-in fits her id part)
    lams = list(itertools.product((300., 1000., 3000., 5000., 10000.), (0., 0.9, 0.95, 0.98)))  # EASE's (lambda, drop)
    trends = list(itertools.product((30, 60), (0.25, 0.5, 1.)))  # Trending's (days, weight) for the cold users
    cohorts = list(itertools.product(itertools.product((15, 30, 60), (0., 1., 3.), (0., 1.)), (0.125, 0.25, 0.5), (0., 0.25, 0.5)))  # ((Cohort's days, match weights), weight, 30-day trend's weight)
    fold_wds = {'rating': (0.3, 1., 3., 10.), 'ranking': (0.01, 0.03, 0.1)}  # the hybrids' fold-in pulls towards her feature-based start
    if quick: grid,lams,trends,fold_wds,cohorts = {k: v[:1] for k,v in grid.items()},[(5000., 0.), (1000., 0.98)],[(30, 0.5)],{'rating': (3.,), 'ranking': (0.03,)},[((30, 1., 1.), 0.25, 0.5)]
    return grid,lams,trends,fold_wds,cohorts

def users_ndcg(ru, seed=None):
    "Print fastcf's best NDCG@10 against the best other row's for new users cold and with 5 ratings; return `{what: (ours, other)}`"
    res = {}
    for i,what in ((1, 'cold'), (3, 'with 5 ratings')):
        (n1,v1),(n2,v2) = best_ours(ru, i, False),best_other(ru, i, False)
        print(f"coldstart users NDCG@10 {what}{'' if seed is None else f' (split seed {seed})'}: fastcf {v1:.4f} ({n1}) vs best other {v2:.4f} ({n2})", flush=True)
        res[what] = v1,v2
    return res

def users_seeds(ratings, users_f, items_f, seeds, sets):
    "(2) alone on each split seed of `seeds`, with `settings`' `sets`: the spread of the new-user figures from one seeded split to another"
    res = [users_ndcg(users_protocol(ratings, users_f, items_f, s, *sets), s) for s in seeds]
    for what in ('cold', 'with 5 ratings'):
        ours,other = np.array([r[what][0] for r in res]),np.array([r[what][1] for r in res])
        print(f"coldstart users NDCG@10 {what} over split seeds {' '.join(map(str, seeds))}: fastcf {ours.min():.4f} to {ours.max():.4f} (mean {ours.mean():.4f}), "
              f"best other {other.min():.4f} to {other.max():.4f} (mean {other.mean():.4f}); fastcf ahead on {(ours > other).sum()} of {len(seeds)}")

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--quick', action='store_true', help="one setting per fastcf model instead of the validation grid")
    p.add_argument('--users-seeds', type=int, nargs='+', metavar='SEED', help="instead of the run: (2), new users, alone on each of these split seeds (validation: seed + 1), "
                   "and the range of its NDCG@10 figures over them: how much they move from one seeded split to another")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    for m in ('fastai', 'torch', 'lightfm'): warnings.filterwarnings('ignore', module=m)
    print(f"torch threads: {a.threads}; seed {a.seed}")
    LIGHTFM = _lightfm_why_not()  # (None: LightFM works here)
    ratings = load_movielens(titles=False)
    users_f,items_f = movielens_features()
    grid,lams,trends,fold_wds,cohorts = sets = settings(a.quick)
    if a.users_seeds: sys.exit(users_seeds(ratings, users_f, items_f, a.users_seeds, sets))
    ri = items_protocol(ratings, users_f, items_f, a.seed, grid)
    ru = users_protocol(ratings, users_f, items_f, a.seed, *sets)
    users_ndcg(ru)
    warm_protocol(users_f, items_f, a.seed, ri.pop('_mf_cfg'))
    (on,orr),(bn,br) = best_ours({k: (v[0],) for k,v in ri.items()}, 0, True),best_other({k: (v[0],) for k,v in ri.items()}, 0, True)
    nd = {k: (None if v[1] is None else v[1]['ndcg'],) for k,v in ri.items()}
    (_,on_n),(_,bn_n) = best_ours(nd, 0, False),best_other(nd, 0, False)
    print(f"coldstart items: fastcf rmse {orr:.4f} ndcg {on_n:.4f} vs best other rmse {br:.4f} ndcg {bn_n:.4f}")
