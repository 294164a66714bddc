"""Settings come from MAILBANNER_* variables, with defaults, and refuse unusable values clearly."""

from __future__ import annotations

import pytest

from banner_common.settings import Settings, SettingsError


def test_defaults_are_embedded_sqlite_tokyo_and_two_targets() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.timezone == "Asia/Tokyo"
    assert settings.target_names == ("personalized", "mass")


def test_environment_overrides_are_typed() -> None:
    settings = Settings.from_env(
        {
            "MAILBANNER_MAX_BANNERS_PER_DAY": "3",
            "MAILBANNER_LINK_ALLOWED_HOSTS": "shop.example.com, example.org",
            "MAILBANNER_EVENTS_ENABLED": "false",
            "MAILBANNER_SWAP_MAX_DELETE_SHARE": "0.25",
        }
    )
    assert settings.max_banners_per_day == 3
    assert settings.link_allowed_hosts == ("shop.example.com", "example.org")
    assert settings.events_enabled is False
    assert settings.swap_max_delete_share == 0.25


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAILBANNER_TIMEZONE", "Mars/Olympus"),
        ("MAILBANNER_MAX_BANNERS_PER_DAY", "many"),
        ("MAILBANNER_MAX_BANNERS_PER_DAY", "0"),
        ("MAILBANNER_EVENTS_ENABLED", "perhaps"),
    ],
)
def test_unusable_values_are_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_describe_hides_passwords_and_documents_every_setting() -> None:
    settings = Settings.from_env({"MAILBANNER_DATABASE_URL": "postgresql://app:s3cret@db/banners"})
    described = {name: (value, doc) for name, value, doc in settings.describe()}
    assert described["MAILBANNER_DATABASE_URL"][0] == "postgresql://app:***@db/banners"
    assert all(doc for _value, doc in described.values())
