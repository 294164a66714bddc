// The console shell: sign-in, the header (navigation, language, time zone), the hash router and the notice.

import { ApiError, createApi } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { LANGUAGES, currentLanguage, preferredLanguage, setLanguage, t } from "./i18n.js";
import { renderAudit } from "./views/audit.js";
import { renderBannerForm } from "./views/banner-form.js";
import { renderBanners } from "./views/banners.js";
import { renderCalendar } from "./views/calendar.js";
import { renderDay } from "./views/day.js";
import { renderPreview } from "./views/preview.js";
import { renderSignIn } from "./views/signin.js";
import { renderSync } from "./views/sync.js";

const TOKEN_KEY = "mailbanner.token";

// path pattern, view, the API view scope it needs (a scoped user sees only those parts)
const ROUTES = [
  [/^calendar$/, renderCalendar, "schedule"],
  [/^day\/(\d{4}-\d{2}-\d{2})\/([^/]+)$/, renderDay, "schedule"],
  [/^banners$/, renderBanners, "banners"],
  [/^banners\/new$/, renderBannerForm, "banners"],
  [/^banners\/(\d+)$/, renderBannerForm, "banners"],
  [/^preview$/, renderPreview, "schedule"],
  [/^sync$/, renderSync, "sync"],
  [/^audit$/, renderAudit, "audit"],
];

const NAVIGATION = [
  ["calendar", "nav.calendar", "schedule"],
  ["banners", "nav.banners", "banners"],
  ["preview", "nav.preview", "schedule"],
  ["sync", "nav.sync", "sync"],
  ["audit", "nav.audit", "audit"],
];

const state = { config: null, me: null, api: null, flash: null };

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, queryString] = raw.split("?", 2);
  return { path: decodeURIComponent(path || ""), query: Object.fromEntries(new URLSearchParams(queryString || "")) };
}

export function routeHash(path, query) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const tail = search.toString();
  return `#/${path}${tail ? `?${tail}` : ""}`;
}

function notice(text, kind = "info") {
  const box = document.getElementById("notice");
  box.hidden = !text;
  box.className = `notice notice-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  replaceChildren(box, text || "", text ? h("button", { type: "button", class: "link-button", onclick: () => notice("") }, t("common.dismiss")) : null);
}

function showFlash() {
  const flash = state.flash;
  state.flash = null;
  notice(flash ? flash.text : "", flash ? flash.kind : "info");
}

function errorText(error) {
  if (error instanceof ApiError) {
    if (error.status === 0) return t("error.network");
    if (error.status === 403) return t("error.forbidden", { message: error.message });
    if (error.status === 404) return t("error.not_found", { message: error.message });
    if (error.status === 429) return t("error.rate_limited", { message: error.message });
    if (error.status >= 500) return t("error.server", { message: error.message, request: error.body.request_id || "" });
    return error.message;
  }
  return String(error && error.message ? error.message : error);
}

// Known targets have a translated label; any other target shows its configured name.
function targetLabel(name) {
  const label = t(`target.${name}`);
  return label === `target.${name}` ? name : label;
}

function targetShort(name) {
  const label = t(`target_short.${name}`);
  return label === `target_short.${name}` ? name : label;
}

function makeContext() {
  const permissions = new Set(state.me.permissions);
  return {
    api: state.api,
    config: state.config,
    me: state.me,
    can: (permission) => permissions.has(permission),
    sees: (view) => state.me.views === null || state.me.views === undefined || state.me.views.includes(view),
    navigate: (path, query) => {
      const target = routeHash(path, query);
      if (location.hash === target) {
        showFlash(); // no hashchange comes for the page already shown
        route();
      } else {
        location.hash = target;
      }
    },
    replaceQuery: (path, query) => history.replaceState(null, "", routeHash(path, query)),
    notify: notice,
    // A message to show once the next page is drawn (navigating clears the notice of the page left).
    flash: (text, kind = "success") => {
      state.flash = { text, kind };
    },
    notifyError: (error) => notice(errorText(error), "error"),
    errorText,
    targetLabel,
    targetShort,
  };
}

function renderHeader() {
  const bar = document.getElementById("topbar");
  const languagePicker = h(
    "select",
    { id: "language", "aria-label": t("header.language"), onchange: (event) => switchLanguage(event.target.value) },
    Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, selected: code === currentLanguage() }, name)),
  );
  const brand = h("span", { class: "brand" }, "Mailbanner");
  if (!state.me) {
    replaceChildren(bar, brand, h("div", { class: "topbar-tools" }, languagePicker));
    return;
  }
  const context = makeContext();
  const current = parseHash().path.split("/")[0];
  const active = current === "day" ? "calendar" : current;
  const links = NAVIGATION.filter(([, , view]) => context.sees(view)).map(([path, label]) =>
    h("li", {}, h("a", { href: `#/${path}`, "aria-current": path === active ? "page" : false }, t(label))),
  );
  replaceChildren(
    bar,
    brand,
    h("nav", { "aria-label": t("nav.label") }, h("ul", {}, links)),
    h(
      "div",
      { class: "topbar-tools" },
      h("span", { class: "timezone", id: "timezone" }, t("header.timezone", { zone: state.config.timezone })),
      h("span", { class: "who", id: "who" }, t("header.signed_in_as", { name: state.me.name, roles: state.me.roles.join(", ") })),
      languagePicker,
      h("button", { type: "button", id: "sign-out", onclick: signOut }, t("header.sign_out")),
    ),
  );
}

async function route() {
  const main = document.getElementById("main");
  renderHeader();
  if (!state.me) {
    const section = h("section", { class: "view" });
    replaceChildren(main, section);
    renderSignIn(section, { onSignIn: signIn, errorText });
    return;
  }
  const context = makeContext();
  const { path, query } = parseHash();
  const found = ROUTES.map(([pattern, view, scope]) => [path.match(pattern), view, scope]).find(([match]) => match);
  if (!found || !context.sees(found[2])) {
    const first = NAVIGATION.find(([, , view]) => context.sees(view));
    if (first && path !== first[0]) {
      location.replace(`#/${first[0]}`);
      return;
    }
    replaceChildren(main, h("section", { class: "view" }, h("h1", { tabindex: "-1" }, t("error.nothing_to_show"))));
    return;
  }
  const [match, view] = found;
  // Each navigation draws into a fresh section; late answers for a page already left land in a detached node.
  const section = h("section", { class: "view", "aria-busy": "true" });
  replaceChildren(main, section);
  try {
    await view(section, context, { params: match.slice(1), query });
  } catch (error) {
    replaceChildren(section, h("h1", { tabindex: "-1" }, t("error.title")), h("p", { class: "error-text", role: "alert" }, errorText(error)));
  }
  section.removeAttribute("aria-busy");
  // A new page starts at its heading for keyboard and screen reader users, unless the view chose a field.
  if (!section.contains(document.activeElement)) section.querySelector("h1")?.focus();
  document.title = `${section.querySelector("h1")?.textContent || ""} · Mailbanner`;
}

async function signIn(token) {
  const api = createApi(token);
  const me = await api.get("me"); // throws ApiError 401 on a bad token
  sessionStorage.setItem(TOKEN_KEY, token);
  await startSession(token, me.body);
  notice("");
  if (!parseHash().path) location.hash = "#/calendar";
  else await route();
}

async function startSession(token, me) {
  state.me = me;
  state.api = createApi(token, {
    onUnauthorized: () => {
      signOut();
      notice(t("signin.expired"), "error");
    },
  });
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  state.api = null;
  notice("");
  route();
}

async function switchLanguage(lang) {
  await setLanguage(lang);
  await route();
  document.getElementById("language")?.focus();
}

async function boot() {
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault(); // the hash belongs to the router
    document.getElementById("main").focus();
  });
  await setLanguage(preferredLanguage());
  const response = await fetch("console/config.json", { cache: "no-cache" });
  state.config = await response.json();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    try {
      const me = await createApi(token).get("me");
      await startSession(token, me.body);
    } catch {
      sessionStorage.removeItem(TOKEN_KEY);
    }
  }
  window.addEventListener("hashchange", () => {
    showFlash();
    route();
  });
  await route();
  document.body.dataset.ready = "true";
}

boot();
