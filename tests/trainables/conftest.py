"""Fixtures shared by the tests of one trial's parts."""
import pytest
import torch


@pytest.fixture
def float64():
    """Float64 as torch's default dtype for the test (exactness checks against solo trials and references)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)
