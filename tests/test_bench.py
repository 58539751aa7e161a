"The bench scripts run: each one's --help, and the quick parts of bench/steps.py, whose figures the docs cite"
import subprocess, sys
from pathlib import Path
import pytest

BENCH = Path(__file__).resolve().parents[1]/'bench'

def run(*args): return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=600)

@pytest.mark.parametrize('script', sorted(p.name for p in BENCH.glob('*.py')))
def test_help(script):
    r = run(BENCH/script, '--help')
    assert r.returncode == 0 and 'usage' in r.stdout, r.stderr[-2000:]

def test_steps_quick_parts(fastai_home):
    r = run(BENCH/'steps.py', '--only', 'implicit', 'fused', '--threads', '1')
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    assert lines[0] == 'torch threads: 1'
    assert lines[1].startswith('implicit sums on ML-100k') and lines[2].startswith('LazyAdam step')
