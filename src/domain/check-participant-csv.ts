/**
 * Reading and checking a CSV file of participants (the dashboard's "Impor peserta"), without
 * touching the database: the same columns as the export, every row checked with the rules
 * registration uses, and every problem reported with its line in the file, in both languages.
 * Writing them is importParticipants (participant-import.ts).
 */
import { parse } from "csv-parse/sync";
import { formatPhone } from "../../flows/texts.js";
import type { LocalText } from "../engine/types.js";
import { parsePhone } from "../understanding/phone.js";
import {
  catalogRegency,
  catalogSector,
  languageOf,
  lower,
  optedOutOf,
  phoneProblem,
  quote,
  bilingual,
  textProblem,
} from "./participant-fields.js";

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

/** "Baris 4: nomor HP 08123 terlalu pendek." in the reader's language. */
export function describeProblem(problem: ImportProblem, language: "id" | "en"): string {
  const reasons = problem.reasons.map((r) => r[language]).join("; ");
  if (problem.line === null) return reasons;
  return language === "en" ? `Line ${problem.line}: ${reasons}` : `Baris ${problem.line}: ${reasons}`;
}

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
