"""`check_target`: reflect a legacy table and report what would make a swap fail."""

from __future__ import annotations

from dataclasses import replace

from sync_worker.check import check_target
from tests.integration.sync.conftest import COLUMNS, LegacyTarget


def test_matching_table_passes_with_a_warning_about_short_url_columns(legacy: LegacyTarget) -> None:
    report = check_target(legacy.spec(), legacy.engine)

    assert report.problems == []
    assert report.ok
    assert any("BANNER_IMG_URL holds 300 characters" in w for w in report.warnings)


def test_mismatching_spec_reports_missing_columns_wrong_types_and_unfilled_not_null(
    legacy: LegacyTarget,
) -> None:
    spec = legacy.spec(
        columns=replace(COLUMNS, image_url="BANNER_IMAGE", priority="UPD_USER"),
        constants={"DISP_PRIORITY": "x"},
        now_columns=(),
    )

    report = check_target(spec, legacy.engine)

    assert not report.ok
    problems = "\n".join(report.problems).upper()  # PostgreSQL reflects folded, lower-case names
    assert "MISSING COLUMN BANNER_IMAGE (IMAGE_URL)" in problems
    assert "COLUMN UPD_USER (PRIORITY)" in problems
    assert "COLUMN DISP_PRIORITY (CONSTANT)" in problems
    assert "COLUMN BANNER_IMG_URL IS NOT NULL" in problems
    assert "COLUMN UPD_DT IS NOT NULL" in problems
    assert "COLUMN ID " not in problems  # filled by the database itself
    assert len(report.problems) == 5


def test_missing_table_is_a_problem(legacy: LegacyTarget) -> None:
    report = check_target(legacy.spec(table="NO_SUCH_TABLE"), legacy.engine)

    assert report.problems == [f"table {legacy.schema + '.' if legacy.schema else ''}NO_SUCH_TABLE not found"]
