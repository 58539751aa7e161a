"""Per-step overhead of training in fastai's `Learner` against a bare PyTorch loop of the same model, optimizer and
batches, on ML-100k: milliseconds per training step at bs 64 and bs 4096.

- bare: slices of the same tensors, `model(x)`, MSE, `backward`, `opt.step()`, `opt.zero_grad()`
- fastcf Learner: `FastCollabDataLoaders` + `collab_learner(sparse=True)`: a `CollabLearner` with `MSELossPlain` and
  `LazyAdam`, progress bar and recorder on
- fastai Learner: fastai's own `Learner` and `MSELossFlat` around the same model, optimizer and loaders, for reference
- fastai default optimizer: the same Learner with fastai's `Adam` and dense embeddings, for reference

With `--parts`, what two of fastcf's savings are worth on their own:
- callbacks: ms per step at bs 64 of the fastcf Learner as above, and of the same learner with fastai's `Recorder`,
  `CastToTensor` and `TrainEvalCallback` put back in place of `FastRecorder`, `FastCastToTensor` and `FastTrainEval`
- schedule: µs per batch of fastai's `combined_cos` and of `CosCycle` (the same schedule in plain Python), called for
  lr over two parameter groups and for mom as `fit_one_cycle` does; and the wall time of `fit_one_cycle(8, 1e-2)` of
  the fast recipe's `SVDpp` at bs 1,024 with each (`CollabLearner.fit_one_cycle` against fastai's
  `Learner.fit_one_cycle` on the same learner), the best of three fits each

    python bench/overhead.py [--epochs 4] [--threads 2] [--parts]
"""
import argparse, time
from fastcf.all import *

class TrainTimer(Callback):
    "Wall time of the training phase of each epoch (validation excluded)"
    order = -100
    def before_fit(self): self.times,self.steps = [],[]
    def before_train(self): self.t = time.perf_counter()
    def after_train(self): self.times.append(time.perf_counter()-self.t); self.steps.append(self.n_iter)

def _ms(learn, epochs):
    learn.fit(epochs, 5e-3, wd=0.1)   # progress bar and recorder as a user sees them
    t = learn.train_timer
    return 1000*min(t.times)/t.steps[0]

def learner_ms(dls, sparse, epochs):
    set_seed(0)
    return _ms(collab_learner(dls, n_factors=50, y_range=(0,5.5), sparse=sparse, cbs=TrainTimer()), epochs)

def _model(dls):
    "The model every column trains: `collab_learner(sparse=True)`'s, built by hand"
    return DotProductBias(*[len(dls.classes[n]) for n in dls.cat_names], 50, y_range=(0,5.5), sparse=True)

def fastai_learner_ms(dls, epochs):
    set_seed(0)
    return _ms(Learner(dls, _model(dls), loss_func=MSELossFlat(), opt_func=LazyAdam, splitter=collab_splitter, cbs=TrainTimer()), epochs)

def bare_ms(dls, epochs):
    set_seed(0)
    model = _model(dls)
    opt = LazyAdam(collab_splitter(model), lr=5e-3, wd=0.1)
    x,y = dls.train.dataset.x,dls.train.dataset.y.view(-1)
    bs,n = dls.train.bs,len(x)//dls.train.bs*dls.train.bs
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(len(x))
        xs,ys = x[perm],y[perm]
        for i in range(0, n, bs):
            loss = F.mse_loss(model(xs[i:i+bs].long()), ys[i:i+bs])
            loss.backward(); opt.step(); opt.zero_grad()
        times.append(time.perf_counter()-t)
    return 1000*min(times)/(n//bs)

def fastai_cbs(learn):
    "`learn` with fastai's `Recorder`, `CastToTensor` and `TrainEvalCallback` in place of fastcf's three"
    r = learn.recorder
    learn.remove_cbs([learn.recorder, learn.cast_to_tensor, learn.train_eval])
    return learn.add_cbs([Recorder(r.add_time, r.train_metrics, r.valid_metrics, r.smooth_loss.beta), CastToTensor(), TrainEvalCallback()])

def callbacks_ms(dls, epochs):
    "ms per step of `collab_learner(sparse=True)` with fastcf's callbacks, and with fastai's"
    set_seed(0)
    plain = fastai_cbs(collab_learner(dls, n_factors=50, y_range=(0,5.5), sparse=True, cbs=TrainTimer()))
    return learner_ms(dls, True, epochs),_ms(plain, epochs)

def batch_us(sched, n=20_000):
    "µs per training batch of `fit_one_cycle`'s two schedules built by `sched`: lr over two parameter groups, mom"
    lr = np.array([1e-2, 1e-2])
    fs = [sched(0.25, lr/25, lr, lr/1e5), sched(0.25, 0.95, 0.85, 0.95)]
    pos = [i/n for i in range(n)]
    t = time.perf_counter()
    for p in pos:
        for f in fs: f(p)
    return 1e6*(time.perf_counter()-t)/n

def one_cycle_s(ratings, fastai_sched, n=3):
    "Best wall time of `n` fits of the fast recipe's learner at bs 1,024, 8 epochs, by fastcf's or fastai's `fit_one_cycle`"
    times = []
    for _ in range(n):
        set_seed(0)
        learn = fast_learner(ratings, bs=1024, seed=42)
        fit = partial(Learner.fit_one_cycle, learn) if fastai_sched else learn.fit_one_cycle
        with learn.no_bar(), learn.no_logging():
            t = time.perf_counter(); fit(8, 1e-2); times.append(time.perf_counter()-t)
    return min(times),len(learn.dls.train)*8

def parts(ratings, epochs):
    dls = FastCollabDataLoaders.from_df(ratings, bs=64, seed=42)
    fast,plain = callbacks_ms(dls, epochs)
    print(f"\ncallbacks, bs 64: fastcf's three {fast:.3f} ms/step, fastai's {plain:.3f} ms/step: {1000*(plain-fast):.0f} µs a step saved")
    fa,cc = batch_us(combined_cos),batch_us(CosCycle)
    print(f"schedules of lr (two parameter groups) and mom: fastai's combined_cos {fa:.1f} µs a batch, CosCycle {cc:.1f} µs a batch")
    (tf,steps),(tc,_) = one_cycle_s(ratings, True),one_cycle_s(ratings, False)
    print(f"fit_one_cycle(8, 1e-2), fast recipe's SVDpp at bs 1,024 ({steps} steps), best of three: fastai's {tf:.2f} s, CollabLearner's {tc:.2f} s")

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--parts', action='store_true', help="time fastcf's callbacks and one-cycle schedule against fastai's, instead")
    a = p.parse_args()
    torch.set_num_threads(a.threads); print(f"torch threads: {a.threads}")
    ratings = load_movielens(titles=False)[['user','item','rating']]
    if a.parts: parts(ratings, a.epochs); raise SystemExit
    rows = []
    for bs in (64, 4096):
        dls = FastCollabDataLoaders.from_df(ratings, bs=bs, seed=42)
        bare = bare_ms(dls, a.epochs)
        fast = learner_ms(dls, True, a.epochs)
        stock = fastai_learner_ms(dls, a.epochs)
        dense = learner_ms(dls, False, a.epochs)
        rows.append((bs, bare, fast, stock, dense))
    print(f"\n{'bs':>5} {'bare ms/step':>13} {'fastcf Learner':>15} {'ratio':>6} {'fastai Learner':>15} {'ratio':>6} {'dense, fastai Adam':>19} {'ratio':>6}")
    for bs,bare,fast,stock,dense in rows:
        print(f"{bs:>5} {bare:>13.3f} {fast:>15.3f} {fast/bare:>5.2f}x {stock:>15.3f} {stock/bare:>5.2f}x {dense:>19.3f} {dense/bare:>5.2f}x")
