"Two CPU processes (torchrun, gloo) train the fast recipe on ML-100k to the same valid MSE as one process, and resume a killed run to the same as a whole one"
import json, os, subprocess, sys
from pathlib import Path
import pytest, torch

ROOT = Path(__file__).resolve().parents[1]

def run(cmd, out, env):
    r = subprocess.run([*cmd, str(ROOT/'bench'/'distributed.py'), '--out', str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(out.read_text())

def test_two_processes_match_one(tmp_path, fastai_home):
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONFAULTHANDLER='1')  # (a crash shows every thread's Python stack)
    one = run([sys.executable], tmp_path/'one.json', env)
    two = run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2'], tmp_path/'two.json', env)
    assert (one['world'], two['world']) == (1, 2)
    assert abs(one['mse'] - two['mse']) < 0.01, (one, two)
    assert two['mse'] < 0.83

RESUME = '''
import sys, json
from fastcf.all import *
from fastcf.distributed import *
mode,out = sys.argv[1],Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(1)
class Dies(Callback):
    "The process dies (an error no callback sees) as the tenth training batch of the third epoch begins"
    order = -20
    def before_batch(self):
        if self.training and (self.epoch, self.iter)==(2, 9): raise RuntimeError('killed')
set_seed(42)
learn = fast_learner(load_movielens(titles=False)[['user','item','rating']], seed=42, bs=FAST_RECIPE['bs']//int(os.environ['WORLD_SIZE']), path=out)
with learn.distrib_ctx():
    if mode=='whole': learn.fit_fast(4)
    elif mode=='dies':
        try: learn.fit_fast(4, cbs=[CheckpointCallback(batches=4), Dies()])
        except RuntimeError as e: print(e)  # (what it saved is on disk; the processes end as they would)
    else: learn.fit_fast(4, start_epoch=learn.load_checkpoint())
mse = float(learn.validate()[0])  # (on every process: fastai's validation gathers from each)
if int(os.environ['RANK'])==0: (out/f'{mode}.json').write_text(json.dumps(dict(mse=mse)))
teardown_distributed()
'''

def test_two_processes_resume_within_an_epoch(tmp_path, fastai_home):
    "Two processes killed within an epoch, after a checkpoint 8 batches into it, resume to the uninterrupted run's weights: the same valid MSE"
    (tmp_path/'resume.py').write_text(RESUME)
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONFAULTHANDLER='1')
    run = lambda mode, out: subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', str(tmp_path/'resume.py'), mode, str(out)],
                                           capture_output=True, text=True, env=env, timeout=300)
    r = run('whole', tmp_path/'whole')
    assert r.returncode == 0, r.stderr[-3000:]
    r = run('dies', tmp_path/'run')
    assert r.returncode == 0 and 'killed' in r.stdout, r.stderr[-3000:]
    st = torch.load(tmp_path/'run/models/checkpoint.pth', weights_only=True)
    assert (st['epoch'], st['batch'], st['n_iter']) == (1, 8, 26)  # (each process's batches: 52 in one process)
    r = run('resume', tmp_path/'run')
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((tmp_path/'run/resume.json').read_text()) == json.loads((tmp_path/'whole/whole.json').read_text())

NN = '''
import sys, json
from fastcf.all import *
from fastcf.distributed import *
torch.set_num_threads(1)
world = int(os.environ.get('WORLD_SIZE', 1))
set_seed(0)
ratings,_ = synthetic_ratings(300, 200, 20_000, seed=0)
dls = CollabDataLoaders.from_df(ratings, bs=256//world, seed=0)  # (fastai's own loaders)
learn = collab_learner(dls, use_nn=True, layers=[32], y_range=default_y_range(collab_view(dls).rating_range()))  # (fastai's EmbeddingNN: BatchNorm, and an empty one)
with learn.no_bar(), learn.distrib_ctx(): learn.fit_one_cycle(8, 1e-2)
with learn.no_bar(): mse = float(learn.validate()[0])
empty = [p.requires_grad for p in learn.model.parameters() if p.numel()==0]
if int(os.environ.get('RANK', 0))==0: Path(sys.argv[1]).write_text(json.dumps(dict(mse=mse, var=float(ratings.rating.var()), empty=empty, world=world)))
teardown_distributed()
'''

def test_fastai_embedding_nn_in_two_processes(tmp_path, fastai_home):
    "fastai's `EmbeddingNN` (`use_nn=True`, fastai's own loaders) trains in two CPU processes: its BatchNorm layers per process (said once: SyncBatchNorm needs GPUs), its empty BatchNorm of no continuous inputs left out of the fit (DDP waited for its gradients) and put back"
    (tmp_path/'nn.py').write_text(NN)
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONFAULTHANDLER='1')
    res = {}
    for name,cmd in (('one', [sys.executable]), ('two', [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2'])):
        r = subprocess.run([*cmd, str(tmp_path/'nn.py'), str(tmp_path/f'{name}.json')], capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        res[name] = json.loads((tmp_path/f'{name}.json').read_text()),r.stderr.count('UserWarning: sync_bn=True')
    (one,warned1),(two,warned2) = res['one'],res['two']
    assert (one['world'], two['world'], warned1, warned2) == (1, 2, 0, 1)  # (one process: no DDP, nothing to say; two: said by rank 0 only)
    assert two['mse'] < 0.6*two['var'] and abs(one['mse'] - two['mse']) < 0.1*one['var'], (one, two)  # (it learnt: well under the ratings' variance, as one process does)
    assert two['empty'] == [True, True]  # (the empty parameters as they were)
