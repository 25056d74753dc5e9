"""After the trials: a study folder -> tidy table -> statistics -> tables, figures, report.md.

Three rooms, in pipeline order, each importing only from the rooms before it:

- :mod:`analysis.ingest`: the study folder -> one tidy table (one row per trial and evaluation) and
  the trial table derived from it;
- :mod:`analysis.stats`: design (grid cells, default sets), estimators, statistics and the decision
  rules, as DataFrames, never as Markdown;
- :mod:`analysis.report`: words, tables, figures and ``report.md`` (:func:`analysis.report.write_report`).

Beside them: ``keys`` (a trial's identity, shared with ``study``), ``atomic`` (whole-file writes).
No torch, no Ray, no trainables: a report can be written on a laptop from a copied folder. Column
meanings: ``docs/report.md``.
"""
