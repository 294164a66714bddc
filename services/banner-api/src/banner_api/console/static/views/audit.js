// The audit trail of an object or a day: who did what, when, with the state before and after.

import { append, h } from "../dom.js";
import { formatInstant, t } from "../i18n.js";
import { heading, jsonBlock, labelled, pager } from "./common.js";

const PAGE_SIZE = 50;
const FILTERS = ["object_type", "object_id", "actor", "action", "date"];

export async function renderAudit(root, context, { query }) {
  const filters = Object.fromEntries(FILTERS.map((name) => [name, query[name] || ""]));
  const offset = Math.max(0, Number(query.offset) || 0);
  const { body: page } = await context.api.get("audit", { query: { ...filters, limit: PAGE_SIZE, offset } });

  const inputs = Object.fromEntries(
    FILTERS.map((name) => [name, h("input", { type: name === "date" ? "date" : "text", id: `audit-${name}`, value: filters[name] })]),
  );
  const form = h(
    "form",
    { class: "toolbar filters", role: "search" },
    FILTERS.map((name) => labelled(t(`audit.${name}`), inputs[name])),
    h("button", { type: "submit" }, t("audit.filter")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    context.navigate("audit", Object.fromEntries(FILTERS.map((name) => [name, inputs[name].value.trim()])));
  });

  const rows = page.items.map((event) =>
    h(
      "tr",
      {},
      h("td", {}, formatInstant(event.at, context.config.timezone)),
      h("td", {}, event.actor),
      h("td", {}, event.action),
      h("td", {}, `${event.object_type} ${event.object_id}`),
      h("td", {}, jsonBlock(t("audit.before"), event.before), jsonBlock(t("audit.after"), event.after)),
      h("td", { class: "mono" }, event.request_id),
    ),
  );
  append(root, 
    heading(t("audit.title"), h("p", { class: "subtitle" }, t("audit.subtitle"))),
    form,
    rows.length === 0
      ? h("p", { class: "empty-text" }, t("audit.none"))
      : h(
          "table",
          { class: "table", id: "audit-table" },
          h("thead", {}, h("tr", {}, ["audit.at", "audit.actor", "audit.action", "audit.object", "audit.change", "audit.request"].map((key) => h("th", { scope: "col" }, t(key))))),
          h("tbody", {}, rows),
        ),
    pager(page, (next) => context.navigate("audit", { ...filters, offset: next })),
  );
}
