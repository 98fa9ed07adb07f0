/**
 * The WhatsApp template registry (src/domain/whatsapp-templates.ts): the form's rules, the
 * parameters a template send gets, the 24-hour window, and on both databases the registry's
 * changes and refusals, the lookup by purpose and language, the count of WhatsApp recipients
 * inside and outside the window, and a broadcast refused at sending without a template.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BroadcastError } from "../../src/domain/broadcast-types.js";
import { createBroadcastService } from "../../src/domain/broadcasts.js";
import { createStaff } from "../../src/domain/staff.js";
import {
  createTemplate,
  deleteTemplate,
  fillTemplateParameters,
  insideServiceWindow,
  listTemplates,
  missingPurposes,
  templateCost,
  templateFor,
  templateFormSchema,
  TemplateError,
  updateTemplate,
  windowSplit,
  type TemplateInput,
} from "../../src/domain/whatsapp-templates.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

const hour = 3_600_000;
const now = new Date("2026-12-03T03:00:00Z");
const ago = (hours: number) => new Date(now.getTime() - hours * hour);

/** The form's errors by field, in Indonesian and English (as the dashboard decodes them). */
function errorsOf(form: Record<string, unknown>): Record<string, [string, string]> {
  const result = templateFormSchema.safeParse(form);
  if (result.success) return {};
  return Object.fromEntries(
    result.error.issues.map((i) => [i.path.join("."), i.message.split("\u001f") as [string, string]]),
  );
}

const valid = {
  name: "sapa_pengingat",
  language: "id",
  category: "utility",
  body: "Halo {{1}}, ini pengingat dari {{2}}: {{3}}",
  parameters: ["name", "department", "text"],
  usedFor: "reminder",
};

describe("the template form", () => {
  it("takes a template as approved, from a form or from JSON", () => {
    expect(templateFormSchema.parse(valid)).toEqual({ ...valid, document: false });
    // A form: a repeated field with unused selects at the end, a checkbox, an empty purpose.
    const form = templateFormSchema.parse({
      ...valid,
      body: "Sertifikat untuk {{1}}\r\nterlampir.",
      parameters: ["name", "", ""],
      usedFor: "certificate",
      document: "on",
    });
    expect(form).toMatchObject({ body: "Sertifikat untuk {{1}}\nterlampir.", parameters: ["name"], document: true });
    expect(templateFormSchema.parse({ ...valid, usedFor: "", parameters: "name, department, text" })).toMatchObject({
      usedFor: undefined,
      parameters: ["name", "department", "text"],
    });
  });

  it("refuses what Meta would not approve, naming the field in both languages", () => {
    expect(errorsOf({ ...valid, name: "Sapa Pengingat" }).name![0]).toContain("huruf kecil, angka dan garis bawah");
    expect(errorsOf({ ...valid, name: "Sapa Pengingat" }).name![1]).toContain("lowercase letters");
    expect(errorsOf({ ...valid, name: "a".repeat(513) }).name).toBeDefined();
    expect(errorsOf({ ...valid, language: "fr" }).language![1]).toBe("Choose the template's language.");
    expect(errorsOf({ ...valid, category: "authentication" }).category).toBeDefined();
    expect(errorsOf({ ...valid, body: "  " }).body).toBeDefined();
    expect(errorsOf({ ...valid, body: "Halo {{1}} dan {{3}}", parameters: ["name", "text"] }).body![1]).toBe(
      "Placeholders are numbered from {{1}} with none skipped; this body uses {{1}}, {{3}}.",
    );
    expect(errorsOf({ ...valid, body: "Halo {{ 1 }}", parameters: ["name"] }).body![0]).toContain("tanpa spasi");
    expect(errorsOf({ ...valid, parameters: ["name", "text"] }).parameters![1]).toBe(
      "The body has 3 placeholders but 2 are chosen: choose one for each {{n}}.",
    );
    expect(errorsOf({ ...valid, parameters: ["name", "", "text"] })["parameters.1"]).toBeDefined();
    expect(errorsOf({ ...valid, parameters: ["name", "phone", "text"] })["parameters.1"]![0]).toContain("nama peserta");
    expect(errorsOf({ ...valid, usedFor: "invoice" }).usedFor).toBeDefined();
    // A placeholder used twice is one parameter.
    expect(errorsOf({ ...valid, body: "{{1}}, {{1}}!", parameters: ["name"] })).toEqual({});
    expect(errorsOf({ ...valid, usedFor: "certificate" }).document![1]).toContain("needs a document header");
    expect(errorsOf({ ...valid, document: "on" }).document![1]).toContain("Only a certificate template");
  });
});

describe("fillTemplateParameters", () => {
  const template = { parameters: ["name", "text", "department"] };
  const department = "Disperindag Kepulauan Bangka Belitung";

  it("fills the placeholders in order, one line each, without the bot's markup", () => {
    const text =
      "*Pengingat bimtek*\n\nBesok ada pelatihan _lada_ untuk Anda.\nTempat: Balai Desa Koba\nWaktu: 09.00 WIB\n- bawa KTP\n- bawa\tpena";
    expect(fillTemplateParameters(template, { name: "Siti Aminah", text, department })).toEqual([
      "Siti Aminah",
      "Pengingat bimtek · Besok ada pelatihan lada untuk Anda. Tempat: Balai Desa Koba · Waktu: 09.00 WIB · bawa KTP · bawa pena",
      department,
    ]);
    expect(
      fillTemplateParameters({ parameters: '["text","name"]' }, { name: "Budi", text: "Halo", department }),
    ).toEqual(["Halo", "Budi"]);
  });

  it("never leaves more than one space, a newline or a tab, and never an empty parameter", () => {
    const [name, text] = fillTemplateParameters(template, { name: "  ", text: "a     b\t\t\tc\r\n\r\n", department });
    expect(name).toBe("Bapak/Ibu");
    expect(text).toBe("a b c");
    expect(fillTemplateParameters(template, { name: null, text: "", department: "" })).toEqual(["Bapak/Ibu", "-", "-"]);
  });

  it("cuts a long text at a word, with an ellipsis, within 1024 characters", () => {
    const words = Array.from({ length: 400 }, (_, i) => `kata${i}`).join(" ");
    const [, text] = fillTemplateParameters(template, { name: "Budi", text: words, department });
    expect(text!.length).toBeLessThanOrEqual(1024);
    expect(text!.endsWith("…")).toBe(true);
    expect(words.startsWith(text!.slice(0, -1))).toBe(true);
    expect(words[text!.length - 1]).toBe(" ");
  });

  it("refuses stored parameters that are not kinds", () => {
    expect(() => fillTemplateParameters({ parameters: ["phone"] }, { name: "x", text: "y", department: "z" })).toThrow(
      /name, text, department/,
    );
  });
});

describe("insideServiceWindow and templateCost", () => {
  it("is inside for less than 24 hours after the last message, outside from then on", () => {
    expect(insideServiceWindow(ago(23.99), now)).toBe(true);
    expect(insideServiceWindow(ago(24), now)).toBe(false);
    expect(insideServiceWindow(null, now)).toBe(false);
    expect(insideServiceWindow(ago(2), now, 1)).toBe(false);
  });

  it("prices by category, or says nothing without a price", () => {
    expect(templateCost(3, "utility", { utility: 356.65, marketing: 586.33 })).toBe(1070);
    expect(templateCost(3, "marketing", { utility: 356.65, marketing: null })).toBeNull();
    expect(templateCost(3, "utility", null)).toBeNull();
  });
});

describe.each(providers)("the template registry on %s", (provider) => {
  let db: TestDatabase;
  let staffId: number;
  const input = (over: Partial<Record<keyof TemplateInput, unknown>> = {}): TemplateInput =>
    templateFormSchema.parse({ ...valid, ...over });

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    staffId = (
      await createStaff(db.prisma, {
        email: "admin@disperindag.example",
        name: "Admin",
        password: "templat-admin-2026",
        role: "admin",
      })
    ).id;
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it("adds, refuses duplicates and taken purposes, changes and finds templates by purpose", async () => {
    const reminder = await createTemplate(db.prisma, staffId, input());
    expect(reminder).toMatchObject({
      name: "sapa_pengingat",
      language: "id",
      parameters: ["name", "department", "text"],
    });
    await expect(createTemplate(db.prisma, staffId, input({ usedFor: "" }))).rejects.toMatchObject({
      field: "name",
      code: "duplicate_name",
    });
    const taken = await createTemplate(db.prisma, staffId, input({ name: "sapa_pengingat_2" })).catch((e) => e);
    expect(taken).toBeInstanceOf(TemplateError);
    expect(taken).toMatchObject({ field: "usedFor", code: "purpose_taken" });
    expect((taken as TemplateError).reason.id).toContain("sapa_pengingat");
    // The same name in the other language is another template.
    const english = await createTemplate(
      db.prisma,
      staffId,
      input({ language: "en", body: "Hello {{1}}: {{2}}", parameters: ["name", "text"], usedFor: "notice" }),
    );
    const broadcast = await createTemplate(
      db.prisma,
      staffId,
      input({ name: "sapa_siaran", body: "{{1}}", parameters: ["text"], usedFor: "", category: "marketing" }),
    );

    expect((await templateFor(db.prisma, "reminder", "id"))?.id).toBe(reminder.id);
    // No English reminder: the Indonesian one rather than none.
    expect((await templateFor(db.prisma, "reminder", "en"))?.id).toBe(reminder.id);
    expect((await templateFor(db.prisma, "notice", "id"))?.id).toBe(english.id);
    expect(await templateFor(db.prisma, "survey", "id")).toBeNull();

    const missing = missingPurposes(await listTemplates(db.prisma));
    expect(missing.id).toEqual(["notice", "motivation", "survey", "certificate", "broadcast"]);
    expect(missing.en).toEqual(["reminder", "motivation", "survey", "certificate", "broadcast"]);
    expect((await listTemplates(db.prisma)).map((t) => t.name)).toEqual([
      "sapa_pengingat",
      "sapa_pengingat",
      "sapa_siaran",
    ]);

    // Changing to a taken purpose is refused; another change is saved and logged with what changed.
    await expect(
      updateTemplate(
        db.prisma,
        staffId,
        broadcast.id,
        input({ name: "sapa_siaran", body: "{{1}}", parameters: ["text"] }),
      ),
    ).rejects.toMatchObject({ code: "purpose_taken" });
    const changed = await updateTemplate(
      db.prisma,
      staffId,
      broadcast.id,
      input({
        name: "sapa_siaran",
        body: "Kabar: {{1}}",
        parameters: ["text"],
        usedFor: "broadcast",
        category: "marketing",
      }),
    );
    expect(changed).toMatchObject({ body: "Kabar: {{1}}", usedFor: "broadcast" });
    const log = await db.prisma.auditLog.findFirstOrThrow({
      where: { action: "whatsapp_template.update" },
      orderBy: { id: "desc" },
    });
    expect(log).toMatchObject({ staffId, target: `whatsapp_template:${broadcast.id}` });
    expect(log.detail).toMatchObject({ changed: ["body", "usedFor"] });
    expect(await updateTemplate(db.prisma, staffId, 999_999, input())).toBeNull();

    // A template a broadcast still waits to use stays; once that broadcast is done it can go.
    const b = await db.prisma.broadcast.create({
      data: { title: "t", textId: "x", filter: {}, status: "scheduled", templateId: broadcast.id },
    });
    await expect(deleteTemplate(db.prisma, staffId, broadcast.id)).rejects.toMatchObject({ code: "in_use" });
    await db.prisma.broadcast.update({ where: { id: b.id }, data: { status: "done" } });
    expect((await deleteTemplate(db.prisma, staffId, broadcast.id))?.name).toBe("sapa_siaran");
    expect(await db.prisma.whatsAppTemplate.findUnique({ where: { id: broadcast.id } })).toBeNull();
    expect((await db.prisma.broadcast.findUniqueOrThrow({ where: { id: b.id } })).templateId).toBeNull();
    expect(await deleteTemplate(db.prisma, staffId, broadcast.id)).toBeNull();
    const actions = (
      await db.prisma.auditLog.findMany({ where: { action: { startsWith: "whatsapp_template." } } })
    ).map((a) => a.action);
    expect(actions.sort()).toEqual([
      "whatsapp_template.create",
      "whatsapp_template.create",
      "whatsapp_template.create",
      "whatsapp_template.delete",
      "whatsapp_template.update",
    ]);
  });

  describe("recipients inside and outside the window", () => {
    const ids: Record<string, number> = {};

    beforeAll(async () => {
      const person = async (
        key: string,
        chats: { channel: string; lastInboundAt: Date | null; blocked?: boolean }[],
        extra: { optedOut?: boolean; sector?: string } = {},
      ) => {
        const p = await db.prisma.participant.create({
          data: {
            name: key,
            sector: extra.sector ?? "lada",
            registeredAt: ago(1000),
            consentAt: ago(1000),
            optedOutAt: extra.optedOut ? ago(1) : null,
          },
        });
        ids[key] = p.id;
        for (const [i, c] of chats.entries())
          await db.prisma.channelIdentity.create({
            data: {
              channel: c.channel,
              platformUserId: `${key}-${i}`,
              chatId: `${key}-${i}`,
              participantId: p.id,
              lastInboundAt: c.lastInboundAt,
              blockedAt: c.blocked ? ago(1) : null,
              createdAt: ago(2000),
            },
          });
      };
      await person("inside", [{ channel: "whatsapp", lastInboundAt: ago(2) }]);
      await person("justInside", [{ channel: "whatsapp", lastInboundAt: ago(23.9) }]);
      await person("outside", [{ channel: "whatsapp", lastInboundAt: ago(30) }]);
      await person("never", [{ channel: "whatsapp", lastInboundAt: null }]);
      // Wrote on Telegram last: a broadcast goes there, not to WhatsApp.
      await person("telegramLast", [
        { channel: "whatsapp", lastInboundAt: ago(40) },
        { channel: "telegram", lastInboundAt: ago(3) },
      ]);
      // Their Telegram chat blocked the bot: WhatsApp, outside.
      await person("blockedTelegram", [
        { channel: "whatsapp", lastInboundAt: ago(50) },
        { channel: "telegram", lastInboundAt: ago(3), blocked: true },
      ]);
      await person("optedOut", [{ channel: "whatsapp", lastInboundAt: ago(2) }], { optedOut: true });
      await person("konveksi", [{ channel: "whatsapp", lastInboundAt: ago(60) }], { sector: "konveksi" });
    });

    it("counts the WhatsApp recipients of a segment by the window, as sending picks their chat", async () => {
      const timeZone = "Asia/Jakarta";
      expect(await windowSplit(db, { filter: { sectors: ["lada"] }, timeZone }, now)).toEqual({
        whatsapp: 5,
        inside: 2,
        outside: 3,
      });
      expect(await windowSplit(db, { filter: {}, timeZone }, now)).toEqual({ whatsapp: 6, inside: 2, outside: 4 });
      // A day later everyone is outside.
      expect(await windowSplit(db, { filter: {}, timeZone }, new Date(now.getTime() + 24 * hour))).toEqual({
        whatsapp: 6,
        inside: 0,
        outside: 6,
      });
      expect(
        await windowSplit(db, { participantIds: [ids.inside!, ids.outside!, ids.telegramLast!, ids.optedOut!] }, now),
      ).toEqual({ whatsapp: 2, inside: 1, outside: 1 });
      expect(await windowSplit(db, { participantIds: [] }, now)).toEqual({ whatsapp: 0, inside: 0, outside: 0 });
    });

    it("refuses to send a broadcast with recipients outside the window and no template", async () => {
      const started: number[] = [];
      const service = (serviceWindowHours: number | null) =>
        createBroadcastService({
          database: db,
          jobs: { start: async (id) => void started.push(id) },
          settings: { approvalThreshold: 0, timeZone: "Asia/Jakarta", serviceWindowHours },
          now: () => now,
        });
      const cloud = service(24);
      const draft = await cloud.create(staffId, { title: "Undangan", textId: "Halo", filter: { sectors: ["lada"] } });
      expect(draft.template).toBeNull();
      const refused = await cloud.schedule(staffId, draft.id, null).catch((e) => e);
      expect(refused).toBeInstanceOf(BroadcastError);
      expect(refused).toMatchObject({ code: "template_required" });
      expect((refused as Error).message).toContain("3 WhatsApp recipients have not written in the last 24 hours");
      expect((await cloud.get(draft.id))?.status).toBe("draft");
      expect(started).toEqual([]);

      // Nobody outside the window: nothing to refuse.
      const fresh = await cloud.create(staffId, { title: "Baru", textId: "Halo", filter: { sectors: ["servis-ac"] } });
      await db.prisma.participant.update({ where: { id: ids.inside! }, data: { sector: "servis-ac" } });
      expect((await cloud.schedule(staffId, fresh.id, null)).status).toBe("scheduled");
      await db.prisma.participant.update({ where: { id: ids.inside! }, data: { sector: "lada" } });

      // With a template for broadcasts it goes; with a template for reminders it is refused when saved.
      const template = await createTemplate(
        db.prisma,
        staffId,
        input({ name: "sapa_kabar", body: "Kabar untuk {{1}}: {{2}}", parameters: ["name", "text"], usedFor: "" }),
      );
      const reminder = await templateFor(db.prisma, "reminder", "id");
      await expect(
        cloud.create(staffId, { title: "x", textId: "y", filter: {}, templateId: reminder!.id }),
      ).rejects.toMatchObject({ code: "invalid_template" });
      await expect(
        cloud.create(staffId, { title: "x", textId: "y", filter: {}, templateId: 999_999 }),
      ).rejects.toMatchObject({ code: "invalid_template" });
      const withTemplate = await cloud.create(staffId, {
        title: "Dengan templat",
        textId: "Halo",
        filter: { sectors: ["lada"] },
        templateId: template.id,
      });
      expect(withTemplate.template).toEqual({
        id: template.id,
        name: "sapa_kabar",
        language: "id",
        category: "utility",
      });
      expect((await cloud.schedule(staffId, withTemplate.id, null)).status).toBe("scheduled");
      expect(started).toEqual([fresh.id, withTemplate.id]);

      // Without the Cloud API there is no window.
      const web = service(null);
      expect((await web.schedule(staffId, draft.id, null)).status).toBe("scheduled");
    });
  });
});
