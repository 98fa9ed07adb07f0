/**
 * Configuration from the environment, validated once at start-up.
 *
 * With nothing set, the bot runs locally: SQLite at data/sapa.db, Redis on 127.0.0.1, HTTP on
 * port 3000, Asia/Jakarta, Indonesian. A wrong value stops start-up with one line naming the
 * variable, the value it got and what it expects. Every variable is listed in .env.example.
 */
import fs from "node:fs";
import path from "node:path";
import { CronExpressionParser } from "cron-parser";
import { IANAZone } from "luxon";
import { z } from "zod";
import { parseQuietHours, type QuietHours } from "./domain/quiet-hours.js";

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `an integer from ${min} to ${max}`).max(max, `an integer from ${min} to ${max}`));

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], "true or false"))
  .transform((v) => v === "true" || v === "1" || v === "yes");

const databaseUrl = z
  .string()
  .trim()
  .refine(
    (v) => v.startsWith("file:") || /^postgres(ql)?:\/\/.+/.test(v),
    "a SQLite file (file:path/to.db) or a PostgreSQL URL (postgresql://user@host:5432/db)",
  );

const redisUrl = z
  .string()
  .trim()
  .refine((v) => /^rediss?:\/\/.+/.test(v), "a Redis URL such as redis://127.0.0.1:6379");

const timeZone = z
  .string()
  .trim()
  .refine((v) => IANAZone.isValidZone(v), "an IANA time zone such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura");

const httpUrl = z
  .string()
  .trim()
  .refine(
    (v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol),
    "an http(s) address such as https://bot.example.go.id",
  );

const cron = z
  .string()
  .trim()
  .refine((v) => {
    if (v.toLowerCase() === "off") return true;
    try {
      CronExpressionParser.parse(v, { strict: false });
      return v.split(/\s+/).length === 5;
    } catch {
      return false;
    }
  }, 'a cron expression of five fields such as "0 8 * * 2" (Tuesdays at 08:00), or off');

const quietHours = z
  .string()
  .trim()
  .refine((v) => parseQuietHours(v) !== undefined, "two local times such as 20:00-07:00, or off");

const dashboardSecretExpected =
  "a random secret of at least 32 characters, such as the output of: openssl rand -base64 48";

/** Values whose text must not appear in an error message at all (it would end up in a log). */
const secretVariables = new Set(["DASHBOARD_SESSION_SECRET", "WHATSAPP_CLOUD_APP_SECRET"]);
/**
 * Values of which an error message shows the first 4 characters only, enough to tell which one
 * was set: these names, and any variable added later whose name says it holds a secret.
 */
const tokenVariables = /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE/i;

/**
 * Passwords inside URLs (`postgresql://user:pw@host`, `redis://:pw@host`, `?password=pw`) as
 * `***`, in any text, parsable as a URL or not: a URL refused by the configuration is often the
 * unparsable one.
 */
export function maskUrlPasswords(text: string): string {
  return (
    text
      // Up to the last @: a password with an unescaped @ in it is a common mistake.
      .replace(/(\/\/|^(?![a-z][a-z0-9+.-]*:\/\/))([^\s:/?#@]*):\S*@/gim, "$1$2:***@")
      .replace(/([?&](?:password|pass|pwd)=)[^&\s#]*/gi, "$1***")
  );
}

/** A configuration value as an error message may show it: secrets masked, URLs without their passwords. */
export function maskConfigValue(variable: string, value: string): string {
  const trimmed = value.trim();
  if (secretVariables.has(variable)) return `[hidden, ${trimmed.length} characters]`;
  if (tokenVariables.test(variable))
    return trimmed.length >= 12 ? `${trimmed.slice(0, 4)}*** (${trimmed.length} characters)` : "***";
  return maskUrlPasswords(value);
}

const trustProxy = z
  .string()
  .trim()
  .refine(
    (v) => /^(true|false|off)$/i.test(v) || v.split(",").every((part) => /^[\w.:/-]+$/.test(part.trim())),
    "true, false, or proxy addresses separated by commas (IP, CIDR, loopback, linklocal, uniquelocal)",
  )
  .transform((v): boolean | string[] => {
    if (/^true$/i.test(v)) return true;
    if (/^(false|off)$/i.test(v)) return false;
    return v.split(",").map((part) => part.trim());
  });

/** What a process runs (README, Operations): everything, the HTTP side only, or the background side only. */
export const appRoles = ["all", "web", "worker"] as const;
export type AppRole = (typeof appRoles)[number];

const schema = z.object({
  APP_ROLE: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(appRoles, "all (one process does everything), web (HTTP only) or worker (queues and channels)"))
    .default("all"),
  NODE_ENV: z.enum(["development", "production", "test"], "development, production or test").default("development"),
  DATABASE_URL: databaseUrl.default("file:data/sapa.db"),
  REDIS_URL: redisUrl.default("redis://127.0.0.1:6379"),
  QUEUE_PREFIX: z
    .string()
    .trim()
    .regex(/^[a-z0-9_-]{1,40}$/i, "letters, digits, - or _ (at most 40)")
    .default("sapa"),
  HOST: z.string().trim().min(1, "a host name or address such as 0.0.0.0").default("0.0.0.0"),
  PORT: integer(1, 65535).default(3000),
  DEFAULT_TIME_ZONE: timeZone.default("Asia/Jakarta"),
  DEFAULT_LANGUAGE: z.enum(["id", "en"], "id or en").default("id"),
  LOG_LEVEL: z
    .enum(
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
      "fatal, error, warn, info, debug, trace or silent",
    )
    .default("info"),
  LOG_PRETTY: boolean.default(false),
  CONVERSATION_TTL_HOURS: integer(1, 24 * 30).default(24),
  TELEGRAM_BOT_TOKEN: z
    .string()
    .trim()
    .regex(/^\d+:[A-Za-z0-9_-]{5,}$/, "the token BotFather gave, such as 123456789:AAH...")
    .optional(),
  TELEGRAM_API_ROOT: httpUrl.default("https://api.telegram.org"),
  PUBLIC_URL: httpUrl.optional(),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, "16 to 256 letters, digits, - or _")
    .optional(),
  TELEGRAM_BULK_PER_SECOND: integer(1, 1000).default(25),
  TELEGRAM_CHAT_GAP_MS: integer(0, 60_000).default(1000),
  TELEGRAM_BOT_USERNAME: z
    .string()
    .trim()
    .transform((v) => v.replace(/^@/, ""))
    .pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, "the bot's username, such as SapaIkmBot"))
    .optional(),
  WHATSAPP_ENABLED: boolean.default(false),
  WHATSAPP_NUMBER: z
    .string()
    .trim()
    .transform((v) => v.replace(/[\s()+-]/g, ""))
    .pipe(z.string().regex(/^[1-9]\d{7,14}$/, "the bot's WhatsApp number with country code, such as +62 812 3456 7890"))
    .optional(),
  WHATSAPP_SESSION_DIR: z.string().trim().min(1, "a folder such as data/whatsapp").default("data/whatsapp"),
  CHROMIUM_PATH: z
    .string()
    .trim()
    .min(1, "the path of Chromium, such as /usr/bin/chromium")
    .default("/usr/bin/chromium"),
  WHATSAPP_BULK_PER_MINUTE: integer(1, 60).default(6),
  WHATSAPP_DAILY_CAP: integer(1, 100_000).default(200),
  WHATSAPP_PROVIDER: z
    .enum(["web", "cloud"], "web (a linked phone, whatsapp-web.js) or cloud (the official Cloud API)")
    .default("web"),
  WHATSAPP_CLOUD_ACCESS_TOKEN: z
    .string()
    .trim()
    .min(20, "the permanent access token of a system user in Meta Business Settings")
    .optional(),
  WHATSAPP_CLOUD_PHONE_NUMBER_ID: z
    .string()
    .trim()
    .regex(/^\d{5,20}$/, "the phone number id from WhatsApp Manager (digits), not the phone number")
    .optional(),
  WHATSAPP_CLOUD_APP_SECRET: z.string().trim().min(16, "the app secret from the Meta app's Basic settings").optional(),
  WHATSAPP_CLOUD_VERIFY_TOKEN: z
    .string()
    .trim()
    .regex(/^[\x21-\x7e]{8,256}$/, "8 to 256 characters of your choosing, without spaces")
    .optional(),
  WHATSAPP_CLOUD_API_ROOT: httpUrl.default("https://graph.facebook.com"),
  WHATSAPP_CLOUD_API_VERSION: z
    .string()
    .trim()
    .regex(/^v\d+\.\d+$/, "a Graph API version such as v23.0")
    .default("v23.0"),
  WHATSAPP_CLOUD_PER_SECOND: integer(1, 1000).default(80),
  WHATSAPP_CLOUD_DAILY_LIMIT: z
    .string()
    .trim()
    .toLowerCase()
    .refine(
      (v) => v === "unlimited" || (/^\d+$/.test(v) && Number(v) >= 1),
      "a number of people per 24 hours such as 250, 1000, 10000 or 100000, or unlimited",
    )
    .transform((v) => (v === "unlimited" ? null : Number(v)))
    .default(1000),
  WHATSAPP_CLOUD_PRICE_UTILITY: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, "rupiah per utility template message, such as 356.65")
    .transform(Number)
    .optional(),
  WHATSAPP_CLOUD_PRICE_MARKETING: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, "rupiah per marketing template message, such as 586.33")
    .transform(Number)
    .optional(),
  MOTIVATION_SCHEDULE: cron.default("0 8 * * 2"),
  QUIET_HOURS: quietHours.default("20:00-07:00"),
  WEEKLY_MESSAGE_CAP: integer(1, 50).default(2),
  BROADCAST_APPROVAL_THRESHOLD: integer(0, 10_000_000).default(0),
  RECONCILE_INTERVAL_SECONDS: integer(1, 3600).default(60),
  OUTBOX_STUCK_SECONDS: integer(5, 86_400).default(300),
  DASHBOARD_SESSION_SECRET: z.string().trim().min(32, dashboardSecretExpected).optional(),
  TRUST_PROXY: trustProxy.optional(),
  ERASURE_LIST_FILE: z
    .string()
    .trim()
    .refine(
      (v) => !(fs.existsSync(v) && !fs.statSync(v).isFile()),
      "a file path such as data/erasures.jsonl (a file, not a folder); it is created at the first erasure",
    )
    .optional(),
  DEPARTMENT_NAME: z
    .string()
    .trim()
    .min(3, "the department's name, 3 to 200 characters")
    .max(200, "the department's name, 3 to 200 characters")
    .optional(),
  CERTIFICATE_BASE_URL: httpUrl.optional(),
});

/** What certificates say and link to (src/domain/certificates.ts). */
export type CertificateSettings = {
  /** The issuing department, printed on every certificate (DEPARTMENT_NAME). */
  issuer: string;
  /** Where `/sertifikat/<number>` is reached from outside, without a trailing slash. */
  baseUrl: string;
};

export const defaultDepartmentName = "Dinas Perindustrian dan Perdagangan Provinsi Kepulauan Bangka Belitung";

let activeCertificateSettings: CertificateSettings | null = null;

/** Makes these what certificateSettings() gives in this process (startApp: the loaded configuration's). */
export function useCertificateSettings(settings: CertificateSettings): void {
  activeCertificateSettings = settings;
}

/**
 * The certificate settings: those of the running app (useCertificateSettings), else from the
 * environment: DEPARTMENT_NAME, and CERTIFICATE_BASE_URL, else PUBLIC_URL, else
 * http://localhost:<PORT>. Read where a certificate is issued or rendered (loadConfig checks the
 * values at start-up).
 */
export function certificateSettings(env?: NodeJS.ProcessEnv): CertificateSettings {
  if (!env && activeCertificateSettings) return activeCertificateSettings;
  env ??= process.env;
  const value = (key: string) => (env[key]?.trim() ? env[key].trim() : undefined);
  const base = value("CERTIFICATE_BASE_URL") ?? value("PUBLIC_URL") ?? `http://localhost:${value("PORT") ?? "3000"}`;
  return { issuer: value("DEPARTMENT_NAME") ?? defaultDepartmentName, baseUrl: base.replace(/\/+$/, "") };
}

/** The official WhatsApp Cloud API (WHATSAPP_PROVIDER=cloud). */
export type WhatsAppCloudConfig = {
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  /** Meta's Graph API (https://graph.facebook.com), or a fake in tests. */
  apiRoot: string;
  apiVersion: string;
  /** Messages a second from this number (Meta's default throughput is 80). */
  perSecond: number;
  /** The messaging limit tier: people reached with business-initiated messages in a rolling 24 hours; null: unlimited. */
  dailyLimit: number | null;
  /** Rupiah per template message by category, for the broadcast preview's cost estimate; null: not set. */
  price: { utility: number | null; marketing: number | null };
};

export type Config = {
  /** all: one process; web: HTTP, enqueues only; worker: queues, timers, Telegram polling, WhatsApp. */
  role: AppRole;
  nodeEnv: "development" | "production" | "test";
  database: { provider: "sqlite" | "postgresql"; url: string };
  redis: { url: string; prefix: string };
  http: {
    host: string;
    port: number;
    /**
     * Which proxies in front of the server to believe about the client's address and protocol
     * (X-Forwarded-For, X-Forwarded-Proto); false believes none.
     */
    trustProxy: boolean | string[];
  };
  defaultTimeZone: string;
  defaultLanguage: "id" | "en";
  log: { level: string; pretty: boolean };
  conversationTtlHours: number;
  /** Null when TELEGRAM_BOT_TOKEN is not set. */
  telegram: {
    token: string;
    apiRoot: string;
    publicUrl: string | null;
    webhookSecret: string | null;
    bulkPerSecond: number;
    chatGapMs: number;
  } | null;
  /**
   * Where the check-in poster's QR code leads: the Telegram bot's username (else the running
   * bot's, from getMe) and the WhatsApp number in international digits. Null when not set.
   */
  chatLinks: { telegramBot: string | null; whatsappNumber: string | null };
  whatsapp: {
    enabled: boolean;
    sessionDir: string;
    chromiumPath: string;
    bulkPerMinute: number;
    dailyCap: number;
    /** web: whatsapp-web.js on a linked phone; cloud: the official Cloud API (`cloud` is then set). */
    provider: "web" | "cloud";
    /** Set when WHATSAPP_PROVIDER=cloud. */
    cloud: WhatsAppCloudConfig | null;
  };
  schedule: {
    /** Cron of the motivation rounds, in the default time zone; null when off. */
    motivationCron: string | null;
    /** Local quiet hours of motivation and broadcasts; null when off. */
    quietHours: QuietHours | null;
    /** Motivation and broadcast messages a participant gets in 7 days at most. */
    weeklyCap: number;
  };
  /** Broadcasts to more recipients than this need a second staff member's approval; 0: never. */
  broadcastApprovalThreshold: number;
  /** How often the outbox and broadcast reconcile pass runs, and when a send that never finished is tried again. */
  reconcile: { everyMs: number; stuckMs: number };
  /**
   * The copy of the erased-participants list outside the database (src/domain/erasures.ts), kept
   * where restoring the database does not replace it: by default erasures.jsonl beside the SQLite
   * file, or data/erasures.jsonl with PostgreSQL.
   */
  erasures: { listFile: string };
  certificates: CertificateSettings;
  dashboard: {
    /** Signs the session cookies; null outside production when unset (a random one is used per start). */
    sessionSecret: string | null;
    /** Cookies only over HTTPS: true when PUBLIC_URL is https. */
    secureCookies: boolean;
  };
};

/**
 * A configuration value that is wrong; `message` is the one line shown to the operator. `value`
 * is as shown: already masked by maskConfigValue where it holds a secret.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string | undefined,
    readonly expected: string,
  ) {
    super(`Invalid configuration: ${variable}=${JSON.stringify(value ?? "")} is not valid; expected ${expected}.`);
    this.name = "ConfigError";
  }
}

/** Parses the environment. Empty strings count as unset, so `PORT=` falls back to the default. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    const given = raw[variable];
    throw new ConfigError(variable, given === undefined ? undefined : maskConfigValue(variable, given), issue.message);
  }
  const c = parsed.data;
  // Outside production a random secret per start is fine (sessions just end at a restart); in
  // production that would also log everyone out of every other web process, so it must be set.
  if (c.NODE_ENV === "production" && !c.DASHBOARD_SESSION_SECRET)
    throw new ConfigError(
      "DASHBOARD_SESSION_SECRET",
      undefined,
      `${dashboardSecretExpected} (required when NODE_ENV=production)`,
    );
  const httpsPublicUrl = c.PUBLIC_URL !== undefined && new URL(c.PUBLIC_URL).protocol === "https:";
  return {
    role: c.APP_ROLE,
    nodeEnv: c.NODE_ENV,
    database: {
      provider: c.DATABASE_URL.startsWith("file:") ? "sqlite" : "postgresql",
      url: c.DATABASE_URL,
    },
    redis: { url: c.REDIS_URL, prefix: c.QUEUE_PREFIX },
    http: {
      host: c.HOST,
      port: c.PORT,
      // Behind HTTPS there is a proxy terminating TLS; on the same machine is the safe guess.
      trustProxy: c.TRUST_PROXY ?? (httpsPublicUrl ? ["loopback"] : false),
    },
    defaultTimeZone: c.DEFAULT_TIME_ZONE,
    defaultLanguage: c.DEFAULT_LANGUAGE,
    log: { level: c.LOG_LEVEL, pretty: c.LOG_PRETTY },
    conversationTtlHours: c.CONVERSATION_TTL_HOURS,
    telegram: c.TELEGRAM_BOT_TOKEN
      ? {
          token: c.TELEGRAM_BOT_TOKEN,
          apiRoot: c.TELEGRAM_API_ROOT,
          publicUrl: c.PUBLIC_URL ?? null,
          webhookSecret: c.TELEGRAM_WEBHOOK_SECRET ?? null,
          bulkPerSecond: c.TELEGRAM_BULK_PER_SECOND,
          chatGapMs: c.TELEGRAM_CHAT_GAP_MS,
        }
      : null,
    chatLinks: { telegramBot: c.TELEGRAM_BOT_USERNAME ?? null, whatsappNumber: c.WHATSAPP_NUMBER ?? null },
    whatsapp: {
      // The Cloud API needs no linked phone: choosing it turns WhatsApp on.
      enabled: c.WHATSAPP_ENABLED || c.WHATSAPP_PROVIDER === "cloud",
      sessionDir: path.resolve(c.WHATSAPP_SESSION_DIR),
      chromiumPath: c.CHROMIUM_PATH,
      bulkPerMinute: c.WHATSAPP_BULK_PER_MINUTE,
      dailyCap: c.WHATSAPP_DAILY_CAP,
      provider: c.WHATSAPP_PROVIDER,
      cloud: c.WHATSAPP_PROVIDER === "cloud" ? whatsappCloudSettings(c) : null,
    },
    schedule: {
      motivationCron: c.MOTIVATION_SCHEDULE.toLowerCase() === "off" ? null : c.MOTIVATION_SCHEDULE,
      quietHours: parseQuietHours(c.QUIET_HOURS)!,
      weeklyCap: c.WEEKLY_MESSAGE_CAP,
    },
    broadcastApprovalThreshold: c.BROADCAST_APPROVAL_THRESHOLD,
    reconcile: { everyMs: c.RECONCILE_INTERVAL_SECONDS * 1000, stuckMs: c.OUTBOX_STUCK_SECONDS * 1000 },
    erasures: {
      listFile: path.resolve(
        c.ERASURE_LIST_FILE ??
          (c.DATABASE_URL.startsWith("file:")
            ? path.join(path.dirname(sqliteFilePath(c.DATABASE_URL)), "erasures.jsonl")
            : "data/erasures.jsonl"),
      ),
    },
    certificates: certificateSettings(raw),
    dashboard: { sessionSecret: c.DASHBOARD_SESSION_SECRET ?? null, secureCookies: httpsPublicUrl },
  };
}

/** The Cloud API settings; each one the provider needs and is missing is named. */
function whatsappCloudSettings(c: z.infer<typeof schema>): WhatsAppCloudConfig {
  const required = {
    WHATSAPP_CLOUD_ACCESS_TOKEN: "the permanent access token of a system user in Meta Business Settings",
    WHATSAPP_CLOUD_PHONE_NUMBER_ID: "the phone number id from WhatsApp Manager (digits), not the phone number",
    WHATSAPP_CLOUD_APP_SECRET: "the app secret from the Meta app's Basic settings",
    WHATSAPP_CLOUD_VERIFY_TOKEN:
      "8 to 256 characters of your choosing, without spaces, also entered in the app's webhook settings",
  } as const;
  for (const [variable, expected] of Object.entries(required))
    if (c[variable as keyof typeof required] === undefined)
      throw new ConfigError(variable, undefined, `${expected} (required when WHATSAPP_PROVIDER=cloud)`);
  return {
    accessToken: c.WHATSAPP_CLOUD_ACCESS_TOKEN!,
    phoneNumberId: c.WHATSAPP_CLOUD_PHONE_NUMBER_ID!,
    appSecret: c.WHATSAPP_CLOUD_APP_SECRET!,
    verifyToken: c.WHATSAPP_CLOUD_VERIFY_TOKEN!,
    apiRoot: c.WHATSAPP_CLOUD_API_ROOT.replace(/\/+$/, ""),
    apiVersion: c.WHATSAPP_CLOUD_API_VERSION,
    perSecond: c.WHATSAPP_CLOUD_PER_SECOND,
    dailyLimit: c.WHATSAPP_CLOUD_DAILY_LIMIT,
    price: { utility: c.WHATSAPP_CLOUD_PRICE_UTILITY ?? null, marketing: c.WHATSAPP_CLOUD_PRICE_MARKETING ?? null },
  };
}

/** Loads `.env` from the working directory if there is one; the real environment wins. */
export function loadDotEnv(file = path.resolve(".env")): void {
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

/** The file path of a SQLite `file:` URL, relative to the working directory. */
export function sqliteFilePath(url: string): string {
  return path.resolve(url.replace(/^file:/, "").replace(/\?.*$/, ""));
}
