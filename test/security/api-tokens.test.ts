/**
 * API tokens and the two-person rule (issue 15, items 4 and 8). The probe had an admin mint an
 * API token for a staff member, draft a broadcast with it, and approve it with their own: one
 * person passed a rule meant for two. Now tokens (and chat link codes) are made by their owner
 * only, every audited API action names the token it came through, and a deactivated account's
 * tokens are revoked for good, so reactivating it brings none back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createApiToken, createStaff, revokeApiToken } from "../../src/domain/staff.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { DashboardClient } from "../support/dashboard-client.js";
import { providers } from "../support/databases.js";
import { addParticipants } from "../support/population.js";

const password = "lada-putih-bangka-2026";
/** A signed-in dashboard session over fetch. */
async function signIn(baseUrl: string, email: string) {
  const client = new DashboardClient(baseUrl);
  expect((await client.signIn(email, password)).status).toBe(303);
  const get = async (path: string) => {
    const page = await client.get(path);
    expect(page.status, path).toBe(200);
    return page.text();
  };
  const post = (path: string, fields: Record<string, string> = {}, from = "/dashboard") =>
    client.submit(path, fields, from);
  /** Makes an API token on one's own "Akses saya" page and returns it. */
  const ownToken = async (name: string) => {
    const res = await post("/dashboard/akses-saya/token", { name }, "/dashboard/akses-saya");
    expect(res.status).toBe(200);
    return /data-secret="api-token">([^<]+)</.exec(await res.text())![1]!;
  };
  return { get, post, ownToken };
}

describe.each(providers)("API tokens on %s", (provider) => {
  let testApp: TestApp;
  let app: App;
  const ids = { siti: 0, ani: 0, budi: 0 };
  const api = (token: string, path: string, body?: unknown) =>
    fetch(`${app.url}/api${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    testApp = await startTestApp({ provider, env: { BROADCAST_APPROVAL_THRESHOLD: "2", QUIET_HOURS: "off" } });
    app = testApp.app;
    const db = app.database.prisma;
    ids.siti = (await createStaff(db, { email: "siti@disperindag.example", name: "Siti", role: "admin", password })).id;
    ids.ani = (await createStaff(db, { email: "ani@disperindag.example", name: "Ani", role: "admin", password })).id;
    ids.budi = (await createStaff(db, { email: "budi@disperindag.example", name: "Budi", role: "staff", password })).id;
    await addParticipants(db, 3, { channel: "web", firstChatId: 5100 });
  }, 60_000);

  afterAll(async () => {
    await testApp?.stop();
  });

  it("lets no admin make an API token or a link code for someone else, on the dashboard or the API", async () => {
    const db = app.database.prisma;
    const siti = await signIn(app.url, "siti@disperindag.example");
    const page = await siti.get(`/dashboard/staf/${ids.budi}`);
    expect(page).not.toContain(`action="/dashboard/staf/${ids.budi}/token"`);
    expect(page).toContain("hanya dapat dibuat oleh pemilik akun sendiri");
    // A form made by hand is refused, and nothing is made.
    const from = `/dashboard/staf/${ids.budi}`;
    for (const path of [`${from}/token`, `${from}/kode-tautan`]) {
      const res = await siti.post(path, { name: "atas nama Budi" }, from);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe(from);
    }
    expect(await db.apiToken.count({ where: { staffId: ids.budi } })).toBe(0);
    expect(await db.staffLinkCode.count({ where: { staffId: ids.budi } })).toBe(0);
    expect(await siti.get(from)).toContain("hanya dapat dibuat oleh pemilik akun sendiri");

    // The API makes no tokens at all: a token cannot beget tokens, for anyone.
    const token = await siti.ownToken("skrip siti");
    const minted = await api(token, "/tokens", { name: "atas nama Budi", staffId: ids.budi });
    expect(minted.status).toBe(404);
    expect(await db.apiToken.count({ where: { staffId: ids.budi } })).toBe(0);
    expect(await db.apiToken.count({ where: { staffId: ids.siti } })).toBe(1);
  });

  it("records the token behind every API action, shows it on the audit page, and refuses approving one's own broadcast", async () => {
    const db = app.database.prisma;
    const aniToken = (await createApiToken(db, ids.ani, "skrip ani")).token;
    const sitiToken = (await createApiToken(db, ids.siti, "persetujuan siti")).token;
    const siti = await signIn(app.url, "siti@disperindag.example");
    const created = await api(aniToken, "/broadcasts", {
      title: "Jadwal bimtek",
      textId: "Jadwal bimtek diundur sepekan.",
      filter: {},
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const submitted = await api(aniToken, `/broadcasts/${id}/schedule`, {});
    expect(((await submitted.json()) as { status: string }).status).toBe("pending_approval");
    // Its author, an admin, cannot approve it.
    expect((await api(aniToken, `/broadcasts/${id}/approve`, {})).status).toBe(403);
    expect((await api(sitiToken, `/broadcasts/${id}/approve`, {})).status).toBe(200);

    const aniRow = await db.apiToken.findFirstOrThrow({ where: { staffId: ids.ani } });
    const sitiRow = await db.apiToken.findFirstOrThrow({ where: { staffId: ids.siti, name: "persetujuan siti" } });
    const entries = await db.auditLog.findMany({ where: { target: `broadcast:${id}` }, orderBy: { id: "asc" } });
    expect(entries.map((e) => [e.action, e.staffId, e.detail])).toEqual([
      [
        "broadcast.create",
        ids.ani,
        expect.objectContaining({ via: "api_token", tokenId: aniRow.id, tokenName: "skrip ani" }),
      ],
      [
        "broadcast.submit",
        ids.ani,
        expect.objectContaining({ via: "api_token", tokenId: aniRow.id, tokenName: "skrip ani" }),
      ],
      [
        "broadcast.approve",
        ids.siti,
        expect.objectContaining({ via: "api_token", tokenId: sitiRow.id, tokenName: "persetujuan siti" }),
      ],
    ]);

    const audit = await siti.get("/dashboard/audit?aksi=broadcast.");
    expect(audit).toContain(`lewat token API &quot;skrip ani&quot; (#${aniRow.id})`);
    expect(audit).toContain(`lewat token API &quot;persetujuan siti&quot; (#${sitiRow.id})`);
  });

  it("refuses the approval of the admin who submitted a colleague's draft", async () => {
    const db = app.database.prisma;
    const budi = await createApiToken(db, ids.budi, "skrip budi");
    const budiToken = budi.token;
    const aniToken = (await createApiToken(db, ids.ani, "kirim ani")).token;
    const sitiToken = (await createApiToken(db, ids.siti, "setuju siti")).token;
    const created = await api(budiToken, "/broadcasts", { title: "Pelatihan", textId: "Pelatihan AC.", filter: {} });
    const { id } = (await created.json()) as { id: number };
    // Ani (admin) sends Budi's draft for approval, and may not then approve it herself.
    const submitted = await api(aniToken, `/broadcasts/${id}/schedule`, {});
    expect(((await submitted.json()) as { status: string }).status).toBe("pending_approval");
    const refused = await api(aniToken, `/broadcasts/${id}/approve`, {});
    expect(refused.status).toBe(403);
    expect((await db.broadcast.findUniqueOrThrow({ where: { id } })).status).toBe("pending_approval");
    expect((await api(sitiToken, `/broadcasts/${id}/approve`, {})).status).toBe(200);
    // Budi's account is deactivated in the next test, which counts the tokens it revokes.
    await revokeApiToken(db, budi.id);
  });

  it("revokes a deactivated account's tokens and unlinks its chats for good: reactivated, the old token gets 401", async () => {
    const db = app.database.prisma;
    const { token } = await createApiToken(db, ids.budi, "laporan budi");
    await db.staffIdentity.create({ data: { staffId: ids.budi, channel: "telegram", platformUserId: "88001" } });
    expect((await api(token, "/broadcasts")).status).toBe(200);

    const siti = await signIn(app.url, "siti@disperindag.example");
    const member = `/dashboard/staf/${ids.budi}`;
    expect((await siti.post(`${member}/status`, { active: "false" }, member)).status).toBe(303);
    expect((await siti.post(`${member}/status`, { active: "true" }, member)).status).toBe(303);
    expect((await db.staff.findUniqueOrThrow({ where: { id: ids.budi } })).active).toBe(true);
    expect((await api(token, "/broadcasts")).status).toBe(401);
    expect((await db.apiToken.findFirstOrThrow({ where: { staffId: ids.budi } })).revokedAt).not.toBeNull();
    expect(await db.staffIdentity.count({ where: { staffId: ids.budi } })).toBe(0);
    const deactivated = await db.auditLog.findFirstOrThrow({ where: { action: "staff.deactivate" } });
    expect(deactivated.detail).toEqual({ revokedTokens: 1, unlinkedChats: 1 });

    // An account deactivated before this release (straight in the database): its token is
    // revoked when it is next shown, and stays so once the account is active again.
    const dewi = await createStaff(db, { email: "dewi@disperindag.example", name: "Dewi", role: "staff", password });
    const old = await createApiToken(db, dewi.id, "lama");
    await db.staff.update({ where: { id: dewi.id }, data: { active: false } });
    expect((await api(old.token, "/broadcasts")).status).toBe(401);
    await db.staff.update({ where: { id: dewi.id }, data: { active: true } });
    expect((await api(old.token, "/broadcasts")).status).toBe(401);
  });
});
