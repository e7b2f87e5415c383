"""MkDocs hooks: the site's pages beyond docs/, added at build time (mkdocs.yml names this file).

- The reference pages are generated from the code (docs/gen_reference.py).
- The committed reports (reports/) and the experiment specs (tuning/) are
  read where they lie in the repository, not copied into docs/: each file
  joins the site under the same path (reports/ann/training_curves.png).
  A report's README.md becomes a page at reports/<report>/readme/, because
  reports/<report>/index.html is the report's own self-contained page.
- Links in docs/ are written as the repository lays files out, so that the
  sources read right on a forge too: from docs/tutorials/mlp.md a figure is
  ../../reports/ann/training_curves.png. Such links are rewritten here to
  the site's layout. A link in a report that leaves the files the site
  holds (reports/README.md pointing at the repository's README) becomes
  plain text on the site; a broken link among the site's own files still
  fails `mkdocs build --strict`.
- The page that lists the reports gets the list of report folders there are.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, InclusionLevel

import gen_reference   # beside this file: MkDocs puts a hook's folder on the path while it loads it

ROOT = Path(__file__).resolve().parent.parent
MOUNTS = ("reports", "tuning")       # repository folders the site includes as they are
REPORTS_LIST = "<!-- reports-list -->"
LINK = re.compile(r'(?P<bang>!?)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?P<title>(?:\s+"[^"\n]*")?)\)')
log = logging.getLogger("mkdocs.hooks.ann_keras")


def on_files(files, config):
    for src_uri, make in gen_reference.PAGES.items():
        files.append(File.generated(config, src_uri, content=make()))
    for folder in MOUNTS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and not any(part.startswith((".", "__")) for part in path.relative_to(ROOT).parts):
                files.append(_mounted(path.relative_to(ROOT).as_posix(), config))
    _check_destinations(files)
    return files


def _check_destinations(files) -> None:
    """Stop the build where two files would be written to one place (a page over a report's index.html)."""
    seen = {}
    for file in files:
        if file.inclusion.is_included() and file.dest_uri in seen:
            raise ValueError(f"{file.src_uri} and {seen[file.dest_uri]} would both be written to {file.dest_uri}")
        seen[file.dest_uri] = file.src_uri


def _mounted(src_uri: str, config) -> File:
    dest_uri = None
    if posixpath.basename(src_uri) == "README.md":
        dest_uri = posixpath.join(posixpath.dirname(src_uri), "readme", "index.html")
    return File(src_uri, str(ROOT), config["site_dir"], config["use_directory_urls"], dest_uri=dest_uri,
                inclusion=InclusionLevel.NOT_IN_NAV)


def on_page_markdown(markdown, page, config, files):
    src_uri = page.file.src_uri
    mounted = src_uri.split("/", 1)[0] in MOUNTS and page.file.generated_by is None
    # Where the page lies in the repository: docs/<src_uri>, or <src_uri> itself for a mounted file.
    real_dir = posixpath.dirname(src_uri if mounted else posixpath.join("docs", src_uri))
    site_dir = posixpath.dirname(src_uri)

    def rewrite(match):
        target = match["target"]
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^#|^/", target):
            return match.group(0)
        path, hash_, anchor = target.partition("#")
        real = posixpath.normpath(posixpath.join(real_dir, path))
        if real.startswith("docs/"):
            site_path = real[len("docs/"):]
        elif real.split("/", 1)[0] in MOUNTS:
            site_path = real
        elif mounted:
            log.info("%s: a link to %s, outside the site, shown as text", src_uri, real)
            return match["text"]
        else:
            return match.group(0)   # mkdocs reports it
        new = posixpath.relpath(site_path, site_dir or ".") + hash_ + anchor
        return f'{match["bang"]}[{match["text"]}]({new}{match["title"]})'

    markdown = LINK.sub(rewrite, markdown)
    if REPORTS_LIST in markdown:
        markdown = markdown.replace(REPORTS_LIST, _reports_list(site_dir))
    return markdown


def _reports_list(site_dir: str) -> str:
    """Return a table of the report folders under reports/: title, Markdown page, self-contained page."""
    rows = []
    for readme in sorted((ROOT / "reports").glob("*/README.md")):
        folder = readme.parent.name
        title = next((line[2:].strip() for line in readme.read_text(encoding="utf-8").splitlines()
                      if line.startswith("# ")), folder)
        here = posixpath.relpath(f"reports/{folder}", site_dir or ".")
        page = f"[{gen_reference.cell(title)}]({here}/README.md)"
        html = f"[index.html]({here}/index.html)" if (readme.parent / "index.html").is_file() else ""
        rows.append([f"`{folder}`", page, html])
    return gen_reference.table(["folder", "report", "self-contained page"], rows)
