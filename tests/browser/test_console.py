"""The web console in headless Chromium against the real API and a real banner database: sign-in,
registration with the API's field errors, calendar, day reordering (mouse and keyboard), conflicts,
preview, sync control, roles and languages. Each test uses its own month, so they share one server."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ConsoleServer
from tests.browser.console import (
    day_order,
    day_with_banners,
    new_banner,
    open_route,
    place,
    shot,
    sign_in,
)
from tests.factories import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

EN_DASH = "\u2013"  # the pager writes ranges as "1\u201320 of 23"


def test_a_refused_token_is_named_at_the_field_and_a_valid_one_opens_the_console(
    page: Page, console_server: ConsoleServer
) -> None:
    page.goto(f"{console_server.base_url}/")
    page.fill("#token", "mbt_0123456789ab_" + "A" * 43)
    page.click("#sign-in")
    expect(page.locator("[data-field=token] .field-error")).to_contain_text("not accepted")
    expect(page.locator("#token")).to_have_attribute("aria-invalid", "true")

    page.fill("#token", console_server.token("planner"))
    page.click("#sign-in")
    expect(page.locator("#who")).to_contain_text("browser-planner")
    expect(page.locator("#timezone")).to_contain_text("Asia/Tokyo")
    expect(page.locator("#calendar")).to_be_visible()

    page.click("#sign-out")
    expect(page.locator("#token")).to_be_visible()
    page.reload()
    expect(page.locator("#token")).to_be_visible()  # signing out forgot the token


def test_registration_shows_the_apis_field_errors_next_to_the_fields_then_registers(
    page: Page, console_server: ConsoleServer, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a picture")
    good = tmp_path / "spring.png"
    good.write_bytes(image_bytes("PNG", 600, 120, "seagreen"))
    sign_in(page, console_server, "planner", "banners/new")

    page.fill("#banner-title", "Spring fair")
    page.fill("#banner-link", "javascript:alert(1)")
    page.select_option("#banner-campaign-type", "event")
    page.set_input_files("#banner-image", str(broken))
    page.click("#banner-save")
    link_error = page.locator("[data-field=link_url] .field-error")
    expect(link_error).to_contain_text("must start with http:// or https://")
    expect(page.locator("#banner-link")).to_have_attribute("aria-invalid", "true")

    page.fill("#banner-link", "https://shop.example.com/spring")
    page.click("#banner-save")
    expect(page.locator("[data-field=image] .field-error")).to_contain_text("not an image")
    expect(link_error).to_be_empty()

    page.set_input_files("#banner-image", str(good))
    expect(page.locator("#image-preview")).to_contain_text("600\u00d7120 pixels")
    page.click("#banner-save")
    expect(page.locator("#notice")).to_contain_text("Registered Spring fair")
    expect(page.locator("h1")).to_have_text(re.compile(r"Banner #\d+"))

    found = console_server.api().get("/api/v1/banners?q=Spring+fair").json["items"]
    assert [(b["title"], b["link_url"], b["campaign_type"]) for b in found] == [
        ("Spring fair", "https://shop.example.com/spring", "event")
    ]
    image = console_server.api().get(found[0]["image_url"].removeprefix(console_server.base_url))
    assert image.status_code == 200
    assert image.mimetype == "image/png"


def test_live_checks_mark_a_missing_title_before_anything_is_sent(
    page: Page, console_server: ConsoleServer
) -> None:
    sign_in(page, console_server, "planner", "banners/new")
    page.fill("#banner-title", "x")
    page.fill("#banner-title", "")
    expect(page.locator("[data-field=title] .field-error")).to_have_text("Required.")
    before = console_server.api().get("/api/v1/banners?archived=all").json["total"]
    page.click("#banner-save")
    expect(page.locator("[data-field=image] .field-error")).to_have_text("Choose an image file.")
    assert console_server.api().get("/api/v1/banners?archived=all").json["total"] == before


def test_calendar_shows_each_days_banners_in_order_and_marks_empty_days(
    page: Page, console_server: ConsoleServer, screenshot_dir: Path
) -> None:
    first = dt.date(2031, 3, 9)
    ids = day_with_banners(console_server, first, "mass", ["March top", "March second"])
    place(console_server, ids[0], first + dt.timedelta(days=1), first + dt.timedelta(days=2), ["mass"])
    sign_in(page, console_server, "planner", "calendar?month=2031-03")

    expect(page.locator("#calendar")).to_have_attribute("data-month", "2031-03")
    mass = page.locator('[data-date="2031-03-09"] .day-target[data-target=mass] img')
    expect(mass).to_have_count(2)
    assert [mass.nth(i).get_attribute("alt") for i in range(2)] == ["March top", "March second"]
    for day in ("2031-03-10", "2031-03-11"):
        expect(page.locator(f'[data-date="{day}"]')).not_to_have_class(re.compile(r"\bempty\b"))
        expect(page.locator(f'[data-date="{day}"] .day-target[data-target=mass]')).to_have_attribute(
            "data-count", "1"
        )
    expect(page.locator('[data-date="2031-03-12"]')).to_have_class(re.compile(r"\bempty\b"))
    expect(page.locator('[data-date="2031-03-12"]')).to_contain_text("No banner")
    expect(page.locator("main .subtitle")).to_have_text("28 days without any banner")
    shot(page, screenshot_dir, "calendar")

    page.click('[data-date="2031-03-09"] .day-target[data-target=mass]')
    expect(page.locator("h1")).to_contain_text("March 9, 2031")
    expect(page.locator("#entries .entry-title")).to_have_text(["March top", "March second"])


def test_dragging_a_banner_to_the_top_saves_the_order_and_it_survives_a_reload(
    page: Page, console_server: ConsoleServer, screenshot_dir: Path
) -> None:
    day = dt.date(2031, 4, 15)
    ids = day_with_banners(console_server, day, "personalized", ["April one", "April two", "April three"])
    sign_in(page, console_server, "planner", f"day/{day}/personalized")
    shot(page, screenshot_dir, "day")

    page.locator("[data-entry-id] >> nth=2").drag_to(
        page.locator("[data-entry-id] >> nth=0"), target_position={"x": 40, "y": 4}
    )
    expect(page.locator("#notice")).to_contain_text("New order saved")
    expect(page.locator("#entries .entry-title")).to_have_text(["April three", "April one", "April two"])
    assert day_order(console_server, day, "personalized") == [ids[2], ids[0], ids[1]]

    page.reload()
    page.wait_for_selector("main > section.view:not([aria-busy])")
    expect(page.locator("#entries .entry-title")).to_have_text(["April three", "April one", "April two"])


def test_move_buttons_reorder_a_day_from_the_keyboard(page: Page, console_server: ConsoleServer) -> None:
    day = dt.date(2031, 5, 20)
    ids = day_with_banners(console_server, day, "mass", ["May one", "May two", "May three"])
    sign_in(page, console_server, "planner", f"day/{day}/mass")

    page.locator('[aria-label="Move May three up"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#entries .entry-title")).to_have_text(["May one", "May three", "May two"])
    # The keyboard stays on the moved banner, so pressing again moves it once more.
    expect(page.locator('[aria-label="Move May three up"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#entries .entry-title")).to_have_text(["May three", "May one", "May two"])
    assert day_order(console_server, day, "mass") == [ids[2], ids[0], ids[1]]


def test_a_day_changed_elsewhere_is_reloaded_with_a_conflict_message_and_nothing_overwritten(
    page: Page, console_server: ConsoleServer
) -> None:
    day = dt.date(2031, 6, 3)
    ids = day_with_banners(console_server, day, "mass", ["June one", "June two", "June three"])
    sign_in(page, console_server, "planner", f"day/{day}/mass")
    expect(page.locator("#entries .entry-title")).to_have_text(["June one", "June two", "June three"])

    api = console_server.api()
    path = f"/api/v1/schedule/days/{day}?target=mass"
    etag = api.get(path).headers["ETag"]
    entry_ids = [entry["id"] for entry in api.get(path).json["entries"]]
    changed = api.put(path, json={"entry_ids": entry_ids[::-1]}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.json

    page.click('[aria-label="Move June two up"]')
    expect(page.locator("#conflict")).to_contain_text("Someone else changed this day")
    expect(page.locator("#entries .entry-title")).to_have_text(["June three", "June two", "June one"])
    assert day_order(console_server, day, "mass") == ids[::-1]


def test_place_a_banner_over_three_days_from_the_day_view(page: Page, console_server: ConsoleServer) -> None:
    banner_id = new_banner(console_server, "Summer kickoff", "goldenrod")
    sign_in(page, console_server, "planner", "day/2031-07-01/mass")
    page.fill("#place-search", "Summer kickoff")
    expect(page.locator("#place-banner option")).to_have_text([f"Summer kickoff (#{banner_id})"])
    page.fill("#place-end", "2031-07-03")
    page.select_option("#place-position", "1")
    page.click("#place-submit")
    expect(page.locator("#notice")).to_contain_text("Placed on 3 days")
    expect(page.locator("#entries .entry-title")).to_have_text(["Summer kickoff"])
    for day in (dt.date(2031, 7, 1), dt.date(2031, 7, 2), dt.date(2031, 7, 3)):
        assert day_order(console_server, day, "mass") == [banner_id]
    assert day_order(console_server, dt.date(2031, 7, 1), "personalized") == []

    page.click("#place-submit")  # the same range again: the API's conflict names the days
    expect(page.locator("#placement .form-error")).to_contain_text("2031-07-01")


def test_preview_shows_the_footer_images_and_links_in_the_day_order(
    page: Page, console_server: ConsoleServer, screenshot_dir: Path
) -> None:
    day = dt.date(2031, 8, 8)
    first = new_banner(console_server, "August first", "tomato", link_url="https://shop.example.com/first")
    second = new_banner(console_server, "August second", "royalblue", link_url="https://shop.example.com/2nd")
    place(console_server, second, day, day, ["mass"])
    place(console_server, first, day, day, ["mass"])
    sign_in(page, console_server, "viewer", f"preview?date={day}&target=mass")

    footer = page.frame_locator("#footer-frame")
    expect(footer.locator("a")).to_have_count(2)
    links = [footer.locator("a").nth(i).get_attribute("href") for i in range(2)]
    assert links == ["https://shop.example.com/2nd", "https://shop.example.com/first"]
    images = [footer.locator("img").nth(i).get_attribute("src") for i in range(2)]
    expected = [console_server.api().get(f"/api/v1/banners/{i}").json["image_url"] for i in (second, first)]
    assert images == expected
    assert footer.locator("img").first.evaluate("img => img.naturalWidth") == 600  # the real image loaded
    shot(page, screenshot_dir, "preview")


def test_a_viewer_sees_the_schedule_without_any_edit_control(
    page: Page, console_server: ConsoleServer
) -> None:
    day = dt.date(2031, 9, 9)
    day_with_banners(console_server, day, "mass", ["September one", "September two"])
    sign_in(page, console_server, "viewer", f"day/{day}/mass")
    expect(page.locator("#entries .entry-title")).to_have_text(["September one", "September two"])
    for control in ("button.move-up", "button.move-down", "button.remove", "#placement", "[draggable=true]"):
        expect(page.locator(control)).to_have_count(0)

    open_route(page, console_server, "banners")
    expect(page.locator("#banner-table")).to_be_visible()
    expect(page.locator("#new-banner")).to_have_count(0)
    page.locator("#banner-table a").first.click()
    expect(page.locator("#banner-form")).to_be_visible()
    expect(page.locator("#banner-save")).to_have_count(0)
    expect(page.locator("#archive-controls")).to_have_count(0)

    open_route(page, console_server, "sync")
    expect(page.locator(".target-card")).to_have_count(2)
    expect(page.locator("#target-cards button")).to_have_count(0)


def test_an_operator_pauses_and_resumes_a_target(
    page: Page, console_server: ConsoleServer, screenshot_dir: Path
) -> None:
    api = console_server.api()
    assert api.post("/api/v1/sync/targets/mass/resume").status_code == 200
    sign_in(page, console_server, "operator", "sync")
    card = page.locator(".target-card[data-target=mass]")
    expect(card).to_have_attribute("data-paused", "false")

    card.locator(".pause-reason").fill("checking the mass table")
    card.locator("button.pause").click()
    expect(page.locator("#notice")).to_contain_text("Paused")
    expect(card).to_have_attribute("data-paused", "true")
    expect(card).to_contain_text("checking the mass table")
    status = {t["name"]: t for t in api.get("/api/v1/sync/status").json["targets"]}
    assert status["mass"]["paused"] is True
    assert status["mass"]["paused_reason"] == "checking the mass table"
    shot(page, screenshot_dir, "sync")

    card.locator("button.resume").click()
    expect(page.locator("#notice")).to_contain_text("Resumed")
    expect(card).to_have_attribute("data-paused", "false")
    status = {t["name"]: t for t in api.get("/api/v1/sync/status").json["targets"]}
    assert status["mass"]["paused"] is False


def test_japanese_shows_catalogue_labels_and_japanese_weekdays_and_dates(
    page: Page, console_server: ConsoleServer, screenshot_dir: Path
) -> None:
    sign_in(page, console_server, "planner", "calendar?month=2031-10")
    page.select_option("#language", "ja")
    expect(page.locator("nav a[href='#/calendar']")).to_have_text("カレンダー")
    expect(page.locator(".weekday")).to_have_text(["日", "月", "火", "水", "木", "金", "土"])
    expect(page.locator("h1")).to_have_text("2031年10月")
    expect(page.locator("#timezone")).to_have_text("タイムゾーン: Asia/Tokyo")
    shot(page, screenshot_dir, "calendar-ja")

    open_route(page, console_server, "day/2031-10-01/mass")
    expect(page.locator("h1")).to_contain_text("2031年10月1日水曜日")
    page.reload()  # the choice is remembered
    page.wait_for_selector("main > section.view:not([aria-busy])")
    expect(page.locator("#day-summary")).to_contain_text("バナー 0 件")

    page.select_option("#language", "en")
    expect(page.locator("h1")).to_contain_text("Wednesday, October 1, 2031")


def test_removing_a_banner_asks_once_more_then_takes_it_off_the_day(
    page: Page, console_server: ConsoleServer
) -> None:
    day = dt.date(2031, 11, 11)
    ids = day_with_banners(console_server, day, "mass", ["November keep", "November drop"])
    sign_in(page, console_server, "planner", f"day/{day}/mass")

    page.click('[aria-label="Remove November drop from this day"]')
    page.click("button.cancel-remove")
    expect(page.locator('[aria-label="Remove November drop from this day"]')).to_be_focused()
    assert day_order(console_server, day, "mass") == ids

    page.click('[aria-label="Remove November drop from this day"]')
    page.click("button.confirm-remove")
    expect(page.locator("#notice")).to_contain_text("Removed November drop")
    expect(page.locator("#entries .entry-title")).to_have_text(["November keep"])
    assert day_order(console_server, day, "mass") == [ids[0]]


def test_banner_list_searches_filters_by_type_and_pages(page: Page, console_server: ConsoleServer) -> None:
    for number in range(22):
        new_banner(console_server, f"Paging sample {number:02d}", "slategray", campaign_type="brand")
    new_banner(console_server, "Paging partner", "orchid", campaign_type="partner")
    sign_in(page, console_server, "viewer", "banners?q=Paging")

    expect(page.locator("#banner-table tbody tr")).to_have_count(20)
    expect(page.locator(".pager-range")).to_have_text(f"1{EN_DASH}20 of 23")
    page.click(".pager-next")
    expect(page.locator(".pager-range")).to_have_text(f"21{EN_DASH}23 of 23")
    expect(page.locator("#banner-table tbody tr")).to_have_count(3)

    page.select_option("#banner-type", "partner")
    page.click("#banner-filter")
    expect(page.locator("#banner-table tbody tr")).to_have_count(1)
    expect(page.locator("#banner-table tbody")).to_contain_text("Paging partner")
    expect(page.locator("#banner-table img")).to_have_attribute("alt", "Paging partner")


def test_editing_a_banner_saves_with_its_version_and_a_stale_edit_is_reloaded(
    page: Page, console_server: ConsoleServer
) -> None:
    banner_id = new_banner(console_server, "Autumn draft", "orchid")
    sign_in(page, console_server, "planner", f"banners/{banner_id}")
    page.fill("#banner-title", "Autumn final")
    page.click("#banner-save")
    expect(page.locator("#notice")).to_contain_text("Saved Autumn final")
    assert console_server.api().get(f"/api/v1/banners/{banner_id}").json["title"] == "Autumn final"

    api = console_server.api()
    etag = api.get(f"/api/v1/banners/{banner_id}").headers["ETag"]
    path = f"/api/v1/banners/{banner_id}"
    elsewhere = api.patch(path, json={"notes": "edited elsewhere"}, headers={"If-Match": etag})
    assert elsewhere.status_code == 200, elsewhere.json
    page.fill("#banner-title", "Autumn overwritten")
    page.click("#banner-save")
    expect(page.locator("#notice")).to_contain_text("Someone else changed this banner")
    expect(page.locator("#banner-notes")).to_have_value("edited elsewhere")
    assert console_server.api().get(f"/api/v1/banners/{banner_id}").json["title"] == "Autumn final"
