/**
 * Importing participants from a CSV file (the dashboard's "Impor peserta"): the same columns as
 * the export, checked row by row with the rules registration uses, and written all together or
 * not at all.
 *
 * Every row is checked before anything is written. If one row is wrong, nothing is imported and
 * every problem is reported with its line in the file, in both languages, so staff fix the file
 * once and send it again. A phone number that is already on a participant is a problem too: a
 * typed number is never verified, so the import does not overwrite a profile a participant gave
 * the bot themselves (registration, for the same reason, never links records by phone).
 *
 * Imported participants are registered now, with consent version "import": the department must
 * hold their consent from elsewhere (a signed form at a training, for example).
 */
import { parse } from "csv-parse/sync";
import { DateTime } from "luxon";
import { regencies, sectors } from "../../flows/catalog.js";
import { formatPhone } from "../../flows/texts.js";
import type { Database, DatabaseProvider } from "../db/database.js";
import { changes, rows as planRows } from "../db/plan.js";
import { forProvider, queryRows, runAtomically, sqlJson, sqlTime } from "../db/raw-sql.js";
import type { LocalText } from "../engine/types.js";
import { parsePhone, type PhoneReading } from "../understanding/phone.js";

/** The consent version stored on imported participants. */
export const importConsentVersion = "import";

/** A file larger than this, or with more rows, is refused as a whole, with a message saying so. */
export const importLimits = { maxBytes: 2 * 1024 * 1024, maxRows: 10_000 };

/** The columns of the export, in order; the import reads the same header. */
export const participantCsvColumns = [
  "id",
  "nama",
  "nama usaha",
  "sektor",
  "kabupaten/kota",
  "nomor HP",
  "NIB",
  "bahasa",
  "terdaftar pada",
  "berhenti berlangganan",
  "kanal",
] as const;

type Field = "name" | "businessName" | "sector" | "regency" | "phone" | "nib" | "language" | "optedOut";

/** Header names the import understands (lower case, single spaces); null: read and ignored. */
const headerFields: Record<string, Field | null> = {
  id: null,
  nama: "name",
  name: "name",
  "nama usaha": "businessName",
  "business name": "businessName",
  sektor: "sector",
  "bidang usaha": "sector",
  sector: "sector",
  "kabupaten/kota": "regency",
  kabupaten: "regency",
  kota: "regency",
  "regency/city": "regency",
  regency: "regency",
  "nomor hp": "phone",
  "no hp": "phone",
  "no. hp": "phone",
  phone: "phone",
  "phone number": "phone",
  nib: "nib",
  bahasa: "language",
  language: "language",
  "berhenti berlangganan": "optedOut",
  "opted out": "optedOut",
  // Written by the export, set by the import itself: the date is now, the chats come later.
  "terdaftar pada": null,
  "registered at": null,
  kanal: null,
  channels: null,
};

const requiredFields: { field: Field; label: LocalText }[] = [
  { field: "name", label: { id: "nama", en: "nama (name)" } },
  { field: "phone", label: { id: "nomor HP", en: "nomor HP (phone number)" } },
  { field: "regency", label: { id: "kabupaten/kota", en: "kabupaten/kota (regency/city)" } },
];

/** One participant read from a row, ready to be written. */
export type ImportedParticipant = {
  /** Line of the file the row starts on (the header is line 1). */
  line: number;
  name: string;
  businessName: string | null;
  sector: string | null;
  regency: string;
  /** As registration stores it: 628xxxxxxxxx (or a number from abroad, 60xxxxxxxxx). */
  phone: string;
  nib: string | null;
  language: "id" | "en";
  optedOutAt: Date | null;
};

/** What is wrong with one line of the file (line null: the file as a whole). */
export type ImportProblem = { line: number | null; reasons: LocalText[] };

/** `rows`: the participant rows read (the lines after the header that are not empty). */
export type ImportCheck = { participants: ImportedParticipant[]; problems: ImportProblem[]; rows: number };

export type ImportResult = { ok: true; imported: number } | { ok: false; problems: ImportProblem[]; rows: number };

const bilingual = (id: string, en: string): LocalText => ({ id, en });

/** "Baris 4: nomor HP 08123 terlalu pendek." in the reader's language. */
export function describeProblem(problem: ImportProblem, language: "id" | "en"): string {
  const reasons = problem.reasons.map((r) => r[language]).join("; ");
  if (problem.line === null) return reasons;
  return language === "en" ? `Line ${problem.line}: ${reasons}` : `Baris ${problem.line}: ${reasons}`;
}

/** Quotes what someone wrote, shortened so one long cell does not flood the list of problems. */
const quote = (value: string) => `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;

/** Single spaces, no spaces at the ends; an apostrophe the export put before = + - @ goes. */
function clean(value: string | undefined): string {
  const v = (value ?? "").replace(/\s+/g, " ").trim();
  return /^'[=+\-@]/.test(v) ? v.slice(1) : v;
}

/** Comma or semicolon, whichever the header line (outside quotes) has more of. */
export function detectDelimiter(text: string): "," | ";" {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of text.replace(/^\uFEFF/, "")) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && ch === ",") commas++;
    else if (!quoted && ch === ";") semicolons++;
  }
  return semicolons > commas ? ";" : ",";
}

/** Why a phone number is refused (as registration refuses it), or null when it is taken. */
function phoneProblem(raw: string, reading: PhoneReading): LocalText | null {
  if (reading.ok) return null;
  const shown = quote(raw);
  switch (reading.problem) {
    case "empty":
      return bilingual("nomor HP wajib diisi", "the phone number is required");
    case "characters":
      return bilingual(
        `nomor HP ${shown} berisi huruf atau tanda selain angka (tulis seperti 081234567890)`,
        `the phone number ${shown} has letters or signs other than digits (write it like 081234567890)`,
      );
    case "too_short":
      return bilingual(`nomor HP ${shown} terlalu pendek`, `the phone number ${shown} is too short`);
    case "too_long":
      return bilingual(`nomor HP ${shown} terlalu panjang`, `the phone number ${shown} is too long`);
    case "landline":
      return bilingual(
        `nomor ${shown} adalah telepon rumah/kantor; isi nomor HP/WhatsApp, bukan telepon rumah`,
        `the number ${shown} is a landline; give a mobile (WhatsApp) number, not a landline`,
      );
    case "invalid":
      return bilingual(
        `nomor HP ${shown} tidak valid (nomor Indonesia diawali 08 atau +62 8; nomor luar negeri ditulis dengan + dan kode negara)`,
        `the phone number ${shown} is not valid (Indonesian numbers start with 08 or +62 8; numbers from abroad with + and the country code)`,
      );
  }
}

/** Free text as registration takes it: within a length and with at least one letter. */
function textProblem(value: string, min: number, max: number, what: LocalText): LocalText | null {
  if (value.length < min || !/\p{L}/u.test(value))
    return bilingual(
      `${what.id} ${quote(value)} terlalu pendek (minimal ${min} huruf)`,
      `${what.en} ${quote(value)} is too short (at least ${min} letters)`,
    );
  if (value.length > max)
    return bilingual(
      `${what.id} terlalu panjang (paling banyak ${max} karakter)`,
      `${what.en} is too long (at most ${max} characters)`,
    );
  return null;
}

const lower = (s: string) => s.toLocaleLowerCase("id-ID");

/** A catalog sector by its id or either label ("lada", "Lada (pengolahan lada)", "Pepper processing"). */
function catalogSector(value: string): string | null {
  const v = lower(value);
  const found = sectors.find(
    (s) =>
      s.id === v ||
      lower(s.label.id) === v ||
      lower(s.label.en) === v ||
      lower(s.label.id.replace(/\s*\(.*\)$/, "")) === v,
  );
  return found?.id ?? null;
}

/** A regency of the catalog, forgiving case, "Kab." and a missing "Kabupaten"/"Kota". */
function catalogRegency(value: string): string | null {
  const v = lower(value).replace(/^kab\.?\s+/, "kabupaten ");
  return regencies.find((r) => lower(r) === v || lower(r.replace(/^(Kota|Kabupaten) /, "")) === v) ?? null;
}

function languageOf(value: string): "id" | "en" | null {
  const v = lower(value);
  if (["", "id", "indonesia", "bahasa indonesia", "indonesian"].includes(v)) return "id";
  if (["en", "english", "inggris", "bahasa inggris"].includes(v)) return "en";
  return null;
}

/** Empty or "tidak": not opted out; "ya" or a date: opted out (then, or now). */
function optedOutOf(value: string, now: Date, timeZone: string): Date | null | undefined {
  const v = lower(value);
  if (["", "tidak", "no", "-"].includes(v)) return null;
  if (["ya", "yes"].includes(v)) return now;
  for (const format of ["yyyy-MM-dd HH:mm", "yyyy-MM-dd"]) {
    const date = DateTime.fromFormat(value, format, { zone: timeZone });
    if (date.isValid) return date.toJSDate();
  }
  const iso = DateTime.fromISO(value, { zone: timeZone });
  return iso.isValid ? iso.toJSDate() : undefined;
}

/** The file as text: UTF-8 (with or without a BOM); anything else is refused with a hint. */
function decode(input: string | Uint8Array): string | null {
  if (typeof input === "string") return input;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    return null;
  }
}

const fileProblem = (id: string, en: string): ImportCheck => ({
  participants: [],
  rows: 0,
  problems: [{ line: null, reasons: [bilingual(id, en)] }],
});

/**
 * Reads and checks a CSV file of participants without touching the database: the participants
 * to write, and every problem found (phones already in the database are checked by
 * importParticipants). `timeZone` is where dates in the file are local times.
 */
export function checkParticipantCsv(input: string | Uint8Array, options: { now: Date; timeZone: string }): ImportCheck {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.byteLength;
  if (size > importLimits.maxBytes)
    return fileProblem(
      "Berkas terlalu besar: paling besar 2 MB. Silakan bagi menjadi beberapa berkas.",
      "The file is too large: at most 2 MB. Please split it into several files.",
    );
  const text = decode(input);
  if (text === null)
    return fileProblem(
      'Berkas ini bukan teks UTF-8. Di Excel, simpan dengan "Save As" lalu pilih "CSV UTF-8 (Comma delimited)".',
      'This file is not UTF-8 text. In Excel, use "Save As" and choose "CSV UTF-8 (Comma delimited)".',
    );
  if (!text.replace(/^\uFEFF/, "").trim()) return fileProblem("Berkasnya kosong.", "The file is empty.");

  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      delimiter: detectDelimiter(text),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as unknown as typeof records;
  } catch (error) {
    const line = (error as { lines?: number }).lines ?? null;
    return {
      participants: [],
      rows: 0,
      problems: [
        {
          line,
          reasons: [
            bilingual(
              "berkas tidak dapat dibaca sebagai CSV (ada tanda kutip yang tidak ditutup?)",
              "the file cannot be read as CSV (a quotation mark that is not closed?)",
            ),
          ],
        },
      ],
    };
  }
  if (records.length - 1 > importLimits.maxRows)
    return fileProblem(
      `Berkas berisi ${records.length - 1} baris peserta; paling banyak ${importLimits.maxRows} sekali impor. Silakan bagi menjadi beberapa berkas.`,
      `The file has ${records.length - 1} participant rows; at most ${importLimits.maxRows} at a time. Please split it into several files.`,
    );

  // The header: every column known, none twice, the required ones there.
  const header = records[0]!.record.map((h) => lower(h.replace(/\s+/g, " ").trim()));
  const headerReasons: LocalText[] = [];
  const columnOf = new Map<Field, number>();
  header.forEach((name, index) => {
    if (!(name in headerFields)) {
      headerReasons.push(
        bilingual(`kolom ${quote(name)} tidak dikenal`, `the column ${quote(name)} is not one the import knows`),
      );
      return;
    }
    const field = headerFields[name];
    if (!field) return;
    if (columnOf.has(field))
      headerReasons.push(bilingual(`kolom ${quote(name)} ada dua kali`, `the column ${quote(name)} appears twice`));
    else columnOf.set(field, index);
  });
  for (const { field, label } of requiredFields)
    if (!columnOf.has(field))
      headerReasons.push(bilingual(`kolom ${label.id} wajib ada`, `the column ${label.en} is required`));
  if (headerReasons.length) {
    headerReasons.push(
      bilingual(
        `baris pertama harus berisi nama kolom, seperti pada hasil ekspor: ${participantCsvColumns.join(", ")}`,
        `the first line must hold the column names, as in the export: ${participantCsvColumns.join(", ")}`,
      ),
    );
    return { participants: [], rows: records.length - 1, problems: [{ line: 1, reasons: headerReasons }] };
  }
  if (records.length === 1)
    return fileProblem(
      "Berkas hanya berisi baris judul kolom, tanpa peserta.",
      "The file has only the header line, no participants.",
    );

  const participants: ImportedParticipant[] = [];
  const problems: ImportProblem[] = [];
  const firstLineOfPhone = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    // info.lines is where the record ends; a quoted value may span lines.
    const line = info.lines - record.reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0);
    const cell = (field: Field) => clean(record[columnOf.get(field) ?? -1]);
    const reasons: LocalText[] = [];
    const problem = (p: LocalText | null) => p && reasons.push(p);

    // PostgreSQL cannot store NUL in text; a file from another program sometimes carries one.
    if (record.some((v) => v.includes("\0")))
      problem(
        bilingual(
          "baris ini berisi karakter tak terlihat (NUL) yang tidak dapat disimpan; hapus karakter itu atau simpan ulang berkasnya sebagai CSV UTF-8",
          "this line contains an invisible character (NUL) that cannot be stored; remove it or save the file again as CSV UTF-8",
        ),
      );

    if (record.slice(header.length).some((v) => v.trim()))
      problem(
        bilingual(
          `baris ini berisi ${record.length} kolom, lebih banyak dari judulnya (${header.length})`,
          `this line has ${record.length} columns, more than the header (${header.length})`,
        ),
      );

    const name = cell("name");
    problem(
      name
        ? textProblem(name, 2, 80, bilingual("nama", "the name"))
        : bilingual("nama wajib diisi", "the name is required"),
    );

    const businessName = cell("businessName") || null;
    if (businessName) problem(textProblem(businessName, 2, 100, bilingual("nama usaha", "the business name")));

    // A sector of the catalog is stored by its id; any other, as typed, like "Lainnya" in the chat.
    const sectorText = cell("sector");
    const sector = sectorText ? (catalogSector(sectorText) ?? sectorText) : null;
    if (sectorText && !catalogSector(sectorText))
      problem(textProblem(sectorText, 3, 60, bilingual("sektor", "the sector")));

    const regencyText = cell("regency");
    const regency = catalogRegency(regencyText) ?? regencyText;
    problem(
      regencyText
        ? catalogRegency(regencyText)
          ? null
          : textProblem(regencyText, 3, 80, bilingual("kabupaten/kota", "the regency/city"))
        : bilingual("kabupaten/kota wajib diisi", "the regency/city is required"),
    );

    const phoneText = cell("phone");
    const reading = parsePhone(phoneText);
    const phone = reading.ok ? reading.phone : null;
    problem(phoneProblem(phoneText, reading));
    if (phone) {
      const earlier = firstLineOfPhone.get(phone);
      if (earlier !== undefined)
        problem(
          bilingual(
            `nomor HP ${formatPhone(phone)} sudah ada di baris ${earlier}`,
            `the phone number ${formatPhone(phone)} is already on line ${earlier}`,
          ),
        );
      else firstLineOfPhone.set(phone, line);
    }

    const nibText = cell("nib");
    const nib = nibText ? nibText.replace(/[\s.-]/g, "") : null;
    if (nib !== null && !/^\d{13}$/.test(nib))
      problem(
        bilingual(
          `NIB ${quote(nibText)} harus 13 angka (kosongkan bila belum ada)`,
          `the NIB ${quote(nibText)} must be 13 digits (leave it empty if there is none)`,
        ),
      );

    const languageText = cell("language");
    const language = languageOf(languageText);
    if (!language)
      problem(
        bilingual(
          `bahasa ${quote(languageText)} harus id atau en`,
          `the language ${quote(languageText)} must be id or en`,
        ),
      );

    const optedOutText = cell("optedOut");
    const optedOutAt = optedOutOf(optedOutText, options.now, options.timeZone);
    if (optedOutAt === undefined)
      problem(
        bilingual(
          `berhenti berlangganan ${quote(optedOutText)} harus kosong, "ya", atau tanggal seperti 2026-11-20 09:15`,
          `opted out ${quote(optedOutText)} must be empty, "ya" (yes) or a date like 2026-11-20 09:15`,
        ),
      );

    if (reasons.length) problems.push({ line, reasons });
    else
      participants.push({
        line,
        name,
        businessName,
        sector,
        regency,
        phone: phone!,
        nib,
        language: language!,
        optedOutAt: optedOutAt ?? null,
      });
  }
  return { participants, problems, rows: records.length - 1 };
}

/**
 * Participants (not deleted) who already have one of these phone numbers, in one statement
 * whatever their number: the list goes as one JSON (SQLite) or array (PostgreSQL) parameter.
 */
function existingPhonesStatement(provider: DatabaseProvider, phones: string[]): [string, unknown[]] {
  const list = provider === "sqlite" ? `IN (SELECT value FROM json_each($1))` : `= ANY($1::text[])`;
  return [
    forProvider(
      `SELECT id, phone FROM "Participant" WHERE "deletedAt" IS NULL AND phone ${list} ORDER BY id`,
      provider,
    ),
    [provider === "sqlite" ? JSON.stringify(phones) : phones],
  ];
}

const phoneMap = (found: { id: number; phone: string }[]) => {
  const map = new Map<string, number>();
  for (const row of found) if (!map.has(row.phone)) map.set(row.phone, Number(row.id));
  return map;
};

const insertColumns = [
  "name",
  `"businessName"`,
  "sector",
  "regency",
  "phone",
  "nib",
  "language",
  `"consentAt"`,
  `"consentVersion"`,
  `"registeredAt"`,
  `"optedOutAt"`,
  `"createdAt"`,
  `"updatedAt"`,
];
const timeColumns = new Set([7, 9, 10, 11, 12]);
/** Rows in one INSERT: 500 rows of 13 values stay well under either database's limit on parameters. */
const rowsPerInsert = 500;

/** One multi-row INSERT for `count` participants, placeholders numbered in order. */
function insertStatement(count: number, provider: DatabaseProvider): string {
  let n = 1;
  const row = () =>
    `(${insertColumns.map((_, i) => `$${n++}${timeColumns.has(i) ? "::timestamp(3)" : ""}`).join(", ")})`;
  const values = Array.from({ length: count }, row).join(",\n");
  return forProvider(`INSERT INTO "Participant" (${insertColumns.join(", ")}) VALUES ${values}`, provider);
}

const alreadyRegistered = (p: ImportedParticipant, id: number): ImportProblem => ({
  line: p.line,
  reasons: [
    bilingual(
      `nomor HP ${formatPhone(p.phone)} sudah terdaftar (peserta #${id}); data yang ada tidak diubah`,
      `the phone number ${formatPhone(p.phone)} is already registered (participant #${id}); existing data is not changed`,
    ),
  ],
});

/** Problems sorted by line, the file-wide ones first, several for one line merged. */
function byLine(problems: ImportProblem[]): ImportProblem[] {
  const merged = new Map<number | null, LocalText[]>();
  for (const p of problems) merged.set(p.line, [...(merged.get(p.line) ?? []), ...p.reasons]);
  return [...merged].map(([line, reasons]) => ({ line, reasons })).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/**
 * Checks a CSV file and, when every row is right, writes all its participants in one
 * transaction and records the import (the count, never the rows) in the audit log.
 */
export async function importParticipants(
  database: Database,
  input: string | Uint8Array,
  options: { staffId: number | null; now?: Date; timeZone: string },
): Promise<ImportResult> {
  const now = options.now ?? new Date();
  const { participants, problems, rows } = checkParticipantCsv(input, { now, timeZone: options.timeZone });
  const provider = database.provider;
  const phones = [...new Set(participants.map((p) => p.phone))];
  const [checkSql, checkParams] = existingPhonesStatement(provider, phones);
  const existing = phoneMap(await queryRows(database, database.prisma, checkSql, checkParams));
  for (const p of participants) {
    const id = existing.get(p.phone);
    if (id !== undefined) problems.push(alreadyRegistered(p, id));
  }
  if (problems.length) return { ok: false, problems: byLine(problems), rows };

  // Raw statements in one transaction of their own (runAtomically): on SQLite they run on the
  // shared connection in one go, so 10,000 rows hold the bot's writes up for a moment, not for
  // the seconds Prisma's createMany takes.
  const at = sqlTime(now, provider);
  const result = await runAtomically(database, function* () {
    // Checked again inside the transaction: someone may have registered in the meantime.
    const taken = phoneMap(yield* planRows<{ id: number; phone: string }>(checkSql, checkParams));
    if (taken.size)
      return participants.flatMap((p) => (taken.has(p.phone) ? [alreadyRegistered(p, taken.get(p.phone)!)] : []));
    for (let i = 0; i < participants.length; i += rowsPerInsert) {
      const slice = participants.slice(i, i + rowsPerInsert);
      yield* changes(
        insertStatement(slice.length, provider),
        slice.flatMap((p) => [
          p.name,
          p.businessName,
          p.sector,
          p.regency,
          p.phone,
          p.nib,
          p.language,
          at,
          importConsentVersion,
          at,
          p.optedOutAt ? sqlTime(p.optedOutAt, provider) : null,
          at,
          at,
        ]),
      );
    }
    // The audit entry in the same transaction, so an import is never without one. Like
    // audit() in staff.ts, but as a statement of this plan.
    yield* changes(
      forProvider(
        `INSERT INTO "AuditLog" ("staffId", action, detail, "createdAt") VALUES ($1, $2, $3::jsonb, $4::timestamp(3))`,
        provider,
      ),
      [options.staffId, "participants.imported", sqlJson({ count: participants.length }), at],
    );
    return null;
  });
  if (result) return { ok: false, problems: result, rows };
  return { ok: true, imported: participants.length };
}
