/**
 * The one database factory: SQLite or PostgreSQL, chosen by DATABASE_URL.
 *
 * Both generated clients have the same models and methods (the schemas differ only in their
 * provider), so the rest of the code uses one type, `Db`. Where SQL itself differs, code asks
 * `database.provider`.
 */
import fs from "node:fs";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient as SqliteClient, type Prisma } from "./generated/sqlite/client.js";
import { PrismaClient as PostgresClient } from "./generated/postgres/client.js";
import { sqliteFilePath } from "../config.js";
import { listMigrations } from "./migrations.js";
import { CapturingSqliteAdapter, type SqliteDirect } from "./sqlite-direct.js";

export type Db = SqliteClient;
export type DatabaseProvider = "sqlite" | "postgresql";

export type Database = {
  prisma: Db;
  provider: DatabaseProvider;
  /** SQLite only, once connected: statements straight on Prisma's connection (sqlite-direct.ts). */
  direct(): SqliteDirect | null;
  /** PostgreSQL only: a pool of its own for the raw statements of the hot paths (see directPool). */
  pool(): pg.Pool | null;
  /** Where the data is, with any password hidden, for messages to the operator. */
  location: string;
  close(): Promise<void>;
};

/** The database has not had all of the project's migrations applied. */
export class DatabaseNotMigratedError extends Error {
  constructor(location: string, pending: string[]) {
    super(
      `The database at ${location} is not migrated (${pending.length} migration${pending.length === 1 ? "" : "s"} pending): run npm run db:migrate`,
    );
    this.name = "DatabaseNotMigratedError";
  }
}

/** Hides the password of a PostgreSQL URL. */
export function describeDatabaseUrl(url: string): string {
  if (url.startsWith("file:")) {
    const file = sqliteFilePath(url);
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith("..") ? file : relative;
  }
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable PostgreSQL URL)";
  }
}

/** Opens a Prisma client for the given URL. Nothing is queried until first use. */
export function openDatabase(url: string): Database {
  const location = describeDatabaseUrl(url);
  if (url.startsWith("file:")) {
    const file = sqliteFilePath(url);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A busy timeout lets concurrent writers wait for the lock instead of failing at once.
    const adapter = new CapturingSqliteAdapter({ url: `file:${file}`, timeout: 10_000 });
    const prisma = new SqliteClient({ adapter });
    return {
      prisma,
      provider: "sqlite",
      direct: () => adapter.direct,
      pool: () => null,
      location,
      close: () => prisma.$disconnect(),
    };
  }
  const adapter = new PrismaPg({ connectionString: url, max: 10 });
  const prisma = new PostgresClient({ adapter }) as unknown as Db;
  const pool = directPool(url);
  return {
    prisma,
    provider: "postgresql",
    direct: () => null,
    pool: () => pool,
    location,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * The pool the raw statements run on, beside Prisma's: a statement through Prisma, even raw,
 * costs several times the round trip. Values come back as Prisma's raw queries give them
 * (timestamps, stored in UTC without a zone, as Dates in UTC; jsonb parsed), except bigint
 * (COUNT(*)), which comes back as a number: counts and ids here stay far below 2^53.
 */
function directPool(url: string): pg.Pool {
  const utc = (value: string) => new Date(`${value.replace(" ", "T")}Z`);
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Statements sent without waiting for the one before (raw-sql.ts runPipelined).
    pipeline: true,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === pg.types.builtins.TIMESTAMP) return utc;
        if (oid === pg.types.builtins.INT8) return Number;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server dropped (a restart, a terminated backend) is discarded by the
  // pool, which reports it here; without a listener Node would take the process down.
  pool.on("error", () => {});
  return pool;
}

/**
 * Tunes a SQLite connection for a server: WAL lets readers run while one writer writes.
 * (secure_delete is set on every connection as it opens, in sqlite-direct.ts, the CLI's included.)
 * The WAL is copied back into the database every 10,000 pages (about 40 MB) rather than SQLite's
 * 1,000: the outbox and message pages a busy bot writes over and over are copied once per
 * checkpoint, so a commit costs about half (measured here: 78 -> 33 µs for a commit of four
 * updates), at the price of a larger WAL file between checkpoints.
 */
export async function tuneSqlite(database: Database): Promise<void> {
  if (database.provider !== "sqlite") return;
  await database.prisma.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await database.prisma.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await database.prisma.$queryRawUnsafe("PRAGMA wal_autocheckpoint = 10000");
}

/**
 * After an erasure on SQLite: copies the WAL into the database file (where secure_delete has
 * zeroed the erased rows' bytes) and truncates the WAL, whose older frames still hold the rows
 * as they were. Best effort: while another connection reads, SQLite cannot truncate, and the
 * frames are overwritten later by normal use instead. True when the WAL was emptied.
 */
export async function checkpointAfterErasure(database: Database): Promise<boolean> {
  if (database.provider !== "sqlite") return true;
  const [row] = await database.prisma.$queryRawUnsafe<{ busy: bigint | number }[]>("PRAGMA wal_checkpoint(TRUNCATE)");
  return Number(row?.busy ?? 0) === 0;
}

/** Names of the project's migrations that the database has not applied. */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const expected = listMigrations(database.provider);
  let applied: string[];
  try {
    const rows = await database.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    applied = rows.map((r) => r.migration_name);
  } catch (err) {
    // No migrations table yet: nothing is applied. Anything else (cannot connect) is real.
    if (/_prisma_migrations|no such table|does not exist/i.test(String((err as Error).message))) applied = [];
    else throw err;
  }
  return expected.filter((m) => !applied.includes(m));
}

/** Throws DatabaseNotMigratedError unless every migration is applied. */
export async function assertMigrated(database: Database): Promise<void> {
  const pending = await pendingMigrations(database);
  if (pending.length > 0) throw new DatabaseNotMigratedError(database.location, pending);
}

/** The client inside an interactive transaction. */
export type Tx = Prisma.TransactionClient;

/**
 * Locks a training session row until the transaction ends, so seat counts read after it are
 * stable. PostgreSQL needs the row lock; SQLite already runs one writing transaction at a time.
 */
export async function lockTrainingSession(
  tx: Tx,
  provider: DatabaseProvider,
  trainingSessionId: number,
): Promise<void> {
  if (provider === "postgresql")
    await tx.$queryRawUnsafe(`SELECT id FROM "TrainingSession" WHERE id = $1 FOR UPDATE`, trainingSessionId);
}

/**
 * Locks a participant's row until the transaction ends, for changes to their enrollments (their
 * limit per programme is counted under it). Taken before any training session lock, everywhere.
 * NO KEY UPDATE leaves rows that only refer to the participant free to be written meanwhile.
 */
export async function lockParticipant(tx: Tx, provider: DatabaseProvider, participantId: number): Promise<void> {
  if (provider === "postgresql")
    await tx.$queryRawUnsafe(`SELECT id FROM "Participant" WHERE id = $1 FOR NO KEY UPDATE`, participantId);
}
