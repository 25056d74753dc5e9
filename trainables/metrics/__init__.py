"""Evaluation of a generator: toy-mixture metrics (``toy``), IS/FID/KID through torch-fidelity
(``fidelity``, with the offline ``feature_classifier``), and the per-data-kind dispatch (``evaluate``)."""
