/**
 * Drives the admin page in-process the way a browser does: a cookie jar of one cookie, the
 * CSRF token read from the last page, urlencoded form posts, redirects not followed (the
 * tests look at them).
 */
export interface AppLike {
  request: (input: string, init?: RequestInit) => Response | Promise<Response>;
}

export const ADMIN_TOKEN = "dev-admin-token";

export class AdminClient {
  cookie = "";
  csrf = "";

  /** `ip` goes in X-Forwarded-For, so throttling is counted per test client. */
  constructor(private readonly app: AppLike, readonly ip = "192.0.2.10") {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("X-Forwarded-For", this.ip);
    if (this.cookie) headers.set("Cookie", this.cookie);
    const res = await this.app.request(path, { ...init, headers, redirect: "manual" });
    const set = res.headers.get("set-cookie");
    if (set) {
      const [pair] = set.split(";");
      this.cookie = /Max-Age=0/i.test(set) ? "" : pair;
    }
    return res;
  }

  /** GETs a page and remembers its CSRF token; returns the response and its text. */
  async page(path: string): Promise<{ res: Response; body: string }> {
    const res = await this.request(path);
    const body = await res.text();
    const m = /name="csrf" value="([^"]+)"/.exec(body);
    if (m) this.csrf = m[1];
    return { res, body };
  }

  async post(
    path: string,
    fields: Record<string, string>,
    opts: { csrf?: string | null } = {},
  ): Promise<Response> {
    const form = new URLSearchParams(fields);
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null) form.set("csrf", csrf);
    return await this.request(path, { method: "POST", body: form });
  }

  async login(token = ADMIN_TOKEN): Promise<Response> {
    const res = await this.post("/admin/login", { token }, { csrf: null });
    if (res.status === 303) await this.page("/admin");
    return res;
  }
}
