// The console's only way to the data: the public REST API under api/v1, with the signed-in bearer token.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }

  // The API nests field errors by location ({"form": {"link_url": ["..."]}}); the console shows them by field.
  fieldErrors() {
    const byField = {};
    for (const fields of Object.values(this.body.errors || {})) {
      if (!fields || typeof fields !== "object") continue;
      for (const [name, messages] of Object.entries(fields)) {
        byField[name] = (byField[name] || []).concat(flattenMessages(messages));
      }
    }
    return byField;
  }
}

function flattenMessages(messages) {
  if (Array.isArray(messages)) return messages.flatMap(flattenMessages);
  if (messages && typeof messages === "object") return Object.values(messages).flatMap(flattenMessages);
  return [String(messages)];
}

export function apiUrl(path, query) {
  const url = new URL(`api/v1/${path.replace(/^\//, "")}`, document.baseURI);
  for (const [name, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url;
}

export function createApi(token, { onUnauthorized } = {}) {
  async function call(method, path, { query, json, form, headers, accept } = {}) {
    const init = {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: accept || "application/json", ...(headers || {}) },
      cache: "no-store",
    };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (form !== undefined) {
      init.body = form; // the browser sets the multipart boundary itself
    }
    let response;
    try {
      response = await fetch(apiUrl(path, query), init);
    } catch (error) {
      throw new ApiError(0, { message: String(error) });
    }
    const type = response.headers.get("Content-Type") || "";
    let body = null;
    if (response.status !== 204) body = type.includes("json") ? await response.json() : await response.text();
    if (response.status === 401 && onUnauthorized) onUnauthorized();
    if (!response.ok) throw new ApiError(response.status, typeof body === "object" ? body : { message: body });
    return { status: response.status, body, etag: response.headers.get("ETag") };
  }

  return {
    get: (path, options) => call("GET", path, options),
    post: (path, options) => call("POST", path, options),
    put: (path, options) => call("PUT", path, options),
    patch: (path, options) => call("PATCH", path, options),
    delete: (path, options) => call("DELETE", path, options),
  };
}
