import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerApi } from "../../src/admin/api.js";
import {
  BroadcastError,
  type BroadcastInput,
  type BroadcastService,
  type BroadcastStatus,
  type BroadcastView,
  emptyProgress,
} from "../../src/domain/broadcast-types.js";
import { createApiToken, createStaff } from "../../src/domain/staff.js";
import { createLogger } from "../../src/logger.js";
import { openTestDatabase, type TestDatabase } from "../support/databases.js";

type Call = { method: string; staffId: number | null; args: unknown[] };

/** An in-memory broadcast service that records who called what. */
function fakeBroadcasts() {
  const views = new Map<number, BroadcastView>();
  const calls: Call[] = [];
  let nextId = 1;
  const find = (id: number) => {
    const view = views.get(id);
    if (!view) throw new BroadcastError("not_found", `There is no broadcast ${id}.`);
    return view;
  };
  const move = (id: number, from: BroadcastStatus[], to: BroadcastStatus, change: Partial<BroadcastView> = {}) => {
    const view = find(id);
    if (!from.includes(view.status))
      throw new BroadcastError("invalid_state", `A ${view.status} broadcast cannot be ${to}.`);
    Object.assign(view, { status: to }, change);
    return view;
  };
  const service: BroadcastService = {
    async preview(filter) {
      calls.push({ method: "preview", staffId: null, args: [filter] });
      return { matched: 12, recipients: 10, leftOut: { optedOut: 1, blocked: 1 } };
    },
    async create(staffId, input: BroadcastInput) {
      calls.push({ method: "create", staffId, args: [input] });
      const view: BroadcastView = {
        id: nextId++,
        title: input.title,
        textId: input.textId,
        textEn: input.textEn ?? null,
        filter: input.filter,
        status: "draft",
        scheduledAt: null,
        startedAt: null,
        finishedAt: null,
        createdAt: new Date("2026-12-01T02:00:00Z"),
        createdBy: { id: staffId, name: "someone" },
        approvedBy: null,
        template: null,
        progress: emptyProgress(),
      };
      views.set(view.id, view);
      return view;
    },
    async schedule(staffId, id, at) {
      calls.push({ method: "schedule", staffId, args: [id, at] });
      return move(id, ["draft"], "pending_approval", { scheduledAt: at ?? new Date() });
    },
    async approve(staffId, id) {
      calls.push({ method: "approve", staffId, args: [id] });
      if (find(id).createdBy?.id === staffId)
        throw new BroadcastError("same_approver", "Someone other than its author must approve it.");
      return move(id, ["pending_approval"], "scheduled", { approvedBy: { id: staffId, name: "approver" } });
    },
    async pause(staffId, id) {
      calls.push({ method: "pause", staffId, args: [id] });
      return move(id, ["scheduled", "sending"], "paused");
    },
    async resume(staffId, id) {
      calls.push({ method: "resume", staffId, args: [id] });
      return move(id, ["paused"], "scheduled");
    },
    async cancel(staffId, id) {
      calls.push({ method: "cancel", staffId, args: [id] });
      return move(id, ["draft", "pending_approval", "scheduled", "sending", "paused"], "cancelled");
    },
    async get(id) {
      return views.get(id) ?? null;
    },
    async list(options) {
      calls.push({ method: "list", staffId: null, args: [options] });
      return [...views.values()].filter((v) => !options?.status || v.status === options.status).reverse();
    },
  };
  return { service, calls, views };
}

const password = "kata sandi yang panjang";
const valid = { title: "Libur", textId: "Kantor tutup hari Jumat.", filter: { programmeIds: [1] } };

type Setup = {
  app: FastifyInstance;
  db: TestDatabase;
  fake: ReturnType<typeof fakeBroadcasts>;
  admin: { id: number; token: string };
  staff: { id: number; token: string };
};

async function setUp(provider: "sqlite" | "postgresql"): Promise<Setup> {
  const db = await openTestDatabase(provider);
  const fake = fakeBroadcasts();
  const app = Fastify();
  registerApi(app, { database: db, broadcasts: fake.service, logger: createLogger({ level: "silent" }) });
  const person = async (email: string, role: "admin" | "staff") => {
    const { id } = await createStaff(db.prisma, { email, name: email.split("@")[0]!, role, password });
    return { id, token: (await createApiToken(db.prisma, id, "test")).token };
  };
  const admin = await person("admin@example.go.id", "admin");
  const staff = await person("staf@example.go.id", "staff");
  return { app, db, fake, admin, staff };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("staff API (sqlite)", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp("sqlite");
  });
  afterAll(async () => {
    await s.app.close();
    await s.db.destroy();
  });

  it("answers 401 problems without a token or with an unknown one", async () => {
    const none = await s.app.inject({ method: "GET", url: "/api/broadcasts" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(none.json()).toMatchObject({ type: "about:blank", title: "Unauthorized", status: 401 });
    expect(none.json().detail).toMatch(/Authorization header/);

    const unknown = await s.app.inject({
      method: "GET",
      url: "/api/broadcasts",
      headers: bearer(`sapa_${"x".repeat(43)}`),
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(unknown.headers["www-authenticate"]).toMatch(/^Bearer .*invalid_token/);

    const basic = await s.app.inject({
      method: "GET",
      url: "/api/broadcasts",
      headers: { authorization: "Basic YTpi" },
    });
    expect(basic.statusCode).toBe(401);
    expect(s.fake.calls).toEqual([]);
  });

  it("creates, schedules and approves, passing the staff id; only an admin approves", async () => {
    const created = await s.app.inject({
      method: "POST",
      url: "/api/broadcasts",
      headers: bearer(s.staff.token),
      payload: valid,
    });
    expect(created.statusCode).toBe(201);
    const view = created.json();
    expect(view).toMatchObject({ id: 1, status: "draft", textEn: null, createdAt: "2026-12-01T02:00:00.000Z" });
    expect(s.fake.calls.at(-1)).toMatchObject({ method: "create", staffId: s.staff.id, args: [valid] });

    const at = new Date(Date.now() + 3_600_000).toISOString().replace("Z", "+00:00");
    const scheduled = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${view.id}/schedule`,
      headers: bearer(s.staff.token),
      payload: { at },
    });
    expect(scheduled.statusCode).toBe(200);
    expect(scheduled.json()).toMatchObject({ status: "pending_approval", scheduledAt: new Date(at).toISOString() });
    expect(s.fake.calls.at(-1)).toEqual({ method: "schedule", staffId: s.staff.id, args: [view.id, new Date(at)] });

    const byStaff = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${view.id}/approve`,
      headers: bearer(s.staff.token),
    });
    expect(byStaff.statusCode).toBe(403);
    expect(byStaff.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(byStaff.json()).toMatchObject({ status: 403, detail: "Only an admin can approve a broadcast." });
    expect(s.fake.calls.at(-1)?.method).toBe("schedule");

    const byAdmin = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${view.id}/approve`,
      headers: { ...bearer(s.admin.token), "content-type": "application/json" },
      payload: "",
    });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json()).toMatchObject({ status: "scheduled", approvedBy: { id: s.admin.id } });
    expect(s.fake.calls.at(-1)).toEqual({ method: "approve", staffId: s.admin.id, args: [view.id] });

    const paused = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${view.id}/pause`,
      headers: bearer(s.staff.token),
    });
    expect(paused.json()).toMatchObject({ status: "paused" });
    const again = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${view.id}/pause`,
      headers: bearer(s.staff.token),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ status: 409, detail: "A paused broadcast cannot be paused." });
    const resumed = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${view.id}/resume`,
      headers: bearer(s.staff.token),
    });
    expect(resumed.json()).toMatchObject({ status: "scheduled" });
    const cancelled = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${view.id}/cancel`,
      headers: bearer(s.staff.token),
    });
    expect(cancelled.json()).toMatchObject({ status: "cancelled" });
    expect(s.fake.calls.at(-1)).toEqual({ method: "cancel", staffId: s.staff.id, args: [view.id] });

    const list = await s.app.inject({
      method: "GET",
      url: "/api/broadcasts?status=cancelled&limit=5",
      headers: bearer(s.staff.token),
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().broadcasts.map((b: { id: number }) => b.id)).toEqual([view.id]);
    expect(s.fake.calls.at(-1)).toEqual({ method: "list", staffId: null, args: [{ status: "cancelled", limit: 5 }] });

    const one = await s.app.inject({
      method: "GET",
      url: `/api/broadcasts/${view.id}`,
      headers: bearer(s.staff.token),
    });
    expect(one.json()).toMatchObject({ id: view.id, title: "Libur", filter: { programmeIds: [1] } });
  });

  it("previews a segment", async () => {
    const res = await s.app.inject({
      method: "POST",
      url: "/api/segments/preview",
      headers: bearer(s.staff.token),
      payload: { filter: { sectors: ["lada"] } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ matched: 12, recipients: 10, leftOut: { optedOut: 1, blocked: 1 } });
    expect(s.fake.calls.at(-1)).toEqual({ method: "preview", staffId: null, args: [{ sectors: ["lada"] }] });
  });

  it.each([
    [
      "an empty textId",
      { ...valid, textId: "  " },
      "textId",
      "textId: Too small: expected string to have >=1 characters",
    ],
    [
      "an unknown filter key",
      { ...valid, filter: { programme: [1] } },
      "filter.programme",
      "filter.programme: Unknown field",
    ],
    [
      "a programme id that is not a number",
      { ...valid, filter: { programmeIds: ["x"] } },
      "filter.programmeIds.0",
      "filter.programmeIds.0: Invalid input: expected number, received string",
    ],
    ["no body", undefined, "body", "body: Invalid input: expected object, received undefined"],
  ])("refuses %s with a 400 naming the field", async (_what, payload, field, detail) => {
    const calls = s.fake.calls.length;
    const res = await s.app.inject({
      method: "POST",
      url: "/api/broadcasts",
      headers: bearer(s.staff.token),
      ...(payload ? { payload } : {}),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({ status: 400, title: "The request has invalid fields", detail });
    expect(problem.type).toMatch(/^tag:/);
    expect(problem.errors[0].field).toBe(field);
    expect(s.fake.calls.length).toBe(calls);
  });

  it("refuses malformed JSON, bad ids, bad queries and past times with 400 problems", async () => {
    const json = await s.app.inject({
      method: "POST",
      url: "/api/broadcasts",
      headers: { ...bearer(s.staff.token), "content-type": "application/json" },
      payload: '{"title": ',
    });
    expect(json.statusCode).toBe(400);
    expect(json.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(json.json()).toMatchObject({ status: 400, title: "The request body is not valid JSON" });

    const id = await s.app.inject({ method: "GET", url: "/api/broadcasts/abc", headers: bearer(s.staff.token) });
    expect(id.statusCode).toBe(400);
    expect(id.json()).toMatchObject({ detail: "id: Expected a positive whole number", errors: [{ field: "id" }] });
    const zero = await s.app.inject({
      method: "POST",
      url: "/api/broadcasts/0/cancel",
      headers: bearer(s.staff.token),
    });
    expect(zero.json().errors[0].field).toBe("id");

    const query = await s.app.inject({
      method: "GET",
      url: "/api/broadcasts?status=sent",
      headers: bearer(s.staff.token),
    });
    expect(query.statusCode).toBe(400);
    expect(query.json().errors[0].field).toBe("status");
    const limit = await s.app.inject({
      method: "GET",
      url: "/api/broadcasts?limit=1000",
      headers: bearer(s.staff.token),
    });
    expect(limit.json().errors[0].field).toBe("limit");

    const draft = (
      await s.app.inject({ method: "POST", url: "/api/broadcasts", headers: bearer(s.staff.token), payload: valid })
    ).json();
    const past = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${draft.id}/schedule`,
      headers: bearer(s.staff.token),
      payload: { at: "2020-01-01T09:00:00+07:00" },
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().errors[0].field).toBe("at");
    expect(past.json().detail).toMatch(/^at: This time has passed/);
    const local = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${draft.id}/schedule`,
      headers: bearer(s.staff.token),
      payload: { at: "2030-01-01T09:00:00" },
    });
    expect(local.json().detail).toMatch(/^at: Expected a date and time with its offset/);

    // No body, or a null time, is now.
    const now = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${draft.id}/schedule`,
      headers: bearer(s.staff.token),
    });
    expect(now.statusCode).toBe(200);
    expect(s.fake.calls.at(-1)).toEqual({ method: "schedule", staffId: s.staff.id, args: [draft.id, null] });
  });

  it("answers 404 problems for a missing broadcast or route, and maps service refusals", async () => {
    const missing = await s.app.inject({ method: "GET", url: "/api/broadcasts/999", headers: bearer(s.staff.token) });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(missing.json()).toMatchObject({ type: "about:blank", title: "Not Found", status: 404 });
    expect(missing.json().detail).toMatch(/999/);

    const action = await s.app.inject({
      method: "POST",
      url: "/api/broadcasts/999/resume",
      headers: bearer(s.staff.token),
    });
    expect(action.statusCode).toBe(404);
    expect(action.json()).toMatchObject({ status: 404, detail: "There is no broadcast 999." });

    const route = await s.app.inject({ method: "GET", url: "/api/nothing-here" });
    expect(route.statusCode).toBe(404);
    expect(route.headers["content-type"]).toMatch(/^application\/problem\+json/);

    // The admin approving their own broadcast: the service says no.
    const own = (
      await s.app.inject({ method: "POST", url: "/api/broadcasts", headers: bearer(s.admin.token), payload: valid })
    ).json();
    await s.app.inject({ method: "POST", url: `/api/broadcasts/${own.id}/schedule`, headers: bearer(s.admin.token) });
    const self = await s.app.inject({
      method: "POST",
      url: `/api/broadcasts/${own.id}/approve`,
      headers: bearer(s.admin.token),
    });
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ type: "tag:sapa-ikm,2026:problem:broadcast-same-approver", status: 403 });
  });

  it("answers 500 without details when the service fails unexpectedly", async () => {
    const original = s.fake.service.preview;
    s.fake.service.preview = async () => {
      throw new Error("connection to secret-host:5432 refused");
    };
    try {
      const res = await s.app.inject({
        method: "POST",
        url: "/api/segments/preview",
        headers: bearer(s.staff.token),
        payload: { filter: {} },
      });
      expect(res.statusCode).toBe(500);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(res.body).not.toContain("secret-host");
      expect(res.json()).toMatchObject({ type: "about:blank", status: 500 });
    } finally {
      s.fake.service.preview = original;
    }
  });

  it("describes itself as OpenAPI 3.1 at /api/docs, without a token", async () => {
    const res = await s.app.inject({ method: "GET", url: "/api/docs" });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/segments/preview",
        "/api/broadcasts",
        "/api/broadcasts/{id}",
        "/api/broadcasts/{id}/schedule",
        "/api/broadcasts/{id}/approve",
        "/api/broadcasts/{id}/pause",
        "/api/broadcasts/{id}/resume",
        "/api/broadcasts/{id}/cancel",
      ]),
    );
    expect(doc.paths["/api/broadcasts"]).toHaveProperty("get");
    expect(doc.paths["/api/broadcasts"]).toHaveProperty("post");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.schemas.BroadcastInput).toMatchObject({
      type: "object",
      required: expect.arrayContaining(["title", "textId", "filter"]),
      additionalProperties: false,
    });
    expect(doc.components.schemas.BroadcastView.properties.createdAt).toMatchObject({
      type: "string",
      format: "date-time",
    });
    // Every $ref points at something that exists.
    const refs = [...res.body.matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, kind, name] of refs) expect(doc.components[kind!][name!]).toBeDefined();
  });
});

describe("staff API (postgresql)", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp("postgresql");
  });
  afterAll(async () => {
    await s.app.close();
    await s.db.destroy();
  });

  it("authenticates and creates a broadcast", async () => {
    expect(
      (await s.app.inject({ method: "GET", url: "/api/broadcasts", headers: bearer("sapa_nope") })).statusCode,
    ).toBe(401);
    const res = await s.app.inject({
      method: "POST",
      url: "/api/broadcasts",
      headers: bearer(s.admin.token),
      payload: valid,
    });
    expect(res.statusCode).toBe(201);
    expect(s.fake.calls.at(-1)).toMatchObject({ method: "create", staffId: s.admin.id });
  });
});
