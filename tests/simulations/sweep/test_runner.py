"""Reaching a Dask scheduler: an address where none answers is a temporary error that says so."""

from __future__ import annotations

import socket

import pytest

from optimiser.domain.errors import ErrorKind
from simulations.sweep import SchedulerUnreachable, dask_client


def test_no_scheduler_at_the_address_is_temporary_and_named():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: nothing answers
        address = f"tcp://127.0.0.1:{port}"
        expected = pytest.raises(SchedulerUnreachable, match=f"Dask scheduler at {address}")
        with expected, dask_client(address, connect_s=1.0):
            pass
    assert SchedulerUnreachable.kind is ErrorKind.TEMPORARY
