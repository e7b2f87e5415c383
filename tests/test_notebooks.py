"""The notebooks in notebooks/ run end to end, in a folder of their own, and are committed without outputs."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks_and_they_are_committed_without_outputs():
    assert [path.name for path in NOTEBOOKS] == ["01-digits-mlp.ipynb", "02-cifar-cnn.ipynb"]
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code and all(not cell.outputs and cell.execution_count is None for cell in code), path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_notebook_runs_without_an_error(path, tmp_path):
    from nbclient import NotebookClient
    notebook = nbformat.read(path, as_version=4)
    # Run where nothing of the repository is: its runs/ and reports/ go to the temporary folder.
    client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()   # raises CellExecutionError, naming the cell and its traceback, at the first error
    assert (tmp_path / "runs").is_dir() and list((tmp_path / "reports").glob("*/index.html"))
    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert not errors
