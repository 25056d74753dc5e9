"""Populations: many trials of one method trained as one vectorized computation (see ``population``)."""
from trainables.population.population import AXES, Population, refusal

__all__ = ["AXES", "Population", "refusal"]
