/**
 * The dashboard's doors, as an attacker or a staff member would meet them (issue 15, items 5, 6
 * and part of 8), on the real application with both databases and the real Redis:
 * - an upload is refused before its body is read when signed out or without its CSRF token,
 *   and an oversized one gets a 413 page;
 * - signed-out visits to the sign-in page store no session;
 * - wrong passwords pause tries per email and address, alike for emails with and without an
 *   account, so nobody elsewhere can lock the real user out;
 * - cookies are Secure and HSTS is sent when a trusted proxy says the request came over https;
 * - staff change their own password, a temporary one first of all, and other sessions end;
 * - a session ends 12 hours after signing in, however busy.
 *
 * TRUST_PROXY=loopback, so X-Forwarded-For stands for client addresses and X-Forwarded-Proto
 * for the scheme, as behind a real proxy.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createStaff } from "../../src/domain/staff.js";
import { importLimits } from "../../src/domain/check-participant-csv.js";
import { maxFailedLogins } from "../../src/admin/dashboard/sign-in.js";
import { sessionMaxAgeMs } from "../../src/admin/dashboard/index.js";
import { providers } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { csrfOf, DashboardClient, freshAddress } from "../support/dashboard-client.js";

const admin = { email: "siti@disperindag.example", name: "Siti Aminah", password: "lada-putih-bangka-2026" };
const officer = { email: "rina@disperindag.example", name: "Rina Wulandari", password: "reparasi-ac-pangkal-2026" };
const target = { email: "budi@disperindag.example", name: "Budi Santoso", password: "konveksi-belitung-2026" };

/** The message of a sign-in page. */
const noticeOf = (html: string) => /<div class="notice notice-error"[^>]*>([^<]*)</.exec(html)?.[1] ?? "";

type EarlyAnswer = { status: number; location: string | undefined; sentBytes: number; totalBytes: number };

/**
 * Starts a multipart upload of `totalBytes` and sends only its first part, then waits for the
 * answer: a server that reads the body before deciding never answers, and the wait fails.
 */
function uploadAnsweredEarly(url: string, headers: Record<string, string>, totalBytes: number): Promise<EarlyAnswer> {
  const boundary = "----sapa-uji-batas";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="berkas"; filename="peserta.csv"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const firstChunk = Buffer.concat([head, Buffer.alloc(64 * 1024, "a")]);
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(totalBytes),
      },
    });
    request.on("response", (res) => {
      res.resume();
      resolve({
        status: res.statusCode!,
        location: res.headers.location,
        sentBytes: firstChunk.length,
        totalBytes,
      });
      request.destroy();
    });
    // The server closing the connection on a body it will not read is fine.
    request.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE" && err.code !== "ECONNRESET") reject(err);
    });
    request.write(firstChunk);
    setTimeout(() => reject(new Error("no answer before the upload finished")), 10_000).unref();
  });
}

/** A whole multipart upload of one file (`fileBytes` of CSV-ish text) to `url`. */
async function upload(url: string, headers: Record<string, string>, fileBytes: number): Promise<Response> {
  const form = new FormData();
  form.append("berkas", new Blob([Buffer.alloc(fileBytes, "a")], { type: "text/csv" }), "peserta.csv");
  return fetch(url, { method: "POST", body: form, headers, redirect: "manual" });
}

describe.each(providers)("the dashboard's sign-in, sessions and uploads (%s)", (provider) => {
  let testApp: TestApp;
  let app: App;
  let sessionKeys: () => Promise<string[]>;

  beforeAll(async () => {
    testApp = await startTestApp({ provider, env: { TRUST_PROXY: "loopback" } });
    app = testApp.app;
    await createStaff(app.database.prisma, { ...admin, role: "admin" });
    await createStaff(app.database.prisma, { ...officer, role: "staff" });
    await createStaff(app.database.prisma, { ...target, role: "staff" });
    sessionKeys = () => app.redis.keys(`${app.config.redis.prefix}:dashboard:session:*`);
  });

  afterAll(async () => {
    await testApp?.stop();
  });

  describe("uploads (item 5)", () => {
    it("answers a signed-out upload of several MB before the body is sent, and imports nothing", async () => {
      const before = await app.database.prisma.participant.count();
      const answer = await uploadAnsweredEarly(
        `${app.url}/dashboard/peserta/impor`,
        { "x-forwarded-for": freshAddress() },
        8 * 1024 * 1024,
      );
      expect(answer.status).toBe(303);
      expect(answer.location).toBe("/masuk");
      expect(answer.sentBytes).toBeLessThan(answer.totalBytes / 100);
      expect(await app.database.prisma.participant.count()).toBe(before);
    });

    it("answers a signed-in upload without the form's CSRF token with 403 before the body is sent", async () => {
      const visitor = new DashboardClient(app.url);
      expect((await visitor.signIn(admin.email, admin.password)).status).toBe(303);
      for (const query of ["", "?_csrf=palsu"]) {
        const answer = await uploadAnsweredEarly(
          `${app.url}/dashboard/peserta/impor${query}`,
          visitor.headers(),
          8 * 1024 * 1024,
        );
        expect(answer.status, query).toBe(403);
      }
    });

    it("gives a signed-in admin a bilingual 413 page for a file over the limit, not a 500", async () => {
      const visitor = new DashboardClient(app.url);
      await visitor.signIn(admin.email, admin.password);
      const page = await (await visitor.get("/dashboard/peserta/impor")).text();
      const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(page)![1]!;
      expect(action).toMatch(/^\/dashboard\/peserta\/impor\?_csrf=/);
      const res = await upload(
        `${app.url}${action.replaceAll("&amp;", "&")}`,
        visitor.headers(),
        importLimits.maxBytes + 1024,
      );
      expect(res.status).toBe(413);
      const html = await res.text();
      expect(html).toContain("Berkas CSV untuk impor paling besar 2 MB");
      // A file within the limit still goes through to the import, which reads it.
      const small = await upload(`${app.url}${action.replaceAll("&amp;", "&")}`, visitor.headers(), 100);
      expect(small.status).toBe(400);
      expect(await small.text()).toContain("Tidak ada yang diimpor.");
    });

    it("answers an oversized form body with a 413 page", async () => {
      const visitor = new DashboardClient(app.url);
      await visitor.signIn(admin.email, admin.password);
      const _csrf = await visitor.token("/dashboard");
      const res = await visitor.post("/keluar", { _csrf, padding: "x".repeat(200 * 1024) });
      expect(res.status).toBe(413);
      expect(await res.text()).toContain("terlalu besar");
    });
  });

  describe("signed-out visitors (item 6)", () => {
    it("stores no session for 200 visits to the sign-in page, and signing in still works", async () => {
      const before = (await sessionKeys()).length;
      for (let i = 0; i < 200; i++) {
        const res = await fetch(`${app.url}/masuk`, { headers: { "x-forwarded-for": freshAddress() } });
        expect(res.status).toBe(200);
        expect(res.headers.getSetCookie().some((c) => c.startsWith("sapa_session="))).toBe(false);
        await res.text();
      }
      expect((await sessionKeys()).length).toBe(before);

      const visitor = new DashboardClient(app.url);
      const res = await visitor.signIn(officer.email, officer.password);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/dashboard");
      expect((await visitor.get("/dashboard")).status).toBe(200);
      expect((await sessionKeys()).length).toBe(before + 1);
    });

    it("refuses a sign-in POST without the CSRF cookie, without the token, or with another cookie's token", async () => {
      const visitor = new DashboardClient(app.url);
      const _csrf = await visitor.token("/masuk");
      const other = new DashboardClient(app.url);
      const otherToken = await other.token("/masuk");
      const attempts: { cookie: string; form: Record<string, string> }[] = [
        { cookie: "", form: { _csrf, ...officer } },
        { cookie: visitor.cookieHeader, form: { ...officer } },
        { cookie: visitor.cookieHeader, form: { _csrf: otherToken, ...officer } },
        // A CSRF cookie made up by the attacker (unsigned) with a token of their choosing.
        { cookie: "sapa_csrf=rahasia-palsu", form: { _csrf, ...officer } },
      ];
      for (const { cookie, form } of attempts) {
        const res = await fetch(`${app.url}/masuk`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie, "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": freshAddress() },
          body: new URLSearchParams(form),
        });
        expect(res.status).toBe(403);
        expect(await res.text()).toContain("Formulir tidak dapat diproses");
      }
    });
  });

  describe("sign-in backoff per email and address (item 8)", () => {
    it("pauses tries from the guessing address only, and the real user still signs in from theirs", async () => {
      const attacker = new DashboardClient(app.url);
      const statuses: number[] = [];
      let paused: Response | undefined;
      for (let i = 1; i <= maxFailedLogins; i++) {
        const res = await attacker.signIn(target.email, `tebakan-${i}-salah`);
        statuses.push(res.status);
        if (res.status === 423) paused = res;
        else expect(noticeOf(await res.text())).toBe("Email atau kata sandi salah.");
      }
      expect(statuses).toEqual([...Array<number>(maxFailedLogins - 1).fill(401), 423]);
      expect(Number(paused!.headers.get("retry-after"))).toBeGreaterThan(14 * 60);
      const message = noticeOf(await paused!.text());
      expect(message).toMatch(/dari alamat Anda.*Silakan coba lagi setelah pukul \d\d\.\d\d WIB/);
      expect(message).not.toContain("Akun ini");
      // Even the right password, from there.
      expect((await attacker.signIn(target.email, target.password)).status).toBe(423);

      const owner = new DashboardClient(app.url);
      const res = await owner.signIn(target.email, target.password);
      expect(res.status).toBe(303);
      expect((await owner.get("/dashboard")).status).toBe(200);

      const staff = await app.database.prisma.staff.findUniqueOrThrow({ where: { email: target.email } });
      const actions = (
        await app.database.prisma.auditLog.findMany({ where: { staffId: staff.id }, orderBy: { id: "asc" } })
      ).map((r) => r.action);
      expect(actions.filter((a) => a === "staff.login_failed")).toHaveLength(maxFailedLogins);
      expect(actions).toContain("staff.login_locked");
      expect(actions).toContain("staff.login_refused_locked");
      expect(actions.at(-1)).toBe("staff.login_succeeded");
    });

    it("answers an email without an account exactly like one with an account", async () => {
      const run = async (email: string) => {
        const visitor = new DashboardClient(app.url);
        const answers: { status: number; retryAfter: boolean; message: string }[] = [];
        for (let i = 1; i <= maxFailedLogins + 1; i++) {
          const res = await visitor.signIn(email, `tebakan-${i}-salah`);
          answers.push({
            status: res.status,
            retryAfter: res.headers.has("retry-after"),
            // The time and minutes left may differ by a minute between the two runs.
            message: noticeOf(await res.text())
              .replace(/\d\d\.\d\d/, "HH.MM")
              .replace(/sekitar \d+ menit/, "sekitar N menit"),
          });
        }
        return answers;
      };
      const known = await run(admin.email);
      const unknown = await run("tidak-ada@disperindag.example");
      expect(unknown).toEqual(known);
      expect(known.map((a) => a.status)).toEqual([401, 401, 401, 401, 423, 423]);
      // The admin is not locked out by any of it.
      expect((await new DashboardClient(app.url).signIn(admin.email, admin.password)).status).toBe(303);
    });
  });

  describe("https behind a trusted proxy (item 8)", () => {
    it("marks cookies Secure and sends HSTS when X-Forwarded-Proto says https, and neither without it", async () => {
      const overHttps = new DashboardClient(app.url, freshAddress(), { "x-forwarded-proto": "https" });
      const form = await overHttps.get("/masuk");
      expect(form.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
      const csrfCookie = form.headers.getSetCookie().find((c) => c.startsWith("sapa_csrf="));
      expect(csrfCookie).toMatch(/; Secure/i);
      const _csrf = csrfOf(await form.text())!;
      const signedIn = await overHttps.post("/masuk", { _csrf, ...officer });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.getSetCookie().find((c) => c.startsWith("sapa_session="))).toMatch(/; Secure/i);
      expect(signedIn.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
      const language = await overHttps.get("/bahasa?ke=en&next=/dashboard");
      expect(language.headers.getSetCookie().find((c) => c.startsWith("sapa_bahasa="))).toMatch(/; Secure/i);

      const overHttp = new DashboardClient(app.url);
      const plain = await overHttp.get("/masuk");
      expect(plain.headers.get("strict-transport-security")).toBeNull();
      expect(plain.headers.getSetCookie().find((c) => c.startsWith("sapa_csrf="))).not.toMatch(/Secure/i);
      const plainIn = await overHttp.post("/masuk", { _csrf: csrfOf(await plain.text())!, ...officer });
      expect(plainIn.headers.getSetCookie().find((c) => c.startsWith("sapa_session="))).not.toMatch(/Secure/i);
    });
  });

  describe("passwords (item 8)", () => {
    it("makes an invited member change the temporary password first, and ends their other sessions", async () => {
      const adminVisitor = new DashboardClient(app.url);
      await adminVisitor.signIn(admin.email, admin.password);
      const email = `agus.${provider}@disperindag.example`;
      const invited = await adminVisitor.post("/dashboard/staf", {
        _csrf: await adminVisitor.token("/dashboard/staf"),
        name: "Agus Salim",
        email,
        role: "staff",
      });
      const temporary = /data-secret="password">([^<]+)</.exec(await invited.text())![1]!;

      const other = new DashboardClient(app.url);
      expect((await other.signIn(email, temporary)).headers.get("location")).toBe("/dashboard/akun");
      const agus = new DashboardClient(app.url);
      const first = await agus.signIn(email, temporary);
      expect(first.status).toBe(303);
      expect(first.headers.get("location")).toBe("/dashboard/akun");
      // Every other page leads to the account page until the password is changed, forms too.
      for (const path of ["/dashboard", "/dashboard/peserta", "/dashboard/program"]) {
        const res = await agus.get(path);
        expect(res.status, path).toBe(302);
        expect(res.headers.get("location"), path).toBe("/dashboard/akun");
      }
      const account = await (await agus.get("/dashboard/akun")).text();
      expect(account).toContain("Anda masuk dengan kata sandi sementara dari admin.");
      const _csrf = csrfOf(account)!;
      const formPost = await agus.post("/dashboard/program", { _csrf, title: "Program titipan" });
      expect(formPost.status).toBe(303);
      expect(formPost.headers.get("location")).toBe("/dashboard/akun");

      const wrong = await agus.post("/dashboard/akun/kata-sandi", {
        _csrf,
        current: "bukan-ini-sandinya",
        password: "kopi-lada-putih-2026",
        repeat: "kopi-lada-putih-2026",
      });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain("Kata sandi Anda sekarang salah.");
      const differ = await agus.post("/dashboard/akun/kata-sandi", {
        _csrf,
        current: temporary,
        password: "kopi-lada-putih-2026",
        repeat: "kopi-lada-hitam-2026",
      });
      expect(differ.status).toBe(400);
      expect(await differ.text()).toContain("Kedua kata sandi baru tidak sama.");
      const short = await agus.post("/dashboard/akun/kata-sandi", {
        _csrf,
        current: temporary,
        password: "pendek",
        repeat: "pendek",
      });
      expect(short.status).toBe(400);
      expect(await short.text()).toContain("Kata sandi baru paling sedikit 10 karakter.");

      const changed = await agus.post("/dashboard/akun/kata-sandi", {
        _csrf,
        current: temporary,
        password: "kopi-lada-putih-2026",
        repeat: "kopi-lada-putih-2026",
      });
      expect(changed.status).toBe(303);
      expect((await agus.get("/dashboard/akun")).status).toBe(200);
      expect((await agus.get("/dashboard")).status).toBe(200);

      // The session signed in before the change has ended, with a word why.
      const ended = await other.get("/dashboard");
      expect(ended.status).toBe(302);
      expect(ended.headers.get("location")).toBe("/masuk?next=%2Fdashboard");
      expect(await (await other.get("/masuk")).text()).toContain("kata sandi akun ini baru saja diganti");

      expect((await new DashboardClient(app.url).signIn(email, temporary)).status).toBe(401);
      const again = await new DashboardClient(app.url).signIn(email, "kopi-lada-putih-2026");
      expect(again.status).toBe(303);
      expect(again.headers.get("location")).toBe("/dashboard");

      const staff = await app.database.prisma.staff.findUniqueOrThrow({ where: { email } });
      expect(staff.mustChangePassword).toBe(false);
      const log = await app.database.prisma.auditLog.findMany({ where: { staffId: staff.id } });
      expect(log.map((r) => r.action)).toContain("staff.password_changed");
      expect(log.map((r) => r.action)).toContain("staff.password_change_refused");
      expect(JSON.stringify(log)).not.toContain("kopi-lada-putih-2026");
      expect(JSON.stringify(log)).not.toContain(temporary);

      // An admin resets it (forgotten): a new temporary password, and Agus's sessions end.
      const reset = await adminVisitor.post(`/dashboard/staf/${staff.id}/kata-sandi`, {
        _csrf: await adminVisitor.token(`/dashboard/staf/${staff.id}`),
      });
      expect(reset.status).toBe(200);
      const html = await reset.text();
      expect(html).toContain("Kata sandi diatur ulang");
      const second = /data-secret="password">([^<]+)</.exec(html)![1]!;
      expect((await agus.get("/dashboard")).headers.get("location")).toBe("/masuk?next=%2Fdashboard");
      expect((await new DashboardClient(app.url).signIn(email, "kopi-lada-putih-2026")).status).toBe(401);
      const afterReset = await new DashboardClient(app.url).signIn(email, second);
      expect(afterReset.headers.get("location")).toBe("/dashboard/akun");
      const resetLog = await app.database.prisma.auditLog.findMany({ where: { target: `staff:${staff.id}` } });
      expect(resetLog.map((r) => r.action)).toContain("staff.password_reset");
      expect(JSON.stringify(resetLog)).not.toContain(second);
    });

    it("ends a session after five wrong current passwords, so a borrowed session cannot guess the password", async () => {
      const visitor = new DashboardClient(app.url);
      await visitor.signIn(officer.email, officer.password);
      const _csrf = await visitor.token("/dashboard/akun");
      const tryPassword = (i: number) =>
        visitor.post("/dashboard/akun/kata-sandi", {
          _csrf,
          current: `tebakan-${i}-salah`,
          password: "kopi-lada-putih-2026",
          repeat: "kopi-lada-putih-2026",
        });
      for (let i = 1; i < maxFailedLogins; i++) expect((await tryPassword(i)).status).toBe(400);
      const last = await tryPassword(maxFailedLogins);
      expect(last.status).toBe(303);
      expect(last.headers.get("location")).toBe("/masuk");
      expect((await visitor.get("/dashboard")).status).toBe(302);
      expect(await (await visitor.get("/masuk")).text()).toContain("Sesi Anda diakhiri setelah 5 kali salah");
      // The password is unchanged.
      expect((await new DashboardClient(app.url).signIn(officer.email, officer.password)).status).toBe(303);
    });
  });

  describe("absolute session lifetime (item 8)", () => {
    it("ends a session 12 hours after signing in, however recently it was used", async () => {
      const visitor = new DashboardClient(app.url);
      await visitor.signIn(officer.email, officer.password);
      expect((await visitor.get("/dashboard")).status).toBe(200);
      // Twelve hours later (in Redis, where the session lives), still in use a moment ago.
      const sessionId = decodeURIComponent(visitor.cookies.get("sapa_session")!).split(".")[0]!;
      const [key] = await app.redis.keys(`${app.config.redis.prefix}:dashboard:session:*:${sessionId}`);
      if (!key) throw new Error("the session is not in Redis");
      const stored = JSON.parse((await app.redis.get(key))!) as { signedInAt: number };
      stored.signedInAt -= sessionMaxAgeMs;
      await app.redis.set(key, JSON.stringify(stored), "KEEPTTL");

      const res = await visitor.get("/dashboard/peserta");
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/masuk?next=%2Fdashboard%2Fpeserta");
      expect(await app.redis.exists(key)).toBe(0);
      const told = await (await visitor.get("/masuk?next=%2Fdashboard%2Fpeserta")).text();
      expect(told).toContain("Sesi Anda berakhir karena sudah 12 jam sejak Anda masuk.");
      expect((await visitor.get("/dashboard")).status).toBe(302);
    });
  });
});

describe("a session cookie on a database that starts over (fresh database, same Redis and secret)", () => {
  it("is not taken for whoever has that staff id in the new database", async () => {
    const secret = "rahasia-sesi-dasbor-yang-cukup-panjang-2026";
    const first = await startTestApp({ env: { DASHBOARD_SESSION_SECRET: secret } });
    const env = { DASHBOARD_SESSION_SECRET: secret, QUEUE_PREFIX: first.app.config.redis.prefix };
    try {
      const adminId = (await createStaff(first.app.database.prisma, { ...admin, role: "admin" })).id;
      const visitor = new DashboardClient(first.app.url);
      expect((await visitor.signIn(admin.email, admin.password)).status).toBe(303);
      expect((await visitor.get("/dashboard")).status).toBe(200);
      await first.app.stop();
      // Still in Redis: what is tested is that the new database does not take it.
      // A newcomer deletes the database and starts again on the same Redis: someone else gets
      // the first staff id there.
      const second = await startTestApp({ env });
      try {
        const other = await createStaff(second.app.database.prisma, { ...officer, role: "admin" });
        expect(other.id).toBe(adminId);
        const stored = await second.app.redis.keys(`${env.QUEUE_PREFIX}:dashboard:session:*`);
        expect(stored).toHaveLength(1);
        const again = new DashboardClient(second.app.url);
        for (const [name, value] of visitor.cookies) again.cookies.set(name, value);
        const res = await again.get("/dashboard");
        expect(res.status).toBe(302);
        expect(res.headers.get("location")).toBe("/masuk?next=%2Fdashboard");
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });
});
