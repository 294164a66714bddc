// One day and target: its ordered banners, reordered by drag and drop or the move buttons (one atomic
// PUT with the day's ETag; a stale version reloads with a message), removal, and placing a banner on a range.

import { ApiError } from "../api.js";
import { append, field, formError, h, replaceChildren, showFieldErrors } from "../dom.js";
import { addDays, formatDay, t } from "../i18n.js";
import { badge, heading, thumbnail } from "./common.js";

export async function renderDay(root, context, { params }) {
  const [date, target] = [params[0], decodeURIComponent(params[1])];
  const editable = context.can("edit");
  const dayPath = `schedule/days/${date}`;
  let day = null;
  let etag = null;
  let dragged = null;

  const list = h("ol", { class: "entries", id: "entries", "aria-label": t("day.order_label") });
  const summary = h("p", { class: "subtitle", id: "day-summary" });
  const conflict = h("p", { class: "conflict", id: "conflict", role: "alert", tabindex: "-1", hidden: true });

  async function load() {
    const response = await context.api.get(dayPath, { query: { target } });
    day = response.body;
    etag = response.etag;
    draw();
  }

  function draw(focus) {
    summary.textContent = t("day.summary", { count: day.entries.length, max: context.config.max_banners_per_day, version: day.version });
    list.dataset.version = String(day.version);
    replaceChildren(
      list,
      day.entries.length === 0 ? h("li", { class: "entries-empty" }, t("day.empty")) : day.entries.map((entry, index) => entryItem(entry, index)),
    );
    if (focus) focus();
  }

  function entryItem(entry, index) {
    const last = day.entries.length - 1;
    const title = entry.banner.title;
    const item = h(
      "li",
      { class: "entry", dataset: { entryId: String(entry.id), bannerId: String(entry.banner_id) }, draggable: editable ? "true" : false },
      editable ? h("span", { class: "drag-handle", "aria-hidden": "true", title: t("day.drag_hint") }, "⠿") : null,
      h("span", { class: "position" }, String(entry.position)),
      thumbnail(entry.banner, "thumb thumb-day"),
      h(
        "div",
        { class: "entry-meta" },
        h("a", { href: `#/banners/${entry.banner_id}`, class: "entry-title" }, title),
        h("span", { class: "entry-link" }, entry.banner.link_url),
        entry.approval === "pending" ? badge(t("day.pending", { authors: (entry.changed_by || []).join(", ") }), "pending") : null,
      ),
      editable
        ? h(
            "div",
            { class: "entry-actions" },
            h("button", { type: "button", class: "move-up", disabled: index === 0, "aria-label": t("day.move_up_label", { title }), onclick: () => move(index, -1) }, t("day.move_up")),
            h("button", { type: "button", class: "move-down", disabled: index === last, "aria-label": t("day.move_down_label", { title }), onclick: () => move(index, 1) }, t("day.move_down")),
            removeControl(entry),
          )
        : null,
    );
    if (editable) wireDrag(item, entry);
    return item;
  }

  function removeControl(entry) {
    const holder = h("span", { class: "remove-control" });
    const idle = () =>
      replaceChildren(
        holder,
        h("button", { type: "button", class: "remove", "aria-label": t("day.remove_label", { title: entry.banner.title }), onclick: ask }, t("day.remove")),
      );
    // Removal asks once more in place (no modal dialog), and Cancel puts the focus back where it was.
    function ask() {
      replaceChildren(
        holder,
        h("button", { type: "button", class: "danger confirm-remove", onclick: () => remove(entry) }, t("day.confirm_remove")),
        h("button", { type: "button", class: "cancel-remove", onclick: () => { idle(); holder.querySelector(".remove").focus(); } }, t("common.cancel")),
      );
      holder.querySelector(".confirm-remove").focus();
    }
    idle();
    return holder;
  }

  async function move(index, step) {
    const ids = day.entries.map((entry) => entry.id);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + step, 0, moved);
    // Keep the keyboard on the moved banner: the same button if it still applies, else the other one.
    await reorder(ids, () => {
      const item = list.querySelector(`[data-entry-id="${moved}"]`);
      if (!item) return;
      const same = item.querySelector(step < 0 ? ".move-up" : ".move-down");
      (same.disabled ? item.querySelector(step < 0 ? ".move-down" : ".move-up") : same).focus();
    });
  }

  async function reorder(ids, focus) {
    conflict.hidden = true;
    try {
      const response = await context.api.put(dayPath, { query: { target }, json: { entry_ids: ids }, headers: { "If-Match": etag } });
      day = response.body;
      etag = response.etag;
      draw(focus);
      context.notify(t("day.reordered"), "success");
    } catch (error) {
      await handleWriteError(error);
    }
  }

  async function remove(entry) {
    conflict.hidden = true;
    try {
      await context.api.delete(`schedule/entries/${entry.id}`, { headers: { "If-Match": etag } });
      context.notify(t("day.removed", { title: entry.banner.title }), "success");
      await load();
      list.querySelector(".move-up, .remove, a")?.focus();
    } catch (error) {
      await handleWriteError(error);
    }
  }

  // Someone else changed the day since it was read: show theirs, and say so plainly.
  async function handleWriteError(error) {
    if (error instanceof ApiError && (error.status === 412 || error.status === 409 || error.status === 404)) {
      await load();
      conflict.textContent = t("day.conflict");
      conflict.hidden = false;
      conflict.focus();
      return;
    }
    context.notifyError(error);
  }

  function wireDrag(item, entry) {
    item.addEventListener("dragstart", (event) => {
      dragged = entry.id;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(entry.id));
      item.classList.add("dragging");
    });
    item.addEventListener("dragend", () => {
      dragged = null;
      item.classList.remove("dragging");
      for (const other of list.querySelectorAll(".drop-before, .drop-after")) other.classList.remove("drop-before", "drop-after");
    });
    item.addEventListener("dragover", (event) => {
      if (dragged === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      const before = dropsBefore(item, event);
      item.classList.toggle("drop-before", before);
      item.classList.toggle("drop-after", !before);
    });
    item.addEventListener("dragleave", () => item.classList.remove("drop-before", "drop-after"));
    item.addEventListener("drop", (event) => {
      event.preventDefault();
      const movedId = dragged ?? Number(event.dataTransfer.getData("text/plain"));
      const before = dropsBefore(item, event);
      item.classList.remove("drop-before", "drop-after");
      if (!movedId || movedId === entry.id) return;
      const ids = day.entries.map((candidate) => candidate.id).filter((id) => id !== movedId);
      const at = ids.indexOf(entry.id) + (before ? 0 : 1);
      ids.splice(at, 0, movedId);
      reorder(ids);
    });
  }

  function dropsBefore(item, event) {
    const box = item.getBoundingClientRect();
    return event.clientY < box.top + box.height / 2;
  }

  const backToMonth = h("a", { href: `#/calendar?month=${date.slice(0, 7)}`, class: "button-link", id: "back-to-month" }, t("day.back"));
  const toolbar = h(
    "div",
    { class: "toolbar" },
    backToMonth,
    h("a", { href: `#/day/${addDays(date, -1)}/${encodeURIComponent(target)}`, class: "button-link", id: "previous-day" }, t("day.previous")),
    h("a", { href: `#/day/${addDays(date, 1)}/${encodeURIComponent(target)}`, class: "button-link", id: "next-day" }, t("day.next")),
    h(
      "nav",
      { class: "target-tabs", "aria-label": t("common.target") },
      context.config.targets.map((name) =>
        h("a", { href: `#/day/${date}/${encodeURIComponent(name)}`, class: "tab", "aria-current": name === target ? "page" : false }, context.targetLabel(name)),
      ),
    ),
    h("a", { href: `#/preview?date=${date}&target=${encodeURIComponent(target)}`, class: "button-link", id: "open-preview" }, t("day.preview")),
    context.sees("audit") ? h("a", { href: `#/audit?date=${date}`, class: "button-link" }, t("day.history")) : null,
  );

  await load();
  append(root, 
    heading(`${formatDay(date)} · ${context.targetLabel(target)}`, summary),
    toolbar,
    conflict,
    editable ? h("p", { class: "hint" }, t("day.reorder_hint")) : null,
    list,
    editable && context.sees("banners") ? placementForm(context, date, target, load) : null,
  );
}

function placementForm(context, date, target, reload) {
  const search = h("input", { type: "search", id: "place-search", autocomplete: "off" });
  const bannerSelect = h("select", { id: "place-banner", required: true });
  const startInput = h("input", { type: "date", id: "place-start", value: date, required: true });
  const endInput = h("input", { type: "date", id: "place-end", value: date });
  const positionSelect = h(
    "select",
    { id: "place-position" },
    h("option", { value: "" }, t("place.position_last")),
    h("option", { value: "1" }, t("place.position_first")),
  );
  const targetBoxes = context.config.targets.map((name) =>
    h("label", { class: "checkbox" }, h("input", { type: "checkbox", name: "targets", value: name, checked: name === target }), context.targetLabel(name)),
  );
  const targetsField = h(
    "fieldset",
    { class: "field", dataset: { field: "targets" } },
    h("legend", {}, t("place.targets")),
    targetBoxes,
    h("p", { class: "field-error", dataset: { errorFor: "targets" }, "aria-live": "polite" }),
  );
  const form = h(
    "form",
    { class: "card placement", id: "placement", novalidate: true },
    h("h2", {}, t("place.title")),
    h(
      "div",
      { class: "form-grid" },
      field("q", t("place.search"), search, t("place.search_hint")),
      field("banner_id", t("place.banner"), bannerSelect),
      field("start_date", t("place.start"), startInput),
      field("end_date", t("place.end"), endInput, t("place.end_hint")),
      field("position", t("place.position"), positionSelect),
      targetsField,
    ),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "place-submit" }, t("place.submit"))),
  );

  let searchTimer = null;
  async function fillBanners() {
    const { body } = await context.api.get("banners", { query: { q: search.value.trim(), sort: "title", limit: 100 } });
    replaceChildren(
      bannerSelect,
      body.items.length === 0 ? h("option", { value: "" }, t("place.no_match")) : body.items.map((banner) => h("option", { value: String(banner.id) }, `${banner.title} (#${banner.id})`)),
    );
  }
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => fillBanners().catch(context.notifyError), 250);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      banner_id: Number(bannerSelect.value),
      start_date: startInput.value,
      end_date: endInput.value || null,
      targets: [...form.querySelectorAll("input[name=targets]:checked")].map((box) => box.value),
    };
    if (positionSelect.value) body.position = Number(positionSelect.value);
    if (!bannerSelect.value) {
      showFieldErrors(form, { banner_id: [t("place.choose_banner")] });
      return;
    }
    try {
      const { body: placed } = await context.api.post("schedule", { json: body });
      showFieldErrors(form, {});
      context.notify(t("place.placed", { count: placed.count }), "success");
      await reload();
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) showFieldErrors(form, error.fieldErrors(), context.errorText(error));
      else context.notifyError(error);
    }
  });
  fillBanners().catch(context.notifyError);
  return form;
}
