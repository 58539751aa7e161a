"""Ctrl-C, sent for real (SIGINT to this process): `TerminateOnInterruptCallback` in the main thread, where Python runs signal
handlers (nbdev runs notebooks in a thread, so notebook 11 calls the handler instead), and `fastcf train` stopped mid-training."""
import os, re, signal, subprocess, sys
import pytest
from fastcf.all import *
import fastcf.cli as cli
from fastcf.cli import run_cli
from fastcf.learner import load_collab_learner
from fastcf.callbacks import read_checkpoint
for _n in [n for n in globals() if n.startswith('test')]: del globals()[_n]  # fastcore's test_eq & co. from the star imports are not tests

@pytest.fixture(autouse=True)
def python_ctrl_c():
    "Python's own Ctrl-C handler during each test (a job started in the background, as CI may be, starts with Ctrl-C ignored)"
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)

class CtrlC(Callback):
    "Send this process `sig` (Ctrl-C's SIGINT) `times` times in training batch `at` = (epoch, iter)"
    def __init__(self, at, times=1, sig=signal.SIGINT): self.at,self.times,self.sig = at,times,sig
    def after_batch(self):
        if self.training and (self.epoch, self.iter)==self.at:
            for _ in range(self.times): os.kill(os.getpid(), self.sig)

class Fail(Callback):
    def after_batch(self): raise ValueError('boom')

def learner():
    set_seed(0)
    dls = FastCollabDataLoaders.from_df(synthetic_ratings(100, 60, 2000, seed=0)[0], bs=64, seed=0)
    return collab_learner(dls, n_factors=4, y_range=(-1, 9))

def fit(learn, *cbs, n=3):
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(n, 1e-2, cbs=list(cbs))

def test_stops_at_the_end_of_the_batch():
    learn,stop = learner(),TerminateOnInterruptCallback()
    fit(learn, stop, CtrlC((1, 2)))
    assert stop.interrupted == dict(epoch=1, n_epoch=3, iter=2, n_iter=len(learn.dls.train), training=True, signal='SIGINT')
    assert len(learn.recorder.values) == 1  # (the first epoch's row: the second was stopped in its third batch)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    fit(learn, stop)  # (the same callback, no Ctrl-C: the whole fit)
    assert stop.interrupted is None and len(learn.recorder.values) == 3

def test_sigterm_when_asked():
    "SIGTERM stops `fit` when the callback is given it (`signals`); its handler is put back after"
    before = signal.getsignal(signal.SIGTERM)
    learn,stop = learner(),TerminateOnInterruptCallback(signals=(signal.SIGINT, signal.SIGTERM))
    fit(learn, stop, CtrlC((0, 4), sig=signal.SIGTERM))
    assert (stop.interrupted['epoch'], stop.interrupted['iter'], stop.interrupted['signal']) == (0, 4, 'SIGTERM')
    assert signal.getsignal(signal.SIGTERM) is before and signal.getsignal(signal.SIGINT) is signal.default_int_handler

def test_second_ctrl_c_stops_at_once():
    with pytest.raises(KeyboardInterrupt): fit(learner(), TerminateOnInterruptCallback(), CtrlC((0, 1), times=2))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

def test_ignored_ctrl_c_stays_ignored():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    learn,stop = learner(),TerminateOnInterruptCallback()
    fit(learn, stop, CtrlC((0, 1)))
    assert stop.interrupted is None and len(learn.recorder.values) == 3
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN

def test_after_a_failed_fit_ctrl_c_is_pythons():
    "A fit that fails runs no `after_fit`: the handler it set passes the next Ctrl-C to Python's own, and puts it back"
    with pytest.raises(ValueError, match='boom'): fit(learner(), TerminateOnInterruptCallback(), Fail())
    with pytest.raises(KeyboardInterrupt): os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

@pytest.mark.parametrize('sig,by,code', [(signal.SIGINT, 'Ctrl-C', 130), (signal.SIGTERM, 'SIGTERM', 143)], ids=['ctrl-c', 'sigterm'])
def test_cli_train_saves_what_it_trained(sig, by, code, tmp_path, fastai_home):
    "Ctrl-C (or SIGTERM) in `fastcf train`: training stops, the learner is saved as trained with its tables, one line says so on stderr, status 128 + the signal"
    p = subprocess.Popen(['fastcf', 'train', '--recipe', 'fastbook', '--epochs', '50', '--out', str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=dict(os.environ, MPLBACKEND='Agg'), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in p.stdout:  # (until the first epoch's row of fastai's table: training is under way)
            if re.search(r'(^|\s)0\s+\d+\.\d{6}\s+\d+\.\d{6}', line): break
        p.send_signal(sig)
        out,err = p.communicate(timeout=300)
    finally: p.kill()
    assert p.returncode == code, err[-3000:]
    assert 'Traceback' not in err
    m = re.search(rf'fastcf train: stopped by {by} in epoch (\d+) of 50, (training|validation) batch (\d+) of (\d+): saved (.*learner\.pkl) as trained so far', err)
    assert m and 2 <= int(m[1]) < 50 and m[5] == str(tmp_path/'learner.pkl'), err[-3000:]
    assert 'the same command with --resume goes on from there' in err
    st,(e,b,n) = read_checkpoint(tmp_path/'checkpoint.pth'),map(int, (m[1], m[3], m[4]))  # (saved where it stopped)
    assert (st['epoch'], st['batch']) == ((e-2, b) if m[2]=='training' and b < n else (e-1, 0)), (st['epoch'], st['batch'], m[0])
    assert f'(stopped by {by} in epoch' in out and {'learner.pkl', 'biases.csv', 'pca.png'} <= {f.name for f in tmp_path.iterdir()}
    learn = load_collab_learner(tmp_path/'learner.pkl')
    res = learn.recommend(1, n=5)
    assert len(res) == 5 and res.score.between(1, 5.5).all()

def test_cli_ctrl_c_outside_training(capsys, tmp_path, fastai_home, monkeypatch):
    "Ctrl-C before training (reading the data) or in `recommend`: one line, status 130, no traceback"
    def ctrl_c(*a, **kw): raise KeyboardInterrupt
    monkeypatch.setattr(cli, '_load_ratings', ctrl_c)
    with pytest.raises(SystemExit) as e: run_cli(['train', '--out', str(tmp_path)])
    err = capsys.readouterr().err
    assert e.value.code == 130 and err == 'fastcf train: interrupted: files written before it are whole, the rest not written\n'
    monkeypatch.setattr(cli, '_load', ctrl_c)
    with pytest.raises(SystemExit) as e: run_cli(['recommend', '--user', '1'])
    assert e.value.code == 130 and capsys.readouterr().err == 'fastcf recommend: interrupted\n'

def _killed_run(out, epochs):
    "`fastcf train --recipe fastbook` killed (SIGKILL: no handler runs) once its second epoch's row is printed, saving its checkpoint after every batch; what its checkpoint holds"
    p = subprocess.Popen(['fastcf', 'train', '--recipe', 'fastbook', '--epochs', str(epochs), '--out', str(out), '--checkpoint-minutes', '0'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=dict(os.environ, MPLBACKEND='Agg', PYTHONUNBUFFERED='1'))
    try:
        for line in p.stdout:
            if re.search(r'(^|\s)1\s+\d+\.\d{6}\s+\d+\.\d{6}', line): break
        p.kill(); p.wait(timeout=60)
    finally: p.kill()
    return read_checkpoint(out/'checkpoint.pth')

def _train(*args):
    return subprocess.run(['fastcf', 'train', '--recipe', 'fastbook', *args], capture_output=True, text=True, env=dict(os.environ, MPLBACKEND='Agg'), timeout=600)

def test_cli_resumes_a_killed_run(tmp_path, fastai_home):
    "`fastcf train` killed outright (no signal handler runs) loses at most the batches since its checkpoint: the same command with --resume goes on from it, with the run's own options only, and ends as the run would have"
    st = _killed_run(tmp_path, 6)
    done,batch = st['epoch'],st['batch']
    assert done in (0, 1, 2) and not (tmp_path/'learner.pkl').exists() and not list(tmp_path.glob('.*partial*'))
    r = _train('--epochs', '7', '--out', str(tmp_path), '--resume')  # (another run's options: refused, the checkpoint kept)
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert r.stderr.strip() == f"fastcf train: error: --resume: the run in {tmp_path} had other settings: --epochs 6 (now 7): give that run's options, or train afresh without --resume"
    r = _train('--epochs', '6', '--out', str(tmp_path), '--resume')
    assert r.returncode == 0 and 'warning' not in r.stderr, r.stderr[-3000:]  # (the epochs after the one resumed in are trained whole: nothing to warn of)
    at = f"batch {batch+1} of {st['n_iter']} in " if batch else ''
    assert f"(resuming the run in {tmp_path} from {at}epoch {done+2} of 6, where its checkpoint was saved)" in r.stdout
    assert not (tmp_path/'checkpoint.pth').exists()  # (the run finished: nothing left to resume)
    rows = lambda out: re.findall(r'(?m)^\s*(\d)\s+(\d+\.\d{6})\s+(\d+\.\d{6})', out)  # (each epoch's row: epoch, training and validation loss)
    whole = _train('--epochs', '6', '--out', str(tmp_path/'whole'))  # (the same run, never killed)
    assert whole.returncode == 0 and len(rows(whole.stdout)) == 6, whole.stderr[-3000:]
    got,want = rows(r.stdout),rows(whole.stdout)[done+1:]  # (the resumed epochs draw the same shuffles as the whole run's: the same losses)
    if batch: got,want = [(g[0], g[2]) for g in got[:1]] + got[1:],[(w[0], w[2]) for w in want[:1]] + want[1:]  # (an epoch resumed within: its training loss is of the batches after the checkpoint)
    assert got == want, r.stdout[-3000:]
    assert float(rows(r.stdout)[-1][2]) < 0.9
    assert len(load_collab_learner(tmp_path/'learner.pkl').recommend(1, n=5)) == 5
    r = _train('--epochs', '6', '--out', str(tmp_path), '--resume')
    assert r.returncode == 2 and 'there is no checkpoint in' in r.stderr and 'train without --resume' in r.stderr

def test_cli_a_fresh_run_says_it_replaces_a_checkpoint(tmp_path, fastai_home):
    _killed_run(tmp_path, 6)
    r = _train('--epochs', '1', '--out', str(tmp_path))
    assert r.returncode == 0 and f"(a run in {tmp_path} did not finish: this one starts afresh and replaces its checkpoint" in r.stdout
    assert not (tmp_path/'checkpoint.pth').exists()

def test_cli_resume_needs_epochs(capsys, tmp_path, fastai_home):
    with pytest.raises(SystemExit) as e: run_cli(['train', '--recipe', 'rank', '--resume', '--out', str(tmp_path)])
    assert e.value.code == 2 and "the rank recipe's EASE is solved in closed form" in capsys.readouterr().err

@pytest.mark.parametrize('row,fit', [(2, 'its SVD++'), (5, 'its autoencoder (its SVD++ trained)')], ids=['svdpp', 'autoencoder'])
def test_cli_resumes_the_accurate_recipe(row, fit, tmp_path, fastai_home):
    "The accurate recipe trains SVD++, then the autoencoder: killed in either, --resume goes on with that one (the autoencoder's checkpoint keeps the trained SVD++) and ends as the run would have (on one thread: the autoencoder's sparse sums on two vary in their last bits)"
    env = dict(os.environ, MPLBACKEND='Agg', PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    cmd = ['fastcf', 'train', '--recipe', 'accurate', '--epochs', '3', '--checkpoint-minutes', '0']
    rows = lambda out: re.findall(r'(?m)^\s*(\d)\s+(\d+\.\d{6})\s+(\d+\.\d{6})', out)  # (each epoch's row, both fits': epoch, training and validation loss)
    p = subprocess.Popen([*cmd, '--out', str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        n = 0
        for line in p.stdout:
            n += len(rows(line))
            if n >= row: break
        p.kill(); p.wait(timeout=60)
    finally: p.kill()
    st = read_checkpoint(tmp_path/'checkpoint.pth')
    assert ('trained_svdpp' in st['meta']) == (row > 3)  # (the autoencoder's checkpoint: its SVD++ with it)
    r = subprocess.run([*cmd, '--out', str(tmp_path), '--resume'], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[-3000:]
    at = f"batch {st['batch']+1} of {st['n_iter']} in " if st['batch'] else ''
    assert f"(resuming the run in {tmp_path} from {at}epoch {st['epoch']+2} of 3 of {fit}, where its checkpoint was saved)" in r.stdout
    whole = subprocess.run([*cmd, '--out', str(tmp_path/'whole')], capture_output=True, text=True, env=env, timeout=600)
    assert whole.returncode == 0 and len(rows(whole.stdout)) == 6
    blend = lambda out: re.search(r'\(validation RMSE: SVD\+\+ [\d.]+, autoencoder [\d.]+, their blend [\d.]+\)', out).group()
    assert blend(r.stdout) == blend(whole.stdout)  # (both models where the run's ended)
    got,want = rows(r.stdout),rows(whole.stdout)[-len(rows(r.stdout)):]
    assert [g[2] for g in got] == [w[2] for w in want]  # (each epoch's validation loss; the training loss shown is smoothed over the batches this process trained)
    assert not (tmp_path/'checkpoint.pth').exists() and (tmp_path/'learner.pkl').exists()
