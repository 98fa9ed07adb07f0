/**
 * The staff API against the real application (server, broadcast service, workers, outbox) on
 * SQLite and Redis: a token, a preview, a broadcast sent through the web chat channel to the
 * participants of one regency, its progress read back until it is done.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../src/domain/staff.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { addParticipants, addStaff } from "../support/population.js";
import { waitFor } from "../support/wait-for.js";

describe("broadcasting through the HTTP API", () => {
  let testApp: TestApp;
  let token: string;

  beforeAll(async () => {
    testApp = await startTestApp({ env: { QUIET_HOURS: "off" } });
    const db = testApp.app.database.prisma;
    await addParticipants(db, 40, {
      channel: "web",
      firstChatId: 70_000,
      regency: "Kabupaten Bangka Selatan",
      shape: (i) => ({ optedOut: i < 4 }),
    });
    await addParticipants(db, 10, { channel: "web", firstChatId: 80_000, regency: "Kota Pangkalpinang" });
    token = (await createApiToken(db, await addStaff(db, "Dewi"), "test")).token;
  });

  afterAll(() => testApp.stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${testApp.app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("previews, creates, sends and reports progress until done", async () => {
    const filter = { regencies: ["Kabupaten Bangka Selatan"] };
    expect(await call("POST", "/api/segments/preview", { filter })).toEqual({
      status: 200,
      body: { matched: 40, recipients: 36, leftOut: { optedOut: 4, blocked: 0 } },
    });
    const created = await call("POST", "/api/broadcasts", {
      title: "Undangan",
      textId: "Undangan bimtek minggu depan.",
      filter,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "draft", createdBy: { name: "Dewi" } });
    const id = created.body.id as number;
    const sent = await call("POST", `/api/broadcasts/${id}/schedule`, {});
    expect(sent.status).toBe(200);
    const done = await waitFor(
      async () => {
        const { body } = await call("GET", `/api/broadcasts/${id}`);
        return body.status === "done" ? body : null;
      },
      20_000,
      "broadcast done",
    );
    expect(done.progress).toMatchObject({ recipients: 36, sent: 36, failed: 0 });
    const messages = await testApp.app.database.prisma.message.findMany({
      where: { direction: "outbound", text: "Undangan bimtek minggu depan." },
    });
    expect(messages).toHaveLength(36);
    expect(messages.every((m) => m.chatId.startsWith("70") && m.status === "sent")).toBe(true);
    // Sent, it can be neither paused nor sent again.
    const again = await call("POST", `/api/broadcasts/${id}/pause`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/done/);
    const list = await call("GET", "/api/broadcasts?status=done");
    expect((list.body.broadcasts as { id: number }[]).map((b) => b.id)).toContain(id);
  });
});
