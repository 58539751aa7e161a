"Training on fastcf's sparse paths warns nothing a user could act on (each check in a fresh process: torch warns once a process)"
import subprocess, sys, textwrap
import pytest

RUNS = {
    'fast recipe, sparse (L2Reg and SVDpp write sparse gradients)': """
        df,_ = synthetic_ratings(3000, 2000, 50_000, seed=0)
        for model in ('dot_bias', 'svdpp'):
            l = fast_learner(df, seed=42, model=model, sparse=True)
            with l.no_bar(), l.no_logging(): l.fit_fast()
            assert l.validate()[0] < df.rating.var()  # (it learned: under the error of predicting the mean)""",
    'fast_ranker with its low-pass filter': """
        r = fast_ranker(synthetic_interactions(300, 200, seed=0), valid_pct=0.1, rank=8)
        assert len(r.recommend(r.dls.classes['user'][1], n=5)) == 5""",
}

@pytest.mark.parametrize('name', list(RUNS))
def test_no_warnings(name):
    code = "import torch; torch.set_num_threads(1)\nfrom fastcf.all import *\n" + textwrap.dedent(RUNS[name])
    r = subprocess.run([sys.executable, '-W', 'error::UserWarning', '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
