// Labels from the message catalogues (i18n/<lang>.json); dates and weekdays from Intl for the language.

export const LANGUAGES = { en: "English", ja: "日本語" };
const LOCALES = { en: "en-US", ja: "ja-JP" };
const STORAGE_KEY = "mailbanner.lang";

let language = "en";
let messages = {};
let fallback = {};

async function loadCatalogue(lang) {
  const response = await fetch(`console/i18n/${lang}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`no message catalogue for ${lang}`);
  return response.json();
}

export function preferredLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored && stored in LANGUAGES) return stored;
  const browser = (navigator.language || "en").slice(0, 2);
  return browser in LANGUAGES ? browser : "en";
}

export async function setLanguage(lang) {
  const chosen = lang in LANGUAGES ? lang : "en";
  if (Object.keys(fallback).length === 0) fallback = await loadCatalogue("en");
  messages = chosen === "en" ? fallback : await loadCatalogue(chosen);
  language = chosen;
  localStorage.setItem(STORAGE_KEY, chosen);
  document.documentElement.lang = chosen;
}

export function currentLanguage() {
  return language;
}

export function locale() {
  return LOCALES[language];
}

// t("place.placed", { count: 3 }) -> the catalogue's text with {count} filled in.
export function t(key, params) {
  const text = messages[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params && name in params ? String(params[name]) : whole));
}

// A schedule date ("2026-12-03") is a calendar day in the business time zone, not an instant: format it
// as that day whatever the browser's own zone is.
export function dayAsUtc(isoDay) {
  const [year, month, day] = isoDay.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day));
}

export function formatDay(isoDay, options = { dateStyle: "full" }) {
  return new Intl.DateTimeFormat(locale(), { ...options, timeZone: "UTC" }).format(dayAsUtc(isoDay));
}

export function formatMonth(isoMonth) {
  return formatDay(`${isoMonth}-01`, { year: "numeric", month: "long" });
}

// Weekday names Sunday first, as the calendar's columns.
export function weekdayNames(style = "short") {
  const format = new Intl.DateTimeFormat(locale(), { weekday: style, timeZone: "UTC" });
  return Array.from({ length: 7 }, (_, index) => format.format(new Date(Date.UTC(2023, 0, 1 + index))));
}

// An instant from the API (ISO 8601 with offset), shown in the business time zone.
export function formatInstant(iso, timeZone) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", timeZone }).format(
    new Date(iso),
  );
}

export function todayIn(timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

export function addDays(isoDay, count) {
  const date = dayAsUtc(isoDay);
  date.setUTCDate(date.getUTCDate() + count);
  return date.toISOString().slice(0, 10);
}

export function addMonths(isoMonth, count) {
  const [year, month] = isoMonth.split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 1 + count, 1));
  return date.toISOString().slice(0, 7);
}

export function formatNumber(value) {
  return new Intl.NumberFormat(locale()).format(value);
}
