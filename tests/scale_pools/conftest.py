"""Fixtures of the shared-pool and call_many tests."""

from tests.scale_pools.counting import counting
from tests.transport.test_fastpath import tls_files

__all__ = ["counting", "tls_files"]
