/// <reference lib="dom" />
/**
 * Program & Jadwal against the real application (SQLite, real Redis, the bot's workers), in
 * Debian's Chromium on a phone-sized screen: a staff member creates a programme and a session
 * through the forms, two participants enroll through the web chat (one gets the seat, one
 * waits), the session is moved (with its confirmation) and they are told, attendance is marked
 * and the roster exported as CSV. Screenshots go to docs/screenshots/.
 */
import { parse } from "csv-parse/sync";
import { DateTime } from "luxon";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createStaff } from "../../src/domain/staff.js";
import { rosterCsvHeader } from "../../src/domain/roster.js";
import { launchBrowser, phoneViewport, screenshot, signIn } from "../support/browser.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { waitFor } from "../support/wait-for.js";

const officer = { email: "rina@disperindag.example", name: "Rina Wulandari", password: "reparasi-ac-pangkal-2026" };
const zone = "Asia/Makassar";
/** Ten days ahead at 09:00 WITA, as a datetime-local field takes it. */
const start = DateTime.now().setZone(zone).plus({ days: 10 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
const local = (d: DateTime) => d.toFormat("yyyy-MM-dd'T'HH:mm");

type BotMessage = { id: number; text: string; choices: { id: string; label: string }[] | null };

describe("Program & Jadwal: programmes, sessions, roster, attendance, CSV, moving", () => {
  let testApp: TestApp;
  let app: App;
  let browser: Browser;
  let page: Page;
  let programmeId: number;
  let sessionId: number;
  const code = "sablon-pangkalpinang-1";

  beforeAll(async () => {
    testApp = await startTestApp();
    app = testApp.app;
    await createStaff(app.database.prisma, { ...officer, role: "staff" });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: phoneViewport });
    page = await context.newPage();
    await signIn(page, app.url, officer.email, officer.password);
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.stop();
  });

  const cookie = async () => (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const flash = () => page.locator(".flash").innerText();
  const submit = (label: string) =>
    Promise.all([page.waitForEvent("load"), page.locator("button[type=submit]", { hasText: label }).click()]);

  it("creates a programme and a session through the forms, with errors next to the fields", async () => {
    await page.goto(`${app.url}/dashboard/program`);
    await Promise.all([page.waitForEvent("load"), page.click("text=Program baru")]);
    await page.fill("#field-titleId", "Sablon Kaos");
    await page.fill("#field-titleEn", "T-shirt Screen Printing");
    await page.fill("#field-slug", "Sablon Pangkalpinang");
    await page.selectOption("#field-sector", "konveksi");
    await page.selectOption("#field-regency", "Kota Pangkalpinang");
    await page.fill("#field-descriptionId", "Bimbingan teknis sablon kaos untuk pelaku IKM konveksi.");
    await page.fill("#field-descriptionEn", "Technical training in T-shirt screen printing for garment businesses.");
    await page.selectOption("#field-timeZone", zone);
    // One session per participant unless staff say otherwise.
    expect(await page.inputValue("#field-seatsPerParticipant")).toBe("1");
    await page.fill("#field-seatsPerParticipant", "11");
    await submit("Buat program");
    // A code with spaces is refused, next to its field, and what was typed stays.
    expect(await page.locator("#field-slug-error").innerText()).toContain("huruf kecil, angka dan tanda hubung");
    expect(await page.locator("#field-seatsPerParticipant-error").innerText()).toBe(
      "Paling banyak 10 jadwal per peserta.",
    );
    expect(await page.inputValue("#field-titleId")).toBe("Sablon Kaos");
    await page.fill("#field-slug", "sablon-pangkalpinang");
    await page.fill("#field-seatsPerParticipant", "2");
    await submit("Buat program");
    expect(await flash()).toContain('Program "Sablon Kaos" dibuat.');
    const programme = await app.database.prisma.programme.findUniqueOrThrow({
      where: { slug: "sablon-pangkalpinang" },
    });
    programmeId = programme.id;
    expect(programme).toMatchObject({ sector: "konveksi", timeZone: zone, active: true, seatsPerParticipant: 2 });
    // Back to one, on the edit form.
    await page.goto(`${app.url}/dashboard/program/${programmeId}/ubah`);
    expect(await page.inputValue("#field-seatsPerParticipant")).toBe("2");
    await page.fill("#field-seatsPerParticipant", "1");
    await submit("Simpan perubahan");
    expect(await flash()).toContain('Program "Sablon Kaos" disimpan.');
    const saved = await app.database.prisma.programme.findUniqueOrThrow({ where: { id: programmeId } });
    expect(saved.seatsPerParticipant).toBe(1);
    const change = await app.database.prisma.auditLog.findFirstOrThrow({ where: { action: "programme.updated" } });
    expect(change.detail).toEqual({ seatsPerParticipant: { from: 2, to: 1 } });

    await Promise.all([
      page.waitForEvent("load"),
      page.locator(`#program-${programmeId} a`, { hasText: "Tambah jadwal" }).click(),
    ]);
    expect(await page.inputValue("#field-code")).toBe(code);
    await page.fill("#field-startsAt", local(start));
    await page.fill("#field-endsAt", local(start.set({ hour: 15 })));
    await page.fill("#field-venue", "Aula Dinas Perindag");
    await page.fill("#field-address", "Jl. Pulau Bangka No. 1, Pangkalpinang");
    await page.fill("#field-mapUrl", "https://maps.example.org/aula");
    await page.fill("#field-capacity", "1");
    await submit("Buat jadwal");
    expect(await flash()).toMatch(/^Jadwal \w+, \d+ \w+ \d{4} pukul 09\.00 WITA dibuat/);
    const session = await app.database.prisma.trainingSession.findUniqueOrThrow({ where: { code } });
    sessionId = session.id;
    expect(session.startsAt.toISOString()).toBe(start.toUTC().toISO());
    expect(session).toMatchObject({ capacity: 1, regency: "Kota Pangkalpinang", status: "scheduled" });

    await page.goto(`${app.url}/dashboard/program`);
    const row = page.locator(`tr[data-session="${code}"]`);
    expect(await row.innerText()).toContain("Aula Dinas Perindag");
    expect(await row.innerText()).toContain("0 / 1");
    await screenshot(page, "programmes");
    const actions = (await app.database.prisma.auditLog.findMany({ orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["programme.created", "training_session.created"]));
  });

  /** Talks to the public web chat API as the chat page does; returns the bot's replies. */
  /** The web chats of Ani and Budi, who enroll below: made by the server. */
  const chats: Record<string, string> = {};

  async function chat(who: string) {
    const session = await fetch(`${app.url}/api/webchat/sessions`, { method: "POST" });
    const { chatId, token } = (await session.json()) as { chatId: string; token: string };
    chats[who] = chatId;
    const authorization = `Bearer ${token}`;
    let after = 0;
    return async (body: unknown): Promise<BotMessage[]> => {
      const sent = await fetch(`${app.url}/api/webchat/${chatId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: JSON.stringify(body),
      });
      expect(sent.status).toBe(202);
      const replies: BotMessage[] = [];
      for (let wait = 5; ; wait = 0.3) {
        const res = await fetch(`${app.url}/api/webchat/${chatId}/messages?after=${after}&wait=${wait}`, {
          headers: { authorization },
        });
        const { messages } = (await res.json()) as { messages: BotMessage[] };
        if (!messages.length) return replies;
        replies.push(...messages);
        after = messages[messages.length - 1]!.id;
      }
    };
  }

  async function registerAndEnroll(name: string, business: string, phone: string) {
    const say = await chat(name);
    for (const body of [
      { text: "Halo" },
      { choice: "yes" },
      { text: name },
      { text: business },
      { choice: "konveksi" },
      { choice: "Kota Pangkalpinang" },
      { text: phone },
      { choice: "no" },
      { choice: "yes" },
      { choice: "enrollment" },
      { choice: `p${programmeId}` },
      { choice: `s${sessionId}` },
    ])
      await say(body);
    return (await say({ choice: "yes" })).map((m) => m.text).join("\n");
  }

  it("shows participants who enroll through the web chat on the roster, the second on the waiting list", async () => {
    // One after the other, so the seat goes to the first.
    expect(await registerAndEnroll("Ani Suryani", "-Jahit Ani-", "0812-7777-8888")).toMatch(
      /✅ Anda terdaftar di Sablon Kaos,/,
    );
    expect(await registerAndEnroll("Budi Hartono", "Konveksi Budi", "0813-1111-2222")).toMatch(/daftar tunggu nomor 1/);
    await page.goto(`${app.url}/dashboard/program/jadwal/${sessionId}`);
    const roster = await page.locator("main").innerText();
    expect(roster).toContain("Ani Suryani");
    expect(roster).toContain("-Jahit Ani-");
    expect(roster).toContain("Belum menjawab");
    expect(await page.locator('[data-figure="seats"]').innerText()).toBe("1 / 1");
    expect(await page.locator('[data-figure="waitlisted"]').innerText()).toBe("1");
    const waiting = await page.locator("section[aria-labelledby=daftar-tunggu] tbody tr").allInnerTexts();
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toContain("1. Budi Hartono");
    // Staff see the phone number in full, to call.
    const ani = await app.database.prisma.participant.findFirstOrThrow({ where: { name: "Ani Suryani" } });
    expect(ani.phone).toBeTruthy();
    expect(roster).toContain(ani.phone!);
  });

  it("moves the session after a confirmation with the count, and the participants are told", async () => {
    await page.goto(`${app.url}/dashboard/program/jadwal/${sessionId}`);
    await Promise.all([page.waitForEvent("load"), page.click("text=Pindahkan jadwal")]);
    // A time already past is refused.
    await page.fill("#field-startsAt", local(DateTime.now().setZone(zone).minus({ days: 1 })));
    await submit("Lanjut");
    expect(await page.locator("#field-startsAt-error").innerText()).toContain("Waktu ini sudah lewat");
    const moved = start.plus({ days: 1 }).set({ hour: 10 });
    await page.fill("#field-startsAt", local(moved));
    await submit("Lanjut");
    expect(await page.locator('[data-figure="notified"]').innerText()).toContain(
      "2 peserta akan diberi tahu waktu barunya: 1 terdaftar dan 1 di daftar tunggu.",
    );
    expect(await page.locator('[data-time="old"]').innerText()).toContain("pukul 09.00 WITA");
    expect(await page.locator('[data-time="new"]').innerText()).toContain("pukul 10.00 WITA");
    // Nothing has changed yet.
    const before = await app.database.prisma.trainingSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(before.startsAt.toISOString()).toBe(start.toUTC().toISO());

    await submit("Ya, pindahkan");
    expect(await flash()).toContain("2 peserta diberi tahu.");
    expect(await page.locator('[data-time="starts"]').innerText()).toContain("pukul 10.00 WITA");
    const after = await app.database.prisma.trainingSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(after.startsAt.toISOString()).toBe(moved.toUTC().toISO());
    expect(after.endsAt.getTime() - after.startsAt.getTime()).toBe(6 * 3_600_000);
    for (const chatId of [chats["Ani Suryani"], chats["Budi Hartono"]]) {
      const notice = await waitFor(() =>
        app.database.prisma.message.findFirst({
          where: { direction: "outbound", chatId, text: { startsWith: "📅 Jadwal berubah" } },
        }),
      );
      expect(notice.text).toContain("pukul 10.00 WITA di Aula Dinas Perindag");
    }
  });

  it("marks attendance from the day of the session and stores it", async () => {
    // Before its day there is nothing to mark.
    expect(await page.locator('input[type=radio][value="attended"]').count()).toBe(0);
    // The day comes: the session started an hour ago.
    const started = new Date(Date.now() - 3_600_000);
    await app.database.prisma.trainingSession.update({
      where: { id: sessionId },
      data: { startsAt: started, endsAt: new Date(started.getTime() + 6 * 3_600_000) },
    });
    await page.goto(`${app.url}/dashboard/program/jadwal/${sessionId}`);
    const ani = await app.database.prisma.enrollment.findFirstOrThrow({
      where: { trainingSessionId: sessionId, status: "enrolled" },
    });
    await page.check(`input[name="e${ani.id}"][value="attended"]`);
    await submit("Simpan kehadiran");
    expect(await flash()).toBe("Kehadiran disimpan: 1 hadir, 0 tidak hadir.");
    expect(await page.locator(`tr[data-enrollment="${ani.id}"] [data-status]`).innerText()).toBe("Hadir");
    expect(await page.isChecked(`input[name="e${ani.id}"][value="attended"]`)).toBe(true);
    expect((await app.database.prisma.enrollment.findUniqueOrThrow({ where: { id: ani.id } })).status).toBe("attended");
    const log = await app.database.prisma.auditLog.findFirstOrThrow({
      where: { action: "enrollment.attendance_marked" },
    });
    expect(log.detail).toEqual({ attended: [ani.id], absent: [] });
    await screenshot(page, "roster");
  });

  it("exports the roster as CSV with a BOM, Indonesian headers and formulas neutralized", async () => {
    const res = await fetch(`${app.url}/dashboard/program/jadwal/${sessionId}/csv`, {
      headers: { cookie: await cookie() },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="peserta-${code}.csv"`);
    const body = Buffer.from(await res.arrayBuffer());
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(body.toString("utf8").slice(1)) as string[][];
    expect(rows[0]).toEqual(rosterCsvHeader);
    expect(rows[0]).toEqual([
      "no",
      "nama",
      "nama usaha",
      "sektor",
      "kabupaten/kota",
      "nomor HP",
      "status",
      "konfirmasi kehadiran",
      "posisi daftar tunggu",
      "waktu check-in",
    ]);
    const ani = await app.database.prisma.participant.findFirstOrThrow({ where: { name: "Ani Suryani" } });
    expect(rows[1]).toEqual([
      "1",
      "Ani Suryani",
      "'-Jahit Ani-",
      "Konveksi (garmen)",
      "Kota Pangkalpinang",
      /^[=+\-@]/.test(ani.phone!) ? `'${ani.phone}` : ani.phone,
      "hadir",
      "",
      "",
      "ditandai staf",
    ]);
    expect(rows[2]).toMatchObject({ 0: "2", 1: "Budi Hartono", 6: "daftar tunggu", 8: "1" });
    expect(rows).toHaveLength(3);
  });

  it("refuses a form sent without its CSRF token with a 403 page", async () => {
    const res = await fetch(`${app.url}/dashboard/program/jadwal/${sessionId}/kehadiran`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: await cookie(), "content-type": "application/x-www-form-urlencoded" },
      body: "e1=absent",
    });
    expect(res.status).toBe(403);
    const enrollments = await app.database.prisma.enrollment.findMany({ where: { trainingSessionId: sessionId } });
    expect(enrollments.map((e) => e.status).sort()).toEqual(["attended", "waitlisted"]);
  });

  it("gives new seats to the waiting list when the capacity is raised, and tells them", async () => {
    // Back to a start ahead, as a session that has not begun yet.
    const ahead = start.plus({ days: 2 }).toJSDate();
    await app.database.prisma.trainingSession.update({
      where: { id: sessionId },
      data: { startsAt: ahead, endsAt: new Date(ahead.getTime() + 6 * 3_600_000) },
    });
    await page.goto(`${app.url}/dashboard/program/jadwal/${sessionId}`);
    await Promise.all([page.waitForEvent("load"), page.click("text=Ubah tempat atau kapasitas")]);
    await page.fill("#field-capacity", "0");
    await submit("Simpan perubahan");
    expect(await page.locator("#field-capacity-error").innerText()).toBe("Paling sedikit 1 kursi.");
    await page.fill("#field-capacity", "2");
    await submit("Simpan perubahan");
    expect(await flash()).toBe("Jadwal disimpan. 1 peserta dari daftar tunggu mendapat kursi dan diberi tahu.");
    expect(await page.locator('[data-figure="waitlisted"]').innerText()).toBe("0");
    const budi = await app.database.prisma.enrollment.findFirstOrThrow({
      where: { trainingSessionId: sessionId, participant: { name: "Budi Hartono" } },
      include: { reminders: true },
    });
    expect(budi).toMatchObject({ status: "enrolled", waitlistPosition: null });
    expect(budi.reminders.length).toBeGreaterThan(0);
    await waitFor(() =>
      app.database.prisma.message.findFirst({
        where: { direction: "outbound", chatId: chats["Budi Hartono"], text: { startsWith: "🎉 Kabar baik!" } },
      }),
    );
  });

  it("cancels the session after a confirmation with the count, and tells who still had a place", async () => {
    await page.goto(`${app.url}/dashboard/program/jadwal/${sessionId}`);
    await Promise.all([page.waitForEvent("load"), page.click("text=Batalkan jadwal")]);
    // Ani is marked as attended already; Budi holds the new seat.
    expect(await page.locator('[data-figure="notified"]').innerText()).toContain(
      "1 peserta akan diberi tahu: 1 terdaftar dan 0 di daftar tunggu.",
    );
    await submit("Ya, batalkan jadwal ini");
    expect(await flash()).toBe("Jadwal dibatalkan. 1 peserta diberi tahu.");
    expect(await page.locator("main").innerText()).toContain("Jadwal ini sudah dibatalkan.");
    expect((await app.database.prisma.trainingSession.findUniqueOrThrow({ where: { id: sessionId } })).status).toBe(
      "cancelled",
    );
    await waitFor(() =>
      app.database.prisma.message.findFirst({
        where: {
          direction: "outbound",
          chatId: chats["Budi Hartono"],
          text: { startsWith: "❌ Mohon maaf, jadwal *Sablon Kaos*" },
        },
      }),
    );
    const log = await app.database.prisma.auditLog.findFirstOrThrow({
      where: { action: "training_session.cancelled" },
    });
    expect(log.detail).toMatchObject({ code, enrollmentsCancelled: 1, notified: 1 });
  });
});
