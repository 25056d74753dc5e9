"""Statistics: from the trial table to numbers, with no Markdown and no figures.

In pipeline order: ``cells`` (grid cells, their bootstrap replicates paired by seed, and the fresh
seeds of a confirmation), ``estimators`` (the paired bootstrap, expected best of n, learning-rate
width), ``inference`` (bootstrap-t intervals, p-values, TOST, Holm, power), ``coverage`` (the
simulation that measures those intervals), ``summary`` (per method), ``claim`` (competitive methods
against Adam), ``improvement`` (probability of improvement across environments), ``compute`` (equal
compute, where the hours went), ``convergence`` (have the curves flattened), ``stability``
(single-seed influence), ``sensitivity`` (IQM and Phi across environments), ``importance`` (fANOVA
beside variance) and ``decisions`` (the rules that turn intervals and tests into words). Nothing here
imports :mod:`analysis.report`.
"""
