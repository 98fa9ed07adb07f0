/**
 * Phone numbers as people write them ("0812-3456-7890", "+62 812 3456 7890", "(0812) 3456.7890",
 * "6281234567890", "+60 12-345 6789"), read with libphonenumber-js and stored one way: the
 * digits of the international number without the plus ("6281234567890").
 *
 * The number must be one a person carries, since the bot reaches people on WhatsApp: the full
 * metadata (`libphonenumber-js/max`, about 145 kB more than the default) is used because only it
 * tells an Indonesian mobile number from a fixed line ("0717 421234", Pangkalpinang), whose
 * lengths overlap. Numbers without a country code are read as Indonesian; a number from abroad
 * is taken in its international form ("+65 9123 4567").
 */
import { parsePhoneNumberFromString, validatePhoneNumberLength, type NumberType } from "libphonenumber-js/max";

/** Why a typed number is not taken. */
export type PhoneProblem =
  /** Nothing typed. */
  | "empty"
  /** Letters or signs other than digits, spaces, dashes, dots, brackets and a leading plus. */
  | "characters"
  | "too_short"
  | "too_long"
  /** Not a number that exists: a wrong prefix, or a number from abroad written without its country code. */
  | "invalid"
  /** A fixed line, or a service number (0800 toll-free, 0809 premium): not a phone for WhatsApp. */
  | "landline";

/**
 * A number read: `phone` as stored (international digits, no plus), `country` its ISO code
 * ("ID", "MY"); or the problem.
 */
export type PhoneReading = { ok: true; phone: string; country: string | null } | { ok: false; problem: PhoneProblem };

/** Types of number a person may carry. VoIP numbers can hold a WhatsApp account too. */
const personalTypes = new Set<NumberType>(["MOBILE", "FIXED_LINE_OR_MOBILE", "PERSONAL_NUMBER", "VOIP"]);

/** What may separate the digits: spaces, dashes of every kind, dots, brackets. */
const separators = /[\s\-\u2010-\u2015\u2212.()]/g;

/** Indonesian mobile numbers have 9 to 12 digits after the 0 (0812-345-678 to 0812-3456-78901). */
const indonesianMobileDigits = { min: 9, max: 12 };

const problem = (p: PhoneProblem): PhoneReading => ({ ok: false, problem: p });

/** Reads a phone number typed, shared (Telegram's contact button) or given by WhatsApp. */
export function parsePhone(text: string): PhoneReading {
  let compact = text.replace(separators, "");
  if (!compact) return problem("empty");
  if (!/^\+?\p{Nd}+$/u.test(compact)) return problem("characters");
  // 00 is how most of the world dials abroad; no Indonesian number starts with it.
  if (compact.startsWith("00")) compact = `+${compact.slice(2)}`;
  const parsed = parsePhoneNumberFromString(compact, "ID");
  if (!parsed?.isValid()) return lengthProblem(compact, parsed?.country === "ID" ? parsed.nationalNumber : null);
  const type = parsed.getType();
  if (type !== undefined && !personalTypes.has(type)) return problem("landline");
  return { ok: true, phone: parsed.number.slice(1), country: parsed.country ?? null };
}

/** Too short, too long, or simply not a number, for one that is not valid. */
function lengthProblem(compact: string, indonesianNational: string | null): PhoneReading {
  const length = validatePhoneNumberLength(compact, "ID");
  if (length === "TOO_SHORT") return problem("too_short");
  if (length === "TOO_LONG") return problem("too_long");
  // Indonesia's numbering plan allows long fixed numbers, so a mobile number with digits too many
  // still has a "possible" length: count them against what mobile numbers have.
  if (indonesianNational?.startsWith("8")) {
    if (indonesianNational.length < indonesianMobileDigits.min) return problem("too_short");
    if (indonesianNational.length > indonesianMobileDigits.max) return problem("too_long");
  }
  return problem("invalid");
}

/**
 * A stored number as people read it: Indonesian ones as they write them at home
 * ("0812-3456-7890"), others in international form ("+60 12 345 6789"). `compact` leaves out
 * the separators ("081234567890", "+60123456789"), for files that a spreadsheet opens.
 */
export function formatPhone(stored: string, compact = false): string {
  if (/^62\d+$/.test(stored)) {
    const local = `0${stored.slice(2)}`;
    return compact ? local : local.replace(/^(\d{4})(\d{4})(\d+)$/, "$1-$2-$3");
  }
  if (!/^\d+$/.test(stored)) return stored;
  if (compact) return `+${stored}`;
  return parsePhoneNumberFromString(`+${stored}`)?.formatInternational() ?? `+${stored}`;
}
