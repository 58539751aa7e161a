"""Per-step overhead of training in fastai's `Learner` against a bare PyTorch loop of the same model, optimizer and
batches, on ML-100k: milliseconds per training step at bs 64 and bs 4096.

- bare: slices of the same tensors, `model(x)`, MSE, `backward`, `opt.step()`, `opt.zero_grad()`
- fastcf Learner: `FastCollabDataLoaders` + `collab_learner(sparse=True)`: a `CollabLearner` with `MSELossPlain` and
  `LazyAdam`, progress bar and recorder on
- fastai Learner: fastai's own `Learner` and `MSELossFlat` around the same model, optimizer and loaders, for reference
- fastai default optimizer: the same Learner with fastai's `Adam` and dense embeddings, for reference

    python bench/overhead.py [--epochs 2]
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

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--epochs', type=int, default=4)
    a = p.parse_args()
    ratings = load_movielens(titles=False)[['user','item','rating']]
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
