// Small DOM helpers: every piece of API data goes in as text or attribute values, never as markup.

export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      element.className = value;
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else if (name === "checked" || name === "selected" || name === "disabled") {
      element[name] = Boolean(value);
      if (value) element.setAttribute(name, "");
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

// Like Element.append, but skips null/false (optional pieces) and flattens nested arrays.
export function append(element, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function replaceChildren(element, ...children) {
  element.replaceChildren();
  return append(element, ...children);
}

let fieldCounter = 0;

// A labelled form control with a hint and a place for its error, wired up for screen readers.
export function field(name, label, control, hint) {
  fieldCounter += 1;
  const id = control.id || `f-${name}-${fieldCounter}`;
  control.id = id;
  control.name = control.name || name;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  control.setAttribute("aria-describedby", hint ? `${hintId} ${errorId}` : errorId);
  return h(
    "div",
    { class: "field", dataset: { field: name } },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errorId, dataset: { errorFor: name }, "aria-live": "polite" }),
  );
}

// Show messages next to the fields they name; a message for no known field goes to the form's own error.
export function showFieldErrors(form, errorsByField, formMessage) {
  clearFieldErrors(form);
  const unplaced = [];
  for (const [name, messages] of Object.entries(errorsByField || {})) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot === null) {
      unplaced.push(`${name}: ${messages.join(" ")}`);
      continue;
    }
    slot.textContent = messages.join(" ");
    const control = form.querySelector(`[data-field="${CSS.escape(name)}"] :is(input, select, textarea)`);
    if (control) control.setAttribute("aria-invalid", "true");
  }
  const formError = form.querySelector(".form-error");
  if (formError) {
    const text = [formMessage, ...unplaced].filter(Boolean).join(" ");
    formError.textContent = text;
    formError.hidden = !text;
  }
  const firstInvalid = form.querySelector("[aria-invalid='true']");
  if (firstInvalid) firstInvalid.focus();
}

export function setFieldError(form, name, message) {
  const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
  if (slot) slot.textContent = message || "";
  const control = form.querySelector(`[data-field="${CSS.escape(name)}"] :is(input, select, textarea)`);
  if (control) {
    if (message) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
  }
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  const formError = form.querySelector(".form-error");
  if (formError) {
    formError.textContent = "";
    formError.hidden = true;
  }
}

export function formError() {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}
