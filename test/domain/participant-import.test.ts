import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { participantWhere, readFilters } from "../../src/admin/dashboard/pages/participants-query.js";
import { checkParticipantCsv, describeProblem, type ImportProblem } from "../../src/domain/check-participant-csv.js";
import { importParticipants } from "../../src/domain/participant-import.js";
import { openTestDatabase, providers, type TestDatabase } from "../support/databases.js";

const timeZone = "Asia/Jakarta";
const now = new Date("2026-11-20T02:00:00Z");
const header =
  "id,nama,nama usaha,sektor,kabupaten/kota,nomor HP,NIB,bahasa,terdaftar pada,berhenti berlangganan,kanal";

/** Every problem as staff read it, in one language. */
const lines = (problems: ImportProblem[], language: "id" | "en" = "id") =>
  problems.map((p) => describeProblem(p, language));

describe("reading a participants CSV", () => {
  it("takes a BOM, semicolons, quoted values and catalog labels", () => {
    const csv =
      "\uFEFFnama;nomor HP;kabupaten/kota;sektor;nama usaha;bahasa\r\n" +
      '"Siti Aminah";0812-3456-7890;Bangka Tengah;Pepper processing;"Lada Putih; Sejahtera";en\r\n' +
      "Budi Santoso;+62 813 1111 2222;kab. belitung;konveksi;;\r\n";
    const { participants, problems } = checkParticipantCsv(csv, { now, timeZone });
    expect(problems).toEqual([]);
    expect(participants).toMatchObject([
      {
        line: 2,
        name: "Siti Aminah",
        businessName: "Lada Putih; Sejahtera",
        sector: "lada",
        regency: "Kabupaten Bangka Tengah",
        phone: "6281234567890",
        language: "en",
      },
      { line: 3, name: "Budi Santoso", businessName: null, sector: "konveksi", regency: "Kabupaten Belitung" },
    ]);
  });

  it("counts lines of the file, also after a value that spans two lines", () => {
    const csv = 'nama,nomor HP,kabupaten/kota,nama usaha\n"Rina\nWulandari",08123,Kota Pangkalpinang,x\n';
    const { problems } = checkParticipantCsv(csv, { now, timeZone });
    expect(lines(problems)).toEqual([
      'Baris 2: nama usaha "x" terlalu pendek (minimal 2 huruf); nomor HP "08123" terlalu pendek',
    ]);
  });

  it("takes a mobile number from abroad, refuses a landline and says why", () => {
    const csv = [
      "nama,nomor HP,kabupaten/kota",
      "Siti Aminah,+60 12-345 6789,Kota Pangkalpinang",
      "Budi Santoso,(0717) 421234,Kota Pangkalpinang",
      "Rina Wulandari,60 12 345 6789,Kota Pangkalpinang",
    ].join("\n");
    const { participants, problems } = checkParticipantCsv(csv, { now, timeZone });
    expect(participants.map((p) => [p.name, p.phone])).toEqual([["Siti Aminah", "60123456789"]]);
    expect(lines(problems)).toEqual([
      'Baris 3: nomor "(0717) 421234" adalah telepon rumah/kantor; isi nomor HP/WhatsApp, bukan telepon rumah',
      'Baris 4: nomor HP "60 12 345 6789" tidak valid (nomor Indonesia diawali 08 atau +62 8; nomor luar negeri ditulis dengan + dan kode negara)',
    ]);
    expect(lines(problems, "en")[0]).toBe(
      'Line 3: the number "(0717) 421234" is a landline; give a mobile (WhatsApp) number, not a landline',
    );
  });

  it("names a header it does not know, and the required columns", () => {
    const { problems } = checkParticipantCsv("nama,telp\nSiti,0812\n", { now, timeZone });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(1);
    const text = lines(problems)[0]!;
    expect(text).toContain('kolom "telp" tidak dikenal');
    expect(text).toContain("kolom nomor HP wajib ada");
    expect(text).toContain("kolom kabupaten/kota wajib ada");
  });

  it("refuses a file over 2 MB or with more than 10,000 rows", () => {
    const big = `nama,nomor HP,kabupaten/kota\n${"Siti Aminah,081234567890,Kabupaten Bangka\n".repeat(60_000)}`;
    expect(lines(checkParticipantCsv(big, { now, timeZone }).problems)[0]).toMatch(/terlalu besar: paling besar 2 MB/);
    const many = `nama,nomor HP,kabupaten/kota\n${"A,1,B\n".repeat(10_001)}`;
    expect(lines(checkParticipantCsv(many, { now, timeZone }).problems)[0]).toMatch(/10001 baris peserta/);
  });

  it("refuses a file that is not UTF-8, with how to save it", () => {
    const latin1 = Buffer.from("nama,nomor HP,kabupaten/kota\nJos\xe9,081234567890,Kota Pangkalpinang\n", "latin1");
    expect(lines(checkParticipantCsv(latin1, { now, timeZone }).problems, "en")[0]).toContain("CSV UTF-8");
  });
});

describe.each(providers)("importing participants on %s", (provider) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    // Someone who registered in the chat with this number.
    await db.prisma.participant.create({
      data: { name: "Dewi Lestari", phone: "6281299998888", registeredAt: now, consentAt: now },
    });
  });

  afterAll(() => db?.destroy());

  it("imports a good file in one go, registered now with consent version import", async () => {
    const csv = [
      header,
      ",Ahmad Fauzi,Konveksi Fauzi,konveksi,Kabupaten Bangka Barat,081311112222,1234567890123,id,,,",
      ",Maria Ulfa,,Reparasi AC,Kota Pangkalpinang,6281322223333,,en,,ya,",
      ",Yusuf Hamid,Kopi Hamid,Kopi,Jakarta Selatan,081333334444,,,,,",
    ].join("\n");
    const result = await importParticipants(db, csv, { staffId: null, now, timeZone });
    expect(result).toEqual({ ok: true, imported: 3 });
    const rows = await db.prisma.participant.findMany({ where: { consentVersion: "import" }, orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.name, r.sector, r.regency, r.phone, r.nib, r.language])).toEqual([
      ["Ahmad Fauzi", "konveksi", "Kabupaten Bangka Barat", "6281311112222", "1234567890123", "id"],
      ["Maria Ulfa", "reparasi-ac", "Kota Pangkalpinang", "6281322223333", null, "en"],
      // Outside the catalog: kept as typed, like "Lainnya" in the chat.
      ["Yusuf Hamid", "Kopi", "Jakarta Selatan", "6281333334444", null, "id"],
    ]);
    expect(
      rows.every((r) => r.registeredAt?.getTime() === now.getTime() && r.consentAt?.getTime() === now.getTime()),
    ).toBe(true);
    expect(rows[1]!.optedOutAt?.getTime()).toBe(now.getTime());
    expect(rows[0]!.optedOutAt).toBeNull();
    const log = await db.prisma.auditLog.findMany({ where: { action: "participants.imported" } });
    expect(log.map((l) => l.detail)).toEqual([{ count: 3 }]);
    expect(JSON.stringify(log)).not.toContain("Ahmad");
  });

  it("imports nothing from a file with bad rows, and names each row and why", async () => {
    const before = await db.prisma.participant.count();
    const csv = [
      header,
      ",Rina Wulandari,Jahit Rina,konveksi,Kabupaten Belitung,081355556666,,,,,", // line 2: good
      ",Hendra,,lada,Kabupaten Bangka,08123,,,,,", // line 3: phone too short
      ",,,lada,,abc,,,,,", // line 4: no name, no regency, letters in the phone
      ",Nur Aini,,lada,Kabupaten Bangka,081355556666,,,,,", // line 5: same phone as line 2
      ",Dewi L,,lada,Kabupaten Bangka,0812-9999-8888,,,,,", // line 6: already registered
      ",Joko,,lada,Kabupaten Bangka,081377778888,12345,fr,,kemarin,", // line 7: NIB, language, opted out
      ",Ahmad F,,lada,Kabupaten Bangka,081311112222,,,,,", // line 8: imported by the previous test
    ].join("\n");
    const result = await importParticipants(db, csv, { staffId: null, now, timeZone });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rows).toBe(7);
    const dewi = await db.prisma.participant.findFirstOrThrow({ where: { phone: "6281299998888" } });
    const ahmad = await db.prisma.participant.findFirstOrThrow({ where: { phone: "6281311112222" } });
    expect(lines(result.problems)).toEqual([
      'Baris 3: nomor HP "08123" terlalu pendek',
      'Baris 4: nama wajib diisi; kabupaten/kota wajib diisi; nomor HP "abc" berisi huruf atau tanda selain angka (tulis seperti 081234567890)',
      "Baris 5: nomor HP 0813-5555-6666 sudah ada di baris 2",
      `Baris 6: nomor HP 0812-9999-8888 sudah terdaftar (peserta #${dewi.id}); data yang ada tidak diubah`,
      'Baris 7: NIB "12345" harus 13 angka (kosongkan bila belum ada); bahasa "fr" harus id atau en; berhenti berlangganan "kemarin" harus kosong, "ya", atau tanggal seperti 2026-11-20 09:15',
      `Baris 8: nomor HP 0813-1111-2222 sudah terdaftar (peserta #${ahmad.id}); data yang ada tidak diubah`,
    ]);
    expect(lines(result.problems, "en")[0]).toBe('Line 3: the phone number "08123" is too short');
    expect(await db.prisma.participant.count()).toBe(before);
    expect(await db.prisma.auditLog.count({ where: { action: "participants.imported" } })).toBe(1);
  });

  it("reads a BOM and semicolons, as Excel saves CSV in Indonesia", async () => {
    const csv =
      "\uFEFFnama;nama usaha;sektor;kabupaten/kota;nomor HP\r\n" +
      'Lina Marlina;"Lada Lina; Toboali";Lada (pengolahan lada);Bangka Selatan;\'+6281388889999\r\n';
    const result = await importParticipants(db, Buffer.from(csv, "utf8"), { staffId: null, now, timeZone });
    expect(result).toEqual({ ok: true, imported: 1 });
    const lina = await db.prisma.participant.findFirstOrThrow({ where: { phone: "6281388889999" } });
    expect(lina).toMatchObject({
      name: "Lina Marlina",
      businessName: "Lada Lina; Toboali",
      sector: "lada",
      regency: "Kabupaten Bangka Selatan",
    });
  });

  it("imports 10,000 rows, the most one file may hold, in one transaction", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `Peserta ${i},Kabupaten Bangka,0857${10_000_000 + i}`);
    const csv = ["nama,kabupaten/kota,nomor HP", ...rows].join("\n");
    expect(await importParticipants(db, csv, { staffId: null, now, timeZone })).toEqual({ ok: true, imported: 10_000 });
    expect(await db.prisma.participant.count({ where: { phone: { startsWith: "62857" } } })).toBe(10_000);
  });

  it("reports phone numbers written twice in the file, in any of their forms", async () => {
    const csv = [
      "nama,nomor HP,kabupaten/kota",
      "Siti Rahma,081390001111,Kabupaten Bangka",
      "Siti R.,+62 813-9000-1111,Kabupaten Bangka",
      "Siti,6281390001111,Kabupaten Bangka",
    ].join("\n");
    const result = await importParticipants(db, csv, { staffId: null, now, timeZone });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(lines(result.problems)).toEqual([
      "Baris 3: nomor HP 0813-9000-1111 sudah ada di baris 2",
      "Baris 4: nomor HP 0813-9000-1111 sudah ada di baris 2",
    ]);
    expect(await db.prisma.participant.count({ where: { phone: "6281390001111" } })).toBe(0);
  });
});

// The dashboard's list reads what the import writes; its search differs between the databases
// (PostgreSQL needs mode "insensitive"), so it is checked on both here too.
describe.each(providers)("searching participants on %s", (provider) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(provider);
    await importParticipants(
      db,
      [
        "nama,nama usaha,sektor,kabupaten/kota,nomor HP,berhenti berlangganan",
        "Siti Aminah,LADA Putih,Kuliner,Jakarta Selatan,081234567890,",
        "Budi Santoso,Konveksi Budi,konveksi,Kabupaten Bangka,081300000000,ya",
      ].join("\n"),
      { staffId: null, now, timeZone },
    );
  });

  afterAll(() => db?.destroy());

  const names = async (query: Record<string, string>) =>
    (
      await db.prisma.participant.findMany({
        where: participantWhere(readFilters(query), provider),
        orderBy: { id: "asc" },
      })
    ).map((p) => p.name);

  it("ignores case, finds phone digits in any form, and filters", async () => {
    expect(await names({ q: "SITI" })).toEqual(["Siti Aminah"]);
    expect(await names({ q: "lada putih" })).toEqual(["Siti Aminah"]);
    expect(await names({ q: "0813 000" })).toEqual(["Budi Santoso"]);
    expect(await names({ sektor: "lainnya" })).toEqual(["Siti Aminah"]);
    expect(await names({ kabupaten: "lainnya" })).toEqual(["Siti Aminah"]);
    expect(await names({ status: "berhenti" })).toEqual(["Budi Santoso"]);
    expect(await names({ kanal: "web" })).toEqual([]);
    // A malformed filter counts as not given.
    expect(await names({ status: "semua", program: "x" })).toEqual(["Siti Aminah", "Budi Santoso"]);
  });
});
