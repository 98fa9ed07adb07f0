/**
 * What a programme sends after a session, relative to its end: the feedback survey, the
 * certificate, the follow-ups. Kept on the programme (Programme.campaignEvents, edited by staff);
 * null means the defaults below. An event either starts a flow for the participant (`flow`) or
 * issues their certificate (`action: "certificate"`).
 */
import { z } from "zod";
import { memoize } from "../memo.js";

const eventKey = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, "a key is lower-case letters, digits and - (at most 40)");
const minutesAfterEnd = z
  .number()
  .int()
  .min(0)
  .max(60 * 24 * 14);
const daysAfterEnd = z.number().int().min(1).max(365);

const timing = z.union([
  z.object({ minutesAfterEnd, daysAfterEnd: z.undefined().optional() }),
  z.object({ daysAfterEnd, minutesAfterEnd: z.undefined().optional() }),
]);

export const campaignEventSchema = z.intersection(
  z.union([
    z.object({ key: eventKey, flow: z.enum(["feedback", "followup"]), action: z.undefined().optional() }),
    z.object({ key: eventKey, action: z.literal("certificate"), flow: z.undefined().optional() }),
  ]),
  timing,
);
export type CampaignEvent = z.infer<typeof campaignEventSchema>;

export const campaignEventsSchema = z
  .array(campaignEventSchema)
  .max(10)
  .refine((es) => new Set(es.map((e) => e.key)).size === es.length, "each event needs its own key");

/** Feedback two hours after the end, the certificate an hour later, follow-ups after 30 and 90 days. */
export const defaultCampaignEvents: CampaignEvent[] = [
  { key: "feedback", flow: "feedback", minutesAfterEnd: 120 },
  { key: "certificate", action: "certificate", minutesAfterEnd: 180 },
  { key: "followup-30d", flow: "followup", daysAfterEnd: 30 },
  { key: "followup-90d", flow: "followup", daysAfterEnd: 90 },
];

/** A programme's events as stored: the defaults when none are set or they do not parse. */
export function parseCampaignEvents(value: unknown): CampaignEvent[] {
  if (value === null || value === undefined) return defaultCampaignEvents;
  if (typeof value === "string") return parseEventsText(value);
  return parseEventList(value);
}

/** The same programme's events come as the same text on every enrollment (SQLite's JSON). */
const parseEventsText = memoize(
  (text: string) => text,
  (text: string) => {
    try {
      return parseEventList(JSON.parse(text) as unknown);
    } catch {
      return defaultCampaignEvents;
    }
  },
);

function parseEventList(list: unknown): CampaignEvent[] {
  const parsed = campaignEventsSchema.safeParse(list);
  return parsed.success ? parsed.data : defaultCampaignEvents;
}

/** When an event is due, for a session ending at `endsAt`. */
export const campaignDueAt = (event: CampaignEvent, endsAt: Date): Date =>
  new Date(
    endsAt.getTime() +
      (event.daysAfterEnd !== undefined ? event.daysAfterEnd * 86_400_000 : (event.minutesAfterEnd ?? 0) * 60_000),
  );
