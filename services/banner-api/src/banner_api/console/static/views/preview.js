// The footer exactly as the API renders it for a date and target (in an inert, sandboxed frame), the
// pending changes of that day, and approval for approvers.

import { ApiError } from "../api.js";
import { append, h } from "../dom.js";
import { addDays, formatDay, t, todayIn } from "../i18n.js";
import { badge, heading, labelled, targetSelect } from "./common.js";

export async function renderPreview(root, context, { query }) {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(query.date || "") ? query.date : todayIn(context.config.timezone);
  const target = context.config.targets.includes(query.target) ? query.target : context.config.targets[0];
  const withPending = query.pending === "true";
  const go = (changes) => context.navigate("preview", { date, target, pending: withPending ? "true" : "", ...changes });

  const previewQuery = { date, target, include_pending: withPending ? "true" : "false" };
  const [rows, html] = await Promise.all([
    context.api.get("preview", { query: previewQuery }),
    context.api.get("preview", { query: { ...previewQuery, format: "html" }, accept: "text/html" }),
  ]);
  const preview = rows.body;

  const dateInput = h("input", { type: "date", id: "preview-date", value: date, onchange: (event) => event.target.value && go({ date: event.target.value }) });
  const pendingBox = h("input", { type: "checkbox", id: "preview-pending", checked: withPending, onchange: (event) => go({ pending: event.target.checked ? "true" : "" }) });
  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("button", { type: "button", id: "preview-previous", onclick: () => go({ date: addDays(date, -1) }) }, t("preview.previous")),
    labelled(t("preview.date"), dateInput),
    h("button", { type: "button", id: "preview-next", onclick: () => go({ date: addDays(date, 1) }) }, t("preview.next")),
    labelled(t("common.target"), targetSelect(context, "preview-target", target, { onChange: (value) => go({ target: value }) })),
    h("label", { class: "checkbox" }, pendingBox, t("preview.include_pending")),
    h("a", { href: `#/day/${date}/${encodeURIComponent(target)}`, class: "button-link", id: "open-day" }, t("preview.open_day")),
  );

  // The footer is mail HTML: shown in a sandboxed frame (no scripts, its own origin) so it can do nothing here.
  const frame = h("iframe", {
    id: "footer-frame",
    class: "footer-frame",
    title: t("preview.frame_title", { date: formatDay(date), target: context.targetLabel(target) }),
    sandbox: "allow-popups allow-popups-to-escape-sandbox",
    referrerpolicy: "no-referrer",
  });
  frame.srcdoc = `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>body{margin:0;padding:16px 0;background:#f4f4f4;font-family:sans-serif}.mail{max-width:600px;margin:0 auto;background:#fff;padding:16px}</style></head><body><div class="mail">${html.body}</div></body></html>`;

  append(root, 
    heading(t("preview.title", { date: formatDay(date), target: context.targetLabel(target) }), h("p", { class: "subtitle" }, preview.includes_pending ? t("preview.as_changed") : t("preview.as_delivered"))),
    toolbar,
    preview.rows.length === 0 ? h("p", { class: "empty-text", id: "preview-empty" }, t("preview.empty")) : null,
    frame,
    pendingSection(context, preview, date, target),
  );
}

function pendingSection(context, preview, date, target) {
  if (!context.config.approval_required && preview.pending.length === 0) return null;
  const message = h("p", { class: "form-error", role: "alert", hidden: true });
  const approve = async () => {
    try {
      await context.api.post(`schedule/days/${date}/approve`, { query: { target } });
      context.flash(t("preview.approved"));
      context.navigate("preview", { date, target });
    } catch (error) {
      message.textContent = error instanceof ApiError ? context.errorText(error) : String(error);
      message.hidden = false;
    }
  };
  return h(
    "section",
    { class: "card pending", id: "pending" },
    h("h2", {}, t("preview.pending_title", { count: preview.pending.length })),
    preview.pending.length === 0
      ? h("p", {}, t("preview.nothing_pending"))
      : h(
          "ol",
          { class: "pending-list" },
          preview.pending.map((entry) =>
            h("li", {}, badge(t("preview.pending_badge"), "pending"), " ", t("preview.pending_entry", { title: entry.title, position: entry.position, authors: entry.authors.join(", ") })),
          ),
        ),
    preview.pending.length > 0 && context.can("approve")
      ? h("button", { type: "button", class: "primary", id: "approve-day", onclick: approve }, t("preview.approve_day"))
      : null,
    message,
  );
}
