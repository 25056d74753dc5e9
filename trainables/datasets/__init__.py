"""Datasets: 2-D Gaussian mixtures (``toy``) and image sets (``images``: digits, MNIST, CIFAR-10, a folder)."""
