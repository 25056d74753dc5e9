"""Statistics: from the trial table to numbers, with no Markdown and no figures.

In pipeline order: ``cells`` (grid cells and their bootstrap replicates), ``estimators``
(bootstrap intervals, expected best of n, learning-rate width), ``summary`` (per method), ``claim``
(competitive methods against Adam), ``compute`` (equal compute, where the hours went),
``convergence`` (have the curves flattened), ``stability`` (leave one seed out), ``sensitivity``
(IQM and Phi across environments), ``importance`` (fANOVA beside variance) and ``decisions`` (the
rules that turn intervals into classes). Nothing here imports :mod:`analysis.report`.
"""
