"""Scale: 25M synthetic ratings with MovieLens-25M's shape (162,541 users, 59,047 items, long-tailed popularity):
build time, loaders time, one training epoch's wall time, valid MSE, and peak RSS, in one run.

Training uses the sparse path (`collab_learner(sparse=True)`: sparse embedding gradients, `LazyAdam`), large batches, and
`y_range` by fastbook's rule on the ratings' range (`default_y_range`, as `fastcf train` sets it: the planted ratings have no
1-5 scale).

With `--ranking`, the same ratings are read as implicit interactions and a ranking model trains instead: `RankMF` with
the sampled softmax (`--n-neg` popularity-proportional negatives per interaction, logQ-corrected; no exclusion of the
user's own items, which at this density are 0.26% of draws), sparse gradients and `LazyAdam`; the validation loss is the
same sampled softmax (the full-ranking metrics over 162k users x 59k items are left out).

With `--npy FOLDER`, the data goes through the memory-mapped path instead: a child process writes the planted ratings
chunk by chunk to `.npy` files (`synthetic_to_npy`), then this process streams them with `ChunkedCollabDataLoaders`
for one epoch, and reports its peak RSS against the size of the files.

With `--csv FILE` too, the ratings come from a CSV, as a real export does: a child process writes the planted ratings to
FILE (text user ids, 'u123'; once, if FILE does not exist), another turns it into the `.npy` folder with `csv_to_npy`
(reporting its time and peak RSS), and this process streams it for one epoch as above.

    python bench/scale.py [--n-ratings 25000000] [--bs 32768] [--n-factors 32]
    python bench/scale.py --ranking [--n-neg 64] [--bs 8192]
    python bench/scale.py --npy /tmp/cf100m --n-ratings 100000000
    python bench/scale.py --csv /tmp/cf25m.csv --npy /tmp/cf25m
    python bench/scale.py --csv /tmp/cf25m.csv --npy /tmp/cf25m --cli

With `--cli` too, the command line trains on the CSV instead, twice, each in a child process with 2 torch threads
(`OMP_NUM_THREADS=2`): `fastcf train --csv FILE --model dot_bias --epochs 1` reading the CSV whole, then the same with
`--npy FOLDER` (the CSV written to the folder a chunk at a time, then trained a chunk at a time). Each reports its
wall time (reading, training, the saved learner, bias table and PCA plot), its validation RMSE and its peak RSS.
"""
import argparse, os, re, resource, shutil, subprocess, sys, time
from fastcf.all import *
from fastcf.large import *

def peak_rss_gb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024**2

def write_csv(a):
    "The planted ratings as the CSV `a.csv` (user ids 'u123'), written chunk by chunk from a planted `.npy` folder beside it"
    planted = Path(a.csv).with_suffix('.planted')
    data,_ = synthetic_to_npy(planted, a.n_users, a.n_items, a.n_ratings, n_factors=8, seed=0)
    tmp = Path(a.csv).with_suffix('.partial')
    for k,i in enumerate(range(0, data.n, 2_000_000)):
        u,it,r = [data.read(c, i, min(i+2_000_000, data.n)) for c in ('user','item','rating')]
        pd.DataFrame({'user': np.char.add('u', u.astype(str)), 'item': it, 'rating': r}).to_csv(tmp, mode='a', header=k==0, index=False, float_format='%.3f')
    tmp.replace(a.csv); shutil.rmtree(planted)

def npy_path(a):
    "Write the ratings in a child process (`--csv`: the CSV, then in another `csv_to_npy`), then stream one epoch from the memory-mapped files"
    if a.write_only:
        t = time.perf_counter()
        if a.csv: write_csv(a)
        else: synthetic_to_npy(a.npy, a.n_users, a.n_items, a.n_ratings, n_factors=8, seed=0)
        print(f'wrote {a.n_ratings:,} ratings to {a.csv or a.npy} in {time.perf_counter()-t:.1f} s (writer peak RSS {peak_rss_gb():.2f} GB)', flush=True)
        return
    if a.convert_only:
        t = time.perf_counter()
        csv_to_npy(a.csv, a.npy)
        mb = Path(a.csv).stat().st_size/1024**2
        print(f'csv_to_npy: {mb:,.0f} MB of CSV to {a.npy} in {time.perf_counter()-t:.1f} s, peak RSS {peak_rss_gb():.2f} GB', flush=True)
        return
    if not (a.csv and Path(a.csv).exists()): subprocess.run([sys.executable, __file__, '--write-only', *sys.argv[1:]], check=True)
    if a.csv: subprocess.run([sys.executable, __file__, '--convert-only', *sys.argv[1:]], check=True)
    print(f'training process after imports: peak RSS {peak_rss_gb():.2f} GB', flush=True)
    size = sum(f.stat().st_size for f in Path(a.npy).glob('*.npy'))/1024**3
    dls = ChunkedCollabDataLoaders.from_folder(a.npy, bs=a.bs, chunk_rows=a.chunk_rows)
    set_seed(0)
    y_range = default_y_range(collab_view(dls).rating_range())  # (fastbook's rule, as `fastcf train` sets it)
    model = DotProductBias(len(dls.classes['user']), len(dls.classes['item']), a.n_factors, y_range=y_range, sparse=True)
    learn = CollabLearner(dls, model, loss_func=MSELossPlain(), opt_func=LazyAdam, splitter=collab_splitter, metrics=rmse)
    t = time.perf_counter()
    learn.fit_one_cycle(1, a.lr, wd=0.)
    print(f'\n{a.n_ratings:,} ratings memory-mapped{" from " + a.csv if a.csv else ""} ({size:.2f} GB of .npy files): one epoch {time.perf_counter()-t:.1f} s, '
          f'valid MSE {learn.recorder.values[-1][1]:.4f}, peak RSS of the training process {peak_rss_gb():.2f} GB')

def cli_train(a, extra, out):
    "Run `fastcf train` on `a.csv` (dot_bias, one epoch, 2 torch threads) in a child process: wall time, validation RMSE and the child's own peak RSS"
    cmd = ['fastcf', 'train', '--csv', a.csv, '--model', 'dot_bias', '--epochs', '1', '--out', out, *extra]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ, OMP_NUM_THREADS='2', MPLBACKEND='Agg'))
    text = p.stdout.read()
    _,status,ru = os.wait4(p.pid, 0)  # (this child's own resource use, not the other children's)
    if status: sys.exit(f'{" ".join(cmd)} failed:\n{text[-3000:]}')
    row = re.findall(r'^0\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)', text, re.M)[-1]  # (the metrics table's epoch 0: train_loss, valid_loss, _rmse)
    return time.perf_counter()-t,float(row[2]),ru.ru_maxrss/1024**2

def cli_path(a):
    "`fastcf train --csv` on the CSV read whole, then with `--npy` (written and trained a chunk at a time)"
    if not Path(a.csv).exists(): subprocess.run([sys.executable, __file__, '--write-only', *sys.argv[1:]], check=True)
    mb = Path(a.csv).stat().st_size/1024**2
    whole = cli_train(a, [], f'{a.npy}.runs-whole')
    print(f'fastcf train --csv ({mb:,.0f} MB, read whole), dot_bias, 1 epoch: {whole[0]:.1f} s, valid RMSE {whole[1]:.4f}, peak RSS {whole[2]:.2f} GB', flush=True)
    npy = cli_train(a, ['--npy', a.npy], f'{a.npy}.runs-npy')
    print(f'fastcf train --csv --npy (written and trained a chunk at a time), dot_bias, 1 epoch: {npy[0]:.1f} s, valid RMSE {npy[1]:.4f}, peak RSS {npy[2]:.2f} GB')

def ranking(a, df, t_build):
    "One epoch of `RankMF` with the sampled softmax on the ratings read as interactions"
    t = time.perf_counter()
    dls = ImplicitDataLoaders.from_arrays(df.user.values, df.item.values, np.ones(len(df), dtype=np.float32), seed=0, bs=a.bs)
    del df
    dls.set_sampling(a.n_neg, neg='popularity', alpha=0.75, exclude_seen=False)
    t_dls = time.perf_counter()-t
    print(f'implicit loaders in {t_dls:.1f} s ({len(dls.train):,} batches of {a.bs}, {a.n_neg} negatives each); peak RSS {peak_rss_gb():.2f} GB', flush=True)
    set_seed(0)
    learn = ranking_learner(dls, loss=SampledSoftmaxLoss(a.n_neg), n_factors=a.n_factors, sparse=True, metrics=[])
    t = time.perf_counter()
    learn.fit_one_cycle(1, a.lr, wd=0.)
    t_epoch = time.perf_counter()-t
    print(f'\n{len(dls.train_ds)+len(dls.valid_ds):,} interactions, RankMF + sampled softmax ({a.n_neg} negatives): build {t_build:.1f} s, '
          f'loaders {t_dls:.1f} s, one epoch (train + valid) {t_epoch:.1f} s, valid loss {learn.recorder.values[-1][1]:.4f}, peak RSS {peak_rss_gb():.2f} GB')

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n-ratings', type=int, default=25_000_000)
    p.add_argument('--n-users', type=int, default=162_541)
    p.add_argument('--n-items', type=int, default=59_047)
    p.add_argument('--bs', type=int, default=32768)
    p.add_argument('--n-factors', type=int, default=32)
    p.add_argument('--lr', type=float, default=2e-2)
    p.add_argument('--npy', default=None, help='folder for the memory-mapped path')
    p.add_argument('--chunk-rows', type=int, default=2_000_000)
    p.add_argument('--csv', default=None, help='with --npy: the ratings come from this CSV (written first if it does not exist) through csv_to_npy')
    p.add_argument('--write-only', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--convert-only', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--cli', action='store_true', help='with --csv and --npy: time `fastcf train` on the CSV read whole and with --npy')
    p.add_argument('--ranking', action='store_true', help='train a ranking model (sampled softmax) on the interactions')
    p.add_argument('--n-neg', type=int, default=64)
    a = p.parse_args()
    if a.csv and not a.npy: p.error('--csv needs --npy FOLDER, the folder csv_to_npy writes')
    if a.cli and not (a.csv and a.npy): p.error('--cli needs --csv FILE and --npy FOLDER')
    if a.cli and not a.write_only: sys.exit(cli_path(a))
    if a.npy: sys.exit(npy_path(a))
    t = time.perf_counter()
    df,truth = synthetic_ratings(a.n_users, a.n_items, a.n_ratings, n_factors=8, seed=0)
    del truth['signal']
    t_build = time.perf_counter()-t
    print(f'built {len(df):,} ratings in {t_build:.1f} s; peak RSS {peak_rss_gb():.2f} GB', flush=True)
    if a.ranking: sys.exit(ranking(a, df, t_build))
    t = time.perf_counter()
    dls = FastCollabDataLoaders.from_arrays(df.user.values, df.item.values, df.rating.values, seed=0, bs=a.bs)
    del df
    t_dls = time.perf_counter()-t
    print(f'loaders in {t_dls:.1f} s ({len(dls.train):,} batches of {a.bs}); peak RSS {peak_rss_gb():.2f} GB', flush=True)
    set_seed(0)
    learn = collab_learner(dls, n_factors=a.n_factors, y_range=default_y_range(collab_view(dls).rating_range()), sparse=True)  # (fastbook's rule on the ratings' range)
    t = time.perf_counter()
    learn.fit_one_cycle(1, a.lr, wd=0.)
    t_epoch = time.perf_counter()-t
    print(f'\n{a.n_ratings:,} ratings: build {t_build:.1f} s, loaders {t_dls:.1f} s, one epoch (train + valid) {t_epoch:.1f} s, '
          f'valid MSE {learn.recorder.values[-1][1]:.4f} (noise variance {0.25:.2f}), peak RSS {peak_rss_gb():.2f} GB')
