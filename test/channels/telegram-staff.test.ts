/**
 * A staff member on Telegram, end to end against the fake Bot API server: links their account
 * with a one-time code, then broadcasts with the wizard's buttons to "everyone enrolled in the
 * pepper programme in Bangka Tengah who has not confirmed", and follows it with /status.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createLinkCode } from "../../src/domain/staff.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { entityTexts } from "../support/telegram-html.js";
import { addParticipants, addStaff } from "../support/population.js";
import { buttons, person } from "../support/telegram-person.js";
import { waitFor } from "../support/wait-for.js";

describe("a staff broadcast from Telegram", () => {
  let fake: FakeTelegram;
  let testApp: TestApp;
  let app: App;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    testApp = await startTestApp({
      env: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, QUIET_HOURS: "off" },
    });
    app = testApp.app;
    await waitFor(() => app.bot.channelStatus().telegram?.state === "ready", 10_000, "telegram ready");
  });

  afterAll(async () => {
    await testApp.stop();
    await fake.close();
  });

  it("links the account, sends to the unconfirmed of a programme in one regency, shows the progress", async () => {
    const db = app.database.prisma;
    const lada = await db.programme.findUniqueOrThrow({ where: { slug: "lada-bangka-tengah" } });
    const session = await db.trainingSession.findFirstOrThrow({ where: { programmeId: lada.id } });
    // Six participants on Telegram in Bangka Tengah: three enrolled and unconfirmed, one
    // confirmed, one only waiting, one not enrolled; and one unconfirmed elsewhere.
    const ids = await addParticipants(db, 6, { channel: "telegram", firstChatId: 9100 });
    const [elsewhere] = await addParticipants(db, 1, {
      channel: "telegram",
      firstChatId: 9200,
      regency: "Kabupaten Belitung",
    });
    await db.enrollment.createMany({
      data: [
        ...ids
          .slice(0, 3)
          .map((participantId) => ({ participantId, trainingSessionId: session.id, status: "enrolled" as const })),
        {
          participantId: ids[3]!,
          trainingSessionId: session.id,
          status: "enrolled" as const,
          rsvp: "confirmed" as const,
        },
        { participantId: ids[4]!, trainingSessionId: session.id, status: "waitlisted" as const, waitlistPosition: 1 },
        { participantId: elsewhere!, trainingSessionId: session.id, status: "enrolled" as const },
      ],
    });

    const staffId = await addStaff(db, "Rina");
    const { code } = await createLinkCode(db, staffId);
    const rina = person(fake, app, 9001, "Rina");
    expect((await rina.say(`/tautkan ${code}`))[0]!.text).toContain("terhubung dengan akun staf Rina");

    expect((await rina.say("/siaran"))[0]!.text).toMatch(/^📢 Siaran baru/);
    await rina.say("Mohon membawa contoh produk lada ke pelatihan.");
    const target = await rina.press("no");
    expect(buttons(target.at(-1))).toContain(`p${lada.id}`);
    const audience = await rina.press(`p${lada.id}`);
    expect(buttons(audience.at(-1))[0]).toBe("unconfirmed");
    const regency = await rina.press("unconfirmed");
    const preview = await rina.press("r3");
    // The count in bold, as Telegram shows it: no stars.
    expect(preview[0]!.text).toContain("Penerima: 3 orang");
    expect(entityTexts(preview[0]!, "bold")).toEqual(["3"]);
    expect(preview[0]!.text).toContain("Kabupaten Bangka Tengah");
    expect(regency[0]!.text).toBe("Di kabupaten/kota mana?");
    expect((await rina.press("send"))[0]!.text).toMatch(/^✅ Siaran #\d+ mulai dikirim/);

    const text = "Mohon membawa contoh produk lada ke pelatihan.";
    await waitFor(() => [9100, 9101, 9102].every((chat) => fake.sentTo(chat).some((m) => m.text === text)), 10_000);
    for (const chat of [9103, 9104, 9105, 9200]) expect(fake.sentTo(chat).some((m) => m.text === text)).toBe(false);
    await waitFor(async () => (await db.broadcast.findFirst())?.status === "done", 10_000, "broadcast done");
    const status = await rina.say("/status");
    expect(status[0]!.text).toMatch(
      /#\d+ Mohon membawa contoh produk lada ke pelatihan\. \(selesai\): 3 dari 3 terkirim/,
    );
  });
});
