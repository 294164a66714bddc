// The banner list: search, campaign type and archived filters, paging, thumbnails.

import { append, h } from "../dom.js";
import { formatInstant, t } from "../i18n.js";
import { badge, heading, labelled, pager, thumbnail } from "./common.js";

const PAGE_SIZE = 20;

export async function renderBanners(root, context, { query }) {
  const filters = {
    q: query.q || "",
    campaign_type: query.campaign_type || "",
    archived: ["false", "true", "all"].includes(query.archived) ? query.archived : "false",
    offset: Math.max(0, Number(query.offset) || 0),
  };
  const { body: page } = await context.api.get("banners", {
    query: { ...filters, limit: PAGE_SIZE, sort: "-updated_at" },
  });

  const search = h("input", { type: "search", id: "banner-search", value: filters.q });
  const typeSelect = h(
    "select",
    { id: "banner-type" },
    h("option", { value: "" }, t("banners.all_types")),
    context.config.campaign_types.map((type) => h("option", { value: type, selected: type === filters.campaign_type }, type)),
  );
  const archivedSelect = h(
    "select",
    { id: "banner-archived" },
    ["false", "true", "all"].map((value) => h("option", { value, selected: value === filters.archived }, t(`banners.archived_${value}`))),
  );
  const filterForm = h(
    "form",
    { class: "toolbar filters", role: "search" },
    labelled(t("banners.search"), search),
    labelled(t("banners.campaign_type"), typeSelect),
    labelled(t("banners.show"), archivedSelect),
    h("button", { type: "submit", id: "banner-filter" }, t("banners.filter")),
  );
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    context.navigate("banners", { q: search.value.trim(), campaign_type: typeSelect.value, archived: archivedSelect.value });
  });

  const rows = page.items.map((banner) =>
    h(
      "tr",
      { dataset: { bannerId: String(banner.id) } },
      h("td", {}, thumbnail(banner, "thumb thumb-list")),
      h("td", {}, h("a", { href: `#/banners/${banner.id}` }, banner.title), banner.archived ? [" ", badge(t("banners.archived"), "muted")] : null),
      h("td", {}, banner.campaign_type),
      h("td", { class: "url" }, banner.link_url),
      h("td", {}, formatInstant(banner.updated_at, context.config.timezone)),
    ),
  );
  append(root, 
    heading(
      t("banners.title"),
      context.can("edit") ? h("a", { href: "#/banners/new", class: "button-link primary", id: "new-banner" }, t("banners.new")) : null,
    ),
    filterForm,
    page.items.length === 0
      ? h("p", { class: "empty-text" }, t("banners.none"))
      : h(
          "table",
          { class: "table", id: "banner-table" },
          h("caption", { class: "visually-hidden" }, t("banners.title")),
          h(
            "thead",
            {},
            h("tr", {}, ["banners.image", "banners.name", "banners.campaign_type", "banners.link", "banners.updated"].map((key) => h("th", { scope: "col" }, t(key)))),
          ),
          h("tbody", {}, rows),
        ),
    pager(page, (offset) => context.navigate("banners", { ...filters, offset })),
  );
}
