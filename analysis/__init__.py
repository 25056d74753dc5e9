"""After the trials: experiment folder -> tidy table -> statistics -> tables, figures, report.md.

One job per module: ``collect`` (read a study folder), ``tidy`` (the results table and the per-trial
table derived from it), ``grid`` (what was swept), ``defaults`` (published default sets, which trials
are at them), ``cells`` (grid cells and bootstrap replicates), ``stats_bootstrap``, ``expected_max``
(Dodge et al. 2019), ``lr_width``, ``summary`` (per method), ``claim`` (competitive methods against
Adam), ``compute`` (equal compute or iterations; where the hours went), ``convergence`` (have the
curves flattened), ``stability`` (leave one seed out), ``sensitivity`` (IQM and Adkins' Phi across
environments), ``importance`` (fANOVA beside variance), ``tables``, ``plots``, ``samples`` (the
generators' samples), ``verdict`` and ``verdict_claim`` (the words), ``report`` (``write_report``). No torch, no Ray, no trainables:
a report can be written on a laptop from a copied folder. Column meanings: the README, "What every report column means".
"""
