/**
 * The dashboard over fetch, as a browser would use it: a cookie jar (the signed CSRF cookie
 * before sign-in, the session after it), the CSRF token read from each form, and one client
 * address (X-Forwarded-For, for the apps that trust a proxy), so limits per address can be tested.
 */
let nextAddress = 10;
/** A client address of its own (TEST-NET-3), so each visitor starts with fresh counts. */
export const freshAddress = () => `203.0.113.${nextAddress++ % 250}`;

/** The CSRF token of a form in the page, if it has one. */
export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

export class DashboardClient {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly base: string,
    readonly address: string = freshAddress(),
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  headers(more: Record<string, string> = {}): Record<string, string> {
    return { "x-forwarded-for": this.address, cookie: this.cookieHeader, ...this.extraHeaders, ...more };
  }

  /** Keeps the cookies a response sets (and forgets those it clears). */
  keep(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0]!;
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(path: string): Promise<Response> {
    return this.keep(await fetch(`${this.base}${path}`, { headers: this.headers(), redirect: "manual" }));
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    return this.keep(
      await fetch(`${this.base}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: this.headers({ "content-type": "application/x-www-form-urlencoded" }),
        body: new URLSearchParams(form),
      }),
    );
  }

  /** The CSRF token of the form at `path`. */
  async token(path: string): Promise<string> {
    const token = csrfOf(await (await this.get(path)).text());
    if (!token) throw new Error(`no CSRF token on ${path}`);
    return token;
  }

  /** Posts a form the way its page would: with the CSRF token of the page at `from`. */
  async submit(path: string, fields: Record<string, string> = {}, from = "/dashboard"): Promise<Response> {
    return this.post(path, { _csrf: await this.token(from), ...fields });
  }

  async signIn(email: string, password: string): Promise<Response> {
    const _csrf = await this.token("/masuk");
    return this.post("/masuk", { _csrf, email, password });
  }
}
