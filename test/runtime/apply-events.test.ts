/**
 * What a participant is told when the domain says no to an enrollment or a move: the events
 * applied as a turn applies them, and the replies it would send.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAtomically } from "../../src/db/raw-sql.js";
import type { EngineEvent } from "../../src/engine/types.js";
import { applyEvents, planEvents, type TurnScope } from "../../src/runtime/apply-events.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { addParticipant, addProgramme } from "../support/programme-sessions.js";

const now = new Date("2026-11-27T03:00:00Z");

describe.each(providers)("enrollment answers on %s", (provider) => {
  let db: TestDatabase;
  let participantId: number;
  let identityId: number;
  let sessions: number[];
  let held: number;

  const scope = (language: "id" | "en" = "id"): TurnScope => ({
    database: db,
    provider,
    now,
    channel: "web",
    chatId: "siti",
    identityId,
    participantId,
    language,
  });
  const planned = async (event: EngineEvent, language: "id" | "en" = "id") =>
    (await runAtomically(db, () => planEvents(scope(language), [event]))).outgoing.map((o) => o.message.text);
  const applied = async (event: EngineEvent) =>
    (
      await db.prisma.$transaction((tx) => applyEvents(tx, scope(), [event]), { timeout: 20_000, maxWait: 20_000 })
    ).outgoing.map((o) => o.message.text);

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    participantId = await addParticipant(db.prisma, "Siti Aminah");
    identityId = (
      await db.prisma.channelIdentity.create({
        data: { channel: "web", platformUserId: "siti", chatId: "siti", participantId },
      })
    ).id;
    ({ sessionIds: sessions } = await addProgramme(db.prisma, now, {
      title: { id: "Produksi Konveksi", en: "Garment Production" },
      sessions: [{ daysAhead: 7 }, { daysAhead: 14 }, { daysAhead: 21, status: "cancelled" }],
    }));
    held = (
      await db.prisma.enrollment.create({
        data: { participantId, trainingSessionId: sessions[0]!, status: "enrolled" },
      })
    ).id;
  });
  afterAll(() => db?.destroy());

  it("names the session held when a second one of the programme is asked for", async () => {
    expect(await planned({ type: "enrollment_requested", trainingSessionId: sessions[1]! })).toEqual([
      "Anda sudah terdaftar di *Produksi Konveksi* untuk jadwal Jumat, 4 Desember 2026 pukul 10.00 WIB, dan sudah mencapai batas jadwal untuk program ini. Jika ingin pindah jadwal, silakan pilih jadwal yang baru lewat menu Daftar pelatihan.",
    ]);
    expect(await planned({ type: "enrollment_requested", trainingSessionId: sessions[1]! }, "en")).toEqual([
      "You are already enrolled in *Garment Production* on Friday, 4 December 2026 at 10:00 WIB, the most sessions of this programme you can hold. To change to another session, choose the new one under Enroll in training.",
    ]);
    expect(await db.prisma.enrollment.count({ where: { trainingSessionId: sessions[1]! } })).toBe(0);
  });

  it("says so when a move cannot be made, and the old place stays", async () => {
    expect(
      await applied({ type: "enrollment_move_requested", enrollmentId: held, trainingSessionId: sessions[2]! }),
    ).toEqual(["Maaf, jadwal baru itu sudah tidak bisa didaftari. Pendaftaran lama Anda tetap berlaku."]);
    expect(
      await applied({ type: "enrollment_move_requested", enrollmentId: 999_999, trainingSessionId: sessions[1]! }),
    ).toEqual([
      "Pendaftaran lama Anda sudah tidak aktif, jadi tidak ada yang dipindah. Silakan pilih jadwal lagi lewat menu Daftar pelatihan.",
    ]);
    expect(
      await applied({ type: "enrollment_move_requested", enrollmentId: held, trainingSessionId: sessions[0]! }),
    ).toEqual(["Anda sudah terdaftar di jadwal ini."]);
    const enrollment = await db.prisma.enrollment.findUniqueOrThrow({ where: { id: held } });
    expect(enrollment.status).toBe("enrolled");
  });
});
