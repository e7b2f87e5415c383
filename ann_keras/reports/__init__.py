"""The right half of the flow: results.json -> tables (metrics) -> figures (plots) -> pages.

Nothing here imports TensorFlow (a test checks it): a report is rebuilt from
results.json alone, on any machine.
"""

from .pages import hardware_text, paper_display, write_index, write_report

__all__ = ["hardware_text", "paper_display", "write_index", "write_report"]
