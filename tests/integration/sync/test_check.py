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
    problems = "\n".join(report.problems)
    assert "missing column BANNER_IMAGE (image_url)" in problems
    assert "column UPD_USER (priority)" in problems
    assert "column DISP_PRIORITY (constant)" in problems
    assert "column BANNER_IMG_URL is NOT NULL" in problems
    assert "column UPD_DT is NOT NULL" in problems
    assert "column ID " not in problems  # filled by the database itself
    assert len(report.problems) == 5


def test_missing_table_is_a_problem(legacy: LegacyTarget) -> None:
    report = check_target(legacy.spec(table="NO_SUCH_TABLE"), legacy.engine)

    assert report.problems == [f"table {legacy.schema + '.' if legacy.schema else ''}NO_SUCH_TABLE not found"]
