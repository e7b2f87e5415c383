import copy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ann_keras import reports, results

HOSTILE = "<script>alert(1)</script>"
SECTIONS = ["Summary", "The paper and us", "All trials", "Per-class metrics", "Heatmaps",
            "Most confused pairs", "Training curves"]
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


@pytest.fixture
def result(fixture_results):
    return results.load(fixture_results)


@pytest.fixture
def hostile(result):
    data = copy.deepcopy(result.to_dict())
    data["dataset"]["class_names"][3] = HOSTILE
    data["spec"]["search"]["activation"] = ["<b>bold</b>"]
    data["trials"][0]["hyperparameters"]["activation"] = "<b>bold</b>"
    data["command"] = "ann-keras tune '<img src=x onerror=alert(2)>'"
    return results.RunResult.from_dict(data)


def test_report_writes_pages_tables_and_figures(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    assert folder == tmp_path / "ann"
    names = {p.name for p in folder.iterdir()}
    assert {"README.md", "index.html", "trials.csv", "per_class.csv", "paper_and_us.csv", "most_confused.csv",
            "confusion_counts.png", "confusion_normalised.png", "precision_recall.png",
            "training_curves.png"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    trials_csv = (folder / "trials.csv").read_text().splitlines()
    assert len(trials_csv) == 1 + len(result.trials)


def test_sections_appear_in_order_in_both_pages(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    markdown = (folder / "README.md").read_text()
    page = (folder / "index.html").read_text()
    positions = [markdown.index(f"## {s}") for s in SECTIONS]
    assert positions == sorted(positions)
    html_positions = [page.index(f">{s}</h2>") for s in SECTIONS]
    assert html_positions == sorted(html_positions)


def test_summary_names_profile_data_hardware_versions_seed_and_command(result, tmp_path):
    markdown = (reports.write_report(result, tmp_path) / "README.md").read_text()
    for text in ("smoke:", "sklearn.datasets.load_digits", "usable cores", "keras-tuner", "| Seed | 42",
                 result.command, "the profile 'smoke', not the paper's protocol"):
        assert text in markdown, text


def test_html_page_is_self_contained(result, tmp_path):
    page = (reports.write_report(result, tmp_path) / "index.html").read_text()
    assert page.count('src="data:image/png;base64,') == 4
    assert "<link" not in page and 'src="http' not in page and "<style>" in page


def test_markdown_links_the_figure_files(result, tmp_path):
    markdown = (reports.write_report(result, tmp_path) / "README.md").read_text()
    assert "![Confusion matrix (counts)](confusion_counts.png)" in markdown


def test_text_from_data_is_escaped(hostile, tmp_path):
    folder = reports.write_report(hostile, tmp_path)
    for name in ("index.html", "README.md"):
        text = (folder / name).read_text()
        assert "<script>alert" not in text and "<b>bold" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert HOSTILE in (folder / "per_class.csv").read_text()   # CSV keeps the real name


def test_index_lists_every_report(result, tmp_path):
    reports.write_report(result, tmp_path)
    other = copy.deepcopy(result.to_dict())
    other["experiment"], other["title"] = "second", "Second experiment"
    reports.write_report(results.RunResult.from_dict(other), tmp_path)
    index = reports.write_index(tmp_path)
    page = index.read_text()
    assert 'href="ann/index.html"' in page and 'href="second/index.html"' in page
    assert "[Second experiment](second/README.md)" in (tmp_path / "README.md").read_text()


def test_reports_never_import_tensorflow(fixture_results, tmp_path):
    code = (
        "import sys; from ann_keras import cli, reports, results;"
        f"reports.write_report(results.load({str(fixture_results)!r}), {str(tmp_path)!r});"
        "reports.write_index(" + repr(str(tmp_path)) + ");"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- in a real browser


def _chromium():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install '.[test]')")
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.skip("no Chromium and ChromeDriver on PATH (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,2000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.fixture
def browser():
    driver = _chromium()
    yield driver
    driver.quit()


def test_page_loads_in_chromium_with_figures_and_tables(result, tmp_path, browser):
    folder = reports.write_report(result, tmp_path)
    browser.get((folder / "index.html").as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(images) == 4 and all(done and w > 0 and h > 0 for done, w, h in images)

    def rows(table_id):
        return browser.execute_script(f"return document.querySelectorAll('#{table_id} tbody tr').length")
    assert rows("trials-table") == len(result.trials)
    assert rows("per-class-table") == len(result.dataset["class_names"]) + 2
    assert rows("paper-table") == len(result.paper_runs)
    assert browser.execute_script("return document.querySelectorAll('#trials-table tr.best').length") == 1
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "report.png"))


def test_hostile_names_stay_inert_text_in_chromium(hostile, tmp_path, browser):
    from selenium.common.exceptions import NoAlertPresentException
    folder = reports.write_report(hostile, tmp_path)
    browser.get((folder / "index.html").as_uri())
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    body = browser.execute_script("return document.body.innerText")
    assert HOSTILE in body
    assert browser.execute_script("return document.scripts.length") == 0


def test_paper_figures_mark_the_papers_epochs_and_table(result, tmp_path):
    """The paper's per-epoch points and its per-class table are drawn beside ours when the spec has them."""
    data = copy.deepcopy(result.to_dict())
    data["spec"]["paper"]["per_class_accuracy"] = {str(k): 0.5 + k / 40 for k in range(10)}
    data["paper_runs"][0].update(first_epoch_test_accuracy=0.424, best_epoch_test_accuracy=0.592, best_epoch=3,
                                 executions=[{"seed": 42, "test_accuracy_by_epoch": [0.4, 0.5, 0.6]},
                                             {"seed": 43, "test_accuracy_by_epoch": [0.41, 0.52, 0.58]}])
    folder = reports.write_report(results.RunResult.from_dict(data), tmp_path)
    page = (folder / "index.html").read_text()
    markdown = (folder / "README.md").read_text()
    for name in ("per_class_beside_paper.png", "paper_run_epochs.png"):
        assert (folder / name).stat().st_size > 1000
        assert f"({name})" in markdown
    assert "Test accuracy per epoch: baseline" in page


def test_no_paper_figures_without_the_papers_numbers(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    assert not (folder / "per_class_beside_paper.png").exists()
    assert not (folder / "paper_run_epochs.png").exists()
