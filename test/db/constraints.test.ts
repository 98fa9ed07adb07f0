import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

describe.each(providers)("unique constraints on %s", (provider) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(provider);
  });
  afterAll(() => db.destroy());

  it("refuse a second enrollment of one participant in one training session", async () => {
    const p = db.prisma;
    const participant = await p.participant.create({ data: { name: "Siti" } });
    const programme = await p.programme.create({
      data: {
        slug: "uji",
        sector: "lada",
        titleId: "Uji",
        titleEn: "Test",
        descriptionId: "-",
        descriptionEn: "-",
        reminderOffsets: [],
      },
    });
    const session = await p.trainingSession.create({
      data: {
        code: "uji-1",
        programmeId: programme.id,
        startsAt: new Date("2026-12-01T02:00:00Z"),
        endsAt: new Date("2026-12-01T08:00:00Z"),
        venue: "Aula",
        address: "Koba",
        regency: "Kabupaten Bangka Tengah",
        capacity: 20,
      },
    });
    const enrollment = { participantId: participant.id, trainingSessionId: session.id, status: "enrolled" as const };
    await p.enrollment.create({ data: enrollment });
    await expect(p.enrollment.create({ data: { ...enrollment, status: "waitlisted" } })).rejects.toMatchObject({
      code: "P2002",
    });
    expect(await p.enrollment.count()).toBe(1);
  });

  it("refuse a second inbound message with the same platform id on one channel", async () => {
    const p = db.prisma;
    const message = {
      direction: "inbound" as const,
      channel: "telegram",
      chatId: "42",
      text: "halo",
      platformMessageId: "42:1001",
      status: "received" as const,
    };
    await p.message.create({ data: message });
    await expect(p.message.create({ data: message })).rejects.toMatchObject({ code: "P2002" });
    // The same id on another channel is another message.
    await p.message.create({ data: { ...message, channel: "whatsapp" } });
    expect(await p.message.count({ where: { platformMessageId: "42:1001" } })).toBe(2);
  });
});
