"""Bad input and faults as a new user meets them. Each case asserts the outcome: the right result, or an error whose text
names the culprit (for the command line: exit status 2, one line, no traceback). Sections: loaders, arrays, files,
MovieLens, learner, export and faults, large data, determinism, command line."""
import json, os, signal, subprocess, sys, textwrap, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
from fastcf.all import *
from fastcf.cli import run_cli
from fastcf.learner import load_collab_learner
from fastai.collab import CollabDataLoaders, collab_learner as fastai_collab_learner
for _n in [n for n in globals() if n.startswith('test')]: del globals()[_n]  # fastcore's test_eq & co. from the star imports are not tests

TINY = pd.DataFrame({'u': ['a','a','b','c','c','d'], 'i': ['x','y','x','z','y','x'], 'r': [5.,4,1,3,2,4]})

def fails(f, exc, *parts):
    "Assert `f()` raises `exc` whose message holds every one of `parts`"
    with pytest.raises(exc) as e: f()
    msg = str(e.value.args[0]) if isinstance(e.value, KeyError) else str(e.value)
    for p in parts: assert p in msg, (p, msg)

# ---- loaders: a ratings frame into FastCollabDataLoaders.from_df

def _fd(df=TINY, **kw): return FastCollabDataLoaders.from_df(df, user_name='u', item_name='i', rating_name='r', **merge(dict(bs=2), kw))

LOADER_CASES = [
    ('empty frame',            lambda: _fd(TINY.iloc[:0]),                      ValueError, ['empty']),
    ('no rating column',       lambda: _fd(TINY.drop(columns='r')),             KeyError,   ["rating column 'r' not found", "columns ['u', 'i']"]),
    ('no item column',         lambda: _fd(TINY.drop(columns='i')),             KeyError,   ["item column 'i' not found"]),
    ('no user column',         lambda: _fd(TINY.drop(columns='u')),             KeyError,   ["user column 'u' not found"]),
    ('NaN rating',             lambda: _fd(TINY.assign(r=[5,np.nan,1,3,2,4])),  ValueError, ["rating column 'r' has 1 missing", 'row 1']),
    ('text rating',            lambda: _fd(TINY.assign(r=['5','4','x','3','2','4'])), ValueError, ["value 'x' at row 2"]),
    ('numbers as text',        lambda: _fd(TINY.assign(r=['5','4','1','3','2','4'])), ValueError, ["must be numeric, but has value '5' at row 0"]),  # (booleans are not here: ratings of 1 and 0, test_data.py)
    ('infinite rating',        lambda: _fd(TINY.assign(r=[5,np.inf,1,3,2,4])),  ValueError, ['1 infinite value(s), first at row 1']),
    ('-infinite rating',       lambda: _fd(TINY.assign(r=[5,4,1,-np.inf,2,4])), ValueError, ['infinite value(s), first at row 3']),
    ('NaN user id',            lambda: _fd(TINY.assign(u=['a',None,'b','c','c','d'])), ValueError, ["user column 'u' has 1 missing"]),
    ('NaN item id',            lambda: _fd(TINY.assign(i=['x','y',np.nan,'z','y','x'])), ValueError, ["item column 'i' has 1 missing"]),
    ('mixed user ids',         lambda: _fd(TINY.assign(u=['a',1,'b','c','c','d'])), ValueError, ['u ids mix types', "str 'a'", 'int 1', ".astype(str)"]),
    ('mixed item ids',         lambda: _fd(TINY.assign(i=['x','y',3,'z','y','x'])), ValueError, ['i ids mix types']),
    ('duplicates refused',     lambda: _fd(pd.concat([TINY, TINY.iloc[:1]]), duplicates='error'), ValueError, ["1 duplicate (u, i) pair(s), e.g. ('a', 'x')"]),
    ('duplicates: bad option', lambda: _fd(duplicates='first'),                 ValueError, ["'first'"]),
    ('valid_pct negative',     lambda: _fd(valid_pct=-0.2),                     ValueError, ['valid_pct=-0.2', '[0, 1)']),
    ('valid_pct 1',            lambda: _fd(valid_pct=1),                        ValueError, ['valid_pct=1']),
    ('valid_pct 1.5',          lambda: _fd(valid_pct=1.5),                      ValueError, ['valid_pct=1.5']),
    ('valid_pct NaN',          lambda: _fd(valid_pct=float('nan')),             ValueError, ['valid_pct=nan']),
    ('bs 0',                   lambda: _fd(bs=0),                               ValueError, ['bs=0', 'at least 1']),
    ('bs negative',            lambda: _fd(bs=-5),                              ValueError, ['bs=-5']),
    ('bs over the data',       lambda: _fd(bs=100),                             ValueError, ['bs=100 is more than the 5 training ratings', 'lower bs']),
    ('one rating',             lambda: _fd(TINY.iloc[:1], bs=64),               ValueError, ['bs=64 is more than the 1 training ratings']),
    ('val_bs 0',               lambda: _fd(val_bs=0),                           ValueError, ['val_bs=0']),
    ('vocab option',           lambda: _fd(vocab='valid'),                      ValueError, ["'valid'"]),
    ('misspelt argument',      lambda: _fd(num_wokers=0),                       TypeError,  ["['num_wokers']"]),
    ('not a frame',            lambda: FastCollabDataLoaders.from_df([[1,2,3]]), TypeError, ['must be a pandas DataFrame, got list']),
    ('two columns',            lambda: FastCollabDataLoaders.from_df(TINY[['u','i']]), KeyError, ['need user, item and rating columns']),
    ('split with no training', lambda: _fd(splitter=lambda df: (np.arange(0), np.arange(len(df)))), ValueError, ['no training ratings']),
]

@pytest.mark.parametrize('name,f,exc,parts', LOADER_CASES, ids=[c[0] for c in LOADER_CASES])
def test_loaders(name, f, exc, parts): fails(f, exc, *parts)

def test_loaders_right_results():
    assert _fd(num_workers=0, pin_memory=True).train.bs == 2  # fastai's worker arguments are accepted
    assert _fd(batch_size=3).train.bs == 3
    with pytest.warns(UserWarning, match=r"1 duplicate \(u, i\) pair\(s\).*kept as separate ratings"):
        d = _fd(pd.concat([TINY, TINY.iloc[:1]]), valid_pct=0)
    assert len(d.train_ds) == 7

# ---- arrays: FastCollabDataLoaders.from_arrays

ARRAY_CASES = [
    ('unequal lengths',   lambda: FastCollabDataLoaders.from_arrays([1,2], [1], [3.,4]),                   ValueError, ['differ in length: 2, 1, 2']),
    ('empty',             lambda: FastCollabDataLoaders.from_arrays([], [], []),                           ValueError, ['empty']),
    ('NaN rating',        lambda: FastCollabDataLoaders.from_arrays([1,2], [1,2], [3.,np.nan], bs=1),      ValueError, ['1 missing (NaN) value(s), first at position 1']),
    ('infinite rating',   lambda: FastCollabDataLoaders.from_arrays([1,2], [1,2], [np.inf,3.], bs=1),      ValueError, ['1 infinite value(s), first at position 0']),
    ('NaN user id',       lambda: FastCollabDataLoaders.from_arrays([1.,np.nan], [1,2], [3.,4], bs=1),     ValueError, ['user ids have 1 missing (NaN) value(s), first at position 1']),
    ('None item id',      lambda: FastCollabDataLoaders.from_arrays([1,2], np.array(['a',None], dtype=object), [3.,4], bs=1), ValueError, ['item ids have 1 missing']),
    ('mixed user ids',    lambda: FastCollabDataLoaders.from_arrays(np.array([1,'b'], dtype=object), [1,2], [3.,4], bs=1), ValueError, ['user ids mix types']),
    ('valid_pct',         lambda: FastCollabDataLoaders.from_arrays([1,2], [1,2], [3.,4], valid_pct=-0.1), ValueError, ['valid_pct=-0.1']),
]

@pytest.mark.parametrize('name,f,exc,parts', ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES])
def test_arrays(name, f, exc, parts): fails(f, exc, *parts)

# ---- files: ratings CSVs

@pytest.fixture
def files(tmp_path):
    (tmp_path/'nohead.csv').write_text('196,242,3\n186,302,3\n22,377,1\n244,51,2\n')
    (tmp_path/'semi.csv').write_text('user;item;rating\n1;2;3\n2;3;4\n')
    (tmp_path/'latin.csv').write_bytes('user,item,rating\nJosé,Amélie,5\nZoë,Léon,4\nJosé,Léon,3\n'.encode('latin-1'))
    (tmp_path/'empty.csv').write_text('')
    return tmp_path

FILE_CASES = [
    ('no header',          lambda d: read_csv_ratings(d/'nohead.csv'),               ValueError, ["looks like data, not a header (columns ['196', '242', '3'])", 'header=None', '--no-header']),
    ('no header, from_csv',lambda d: FastCollabDataLoaders.from_csv(d/'nohead.csv'), ValueError, ['looks like data']),
    ('other separator',    lambda d: read_csv_ratings(d/'semi.csv'),                 ValueError, ["one column ('user;item;rating')", "sep=';'"]),
    ('latin-1 text',       lambda d: read_csv_ratings(d/'latin.csv'),                ValueError, ['latin.csv is not utf-8 text', "encoding='latin-1'"]),
    ('a folder',           lambda d: read_csv_ratings(d),                            IsADirectoryError, ['is a folder']),
    ('missing file',       lambda d: read_csv_ratings(d/'none.csv'),                 FileNotFoundError, ['ratings file not found', 'none.csv']),
    ('empty file',         lambda d: read_csv_ratings(d/'empty.csv'),                ValueError, ['empty.csv is empty']),
    ('chunked: separator', lambda d: read_ratings(d/'semi.csv', rating_name='stars'), ValueError, ["semi.csv has one column ('user;item;rating'): it looks separated by ';'", "read_csv_ratings(path, sep=';')"]),
    ('chunked: no file',   lambda d: read_ratings(d/'none.csv'),                     FileNotFoundError, ['none.csv']),
]

@pytest.mark.parametrize('name,f,exc,parts', FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_files(name, f, exc, parts, files): fails(lambda: f(files), exc, *parts)

def test_files_right_results(files):
    df = read_csv_ratings(files/'nohead.csv', header=None, names=['user','item','rating'])
    assert df.rating.tolist() == [3, 3, 1, 2]
    assert read_csv_ratings(files/'semi.csv', sep=';').shape == (2, 3)
    d = FastCollabDataLoaders.from_csv(files/'latin.csv', encoding='latin-1', bs=1, valid_pct=0)
    assert list(d.classes['user']) == ['#na#', 'José', 'Zoë']

# ---- MovieLens loading

ML_CASES = [
    ('missing folder',      lambda d: load_movielens(d/'no_such'),                       FileNotFoundError, ['no_such']),
    ('no u.data',           lambda d: load_movielens(d),                                 FileNotFoundError, ['u.data', "path=None to download"]),
    ('no ratings.csv',      lambda d: load_movielens(d, kind='ml-latest-small'),         FileNotFoundError, ['ratings.csv']),
    ('unknown release',     lambda d: load_movielens(kind='ml-20m'),                     ValueError, ["'ml-20m'", 'ml-100k']),
    ('fold out of range',   lambda d: load_movielens(fold=6),                            ValueError, ['fold must be 1..5', '6']),
    ('fold of latest-small',lambda d: load_movielens(kind='ml-latest-small', fold=1),    ValueError, ['only exists for ml-100k']),
]

@pytest.mark.parametrize('name,f,exc,parts', ML_CASES, ids=[c[0] for c in ML_CASES])
def test_movielens(name, f, exc, parts, tmp_path, fastai_home): fails(lambda: f(tmp_path), exc, *parts)

# ---- the learner

@pytest.fixture(scope='module')
def syn(): return synthetic_ratings(n_users=80, n_items=60, n_ratings=2000, seed=0, discrete=True)[0]

@pytest.fixture(scope='module')
def learn(syn):
    l = collab_learner(FastCollabDataLoaders.from_df(syn, bs=128, seed=0), n_factors=4, y_range=(0, 5.5))
    with l.no_bar(), l.no_logging(): l.fit_one_cycle(2, 1e-2)
    return l

class _Mine(Module):
    def __init__(self): self.a,self.b = Embedding(81, 3),Embedding(61, 3)
    def forward(self, x): return (self.a(x[:,0])*self.b(x[:,1])).sum(1)

LEARNER_CASES = [
    ('n_factors 0',         lambda l,s: collab_learner(l.dls, n_factors=0),                    ValueError, ['n_factors=0']),
    ('n_factors negative',  lambda l,s: collab_learner(l.dls, n_factors=-1),                   ValueError, ['n_factors=-1']),
    ('y_range reversed',    lambda l,s: collab_learner(l.dls, y_range=(5, 0)),                 ValueError, ['y_range=(5, 0)', 'low < high']),
    ('y_range infinite',    lambda l,s: collab_learner(l.dls, y_range=(0, np.inf)),            ValueError, ['y_range=(0, inf)']),
    ('y_range on classes',  lambda l,s: collab_learner(l.dls, model='classes', y_range=(0,6)), ValueError, ["does not apply to model='classes'", 'leave y_range out']),
    ('y_range on liked',    lambda l,s: collab_learner(l.dls, model='liked', y_range=(0,6)),   ValueError, ["model='liked'"]),
    ('unknown model',       lambda l,s: collab_learner(l.dls, model='svd'),                    ValueError, ["'svd'", 'svdpp']),
    ('misspelt model',      lambda l,s: collab_learner(l.dls, model='dot-bias'),               ValueError, ["model='dot-bias': needs one of", "(did you mean 'dot_bias' for 'dot-bias'?)"]),
    ('classes, continuous', lambda l,s: collab_learner(FastCollabDataLoaders.from_df(s.assign(rating=s.rating+np.random.rand(len(s))), bs=128), model='classes'),
                                                                                                ValueError, ['needs discrete ratings']),
    ('lr NaN',              lambda l,s: l.fit(1, float('nan')),                                ValueError, ['lr=nan', 'finite learning rates above 0']),
    ('lr 0',                lambda l,s: l.fit(1, 0.),                                          ValueError, ['lr=0.0']),
    ('lr negative',         lambda l,s: l.fit_one_cycle(1, -1e-3),                             ValueError, ['lr_max=-0.001']),
    ('lr infinite slice',   lambda l,s: l.fit_one_cycle(1, slice(1e-3, float('inf'))),         ValueError, ['lr_max=slice(0.001, inf']),
    ('epochs negative',     lambda l,s: l.fit(-1, 1e-3),                                       ValueError, ['n_epoch=-1']),
    ('recommend n 0',       lambda l,s: l.recommend(1, n=0),                                   ValueError, ['n=0']),
    ('recommend n negative',lambda l,s: l.recommend(1, n=-1),                                  ValueError, ['n=-1']),
    ('recommend_many n',    lambda l,s: l.recommend_many([1], n=-3),                           ValueError, ['n=-3']),
    ('unknown users',       lambda l,s: l.recommend_many([1, 12345, 'x']),                     KeyError,   ["2 unknown user(s) not in the training vocabulary: [12345, 'x']", "learn.recommend(her_id)"]),
    ('unknown item',        lambda l,s: l.predict_ratings(pd.DataFrame({'user':[1], 'item':[999]})), KeyError, ['unknown item(s)', '[999]', "pass unknown='average'"]),
    ('unknown user and item', lambda l,s: l.predict_ratings(pd.DataFrame({'user':[12345], 'item':[999]})), KeyError, ['user(s) not in the training vocabulary: [12345]; 1 unknown item(s)', '[999]']),
    ('user id as text',     lambda l,s: l.score_items(['1']),                                  KeyError,   ["['1'], but 1 is: its user ids are ints, so pass 1"]),
    ('unknown= option',     lambda l,s: l.predict_ratings(s.iloc[:2], unknown='bogus'),        ValueError, ["'bogus'"]),
    ('predict: no column',  lambda l,s: l.predict_ratings(s.iloc[:2][['user']]),               KeyError,   ["['item'] not found"]),
    ('fold-in steps 0',     lambda l,s: fold_in(l, s.iloc[:3][['item','rating']], steps=0),    ValueError, ['steps=0']),
    ('fold-in lr 0',        lambda l,s: fold_in(l, s.iloc[:3][['item','rating']], lr=0),       ValueError, ['lr=0']),
    ('fold-in unknown item',lambda l,s: l.recommend('new', ratings=pd.DataFrame({'item':[999], 'rating':[5.]})), KeyError, ['[999]']),
    ('fold-in no ratings',  lambda l,s: l.recommend('new', ratings=pd.DataFrame({'item':[], 'rating':[]})), ValueError, ['empty']),
    ('fold-in off the scale', lambda l,s: l.recommend('new', ratings=pd.DataFrame({'item':[1, 2], 'rating':[5., -3.]})), ValueError, ["rating -3 of item 2 is outside the training ratings' range"]),
    ('autorec bs over the data', lambda l,s: autorec_learner(FastCollabDataLoaders.from_df(s.iloc[:500], bs=64)).fit(1), ValueError, ['bs=1024 is more than the 400 rows of the training loader', 'lower bs']),
    ('fold-in no item col', lambda l,s: l.recommend('new', ratings=pd.DataFrame({'movie':[1], 'rating':[5.]})), KeyError, ["item column 'item' not found", "['movie', 'rating']"]),
    ('fold-in no rating col',lambda l,s: l.recommend('new', ratings=pd.DataFrame({'item':[1]})),       KeyError, ["rating column 'rating' not found"]),
    ('similar: unknown',    lambda l,s: CollabInterpretation(l).similar('nope'),               KeyError,   ["unknown item 'nope'"]),
    ('which= option',       lambda l,s: CollabInterpretation(l).biases(which='movie'),         ValueError, ["'movie'"]),
    ('no biases',           lambda l,s: CollabInterpretation(collab_learner(l.dls, model='dot')).biases(), ValueError, ['DotProduct has no item bias table']),
    ('unregistered model',  lambda l,s: CollabInterpretation(collab_learner(l.dls, model=_Mine())).similar(1), TypeError, ['register_collab(_Mine']),
    ('blend of blends fold-in', lambda l,s: fold_in(blend_learner([blend_learner([l, l]), l]), s.iloc[:3][['item','rating']]), ValueError, ['Blend (member 0 of the blend) has none']),
    ('L2Reg mode',          lambda l,s: L2Reg(0.1, mode='some'),                               ValueError, ["'some'"]),
]

@pytest.mark.parametrize('name,f,exc,parts', LEARNER_CASES, ids=[c[0] for c in LEARNER_CASES])
def test_learner(name, f, exc, parts, learn, syn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        fails(lambda: f(learn, syn), exc, *parts)

def test_learner_right_results(learn, syn):
    with pytest.warns(UserWarning, match='fewer than n=1000 items left to recommend'):
        r = learn.recommend(1, n=1000)
    assert not set(r.item) & set(syn.item[syn.user==1]) and '#na#' not in set(r.item)
    assert len(r) == collab_view(learn).n_items - 1 - syn.item[syn.user==1].nunique()
    with pytest.warns(UserWarning, match=r'try \(-0.4, 4.4\)'):  # the hint covers ratings of 0
        collab_learner(FastCollabDataLoaders.from_df(syn.assign(rating=syn.rating-1), bs=128), y_range=(0, 5.5))

# ---- export and faults: nothing half-written, nothing lost

def _state(l):
    return {k: v.clone() for k,v in l.model.state_dict().items()}, l.predict_ratings(pd.DataFrame({'user':[1,2,3], 'item':[1,2,3]}))

def _still_works(l, before):
    assert l.dls.train.dataset is not None and len(l.dls.train.dataset) > 0 and l.opt is not None
    torch.testing.assert_close(_state(l)[1], before[1])  # predicts the same
    with l.no_bar(), l.no_logging(): l.fit(1, 1e-3)      # and still trains
    assert not torch.equal(l.model.user_factors.weight, before[0]['user_factors.weight'])

def test_export_unwritable_folder(learn):
    before = _state(learn)
    learn.path = Path('/proc/self')  # a folder nobody (not even root) can create files in
    with pytest.raises(OSError): learn.export('m.pkl')
    _still_works(learn, before)

def test_export_missing_folder(learn, tmp_path):
    learn.path = tmp_path
    fails(lambda: learn.export('no/such/m.pkl'), FileNotFoundError, 'the folder', 'does not exist')

def test_export_full_disk(learn, tmp_path, monkeypatch):
    learn.path = tmp_path; learn.export('m.pkl')
    first,before = (tmp_path/'m.pkl').read_bytes(),_state(learn)
    def full(obj, f, **kw):
        f.write(b'partial'); raise OSError(28, 'No space left on device')
    monkeypatch.setattr(torch, 'save', full)
    fails(lambda: learn.export('m.pkl'), OSError, 'No space left on device')
    monkeypatch.undo()
    assert (tmp_path/'m.pkl').read_bytes() == first and [p.name for p in tmp_path.iterdir()] == ['m.pkl']
    _still_works(learn, before)

def test_export_killed_midway(tmp_path, fastai_home):
    "A process killed while exporting leaves the earlier export whole: it loads and predicts as before"
    script = textwrap.dedent(f'''
        import sys, time, torch, pandas as pd
        from fastcf.all import *
        df,_ = synthetic_ratings(n_users=80, n_items=60, n_ratings=2000, seed=0)
        l = collab_learner(FastCollabDataLoaders.from_df(df, bs=128, seed=0), n_factors=4, y_range=(-1, 8), path={str(tmp_path)!r})
        l.export('m.pkl')
        torch.save(l.predict_ratings(df.iloc[:20]), {str(tmp_path/'preds.pt')!r})
        with l.no_bar(), l.no_logging(): l.fit(1, 1e-2)
        save = torch.save
        def slow(obj, f, **kw):
            f.write(b'half a learner'); f.flush(); print('writing', flush=True); time.sleep(60)
        torch.save = slow
        l.export('m.pkl')
    ''')
    p = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE, text=True, env=dict(os.environ, MPLBACKEND='Agg'))
    assert p.stdout.readline().strip() == 'writing'
    p.send_signal(signal.SIGKILL); p.wait(30)
    old = load_collab_learner(tmp_path/'m.pkl')
    df,_ = synthetic_ratings(n_users=80, n_items=60, n_ratings=2000, seed=0)
    torch.testing.assert_close(old.predict_ratings(df.iloc[:20]), torch.load(tmp_path/'preds.pt'))

def test_bad_learner_files(learn, tmp_path):
    learn.path = tmp_path; learn.export('m.pkl')
    (tmp_path/'cut.pkl').write_bytes((tmp_path/'m.pkl').read_bytes()[:2000])
    fails(lambda: load_collab_learner(tmp_path/'cut.pkl'), ValueError, 'cut.pkl is not a whole exported learner', 'export it again')
    (tmp_path/'csv.pkl').write_text('user,item,rating\n1,2,3\n')
    fails(lambda: load_collab_learner(tmp_path/'csv.pkl'), ValueError, 'csv.pkl is not a whole exported learner')
    fails(lambda: load_collab_learner(tmp_path/'none.pkl'), FileNotFoundError, 'no learner file at')
    fails(lambda: load_collab_learner(tmp_path), IsADirectoryError, 'is a folder')
    torch.save({'not': 'a learner'}, tmp_path/'dict.pkl')
    fails(lambda: load_collab_learner(tmp_path/'dict.pkl'), ValueError, 'dict.pkl is not a whole exported learner')

# ---- large data: .npy folders and chunked loaders

@pytest.fixture
def npy(tmp_path):
    data,_ = synthetic_to_npy(tmp_path/'d', 50, 40, 5000, chunk=1500, seed=0)
    return tmp_path/'d',data

def _rewrite(path, name, arr): np.save(path/f'{name}.npy', arr)

LARGE_CASES = [
    ('no meta.json',        lambda d,a: ((d/'meta.json').unlink(), NpyRatings(d)),               FileNotFoundError, ['meta.json not found', 'write_npy_ratings']),
    ('meta.json not JSON',  lambda d,a: ((d/'meta.json').write_text('{'), NpyRatings(d)),        ValueError, ['meta.json is not valid JSON']),
    ('rating.npy short',    lambda d,a: (_rewrite(d, 'rating', a.read('rating', 0, 4000)), NpyRatings(d)), ValueError, ['rating.npy holds 4000 float32 values, but meta.json says 5000']),
    ('user.npy wrong dtype',lambda d,a: (_rewrite(d, 'user', a.read('user', 0, 5000).astype(np.int64)), NpyRatings(d)), ValueError, ['user.npy holds 5000 int64 values', 'int32']),
    ('item.npy not npy',    lambda d,a: ((d/'item.npy').write_text('nope'), NpyRatings(d)),      ValueError, ['item.npy is not a readable .npy file']),
    ('chunk_rows < bs',     lambda d,a: ChunkedCollabDataLoaders.from_folder(d, bs=512, chunk_rows=100), ValueError, ['chunk_rows=100 is less than bs=512']),
    ('bs over the data',    lambda d,a: ChunkedCollabDataLoaders.from_folder(d, bs=6000),        ValueError, ['bs=6000 is more than the 4900 training ratings']),
    ('valid_pct',           lambda d,a: ChunkedCollabDataLoaders.from_folder(d, valid_pct=1.5),  ValueError, ['valid_pct=1.5']),
    ('bs 0',                lambda d,a: ChunkedCollabDataLoaders.from_folder(d, bs=0),           ValueError, ['bs=0']),
    ('unequal chunk',       lambda d,a: write_npy_ratings(d.parent/'w', [(np.arange(3), np.arange(2), np.ones(3))], 5, 5, 3), ValueError, ['chunk 0 has 3 users, 2 items and 3 ratings']),
    ('codes out of range',  lambda d,a: write_npy_ratings(d.parent/'w', [(np.arange(3), np.array([0,1,7]), np.ones(3))], 5, 5, 3), ValueError, ['item codes outside 0..4']),
    ('NaN in a chunk',      lambda d,a: write_npy_ratings(d.parent/'w', [(np.arange(3), np.arange(3), np.array([1.,np.nan,2]))], 5, 5, 3), ValueError, ['NaN or infinite']),
    ('more than expected',  lambda d,a: write_npy_ratings(d.parent/'w', [(np.arange(3), np.arange(3), np.ones(3))], 5, 5, 2), ValueError, ['more than the 2 ratings expected']),
    ('fewer than expected', lambda d,a: write_npy_ratings(d.parent/'w', [(np.arange(3), np.arange(3), np.ones(3))], 5, 5, 4), ValueError, ['chunks held 3 ratings, expected 4']),
]

@pytest.mark.parametrize('name,f,exc,parts', LARGE_CASES, ids=[c[0] for c in LARGE_CASES])
def test_large(name, f, exc, parts, npy):
    fails(lambda: f(*npy), exc, *parts)
    w = npy[0].parent/'w'
    assert not w.exists() or not list(w.iterdir())  # a failed write leaves no file behind

def test_large_every_row_trains(npy):
    "The last chunk smaller than bs, and chunks that are not multiples of bs: every training row is still in a batch"
    d,data = npy
    dls = ChunkedCollabDataLoaders.from_folder(d, valid_pct=0.1, bs=400, chunk_rows=1000)  # 4500 training rows: chunks 1000 x 4 + 500
    n = sum(len(b[1]) for b in dls.train)
    assert (len(dls.train), n) == (11, 4400)  # only the epoch's last partial batch (100 rows) is dropped

def test_collab_learner_on_chunked_loaders(npy):
    "collab_learner reads chunked loaders through the same view as the others (it failed on them before)"
    dls = ChunkedCollabDataLoaders.from_folder(npy[0], valid_pct=0.1, bs=400, chunk_rows=1000)
    l = collab_learner(dls, n_factors=4, y_range=default_y_range(collab_view(dls).rating_range()), model='svdpp')
    with l.no_bar(), l.no_logging(): l.fit_one_cycle(1, 1e-2)
    assert l.validate()[0] < 2 and len(l.recommend(3, n=5)) == 5

# ---- determinism

def test_seeded_runs_repeat(syn):
    def run():
        set_seed(3)
        l = fast_learner(syn, seed=3, bs=256)
        with l.no_bar(), l.no_logging(): l.fit_fast(2)
        return l.predict_ratings(syn.iloc[:50])
    torch.testing.assert_close(run(), run(), rtol=0, atol=0)

def test_same_seed_same_split(syn):
    a,b = [collab_view(FastCollabDataLoaders.from_df(syn, seed=9)).codes(1) for _ in range(2)]
    assert torch.equal(a, b)

# ---- the command line: exit 2, one line naming the culprit, never a traceback

def cli(capsys, *args):
    with pytest.raises(SystemExit) as e: run_cli(list(args))
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    return e.value.code,err

@pytest.fixture(scope='module')
def trained(tmp_path_factory, fastai_home):
    out = tmp_path_factory.mktemp('cli')
    run_cli(['train', '--epochs', '1', '--out', str(out)])
    return out/'learner.pkl'

@pytest.fixture
def cli_files(files, tmp_path):
    (tmp_path/'mine.csv').write_text('item,rating\n50,5\n181,5\n99999,1\n')
    (tmp_path/'titles.csv').write_text('id,name\n1,One\n')
    (tmp_path/'items.csv').write_text('item,flag\n1,0\n2,1\n')
    (tmp_path/'fifty.csv').write_text('item,rating\n50,5\n1,50\n')
    (tmp_path/'clicks.csv').write_text('user,item\n1,2\n2,3\n')
    (tmp_path/'films.csv').write_text('film\n50\n181\n')
    (tmp_path/'named.csv').write_text('film,stars\nStar Wars (1977),5\nstar wars,5\n')
    return files

CLI_CASES = [
    ('epochs 0',          ['train', '--epochs', '0'],               '--epochs=0: needs an integer of at least 1'),
    ('epochs negative',   ['train', '--epochs', '-1'],              '--epochs=-1'),
    ('epochs text',       ['train', '--epochs', 'abc'],             "invalid int value: 'abc'"),
    ('bs 0',              ['train', '--bs', '0'],                   '--bs=0'),
    ('bs over the data',  ['train', '--bs', '100000'],              'bs=100000 is more than the 80000 training ratings'),
    ('valid-pct 1',       ['train', '--valid-pct', '1'],            '--valid-pct=1.0: needs a number between 0 and 1'),
    ('valid-pct 0',       ['train', '--valid-pct', '0'],            '--valid-pct=0.0'),
    ('lr 0',              ['train', '--lr', '0'],                   '--lr=0.0: needs a finite number above 0'),
    ('lr nan',            ['train', '--lr', 'nan'],                 '--lr=nan'),
    ('wd negative',       ['train', '--wd', '-1'],                  '--wd=-1.0'),
    ('checkpoint minutes', ['train', '--checkpoint-minutes', '-1'], '--checkpoint-minutes=-1.0: needs a finite number of at least 0'),
    ('n-factors 0',       ['train', '--n-factors', '0'],            '--n-factors=0'),
    ('unknown recipe',    ['train', '--recipe', 'quick'],           "invalid choice: 'quick'"),
    ('model not in fast', ['train', '--model', 'nn'],               '--model nn is not a fast recipe model', '--recipe fastbook'),
    ('model not in hybrid', ['train', '--recipe', 'fastbook', '--model', 'hybrid_mf'], '--model hybrid_mf is not a fastbook recipe model', '--recipe hybrid'),
    ('csv is a folder',   ['train', '--csv', '{d}'],                'is a folder: pass the ratings CSV file itself'),
    ('csv missing',       ['train', '--csv', '{d}/none.csv'],       'ratings file not found'),
    ('csv without header',['train', '--csv', '{d}/nohead.csv'],     'looks like data, not a header', '--no-header'),
    ('csv other sep',     ['train', '--csv', '{d}/semi.csv'],       "one column ('user;item;rating')", '--sep'),
    ('csv latin-1',       ['train', '--csv', '{d}/latin.csv'],      'is not utf-8 text', '--encoding latin-1'),
    ('csv encoding unknown', ['train', '--csv', '{d}/latin.csv', '--encoding', 'nope'], "encoding='nope' is not an encoding Python knows"),
    ('csv sep empty',     ['train', '--csv', '{d}/semi.csv', '--sep', ''], "sep='' is empty", '--sep'),
    ('out under a file',  ['train', '--csv', '{d}/semi.csv', '--sep', ';', '--out', '{d}/semi.csv/runs'], "--out", "can't be made a folder: Not a directory"),  # (before training, not a traceback after it)
    ('csv empty',         ['train', '--csv', '{d}/empty.csv'],      'empty.csv is empty'),
    ('csv without ratings', ['train', '--csv', '{d}/clicks.csv'],   "columns ['user', 'item']; for who chose what, with no ratings", '--recipe rank'),
    ('user-col missing',  ['train', '--csv', '{d}/semi.csv', '--sep', ';', '--user-col', 'userId'], "user column 'userId' not found; the frame has columns"),
    ('rating-col missing',['train', '--csv', '{d}/semi.csv', '--sep', ';', '--rating-col', 'stars'], "rating column 'stars' not found"),
    ('title-id-col alone',['train', '--title-id-col', 'id'],        '--title-id-col needs --titles'),
    ('titles missing',    ['train', '--titles', '{d}/none.csv'],    'titles file not found'),
    ('titles: no column', ['train', '--titles', '{d}/titles.csv'],  "--title-col 'title' is not a column of titles.csv"),
    ('unknown user',      ['recommend', '--user', '99999', '--learner', '{l}'], 'user 99999 is not in the model', '--ratings FILE', '--cold-start'),
    ('n negative',        ['recommend', '--user', '1', '--n', '-1', '--learner', '{l}'], '--n=-1'),
    ('learner missing',   ['recommend', '--user', '1', '--learner', '{d}/none.pkl'], 'run `fastcf train` first'),
    ('learner truncated', ['recommend', '--user', '1', '--learner', '{d}/cut.pkl'], 'is not a whole exported learner'),
    ('cold start, known', ['recommend', '--user', '1', '--cold-start', '--learner', '{l}'], 'user 1 is in the training data'),
    ('cold start and ratings', ['recommend', '--user', 'x', '--cold-start', '--ratings', '{d}/mine.csv', '--learner', '{l}'], 'not both'),
    ('ratings: unknown item', ['recommend', '--user', 'x', '--ratings', '{d}/mine.csv', '--learner', '{l}'], "names 1 item(s) the model never saw: [99999]", 'drop those rows'),
    ('ratings: no ratings', ['recommend', '--user', 'x', '--ratings', '{d}/films.csv', '--learner', '{l}'], "films.csv has no 'rating' column, nor another to read as the ratings: this model learned from ratings, so give each item its rating (columns item,rating)"),
    ('ratings: unknown title', ['recommend', '--user', 'x', '--ratings', '{d}/named.csv', '--learner', '{l}'], "names 1 item(s) that are neither ids nor titles the model knows: ['star wars']; labels containing it (any case): 'Star Wars (1977)'", 'drop those rows'),
    ('user-features, not hybrid', ['train', '--user-features', '{d}/items.csv'], '--user-features is for the hybrid recipe: add --recipe hybrid'),
    ('categorical, not hybrid', ['train', '--categorical', 'zip'],   '--categorical is for the hybrid recipe'),
    ('n-factors, hybrid tabular', ['train', '--recipe', 'hybrid', '--model', 'hybrid_tabular', '--n-factors', '8', '--item-features', '{d}/items.csv'], "--n-factors sizes hybrid_mf's vectors: --model hybrid_tabular sizes its embeddings itself"),
    ('wd, fast recipe',     ['train', '--wd', '0.1'],                 '--wd is for the fastbook, hybrid and rank recipes: the fast recipe penalizes its factors per rating (L2Reg), with no weight decay'),
    ('hybrid csv, no features', ['train', '--csv', '{d}/semi.csv', '--sep', ';', '--recipe', 'hybrid'], '--recipe hybrid needs features', '--item-features'),
    ('features file missing', ['train', '--recipe', 'hybrid', '--item-features', '{d}/none.csv'], 'item features file not found'),
    ('categorical not a column', ['train', '--recipe', 'hybrid', '--item-features', '{d}/items.csv', '--categorical', 'zip'], "--categorical ['zip'] are not columns of the features", "'flag'"),
    ('categorical misspelt', ['train', '--recipe', 'hybrid', '--item-features', '{d}/items.csv', '--categorical', 'Flag'], "(did you mean 'flag' for 'Flag'?)"),
    ('features: rows missing', ['train', '--recipe', 'hybrid', '--item-features', '{d}/items.csv'], '1680 item(s) of the ratings have no row of features: [3, 4, 5'),
    ('features, known user', ['recommend', '--user', '1', '--features', 'age=3', '--learner', '{l}'], 'user 1 is in the training data'),
    ('features not pairs', ['recommend', '--user', 'x', '--features', 'age', '--learner', '{l}'], '--features takes NAME=VALUE pairs', "['age']"),
    ('features: a name twice', ['recommend', '--user', 'x', '--features', 'age=3', 'sex=F', 'age=4', '--learner', '{l}'], "--features names ['age'] more than once"),
    ('features, no hybrid', ['recommend', '--user', 'x', '--features', 'age=3', '--learner', '{l}'], 'has no user or item features', 'fastcf train --recipe hybrid'),
    ('cold start and features', ['recommend', '--user', 'x', '--cold-start', '--features', 'age=3', '--learner', '{l}'], 'pass --cold-start or --features, not both'),
    ('ratings off the scale', ['recommend', '--user', 'x', '--ratings', '{d}/fifty.csv', '--learner', '{l}'], "rating 50 of item 1 is outside the training ratings' range, 1 to 5"),
    ('similar: unknown item', ['similar', '--item', '99999', '--learner', '{l}'], "unknown item '99999'", 'labels'),
    ('similar: unknown title', ['similar', '--item', 'star wars', '--learner', '{l}'], "unknown item 'star wars'", "labels containing it (any case): 'Star Wars (1977)': pass one of them"),
    ('similar: unknown user', ['similar', '--user', 'x', '--learner', '{l}'], "unknown user 'x': not in the model's vocabulary"),
    ('similar: n 0',      ['similar', '--item', '50', '--n', '0', '--learner', '{l}'], '--n=0'),
    ('similar: nothing',  ['similar', '--learner', '{l}'],           'one of the arguments --item --user --new-item --new-user is required'),
    ('similar: two',      ['similar', '--item', '50', '--user', '1'], 'not allowed with argument'),
    ('similar: not pairs',['similar', '--new-item', 'Action', '--learner', '{l}'], "--new-item takes NAME=VALUE pairs", "['Action']"),
    ('similar: no hybrid',['similar', '--new-user', 'age=3', '--learner', '{l}'], 'has no vectors for a new user from features', 'fastcf train --recipe hybrid'),
    ('similar: learner missing', ['similar', '--item', '50', '--learner', '{d}/none.pkl'], 'run `fastcf train` first'),
    ('rank: epochs',      ['train', '--recipe', 'rank', '--epochs', '3'], "--epochs is not used by the rank recipe's EASE", '--model rank_mf trains'),
    ('data: a release name', ['train', '--data', 'ml-latest-small'],  'MovieLens folder not found: ml-latest-small', '--kind ml-latest-small, without --data'),
    ('threshold, not rank', ['train', '--threshold', '4'],           '--threshold is for the rank recipe: add --recipe rank'),
    ('time-col, not rank',['train', '--time-col', 'timestamp'],     '--time-col is for the rank recipe'),
    ('rank: threshold without ratings', ['train', '--recipe', 'rank', '--csv', '{d}/items.csv', '--threshold', '4'], '--threshold needs a rating column', '--rating-col'),
    ('rank: time-col missing', ['train', '--recipe', 'rank', '--csv', '{d}/items.csv', '--time-col', 'ts'], "--time-col 'ts' is not a column of items.csv", "'flag'"),
    ('rank: time-col text', ['train', '--recipe', 'rank', '--time-col', 'title'], "time column 'title' holds neither numbers (seconds since 1970) nor dates, e.g. '"),
    ('rank: model elsewhere', ['train', '--model', 'ease'],         '--model ease is not a fast recipe model', '--recipe rank'),
    ('rank_mf elsewhere', ['train', '--recipe', 'hybrid', '--model', 'rank_mf'], '--model rank_mf is not a hybrid recipe model', '--recipe rank'),
    ('rank, not rank',    ['train', '--rank', '8'],                 '--rank is for the rank recipe: add --recipe rank'),
    ('rank: rank_mf',     ['train', '--recipe', 'rank', '--model', 'rank_mf', '--rank', '8'], "--rank is the low-pass filter of the rank recipe's EASE", '--n-factors'),
    ('rank: negative',    ['train', '--recipe', 'rank', '--rank', '-1'], '--rank=-1: needs an integer of at least 0'),
    ('rank: threshold nan', ['train', '--recipe', 'rank', '--threshold', 'nan'], '--threshold=nan: needs a number'),
    ('npy: not fast',     ['train', '--npy', '{d}/npy', '--recipe', 'hybrid'], '--npy trains the fast recipe', 'the hybrid recipe reads every rating at once', '--recipe fast'),
    ('npy: no header',    ['train', '--csv', '{d}/nohead.csv', '--no-header', '--npy', '{d}/npy'], "--npy reads the CSV's columns by name", 'header row'),
    ('npy: csv flag alone', ['train', '--npy', '{d}/npy', '--rating-col', 'stars'], '--rating-col is for reading a ratings CSV', 'drop it, or pass --csv'),
    ('npy: no folder',    ['train', '--npy', '{d}/none'],            'is not a folder: pass --csv FILE as well'),
    ('npy: not ratings',  ['train', '--npy', '{d}'],                 'holds no ratings fastcf wrote', 'user.npy not found', 'pass --csv FILE'),
    ('npy: under a file', ['train', '--csv', '{d}/semi.csv', '--sep', ';', '--npy', '{d}/semi.csv/npy'], "--npy", "can't be written: Not a directory"),
    ('npy: csv column',   ['train', '--csv', '{d}/semi.csv', '--sep', ';', '--npy', '{d}/npy', '--rating-col', 'stars'], "rating column 'stars' not found"),
    ('no command',        [],                                        'the following arguments are required'),
]

@pytest.mark.parametrize('name,args,parts', [(c[0], c[1], c[2:]) for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli(name, args, parts, capsys, cli_files, trained):
    (cli_files/'cut.pkl').write_bytes(trained.read_bytes()[:3000])
    code,err = cli(capsys, *[a.format(d=cli_files, l=trained) for a in args])
    assert code == 2
    assert not (cli_files/'npy').exists()  # (--npy: a CSV that fails its checks leaves no folder)
    for p in parts: assert p in err, (p, err)
    assert 'error' in err

def test_cli_right_results(capsys, cli_files, trained, tmp_path):
    res = run_cli(['recommend', '--user', 'newbie', '--cold-start', '--n', '3', '--learner', str(trained)])
    assert set(res.reason) == {'cold start: item bias'} and len(res) == 3
    (cli_files/'mine.csv').write_text('item,rating\n50,5\n181,5\n100,1\n')
    res = run_cli(['recommend', '--user', 'newbie', '--ratings', str(cli_files/'mine.csv'), '--n', '4', '--learner', str(trained)])
    assert set(res.reason) == {'fold-in'} and not {50, 181, 100} & set(res.item)
    capsys.readouterr()  # her films by title, in columns named otherwise: the same list, and the command says how it read them
    (cli_files/'films.csv').write_text('film,stars\nStar Wars (1977),5\nReturn of the Jedi (1983),5\n100,1\n')
    named = run_cli(['recommend', '--user', 'newbie', '--ratings', str(cli_files/'films.csv'), '--n', '4', '--learner', str(trained)])
    pd.testing.assert_frame_equal(named, res)
    assert "(films.csv has no 'item' or 'rating' column: reading 'film' as the items and 'stars' as the ratings)" in capsys.readouterr().out
    (cli_files/'bare.csv').write_text('50,5\n181,5\n100,1\n')  # (no header row: its columns in order)
    pd.testing.assert_frame_equal(run_cli(['recommend', '--user', 'newbie', '--ratings', str(cli_files/'bare.csv'), '--n', '4', '--learner', str(trained)]), res)
    assert "(bare.csv has no 'item' or 'rating' column: reading its column 1 as the items and its column 2 as the ratings)" in capsys.readouterr().out
    (tmp_path/'u.tsv').write_text('\n'.join(f'{u}\t{i}\t{(u*i)%5+1}' for u in range(1, 40) for i in range(1, 30)))
    learn = run_cli(['train', '--csv', str(tmp_path/'u.tsv'), '--no-header', '--sep', '\\t', '--epochs', '1', '--bs', '128', '--out', str(tmp_path/'o')])
    assert collab_view(learn).n_users == 40
    # the accurate recipe (a blend) folds a new user in too: each member on its own
    capsys.readouterr()
    run_cli(['train', '--csv', str(tmp_path/'u.tsv'), '--no-header', '--sep', '\\t', '--recipe', 'accurate', '--epochs', '2', '--bs', '128', '--out', str(tmp_path/'a')])
    assert '(a blend has no tables of its own: the bias table and PCA plot are of its first model, SVDpp)' in capsys.readouterr().out
    (cli_files/'mine2.csv').write_text('item,rating\n1,5\n2,5\n3,1\n')
    res = run_cli(['recommend', '--user', 'newbie', '--ratings', str(cli_files/'mine2.csv'), '--n', '4', '--learner', str(tmp_path/'a'/'learner.pkl')])
    assert set(res.reason) == {'fold-in'} and len(res) == 4 and not {1, 2, 3} & set(res.item)
    res = run_cli(['similar', '--item', '1', '--n', '3', '--learner', str(tmp_path/'a'/'learner.pkl')])  # a blend: its SVD++ member's vectors
    assert len(res) == 3 and 1 not in set(res.item) and res.similarity.is_monotonic_decreasing

def test_cli_process(trained, tmp_path):
    "As a person runs it: exit 2 and one line on stderr, no traceback; --version; the same seed twice gives the same numbers"
    run = lambda *a: subprocess.run(['fastcf', *a], capture_output=True, text=True, env=dict(os.environ, MPLBACKEND='Agg'), timeout=300)
    r = run('recommend', '--user', '99999', '--learner', str(trained))
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and 'Traceback' not in r.stderr and 'pickle' not in r.stderr
    assert run('--version').stdout.startswith('fastcf ')
    outs = [run('train', '--epochs', '2', '--seed', '1', '--out', str(tmp_path/f'r{k}')) for k in (1, 2)]
    table = lambda o: [l.split()[:-1] for l in o.stdout.splitlines() if l.strip()[:1].isdigit() and '00:0' in l]  # (not the time column: a busy machine slows one run)
    assert all(o.returncode == 0 for o in outs) and table(outs[0]) == table(outs[1]) and len(table(outs[0])) == 2
    h = run('train', '--help').stdout
    assert '(default: None)' not in h and h.count('(default: runs)') == 1

def test_accurate_keeps_the_better(capsys):
    "The accurate recipe saves its blend only when it predicts the validation ratings better than SVD++ alone: an autoencoder that learned nothing is left out, and said so"
    from fastcf.cli import _accurate, _valid_rmse
    ratings = synthetic_ratings(n_users=200, n_items=100, n_ratings=8000, seed=0)[0]
    svdpp = fast_learner(ratings, bs=256, seed=0)
    with svdpp.no_bar(), svdpp.no_logging(): svdpp.fit_fast(4)
    ae = autorec_learner(svdpp.dls)  # (untrained)
    assert _accurate(svdpp, ae) is svdpp
    out = capsys.readouterr().out
    assert f"(validation RMSE: SVD++ {_valid_rmse(svdpp):.4f}, autoencoder {_valid_rmse(ae):.4f}, their blend " in out and 'SVD++ is saved alone' in out, out
    with ae.no_bar(), ae.no_logging(): ae.fit_fast(4)
    if _valid_rmse(blend_learner([svdpp, ae])) < _valid_rmse(svdpp): assert isinstance(_accurate(svdpp, ae).model, Blend)

def test_cli_parquet(capsys, tmp_path, fastai_home, monkeypatch):
    "`train --csv` takes a Parquet file as its CSV; without pyarrow, one line saying to install it"
    df = pd.DataFrame({'user': np.repeat(np.arange(40), 29), 'item': np.tile(np.arange(29), 40)})
    df.assign(rating=(df.user*df.item)%5+1.).to_parquet(tmp_path/'r.parquet')
    learn = run_cli(['train', '--csv', str(tmp_path/'r.parquet'), '--epochs', '1', '--bs', '128', '--out', str(tmp_path/'o')])
    assert (collab_view(learn).n_users, collab_view(learn).n_items) == (41, 30)
    monkeypatch.setitem(sys.modules, 'pyarrow.parquet', None)  # (as if pyarrow were not installed)
    code,err = cli(capsys, 'train', '--csv', str(tmp_path/'r.parquet'), '--out', str(tmp_path/'p'))
    assert code == 2 and "r.parquet is a Parquet file: reading it needs pyarrow (pip install pyarrow)" in err and err.count('\n') == 1

def test_cli_small_data_batch(capsys, tmp_path, fastai_home):
    "A CSV with fewer training ratings than the recipe's batch: without --bs, `train` says so and trains with a smaller one, exactly as that --bs does"
    (tmp_path/'u.csv').write_text('user,item,rating\n' + '\n'.join(f'{u},{i},{(u*i)%5+1}' for u in range(1, 40) for i in range(1, 30)))
    base = ['train', '--csv', str(tmp_path/'u.csv'), '--epochs', '1']
    auto = run_cli(base + ['--out', str(tmp_path/'a')])
    assert "the recipe's batch size, 3072, is more than the 905 training rows: training with --bs 64" in capsys.readouterr().out
    given = run_cli(base + ['--bs', '64', '--out', str(tmp_path/'b')])
    assert "the recipe's batch size" not in capsys.readouterr().out
    x = given.dls.valid.one_batch()[0]
    with torch.no_grad(): assert torch.equal(auto.model(x), given.model(x))
    rank = run_cli(base + ['--recipe', 'rank', '--model', 'rank_mf', '--out', str(tmp_path/'r')])  # (its loaders split per user: their own count)
    assert "the recipe's batch size, 1024, is more than the" in capsys.readouterr().out and rank.dls.train.bs == 64
    code,err = cli(capsys, *base, '--bs', '1000', '--out', str(tmp_path/'c'))  # a --bs given is never changed
    assert code == 2 and 'bs=1000 is more than the 905 training ratings' in err

def test_cli_small_data_rank(capsys, tmp_path, fastai_home):
    "Interactions with fewer users or items than the rank recipe's low-pass rank: without --rank, `train` says so and trains without the filter, exactly as --rank 0 does"
    (tmp_path/'c.csv').write_text('user,item\n' + '\n'.join(f'{u},{i}' for u in range(1, 21) for i in range(1, 16) if (u+i) % 3))
    base = ['train', '--recipe', 'rank', '--csv', str(tmp_path/'c.csv')]
    auto = run_cli(base + ['--out', str(tmp_path/'a')])
    assert "the recipe's low-pass filter, of rank 24, needs more than the 16 user or item codes these interactions have: training without it, as --rank 0 does" in capsys.readouterr().out
    assert auto.recipe['rank'] is None
    given = run_cli(base + ['--rank', '0', '--out', str(tmp_path/'b')])
    assert "low-pass filter" not in capsys.readouterr().out
    x = given.dls.valid.one_batch()[0]
    with torch.no_grad(): assert torch.equal(auto.model(x), given.model(x))
    five = run_cli(base + ['--rank', '5', '--out', str(tmp_path/'f')])
    assert five.recipe['rank'] == 5
    with torch.no_grad(): assert not torch.equal(five.model(x), given.model(x))  # (the filter changes the scores)
    code,err = cli(capsys, *base, '--rank', '16', '--out', str(tmp_path/'c'))  # a --rank given is never changed
    assert code == 2 and 'rank=16 needs more users and items than that: these interactions have 21 user and 16 item codes' in err and '--rank, 0 for none' in err

def test_cli_one_factor(capsys, tmp_path, fastai_home):
    "--n-factors 1 trains and saves; the PCA plot, which needs 2 factors, is left out with a word (it ended in `error: pc1` after the export); a 2-factor hybrid's feature table has 2 directions"
    run_cli(['train', '--n-factors', '1', '--epochs', '1', '--out', str(tmp_path/'a')])
    out = capsys.readouterr().out
    assert "(no PCA plot: n_components=2 is more than the 1 principal component(s) of 1000 items' 1-factor vectors" in out and 'Saved' in out
    assert {p.name for p in (tmp_path/'a').iterdir()} == {'learner.pkl', 'biases.csv'}
    run_cli(['train', '--recipe', 'hybrid', '--n-factors', '2', '--epochs', '1', '--out', str(tmp_path/'h')])
    assert list(pd.read_csv(tmp_path/'h'/'features.csv').direction) == ['pc0', 'pc1']

def test_cli_warnings_are_one_line(tmp_path, fastai_home):
    "A warning reaches a command-line user as one line named by the command, as its errors are, not Python's file, line and source: here, clicks given to a rating recipe"
    (tmp_path/'clicks.csv').write_text('user,item,rating\n' + '\n'.join(f'{u},{i},1' for u in range(1, 40) for i in range(1, 30) if (u+i) % 3))
    r = subprocess.run(['fastcf', 'train', '--csv', str(tmp_path/'clicks.csv'), '--epochs', '1', '--out', str(tmp_path/'o')], capture_output=True, text=True,
                       env=dict(os.environ, MPLBACKEND='Agg'), timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if 'warning' in l.lower()]
    assert lines == ['fastcf train: warning: every training rating is 1: a rating model can only learn to predict 1, and its biases and factors say nothing. '
                     'For implicit feedback (who chose what), use ImplicitDataLoaders and ranking_learner (fastcf train: --recipe rank)'], r.stderr
    assert 'UserWarning' not in r.stderr and '.py:' not in r.stderr

def test_cli_no_validation_said_first(tmp_path, fastai_home):
    "Four ratings leave no validation rows at --valid-pct 0.2: the first warning says so, before fastai's 'Your generator is empty' (which alone did not say why)"
    (tmp_path/'few.csv').write_text('user,item,rating\n1,1,4\n1,2,3\n2,1,5\n2,2,2\n')
    r = subprocess.run(['fastcf', 'train', '--csv', str(tmp_path/'few.csv'), '--epochs', '1', '--out', str(tmp_path/'o')], capture_output=True, text=True,
                       env=dict(os.environ, MPLBACKEND='Agg'), timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if 'warning' in l.lower()]
    assert lines[0].startswith('fastcf train: warning: valid_pct=0.2 of 4 rating(s) rounds to no validation ratings') and 'raise valid_pct to 0.25 (fastcf train: --valid-pct)' in lines[0], r.stderr

def test_cli_time_col_read_before_training(capsys, fastai_home):
    "An unreadable --time-col is an error before training starts (it came after the 'Training ...' line, from the loaders)"
    with pytest.raises(SystemExit): run_cli(['train', '--recipe', 'rank', '--time-col', 'title', '--out', 'unused'])
    res = capsys.readouterr()
    assert "time column 'title' holds neither numbers (seconds since 1970) nor dates" in res.err and 'Training' not in res.out

def test_cli_out_folder_holds_this_run(capsys, tmp_path, fastai_home):
    "A run into a folder where an earlier one wrote its bias table and plot leaves none of theirs beside its own learner (EASE writes no bias table; one factor, no plot)"
    (tmp_path/'u.csv').write_text('user,item,rating\n' + '\n'.join(f'{u},{i},{(u*i)%5+1}' for u in range(1, 40) for i in range(1, 30)))
    o = tmp_path/'o'
    run_cli(['train', '--csv', str(tmp_path/'u.csv'), '--epochs', '1', '--out', str(o)])
    assert {p.name for p in o.iterdir()} == {'learner.pkl', 'biases.csv', 'pca.png'}
    capsys.readouterr()
    run_cli(['train', '--csv', str(tmp_path/'u.csv'), '--recipe', 'rank', '--out', str(o)])
    assert {p.name for p in o.iterdir()} == {'learner.pkl', 'pca.png'}, list(o.iterdir())
    assert f"Saved {o/'learner.pkl'}, {o/'pca.png'}\n" in capsys.readouterr().out
    run_cli(['train', '--csv', str(tmp_path/'u.csv'), '--epochs', '1', '--n-factors', '1', '--out', str(o)])
    assert {p.name for p in o.iterdir()} == {'learner.pkl', 'biases.csv'}, list(o.iterdir())
    assert f"Saved {o/'learner.pkl'}, {o/'biases.csv'}\n" in capsys.readouterr().out
