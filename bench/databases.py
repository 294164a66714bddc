"""The shared database servers the benchmarks use (the test suite's, same variables) and the legacy table."""

from __future__ import annotations

import os

POSTGRES_URL = os.environ.get(
    "MAILBANNER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get("MAILBANNER_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")

# The delivery table as the legacy system made it: an id, the five delivery columns, audit columns.
LEGACY_DDL = {
    "postgresql": """CREATE TABLE {table} (
        BANNER_ID SERIAL PRIMARY KEY,
        BANNER_IMG_URL VARCHAR(1000) NOT NULL,
        BANNER_LINK_URL VARCHAR(1000) NOT NULL,
        DISP_PRIORITY INTEGER NOT NULL,
        DISP_START_DT TIMESTAMP NOT NULL,
        DISP_END_DT TIMESTAMP NOT NULL,
        UPD_USER VARCHAR(30) NOT NULL,
        UPD_DT TIMESTAMP NOT NULL)""",
    "mysql": """CREATE TABLE {table} (
        BANNER_ID INT AUTO_INCREMENT PRIMARY KEY,
        BANNER_IMG_URL VARCHAR(1000) NOT NULL,
        BANNER_LINK_URL VARCHAR(1000) NOT NULL,
        DISP_PRIORITY INT NOT NULL,
        DISP_START_DT DATETIME NOT NULL,
        DISP_END_DT DATETIME NOT NULL,
        UPD_USER VARCHAR(30) NOT NULL,
        UPD_DT DATETIME NOT NULL)""",
}
