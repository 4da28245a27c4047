// JSON from the platform's own API, signed in by the page's session cookie.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function getJson(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json, application/geo+json" },
  });
  if (response.status === 401) {
    // The session ended (expired or signed out elsewhere): back to the sign-in form.
    window.location.assign("/login");
    throw new ApiError(401, "signed out");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(response.status, body?.error?.message ?? response.statusText);
  }
  return response.json();
}

export const api = {
  me: () => getJson("/api/v1/auth/me"),
  region: (code) => getJson(`/api/v1/geo/regions/${encodeURIComponent(code)}`),
  features: (code, level) =>
    getJson(`/api/v1/geo/regions/${encodeURIComponent(code)}/features.geojson?level=${level}`),
  grids: (code, bbox) =>
    getJson(
      `/api/v1/geo/regions/${encodeURIComponent(code)}/grids.geojson?bbox=${bbox.map(round).join(",")}`,
    ),
  locate: (lng, lat) => getJson(`/api/v1/geo/locate?lng=${round(lng)}&lat=${round(lat)}`),
};

function round(value) {
  return Number(value.toFixed(6));
}
