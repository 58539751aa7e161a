"""The fast recipe on ML-100k (80/20 random split, seed 42), data-parallel through fastai's `distrib_ctx` across the
processes of a `torchrun` launch (gloo on CPU), or in one process when run plainly. Each rank takes batches of
`FAST_RECIPE["bs"] // world` ratings, so a step of all ranks sees the single-process batch. Rank 0 prints the valid MSE and the wall time.

    python bench/distributed.py                              # one process
    torchrun --standalone --nproc_per_node 2 bench/distributed.py   # two processes
"""
import argparse, json, time
from fastcf.all import *
from fastcf.distributed import *

if __name__=='__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=None, help='write {"mse", "seconds", "world"} here (rank 0)')
    p.add_argument('--epochs', type=int, default=FAST_RECIPE['epochs'])
    a = p.parse_args()
    torch.set_num_threads(1)
    ratings = load_movielens(titles=False)[['user','item','rating']]
    world = int(os.environ.get('WORLD_SIZE', 1))
    set_seed(42)
    learn = fast_learner(ratings, seed=42, bs=FAST_RECIPE['bs']//world)
    t = time.perf_counter()
    with learn.distrib_ctx():
        learn.fit_fast(a.epochs)
    res = dict(mse=learn.validate()[0], seconds=time.perf_counter()-t, world=world)
    if int(os.environ.get('RANK', 0))==0:
        print(f"{res['world']} process(es): valid MSE {res['mse']:.4f} in {res['seconds']:.1f} s")
        if a.out: Path(a.out).write_text(json.dumps(res))
    teardown_distributed()
