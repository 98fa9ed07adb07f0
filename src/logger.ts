/**
 * Structured logging with pino. Personal data never reaches a log line unmasked: the fields
 * below are masked wherever they appear (top level or one object down), and message text
 * from participants is reduced to its length.
 */
import { pino, type Logger } from "pino";

export type { Logger };

const personalFields = ["name", "displayName", "businessName", "phone", "nib", "chatId", "platformUserId", "email"];
const textFields = ["text"];

/** "6281234567890" -> "6281******890"; "Budi Santoso" -> "B*** S***". */
export function maskValue(value: unknown): unknown {
  if (typeof value !== "string" && typeof value !== "number") return value;
  const s = String(value);
  if (/^\+?[\d\s-]{6,}$/.test(s)) {
    const digits = s.replace(/\D/g, "");
    return `${digits.slice(0, 4)}${"*".repeat(Math.max(0, digits.length - 7))}${digits.slice(-3)}`;
  }
  if (s.includes("@")) {
    const [user, domain] = s.split("@");
    return `${user!.slice(0, 1)}***@${domain}`;
  }
  return s
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `${word.slice(0, 1)}***`)
    .join(" ");
}

/**
 * Phone numbers inside free text (log messages, errors) are masked too: Indonesian mobile
 * numbers in any of their forms, and any number in international form (+60123456789).
 */
export function maskPhonesInText(text: string): string {
  return text.replace(/(?<!\d)((\+?62|0)8\d{7,11}|\+\d{8,15})(?!\d)/g, (m) => String(maskValue(m)));
}

const paths = (fields: string[]) => fields.flatMap((f) => [f, `*.${f}`]);

/** Creates the application logger. `destination` is for tests. */
export function createLogger(
  options: { level?: string; pretty?: boolean } = {},
  destination?: pino.DestinationStream,
): Logger {
  const config: pino.LoggerOptions = {
    level: options.level ?? "info",
    base: { app: "sapa-ikm" },
    redact: {
      paths: [...paths(personalFields), ...paths(textFields)],
      censor: (value, path) =>
        textFields.includes(path[path.length - 1]!)
          ? typeof value === "string"
            ? `[${value.length} chars]`
            : value
          : maskValue(value),
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === "string" ? maskPhonesInText(a) : a)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
    serializers: {
      err: (err: Error) => {
        const s = pino.stdSerializers.err(err);
        return { ...s, message: maskPhonesInText(s.message), stack: s.stack ? maskPhonesInText(s.stack) : s.stack };
      },
    },
  };
  if (destination) return pino(config, destination);
  if (options.pretty)
    return pino({ ...config, transport: { target: "pino-pretty", options: { translateTime: "SYS:standard" } } });
  return pino(config);
}
