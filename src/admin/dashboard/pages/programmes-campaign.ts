/**
 * What a programme sends after a session, as staff set it on the programme form (the partial
 * programmes-campaign.eta): when the feedback survey and the certificate go out (minutes after
 * the end), after how many days the follow-ups ask about outcomes, and the follow-up questions
 * themselves as JSON (checked against surveyQuestionsSchema, with an error that says where the
 * problem is). Settings equal to the defaults are stored as null, so the programme keeps
 * following the defaults; "reset to defaults" does the same for the questions.
 */
import {
  campaignEventsSchema,
  defaultCampaignEvents,
  parseCampaignEvents,
  type CampaignEvent,
} from "../../../domain/campaign-events.js";
import { Prisma } from "../../../db/generated/sqlite/client.js";
import {
  defaultFollowUpQuestions,
  parseSurveyQuestions,
  surveyQuestionsSchema,
  type SurveyQuestion,
} from "../../../../flows/survey-questions.js";
import type { FieldErrors } from "../forms.js";
import { text } from "../text.js";

const longestMinutes = 60 * 24 * 14;
const mostFollowUps = 6;

type JsonSetting = Prisma.InputJsonValue | typeof Prisma.DbNull;

/** The campaign settings to write to a programme (none when the form did not carry them). */
export type CampaignSettings = { campaignEvents?: JsonSetting; followUpQuestions?: JsonSetting };

/** The form's fields: a body with none of them (a form from before them) leaves the settings as they are. */
const fieldNames = ["feedbackMinutes", "certificateMinutes", "followUpDays", "followUpQuestions", "followUpDefaults"];

const minutesOf = (event: CampaignEvent | undefined) =>
  event === undefined ? "" : String(event.minutesAfterEnd ?? (event.daysAfterEnd ?? 0) * 1440);

/** The form's values for a programme's stored settings (null: the defaults). */
export function campaignFormValues(programme: {
  campaignEvents: unknown;
  followUpQuestions: unknown;
}): Record<string, string> {
  const events = parseCampaignEvents(programme.campaignEvents);
  const followUps = events.filter((e) => e.flow === "followup");
  return {
    feedbackMinutes: minutesOf(events.find((e) => e.flow === "feedback")),
    certificateMinutes: minutesOf(events.find((e) => e.action === "certificate")),
    followUpDays: followUps
      .map((e) => String(e.daysAfterEnd ?? Math.max(1, Math.round((e.minutesAfterEnd ?? 0) / 1440))))
      .join(", "),
    followUpQuestions: questionsJson(parseSurveyQuestions(programme.followUpQuestions) ?? defaultFollowUpQuestions),
  };
}

export const questionsJson = (questions: SurveyQuestion[]) => JSON.stringify(questions, null, 2);

const field = (body: unknown, name: string): string => {
  const value = body && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === "string" ? value.trim() : "";
};

/** Minutes after the end, or null when left empty (then nothing is sent). */
function minutes(value: string, errors: FieldErrors, name: string): number | null {
  if (value === "") return null;
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n > longestMinutes) {
    errors[name] = text(
      `Isi jumlah menit, 0 sampai ${longestMinutes} (14 hari), atau kosongkan.`,
      `Enter a number of minutes, 0 to ${longestMinutes} (14 days), or leave it empty.`,
    );
    return null;
  }
  return n;
}

function followUpDays(value: string, errors: FieldErrors): number[] {
  const parts = value.split(/[\s,;]+/).filter(Boolean);
  const days = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 365)) {
    errors.followUpDays = text(
      "Isi jumlah hari 1 sampai 365, dipisah koma, misalnya 30, 90.",
      "Enter numbers of days from 1 to 365, separated by commas, e.g. 30, 90.",
    );
    return [];
  }
  if (new Set(days).size !== days.length) {
    errors.followUpDays = text("Setiap hari cukup ditulis sekali.", "Write each number of days once.");
    return [];
  }
  if (days.length > mostFollowUps) {
    errors.followUpDays = text(`Paling banyak ${mostFollowUps} tindak lanjut.`, `At most ${mostFollowUps} follow-ups.`);
    return [];
  }
  return days.sort((a, b) => a - b);
}

/** Where in the questions a problem is: "pertanyaan ke-2 (sales_change), choices". */
function placeOf(path: readonly PropertyKey[], list: unknown): { id: string; en: string } {
  const [index, ...rest] = path;
  if (typeof index !== "number") return { id: "daftar pertanyaan", en: "the list of questions" };
  const item = Array.isArray(list) ? (list[index] as { key?: unknown } | undefined) : undefined;
  const key = typeof item?.key === "string" ? ` (${item.key})` : "";
  const where = rest.length ? `, ${rest.map(String).join(".")}` : "";
  return { id: `pertanyaan ke-${index + 1}${key}${where}`, en: `question ${index + 1}${key}${where}` };
}

function questions(value: string, errors: FieldErrors): SurveyQuestion[] | null {
  let list: unknown;
  try {
    list = JSON.parse(value) as unknown;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    errors.followUpQuestions = text(`Ini bukan JSON yang sah: ${why}`, `This is not valid JSON: ${why}`);
    return null;
  }
  const parsed = surveyQuestionsSchema.safeParse(list);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const place = placeOf(issue.path, list);
    errors.followUpQuestions = text(
      `Ada masalah di ${place.id}: ${issue.message}`,
      `There is a problem in ${place.en}: ${issue.message}`,
    );
    return null;
  }
  return parsed.data;
}

/** JSON with its object keys sorted, so that two equal values read the same. */
const canonical = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(canonical)
    : value && typeof value === "object"
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;

const sameJson = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/**
 * The campaign settings from the programme form's body, or the errors for its fields. Settings
 * equal to the defaults become null (Prisma.DbNull), as does "reset to defaults".
 */
export function parseCampaignSettings(
  body: unknown,
): { ok: true; data: CampaignSettings } | { ok: false; errors: FieldErrors } {
  if (!body || typeof body !== "object" || !fieldNames.some((name) => name in body)) return { ok: true, data: {} };
  const errors: FieldErrors = {};
  const feedback = minutes(field(body, "feedbackMinutes"), errors, "feedbackMinutes");
  const certificate = minutes(field(body, "certificateMinutes"), errors, "certificateMinutes");
  const days = followUpDays(field(body, "followUpDays"), errors);
  const reset = field(body, "followUpDefaults") === "on";
  const asked = reset ? defaultFollowUpQuestions : questions(field(body, "followUpQuestions"), errors);
  const events: CampaignEvent[] = [
    ...(feedback === null ? [] : [{ key: "feedback", flow: "feedback" as const, minutesAfterEnd: feedback }]),
    ...(certificate === null
      ? []
      : [{ key: "certificate", action: "certificate" as const, minutesAfterEnd: certificate }]),
    ...days.map((d) => ({ key: `followup-${d}d`, flow: "followup" as const, daysAfterEnd: d })),
  ];
  if (Object.keys(errors).length || !asked) return { ok: false, errors };
  // What the form makes always fits; checked all the same, as the campaign code reads it.
  const checked = campaignEventsSchema.safeParse(events);
  if (!checked.success)
    return {
      ok: false,
      errors: { followUpDays: text("Jadwal kiriman ini tidak bisa dipakai.", "These timings cannot be used.") },
    };
  return {
    ok: true,
    data: {
      campaignEvents: sameJson(checked.data, defaultCampaignEvents)
        ? Prisma.DbNull
        : (checked.data as Prisma.InputJsonValue),
      followUpQuestions: sameJson(asked, defaultFollowUpQuestions) ? Prisma.DbNull : (asked as Prisma.InputJsonValue),
    },
  };
}

/** For the audit log: the stored value of a setting, null for the defaults. */
export const settingForAudit = (value: JsonSetting | unknown) => (value === Prisma.DbNull ? null : value);

/** Whether a setting changes what is stored. */
export const settingChanged = (before: unknown, after: JsonSetting | undefined) =>
  after !== undefined && !sameJson(before ?? null, settingForAudit(after) ?? null);
