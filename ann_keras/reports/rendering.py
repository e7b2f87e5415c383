"""A Report rendered as Markdown and a self-contained HTML page, and the index of every report.

Jinja2 templates render the page model (HTML with autoescape on, Markdown
with every value escaped), so text from data, such as a class folder's
name, is never markup. Tables are also written as CSV and figures as PNG
beside the pages. No TensorFlow: a report is rebuilt from results.json alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import markupsafe

from .. import names, results
from ..errors import ResultsError, shorten
from ..files import inside, write_bytes, write_text
from ..results import RunResult
from . import headline, reproduction
from .formatting import num, pct
from .sections import build_report

# Each report sits in reports/<name>/; the index of all of them one folder up.
INDEX_LINKS = ("../index.html", "../README.md")

# Markdown's own punctuation: emphasis, code, links and images, headings, strike-through, table cells.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]#!~|])")
# What GitHub links by itself: scheme://..., mailto: and xmpp:, www.
_AUTOLINK_COLON = re.compile(r"(?i):(?=//)|(?<=mailto):|(?<=xmpp):")
_WWW = re.compile(r"(?i)\b(www)\.")


def _markdown_escape(value):
    """Return a value from data as inert Markdown text: it reads the same and makes no markup, link or image.

    HTML is escaped (GitHub renders raw HTML), Markdown's punctuation gets a
    backslash, newlines become spaces (one table cell, one paragraph), and
    what GitHub would turn into a link by itself is broken up invisibly: the
    `:` of `scheme://` or `mailto:` becomes an entity, `www.` loses its dot
    to one, and an e-mail address gets an empty comment after its `@`.
    Markup (the output of a template's macro, already escaped, or a file
    name the report made) passes through unchanged.
    """
    if isinstance(value, markupsafe.Markup):
        return value
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    text = _WWW.sub(r"\1&#46;", _AUTOLINK_COLON.sub("&#58;", text)).replace("@", "@<!-- -->")
    return markupsafe.Markup(text.replace("\r", " ").replace("\n", " "))


def _link(target: str) -> markupsafe.Markup:
    """Return a link target the report made, after checking it stays inside the reports folder.

    Every href and image source in both pages goes through this filter: a
    relative path of plain names (a figure, a CSV, another report's folder),
    never a URL, an absolute path or `..`.
    """
    if target in INDEX_LINKS:
        return markupsafe.Markup(target)   # a report's way back to reports/index.html
    if not all(names.is_plain(part) for part in str(target).split("/")):
        raise ResultsError(f"refusing to link {str(target)[:80]!r}: a report links only its own files")
    return markupsafe.Markup(target)


def environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    """Return the HTML and the Markdown template environments (the Markdown one makes data inert text)."""
    loader = jinja2.PackageLoader("ann_keras.reports", "templates")
    html_env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True)
    markdown_env = jinja2.Environment(loader=loader, autoescape=True, finalize=_markdown_escape,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    for env in (html_env, markdown_env):
        env.filters.update(pct=pct, num=num, link=_link)
        # Our own style sheet, not text from data: autoescaping would turn its quotes into entities.
        env.globals["style"] = markupsafe.Markup((Path(__file__).parent / "templates" / "style.css").read_text())
        env.globals["script"] = markupsafe.Markup((Path(__file__).parent / "templates" / "tables.js").read_text())
    return html_env, markdown_env


def write_report(result: RunResult, reports_dir: Path) -> Path:
    """Write reports/<experiment>/ (README.md, index.html, CSVs, PNGs); return the folder."""
    folder = names.inside(reports_dir, result.spec.get("report_name", result.experiment), "report_name",
                          ResultsError)
    folder = inside(reports_dir, folder.name)   # a link at reports/<name> is refused: the pages go where it points
    report = build_report(result)
    earlier = _written_before(folder)
    html_env, markdown_env = environments()
    written = ["README.md", "index.html", headline.SUMMARY_FILE, results.RESULTS_FILE]
    for table in report.tables:
        if table.csv:
            write_text(folder / table.csv_file, table.frame.to_csv(index=False), within=reports_dir)
            written.append(table.csv_file)
    for figure in report.figures:
        write_bytes(folder / figure.file, figure.png, within=reports_dir)
        written.append(figure.file)
    write_text(folder / "README.md", markdown_env.get_template("report.md.j2").render(r=report), within=reports_dir)
    write_text(folder / "index.html", html_env.get_template("report.html.j2").render(r=report), within=reports_dir)
    row = {**report.headline, "files": sorted(set(written))}
    write_text(folder / headline.SUMMARY_FILE, json.dumps(row, indent=1) + "\n", within=reports_dir)
    # The report's own data: `ann-keras report reports/<name>` rebuilds it, and a reader can check any number.
    results.save(result, folder)
    # A figure or table the run no longer has (a section gone, a renamed CSV) would linger beside the new page
    # and contradict it: what the last write listed and this one did not is removed. Nothing else is touched.
    for name in earlier - set(written):
        path = folder / name
        if names.is_plain(name) and path.is_file() and not path.is_symlink():
            path.unlink()
    return folder


def _written_before(folder: Path) -> set[str]:
    """Return the files the last report written in `folder` listed in its summary.json (none if not ours)."""
    try:
        listed = json.loads((folder / headline.SUMMARY_FILE).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError, RecursionError):
        return set()
    return {name for name in listed if isinstance(name, str)} if isinstance(listed, list) else set()


def write_index(reports_dir: Path) -> tuple[Path, list[str]]:
    """Write reports/index.html and reports/README.md: one row per experiment's report.

    Return the page and the summary files left out, each with why: a folder
    that is not a plain name, or a summary.json that is not one of ours, is
    skipped rather than allowed to break the index or link anywhere.
    """
    import jsonschema
    reports_dir = Path(reports_dir)
    rows, skipped = [], []
    for path in sorted(reports_dir.glob(f"*/{headline.SUMMARY_FILE}")):
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
            jsonschema.validate(row, headline.SCHEMA)
        except (OSError, ValueError, RecursionError, jsonschema.ValidationError) as error:
            skipped.append(f"{path}: not an ann-keras summary ({_first_line(error)})")
            continue
        if not names.is_plain(path.parent.name):
            skipped.append(f"{path}: folder name cannot be linked; use {names.RULE}")
            continue
        # A summary written by an earlier release lacks the keys added since: they show as empty, not as an error.
        optional = dict.fromkeys(headline.SCHEMA["properties"])
        rows.append({**optional, **row, "experiment": path.parent.name})   # the link is the folder, never data
    # The reproduction summary opens the page: the reports' own results.json, and reproduce.json's times.
    loaded, left_out = reproduction.load_reports(reports_dir, [row["experiment"] for row in rows])
    record, bad_record = reproduction.read_record(reports_dir)
    skipped += left_out + ([bad_record] if bad_record else [])
    summary = reproduction.build(loaded, record)
    reproduction.write_data(summary, reports_dir)
    html_env, markdown_env = environments()
    bench = (reports_dir / "bench" / "index.html").exists()
    page = dict(rows=rows, bench=bench, sections=summary.sections)
    write_text(reports_dir / "index.html", html_env.get_template("index.html.j2").render(**page), within=reports_dir)
    write_text(reports_dir / "README.md", markdown_env.get_template("index.md.j2").render(**page), within=reports_dir)
    return reports_dir / "index.html", skipped


def _first_line(error: Exception) -> str:
    text = getattr(error, "message", None) or str(error)
    return shorten(text.splitlines()[0] if text else type(error).__name__, 100)
