"""The right half of the flow: results.json -> tables (metrics) -> figures (plots) -> sections -> pages.

The page model (page), numbers and tables as shown (formatting), one
function per section (sections), and the Markdown and HTML pages with
their escaping (rendering). Nothing here imports TensorFlow (a test checks
it): a report is rebuilt from results.json alone, on any machine.
"""

from .formatting import hardware_text, paper_display
from .rendering import write_index, write_report

__all__ = ["hardware_text", "paper_display", "write_index", "write_report"]
