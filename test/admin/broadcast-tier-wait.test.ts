/**
 * The broadcast progress page says when WhatsApp's daily messaging limit holds the broadcast's
 * WhatsApp messages back (the outbox's note in Redis, messaging-tier.ts), and only then: not
 * before the limit is reached, not for a broadcast with no WhatsApp messages left to send.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaff } from "../../src/domain/staff.js";
import { countTierRecipient } from "../../src/outbox/messaging-tier.js";
import { providers } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { DashboardClient } from "../support/dashboard-client.js";

describe.each(providers)("the broadcast progress while WhatsApp's daily limit holds it (%s)", (provider) => {
  let testApp: TestApp;
  let client: DashboardClient;
  const admin = { email: "tier@example.go.id", name: "Admin Tier", password: "kata-sandi-panjang-1" };

  beforeAll(async () => {
    testApp = await startTestApp({ provider });
    await createStaff(testApp.app.database.prisma, { ...admin, role: "admin" });
    client = new DashboardClient(testApp.app.url);
    expect((await client.signIn(admin.email, admin.password)).status).toBe(303);
  });
  afterAll(async () => {
    await testApp?.stop();
  });

  /** A broadcast being sent with one message on `channel`, in `status`. */
  const broadcast = async (channel: string, status: "pending" | "sent") => {
    const db = testApp.app.database.prisma;
    const participant = await db.participant.create({ data: { name: "Ibu Tier", consentAt: new Date() } });
    const b = await db.broadcast.create({
      data: { title: `Siaran ${channel}`, textId: "Halo", filter: {}, status: "sending", startedAt: new Date() },
    });
    const message = await db.message.create({
      data: { direction: "outbound", channel, chatId: `tier-${b.id}`, text: "Halo", status: "queued" },
    });
    await db.outboxItem.create({
      data: { messageId: message.id, channel, chatId: `tier-${b.id}`, kind: "broadcast", priority: 20, status },
    });
    await db.broadcastRecipient.create({
      data: { broadcastId: b.id, participantId: participant.id, status: "queued", messageId: message.id },
    });
    return b.id;
  };
  const progress = async (id: number) =>
    (await (await client.get(`/dashboard/siaran/${id}/progres`)).json()) as { ok: boolean; tierWait: string | null };

  it("says it waits for WhatsApp's daily limit only while the limit is reached and WhatsApp messages are left", async () => {
    const waiting = await broadcast("whatsapp", "pending");
    const doneOnWhatsApp = await broadcast("whatsapp", "sent");
    const telegramOnly = await broadcast("telegram", "pending");
    expect(await progress(waiting)).toMatchObject({ ok: true, tierWait: null });
    // A limit of one person: the first is reached, the second waits, and the outbox notes it.
    const { redis, config } = testApp.app;
    expect(await countTierRecipient(redis, config.redis.prefix, "whatsapp:1", 1)).toEqual({ ok: true });
    expect(await countTierRecipient(redis, config.redis.prefix, "whatsapp:2", 1)).toMatchObject({ ok: false });
    expect((await progress(waiting)).tierWait).toMatch(
      /^Menunggu batas harian WhatsApp: 1 dari 1 orang sudah dihubungi dalam 24 jam terakhir\. Pesan WhatsApp dilanjutkan sekitar /,
    );
    expect(await progress(doneOnWhatsApp)).toMatchObject({ tierWait: null });
    expect(await progress(telegramOnly)).toMatchObject({ tierWait: null });
    const page = await (await client.get(`/dashboard/siaran/${waiting}`)).text();
    expect(page).toContain("Menunggu batas harian WhatsApp: 1 dari 1 orang");
  });
});
