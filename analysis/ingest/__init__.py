"""Ingest: a study folder -> the tidy table (one row per trial and evaluation), the trial table, and
the design they were run under.

``collect`` reads the folder (``ganstudy.json``, every Tune experiment's ``result.json``,
``params.json`` and ``error.txt``); ``tidy`` makes the tidy table and derives the per-trial table
(``trials.csv``) from it; ``grid`` names what was swept (environments, methods, cells, learning-rate
axes) and ``defaults`` which trials train at their method's published default set. Nothing here
imports :mod:`analysis.stats` or :mod:`analysis.report`.
"""
