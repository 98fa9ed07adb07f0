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
import { formatPhone } from "../../flows/texts.js";
import type { Database, DatabaseProvider } from "../db/database.js";
import { changes, rows as planRows } from "../db/plan.js";
import { forProvider, queryRows, runAtomically, sqlJson, sqlTime } from "../db/raw-sql.js";
import type { LocalText } from "../engine/types.js";
import { checkParticipantCsv, type ImportedParticipant, type ImportProblem } from "./check-participant-csv.js";
import { bilingual } from "./participant-fields.js";

/** The consent version stored on imported participants. */
export const importConsentVersion = "import";

export type ImportResult = { ok: true; imported: number } | { ok: false; problems: ImportProblem[]; rows: number };

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
