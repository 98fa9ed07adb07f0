/**
 * The comparison peer of the inbound benchmark: our registration and enrollment dialogue as a
 * developer would usually build it with telegraf alone. Two `Scenes.WizardScene`s in a
 * `Scenes.Stage`, telegraf's `session()` middleware over a Redis session store, and Prisma
 * writes at the end (the participant on saving, the enrollment in a transaction).
 *
 * The Telegram Bot API is stubbed at its boundary (`callApi` of the bot's Telegram client and of
 * the one telegraf makes for each update), so the benchmark measures telegraf, the session store
 * and the database, not a network.
 *
 * The session is kept in one of two stores (`sessions`): "database", a table of its own on the
 * same database as everything else (`BaselineSession`: the session key and its JSON, read and
 * upserted through Prisma on each update), the persistent session issue 19 compares with; or
 * "redis", JSON values under `keyPrefix` + telegraf's session key. `@telegraf/session` 1.0.1,
 * the version installed, is an early in-memory middleware for `@telegraf/core` with neither
 * store (they came with 2.x, on kysely and node-redis, not installed), so each is the few lines
 * a developer would write.
 */
import { Redis } from "ioredis";
import { Markup, Scenes, Telegraf, session } from "telegraf";
import type { Context, SessionStore } from "telegraf";
import { callbackQuery, message } from "telegraf/filters";
import type { Update } from "telegraf/types";
import type { Db, DatabaseProvider } from "../../src/db/database.js";
import { forProvider } from "../../src/db/raw-sql.js";
import { regencies } from "../../flows/catalog.js";

/** What the baseline needs: the database, where sessions are kept, Redis and a prefix for its keys. */
export type BaselineOptions = {
  prisma: Db;
  provider: DatabaseProvider;
  sessions: "database" | "redis";
  redisUrl: string;
  keyPrefix: string;
};

/** A running baseline bot. */
export type Baseline = {
  /** Feeds one Telegram update through telegraf, as a webhook or long poll would. */
  handleUpdate(update: Update): Promise<void>;
  /** Closes the Redis connection. The Prisma client belongs to the caller and stays open. */
  close(): Promise<void>;
  /** How many Bot API calls the bot has made (each reply is one sendMessage). */
  sent(): number;
};

const CONSENT_VERSION = "2026-11";
/** Sessions of an abandoned dialogue expire, as they would in production. */
const SESSION_TTL_SECONDS = 30 * 24 * 3600;

type Choice = { id: string; label: string };

/** The registration answers collected so far, saved only when the participant confirms. */
type Draft = {
  consentAt?: string;
  name?: string;
  businessName?: string;
  sector?: string;
  regency?: string;
  phone?: string;
  nib?: string | null;
};

/** The scene part of the session: the wizard cursor plus this dialogue's own state. */
interface DialogueSceneSession extends Scenes.WizardSessionData {
  draft?: Draft;
  /** The dynamic choices (programmes, sessions) last offered, so "1" can be resolved. */
  offered?: Choice[];
  programmeId?: number;
  trainingSessionId?: number;
}

/** The whole persisted session: scenes, and the participant once registered. */
interface DialogueSession extends Scenes.WizardSession<DialogueSceneSession> {
  participantId?: number;
}

interface DialogueContext extends Context {
  session: DialogueSession;
  scene: Scenes.SceneContextScene<DialogueContext, DialogueSceneSession>;
  wizard: Scenes.WizardContextWizard<DialogueContext>;
}

const consentChoices: Choice[] = [
  { id: "yes", label: "Ya, saya setuju" },
  { id: "no", label: "Tidak setuju" },
];
const sectorChoices: Choice[] = [
  { id: "lada", label: "Lada" },
  { id: "konveksi", label: "Konveksi" },
  { id: "reparasi-ac", label: "Reparasi AC" },
  { id: "lainnya", label: "Lainnya" },
];
const regencyChoices: Choice[] = [...regencies, "Lainnya"].map((r) => ({ id: r, label: r }));
const nibChoices: Choice[] = [
  { id: "yes", label: "Sudah punya" },
  { id: "skip", label: "Lewati" },
];
const saveChoices: Choice[] = [
  { id: "yes", label: "Ya, simpan" },
  { id: "fix", label: "Ubah data" },
];
const menuChoices: Choice[] = [
  { id: "enroll", label: "Daftar pelatihan" },
  { id: "schedule", label: "Jadwal saya" },
];
const enrollChoices: Choice[] = [
  { id: "yes", label: "Ya, daftar" },
  { id: "no", label: "Batal" },
];

const PHONE = /^(?:\+62|62|0)8\d{7,11}$/;
const NIB = /^\d{13}$/;

/** One button per row, numbered so participants can also type the number. */
function keyboard(choices: Choice[]) {
  return Markup.inlineKeyboard(choices.map((c, i) => [Markup.button.callback(`${i + 1}. ${c.label}`, c.id)]));
}

/** The participant's answer: typed text or the data of a pressed button. */
async function answer(ctx: DialogueContext): Promise<string | undefined> {
  if (ctx.has(message("text"))) return ctx.message.text.trim();
  if (ctx.has(callbackQuery("data"))) {
    await ctx.answerCbQuery();
    return ctx.callbackQuery.data;
  }
  return undefined;
}

/** Resolves an answer to a choice: its number in the list, its id, its label or the label's first word. */
function choose(input: string | undefined, choices: Choice[]): Choice | undefined {
  if (input === undefined) return undefined;
  const text = input.toLowerCase();
  if (/^\d+$/.test(text)) return choices[Number(text) - 1];
  return choices.find(
    (c) => c.id === input || c.label.toLowerCase() === text || c.label.toLowerCase().split(/[\s,]+/)[0] === text,
  );
}

async function askAgain(ctx: DialogueContext, choices?: Choice[]): Promise<void> {
  const hint = "Maaf, jawaban belum sesuai. Silakan coba lagi.";
  await (choices ? ctx.reply(hint, keyboard(choices)) : ctx.reply(hint));
}

const draftOf = (ctx: DialogueContext): Draft => (ctx.scene.session.draft ??= {});

function summary(d: Draft): string {
  return [
    "Mohon periksa data Anda:",
    `Nama: ${d.name}`,
    `Nama usaha: ${d.businessName}`,
    `Bidang usaha: ${d.sector}`,
    `Kabupaten/kota: ${d.regency}`,
    `Nomor HP: ${d.phone}`,
    `NIB: ${d.nib ?? "-"}`,
    "",
    "Sudah benar?",
  ].join("\n");
}

async function showMenu(ctx: DialogueContext, head = "Menu utama:"): Promise<void> {
  await ctx.reply(`${head}\nSilakan pilih:`, keyboard(menuChoices));
}

const asking = {
  name: (ctx: DialogueContext) => ctx.reply("Siapa nama lengkap Anda?"),
  summary: (ctx: DialogueContext) => ctx.reply(summary(draftOf(ctx)), keyboard(saveChoices)),
};

/** Registration: consent, the profile one question at a time, a summary, then the save. */
function registrationScene(prisma: Db): Scenes.WizardScene<DialogueContext> {
  return new Scenes.WizardScene<DialogueContext>(
    "registration",
    // 0: on entering
    async (ctx) => {
      ctx.scene.session.draft = {};
      await ctx.reply(
        "Selamat datang di Sapa IKM. Kami akan menyimpan nama, usaha, kabupaten/kota, nomor HP dan NIB Anda untuk pendaftaran pelatihan. Apakah Anda setuju?",
        keyboard(consentChoices),
      );
      return ctx.wizard.next();
    },
    // 1: consent
    async (ctx) => {
      const choice = choose(await answer(ctx), consentChoices);
      if (!choice) return askAgain(ctx, consentChoices);
      if (choice.id === "no") {
        await ctx.reply("Baik, data Anda tidak kami simpan. Kirim /start jika berubah pikiran.");
        return ctx.scene.leave();
      }
      draftOf(ctx).consentAt = new Date().toISOString();
      await asking.name(ctx);
      return ctx.wizard.next();
    },
    // 2: name
    async (ctx) => {
      const name = await answer(ctx);
      if (!name || name.length < 2 || name.length > 80) return askAgain(ctx);
      draftOf(ctx).name = name;
      await ctx.reply("Apa nama usaha Anda?");
      return ctx.wizard.next();
    },
    // 3: business name
    async (ctx) => {
      const businessName = await answer(ctx);
      if (!businessName || businessName.length < 2 || businessName.length > 100) return askAgain(ctx);
      draftOf(ctx).businessName = businessName;
      await ctx.reply("Apa bidang usaha Anda?", keyboard(sectorChoices));
      return ctx.wizard.next();
    },
    // 4: sector
    async (ctx) => {
      const sector = choose(await answer(ctx), sectorChoices);
      if (!sector) return askAgain(ctx, sectorChoices);
      draftOf(ctx).sector = sector.id;
      await ctx.reply("Di kabupaten/kota mana usaha Anda?", keyboard(regencyChoices));
      return ctx.wizard.next();
    },
    // 5: regency
    async (ctx) => {
      const regency = choose(await answer(ctx), regencyChoices);
      if (!regency) return askAgain(ctx, regencyChoices);
      draftOf(ctx).regency = regency.id;
      await ctx.reply("Berapa nomor HP Anda? Contoh: 081234567890");
      return ctx.wizard.next();
    },
    // 6: phone
    async (ctx) => {
      const phone = (await answer(ctx))?.replace(/[\s-]/g, "");
      if (!phone || !PHONE.test(phone)) return askAgain(ctx);
      draftOf(ctx).phone = phone.replace(/^(?:\+62|62)/, "0");
      await ctx.reply("Apakah usaha Anda sudah punya NIB? (tidak wajib)", keyboard(nibChoices));
      return ctx.wizard.next();
    },
    // 7: has an NIB?
    async (ctx) => {
      const choice = choose(await answer(ctx), nibChoices);
      if (!choice) return askAgain(ctx, nibChoices);
      if (choice.id === "yes") {
        await ctx.reply("Silakan ketik 13 angka NIB Anda.");
        return ctx.wizard.next();
      }
      draftOf(ctx).nib = null;
      await asking.summary(ctx);
      return ctx.wizard.selectStep(9);
    },
    // 8: NIB
    async (ctx) => {
      const nib = await answer(ctx);
      if (!nib || !NIB.test(nib)) return askAgain(ctx);
      draftOf(ctx).nib = nib;
      await asking.summary(ctx);
      return ctx.wizard.next();
    },
    // 9: summary: save, or start the questions again
    async (ctx) => {
      const choice = choose(await answer(ctx), saveChoices);
      if (!choice) return askAgain(ctx, saveChoices);
      if (choice.id === "fix") {
        await asking.name(ctx);
        return ctx.wizard.selectStep(2);
      }
      const d = draftOf(ctx);
      const now = new Date();
      const participant = await prisma.participant.create({
        data: {
          name: d.name ?? null,
          businessName: d.businessName ?? null,
          sector: d.sector ?? null,
          regency: d.regency ?? null,
          phone: d.phone ?? null,
          nib: d.nib ?? null,
          language: "id",
          consentAt: d.consentAt ? new Date(d.consentAt) : now,
          consentVersion: CONSENT_VERSION,
          registeredAt: now,
        },
      });
      ctx.session.participantId = participant.id;
      await showMenu(ctx, `Terima kasih, ${participant.name}! Pendaftaran Anda tersimpan.`);
      return ctx.scene.leave();
    },
  );
}

/** Enrollment: a programme, one of its open sessions, a confirmation, then the seat or the waitlist. */
function enrollmentScene(prisma: Db): Scenes.WizardScene<DialogueContext> {
  return new Scenes.WizardScene<DialogueContext>(
    "enrollment",
    // 0: on entering: the programmes, by id so the order is stable
    async (ctx) => {
      const programmes = await prisma.programme.findMany({ where: { active: true }, orderBy: { id: "asc" } });
      if (!programmes.length) {
        await showMenu(ctx, "Belum ada pelatihan yang dibuka.");
        return ctx.scene.leave();
      }
      const offered = programmes.map((p) => ({ id: String(p.id), label: p.titleId }));
      ctx.scene.session.offered = offered;
      await ctx.reply("Pelatihan yang tersedia. Silakan pilih:", keyboard(offered));
      return ctx.wizard.next();
    },
    // 1: programme → its open sessions, by id
    async (ctx) => {
      const offered = ctx.scene.session.offered ?? [];
      const programme = choose(await answer(ctx), offered);
      if (!programme) return askAgain(ctx, offered);
      const programmeId = Number(programme.id);
      const sessions = await prisma.trainingSession.findMany({
        where: { programmeId, status: "scheduled", startsAt: { gt: new Date() } },
        include: { programme: { select: { timeZone: true } } },
        orderBy: { id: "asc" },
      });
      if (!sessions.length) {
        await ctx.reply("Belum ada jadwal untuk program ini. Silakan pilih program lain:", keyboard(offered));
        return;
      }
      const sessionChoices = sessions.map((s) => ({
        id: String(s.id),
        label: `${s.startsAt.toLocaleDateString("id-ID", { timeZone: s.programme.timeZone, dateStyle: "medium" })} – ${s.venue}`,
      }));
      ctx.scene.session.programmeId = programmeId;
      ctx.scene.session.offered = sessionChoices;
      await ctx.reply(`${programme.label}\nPilih jadwal:`, keyboard(sessionChoices));
      return ctx.wizard.next();
    },
    // 2: session → confirmation
    async (ctx) => {
      const offered = ctx.scene.session.offered ?? [];
      const chosen = choose(await answer(ctx), offered);
      if (!chosen) return askAgain(ctx, offered);
      ctx.scene.session.trainingSessionId = Number(chosen.id);
      await ctx.reply(`Daftar ke jadwal ${chosen.label}?`, keyboard(enrollChoices));
      return ctx.wizard.next();
    },
    // 3: confirmed → a seat if one is left, else the next place on the waitlist
    async (ctx) => {
      const choice = choose(await answer(ctx), enrollChoices);
      if (!choice) return askAgain(ctx, enrollChoices);
      const participantId = ctx.session.participantId;
      const trainingSessionId = ctx.scene.session.trainingSessionId;
      if (choice.id === "no" || participantId === undefined || trainingSessionId === undefined) {
        await showMenu(ctx, "Pendaftaran dibatalkan.");
        return ctx.scene.leave();
      }
      const enrollment = await prisma.$transaction(async (tx) => {
        const trainingSession = await tx.trainingSession.findUniqueOrThrow({ where: { id: trainingSessionId } });
        const enrolled = await tx.enrollment.count({ where: { trainingSessionId, status: "enrolled" } });
        if (enrolled < trainingSession.capacity)
          return tx.enrollment.create({ data: { participantId, trainingSessionId, status: "enrolled" } });
        const last = await tx.enrollment.aggregate({
          where: { trainingSessionId, status: "waitlisted" },
          _max: { waitlistPosition: true },
        });
        return tx.enrollment.create({
          data: {
            participantId,
            trainingSessionId,
            status: "waitlisted",
            waitlistPosition: (last._max.waitlistPosition ?? 0) + 1,
          },
        });
      });
      await ctx.reply(
        enrollment.status === "enrolled"
          ? "Anda terdaftar. Sampai jumpa di pelatihan!"
          : `Kelas penuh. Anda masuk daftar tunggu nomor ${enrollment.waitlistPosition}.`,
      );
      return ctx.scene.leave();
    },
  );
}

/** telegraf's session store interface over ioredis: JSON values under `prefix` + the session key. */
function redisSessionStore(redis: Redis, prefix: string): SessionStore<DialogueSession> {
  return {
    async get(key) {
      const raw = await redis.get(prefix + key);
      return raw === null ? undefined : (JSON.parse(raw) as DialogueSession);
    },
    set: (key, value) => redis.set(prefix + key, JSON.stringify(value), "EX", SESSION_TTL_SECONDS),
    delete: (key) => redis.del(prefix + key),
  };
}

/** telegraf's session store interface over a table of the database, through Prisma. */
async function databaseSessionStore(prisma: Db, provider: DatabaseProvider): Promise<SessionStore<DialogueSession>> {
  await prisma.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS "BaselineSession" (key TEXT PRIMARY KEY, session TEXT NOT NULL)`,
  );
  const sql = {
    get: forProvider(`SELECT session FROM "BaselineSession" WHERE key = $1`, provider),
    set: forProvider(
      `INSERT INTO "BaselineSession" (key, session) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET session = excluded.session`,
      provider,
    ),
    delete: forProvider(`DELETE FROM "BaselineSession" WHERE key = $1`, provider),
  };
  return {
    async get(key) {
      const [row] = await prisma.$queryRawUnsafe<{ session: string }[]>(sql.get, key);
      return row ? (JSON.parse(row.session) as DialogueSession) : undefined;
    },
    set: (key, value) => prisma.$executeRawUnsafe(sql.set, key, JSON.stringify(value)),
    delete: (key) => prisma.$executeRawUnsafe(sql.delete, key),
  };
}

/**
 * Builds the baseline bot: a fake token, `botInfo` set by hand (so it never calls getMe) and
 * the Bot API replaced by a stub that counts calls and answers as Telegram would.
 * Session keys in Redis are `${keyPrefix}${fromId}:${chatId}`; deleting `${keyPrefix}*` clears them.
 */
export async function createTelegrafBaseline(options: BaselineOptions): Promise<Baseline> {
  const { prisma, redisUrl, keyPrefix } = options;
  const store = options.sessions === "database" ? await databaseSessionStore(prisma, options.provider) : null;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  await redis.ping();

  const bot = new Telegraf<DialogueContext>("123456:baseline-fake-token");
  bot.botInfo = {
    id: 123456,
    is_bot: true,
    first_name: "Sapa IKM (baseline)",
    username: "sapa_ikm_baseline_bot",
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };

  let calls = 0;
  let messageId = 0;
  const callApi = async (method: string, payload: { chat_id?: number | string; text?: string }): Promise<unknown> => {
    calls++;
    if (method === "sendMessage")
      return {
        message_id: ++messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: payload.chat_id, type: "private" },
        text: payload.text,
      };
    return true; // answerCallbackQuery and the like
  };
  const stubbed = callApi as unknown as typeof bot.telegram.callApi;
  bot.telegram.callApi = stubbed;
  // handleUpdate gives each update its own Telegram client (for webhook replies), so the stub
  // goes on that one too: nothing ever reaches api.telegram.org.
  bot.use((ctx, next) => {
    ctx.telegram.callApi = stubbed;
    return next();
  });

  const stage = new Scenes.Stage<DialogueContext>([registrationScene(prisma), enrollmentScene(prisma)]);
  // /start works from anywhere, even in the middle of a scene.
  stage.start(async (ctx) => {
    if (ctx.session.participantId === undefined) return ctx.scene.enter("registration");
    await ctx.scene.leave();
    return showMenu(ctx, "Selamat datang kembali di Sapa IKM.");
  });

  bot.use(
    session({ store: store ?? redisSessionStore(redis, keyPrefix), defaultSession: (): DialogueSession => ({}) }),
  );
  bot.use(stage.middleware());

  // Outside a scene: the main menu.
  bot.use(async (ctx) => {
    const participantId = ctx.session.participantId;
    if (participantId === undefined) return ctx.scene.enter("registration");
    const choice = choose(await answer(ctx), menuChoices);
    if (choice?.id === "enroll") return ctx.scene.enter("enrollment");
    if (choice?.id === "schedule") {
      const mine = await prisma.enrollment.findMany({
        where: { participantId, status: { in: ["enrolled", "waitlisted"] } },
        include: { trainingSession: { include: { programme: true } } },
        orderBy: { trainingSession: { startsAt: "asc" } },
      });
      const lines = mine.map(
        (e) =>
          `- ${e.trainingSession.programme.titleId}, ${e.trainingSession.startsAt.toLocaleDateString("id-ID", { timeZone: e.trainingSession.programme.timeZone })}${e.status === "waitlisted" ? " (daftar tunggu)" : ""}`,
      );
      return showMenu(
        ctx,
        lines.length ? `Jadwal Anda:\n${lines.join("\n")}` : "Anda belum terdaftar di pelatihan apa pun.",
      );
    }
    return showMenu(ctx);
  });

  return {
    handleUpdate: (update) => bot.handleUpdate(update),
    close: async () => {
      await redis.quit();
    },
    sent: () => calls,
  };
}

/**
 * The Telegram updates one simulated participant sends, in order, for a complete registration and enrollment.
 *
 * All are typed text messages in a private chat (`chat.id` = `userId`), update ids counting up
 * from `firstUpdateId`. The choices are typed as list numbers: "1" picks the first programme
 * (programmes are listed by id) and then its first open session (sessions are listed by id).
 * The benchmark passes the first programme and its first session, so `programmeId` and
 * `trainingSessionId` name what these updates choose; they are not put in the messages.
 */
export function participantUpdates(
  userId: number,
  firstUpdateId: number,
  _trainingSessionId: number,
  _programmeId: number,
): Update[] {
  const texts = [
    "/start",
    "ya", // consent
    `Peserta ${userId}`,
    `Usaha ${userId}`,
    "1", // sector: lada
    "4", // regency: Kabupaten Bangka Tengah
    `0812${String(userId).padStart(8, "0")}`,
    "2", // NIB: skip
    "ya", // save
    "1", // menu: Daftar pelatihan
    "1", // the first programme, i.e. programmeId
    "1", // its first open session, i.e. trainingSessionId
    "ya", // confirm
  ];
  const date = Math.floor(Date.now() / 1000);
  const from = { id: userId, is_bot: false, first_name: `Peserta ${userId}`, language_code: "id" };
  return texts.map((text, i): Update.MessageUpdate => ({
    update_id: firstUpdateId + i,
    message: {
      message_id: i + 1,
      from,
      chat: { id: userId, type: "private", first_name: from.first_name },
      date,
      text,
      ...(text.startsWith("/") ? { entities: [{ type: "bot_command", offset: 0, length: text.length }] } : {}),
    },
  }));
}
