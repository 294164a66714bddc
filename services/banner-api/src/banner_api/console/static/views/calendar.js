// The month at a glance: each day's banners in order per target, empty days marked; a day opens its view.

import { append, h } from "../dom.js";
import { addMonths, dayAsUtc, formatDay, formatMonth, t, todayIn, weekdayNames } from "../i18n.js";
import { badge, heading, labelled, targetSelect, thumbnail } from "./common.js";

const THUMBNAILS_SHOWN = 6;

export async function renderCalendar(root, context, { query }) {
  const today = todayIn(context.config.timezone);
  const month = /^\d{4}-\d{2}$/.test(query.month || "") ? query.month : today.slice(0, 7);
  const target = context.config.targets.includes(query.target) ? query.target : "";
  const go = (changes) => context.navigate("calendar", { month, target, ...changes });

  const { body } = await context.api.get("calendar", { query: { month, target } });
  const targets = target ? [target] : context.config.targets;
  const byDate = new Map();
  for (const day of body.days) {
    if (!byDate.has(day.date)) byDate.set(day.date, new Map());
    byDate.get(day.date).set(day.target, day);
  }

  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("button", { type: "button", id: "previous-month", onclick: () => go({ month: addMonths(month, -1) }) }, t("calendar.previous")),
    h("button", { type: "button", id: "this-month", onclick: () => go({ month: today.slice(0, 7) }) }, t("calendar.today")),
    h("button", { type: "button", id: "next-month", onclick: () => go({ month: addMonths(month, 1) }) }, t("calendar.next")),
    labelled(t("common.target"), targetSelect(context, "calendar-target", target, { includeAll: true, onChange: (value) => go({ target: value }) })),
  );

  const weekdays = weekdayNames("short");
  const head = h("div", { class: "calendar-row calendar-head", role: "row" }, weekdays.map((name) => h("div", { class: "weekday", role: "columnheader" }, name)));
  const cells = [];
  const leading = dayAsUtc(`${month}-01`).getUTCDay();
  for (let index = 0; index < leading; index += 1) cells.push(h("div", { class: "day-cell outside", role: "gridcell", "aria-hidden": "true" }));
  for (const [date, perTarget] of byDate) cells.push(dayCell(context, date, perTarget, targets, today));
  while (cells.length % 7 !== 0) cells.push(h("div", { class: "day-cell outside", role: "gridcell", "aria-hidden": "true" }));
  const rows = [];
  for (let index = 0; index < cells.length; index += 7) rows.push(h("div", { class: "calendar-row", role: "row" }, cells.slice(index, index + 7)));

  const emptyDays = [...byDate.values()].filter((perTarget) => targets.every((name) => perTarget.get(name).entries.length === 0)).length;
  append(root, 
    heading(formatMonth(month), h("p", { class: "subtitle" }, t("calendar.summary", { empty: emptyDays }))),
    toolbar,
    h("div", { class: "calendar", role: "grid", "aria-label": formatMonth(month), id: "calendar", dataset: { month } }, head, rows),
    h("p", { class: "legend" }, h("span", { class: "legend-empty" }, t("calendar.legend_empty")), " ", h("span", { class: "legend-pending" }, t("calendar.legend_pending"))),
  );
}

function dayCell(context, date, perTarget, targets, today) {
  const empty = targets.every((name) => perTarget.get(name).entries.length === 0);
  const sections = targets.map((name) => {
    const day = perTarget.get(name);
    const count = day.entries.length;
    const shown = day.entries.slice(0, THUMBNAILS_SHOWN);
    const label = t("calendar.day_target_label", { date: formatDay(date), target: context.targetLabel(name), count });
    return h(
      "a",
      {
        class: `day-target${count === 0 ? " day-target-empty" : ""}`,
        href: `#/day/${date}/${encodeURIComponent(name)}`,
        "aria-label": label,
        dataset: { target: name, count: String(count) },
      },
      h(
        "span",
        { class: "day-target-head" },
        h("span", { class: "day-target-name" }, context.targetShort(name)),
        count === 0 ? h("span", { class: "no-banner" }, t("calendar.no_banner")) : h("span", { class: "count" }, String(count)),
        day.pending ? badge(t("calendar.pending_count", { count: day.pending }), "pending") : null,
      ),
      count === 0
        ? null
        : h("span", { class: "thumbs" }, shown.map((entry) => thumbnail(entry.banner, "thumb thumb-small")), count > shown.length ? h("span", { class: "more" }, `+${count - shown.length}`) : null),
    );
  });
  const dayNumber = Number(date.slice(8));
  return h(
    "div",
    {
      class: `day-cell${empty ? " empty" : ""}${date === today ? " today" : ""}`,
      role: "gridcell",
      dataset: { date },
      "aria-current": date === today ? "date" : false,
    },
    h("span", { class: "day-number", "aria-hidden": "true" }, String(dayNumber)),
    sections,
  );
}
