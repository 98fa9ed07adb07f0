/**
 * Erasure that really erases (issue 15, item 9). "hapus data saya" removed the rows, but the
 * name and the messages stayed readable in the SQLite file's free pages, and so in every backup;
 * and a restored backup brought an erased person back. Here: the erased person's name, phone and
 * message text are not in the database file's bytes (secure_delete); the erasure is listed, hashed
 * only, in the database and in a file outside it; restoring an older backup and re-applying the
 * list erases them again, while someone who registered anew after their erasure is kept; staff
 * erase from the dashboard (admins only, after a confirmation page, audited by id).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, tuneSqlite, type Database, type DatabaseProvider } from "../../src/db/database.js";
import { loadInstallation } from "../../src/db/installation.js";
import { ErasureFile, hashIdentifier, keyIdOf } from "../../src/domain/erasures.js";
import { reapplyErasures } from "../../src/domain/reapply-erasures.js";
import { seedDatabase } from "../../src/domain/seed-database.js";
import { createStaff } from "../../src/domain/staff.js";
import { Engine } from "../../src/engine/engine.js";
import { createLogger } from "../../src/logger.js";
import { InboundRuntime } from "../../src/runtime/inbound-runtime.js";
import { flowSet } from "../../flows/index.js";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { connectRedis, deletePrefix, redisUrl, testPrefix } from "../support/redis.js";
import { freePort } from "../support/redis-server.js";
import { createTestDatabaseUrl, providers, removeTestDatabase } from "../support/databases.js";
import { registrationAnswers } from "../support/harness.js";
import { csrfOf, DashboardClient } from "../support/dashboard-client.js";

const kartika = { name: "Kartika Sulistyowati", phone: "081298765432", stored: "6281298765432", chat: "w-kartika" };
const joko = { name: "Joko Widagdo", phone: "081377001122", chat: "w-joko" };
/** A message only Kartika ever typed. */
const secretText = "Pesan rahasia tentang kebun lada nomor 7731";

const t0 = new Date("2026-11-27T03:00:00Z");
const hours = (n: number) => new Date(t0.getTime() + n * 3_600_000);

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "sapa-erase-"));

/** A chat bot on `database` whose clock the test moves, writing the erasure list to `file`. */
function chatBot(database: Database, file: ErasureFile, clock: { now: Date }) {
  const runtime = new InboundRuntime({
    database,
    engine: new Engine(flowSet),
    outbox: { enqueue: async () => {} },
    channels: { web: { buttons: true } },
    conversationTtlHours: 24,
    defaultLanguage: "id",
    logger: createLogger({ level: "silent" }),
    now: () => clock.now,
    erasureFile: file,
  });
  let n = 0;
  return async (chatId: string, ...texts: string[]) => {
    for (const text of texts)
      await runtime.handle({
        channel: "web",
        chatId,
        senderId: chatId,
        platformMessageId: `${chatId}-${++n}-${clock.now.getTime()}`,
        receivedAt: clock.now,
        text,
      });
  };
}

const register = (send: ReturnType<typeof chatBot>, who: typeof kartika | typeof joko) =>
  send(who.chat, ...registrationAnswers(who.name, who.phone));
const eraseThroughChat = (send: ReturnType<typeof chatBot>, chat: string) => send(chat, "hapus data saya", "ya");

/** Everything of the erasure list, as text: the table's rows and the file. */
async function listAsText(database: Database, file: ErasureFile): Promise<string> {
  const rows = await database.prisma.erasedIdentifier.findMany();
  return JSON.stringify(rows) + (fs.existsSync(file.path) ? fs.readFileSync(file.path, "utf8") : "");
}

const participantsNamed = (database: Database, name: string) =>
  database.prisma.participant.findMany({ where: { name } });

describe("secure_delete on SQLite", () => {
  let dir = "";
  let url = "";
  let database: Database;

  beforeAll(async () => {
    url = await createTestDatabaseUrl("sqlite");
    dir = tempDir();
    database = openDatabase(url);
    // As the server runs it: WAL, where old page versions also sit in the -wal file.
    await tuneSqlite(database);
    await seedDatabase(database.prisma, t0);
  });

  afterAll(async () => {
    await database?.close();
    if (url) await removeTestDatabase(url);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The database file and its -wal file, as bytes (latin1 keeps every byte one character). */
  const fileBytes = () => {
    const file = url.slice("file:".length);
    return [file, `${file}-wal`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString("latin1"))
      .join("");
  };

  it("leaves the erased participant's name, phone and message text nowhere in the database file or its WAL", async () => {
    const clock = { now: t0 };
    const send = chatBot(database, new ErasureFile(path.join(dir, "erasures.jsonl")), clock);
    await register(send, kartika);
    await send(kartika.chat, secretText);
    await register(send, joko);
    await database.prisma.$queryRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
    // The search finds them while they are there.
    for (const s of [kartika.name, kartika.stored, secretText]) expect(fileBytes().includes(s), s).toBe(true);

    clock.now = hours(1);
    await eraseThroughChat(send, kartika.chat);
    expect(await participantsNamed(database, kartika.name)).toEqual([]);
    const bytes = fileBytes();
    // (includes, not toContain: a failure would print the whole file)
    for (const s of [kartika.name, kartika.stored, secretText])
      expect(bytes.includes(s), `${s} in the file`).toBe(false);
    // Someone else's data is untouched.
    expect(bytes.includes(joko.name)).toBe(true);
  });

  it("is needed: SQLite's default leaves a deleted row readable in the file", () => {
    const file = path.join(dir, "plain.db");
    const plain = new BetterSqlite3(file);
    plain.pragma("journal_mode = WAL");
    plain.exec("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE q (id INTEGER PRIMARY KEY, x TEXT)");
    plain.prepare("INSERT INTO p (name) VALUES (?), (?)").run(kartika.name, joko.name);
    plain.prepare("DELETE FROM p WHERE name = ?").run(kartika.name);
    plain.pragma("wal_checkpoint(TRUNCATE)");
    plain.close();
    expect(fs.readFileSync(file).toString("latin1").includes(kartika.name)).toBe(true);
  });
});

describe.each(providers)("the erased-participants list and a restore (%s)", (provider: DatabaseProvider) => {
  let dir = "";
  let url = "";
  const urls: string[] = [];
  let database: Database;
  let file: ErasureFile;
  const clock = { now: t0 };
  let send: ReturnType<typeof chatBot>;
  /** Restores the backup into the database the bot uses, as the restore scripts do. */
  let restoreBackup: () => Promise<void>;

  beforeAll(async () => {
    dir = tempDir();
    url = await createTestDatabaseUrl(provider);
    urls.push(url);
    database = openDatabase(url);
    await tuneSqlite(database);
    await seedDatabase(database.prisma, t0);
    file = new ErasureFile(path.join(dir, "erasures.jsonl"));
    send = chatBot(database, file, clock);
    await register(send, kartika);
    await send(kartika.chat, secretText);
    await register(send, joko);
    // The installation row exists from the start in production (job ids); the backup has it.
    await loadInstallation(database.prisma);

    // The nightly backup, taken before Kartika asks to be erased.
    if (provider === "sqlite") {
      const backup = path.join(dir, "backup.db");
      const source = new BetterSqlite3(url.slice("file:".length));
      await source.backup(backup);
      source.close();
      restoreBackup = async () => {
        await database.close();
        const live = url.slice("file:".length);
        for (const suffix of ["-wal", "-shm"]) fs.rmSync(live + suffix, { force: true });
        fs.copyFileSync(backup, live);
        database = openDatabase(url);
        await tuneSqlite(database);
      };
    } else {
      const dump = path.join(dir, "backup.dump");
      const out = spawnSync("pg_dump", ["--format=custom", `--dbname=${url}`, `--file=${dump}`], { encoding: "utf8" });
      expect(out.status, out.stderr).toBe(0);
      restoreBackup = async () => {
        // Into a new, empty database, as deploy/backup/restore-postgres.sh does.
        await database.close();
        url = await createTestDatabaseUrl("postgresql", false);
        urls.push(url);
        const restored = spawnSync(
          "pg_restore",
          ["--no-owner", "--no-acl", "--exit-on-error", `--dbname=${url}`, dump],
          {
            encoding: "utf8",
          },
        );
        expect(restored.status, restored.stderr).toBe(0);
        database = openDatabase(url);
      };
    }
  });

  afterAll(async () => {
    await database?.close();
    for (const u of urls) await removeTestDatabase(u);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists the erasure with it, hashed only: in the database and in the file", async () => {
    clock.now = hours(1);
    await eraseThroughChat(send, kartika.chat);
    expect(await participantsNamed(database, kartika.name)).toEqual([]);

    const { secret } = await loadInstallation(database.prisma);
    const rows = await database.prisma.erasedIdentifier.findMany({ orderBy: { kind: "asc" } });
    expect(rows.map((r) => ({ kind: r.kind, hash: r.hash, erasedAt: r.erasedAt }))).toEqual([
      { kind: "identity", hash: hashIdentifier(secret, `web:${kartika.chat}`), erasedAt: hours(1) },
      { kind: "phone", hash: hashIdentifier(secret, `+${kartika.stored}`), erasedAt: hours(1) },
    ]);
    const lines = file.read().entries;
    expect(lines.map((l) => l.hash).sort()).toEqual(rows.map((r) => r.hash).sort());
    expect(lines.every((l) => l.key === keyIdOf(secret))).toBe(true);

    const list = await listAsText(database, file);
    for (const s of [kartika.name, kartika.stored, `+${kartika.stored}`, kartika.phone, kartika.chat, secretText])
      expect(list, s).not.toContain(s);
  });

  it("keeps someone who came back and registered anew after their erasure", async () => {
    clock.now = hours(2);
    await register(send, kartika);
    const report = await reapplyErasures(database, file, hours(3));
    expect(report).toMatchObject({ erasedParticipants: 0, erasedIdentities: 0, otherKey: 0 });
    expect(await participantsNamed(database, kartika.name)).toHaveLength(1);
  });

  it("erases them again when an older backup is restored, from the file the backup lacks", async () => {
    await restoreBackup();
    // The restored database is from before the erasure: Kartika is back, and the list is empty.
    expect(await participantsNamed(database, kartika.name)).toHaveLength(1);
    expect(await database.prisma.erasedIdentifier.count()).toBe(0);

    // Every process re-applies as it starts: two at once erase her once, and neither fails.
    const second = openDatabase(url);
    const reports = await Promise.all([
      reapplyErasures(database, file, hours(4)),
      reapplyErasures(second, file, hours(4)),
    ]).finally(() => second.close());
    const sum = (key: "erasedParticipants" | "addedToTable") => reports[0][key] + reports[1][key];
    expect({ erasedParticipants: sum("erasedParticipants"), addedToTable: sum("addedToTable") }).toEqual({
      erasedParticipants: 1,
      addedToTable: 2,
    });
    expect(reports.map((r) => r.otherKey + r.addedToFile)).toEqual([0, 0]);
    expect(await participantsNamed(database, kartika.name)).toEqual([]);
    expect(await database.prisma.message.count({ where: { text: secretText } })).toBe(0);
    expect(await database.prisma.channelIdentity.count({ where: { chatId: kartika.chat } })).toBe(0);
    // The table knows the erasure again, with its first time.
    expect((await database.prisma.erasedIdentifier.findMany()).map((r) => r.erasedAt)).toEqual([hours(1), hours(1)]);
    // Joko, never erased, is still there; a second pass does nothing.
    expect(await participantsNamed(database, joko.name)).toHaveLength(1);
    expect(await reapplyErasures(database, file, hours(5))).toMatchObject({ erasedParticipants: 0, addedToTable: 0 });
  });

  it("reports lines made with another installation's secret instead of matching them", async () => {
    const other = new ErasureFile(path.join(dir, "other.jsonl"));
    other.append([
      {
        key: keyIdOf("another secret"),
        kind: "phone",
        hash: hashIdentifier("another secret", "+6281377001122"),
        erasedAt: t0,
      },
    ]);
    fs.appendFileSync(other.path, '{"torn line');
    const report = await reapplyErasures(database, other, hours(6));
    expect(report).toMatchObject({ otherKey: 1, unreadable: 1, erasedParticipants: 0 });
    expect(await participantsNamed(database, joko.name)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- the dashboard

describe("erasing a participant from the dashboard", () => {
  const prefix = testPrefix();
  let app: App | null = null;
  let dbUrl = "";
  let base = "";
  let dir = "";
  let participantId = 0;
  const admin = { email: "admin@disperindag.example", name: "Dewi Admin", password: "admin-lada-bangka-2026" };
  const officer = { email: "petugas@disperindag.example", name: "Rudi Petugas", password: "petugas-konveksi-2026" };

  async function signIn(who: { email: string; password: string }): Promise<DashboardClient> {
    const client = new DashboardClient(base);
    expect((await client.signIn(who.email, who.password)).status).toBe(303);
    return client;
  }

  const get = async (client: DashboardClient, p: string) => {
    const res = await client.get(p);
    return { status: res.status, html: await res.text() };
  };
  const post = async (client: DashboardClient, p: string, form: Record<string, string>) => {
    const res = await client.post(p, form);
    return { status: res.status, location: res.headers.get("location") };
  };

  /** The whole application on the test's database, as a process starts. */
  async function start(): Promise<App> {
    const config = loadConfig({
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      ERASURE_LIST_FILE: path.join(dir, "erasures.jsonl"),
    });
    app = await startApp(config, createLogger({ level: "silent" }));
    base = app.url;
    return app;
  }

  beforeAll(async () => {
    dir = tempDir();
    dbUrl = await createTestDatabaseUrl("sqlite");
    const seeding = openDatabase(dbUrl);
    await seedDatabase(seeding.prisma);
    await seeding.close();
    const prisma = (await start()).database.prisma;
    await createStaff(prisma, { ...admin, role: "admin" });
    await createStaff(prisma, { ...officer, role: "staff" });
    const p = await prisma.participant.create({
      data: {
        name: kartika.name,
        phone: kartika.stored,
        businessName: "Lada Kartika",
        registeredAt: t0,
        consentAt: t0,
      },
    });
    participantId = p.id;
    const identity = await prisma.channelIdentity.create({
      data: { channel: "telegram", platformUserId: "7001", chatId: "7001", participantId: p.id },
    });
    await prisma.message.create({
      data: {
        direction: "inbound",
        channel: "telegram",
        chatId: "7001",
        identityId: identity.id,
        text: secretText,
        status: "received",
      },
    });
  });

  afterAll(async () => {
    await app?.stop();
    const redis = connectRedis();
    await deletePrefix(redis, prefix);
    await redis.quit();
    if (dbUrl) await removeTestDatabase(dbUrl);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is refused to staff who are not admins, who see whom to ask instead", async () => {
    const jar = await signIn(officer);
    const profile = await get(jar, `/dashboard/peserta/${participantId}`);
    expect(profile.status).toBe(200);
    expect(profile.html).not.toContain(`/dashboard/peserta/${participantId}/hapus`);
    expect(profile.html).toContain("Hanya admin yang dapat menghapus data peserta.");
    expect((await get(jar, `/dashboard/peserta/${participantId}/hapus`)).status).toBe(403);
    const csrf = csrfOf(profile.html) ?? "";
    expect((await post(jar, `/dashboard/peserta/${participantId}/hapus`, { _csrf: csrf })).status).toBe(403);
    expect(await app!.database.prisma.participant.count({ where: { id: participantId } })).toBe(1);
  });

  it("asks an admin to confirm, naming who, then erases, audited by id only", async () => {
    const prisma = app!.database.prisma;
    const jar = await signIn(admin);
    const profile = await get(jar, `/dashboard/peserta/${participantId}`);
    expect(profile.html).toContain(`href="/dashboard/peserta/${participantId}/hapus"`);
    const confirm = await get(jar, `/dashboard/peserta/${participantId}/hapus`);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain("Hapus data peserta ini?");
    expect(confirm.html).toContain(kartika.name);
    expect(confirm.html).toContain("0812-9876-5432");
    expect(confirm.html).toContain("Ya, hapus data peserta ini");
    // Opening the confirmation erased nothing; a post without the form's token neither.
    expect(await prisma.participant.count({ where: { id: participantId } })).toBe(1);
    expect((await post(jar, `/dashboard/peserta/${participantId}/hapus`, {})).status).toBe(403);
    expect(await prisma.participant.count({ where: { id: participantId } })).toBe(1);

    const done = await post(jar, `/dashboard/peserta/${participantId}/hapus`, { _csrf: csrfOf(confirm.html) ?? "" });
    expect(done).toEqual({ status: 303, location: "/dashboard/peserta" });
    expect(await prisma.participant.count({ where: { id: participantId } })).toBe(0);
    expect(await prisma.message.count({ where: { text: secretText } })).toBe(0);
    expect(await prisma.channelIdentity.count({ where: { platformUserId: "7001" } })).toBe(0);
    expect((await get(jar, `/dashboard/peserta/${participantId}`)).status).toBe(404);

    const entries = await prisma.auditLog.findMany({ where: { action: "participant.erased" } });
    expect(entries).toHaveLength(1);
    const adminRow = await prisma.staff.findUniqueOrThrow({ where: { email: admin.email } });
    expect(entries[0]).toMatchObject({ staffId: adminRow.id, target: `participant:${participantId}` });
    const logged = JSON.stringify(entries[0]);
    for (const s of [kartika.name, kartika.stored, "7001", "Lada Kartika"]) expect(logged, s).not.toContain(s);

    // Listed for restores, in the database and in ERASURE_LIST_FILE.
    const { secret } = await loadInstallation(prisma);
    const hashes = (await prisma.erasedIdentifier.findMany()).map((r) => r.hash).sort();
    expect(hashes).toEqual(
      [hashIdentifier(secret, "telegram:7001"), hashIdentifier(secret, `+${kartika.stored}`)].sort(),
    );
    const file = new ErasureFile(path.join(dir, "erasures.jsonl"));
    expect(
      file
        .read()
        .entries.map((e) => e.hash)
        .sort(),
    ).toEqual(hashes);
  });

  it("is applied again by every process as it starts, to data a restore brought back", async () => {
    let prisma = app!.database.prisma;
    // An older backup, restored by hand (without the restore script): her rows are back, the
    // erasure is not in its table, and the list file beside it knows.
    const back = await prisma.participant.create({
      data: { name: kartika.name, phone: kartika.stored, registeredAt: t0, consentAt: t0, createdAt: t0 },
    });
    await prisma.channelIdentity.create({
      data: { channel: "telegram", platformUserId: "7001", chatId: "7001", participantId: back.id, createdAt: t0 },
    });
    await prisma.erasedIdentifier.deleteMany();
    await app!.stop();
    app = null;

    prisma = (await start()).database.prisma;
    expect(await prisma.participant.count({ where: { name: kartika.name } })).toBe(0);
    expect(await prisma.channelIdentity.count({ where: { platformUserId: "7001" } })).toBe(0);
    expect(await prisma.erasedIdentifier.count()).toBe(2);
  });
});

describe("ERASURE_LIST_FILE", () => {
  it("defaults to erasures.jsonl beside the SQLite file, which a restore of the database does not replace", () => {
    const config = loadConfig({ DATABASE_URL: "file:/srv/sapa/data/sapa.db" });
    expect(config.erasures.listFile).toBe("/srv/sapa/data/erasures.jsonl");
    expect(loadConfig({ DATABASE_URL: "postgresql://sapa@db:5432/sapa" }).erasures.listFile).toBe(
      path.resolve("data/erasures.jsonl"),
    );
  });

  it("refuses a folder, naming the variable", () => {
    expect(() => loadConfig({ ERASURE_LIST_FILE: os.tmpdir() })).toThrow(
      /ERASURE_LIST_FILE=.* is not valid; expected a file path/,
    );
  });
});
