// The one way pages talk to the platform's API: JSON in and out (or a FormData
// upload), signed in by the page's session cookie, the page's CSRF token on every
// write (see docs/web-security.md), and back to the sign-in form once the session ends.

const READS = new Set(["GET", "HEAD"]);

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.code = body?.error?.code;
    this.fields = body?.error?.fields ?? [];
    this.body = body;
  }
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

/** The raw response, for callers that sort answers themselves (the field outbox).
 * A FormData body goes as multipart (the browser sets its boundary); anything else as JSON. */
export function call(method, url, body, headers = {}) {
  const upload = body instanceof FormData;
  const hasBody = body !== undefined && body !== null;
  return fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json, application/geo+json",
      ...(hasBody && !upload ? { "Content-Type": "application/json" } : {}),
      ...(READS.has(method) ? {} : { "X-CSRF-Token": csrfToken() }),
      ...headers,
    },
    body: upload ? body : hasBody ? JSON.stringify(body) : undefined,
  });
}

async function request(method, url, body) {
  const response = await call(method, url, body);
  if (response.status === 401) {
    // The session ended (expired or signed out elsewhere): back to the sign-in form.
    const here = window.location.pathname + window.location.search;
    window.location.assign(here === "/" ? "/login" : `/login?${new URLSearchParams({ next: here })}`);
    throw new ApiError(401, "signed out");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data?.error?.message ?? response.statusText, data);
  }
  return { data, response };
}

/** The answer's JSON; a refusal throws an ApiError with the server's message and fields. */
export async function send(method, url, body) {
  return (await request(method, url, body)).data;
}

export function getJson(url) {
  return send("GET", url);
}

/** A page of a list with the whole list's length (the X-Total-Count header). */
export async function getList(url) {
  const { data, response } = await request("GET", url);
  return { items: data, total: Number(response.headers.get("X-Total-Count")) };
}
