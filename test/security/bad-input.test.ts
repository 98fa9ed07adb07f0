/**
 * Issue 15, item 7 and the bad-input sweep: no input makes the server answer 500, and none leaves
 * garbage in the database, on SQLite and on PostgreSQL (which refuses NUL in text and ids beyond
 * 32 bits, where SQLite stores them).
 *
 * The sweep starts the whole app (dashboard, API, web chat, Telegram webhook, health), reads every
 * registered route from Fastify, signs in as an admin (dashboard session and CSRF token, an API
 * token, the webhook secret) and sends every route and method generated path parameters, query
 * strings and bodies: NUL bytes, huge and negative numbers, 2^31, 2^63, NaN, RTL marks, emoji,
 * combining marks, lone surrogates, arrays, objects, null, oversized strings and bodies, malformed
 * JSON and wrong content types. fast-check generates them from a fixed seed, so a run repeats.
 * Field and query names come from the app's own forms and schemas, so generated values reach the
 * checks behind them. Afterwards no text column of any table holds NUL and no number is beyond
 * 32 bits, and every stored broadcast filter still parses.
 *
 * Then the reproductions of the probe: NUL in the web chat, a dashboard filter and a CSV row; a
 * segment filter with id 2^31; a stored draft whose filter no longer parses.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, DatabaseProvider } from "../../src/db/database.js";
import { queryRows } from "../../src/db/raw-sql.js";
import { parseSegmentFilter } from "../../src/domain/segments.js";
import { createApiToken, createStaff } from "../../src/domain/staff.js";
import { webhookSecretFor } from "../../src/channels/telegram.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { DashboardClient } from "../support/dashboard-client.js";
import { providers } from "../support/databases.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { waitFor } from "../support/wait-for.js";

const seed = 20261203;
/** Generated requests per route and method. */
const samplesPerRoute = 12;
const admin = { email: "siti@disperindag.example", name: "Siti Aminah", password: "lada-putih-bangka-2026" };
const int32Max = 2 ** 31 - 1;

/** A web chat of its own, as a script gets one: `POST /api/webchat/sessions`, then its bearer token. */
async function webChatCredentials(testApp: TestApp): Promise<{ chatId: string; headers: Record<string, string> }> {
  const res = await testApp.app.server.inject({ method: "POST", url: "/api/webchat/sessions" });
  expect(res.statusCode).toBe(201);
  const { chatId, token } = res.json<{ chatId: string; token: string }>();
  return { chatId, headers: { authorization: `Bearer ${token}` } };
}

// ---------------------------------------------------------------- what the app has

type Route = { method: string; url: string };

/** Every route and method, from Fastify's own tree (printRoutes), HEAD left out (it is GET). */
function registeredRoutes(tree: string): Route[] {
  const prefixes: string[] = [];
  const routes: Route[] = [];
  for (const line of tree.split("\n")) {
    const m = /^(.*?)(?:└── |├── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const url = (prefixes[depth - 1] ?? "") + m[2]!;
    prefixes[depth] = url;
    prefixes.length = depth + 1;
    for (const method of (m[3] ?? "").split(", ").filter(Boolean)) if (method !== "HEAD") routes.push({ method, url });
  }
  return routes;
}

/** Field and query names the app reads: its forms' fields and its schemas' keys. */
function knownFieldNames(): string[] {
  const names = new Set([
    "id",
    "filter",
    "programmeIds",
    "trainingSessionIds",
    "exclude",
    "text",
    "choice",
    "clientMessageId",
    "after",
    "wait",
    "limit",
    "status",
    "update_id",
    "message",
    "callback_query",
    "halaman",
    "program",
    "kanal",
    "sektor",
    "kabupaten",
    "dari",
    "ke",
  ]);
  const read = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? read(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of [...read("src/admin"), "src/domain/segment-filter.ts", "src/domain/broadcast-types.ts"]) {
    const source = fs.readFileSync(file, "utf8");
    for (const m of source.matchAll(/name(?:="|: ")([A-Za-z_][\w-]*)"|^\s+([A-Za-z_]\w*): z\b/gm)) {
      const name = m[1] ?? m[2]!;
      if (name !== "_csrf") names.add(name);
    }
  }
  return [...names].sort();
}

// ---------------------------------------------------------------- what to send

const nastyStrings = [
  "\u0000",
  "a\u0000b",
  "\u0000\u0000\u0000",
  "2147483648",
  "2147483647",
  "-2147483649",
  "9223372036854775808",
  "-1",
  "0",
  "1e309",
  "-0",
  "1.5",
  "NaN",
  "Infinity",
  "0x10",
  "\u202Eevil\u202C",
  "\u05E9\u05DC\u05D5\u05DD",
  "😀👩‍👩‍👧",
  "e\u0301\u0301\u0301",
  "\uD800",
  "x\uDFFFy",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "=cmd|' /C calc'!A0",
  "../../etc/passwd",
  "",
  " ",
  "x".repeat(5_000),
  "2026-02-30",
  "9999-12-31T23:59:59Z",
];
const nastyNumbers = [2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 2, 2 ** 63, -1, 0, 1.5, -0, 1e308];

const nastyString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }).map((s) => `${s}\u0000`) },
);
const nastyScalar = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...nastyNumbers) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false) },
);
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: nastyScalar },
  { weight: 1, arbitrary: fc.array(nastyScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("a", "programmeIds", "\u0000k"), nastyScalar, { maxKeys: 3 }) },
);

/** Bytes of `value` percent-encoded (a lone surrogate becomes U+FFFD, as a browser sends it). */
const encode = (value: string) =>
  [...Buffer.from(value, "utf8")]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`,
    )
    .join("");

/** Raw escapes that do not decode to valid UTF-8, or at all. */
const brokenEscapes = ["%", "%zz", "%ED%A0%80", "%FF%FE", "%C0%80", "%00"];

type Sent = { method: string; url: string; headers: Record<string, string>; payload?: string | Buffer };

/** Out-of-range numbers put in every path parameter, query key and field of a route at once. */
const edgeNumbers = ["2147483648", "9223372036854775808", "-1", "0", "1e309", "NaN"];

function edgeRequests(route: Route, fields: string[]): Sent[] {
  const hasBody = route.method !== "GET" && route.method !== "DELETE";
  return edgeNumbers.flatMap((value, i): Sent[] => {
    const url = `${route.url.replace(/:\w+|\*/g, value)}?${fields.map((f) => `${f}=${value}`).join("&")}`;
    if (!hasBody) return [{ method: route.method, url, headers: {} }];
    const asJson = i % 2 === 0;
    return [
      {
        method: route.method,
        url,
        headers: { "content-type": asJson ? "application/json" : "application/x-www-form-urlencoded" },
        payload: asJson
          ? JSON.stringify(Object.fromEntries(fields.map((f) => [f, Number(value)])))
          : fields.map((f) => `${f}=${value}`).join("&"),
      },
    ];
  });
}

function requestArbitrary(route: Route, fields: string[]): fc.Arbitrary<Sent> {
  const param = fc.oneof(
    { weight: 5, arbitrary: nastyString.map((s) => encode(s.slice(0, 300)) || "x") },
    { weight: 1, arbitrary: fc.constantFrom(...brokenEscapes) },
  );
  const queryPart = fc.tuple(fc.constantFrom(...fields), fc.oneof(nastyString, fc.constantFrom(...brokenEscapes)));
  const query = fc
    .array(queryPart, { maxLength: 4 })
    .map((pairs) =>
      pairs.map(([k, v]) => `${encode(k)}=${brokenEscapes.includes(v) ? v : encode(v.slice(0, 2000))}`).join("&"),
    );
  const fieldsObject = fc.dictionary(fc.constantFrom(...fields), nastyValue, { maxKeys: 6 });
  const body = fc.oneof(
    { weight: 4, arbitrary: fieldsObject.map((o) => ({ type: "application/json", payload: JSON.stringify(o) })) },
    {
      weight: 4,
      arbitrary: fieldsObject.map((o) => ({
        type: "application/x-www-form-urlencoded",
        payload: Object.entries(o)
          .flatMap(([k, v]) =>
            (Array.isArray(v) ? v : [v]).map(
              (x) => `${encode(k)}=${encode(typeof x === "object" ? JSON.stringify(x) : String(x))}`,
            ),
          )
          .join("&"),
      })),
    },
    { weight: 1, arbitrary: nastyValue.map((v) => ({ type: "application/json", payload: JSON.stringify(v) ?? "" })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { type: "application/json", payload: '{"text": "halo"' },
        { type: "application/json", payload: "" },
        { type: "application/json", payload: "[".repeat(20_000) },
        { type: "application/json", payload: JSON.stringify({ text: "x".repeat(70_000) }) },
        { type: "application/x-www-form-urlencoded", payload: `title=${"y".repeat(70_000)}` },
        { type: "text/plain", payload: "halo" },
        { type: "application/xml", payload: "<a/>" },
        { type: "multipart/form-data; boundary=x", payload: "--x\r\nbroken" },
        { type: "application/json; charset=latin1", payload: '{"a":1}' },
      ),
    },
  );
  const url = fc.tuple(fc.array(param, { minLength: 8, maxLength: 8 }), query).map(([params, q]) => {
    let i = 0;
    const filled = route.url.replace(/:\w+|\*/g, () => params[i++]!);
    return q ? `${filled}?${q}` : filled;
  });
  const hasBody = route.method !== "GET" && route.method !== "DELETE";
  return fc.tuple(url, body).map(([u, b]): Sent => ({
    method: route.method,
    url: u,
    headers: hasBody ? { "content-type": b.type } : {},
    ...(hasBody ? { payload: b.payload } : {}),
  }));
}

// ---------------------------------------------------------------- what must not be stored

/** Text columns holding NUL and number columns beyond 32 bits, as "table.column: count". */
async function garbageIn(database: Database): Promise<string[]> {
  const found: string[] = [];
  if (database.provider === "sqlite") {
    const tables = await queryRows<{ name: string }>(
      database,
      database.prisma,
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_prisma%'`,
      [],
    );
    for (const { name: table } of tables) {
      const columns = await queryRows<{ name: string; type: string }>(
        database,
        database.prisma,
        `SELECT name, type FROM pragma_table_info(?)`,
        [table],
      );
      for (const { name: column } of columns) {
        const [row] = await queryRows<{ n: number | bigint }>(
          database,
          database.prisma,
          `SELECT COUNT(*) AS n FROM "${table}" WHERE (typeof("${column}") = 'text' AND instr("${column}", char(0)) > 0)
             OR (typeof("${column}") = 'integer' AND ("${column}" > ${int32Max} OR "${column}" < ${-int32Max - 1})
                 AND "${column}" NOT BETWEEN 1000000000000 AND 99999999999999)`,
          [],
        );
        // (Times are stored as milliseconds on SQLite: 13-digit integers are dates, not ids.)
        if (Number(row?.n ?? 0) > 0) found.push(`${table}.${column}: ${Number(row!.n)}`);
      }
    }
    return found;
  }
  // PostgreSQL refuses NUL in text and numbers beyond a column's type: what is there is in range.
  // JSON is text to it, though, so JSON values are checked for an escaped NUL.
  const columns = await queryRows<{ table_name: string; column_name: string }>(
    database,
    database.prisma,
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND data_type IN ('json', 'jsonb', 'text', 'character varying')`,
    [],
  );
  for (const { table_name: table, column_name: column } of columns) {
    const [row] = await queryRows<{ n: number | bigint }>(
      database,
      database.prisma,
      `SELECT COUNT(*) AS n FROM "${table}" WHERE "${column}"::text LIKE '%\\u0000%'`,
      [],
    );
    if (Number(row?.n ?? 0) > 0) found.push(`${table}.${column}: ${Number(row!.n)}`);
  }
  return found;
}

// ---------------------------------------------------------------- the tests

describe.each(providers)("bad input (%s)", (provider: DatabaseProvider) => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let database: Database;
  let cookie = "";
  let csrf = "";
  let token = "";
  let webhookSecret = "";

  /** Sends a request as the signed-in admin, with the API token and the webhook secret too. */
  const send = (sent: Sent) =>
    testApp.app.server.inject({
      method: sent.method as "GET",
      url: sent.url,
      headers: {
        cookie,
        "x-csrf-token": csrf,
        authorization: `Bearer ${token}`,
        "x-telegram-bot-api-secret-token": webhookSecret,
        ...sent.headers,
      },
      ...(sent.payload !== undefined ? { payload: sent.payload } : {}),
    });

  const dashboardPage = async (url: string) => {
    const res = await send({ method: "GET", url, headers: {} });
    return { status: res.statusCode, html: res.body };
  };

  beforeAll(async () => {
    fake = await startFakeTelegram();
    testApp = await startTestApp({
      provider,
      env: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        PUBLIC_URL: "http://127.0.0.1:9",
        QUIET_HOURS: "off",
      },
    });
    database = testApp.app.database;
    webhookSecret = webhookSecretFor(fake.token);
    const staff = await createStaff(database.prisma, { ...admin, role: "admin" });
    token = (await createApiToken(database.prisma, staff.id, "sweep")).token;
    // Signed in as a browser is: the session cookie, and the CSRF cookie with the token of a form.
    const client = new DashboardClient(testApp.app.url);
    expect((await client.signIn(admin.email, admin.password)).status).toBe(303);
    csrf = await client.token("/dashboard");
    cookie = client.cookieHeader;
  });

  afterAll(async () => {
    await testApp?.stop();
    await fake?.close();
  });

  it("answers no generated input on any route with a 500, and stores no garbage", async () => {
    const routes = registeredRoutes(testApp.app.server.printRoutes({ commonPrefix: false }));
    // Signing out or in again would end the sweep's session: those go without it.
    const signedOut = (route: Route) => route.url === "/keluar" || (route.url === "/masuk" && route.method === "POST");
    expect(routes.length).toBeGreaterThan(40);
    const fields = knownFieldNames();
    const failures: string[] = [];
    let tried = 0;
    // Half of the inputs to a chat's routes go to a real chat with its token, so they get past
    // the credential check and reach the conversation; the other half meet that check.
    const chat = await webChatCredentials(testApp);
    for (const [index, route] of routes.entries()) {
      const samples = [
        ...edgeRequests(route, fields),
        ...fc.sample(requestArbitrary(route, fields), { seed: seed + index, numRuns: samplesPerRoute }),
      ];
      for (const [n, sent] of samples.entries()) {
        if (route.url.startsWith("/api/webchat/:chatId") && n % 2 === 0) {
          sent.url = sent.url.replace(/^\/api\/webchat\/[^/?]*/, `/api/webchat/${chat.chatId}`);
          Object.assign(sent.headers, chat.headers);
        }
        // A web chat long poll waits up to 30 s for nothing: the sweep asks it not to wait.
        if (route.url.startsWith("/api/webchat/") && route.method === "GET")
          sent.url = sent.url.replace(/([?&])wait=[^&]*/g, "$1wait=0");
        if (signedOut(route)) sent.headers.cookie = "";
        tried++;
        const started = Date.now();
        const res = await send(sent);
        if (Date.now() - started > 500)
          console.log(`slow: ${Date.now() - started} ms ${sent.method} ${sent.url.slice(0, 100)}`);
        if (res.statusCode >= 500)
          failures.push(
            `${res.statusCode} ${sent.method} ${sent.url.slice(0, 200)} ${String(sent.payload ?? "").slice(0, 200)} -> ${res.body.slice(0, 200)}`,
          );
      }
    }
    console.log(`bad-input sweep (${provider}): ${tried} requests to ${routes.length} routes, ${failures.length} 500s`);
    expect(failures).toEqual([]);
    expect(await garbageIn(database)).toEqual([]);
    for (const b of await database.prisma.broadcast.findMany())
      expect(() => parseSegmentFilter(b.filter)).not.toThrow();
  }, 120_000);

  it("strips NUL from a web chat message, and the participant still gets an answer", async () => {
    const { chatId, headers } = await webChatCredentials(testApp);
    const res = await send({
      method: "POST",
      url: `/api/webchat/${chatId}/messages`,
      headers: { ...headers, "content-type": "application/json" },
      payload: JSON.stringify({ text: "ha\u0000lo", clientMessageId: "m1" }),
    });
    expect(res.statusCode).toBe(202);
    const replies = await waitFor(async () => {
      const got = await send({ method: "GET", url: `/api/webchat/${chatId}/messages?after=0`, headers });
      const messages = (got.json() as { messages: unknown[] }).messages;
      return messages.length ? messages : undefined;
    });
    expect(replies.length).toBeGreaterThan(0);
    const stored = await database.prisma.message.findMany({ where: { chatId, direction: "inbound" } });
    expect(stored.map((m) => m.text)).toEqual(["halo"]);
  });

  it("refuses NUL in a dashboard filter with a 400 page naming the field", async () => {
    const { status, html } = await dashboardPage("/dashboard/peserta?q=ha%00lo");
    expect(status).toBe(400);
    expect(html).toContain("&quot;q&quot;");
    expect(html).toContain("NUL");
  });

  it("refuses NUL in API JSON with a 400 problem naming the field", async () => {
    const res = await send({
      method: "POST",
      url: "/api/broadcasts",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ title: "Info\u0000", textId: "Halo", filter: {} }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, errors: [{ field: "title" }] });
  });

  it("reports a CSV row with NUL by its line number and imports nothing, uploaded or pasted", async () => {
    const csv =
      "nama,nomor HP,kabupaten\nBudi Santoso,081234567890,Kota Pangkalpinang\nSari\u0000,081234567891,Kota Pangkalpinang\n";
    const before = await database.prisma.participant.count();
    const boundary = "sweepboundary";
    const res = await send({
      method: "POST",
      url: "/dashboard/peserta/impor",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="berkas"; filename="peserta.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n` +
          `--${boundary}--\r\n`,
      ),
    });
    const pasted = await send({
      method: "POST",
      url: "/dashboard/peserta/impor",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="teks"\r\n\r\n${csv}\r\n` +
          `--${boundary}--\r\n`,
      ),
    });
    for (const answer of [res, pasted]) {
      expect(answer.statusCode).toBe(400);
      expect(answer.body).toContain("Baris 3");
      expect(answer.body).toContain("NUL");
    }
    expect(await database.prisma.participant.count()).toBe(before);
  });

  it("refuses a segment filter id of 2^31 with a 400, on the API and the dashboard's count", async () => {
    for (const filter of [{ programmeIds: [2 ** 31] }, { exclude: { trainingSessionIds: [2 ** 31] } }]) {
      const res = await send({
        method: "POST",
        url: "/api/segments/preview",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({ filter }),
      });
      expect(res.statusCode).toBe(400);
    }
    const res = await send({
      method: "POST",
      url: "/api/broadcasts",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ title: "Info", textId: "Halo", filter: { programmeIds: [2 ** 31] } }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errors: [{ field: "filter.programmeIds.0" }] });
  });

  it("shows a stored draft whose filter no longer parses as invalid, and the list and detail pages still work", async () => {
    const bad = await database.prisma.broadcast.create({
      data: {
        title: "Draf rusak",
        textId: "Halo",
        filter: { programmeIds: [2 ** 31] },
        status: "draft",
      },
    });
    const list = await dashboardPage("/dashboard/siaran");
    expect(list.status).toBe(200);
    expect(list.html).toContain("Draf rusak");
    expect(list.html).toContain("Filter tidak valid");
    const detail = await dashboardPage(`/dashboard/siaran/${bad.id}`);
    expect(detail.status).toBe(200);
    expect(detail.html).toContain("Filter tidak valid");
    const api = await send({ method: "GET", url: "/api/broadcasts", headers: {} });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toMatchObject({
      broadcasts: expect.arrayContaining([expect.objectContaining({ id: bad.id, invalidFilter: true })]),
    });
    // It can never be sent: scheduling it is refused, not read as "everyone".
    const schedule = await send({
      method: "POST",
      url: `/api/broadcasts/${bad.id}/schedule`,
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    expect(schedule.statusCode).toBe(409);
    expect(schedule.json()).toMatchObject({ title: "The broadcast's segment filter is no longer valid" });
    const fromDashboard = await send({
      method: "POST",
      url: `/dashboard/siaran/${bad.id}/jadwalkan`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "when=now",
    });
    expect(fromDashboard.statusCode).toBeLessThan(500);
    const after = await dashboardPage(`/dashboard/siaran/${bad.id}`);
    expect(after.html).toContain("Filter segmen siaran ini tidak valid lagi");
    expect((await database.prisma.broadcast.findUniqueOrThrow({ where: { id: bad.id } })).status).toBe("draft");
    // "Salin" keeps the texts and says that the recipients must be chosen again.
    const copy = await dashboardPage(`/dashboard/siaran/baru?dari=${bad.id}`);
    expect(copy.status).toBe(200);
    expect(copy.html).toContain("Halo");
    expect(copy.html).toContain("Penerima siaran asal tidak dapat dibaca lagi");
    await database.prisma.broadcast.delete({ where: { id: bad.id } });
  });
});
