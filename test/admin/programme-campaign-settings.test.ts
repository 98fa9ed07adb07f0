/**
 * The campaign settings of the programme form: what staff type becomes the programme's campaign
 * events and follow-up questions (checked by their schemas), bad input is refused with a message
 * that says where, settings equal to the defaults are stored as none; written and read back on
 * both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultFollowUpQuestions, parseSurveyQuestions } from "../../flows/survey-questions.js";
import { parseCampaignEvents } from "../../src/domain/campaign-events.js";
import {
  campaignFormValues,
  parseCampaignSettings,
  questionsJson,
} from "../../src/admin/dashboard/pages/programmes-campaign.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";
import { seedImpact } from "../support/impact-seed.js";

const defaults = campaignFormValues({ campaignEvents: null, followUpQuestions: null });

describe("parseCampaignSettings", () => {
  it("shows the defaults on the form", () => {
    expect(defaults).toEqual({
      feedbackMinutes: "120",
      certificateMinutes: "180",
      followUpDays: "30, 90",
      followUpQuestions: questionsJson(defaultFollowUpQuestions),
    });
  });

  it("stores the defaults as none, and leaves the settings alone when the form has none of their fields", () => {
    const parsed = parseCampaignSettings(defaults);
    expect(parsed.ok && parsed.data.campaignEvents === parsed.data.followUpQuestions).toBe(true);
    expect(parseCampaignSettings({ titleId: "x" })).toEqual({ ok: true, data: {} });
  });

  it("refuses bad timings and bad questions, saying where", () => {
    const errorsOf = (change: Record<string, string>) => {
      const parsed = parseCampaignSettings({ ...defaults, ...change });
      return parsed.ok ? {} : Object.fromEntries(Object.entries(parsed.errors).map(([k, v]) => [k, v.id]));
    };
    expect(errorsOf({ feedbackMinutes: "-5" }).feedbackMinutes).toContain("0 sampai 20160");
    expect(errorsOf({ certificateMinutes: "30000" }).certificateMinutes).toContain("0 sampai 20160");
    expect(errorsOf({ followUpDays: "30, 30" }).followUpDays).toBe("Setiap hari cukup ditulis sekali.");
    expect(errorsOf({ followUpDays: "tiga puluh" }).followUpDays).toContain("1 sampai 365");
    expect(errorsOf({ followUpQuestions: "[" }).followUpQuestions).toMatch(/^Ini bukan JSON yang sah: /);
    expect(errorsOf({ followUpQuestions: "[]" }).followUpQuestions).toMatch(/^Ada masalah di daftar pertanyaan: /);
    const twice = [defaultFollowUpQuestions[0], defaultFollowUpQuestions[0]];
    expect(errorsOf({ followUpQuestions: JSON.stringify(twice) }).followUpQuestions).toContain(
      "each question needs its own key",
    );
    const badKey = [{ ...defaultFollowUpQuestions[0], key: "Produk Baru" }];
    expect(errorsOf({ followUpQuestions: JSON.stringify(badKey) }).followUpQuestions).toContain(
      "Ada masalah di pertanyaan ke-1 (Produk Baru), key:",
    );
    // Resetting to the defaults wins over whatever is in the box.
    expect(errorsOf({ followUpQuestions: "[", followUpDefaults: "on" })).toEqual({});
  });
});

describe.each(providers)("campaign settings on %s", (provider) => {
  let db: TestDatabase;
  let programmeId: number;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    programmeId = (await seedImpact(db.prisma)).programmeId;
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it("writes the programme's own settings, reads them back on the form, and returns to the defaults", async () => {
    const own = [
      ...defaultFollowUpQuestions.slice(0, 1),
      { kind: "rating", key: "confidence", text: { id: "Yakin?", en: "Confident?" } },
    ];
    const parsed = parseCampaignSettings({
      feedbackMinutes: "30",
      certificateMinutes: "",
      followUpDays: "90 14",
      followUpQuestions: JSON.stringify(own),
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    await db.prisma.programme.update({ where: { id: programmeId }, data: parsed.data });
    const saved = await db.prisma.programme.findUniqueOrThrow({ where: { id: programmeId } });
    expect(parseCampaignEvents(saved.campaignEvents)).toEqual([
      { key: "feedback", flow: "feedback", minutesAfterEnd: 30 },
      { key: "followup-14d", flow: "followup", daysAfterEnd: 14 },
      { key: "followup-90d", flow: "followup", daysAfterEnd: 90 },
    ]);
    expect(parseSurveyQuestions(saved.followUpQuestions)?.map((q) => q.key)).toEqual(["new_product", "confidence"]);
    expect(campaignFormValues(saved)).toMatchObject({
      feedbackMinutes: "30",
      certificateMinutes: "",
      followUpDays: "14, 90",
    });

    const reset = parseCampaignSettings({ ...defaults, followUpQuestions: "", followUpDefaults: "on" });
    if (!reset.ok) throw new Error(JSON.stringify(reset.errors));
    await db.prisma.programme.update({ where: { id: programmeId }, data: reset.data });
    const back = await db.prisma.programme.findUniqueOrThrow({ where: { id: programmeId } });
    expect(back.campaignEvents).toBeNull();
    expect(back.followUpQuestions).toBeNull();
  });
});
