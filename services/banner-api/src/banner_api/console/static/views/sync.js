// Sync status per target (in sync, lag, last run, held with its diff), operator controls, recent runs.

import { append, h } from "../dom.js";
import { formatInstant, formatNumber, t } from "../i18n.js";
import { badge, heading, jsonBlock } from "./common.js";

const RUNS_SHOWN = 20;

export async function renderSync(root, context) {
  const [status, runs] = await Promise.all([context.api.get("sync/status"), context.api.get("sync/runs", { query: { limit: RUNS_SHOWN } })]);
  const zone = context.config.timezone;
  const operator = context.can("operate");

  async function act(name, action, body, done) {
    try {
      await context.api.post(`sync/targets/${encodeURIComponent(name)}/${action}`, { json: body });
      context.flash(t(done, { target: context.targetLabel(name) }));
      context.navigate("sync");
    } catch (error) {
      context.notifyError(error);
    }
  }

  const cards = status.body.targets.map((target) => {
    const reason = h("input", { type: "text", class: "pause-reason", value: "", maxlength: "200", "aria-label": t("sync.pause_reason_label", { target: target.name }), placeholder: t("sync.pause_reason") });
    const controls = operator
      ? h(
          "div",
          { class: "actions" },
          target.paused
            ? h("button", { type: "button", class: "resume", onclick: () => act(target.name, "resume", undefined, "sync.resumed") }, t("sync.resume"))
            : [reason, h("button", { type: "button", class: "pause", onclick: () => act(target.name, "pause", reason.value.trim() ? { reason: reason.value.trim() } : {}, "sync.paused_done") }, t("sync.pause"))],
          h("button", { type: "button", class: "sync-now", onclick: () => act(target.name, "sync", { force: false }, "sync.queued") }, t("sync.sync_now")),
          target.held ? h("button", { type: "button", class: "danger force", onclick: () => act(target.name, "sync", { force: true }, "sync.queued_force") }, t("sync.force")) : null,
        )
      : null;
    const lastRun = target.last_run;
    return h(
      "article",
      { class: "card target-card", dataset: { target: target.name, paused: String(target.paused), held: String(target.held) } },
      h("h2", {}, context.targetLabel(target.name), " ", stateBadges(target)),
      h(
        "dl",
        { class: "facts" },
        fact(t("sync.in_sync"), target.in_sync === null ? t("sync.unknown") : target.in_sync ? t("common.yes") : t("common.no")),
        fact(t("sync.lag"), target.lag_seconds === null ? "—" : t("sync.seconds", { count: formatNumber(Math.round(target.lag_seconds)) })),
        fact(t("sync.pending_changes"), formatNumber(target.pending_changes)),
        fact(t("sync.last_run"), lastRun ? `${formatInstant(lastRun.started_at, zone)} · ${lastRun.outcome}` : "—"),
        fact(t("sync.last_success"), formatInstant(target.last_success_at, zone) || "—"),
        target.paused ? fact(t("sync.paused_reason"), target.paused_reason || "") : null,
        target.last_error ? fact(t("sync.last_error"), target.last_error) : null,
      ),
      target.held ? jsonBlock(t("sync.held_diff"), target.held_diff) : null,
      controls,
      context.sees("audit") ? h("a", { href: `#/audit?object_type=target&object_id=${encodeURIComponent(target.name)}`, class: "button-link" }, t("sync.history")) : null,
    );
  });

  const runRows = runs.body.items.map((run) =>
    h(
      "tr",
      {},
      h("td", {}, formatInstant(run.started_at, zone)),
      h("td", {}, context.targetLabel(run.target)),
      h("td", {}, run.trigger),
      h("td", {}, run.outcome),
      h("td", {}, run.window_first ? `${run.window_first} – ${run.window_last}` : "—"),
      h("td", { class: "number" }, formatNumber(run.rows_deleted)),
      h("td", { class: "number" }, formatNumber(run.rows_inserted)),
      h("td", {}, run.error || ""),
    ),
  );
  append(root, 
    heading(t("sync.title"), h("p", { class: "subtitle" }, t("sync.subtitle"))),
    h("div", { class: "target-cards", id: "target-cards" }, cards),
    h("h2", {}, t("sync.runs")),
    runRows.length === 0
      ? h("p", { class: "empty-text" }, t("sync.no_runs"))
      : h(
          "table",
          { class: "table", id: "runs" },
          h("thead", {}, h("tr", {}, ["sync.started", "common.target", "sync.trigger", "sync.outcome", "sync.window", "sync.deleted", "sync.inserted", "sync.error"].map((key) => h("th", { scope: "col" }, t(key))))),
          h("tbody", {}, runRows),
        ),
  );
}

function stateBadges(target) {
  return [
    target.paused ? badge(t("sync.paused"), "warning") : null,
    target.held ? badge(t("sync.held"), "danger") : null,
    target.in_sync === true ? badge(t("sync.in_sync_badge"), "ok") : null,
    target.in_sync === false && !target.held ? badge(t("sync.out_of_sync"), "warning") : null,
    !target.enabled ? badge(t("sync.disabled"), "muted") : null,
  ];
}

function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}
