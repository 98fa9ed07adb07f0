/**
 * Data and measurements shared by the fault tests: the application's environment and pace, a
 * staff token for the HTTP API, a broadcast started through it, reminders due at a chosen
 * moment, and counts of what the fake Telegram received per chat (the ground truth for "nothing
 * lost" and "how many twice").
 */
import type { Db } from "../../../src/db/database.js";
import { createApiToken } from "../../../src/domain/staff.js";
import { telegramPacing, type Pacing } from "../../../src/outbox/pacing.js";
import type { FakeTelegram, SentMessage } from "../../support/fake-telegram.js";
import { addStaff } from "../../support/population.js";

/**
 * The environment of an application process in a fault test, without APP_ROLE and PORT: the
 * scenario's database, Redis and key prefix, the fake Telegram (at `telegram.url`: the fake's
 * own address, or a proxy in front of it), quiet hours and the motivation schedule off (so
 * nothing waits for the clock or sends of its own), warnings only, and the outbox reconcile pass
 * every 2 s, sending rows left "sending" for 5 s again, so what a fault leaves behind is found
 * within seconds instead of minutes.
 */
export function appEnv(options: {
  database: { url: string };
  redis: { url: string; prefix: string };
  telegram: { token: string; url: string };
  /** TELEGRAM_BULK_PER_SECOND; the application's default when absent. */
  bulkPerSecond?: number;
}): Record<string, string> {
  return {
    DATABASE_URL: options.database.url,
    REDIS_URL: options.redis.url,
    QUEUE_PREFIX: options.redis.prefix,
    HOST: "127.0.0.1",
    TELEGRAM_BOT_TOKEN: options.telegram.token,
    TELEGRAM_API_ROOT: options.telegram.url,
    ...(options.bulkPerSecond === undefined ? {} : { TELEGRAM_BULK_PER_SECOND: String(options.bulkPerSecond) }),
    QUIET_HOURS: "off",
    MOTIVATION_SCHEDULE: "off",
    LOG_LEVEL: "warn",
    RECONCILE_INTERVAL_SECONDS: "2",
    OUTBOX_STUCK_SECONDS: "5",
  };
}

/** The pacing of the application's Telegram outbox at TELEGRAM_BULK_PER_SECOND=`perSecond` (src/outbox/pacing.ts). */
export function telegramPacingAt(perSecond: number): Pacing {
  return telegramPacing({
    token: "",
    apiRoot: "",
    publicUrl: null,
    webhookSecret: null,
    bulkPerSecond: perSecond,
    chatGapMs: 0,
  });
}

/**
 * Sends in flight at once in one process's Telegram bulk lane at `perSecond` (telegramPacing's
 * bulk concurrency): the bound the fault tests put on the broadcast or reminder messages that go
 * twice.
 */
export const bulkConcurrencyAt = (perSecond: number) => telegramPacingAt(perSecond).concurrency.bulk;

/**
 * What a process's sapa_messages_out_total counts (its /metrics), summed over the series whose
 * labels include `label`, e.g. `kind="reminder"`.
 */
export async function messagesOut(url: string, label: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return metrics
    .split("\n")
    .filter((line) => line.startsWith("sapa_messages_out_total{") && line.includes(label))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/** How many times each chat got a sendMessage that `match`es. */
export function countsPerChat(fake: FakeTelegram, match: (m: SentMessage) => boolean): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of fake.sent)
    if (m.method === "sendMessage" && match(m)) counts.set(m.chatId, (counts.get(m.chatId) ?? 0) + 1);
  return counts;
}

/** "chat×n" for every chat that got it more than once. */
export function duplicates(counts: Map<number, number>): string[] {
  return [...counts].filter(([, n]) => n > 1).map(([chatId, n]) => `${chatId}×${n}`);
}

/** `count` chat ids from `first` on. */
export const chatRange = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);

/** A staff member with an API token, for the broadcast endpoints. */
export async function staffToken(db: Db): Promise<string> {
  const { token } = await createApiToken(db, await addStaff(db, "Sari"), "fault test");
  return token;
}

/** Calls the HTTP API with the token; throws on an error status. */
export async function api<T = { id: number; status: string }>(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Creates a broadcast to one regency and sends it now; returns its id. */
export async function sendBroadcastNow(
  baseUrl: string,
  token: string,
  broadcast: { title: string; text: string; regency: string },
): Promise<number> {
  const created = await api(baseUrl, token, "POST", "/api/broadcasts", {
    title: broadcast.title,
    textId: broadcast.text,
    filter: { regencies: [broadcast.regency] },
  });
  await api(baseUrl, token, "POST", `/api/broadcasts/${created.id}/schedule`, {});
  return created.id;
}

/** Whether the broadcast is done (every message sent or failed). */
export async function broadcastDone(db: Db, id: number): Promise<boolean> {
  return (await db.broadcast.findUnique({ where: { id }, select: { status: true } }))?.status === "done";
}

/** Minutes of the programme's one "before" offset; the session starts this long after the reminders are due. */
const offsetMinutes = 2;

/**
 * Enrolls the participants in a session of a new programme whose one reminder ("2 minutes
 * before") is due at `dueAt`, and writes the pending Reminder rows, without their BullMQ jobs:
 * the application adds those in its reminder reconcile pass at start, as after any restart.
 * Returns the reminder ids.
 */
export async function addRemindersDueAt(db: Db, participantIds: number[], dueAt: Date): Promise<number[]> {
  const programme = await db.programme.create({
    data: {
      slug: `uji-gangguan-${Date.now()}`,
      sector: "lada",
      titleId: "Uji Gangguan",
      titleEn: "Fault Test",
      descriptionId: "-",
      descriptionEn: "-",
      timeZone: "Asia/Jakarta",
      reminderOffsets: [{ kind: "before", minutes: offsetMinutes }],
    },
  });
  const startsAt = new Date(dueAt.getTime() + offsetMinutes * 60_000);
  const session = await db.trainingSession.create({
    data: {
      code: `uji-gangguan-${Date.now()}`,
      programmeId: programme.id,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 2 * 3_600_000),
      venue: "Aula Disperindag",
      address: "Jl. Pulau Bangka, Pangkalpinang",
      regency: "Kota Pangkalpinang",
      capacity: participantIds.length,
    },
  });
  const enrollments = await db.enrollment.createManyAndReturn({
    data: participantIds.map((participantId) => ({
      participantId,
      trainingSessionId: session.id,
      status: "enrolled" as const,
    })),
    select: { id: true },
  });
  const reminders = await db.reminder.createManyAndReturn({
    data: enrollments.map((e) => ({ enrollmentId: e.id, offsetKey: `before-${offsetMinutes}m`, dueAt })),
    select: { id: true },
  });
  return reminders.map((r) => r.id);
}

/** A reminder's text starts with a bell. */
export const isReminder = (m: SentMessage) => m.text.startsWith("🔔");
