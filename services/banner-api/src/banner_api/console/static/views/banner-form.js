// Register or edit a banner. Cheap, certain checks run live in the browser (required fields, lengths, the
// image's size and pixels); the API is the one authority on links and image content, and its field errors
// are shown next to the fields they name.

import { ApiError } from "../api.js";
import { append, clearFieldErrors, field, formError, h, replaceChildren, setFieldError, showFieldErrors } from "../dom.js";
import { formatInstant, formatNumber, t } from "../i18n.js";
import { badge, heading } from "./common.js";

const TITLE_MAX = 200;
const NOTES_MAX = 2000;

export async function renderBannerForm(root, context, { params }) {
  const bannerId = params[0] ? Number(params[0]) : null;
  let banner = null;
  let etag = null;
  if (bannerId !== null) {
    const response = await context.api.get(`banners/${bannerId}`);
    banner = response.body;
    etag = response.etag;
  }
  const editable = context.can("edit");
  const limits = context.config.image;

  const title = h("input", { type: "text", id: "banner-title", value: banner?.title ?? "", maxlength: String(TITLE_MAX + 50), required: true, readonly: !editable });
  const link = h("input", { type: "text", inputmode: "url", id: "banner-link", value: banner?.link_url ?? "", spellcheck: "false", required: true, readonly: !editable });
  const type = h(
    "select",
    { id: "banner-campaign-type", disabled: !editable },
    context.config.campaign_types.map((name) => h("option", { value: name, selected: name === banner?.campaign_type }, name)),
  );
  const notes = h("textarea", { id: "banner-notes", rows: "3", readonly: !editable }, banner?.notes ?? "");
  const image = h("input", { type: "file", id: "banner-image", accept: "image/png,image/jpeg,image/gif", disabled: !editable });
  const imagePreview = h("div", { class: "image-preview", id: "image-preview" }, banner ? h("img", { src: banner.image_url, alt: banner.title }) : null);
  const imageFacts = { width: null, height: null };

  const checks = {
    title: () => {
      const value = title.value.trim();
      if (!value) return t("form.required");
      if (value.length > TITLE_MAX) return t("form.too_long", { max: TITLE_MAX, length: value.length });
      return "";
    },
    link_url: () => (link.value.trim() ? "" : t("form.required")),
    notes: () => (notes.value.length > NOTES_MAX ? t("form.too_long", { max: NOTES_MAX, length: notes.value.length }) : ""),
    image: () => {
      const file = image.files[0];
      if (!file) return bannerId === null ? t("form.image_required") : "";
      if (file.size > limits.max_bytes) return t("form.image_too_large", { size: formatNumber(file.size), max: formatNumber(limits.max_bytes) });
      if (imageFacts.width !== null && (imageFacts.width > limits.max_width || imageFacts.height > limits.max_height)) {
        return t("form.image_too_big", { width: imageFacts.width, height: imageFacts.height, max_width: limits.max_width, max_height: limits.max_height });
      }
      return "";
    },
  };
  const controls = { title, link_url: link, notes, image };

  const form = h(
    "form",
    { class: "card banner-form", id: "banner-form", novalidate: true },
    h(
      "div",
      { class: "form-grid" },
      field("title", t("form.title"), title, t("form.title_hint", { max: TITLE_MAX })),
      field("link_url", t("form.link"), link, t("form.link_hint")),
      field("campaign_type", t("form.campaign_type"), type),
      field("notes", t("form.notes"), notes),
      field(
        "image",
        bannerId === null ? t("form.image") : t("form.replace_image"),
        image,
        t("form.image_hint", { max: formatNumber(limits.max_bytes), max_width: limits.max_width, max_height: limits.max_height, formats: limits.formats.join(", ") }),
      ),
      imagePreview,
    ),
    formError(),
    editable
      ? h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "banner-save" }, bannerId === null ? t("form.register") : t("form.save")))
      : null,
  );

  // Live: each field is checked as it changes; the message sits next to it and the field is marked invalid.
  for (const [name, control] of Object.entries(controls)) {
    control.addEventListener(control === image ? "change" : "input", () => setFieldError(form, name, checks[name]()));
  }
  image.addEventListener("change", () => describeImage(image.files[0], imagePreview, imageFacts, () => setFieldError(form, "image", checks.image())));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const failed = Object.fromEntries(
      Object.entries(checks)
        .map(([name, check]) => [name, check()])
        .filter(([, message]) => message)
        .map(([name, message]) => [name, [message]]),
    );
    if (Object.keys(failed).length > 0) {
      showFieldErrors(form, failed, t("form.fix_fields"));
      return;
    }
    const save = form.querySelector("#banner-save");
    save.disabled = true;
    try {
      const saved = bannerId === null ? await create() : await update();
      context.flash(bannerId === null ? t("form.registered", { title: saved.title }) : t("form.saved", { title: saved.title }));
      context.navigate(`banners/${saved.id}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        context.flash(t("form.stale"), "error");
        context.navigate(`banners/${bannerId}`);
      } else if (error instanceof ApiError && error.status < 500 && error.status !== 0) {
        showFieldErrors(form, error.fieldErrors(), context.errorText(error));
      } else {
        context.notifyError(error);
      }
    } finally {
      save.disabled = false;
    }
  });

  async function create() {
    const data = new FormData();
    data.set("title", title.value.trim());
    data.set("link_url", link.value.trim());
    data.set("campaign_type", type.value);
    data.set("notes", notes.value);
    data.set("image", image.files[0]);
    return (await context.api.post("banners", { form: data })).body;
  }

  async function update() {
    const changed = {};
    if (title.value.trim() !== banner.title) changed.title = title.value.trim();
    if (link.value.trim() !== banner.link_url) changed.link_url = link.value.trim();
    if (type.value !== banner.campaign_type) changed.campaign_type = type.value;
    if (notes.value !== banner.notes) changed.notes = notes.value;
    const headers = { "If-Match": etag };
    if (image.files[0]) {
      const data = new FormData();
      for (const [name, value] of Object.entries(changed)) data.set(name, value);
      data.set("image", image.files[0]);
      return (await context.api.patch(`banners/${bannerId}`, { form: data, headers })).body;
    }
    return (await context.api.patch(`banners/${bannerId}`, { json: changed, headers })).body;
  }

  const pageTitle = bannerId === null ? t("form.new_title") : t("form.edit_title", { id: bannerId });
  append(root, 
    heading(
      pageTitle,
      banner ? h("p", { class: "subtitle" }, t("form.updated", { when: formatInstant(banner.updated_at, context.config.timezone), version: banner.version }), banner.archived ? [" ", badge(t("banners.archived"), "muted")] : null) : null,
    ),
    h("div", { class: "toolbar" }, h("a", { href: "#/banners", class: "button-link" }, t("form.back")), banner && context.sees("audit") ? h("a", { href: `#/audit?object_type=banner&object_id=${bannerId}`, class: "button-link" }, t("form.history")) : null),
    form,
    banner && editable ? archiveControls(context, banner, etag) : null,
  );
  if (editable) title.focus();
}

// Reads the chosen file's pixel size in the browser, for the live check and a preview; a file the
// browser cannot decode is left for the API to judge.
function describeImage(file, preview, facts, done) {
  facts.width = null;
  facts.height = null;
  replaceChildren(preview);
  if (!file) {
    done();
    return;
  }
  const url = URL.createObjectURL(file);
  const img = h("img", { src: url, alt: file.name });
  img.addEventListener("load", () => {
    facts.width = img.naturalWidth;
    facts.height = img.naturalHeight;
    replaceChildren(preview, img, h("p", { class: "hint" }, t("form.image_facts", { width: facts.width, height: facts.height, size: formatNumber(file.size) })));
    done();
  });
  img.addEventListener("error", () => {
    URL.revokeObjectURL(url);
    replaceChildren(preview, h("p", { class: "hint" }, t("form.image_unreadable")));
    done();
  });
}

function archiveControls(context, banner, etag) {
  const box = h("div", { class: "card archive", id: "archive-controls" });
  const message = h("p", { class: "form-error", role: "alert", hidden: true });
  async function archive(force) {
    try {
      await context.api.delete(`banners/${banner.id}`, { query: { force: force ? "true" : undefined }, headers: { "If-Match": etag } });
      context.flash(t("form.archived", { title: banner.title }));
      context.navigate("banners");
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && !force) {
        message.textContent = t("form.archive_scheduled", { message: error.message });
        message.hidden = false;
        append(box, h("button", { type: "button", class: "danger", id: "archive-force", onclick: () => archive(true) }, t("form.archive_force")));
      } else {
        message.textContent = context.errorText(error);
        message.hidden = false;
      }
    }
  }
  async function restore() {
    try {
      await context.api.post(`banners/${banner.id}/restore`);
      context.flash(t("form.restored", { title: banner.title }));
      context.navigate("banners", { archived: "all" });
    } catch (error) {
      message.textContent = context.errorText(error);
      message.hidden = false;
    }
  }
  append(box, 
    h("h2", {}, banner.archived ? t("form.restore_title") : t("form.archive_title")),
    banner.archived
      ? h("button", { type: "button", id: "restore", onclick: restore }, t("form.restore"))
      : h("button", { type: "button", class: "danger", id: "archive", onclick: () => archive(false) }, t("form.archive")),
    message,
  );
  return box;
}
