/**
 * Registered participants written straight to the database (not through the bot), for tests
 * that need many: one chat each, on one channel.
 */
import type { Db } from "../../src/db/database.js";

export type PopulationOptions = {
  channel: string;
  /** Chat ids are `${firstChatId + i}`. */
  firstChatId: number;
  /** Everyone's regency and sector unless `shape` says otherwise. */
  regency?: string;
  sector?: string;
  /** Per participant tweaks: opted out, English, another regency. */
  shape?: (i: number) => { optedOut?: boolean; language?: "id" | "en"; regency?: string; blocked?: boolean };
};

/** Adds `count` participants; returns their ids in order. */
export async function addParticipants(db: Db, count: number, options: PopulationOptions): Promise<number[]> {
  const now = new Date();
  const ids: number[] = [];
  for (let start = 0; start < count; start += 500) {
    const n = Math.min(500, count - start);
    const shapes = Array.from({ length: n }, (_, k) => options.shape?.(start + k) ?? {});
    const participants = await db.participant.createManyAndReturn({
      data: shapes.map((shape, k) => ({
        name: `Peserta ${options.firstChatId + start + k}`,
        businessName: "Usaha Uji",
        sector: options.sector ?? "lada",
        regency: shape.regency ?? options.regency ?? "Kabupaten Bangka Tengah",
        phone: `62812${String(options.firstChatId + start + k).padStart(8, "0")}`,
        language: shape.language ?? "id",
        consentAt: now,
        consentVersion: "2026-11",
        registeredAt: now,
        optedOutAt: shape.optedOut ? now : null,
      })),
      select: { id: true },
    });
    await db.channelIdentity.createMany({
      data: participants.map((p, k) => ({
        channel: options.channel,
        platformUserId: String(options.firstChatId + start + k),
        chatId: String(options.firstChatId + start + k),
        participantId: p.id,
        blockedAt: shapes[k]!.blocked ? now : null,
      })),
    });
    ids.push(...participants.map((p) => p.id));
  }
  return ids;
}

/** A staff member with an unusable password (tests sign in with tokens or chat links). */
export async function addStaff(db: Db, name: string, role: "admin" | "staff" = "staff"): Promise<number> {
  const staff = await db.staff.create({
    data: { email: `${name.toLowerCase().replace(/\W+/g, ".")}@example.go.id`, name, role, passwordHash: "!" },
  });
  return staff.id;
}
