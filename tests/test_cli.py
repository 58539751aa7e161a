"The `fastcf` command as a newcomer runs it: train on MovieLens (offline FASTAI_HOME), then recommend"
import os, subprocess, sys
import numpy as np, pandas as pd, pytest

def run(*args, **kw):
    env = dict(os.environ, MPLBACKEND='Agg')
    return subprocess.run(['fastcf', *args], capture_output=True, text=True, env=env, timeout=600, **kw)

def test_help():
    r = run('--help')
    assert r.returncode == 0 and 'train' in r.stdout and 'recommend' in r.stdout
    r = run('train', '--help')
    assert '--epochs' in r.stdout and 'untar_data' in r.stdout

@pytest.fixture(scope='module')
def trained(tmp_path_factory, fastai_home):
    out = tmp_path_factory.mktemp('run')
    r = run('train', '--epochs', '2', '--bs', '256', '--lr', '1e-2', '--out', str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r.stdout

def test_train_writes_outputs(trained):
    out, stdout = trained
    assert {p.name for p in out.iterdir()} == {'learner.pkl', 'biases.csv', 'pca.png'}
    assert 'valid_loss' in stdout and '_rmse' in stdout          # fastai's metrics table
    bt = pd.read_csv(out/'biases.csv')
    assert len(bt) == 20 and bt.bias.is_monotonic_decreasing
    assert (out/'pca.png').read_bytes()[:4] == b'\x89PNG'

def test_recommend_reads_learner(trained, ml100k):
    out, _ = trained
    r = run('recommend', '--user', '1', '--n', '7', '--learner', str(out/'learner.pkl'))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0] == 'Top 7 for user 1:' and len(lines) == 9 and 'title' in lines[1]
    rated = set(ml100k.title[ml100k.user == 1])
    assert not any(t in l for l in lines[2:] for t in rated if len(t) > 12)

def test_recommend_min_ratings(trained, ml100k):
    "`--min-ratings 20`: the list keeps to films rated at least 20 times, as the learner's `recommend(min_ratings=20)` does"
    from fastcf.all import load_collab_learner, collab_view
    out, _ = trained
    r = run('recommend', '--user', '1', '--n', '10', '--min-ratings', '20', '--learner', str(out/'learner.pkl'))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0] == 'Top 10 for user 1 (items rated at least 20 times):'
    items = [int(l.split()[0]) for l in lines[2:]]
    assert ml100k.item.value_counts()[items].min() >= 20
    assert items == list(load_collab_learner(out/'learner.pkl').recommend(1, n=10, min_ratings=20).item)
    bad = run('recommend', '--user', '1', '--min-ratings', '-1', '--learner', str(out/'learner.pkl'))
    assert bad.returncode == 2 and '--min-ratings=-1: needs a finite number of at least 0' in bad.stderr
    most = int(collab_view(load_collab_learner(out/'learner.pkl')).counts('item')[0].max())  # (a bar no film reaches: an error naming the most any was rated)
    none = run('recommend', '--user', '1', '--min-ratings', '100000', '--learner', str(out/'learner.pkl'))
    assert none.returncode == 2 and none.stderr.strip() == (f"fastcf recommend: error: min_ratings=100000: no item was rated that often in the loaders' data "
                                                            f"(the most, {most} times), so nothing is left to recommend: lower it (fastcf recommend: --min-ratings)"), none.stderr

def test_similar(trained):
    "`fastcf similar` prints the exported learner's `CollabInterpretation.similar`, by id or by title: Star Wars's nearest include its sequel"
    from fastcf.all import load_collab_learner, CollabInterpretation
    l = str(trained[0]/'learner.pkl')
    ids = lambda r: [int(o.split()[0]) for o in r.stdout.strip().splitlines()[2:]]
    by_title,by_id = [run('similar', '--item', k, '--n', '10', '--learner', l) for k in ('Star Wars (1977)', '50')]
    assert by_title.returncode == 0 and by_id.returncode == 0, by_title.stderr + by_id.stderr
    assert by_id.stdout.splitlines()[0] == by_title.stdout.splitlines()[0] == 'The 10 items most like item 50 (Star Wars (1977)):'  # (a title: its id too)
    learn = load_collab_learner(l)
    interp = CollabInterpretation.from_learner(learn, learn.item_labels)
    assert ids(by_title) == ids(by_id) == list(interp.similar(50, 10).item) and 50 not in ids(by_id)
    assert 'Empire Strikes Back, The (1980)' in by_id.stdout
    users = run('similar', '--user', '1', '--n', '4', '--learner', l)
    assert users.returncode == 0 and ids(users) == list(interp.similar_users(1, 4).user), users.stdout + users.stderr

def test_rank_recipe(tmp_path, ml100k):
    "`--recipe rank` on MovieLens: the validation metrics it prints are `fast_ranker`'s own; a known user's list and a new user's from a one-column item file are the learner's; similar items by EASE's rows, no similar users"
    from fastcf.all import fast_ranker, load_collab_learner
    r = run('train', '--recipe', 'rank', '--out', str(tmp_path/'r'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert {p.name for p in (tmp_path/'r').iterdir()} == {'learner.pkl', 'pca.png'}  # (EASE's item vectors: its rows of weights)
    lines = r.stdout.splitlines()
    k = lines.index('Ranking the validation interactions:')
    printed = dict(zip(lines[k+1].split(), map(float, lines[k+2].split())))
    want = fast_ranker(ml100k[['user', 'item', 'rating', 'timestamp']], valid_pct=0.2, seed=42).validate()[1]
    assert abs(printed['ndcg@10'] - want) < 1e-4 and want > 0.4, (printed, want)
    l = str(tmp_path/'r'/'learner.pkl')
    top = lambda r: [int(o.split()[0]) for o in r.stdout.strip().splitlines()[2:]]
    known = run('recommend', '--user', '1', '--n', '10', '--learner', l)
    assert known.returncode == 0 and not set(top(known)) & set(ml100k.item[ml100k.user == 1]), known.stdout + known.stderr
    kept = run('recommend', '--user', '1', '--n', '5', '--min-ratings', '300', '--learner', l)  # (interactions: chosen, not rated)
    assert kept.stdout.startswith('Top 5 for user 1 (items chosen at least 300 times):') and ml100k.item.value_counts()[top(kept)].min() >= 300, kept.stdout + kept.stderr
    (tmp_path/'mine.csv').write_text('item\n50\n181\n172\n')
    new = run('recommend', '--user', 'new', '--ratings', str(tmp_path/'mine.csv'), '--n', '5', '--learner', l)
    assert new.returncode == 0 and new.stdout.count('fold-in') == 5, new.stdout + new.stderr
    learn = load_collab_learner(l)
    assert top(new) == list(learn.recommend('new', n=5, ratings=pd.DataFrame({'item': [50, 181, 172]})).item) and not {50, 181, 172} & set(top(new))
    sim = run('similar', '--item', 'Star Wars (1977)', '--n', '10', '--learner', l)  # (by the cosine of EASE's rows of weights)
    assert sim.returncode == 0 and 'Return of the Jedi (1983)' in sim.stdout, sim.stdout + sim.stderr
    users = run('similar', '--user', '1', '--learner', l)  # (a user's vector: her scores, the sum of her items' rows of weights)
    assert users.returncode == 0 and users.stdout.startswith('The 10 users most like user 1:'), users.stdout + users.stderr
    near = top(users)
    sets = ml100k.groupby('user').item.apply(set)
    jac = lambda a, b: len(sets[a] & sets[b])/len(sets[a] | sets[b])
    assert 1 not in near and np.mean([jac(1, v) for v in near]) > 2*np.mean([jac(1, v) for v in sets.index if v != 1])  # (they chose much more of what user 1 chose than the average user did)

def test_rank_recipe_mf(tmp_path, ml100k):
    "`--recipe rank --model rank_mf`: a RankMF trained by fit_one_cycle; it has factors, so a PCA plot and similar items, but no bias table"
    r = run('train', '--recipe', 'rank', '--model', 'rank_mf', '--out', str(tmp_path/'m'))  # (its defaults: 20 epochs, about 20 s)
    assert r.returncode == 0, r.stderr[-3000:]
    assert {p.name for p in (tmp_path/'m').iterdir()} == {'learner.pkl', 'pca.png'} and 'train_loss' in r.stdout
    lines = r.stdout.splitlines(); k = lines.index('Ranking the validation interactions:')
    assert float(lines[k+2].split()[0]) > 0.4, lines[k+1:k+3]  # (measured 0.418; 5 epochs give 0.334)
    sim = run('similar', '--item', 'Star Wars (1977)', '--n', '5', '--learner', str(tmp_path/'m'/'learner.pkl'))
    assert sim.returncode == 0 and 'Return of the Jedi (1983)' in sim.stdout, sim.stdout + sim.stderr

def test_rank_recipe_csv(tmp_path):
    "`--recipe rank` on a CSV of planted interactions (user, item only), and with --threshold on a rating column: only the kept rows are interactions"
    from fastcf.all import synthetic_interactions, load_collab_learner, collab_view
    df = synthetic_interactions(n_users=300, n_items=200, seed=0)
    df.to_csv(tmp_path/'clicks.csv', index=False)
    r = run('train', '--recipe', 'rank', '--csv', str(tmp_path/'clicks.csv'), '--out', str(tmp_path/'c'))
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.splitlines(); k = lines.index('Ranking the validation interactions:')
    assert float(lines[k+2].split()[0]) > 0.2  # (random: about 0.05)
    noise = pd.DataFrame({'user': df.user.unique(), 'item': 10**6}).assign(stars=1)  # (an item only low ratings name)
    pd.concat([df.assign(stars=5), noise]).to_csv(tmp_path/'rated.csv', index=False)
    r = run('train', '--recipe', 'rank', '--csv', str(tmp_path/'rated.csv'), '--threshold', '4', '--out', str(tmp_path/'t'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert not collab_view(load_collab_learner(tmp_path/'t'/'learner.pkl')).is_known(10**6, 'item')
    # times as dates in the CSV: the same time-aware model as their seconds (a sitting's clicks minutes apart, sittings days apart)
    rng = np.random.default_rng(0)
    secs = df.assign(ts=880_000_000 + df.user*86400*3 + rng.integers(0, 600, len(df)))
    secs.to_csv(tmp_path/'secs.csv', index=False)
    secs.assign(ts=pd.to_datetime(secs.ts, unit='s').dt.strftime('%Y-%m-%d %H:%M:%S')).to_csv(tmp_path/'dates.csv', index=False)
    outs = [run('train', '--recipe', 'rank', '--csv', str(tmp_path/f'{k}.csv'), '--time-col', 'ts', '--out', str(tmp_path/k)) for k in ('secs', 'dates')]
    assert all(o.returncode == 0 for o in outs), outs[1].stderr[-3000:]
    table = lambda o: o.stdout.split('Ranking')[1].split('Saved')[0]
    assert table(outs[0]) == table(outs[1]) and outs[1].stderr == '', (outs[0].stdout, outs[1].stdout, outs[1].stderr)

def test_unrecognized_arguments():
    "An option the command does not have: its own usage, and the option meant (a close spelling, or another command's), not fastcf's usage"
    r = run('recommend', '--user', '1', '--model', 'runs', '--lerner', 'x.pkl', '--exclude-seen', 'extra')
    assert r.returncode == 2 and 'usage: fastcf recommend' in r.stderr and 'Traceback' not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == ("fastcf recommend: error: unrecognized arguments: --model runs --lerner x.pkl --exclude-seen extra (--model is an option of fastcf train; "
                                                 "--lerner: did you mean --learner?; --exclude-seen: did you mean --include-seen?); see fastcf recommend -h")

def test_recommend_unknown_learner(tmp_path):
    r = run('recommend', '--user', '1', '--learner', str(tmp_path/'nope.pkl'))
    assert r.returncode == 2 and 'run `fastcf train` first' in r.stderr

def test_train_csv_bad_column(tmp_path, fastai_home):
    f = tmp_path/'r.csv'
    pd.DataFrame({'u': [1, 2], 'i': [1, 2], 'r': [4, 5]}).to_csv(f, index=False)
    r = run('train', '--csv', str(f), '--rating-col', 'stars', '--out', str(tmp_path/'o'))
    assert r.returncode == 2 and "rating column 'stars' not found" in r.stderr

def test_train_csv(tmp_path, fastai_home):
    from fastcf.data import synthetic_ratings
    df, _ = synthetic_ratings(200, 100, 5000, seed=0, discrete=True)
    df.rename(columns={'user': 'uid', 'item': 'iid', 'rating': 'stars'}).to_csv(tmp_path/'r.csv', index=False)
    r = run('train', '--csv', str(tmp_path/'r.csv'), '--epochs', '1', '--bs', '256', '--out', str(tmp_path/'o'))
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'scaled by' not in r.stdout  # (stars: the recipe's penalties as they are)
    r = run('recommend', '--user', '3', '--n', '4', '--learner', str(tmp_path/'o'/'learner.pkl'))
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 6, r.stdout + r.stderr

def test_train_scale(tmp_path, fastai_home):
    "Ratings out of 10 or of 1: training says how the fast recipe scaled its penalties, tuned on stars, and the saved model predicts on their scale"
    from fastcf.all import synthetic_ratings, load_collab_learner, collab_view
    df, _ = synthetic_ratings(200, 100, 5000, seed=0, discrete=True)
    for k, lo, hi, s, recipe in ((2, 2, 10, '3.16', 'fast'), (0.25, 0.25, 1.25, '0.0625', 'accurate')):
        df.assign(rating=df.rating*k).to_csv(tmp_path/'r.csv', index=False)
        r = run('train', '--csv', str(tmp_path/'r.csv'), '--recipe', recipe, '--epochs', '1', '--bs', '256', '--out', str(tmp_path/'o'))
        assert r.returncode == 0, r.stderr[-2000:]
        assert f"(ratings from {lo:g} to {hi:g}: the {recipe} recipe's penalties, tuned on stars, were scaled by {s} as a squared error is on them)" in r.stdout, r.stdout
        assert collab_view(load_collab_learner(tmp_path/'o'/'learner.pkl')).rating_range() == (lo, hi)

def test_train_npy(tmp_path):
    "`--npy`: a CSV sorted by user, trained a chunk at a time (dot_bias), predicts as well as the same CSV trained in memory; the saved learner recommends unseen items; the folder trains again without the CSV"
    from fastcf.all import synthetic_ratings, load_collab_learner, collab_view
    df, _ = synthetic_ratings(400, 250, 40_000, seed=1, discrete=True)
    df = df.assign(user='u'+df.user.astype(str)).sort_values('user')
    df.to_csv(tmp_path/'r.csv', index=False)
    r = run('train', '--csv', str(tmp_path/'r.csv'), '--npy', str(tmp_path/'npy'), '--out', str(tmp_path/'o'))
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'Training the fast recipe on 40,000 ratings (400 users, 250 items) a chunk at a time from' in r.stdout
    assert '(--npy trains dot_bias' in r.stdout and '--model svdpp for SVD++' in r.stdout
    assert {p.name for p in (tmp_path/'o').iterdir()} == {'learner.pkl', 'biases.csv', 'pca.png'}
    assert {'user.npy', 'item.npy', 'rating.npy', 'meta.json', 'user_ids.npy', 'item_ids.npy'} <= {p.name for p in (tmp_path/'npy').iterdir()}
    assert run('train', '--csv', str(tmp_path/'r.csv'), '--model', 'dot_bias', '--out', str(tmp_path/'m')).returncode == 0
    chunked, mem = [load_collab_learner(tmp_path/o/'learner.pkl') for o in ('o', 'm')]
    rmse = lambda l: float(np.sqrt(((np.asarray(l.predict_ratings(df)) - df.rating.values)**2).mean()))
    assert rmse(chunked) < 1.05*rmse(mem), (rmse(chunked), rmse(mem))
    u = df.user.value_counts().idxmin()  # (a user with items left to recommend)
    seen = set(df.query('user==@u').item)
    assert not seen & set(chunked.recommend(u, 10).item)
    bt = pd.read_csv(tmp_path/'o'/'biases.csv')
    counts = df.item.value_counts()
    assert (bt.n_ratings.values == counts[bt.label].values).all()
    k = int(counts.quantile(0.75))
    r = run('recommend', '--user', u, '--n', '3', '--min-ratings', str(k), '--learner', str(tmp_path/'o'/'learner.pkl'))
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 5, r.stdout + r.stderr
    got = [int(l.split()[0]) for l in r.stdout.strip().splitlines()[2:]]
    assert all(counts[i] >= k for i in got) and not seen & set(got)
    r = run('train', '--npy', str(tmp_path/'npy'), '--model', 'svdpp', '--epochs', '2', '--out', str(tmp_path/'again'))  # (a model given: no note)
    assert r.returncode == 0 and 'a chunk at a time from' in r.stdout and '(--npy trains dot_bias' not in r.stdout, r.stderr[-2000:]
    assert type(load_collab_learner(tmp_path/'again'/'learner.pkl').model).__name__ == 'SVDpp'

def test_train_npy_mixed_ids_small(tmp_path):
    "`--npy` on a CSV whose item ids pandas reads as numbers in one block and text in another: read as text, said so; fewer rows than the recipe's batch: a smaller one, said so"
    n = 1_000_000  # (pandas reads a file this size in blocks)
    df = pd.DataFrame({'user': np.arange(n) % 997, 'item': (np.arange(n) % 300).astype(object), 'rating': (np.arange(n) % 5 + 1).astype(float)})
    df.loc[n-1, 'item'] = 'x'
    df.to_csv(tmp_path/'mixed.csv', index=False)
    r = run('train', '--csv', str(tmp_path/'mixed.csv'), '--npy', str(tmp_path/'npy'), '--epochs', '1', '--out', str(tmp_path/'o'))
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'reading every id as text' in r.stdout and '(997 users, 301 items)' in r.stdout
    df.head(1100).to_csv(tmp_path/'small.csv', index=False)
    r = run('train', '--csv', str(tmp_path/'small.csv'), '--npy', str(tmp_path/'s'), '--epochs', '1', '--out', str(tmp_path/'so'))
    assert r.returncode == 0 and "the recipe's batch size, 3072, is more than the 880 training" in r.stdout and 'with --bs 64' in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]

def test_hybrid_recipe_movielens(tmp_path, ml100k):
    "`--recipe hybrid` on MovieLens's own features: a new user's list moves with her demographics, and is the learner's own `recommend`"
    from fastcf.all import load_collab_learner
    out = tmp_path/'h'
    r = run('train', '--recipe', 'hybrid', '--epochs', '3', '--out', str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    assert {p.name for p in out.iterdir()} == {'learner.pkl', 'biases.csv', 'pca.png', 'features.csv'}
    fd = pd.read_csv(out/'features.csv')
    assert list(fd.direction) == ['pc0', 'pc1', 'pc2'] and fd.explained.is_monotonic_decreasing
    people = {'young': dict(age='19', gender='M', occupation='student', zip_prefix='9'),
              'old': dict(age='66', gender='F', occupation='retired', zip_prefix='0')}
    lists = {}
    for who,f in people.items():
        r = run('recommend', '--user', who, '--n', '10', '--learner', str(out/'learner.pkl'), '--features', *[f'{k}={v}' for k,v in f.items()])
        assert r.returncode == 0, r.stderr
        lines = r.stdout.strip().splitlines()
        assert lines[0] == f'Top 10 for user {who}:' and all(l.endswith('features') for l in lines[2:])
        lists[who] = [int(l.split()[0]) for l in lines[2:]]
    learn = load_collab_learner(out/'learner.pkl')  # the command line's list is the learner's
    assert list(learn.recommend('x', n=10, features=pd.DataFrame({'age': [19], 'gender': ['M'], 'occupation': ['student'], 'zip_prefix': ['9']})).item) == lists['young']
    assert len(set(lists['young']) - set(lists['old'])) >= 3  # her demographics move her list
    # a new item by its year and a few genres: the genres left out are 0 (and the command says so), as the frame with every genre column gives
    from fastcf.all import movielens_features, CollabInterpretation
    r = run('similar', '--new-item', 'year=1977', 'Action=1', 'Sci-Fi=1', '--n', '5', '--learner', str(out/'learner.pkl'))
    assert r.returncode == 0 and r.stdout.startswith("(the item flags not given are 0: unknown, Adventure, Animation"), r.stdout + r.stderr
    full = movielens_features()[1].drop(columns=['title']).iloc[:1].assign(year=1977, **{g: 0 for g in movielens_features()[1].columns[2:]}).assign(Action=1, **{'Sci-Fi': 1})
    want = CollabInterpretation.from_learner(learn).similar_new(full, 5)
    assert [int(l.split()[0]) for l in r.stdout.strip().splitlines()[-5:]] == list(want.item)
    # an age far past any training user's is used, with a one-line warning (it was silent, and led the list with obscure films above 5 stars)
    r = run('recommend', '--user', 'x', '--n', '3', '--learner', str(out/'learner.pkl'), '--features', 'age=250')
    assert r.returncode == 0 and "fastcf recommend: warning: new user feature 'age' is 250, 14.5 standard deviations outside the training users' range (7 to 73)" in r.stderr, r.stderr

def test_hybrid_recipe_latest_small(tmp_path, fastai_home):
    "`--recipe hybrid --kind ml-latest-small` (its items' genres, year and tags): the most-tagged film (Pulp Fiction, 181 tags) is predicted near its own ratings"
    from fastcf.all import load_collab_learner, load_movielens
    r = run('train', '--recipe', 'hybrid', '--kind', 'ml-latest-small', '--out', str(tmp_path/'s'))
    assert r.returncode == 0, r.stderr[-3000:]
    learn,df = load_collab_learner(tmp_path/'s'/'learner.pkl'),load_movielens(kind='ml-latest-small', titles=False)
    pulp = df[df.item==296]
    assert abs(learn.predict_ratings(pulp[['user','item']]).mean().item() - pulp.rating.mean()) < 0.5  # (the raw count of tags as a feature: 1.1 stars above)

def test_hybrid_recipe_csv(tmp_path):
    "`--recipe hybrid` from CSV files (its default settings): number codes read as text categories by --categorical; a new user's list is her planted group's taste"
    from fastcf.all import synthetic_features
    ratings, users, items = synthetic_features(seed=0)  # (three groups of distinct taste)
    ratings[['user', 'item', 'rating']].to_csv(tmp_path/'r.csv', index=False)
    codes = users.group.map({'a': '00', 'b': '01', 'c': '02'}).where(users.index != 5)  # (codes with a leading 0; one user's missing)
    users.assign(group=codes).to_csv(tmp_path/'users.csv')
    items.to_csv(tmp_path/'items.csv')
    out = tmp_path/'o'
    r = run('train', '--csv', str(tmp_path/'r.csv'), '--recipe', 'hybrid', '--user-features', str(tmp_path/'users.csv'),
            '--item-features', str(tmp_path/'items.csv'), '--categorical', 'group', '--out', str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    taste = ratings.assign(group=users.group.reindex(ratings.user).values).groupby(['group', 'item']).truth.mean().unstack()
    for code,g in enumerate('abc'):
        r = run('recommend', '--user', 'new', '--n', '10', '--learner', str(out/'learner.pkl'), '--features', f'group=0{code}')
        assert r.returncode == 0, r.stderr
        top = [int(l.split()[0]) for l in r.stdout.strip().splitlines()[2:]]
        others = [h for h in 'abc' if h != g]
        assert taste.loc[g, top].mean() > max(taste.loc[h, top].mean() for h in others) + 1, (g, taste.loc[:, top].mean(axis=1))
        r = run('similar', '--new-user', f'group=0{code}', '--n', '20', '--learner', str(out/'learner.pkl'))  # her nearest users: her group's
        assert r.returncode == 0, r.stderr
        near = [int(l.split()[0]) for l in r.stdout.strip().splitlines()[2:]]
        assert len(near) == 20 and (users.group.reindex(near) == g).mean() >= 0.9, (g, users.group.reindex(near).value_counts())

def test_hybrid_recipe_mostly_numbers(tmp_path):
    "A feature column of numbers with a typo in it is read as categories, and fastcf train says so; --categorical, naming it, means categories: no word"
    from fastcf.all import synthetic_features
    ratings, users, items = synthetic_features(seed=0)
    ratings[['user', 'item', 'rating']].to_csv(tmp_path/'r.csv', index=False)
    ages = pd.Series(np.random.RandomState(0).randint(18, 70, len(users)), index=users.index).astype(object)
    ages.iloc[3] = 'old'
    users.assign(age=ages).to_csv(tmp_path/'users.csv')
    args = ['train', '--csv', str(tmp_path/'r.csv'), '--recipe', 'hybrid', '--user-features', str(tmp_path/'users.csv'), '--epochs', '1']
    r = run(*args, '--out', str(tmp_path/'o1'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"fastcf train: warning: user feature 'age' is numbers but for ['old'] (1 user(s), e.g. user {users.index[3]})" in r.stderr, r.stderr
    r = run(*args, '--categorical', 'age', '--out', str(tmp_path/'o2'))
    assert r.returncode == 0 and "'age' is numbers but for" not in r.stderr, r.stderr[-3000:]

def test_hybrid_recipe_one_side_from_file(tmp_path):
    "On MovieLens, a side without a feature file takes the release's own: items from a file, users' demographics still place a new user"
    from fastcf.all import movielens_features
    _, items = movielens_features()
    items[['year']].to_csv(tmp_path/'years.csv')  # (the year alone)
    r = run('train', '--recipe', 'hybrid', '--item-features', str(tmp_path/'years.csv'), '--epochs', '1', '--out', str(tmp_path/'o'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'year' in (tmp_path/'o'/'features.csv').read_text() and 'Drama' not in (tmp_path/'o'/'features.csv').read_text()
    r = run('recommend', '--user', 'new', '--n', '3', '--learner', str(tmp_path/'o'/'learner.pkl'), '--features', 'age=30', 'gender=F', 'occupation=writer', 'zip_prefix=')
    assert r.returncode == 0 and r.stdout.count('features') == 3, r.stdout + r.stderr
    r = run('recommend', '--user', 'new', '--learner', str(tmp_path/'o'/'learner.pkl'), '--features', 'age=', 'gender=F', 'occupation=writer', 'zip_prefix=')
    assert r.returncode == 2 and "'age' is missing (NaN), but every training user has it" in r.stderr and 'Traceback' not in r.stderr, r.stderr  # (no training age to fill it from)
    r = run('recommend', '--user', 'new', '--n', '5', '--learner', str(tmp_path/'o'/'learner.pkl'), '--features', 'gender=F')  # the rest left out: filled in, and said
    assert r.returncode == 0 and '(the user features not given: age the training mean, ' in r.stdout and '; occupation unknown; zip_prefix unknown)' in r.stdout, r.stdout + r.stderr
    from fastcf.all import load_collab_learner
    users,_ = movielens_features()
    her = pd.DataFrame({'age': [users.age.mean()], 'gender': ['F'], 'occupation': [np.nan], 'zip_prefix': [np.nan]})
    want = load_collab_learner(tmp_path/'o'/'learner.pkl').recommend('new', n=5, features=her)
    assert [int(l.split()[0]) for l in r.stdout.strip().splitlines()[-5:]] == list(want.item)
    r = run('recommend', '--user', 'new', '--learner', str(tmp_path/'o'/'learner.pkl'), '--features', 'gendr=F')  # (a misspelt name is not left out quietly)
    assert r.returncode == 2 and "['gendr'] are not user features (they are ['gender', 'occupation', 'zip_prefix', 'age'])" in r.stderr, r.stderr

def test_hybrid_recipe_lists_and_titles(tmp_path):
    "An item file as MovieLens's movies.csv is (a title, genres as 'A|B'): the title left out, the genres read as a flag each, both said; a new item's genres then place it"
    from fastcf.all import movielens_features
    _, items = movielens_features()
    genres = list(items.columns[2:])
    lists = items[genres].apply(lambda r: '|'.join(g for g in genres if r[g]), axis=1)
    pd.DataFrame({'title': items.title, 'genres': lists}).rename_axis('item').to_csv(tmp_path/'movies.csv')
    r = run('train', '--recipe', 'hybrid', '--item-features', str(tmp_path/'movies.csv'), '--epochs', '1', '--out', str(tmp_path/'o'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "(the item features ['title'] have a different value for nearly every item, as ids and titles do: left out" in r.stdout, r.stdout
    n = len({g for l in lists for g in l.split('|') if g})
    assert f"(the item feature 'genres' holds '|'-separated lists: read as {n} 0/1 flags, one per value: " in r.stdout, r.stdout
    from fastcf.all import load_collab_learner
    table = load_collab_learner(tmp_path/'o'/'learner.pkl').model.feature_table('item')
    assert {'Action', 'Sci-Fi', 'Drama'} <= set(sum(table.columns, [])) and 'title' not in sum(table.columns, []), table.columns
    r = run('similar', '--new-item', 'Action=1', 'Sci-Fi=1', '--n', '5', '--learner', str(tmp_path/'o'/'learner.pkl'))
    assert r.returncode == 0 and '(the item flags not given are 0: ' in r.stdout, r.stdout + r.stderr

def test_train_gone_wrong(tmp_path):
    "A rating model that predicts its validation ratings worse than the training mean does (too high a --lr) is saved, and fastcf train says so; a sound one gets no word"
    from fastcf.all import synthetic_ratings
    synthetic_ratings(n_users=200, n_items=100, n_ratings=5000, seed=0)[0].to_csv(tmp_path/'r.csv', index=False)
    r = run('train', '--csv', str(tmp_path/'r.csv'), '--lr', '1e9', '--epochs', '2', '--out', str(tmp_path/'o1'))
    assert r.returncode == 0 and (tmp_path/'o1'/'learner.pkl').exists(), r.stderr[-3000:]
    assert "fastcf train: warning: the model predicts the validation ratings worse than the training ratings' mean does (RMSE " in r.stderr, r.stderr[-3000:]
    assert "training went wrong, as when the learning rate is too high; train again with a lower --lr" in r.stderr
    r = run('train', '--csv', str(tmp_path/'r.csv'), '--epochs', '2', '--out', str(tmp_path/'o2'))
    assert r.returncode == 0 and 'worse than the training ratings' not in r.stderr, r.stderr[-3000:]
