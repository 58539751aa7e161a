"Two CPU processes (torchrun, gloo) train the fast recipe on ML-100k to the same valid MSE as one process"
import json, os, subprocess, sys
from pathlib import Path
import pytest

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
