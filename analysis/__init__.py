"""After the trials: experiment folder -> tidy table -> statistics -> tables, figures, report.md.

One job per module: ``collect`` (read a study folder), ``tidy`` (the results table and the per-trial
table derived from it), ``grid`` (what was swept), ``cells`` (grid cells and bootstrap replicates),
``stats_bootstrap``, ``expected_max`` (Dodge et al. 2019), ``lr_width``, ``summary`` (per method),
``sensitivity`` (IQM and Adkins' Phi across environments), ``importance`` (fANOVA beside variance),
``tables``, ``plots``, ``verdict``, ``report`` (``write_report``). No torch, no Ray, no trainables:
a report can be written on a laptop from a copied folder. Column meanings: the README, "What every report column means".
"""
