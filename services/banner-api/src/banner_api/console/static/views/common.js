// Pieces several views share: page headings, thumbnails, target pickers, pagers and JSON blocks.

import { h } from "../dom.js";
import { formatNumber, t } from "../i18n.js";

export function heading(text, ...extra) {
  return h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, text), ...extra);
}

export function thumbnail(banner, className = "thumb") {
  return h("img", {
    class: className,
    src: banner.image_url,
    alt: banner.title,
    title: banner.title,
    loading: "lazy",
    width: banner.image_width || false,
    height: banner.image_height || false,
  });
}

export function targetSelect(context, id, selected, { includeAll = false, onChange } = {}) {
  const options = context.config.targets.map((name) =>
    h("option", { value: name, selected: name === selected }, context.targetLabel(name)),
  );
  if (includeAll) options.unshift(h("option", { value: "", selected: !selected }, t("common.all_targets")));
  return h("select", { id, onchange: onChange ? (event) => onChange(event.target.value) : false }, options);
}

export function labelled(label, control) {
  return h("label", { class: "inline-field" }, h("span", {}, label), control);
}

// "21–40 of 93" with previous/next buttons.
export function pager(page, onOffset) {
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = Math.min(page.offset + page.limit, page.total);
  return h(
    "nav",
    { class: "pager", "aria-label": t("common.pages") },
    h(
      "button",
      { type: "button", class: "pager-previous", disabled: page.offset === 0, onclick: () => onOffset(Math.max(0, page.offset - page.limit)) },
      t("common.previous"),
    ),
    h("span", { class: "pager-range" }, t("common.range", { first: formatNumber(first), last: formatNumber(last), total: formatNumber(page.total) })),
    h(
      "button",
      { type: "button", class: "pager-next", disabled: last >= page.total, onclick: () => onOffset(page.offset + page.limit) },
      t("common.next"),
    ),
  );
}

export function jsonBlock(summary, value) {
  if (value === null || value === undefined) return null;
  return h("details", { class: "json" }, h("summary", {}, summary), h("pre", {}, JSON.stringify(value, null, 2)));
}

export function badge(text, kind) {
  return h("span", { class: `badge badge-${kind}` }, text);
}
