"The docs build (nbdev-proc-nbs) runs a notebook's exported cells, its show_doc cells and every cell holding an import: keep tests out of those"
import ast, json
from pathlib import Path

NBS = Path(__file__).parents[1]/'nbs'
_RUN_ANYWAY = {'export','exports','exporti','exec_doc'}

def _directives(src): return {l[3:].split()[0] for l in src.splitlines() if l.startswith('#| ') and l[3:].split()}

def _setup_only(tree):
    "Imports, and calls such as `warnings.filterwarnings(...)`, nothing else"
    ok = lambda s: isinstance(s, (ast.Import, ast.ImportFrom)) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
                                                                  and ast.unparse(s.value.func).startswith('warnings.'))
    return all(ok(s) for s in tree.body)

def docs_build_runs(nb):
    "Indexes of `nb`'s code cells that nbdev-proc-nbs would run although they do more than import"
    out = []
    for i,c in enumerate(json.loads(nb.read_text())['cells']):
        src = ''.join(c['source'])
        if c['cell_type']!='code' or _directives(src) & _RUN_ANYWAY or 'show_doc(' in src: continue
        tree = ast.parse('\n'.join(l for l in src.splitlines() if not l.startswith(('%','!'))))
        has_import = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
        if has_import and not _setup_only(tree): out.append(i)
    return out

def test_docs_build_runs_no_tests():
    # an import inside a test cell made the docs build train a model again (and fail on a machine where the test was flaky)
    bad = {nb.name: docs_build_runs(nb) for nb in sorted(NBS.glob('*.ipynb'))}
    assert not {k:v for k,v in bad.items() if v}, f'cells that import and test; move their imports to the notebook\'s import cell: {bad}'

def test_docs_build_runs_a_cell_with_an_import(tmp_path):
    cell = lambda s: dict(cell_type='code', source=s, metadata={}, outputs=[], execution_count=None)
    nb = tmp_path/'x.ipynb'
    nb.write_text(json.dumps(dict(cells=[cell('#| export\nimport os\nx = 1'), cell('import os\nimport warnings\nwarnings.filterwarnings("ignore")'),
                                         cell('with open("f") as f:\n    import json\n    json.load(f)'), cell('x = 2'), cell('show_doc(len)')])))
    assert docs_build_runs(nb) == [2]
