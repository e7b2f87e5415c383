"""The pages end to end: files written, Markdown and HTML, escaping, links, the index, and in a real browser."""

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from test_reports import github, text_of

from ann_keras import reports, results
from ann_keras.errors import ResultsError

HOSTILE = "<script>alert(1)</script>"
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


def test_a_report_rebuilt_leaves_no_file_the_second_write_does_not_write(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    first = {p.name for p in folder.iterdir()}
    (folder / "notes-of-mine.txt").write_text("a reader's own file")   # not the writer's: left alone
    fewer = copy.deepcopy(result.to_dict())
    fewer["final"] = {}   # no final model: its per-class tables and heatmaps are not written again
    reports.write_report(results.RunResult.from_dict(fewer), tmp_path)
    second = {p.name for p in folder.iterdir()} - {"notes-of-mine.txt"}
    assert "per_class.csv" in first and "confusion_counts.png" in first
    assert second == set(json.loads((folder / "summary.json").read_text())["files"])
    assert "per_class.csv" not in second and "confusion_counts.png" not in second
    assert (folder / "notes-of-mine.txt").read_text() == "a reader's own file"


def test_the_index_takes_a_summary_an_earlier_release_wrote(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    row = json.loads((folder / "summary.json").read_text())
    for key in ("verdict", "arithmetic", "extension", "noise", "evaluation", "files"):   # keys added since
        row.pop(key, None)
    (folder / "summary.json").write_text(json.dumps(row))
    page, skipped = reports.write_index(tmp_path)
    assert skipped == [] and 'href="ann/index.html"' in page.read_text()


def test_html_page_is_self_contained(result, tmp_path):
    folder = reports.write_report(result, tmp_path)
    page = (folder / "index.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(list(folder.glob("*.png"))) >= 4
    assert "<link" not in page and 'src="http' not in page and "<style>" in page


def test_markdown_links_the_figure_files(result, tmp_path):
    markdown = (reports.write_report(result, tmp_path) / "README.md").read_text()
    assert '<img src="confusion_counts.png" alt="Confusion matrix (counts)"' in github(markdown)


def test_text_from_data_is_escaped(hostile, tmp_path):
    folder = reports.write_report(hostile, tmp_path)
    page, markdown = (folder / "index.html").read_text(), github((folder / "README.md").read_text())
    for text in (page, markdown):
        assert "<script>alert" not in text and "<b>bold" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert HOSTILE in (folder / "per_class.csv").read_text()   # CSV keeps the real name


def test_index_lists_every_report(result, tmp_path):
    reports.write_report(result, tmp_path)
    other = copy.deepcopy(result.to_dict())
    other["experiment"], other["title"] = "second", "Second experiment"
    reports.write_report(results.RunResult.from_dict(other), tmp_path)
    index, _ = reports.write_index(tmp_path)
    page = index.read_text()
    assert 'href="ann/index.html"' in page and 'href="second/index.html"' in page
    assert '<a href="second/README.md">Second experiment</a>' in github((tmp_path / "README.md").read_text())


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
    assert len(images) == len(list(folder.glob("*.png"))) and all(done and w > 0 and h > 0 for done, w, h in images)

    def rows(table_id):
        return browser.execute_script(f"return document.querySelectorAll('#{table_id} tbody tr').length")
    assert rows("trials-table") == len(result.trials)
    assert rows("per-class-table") == len(result.dataset["class_names"]) + 2
    assert rows("paper-and-us-table") == len(result.paper_runs)
    assert browser.execute_script("return document.querySelectorAll('#trials-table tr.best').length") == 1
    font = browser.execute_script("return getComputedStyle(document.body).fontFamily")
    assert font.startswith("system-ui"), font          # the style sheet's, not the browser's default serif
    assert browser.execute_script("return document.querySelector('a[href=\"../index.html\"]') !== null")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "report.png"))


def test_sorting_a_trials_column_reorders_its_rows(result, tmp_path, browser):
    browser.get((reports.write_report(result, tmp_path) / "index.html").as_uri())
    column = browser.execute_script(
        "return Array.from(document.querySelectorAll('#trials-table th')).findIndex(h => h.textContent == 'time_s')")

    def times():
        return browser.execute_script(
            f"return Array.from(document.querySelectorAll('#trials-table tbody tr')).map(r => "
            f"parseFloat(r.cells[{column}].textContent))")
    header = browser.find_elements("css selector", "#trials-table th")[column]
    header.click()
    assert times() == sorted(times())
    header.click()
    assert times() == sorted(times(), reverse=True)
    box = browser.find_element("css selector", "input[data-filter='trials-table']")
    box.send_keys("no such value")
    shown = "return document.querySelectorAll('#trials-table tbody tr:not([hidden])').length"
    assert browser.execute_script(shown) == 0


@pytest.mark.parametrize("page", ["ann/index.html", "index.html"])
def test_no_page_is_wider_than_a_phone(result, tmp_path, browser, page):
    reports.write_report(result, tmp_path)
    reports.write_index(tmp_path)
    browser.set_window_size(390, 900)
    browser.get((tmp_path / page).as_uri())
    inner, scroll = browser.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll <= inner, f"{page} is {scroll} px wide in a {inner} px window"
    assert browser.execute_script(
        "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")


@pytest.mark.parametrize("page, table", [("index.html", "index-table"), ("ann/index.html", "paper-and-us-table"),
                                         ("ann/index.html", "trials-table")])
def test_on_a_phone_every_column_of_a_table_is_on_screen_with_its_name(result, tmp_path, browser, page, table):
    reports.write_report(result, tmp_path)
    reports.write_index(tmp_path)
    browser.set_window_size(390, 900)
    browser.get((tmp_path / page).as_uri())
    cells = browser.execute_script(f"""
        return Array.from(document.querySelectorAll('#{table} tbody td')).map(c => [
            c.dataset.label, c.getBoundingClientRect().left, c.getBoundingClientRect().right,
            getComputedStyle(c, '::before').content])""")
    inner = browser.execute_script("return window.innerWidth")
    assert cells and all(0 <= left and right <= inner for _, left, right, _ in cells), cells[:3]   # none cut off
    assert all(before == f'"{label}"' for label, _, _, before in cells)   # each value says which column it is
    labels = {label for label, *_ in cells}
    assert {"paper", "ours"} <= labels if table != "trials-table" else "test_accuracy" in labels


def test_hostile_names_stay_inert_text_in_chromium(hostile, tmp_path, browser):
    from selenium.common.exceptions import NoAlertPresentException
    folder = reports.write_report(hostile, tmp_path)
    browser.get((folder / "index.html").as_uri())
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    body = browser.execute_script("return document.body.innerText")
    assert HOSTILE in body
    assert browser.execute_script("return document.scripts.length") == 1   # our sorting script, nothing else


# ---------------------------------------------------------------- files from strangers


LINKS = [
    "[click](javascript:alert(1))", "![pixel](https://tracker.example/p.png)", "<https://evil.example>",
    "see https://evil.example/x and www.evil.example", "mail me@evil.example", "mailto:me@evil.example",
    "[ref]: https://evil.example", "`code` *em* _em_ ~~gone~~ # heading", "a | b", "line\n# heading",
]


@pytest.fixture
def linky(result):
    """A results.json whose every text field from data carries Markdown link and image syntax."""
    data = copy.deepcopy(result.to_dict())
    for i, text in enumerate(LINKS):
        data["dataset"]["class_names"][i] = text
    data["title"] = LINKS[1]
    data["spec"]["description"] = " ".join(LINKS)
    data["spec"]["profile_description"] = LINKS[0]
    data["spec"]["paper"]["notes"] = LINKS[2]
    data["spec"]["paper"]["source"] = LINKS[3]
    data["trials"][0]["hyperparameters"]["activation"] = LINKS[1]
    data["spec"]["search"]["activation"] = [LINKS[1]]
    data["dataset"]["source"] = LINKS[4]
    data["command"] = LINKS[5]
    return results.RunResult.from_dict(data)


def test_links_and_images_in_data_are_inert_on_github(linky, tmp_path):
    folder = reports.write_report(linky, tmp_path)
    markdown = (folder / "README.md").read_text()
    rendered = github(markdown)
    targets = re.findall(r'<(?:a|img)\b[^>]*?(?:href|src)="([^"]*)"', rendered)
    own = {p.name for p in folder.iterdir()} | {"../README.md"}
    assert targets and set(targets) <= own, set(targets) - own
    assert rendered.count("<h1>") == 1 and "<em>em</em>" not in rendered and "<del>" not in rendered
    assert "<code>" not in rendered and "<h1>heading" not in rendered
    seen = text_of(markdown)
    for text in LINKS[:9]:
        assert text in seen, text     # every character is still there for the reader
    page = (folder / "index.html").read_text()
    assert set(re.findall(r'(?:href|src)="([^"#][^"]*)"', page)) <= own | {"../index.html"} | {
        t for t in re.findall(r'src="(data:image/png;base64,[^"]*)"', page)}


@pytest.mark.parametrize("name", ["..", "../../x", "/tmp/abs", "javascript:alert(1)", ".hidden", "a/b", ""])
def test_a_report_name_that_is_not_a_plain_name_writes_nothing(result, tmp_path, name):
    data = copy.deepcopy(result.to_dict())
    data["spec"]["report_name"] = name
    with pytest.raises(ResultsError, match="cannot name a folder"):
        results.RunResult.from_dict(data)
    reports_dir = tmp_path / "deep" / "reports"
    reports_dir.mkdir(parents=True)
    forged = results.RunResult(**{**result.to_dict(), "spec": data["spec"]})   # built without the check
    with pytest.raises(ResultsError, match="cannot name a folder"):
        reports.write_report(forged, reports_dir)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_foreign_summary_or_folder_is_skipped_by_the_index(result, tmp_path):
    reports.write_report(result, tmp_path)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "summary.json").write_text(json.dumps({"title": 5, "experiment": "javascript:x"}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{not json")
    (tmp_path / "a b").mkdir()
    shutil.copy(tmp_path / "ann" / "summary.json", tmp_path / "a b" / "summary.json")
    index, skipped = reports.write_index(tmp_path)
    assert len(skipped) == 3 and all("summary.json" in line for line in skipped)
    page = index.read_text()
    assert 'href="ann/index.html"' in page and "javascript" not in page and "a b/" not in page
    reports.write_report(result, tmp_path)   # and later reports still work
