/**
 * Statements run straight on the SQLite connection Prisma's adapter opened, with prepared
 * statements kept: for the few writes and the one read made on every message, a Prisma call
 * (even raw) costs about ten times the statement itself.
 *
 * It is the same connection, so a statement issued inside `prisma.$transaction` belongs to that
 * transaction. The connection is taken from the adapter in one place, adapterConnection; when
 * it is not there, callers fall back to Prisma's raw queries. When to use this at all:
 * src/db/README.md.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";

type SqlDriverAdapter = Awaited<ReturnType<PrismaBetterSQLite3["connect"]>>;

/**
 * The better-sqlite3 connection inside a connected Prisma SQLite adapter, or null when it is not
 * where we look. The adapter keeps it in a `client` field that @prisma/adapter-better-sqlite3
 * (6.19) does not document, so this is the only code that may read it;
 * test/db/adapter-connection.test.ts fails when an upgrade moves it or stops sharing it with
 * Prisma's transactions.
 */
export function adapterConnection(adapter: SqlDriverAdapter): BetterSqlite3.Database | null {
  const client = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
  return client && typeof client.prepare === "function" ? client : null;
}

export class SqliteDirect {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  /** One transaction wrapper for every call (making one prepares BEGIN, COMMIT and ROLLBACK). */
  private readonly inTransaction: (work: () => unknown) => unknown;

  constructor(private readonly client: BetterSqlite3.Database) {
    // BEGIN IMMEDIATE: the write lock is taken at the start, so when another process (a CLI
    // command, a second process on the same file) is writing, this one waits its busy timeout.
    // A deferred BEGIN would upgrade to a writer only at its first write and then fail at once
    // with "database is locked" instead of waiting.
    const transaction = client.transaction((work: () => unknown) => work());
    this.inTransaction = (work) => transaction.immediate(work);
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      // The adapter turns on safe integers for the connection; ids and counts fit a number.
      statement = this.client.prepare(sql).safeIntegers(false);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  all<T>(sql: string, params: unknown[]): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  run(sql: string, params: unknown[]): number {
    return this.prepare(sql).run(...params).changes;
  }

  private queued: {
    work: () => unknown;
    resolve(r: { value: unknown } | undefined): void;
    reject(e: unknown): void;
  }[] = [];

  /**
   * Group commit: runs `work` soon, in one transaction with the other work queued in the same
   * turn of the event loop, each in a savepoint of its own (a throw undoes only that work). One
   * commit for many turns writes the shared pages once. Resolves after the commit; undefined when
   * the connection was busy with another transaction (the caller goes another way).
   */
  transactSoon<T>(work: () => T): Promise<{ value: T } | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.queued.length) setImmediate(() => this.flush());
      this.queued.push({ work, resolve: resolve as (r: { value: unknown } | undefined) => void, reject });
    });
  }

  private flush(): void {
    const batch = this.queued;
    this.queued = [];
    if (this.client.inTransaction) {
      for (const item of batch) item.resolve(undefined);
      return;
    }
    const outcomes: ({ value: unknown } | { error: unknown })[] = [];
    try {
      this.inTransaction(() => {
        for (const item of batch) {
          try {
            // Nested, so a savepoint: a conflict in one turn leaves the others standing.
            outcomes.push({ value: this.inTransaction(item.work) });
          } catch (error) {
            outcomes.push({ error });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if ("error" in outcome) item.reject(outcome.error);
      else item.resolve(outcome);
    });
  }
}

/** Zeroes deleted content on a SQLite connection; see CapturingSqliteAdapter.connect. */
export const secureDeletePragma = "PRAGMA secure_delete = ON";

/** The adapter factory Prisma is given, remembering the connection it opens. */
export class CapturingSqliteAdapter extends PrismaBetterSQLite3 {
  direct: SqliteDirect | null = null;

  override async connect(): ReturnType<PrismaBetterSQLite3["connect"]> {
    const adapter = await super.connect();
    // Before anything else runs on the connection: a deleted row's bytes are overwritten with
    // zeros instead of staying readable in free space (and so in every later backup). Per
    // connection, so every handle that writes gets it; an erasure (src/domain/erasures.ts)
    // relies on it. The cost is a few more bytes written per delete.
    await adapter.executeScript(secureDeletePragma);
    const client = adapterConnection(adapter);
    if (client) this.direct = new SqliteDirect(client);
    return adapter;
  }
}
