"""fastcf as a drop-in, checked the way a fastai user meets it, on ML-100k (offline FASTAI_HOME):

1. fastbook chapter 8's collaborative filtering section and the 2018 lesson-5 flow (fastai v2's collab tutorial), step by step,
   once with fastai's own objects and once with fastcf's drop-ins, fastcf imported in both;
2. with the same seed, fastcf's loaders hold the same rows and the same split as fastai's;
3. every fastcf helper gives the same answer on a learner built by fastai as on one built by fastcf with the same weights
   copied in, for fastai's `EmbeddingDotBias` and `EmbeddingNN`; and on chunked loaders as on in-memory ones.
A helper that read the wrong table, or the wrong loader's data, would give a different answer (the last test shows one does).
Training is kept to one epoch: what is compared is behaviour, not accuracy.
"""
import warnings
from operator import itemgetter
import numpy as np, pandas as pd, pytest, torch
from fastai.tabular.all import *
from fastai.collab import *
import fastai.collab as fastai_collab
from fastcf.all import *
from fastcf.learner import fastai_internals
for _n in [n for n in globals() if n.startswith('test')]: del globals()[_n]  # fastcore's test_eq & co. from the star imports are not tests

warnings.filterwarnings('ignore', message='.*duplicate.*')

@pytest.fixture(scope='module')
def ratings(fastai_home):
    "fastbook's frame: u.data merged with u.item's titles"
    path = untar_data(URLs.ML_100k)
    r = pd.read_csv(path/'u.data', delimiter='\t', header=None, names=['user','movie','rating','timestamp'])
    movies = pd.read_csv(path/'u.item', delimiter='|', encoding='latin-1', usecols=(0,1), names=('movie','title'), header=None)
    return r.merge(movies)

def _quiet(learn): return learn.no_bar(), learn.no_logging()

def _fit(learn, *args, **kwargs):
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(*args, **kwargs)
    return learn.validate()[0]

# ---- 1. the book and the lesson, step by step, with either kind of object

KINDS = {'fastai': (CollabDataLoaders, fastai_collab.collab_learner),
         'fastcf': (FastCollabDataLoaders, collab_learner)}

def fastbook_chapter8(ratings, kind):
    "fastbook chapter 8 ('Collaborative Filtering Deep Dive'), each step as the book writes it (one epoch per fit)"
    dls_cls,learner_fn = KINDS[kind]
    dls = dls_cls.from_df(ratings, item_name='title', bs=64, seed=42)
    dls.show_batch()
    n_users,n_movies = len(dls.classes['user']),len(dls.classes['title'])
    user_factors = torch.randn(n_users, 5)
    assert torch.allclose(user_factors.t() @ one_hot(3, n_users).float(), user_factors[3])
    class DotProduct(Module):
        def __init__(self, n_users, n_movies, n_factors, y_range=(0,5.5)):
            self.user_factors,self.movie_factors,self.y_range = Embedding(n_users, n_factors),Embedding(n_movies, n_factors),y_range
        def forward(self, x):
            return sigmoid_range((self.user_factors(x[:,0]) * self.movie_factors(x[:,1])).sum(dim=1), *self.y_range)
    x,y = dls.one_batch()
    assert x.shape == (64, 2)
    losses = {'dot': _fit(Learner(dls, DotProduct(n_users, n_movies, 50), loss_func=MSELossFlat()), 1, 5e-3)}
    class DotProductBias(Module):  # from raw parameters, as the book's last version
        def __init__(self, n_users, n_movies, n_factors, y_range=(0,5.5)):
            self.user_factors,self.user_bias = create_params([n_users, n_factors]),create_params([n_users])
            self.movie_factors,self.movie_bias = create_params([n_movies, n_factors]),create_params([n_movies])
            self.y_range = y_range
        def forward(self, x):
            users,movies = self.user_factors[x[:,0]],self.movie_factors[x[:,1]]
            res = (users*movies).sum(dim=1) + self.user_bias[x[:,0]] + self.movie_bias[x[:,1]]
            return sigmoid_range(res, *self.y_range)
    learn = Learner(dls, DotProductBias(n_users, n_movies, 50), loss_func=MSELossFlat())
    losses['params'] = _fit(learn, 1, 5e-3, wd=0.1)
    movie_bias = learn.model.movie_bias.squeeze()
    worst = [dls.classes['title'][i] for i in movie_bias.argsort()[:5]]
    g = ratings.groupby('title')['rating'].count()
    top_movies = g.sort_values(ascending=False).index.values[:1000]
    top_idxs = tensor([learn.dls.classes['title'].o2i[m] for m in top_movies])
    movie_pca = learn.model.movie_factors[top_idxs].cpu().detach().pca(3)
    fac0,fac1,fac2 = movie_pca.t()
    # and fastcf's helpers on the book's own module (read by its names)
    interp = CollabInterpretation.from_learner(learn)
    assert list(interp.biases(5).title[-5:][::-1]) == worst
    learn = learner_fn(dls, n_factors=50, y_range=(0, 5.5))
    losses['collab_learner'] = _fit(learn, 1, 5e-3, wd=0.1)
    movie_bias = learn.model.i_bias.weight.squeeze()
    best = [dls.classes['title'][i] for i in movie_bias.argsort(descending=True)[:5]]
    movie_factors = learn.model.i_weight.weight
    idx = dls.classes['title'].o2i['Silence of the Lambs, The (1991)']
    distances = nn.CosineSimilarity(dim=1)(movie_factors, movie_factors[idx][None])
    closest = dls.classes['title'][distances.argsort(descending=True)[1]]
    assert CollabInterpretation.from_learner(learn).similar('Silence of the Lambs, The (1991)', n=1).title[0] == closest
    embs = get_emb_sz(dls)
    class CollabNN(Module):
        def __init__(self, user_sz, item_sz, y_range=(0,5.5), n_act=100):
            self.user_factors,self.item_factors = Embedding(*user_sz),Embedding(*item_sz)
            self.layers = nn.Sequential(nn.Linear(user_sz[1]+item_sz[1], n_act), nn.ReLU(), nn.Linear(n_act, 1))
            self.y_range = y_range
        def forward(self, x):
            embs = self.user_factors(x[:,0]),self.item_factors(x[:,1])
            return sigmoid_range(self.layers(torch.cat(embs, dim=1)), *self.y_range)
    losses['CollabNN'] = _fit(Learner(dls, CollabNN(*embs), loss_func=MSELossFlat()), 1, 5e-3, wd=0.01)
    learn = learner_fn(dls, use_nn=True, y_range=(0, 5.5), layers=[100,50])
    losses['use_nn'] = _fit(learn, 1, 5e-3, wd=0.1)
    assert isinstance(learn.model, EmbeddingNN)
    return dls,losses,best

def lesson5(ratings, kind):
    "The 2018 lesson 5 flow as fastai v2 writes it (docs.fast.ai's collab tutorial): bias and weight by title, PCA of the top movies"
    dls_cls,learner_fn = KINDS[kind]
    dls = dls_cls.from_df(ratings, item_name='title', bs=64, seed=42)
    learn = learner_fn(dls, n_factors=50, y_range=(0, 5.5))
    _fit(learn, 1, 5e-3, wd=0.1)
    g = ratings.groupby('title')['rating'].count()
    top_movies = g.sort_values(ascending=False).index.values[:1000]
    movie_bias = learn.model.bias(top_movies, is_item=True)
    mean_ratings = ratings.groupby('title')['rating'].mean()
    movie_ratings = [(b, i, mean_ratings.loc[i]) for i,b in zip(top_movies, movie_bias)]
    worst = sorted(movie_ratings, key=lambda o: o[0])[:15]
    movie_w = learn.model.weight(top_movies, is_item=True)
    fac0,fac1,fac2 = movie_w.pca(3).t()
    movie_comp = sorted([(f, i) for f,i in zip(fac0, top_movies)], key=itemgetter(0), reverse=True)[:10]
    assert movie_w.shape == (1000, 50) and len(worst) == 15 and len(movie_comp) == 10
    return learn

@pytest.mark.parametrize('kind', ['fastai', 'fastcf'])
def test_fastbook_chapter8(ratings, kind):
    dls,losses,best = fastbook_chapter8(ratings, kind)
    assert len(best) == 5
    for k,v in losses.items(): assert 0.7 < v < 1.3, (kind, k, v)  # one epoch each: every model learns something

@pytest.mark.parametrize('kind', ['fastai', 'fastcf'])
def test_lesson5(ratings, kind):
    learn = lesson5(ratings, kind)
    assert learn.model.bias(['Star Wars (1977)', 'Fargo (1996)']).shape == (2,)

# ---- 2. same rows, same split

def test_same_rows_and_split(ratings):
    theirs = CollabDataLoaders.from_df(ratings, item_name='title', bs=64, seed=42)
    ours = FastCollabDataLoaders.from_df(ratings, item_name='title', bs=64, seed=42, vocab='fastai')
    for i in (0,1):
        assert torch.equal(collab_view(ours).codes(i), collab_view(theirs).codes(i))
        assert torch.equal(collab_view(ours).ratings(i), collab_view(theirs).ratings(i))
    assert len(ours.train_ds) + len(ours.valid_ds) == len(ratings)  # the 307 duplicate (user, title) pairs are kept, as fastai keeps them
    # without a seed, the same global seed gives the same split too
    set_seed(5); a = CollabDataLoaders.from_df(ratings, item_name='title')
    set_seed(5); b = FastCollabDataLoaders.from_df(ratings, item_name='title', vocab='fastai')
    assert torch.equal(collab_view(a).codes(1), collab_view(b).codes(1))

# ---- 3. every helper, the same answer on a fastai-built and a fastcf-built learner with the same weights

@pytest.fixture(scope='module')
def pair(ratings):
    "A fastai-built learner (fastai's loaders, collab_learner, EmbeddingDotBias), trained one epoch, and a fastcf-built one with its weights"
    fdls = CollabDataLoaders.from_df(ratings, item_name='title', bs=256, seed=42)
    set_seed(0)
    fl = fastai_collab.collab_learner(fdls, n_factors=8, y_range=(0, 5.5))
    _fit(fl, 1, 1e-2, wd=0.1)
    cdls = FastCollabDataLoaders.from_df(ratings, item_name='title', bs=256, seed=42, vocab='fastai')
    cl = collab_learner(cdls, n_factors=8, y_range=(0, 5.5))
    copy_tables(fl.model, cl.model)
    return fl,cl

def _same(a, b):
    if isinstance(a, pd.DataFrame): pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, atol=1e-5)
    elif isinstance(a, dict): assert a.keys()==b.keys() and all(abs(a[k]-b[k]) < 1e-5 for k in a), (a, b)
    elif isinstance(a, tuple): [_same(x, y) for x,y in zip(a, b)]
    else: torch.testing.assert_close(torch.as_tensor(a).float(), torch.as_tensor(b).float(), atol=1e-5, rtol=1e-5)

NEW_USER = pd.DataFrame({'title': ['Star Wars (1977)', 'Fargo (1996)', 'Scream (1996)', 'Liar Liar (1997)'], 'rating': [5, 5, 1, 2]})

def helpers(learn, ratings, keys=None):
    "Each fastcf helper's answer on `learn`"
    pairs = ratings.iloc[:300][['user','title']]
    interp = CollabInterpretation.from_learner(learn)
    l2 = L2Reg(0.1, 'used')
    x = collab_view(learn).encode(pairs).long()
    def stats():
        cb = EmbeddingStats(); cb.learn = learn; learn.epoch = 0; cb.before_fit(); cb.after_epoch()
        return cb.df
    calls = {
        'predict_ratings': lambda: learn.predict_ratings(pairs),
        'score_items': lambda: learn.score_items([1, 2, 3]),
        'recommend': lambda: learn.recommend(1, n=10),
        'recommend_many': lambda: learn.recommend_many([1, 2, 3, 500], n=5),
        'cold start (item bias)': lambda: learn.recommend('someone new', n=8),
        'cold start (average user)': lambda: learn.predict_ratings(pairs.assign(user='someone new'), unknown='average'),
        'fold-in': lambda: learn.recommend('someone new', n=8, ratings=NEW_USER, steps=50),
        'biases': lambda: interp.biases(8), 'user biases': lambda: interp.biases(5, which='user'),
        'pca': lambda: interp.pca(3, top=200), 'similar': lambda: interp.similar('Star Wars (1977)', n=6),
        'similar_users': lambda: interp.similar_users(1, n=6),
        'predictions': lambda: interp.predictions(),
        'evaluate_ranking': lambda: evaluate_ranking(learn, 10),
        'L2Reg penalty': lambda: l2.penalty(learn.model, x).detach(),
        'EmbeddingStats': stats,
    }
    return {k: f() for k,f in calls.items() if keys is None or k in keys}

def test_helpers_agree_on_fastai_and_fastcf_learners(pair, ratings):
    fl,cl = pair
    a,b = helpers(fl, ratings),helpers(cl, ratings)
    for k in a: _same(a[k], b[k])
    assert set(a['recommend'].title).isdisjoint(ratings.title[ratings.user==1])  # what user 1 rated, read from fastai's loaders too

def test_plots_on_fastai_learner(pair):
    fl,_ = pair
    ax = CollabInterpretation.from_learner(fl).plot_pca(n=20, top=200, figsize=(4,4))
    assert len(ax.texts) == 20
    assert len(CollabInterpretation.from_learner(fl).plot_predictions().axes) == 3

def test_export_load_agree(pair, ratings, tmp_path):
    fl,cl = pair
    before = [l.recommend(1, n=10) for l in (fl, cl)]
    for l,name in ((fl, 'fastai.pkl'), (cl, 'fastcf.pkl')):
        l.path = tmp_path; l.export(name)
    nf,nc = load_learner(tmp_path/'fastai.pkl'),load_learner(tmp_path/'fastcf.pkl')
    _same(nf.recommend(1, n=10), before[0]); _same(nc.recommend(1, n=10), before[1])
    _same(nf.predict_ratings(ratings.iloc[:50]), nc.predict_ratings(ratings.iloc[:50]))
    with pytest.warns(UserWarning, match='left empty'): fb = CollabInterpretation(nf).biases(5)  # (fastai's export keeps no ratings to count)
    counts = ['mean_rating', 'n_ratings']
    _same(fb.drop(columns=counts), CollabInterpretation(nc).biases(5).drop(columns=counts))
    _same(CollabInterpretation(nc).biases(5), CollabInterpretation(cl).biases(5))  # fastcf's keeps the counts

def test_predict_one_row(pair, ratings, tmp_path):
    "fastai's `learn.predict(row)`: on fastcf's learner (fastai's loaders and model inside), one row in, fastai's triple out; fastai's own learner still fails, as fastai does"
    fl,cl = pair
    fcl = collab_learner(fl.dls, n_factors=8, y_range=(0, 5.5)); copy_tables(fl.model, fcl.model)
    want = fl.predict_ratings(ratings.iloc[:1])[0]
    for l in (cl, fcl):
        row,dec,act = l.predict(ratings.iloc[0])
        assert (row['user'], row['title']) == (ratings.user.iloc[0], ratings.title.iloc[0])
        _same(dec, want); _same(act, want); assert abs(row['rating'] - want.item()) < 1e-5
    cl.path = tmp_path; cl.export('p.pkl')
    _same(load_learner(tmp_path/'p.pkl').predict(ratings.iloc[0])[1], want)
    with pytest.raises(TypeError): fl.predict(ratings.iloc[0])

def test_fastai_export_without_rated_items_says_so(ratings, tmp_path):
    fdls = CollabDataLoaders.from_df(ratings.iloc[:3000], item_name='title', bs=256, seed=42)
    fl = fastai_collab.collab_learner(fdls, n_factors=4, y_range=(0, 5.5))
    fl.path = tmp_path; fl.export('m.pkl')  # exported before any fastcf helper asked what each user rated
    new = load_learner(tmp_path/'m.pkl')
    with pytest.raises(ValueError, match='exclude_seen=False'): new.recommend(ratings.user.iloc[0])
    assert len(new.recommend(ratings.user.iloc[0], exclude_seen=False)) == 10
    mine = lambda r: pd.DataFrame({'title': [ratings.title.iloc[0]], 'rating': [r]})  # a new user's: checked against the model's y_range, the ratings' range being gone
    with pytest.raises(ValueError, match=r"rating 50 of item .* is outside the model's y_range, 0 to 5.5"): new.recommend('somebody new', ratings=mine(50.))
    assert len(new.recommend('somebody new', ratings=mine(5.), n=3)) == 3

def test_nn_models_agree(ratings):
    "fastai's `collab_learner(use_nn=True)` and fastcf's build the same `EmbeddingNN`: with the same weights, the same answers"
    fdls = CollabDataLoaders.from_df(ratings, item_name='title', bs=256, seed=42)
    cdls = FastCollabDataLoaders.from_df(ratings, item_name='title', bs=256, seed=42, vocab='fastai')
    fl = fastai_collab.collab_learner(fdls, use_nn=True, y_range=(0, 5.5), layers=[32, 16])
    cl = collab_learner(cdls, use_nn=True, y_range=(0, 5.5), layers=[32, 16])
    cl.model.load_state_dict(fl.model.state_dict())
    keys = ('predict_ratings', 'recommend', 'cold start (average user)', 'fold-in', 'pca', 'similar', 'evaluate_ranking', 'L2Reg penalty', 'EmbeddingStats')
    a,b = helpers(fl, ratings, keys),helpers(cl, ratings, keys)
    for k in keys: _same(a[k], b[k])
    with pytest.raises(ValueError, match='EmbeddingNN has no item bias table'): CollabInterpretation(fl).biases()

def test_chunked_loaders_agree(tmp_path):
    "On chunked `.npy` loaders the helpers give what they give on in-memory loaders holding the same rows, split and weights"
    data,_ = synthetic_to_npy(tmp_path, 300, 200, 20_000, chunk=7_000, seed=0, n_factors=4)
    kdls = ChunkedCollabDataLoaders.from_folder(tmp_path, valid_pct=0.1, bs=512, chunk_rows=5000)
    u,i,r = [data.read(n, 0, data.n) for n in ('user','item','rating')]
    cut = data.n - int(0.1*data.n)
    mdls = FastCollabDataLoaders.from_arrays(u, i, r, splits=(np.arange(cut), np.arange(cut, data.n)), bs=512)
    assert list(mdls.classes['user']) == list(kdls.classes['user']) and list(mdls.classes['item']) == list(kdls.classes['item'])
    kl,ml = [collab_learner(d, n_factors=4, y_range=default_y_range(collab_view(kdls).rating_range()), model='svdpp') for d in (kdls, mdls)]  # (fastbook's rule on the planted ratings' range: no warning that they fall outside it)
    with kl.no_bar(), kl.no_logging(): kl.fit_one_cycle(1, 1e-2)
    ml.model.load_state_dict(kl.model.state_dict())
    _same(kl.recommend_many([0, 5, 17], n=5), ml.recommend_many([0, 5, 17], n=5))
    _same(evaluate_ranking(kl, 10, threshold=4.), evaluate_ranking(ml, 10, threshold=4.))
    _same(CollabInterpretation(kl).biases(5), CollabInterpretation(ml).biases(5))
    _same(CollabInterpretation(kl).similar(3, n=4), CollabInterpretation(ml).similar(3, n=4))
    _same(kl.recommend(10_000, n=5, ratings=pd.DataFrame({'item': [1, 2, 3], 'rating': [5., 1, 4]}), steps=30),
          ml.recommend(10_000, n=5, ratings=pd.DataFrame({'item': [1, 2, 3], 'rating': [5., 1, 4]}), steps=30))

def test_a_wrong_table_would_show(pair, ratings):
    "The comparison can fail: a fastcf learner whose item bias differs gives other bias tables and recommendations"
    fl,cl = pair
    wrong = collab_learner(cl.dls, n_factors=8, y_range=(0, 5.5))
    copy_tables(fl.model, wrong.model)
    with torch.no_grad(): wrong.model.item_bias.weight.copy_(fl.model.u_bias.weight[:1].expand_as(wrong.model.item_bias.weight) + torch.randn_like(wrong.model.item_bias.weight))
    with pytest.raises(AssertionError): _same(helpers(fl, ratings, ['biases'])['biases'], helpers(wrong, ratings, ['biases'])['biases'])

def test_fastai_internals_present():
    assert fastai_internals() == [], f"fastai changed what CollabLearner relies on: {fastai_internals()}"

def test_fastai_interpretation_on_fastcf_losses():
    "fastai's `Interpretation.top_losses` asks the loss for a value per row (`reduction='none'`): fastcf's class, liked and ranking losses give them, the same as computed from `get_preds`"
    syn,_ = synthetic_ratings(n_users=150, n_items=80, n_ratings=4000, n_factors=3, seed=0)
    dls = FastCollabDataLoaders.from_df(syn.assign(rating=syn.rating.round().clip(1, 5)), bs=128, seed=0)
    top = lambda l: Interpretation.from_learner(l).top_losses(5)[0]
    cl = collab_learner(dls, n_factors=4, model='classes')
    probs,targ = cl.get_preds()
    per_row = -probs[torch.arange(len(targ)), cl.loss_func.to_class(targ)].log()
    torch.testing.assert_close(top(cl), per_row.topk(5).values, atol=1e-4, rtol=1e-4)
    ll = collab_learner(dls, n_factors=4, model='liked')
    p,targ = ll.get_preds()
    torch.testing.assert_close(top(ll), F.binary_cross_entropy(p.view(-1), (targ.view(-1)>=4).float(), reduction='none').topk(5).values, atol=1e-4, rtol=1e-4)
    rl = ranking_learner(ImplicitDataLoaders.from_df(synthetic_interactions(n_users=150, n_items=80, per_user=20, seed=0), bs=128), model='mf', loss='softmax')
    s,targ = rl.get_preds()
    torch.testing.assert_close(top(rl), F.cross_entropy(s, targ.long(), reduction='none').topk(5).values, atol=1e-4, rtol=1e-4)
    assert rl.loss_func.reduction == 'mean'  # (fastai puts it back)

def test_all_brings_what_fastai_all_modules_bring():
    "`from fastcf.all import *` alone gives what fastbook chapter 8's two imports do (fastai.tabular.all: basics, every callback; fastai.collab), with fastcf's own `collab_learner`"
    import subprocess, sys
    code = ("from fastcf.all import *\n"
            "import fastcf.collab\n"
            "for n in ('untar_data', 'URLs', 'Learner', 'Module', 'sigmoid_range', 'SaveModelCallback', 'EarlyStoppingCallback', 'CSVLogger', 'ShowGraphCallback', 'MixedPrecision', 'TabularPandas', 'CollabDataLoaders', 'EmbeddingDotBias'):\n"
            "    assert n in globals(), n\n"
            "assert collab_learner is fastcf.collab.collab_learner\n")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
