"""A legacy consumer reading through plain ODBC (psqlODBC) sees exactly the rows a swap wrote."""

from __future__ import annotations

from collections.abc import Callable

import pyodbc
import pytest

from sync_worker.reconcile import Outcome, RunResult
from tests.integration.sync.conftest import ALL_COLUMNS, LegacyTarget, Planner
from tests.integration.sync.scenario import OUTSIDE_ROW, STANDARD_ROWS, plan_standard, table_after_swap

ODBC_POSTGRES = "DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;DATABASE=test;UID=postgres"


@pytest.mark.parametrize("legacy", ["postgresql"], indirect=True)
def test_raw_pyodbc_reads_back_the_swapped_rows(
    legacy: LegacyTarget, planner: Planner, run: Callable[..., RunResult]
) -> None:
    plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)
    assert run(legacy.spec(), legacy.engine).outcome is Outcome.SWAPPED

    columns = ", ".join(ALL_COLUMNS)
    connection = pyodbc.connect(ODBC_POSTGRES)
    try:
        found = connection.cursor().execute(f"SELECT {columns} FROM {legacy.schema}.MB_BANNER").fetchall()
    finally:
        connection.close()

    assert sorted((tuple(r) for r in found), key=repr) == table_after_swap(STANDARD_ROWS)
