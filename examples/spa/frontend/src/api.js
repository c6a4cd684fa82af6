// The JSON API client: same-origin cookies, JSON bodies, the CSRF header on changes,
// and errors as ApiError carrying the server's message.

const BASE = import.meta.env.VITE_API_BASE ?? "";

let csrfToken = "";
let onUnauthorized = () => {};

export function setCsrfToken(token) {
  csrfToken = token ?? "";
}

/** Called with no argument when a call answers 401 (the session is gone). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// `message` is a string, or an object of field errors ({"title": "..."}).
function messageOf(data, res) {
  const message = data?.message;
  if (typeof message === "string") return message;
  if (message && typeof message === "object") return Object.values(message).join(" ");
  return `${res.status} ${res.statusText}`.trim();
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken;

  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      credentials: "same-origin",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "The server cannot be reached.");
  }

  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    // A 401 on /api/session is a wrong password, not a lost session.
    if (res.status === 401 && !path.startsWith("/api/session")) onUnauthorized();
    throw new ApiError(res.status, messageOf(data, res));
  }
  return data;
}

/** GET /api/session: who is logged in (or null), and a fresh CSRF token. */
export async function fetchSession() {
  const session = await api("GET", "/api/session");
  setCsrfToken(session.csrf_token);
  return session.user;
}
