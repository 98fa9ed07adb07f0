/**
 * Configuration from the environment, validated once at start-up.
 *
 * With nothing set, the bot runs locally: SQLite at data/sapa.db, Redis on 127.0.0.1, HTTP on
 * port 3000, Asia/Jakarta, Indonesian. A wrong value stops start-up with one line naming the
 * variable, the value it got and what it expects. Every variable is listed in .env.example.
 */
import fs from "node:fs";
import path from "node:path";
import { IANAZone } from "luxon";
import { z } from "zod";

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

const schema = z.object({
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
});

export type Config = {
  nodeEnv: "development" | "production" | "test";
  database: { provider: "sqlite" | "postgresql"; url: string };
  redis: { url: string; prefix: string };
  http: { host: string; port: number };
  defaultTimeZone: string;
  defaultLanguage: "id" | "en";
  log: { level: string; pretty: boolean };
  conversationTtlHours: number;
};

/** A configuration value that is wrong; `message` is the one line shown to the operator. */
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
    throw new ConfigError(variable, raw[variable], issue.message);
  }
  const c = parsed.data;
  return {
    nodeEnv: c.NODE_ENV,
    database: {
      provider: c.DATABASE_URL.startsWith("file:") ? "sqlite" : "postgresql",
      url: c.DATABASE_URL,
    },
    redis: { url: c.REDIS_URL, prefix: c.QUEUE_PREFIX },
    http: { host: c.HOST, port: c.PORT },
    defaultTimeZone: c.DEFAULT_TIME_ZONE,
    defaultLanguage: c.DEFAULT_LANGUAGE,
    log: { level: c.LOG_LEVEL, pretty: c.LOG_PRETTY },
    conversationTtlHours: c.CONVERSATION_TTL_HOURS,
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
