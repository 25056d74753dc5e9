"""Report: statistics -> words, tables, figures and ``report.md``.

``write`` (:func:`write_report`, one function per report section), ``words`` (sentences), ``tables``
(Markdown and LaTeX views), ``plots`` and ``samples`` (figures, styled by ``figure_style``).
"""
from analysis.report.write import write_report

__all__ = ["write_report"]
