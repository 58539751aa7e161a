"""What the implementation choices the docs describe are worth, each against the plain way, on two CPU cores:

- implicit: ms per step of SVD++'s implicit sums on ML-100k (`N @ Y`, forward and backward), with autograd's backward of
  the sparse product against `SVDpp`'s, which keeps `N^T` and does one more sparse product (05_models)
- svdpp: the fast recipe's fit at bs 1,024 (8 epochs) with `SVDpp`'s one autograd `Function` for the scores, against the
  same model scored by autograd's graph of lookups; wall time and valid MSE, best of three (05_models)
- fused: ms per `LazyAdam` step of the fast recipe's `SVDpp` on ML-100k (dense gradients: a small table), its dense
  parameters in one fused kernel against one at a time (06_optim)
- sparse: ms per training step of the fast recipe with the dot product with biases at bs 1,024 and with `SVDpp` at its
  bs 3,072, on 50,000 users x 20,000 items, 100,000 x 40,000, 160,000 x 60,000 and 320,000 x 120,000 (30 factors,
  500,000 planted ratings), dense against sparse gradients: where `SPARSE_ABOVE` should sit (13_recipes)
- rows: ms per training step of the fast recipe's `SVDpp` (its default sparsity) summing only its batch's users' implicit
  rows against every user's, on the four planted sizes above and on ml-latest-small's 610 users copied 10, 30 and 120
  times (users as MovieLens's: 165 ratings on average, the user of a random rating 604), timed over 300 steps after 20;
  and which of the two `SVDpp._few` picks (05_models)
- ease: seconds and memory of `ease_weights` at 10,000 items (20_ranking)
- heap: resident memory over one epoch of `ChunkedCollabDataLoaders` on 20M planted ratings (bs 32,768, sparse),
  with `release_heap` after each chunk and without (02_large); each in a child process

    python bench/steps.py [--only implicit svdpp fused sparse rows ease heap] [--threads 2]
"""
import argparse, os, resource, subprocess, sys, tempfile, time
from fastcf.all import *
from fastcf.models import _SVDPP_N, _sparse_pair

def _best_ms(f, n=50, reps=3):
    "Best over `reps` of the mean ms of `n` calls of `f`"
    f()  # (warm up)
    res = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(n): f()
        res.append(1000*(time.perf_counter()-t)/n)
    return min(res)

def ml100k(): return load_movielens(titles=False)[['user','item','rating']]

def implicit():
    m = fast_learner(ml100k(), seed=42).model
    N,_ = _sparse_pair(m, _SVDPP_N)
    Y = m.implicit.weight
    dZ = torch.randn(N.shape[0], Y.shape[1])
    def step(Z): Y.grad = None; Z().backward(dZ)
    a,b = _best_ms(lambda: step(lambda: N @ Y)),_best_ms(lambda: step(m.implicit_sums))
    print(f"implicit sums on ML-100k, forward + backward: autograd's backward {a:.2f} ms a step, SVDpp's (N^T kept) {b:.2f} ms")

class LookupSVDpp(SVDpp):
    "`SVDpp` trained through autograd's graph of lookups (the implicit sums still `SVDpp`'s), for the comparison"
    def forward(self, x):
        if not self.training: return super().forward(x)
        u,i = x[:,0],x[:,1]
        pu = self.user_factors(u) + self.implicit_sums()[u]
        r = (pu*self.item_factors(i)).sum(1) + self.user_bias(u)[:,0] + self.item_bias(i)[:,0]
        return sigmoid_range(r, *self.y_range)

def svdpp():
    df,res = ml100k(),{}
    for name,lookup in (('one Function', False), ('autograd lookups', True)):
        times = []
        for _ in range(3):
            set_seed(0)
            learn = fast_learner(df, bs=1024, seed=42)
            if lookup: learn.model.__class__ = LookupSVDpp
            with learn.no_bar(), learn.no_logging():
                t = time.perf_counter(); learn.fit_one_cycle(8, 1e-2); times.append(time.perf_counter()-t)
                res[name] = min(times),learn.validate()[0]
    print("fast recipe's SVDpp, bs 1,024, 8 epochs (best of three fits): " + ', '.join(f"{k} {t:.2f} s, valid MSE {m:.4f}" for k,(t,m) in res.items()))

class PerParamAdam(LazyAdam):
    "`LazyAdam` stepping each dense parameter on its own, for the comparison"
    _fused = None

def fused():
    res = {}
    for name,opt in (('one at a time', PerParamAdam), ('fused', LazyAdam)):
        set_seed(0)
        learn = fast_learner(ml100k(), seed=42, sparse=False)
        learn.opt_func = partial(opt, sqr_mom=0.9); learn.create_opt(); learn.opt.set_hyper('lr', 1e-3)
        x,y = learn.dls.one_batch()
        learn.loss_func(learn.model(x), y).backward()
        res[name] = _best_ms(learn.opt.step, n=200)
    print(f"LazyAdam step, fast recipe's SVDpp on ML-100k (dense gradients): " + ', '.join(f"{k} {v:.3f} ms" for k,v in res.items()))

class StepTimer(Callback):
    "Wall time of each training phase over its steps (validation excluded)"
    order = -100
    def before_train(self): self.t = time.perf_counter()
    def after_train(self): self.ms = 1000*(time.perf_counter()-self.t)/self.n_iter

SPARSE_SIZES = [(50_000, 20_000), (100_000, 40_000), (160_000, 60_000), (320_000, 120_000)]

def sparse():
    dfs = {(n_u,n_i): synthetic_ratings(n_u, n_i, 500_000, seed=0)[0] for n_u,n_i in SPARSE_SIZES}
    for model,bs in (('dot_bias', 1024), ('svdpp', FAST_RECIPE['bs'])):
        for (n_u,n_i),df in dfs.items():
            res = {}
            for s in (False, True):
                set_seed(0)
                learn = fast_learner(df, bs=bs, seed=42, model=model, sparse=s, cbs=StepTimer())
                with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 1e-2)
                res['sparse' if s else 'dense'] = learn.step_timer.ms
            print(f"{model} ({(n_u+n_i)*30/1e6:.1f}M table weights: {n_u:,} users x {n_i:,} items, 30 factors), bs {bs:,}, ms a training step: "
                  + ', '.join(f"{k} {v:.2f}" for k,v in res.items()), flush=True)

class StepsTimer(Callback):
    "Mean wall time of training steps `skip+1` to `skip+n`, then the fit stops"
    order = -100
    def __init__(self, n=300, skip=20): store_attr()
    def before_fit(self): self.k = 0
    def after_batch(self):
        if not self.training: return
        self.k += 1
        if self.k==self.skip: self.t = time.perf_counter()
        if self.k==self.skip+self.n: self.ms = 1000*(time.perf_counter()-self.t)/self.n; raise CancelFitException

def rows():
    ml = load_movielens(kind='ml-latest-small', titles=False)[['user','item','rating']]
    cases = [(f"{n_u:,} users x {n_i:,} items, 500,000 planted ratings", lambda n_u=n_u, n_i=n_i: synthetic_ratings(n_u, n_i, 500_000, seed=0)[0]) for n_u,n_i in SPARSE_SIZES]
    cases += [(f"ml-latest-small's users copied {k} times ({610*k:,} users, {len(ml)*k:,} ratings)",
               lambda k=k: pd.concat([ml.assign(user=ml.user + 1000*j) for j in range(k)], ignore_index=True)) for k in (10, 30, 120)]
    for name,make in cases:
        df,res = make(),{}
        for ratio,path in ((0, "its batch's users' rows"), (float('inf'), "every user's")):
            set_seed(0)
            learn = fast_learner(df, seed=42, cbs=StepsTimer())
            picks = learn.model._few(FAST_RECIPE['bs'])
            learn.model.few_ratio = ratio
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(8, 1e-2)
            res[path] = learn.steps_timer.ms
        print(f"SVDpp on {name}, sparse={learn.model.user_factors.sparse}, ms a training step: " + ', '.join(f"{k} {v:.2f}" for k,v in res.items())
              + f"; SVDpp picks {list(res)[0 if picks else 1]}", flush=True)

def rss_gb():
    with open('/proc/self/statm') as f: return int(f.read().split()[1])*os.sysconf('SC_PAGE_SIZE')/1024**3

def ease():
    df = synthetic_interactions(20_000, 10_000, per_user=50, seed=0)
    x = torch.from_numpy(np.stack([df.user.values, df.item.values], 1).astype(np.int64))
    G = interaction_gram(x, 10_000)
    base = rss_gb()
    t = time.perf_counter(); B = ease_weights(G, 500.); s = time.perf_counter()-t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024**2
    print(f"ease_weights at 10,000 items: {s:.1f} s; peak RSS {peak:.2f} GB, {peak-base:.2f} GB over the {base:.2f} GB before the call "
          f"(which holds the Gram matrix), {rss_gb()-base:.2f} GB held after it (the weights); a 10,000 x 10,000 float32 matrix is {B.numel()*4/1e9:.2f} GB")

class RSSTrace(Callback):
    "Resident memory after each training batch"
    def before_fit(self): self.gb = []
    def after_batch(self):
        if self.training: self.gb.append(rss_gb())

def heap_child(folder, trim):
    import fastcf.large
    if not trim: fastcf.large.release_heap = lambda: None
    dls = ChunkedCollabDataLoaders.from_folder(folder, valid_pct=0.01, bs=32768)
    set_seed(0)
    learn = collab_learner(dls, n_factors=32, sparse=True, cbs=RSSTrace())
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 2e-2, wd=0.)
    g = learn.rss_trace.gb
    print(f"{'with' if trim else 'without'} release_heap: RSS after batch 1 {g[0]:.2f} GB, after batch {len(g)//2} {g[len(g)//2]:.2f} GB, "
          f"after batch {len(g)} {g[-1]:.2f} GB, most {max(g):.2f} GB")

def heap():
    with tempfile.TemporaryDirectory() as d:
        synthetic_to_npy(d, 162_541, 59_047, 20_000_000)
        for trim in (True, False):
            subprocess.run([sys.executable, __file__, '--heap-child', d, '--trim', str(int(trim))], check=True)

PARTS = dict(implicit=implicit, svdpp=svdpp, fused=fused, sparse=sparse, rows=rows, ease=ease, heap=heap)

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--only', nargs='+', default=list(PARTS), choices=list(PARTS))
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--heap-child', default=None, help=argparse.SUPPRESS)
    p.add_argument('--trim', type=int, default=1, help=argparse.SUPPRESS)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.heap_child: heap_child(a.heap_child, bool(a.trim)); raise SystemExit
    print(f"torch threads: {a.threads}")
    for k in a.only: PARTS[k]()
