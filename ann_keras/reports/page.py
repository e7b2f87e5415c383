"""The page model: plain dataclasses holding exactly what the report's templates show.

Both pages (Markdown and HTML) render the same `Report`, so they cannot
drift apart. Cells are already-formatted text here; escaping is the
templates' job (rendering.py), not the builders'.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Table:
    """Column headers and rows of already-formatted cells, plus the raw frame for CSV."""

    name: str
    columns: list[str]
    rows: list[list[str]]
    frame: pd.DataFrame = field(repr=False)
    highlight: list[bool] = field(default_factory=list)   # rows to mark (the best trial)
    numeric: list[bool] = field(default_factory=list)     # columns of numbers: right-aligned
    sortable: bool = False                                # the HTML page sorts and filters it
    csv: bool = True                                      # written beside the pages as <name>.csv
    header: bool = True                                   # the HTML page shows the column headers
    shown: bool = True                                    # False: a CSV beside the pages only
    page: int = 0                                         # rows per page (0: all at once); the CSV has every row

    @property
    def csv_file(self) -> str:
        return f"{self.name}.csv"


@dataclass
class Figure:
    name: str
    title: str
    caption: str
    png: bytes = field(repr=False)
    min_width: int = 0   # px: on a narrow screen the figure scrolls sideways rather than shrink below this

    @property
    def file(self) -> str:
        return f"{self.name}.png"

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Section:
    """One section of a report, declared once: both pages (Markdown and HTML) render the same list."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)    # text, escaped when rendered
    note: str = ""                                          # a paragraph set apart
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    files: list[str] = field(default_factory=list)          # files beside the pages, linked by name


@dataclass
class Report:
    """Exactly what the pages show: a title, an opening paragraph and the sections in order."""

    experiment: str
    title: str
    description: str
    sections: list[Section]
    headline: dict
    footer: str

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]
