// Sign-in: the user pastes an API token; it is checked with GET /me and kept for this tab only.

import { field, formError, h, showFieldErrors } from "../dom.js";
import { t } from "../i18n.js";

export function renderSignIn(root, { onSignIn, errorText }) {
  const tokenInput = h("input", {
    type: "password",
    id: "token",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary", id: "sign-in" }, t("signin.submit"));
  const form = h(
    "form",
    { class: "card signin", novalidate: true },
    h("h1", { tabindex: "-1" }, t("signin.title")),
    h("p", {}, t("signin.intro")),
    field("token", t("signin.token"), tokenInput, t("signin.token_hint")),
    formError(),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = tokenInput.value.trim();
    if (!token) {
      showFieldErrors(form, { token: [t("signin.token_required")] });
      return;
    }
    submit.disabled = true;
    try {
      await onSignIn(token);
    } catch (error) {
      const message = error.status === 401 ? t("signin.rejected") : errorText(error);
      showFieldErrors(form, { token: [message] });
    } finally {
      submit.disabled = false;
    }
  });
  root.append(form);
  tokenInput.focus();
}
