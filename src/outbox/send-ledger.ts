/**
 * The outbox's bookkeeping around each send, done for many sends at once: the read of what a
 * chat's job is to send, the claim (pending -> sending) and the record (sent, with the platform's
 * id), each gathered across the sends under way in this process into one statement. Each kind
 * has at most one batch at the database at a time; what comes in meanwhile waits for it and goes
 * as the next batch, so a lone send (a reply) goes at once and a busy lane makes bigger batches
 * instead of more round trips. Batching is DataLoader's (without its cache: every call is a
 * fresh read or write).
 *
 * A batch is one statement (or, recording on SQLite, two in one transaction): it succeeds or fails
 * as a whole, and a failure reaches each caller, which handles it as before (a failed record is
 * noted in Redis and retried, worker.ts).
 */
import DataLoader from "dataloader";
import type { Database } from "../db/database.js";
import { executeAtomically, queryRows, runStatementAtomically, sqlTime } from "../db/raw-sql.js";

/** What a chat's job may send: its pending rows up to the batch's last, at its priority or more urgent. */
export type DueKey = { channel: string; chatId: string; last: number; upTo: number };

/** A row sent: its outbox row, its message, the platform's id for it and the template it went as. */
export type SentRow = { id: number; messageId: number; platformMessageId: string | null; template: string | null };

/** Most rows in one statement (well under SQLite's and PostgreSQL's limits: the ids go as one JSON or array value). */
const maxBatchSize = 200;

const statements = {
  postgresql: {
    claim: `UPDATE "OutboxItem" SET status = 'sending', attempts = attempts + 1, "updatedAt" = $1::timestamp(3)
            WHERE id = ANY($2::int[]) AND status::text = 'pending' RETURNING id`,
    // One statement: the outbox rows and their messages together, atomic without a transaction block.
    sent: `WITH v AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS v(id int, m int, p text, t text)),
                items AS (UPDATE "OutboxItem" o SET status = 'sent', "sentAt" = $1::timestamp(3), "lastError" = NULL,
                            "updatedAt" = $1::timestamp(3) FROM v WHERE o.id = v.id)
           UPDATE "Message" m SET status = 'sent', error = NULL, "errorCode" = NULL,
             "platformMessageId" = COALESCE(v.p, m."platformMessageId"), template = COALESCE(v.t, m.template),
             "updatedAt" = $1::timestamp(3)
           FROM v WHERE m.id = v.m`,
    keys: `jsonb_to_recordset($1::jsonb) AS k(i int, chat text, last int, up int)`,
  },
  sqlite: {
    // `+status` (and `status::text` on PostgreSQL): without statistics, or with statistics from
    // before a burst, the planner would rather search the (status, availableAt) index for every
    // pending row than look the few ids up, which made each claim cost a scan of the backlog
    // (on SQLite 0.3 ms at 10,000 pending, against 0.01 ms by id).
    claim: `UPDATE "OutboxItem" SET status = 'sending', attempts = attempts + 1, "updatedAt" = ?
            WHERE id IN (SELECT value FROM json_each(?)) AND +status = 'pending' RETURNING id`,
    itemsSent: `UPDATE "OutboxItem" SET status = 'sent', "sentAt" = ?, "lastError" = NULL, "updatedAt" = ?
                WHERE id IN (SELECT json_extract(value, '$.id') FROM json_each(?))`,
    messagesSent: `UPDATE "Message" SET status = 'sent', error = NULL, "errorCode" = NULL,
                     "platformMessageId" = COALESCE(v.p, "platformMessageId"), template = COALESCE(v.t, template),
                     "updatedAt" = ?
                   FROM (SELECT json_extract(value, '$.m') AS m, json_extract(value, '$.p') AS p,
                           json_extract(value, '$.t') AS t FROM json_each(?)) AS v
                   WHERE "Message".id = v.m`,
    keys: `(SELECT json_extract(value, '$.i') AS i, json_extract(value, '$.chat') AS chat,
              json_extract(value, '$.last') AS last, json_extract(value, '$.up') AS up FROM json_each(?)) AS k`,
  },
} as const;

/**
 * The due rows of several chats in one read: `select` names the columns (the row's table is `o`,
 * the key's index `k.i`), `joins` what they come from besides "OutboxItem" o. Rows come back
 * oldest first per chat.
 */
export type DueQuery = { select: string; joins: string; dates: string[]; json: string[] };

export class SendLedger<Row extends { id: number }> {
  private readonly claims: DataLoader<number, boolean>;
  private readonly records: DataLoader<SentRow, true>;
  private readonly reads: DataLoader<DueKey, Row[]>;

  constructor(
    private readonly database: Database,
    due: DueQuery,
    private readonly now: () => Date = () => new Date(),
  ) {
    const provider = database.provider;
    const t = () => sqlTime(this.now(), provider);
    const pg = provider === "postgresql";
    const s = statements[provider];
    this.claims = coalescing(async (ids) => {
      const list = [...ids];
      const claimed = (await runStatementAtomically(database, {
        kind: "all",
        sql: s.claim,
        params: [t(), pg ? list : JSON.stringify(list)],
      })) as { id: number }[];
      const mine = new Set(claimed.map((r) => Number(r.id)));
      // A row asked for twice in one batch is claimed by the first caller only.
      return list.map((id) => mine.delete(id));
    });
    this.records = coalescing(async (sent) => {
      const values = JSON.stringify(
        sent.map((r) => ({ id: r.id, m: r.messageId, p: r.platformMessageId, t: r.template })),
      );
      const at = t();
      if (pg)
        await runStatementAtomically(database, { kind: "run", sql: statements.postgresql.sent, params: [at, values] });
      else
        await executeAtomically(database, [
          [statements.sqlite.itemsSent, [at, at, values]],
          [statements.sqlite.messagesSent, [at, values]],
        ]);
      return sent.map(() => true as const);
    });
    const read = `SELECT k.i AS "keyIndex", ${due.select}
                  FROM ${s.keys}
                  JOIN "OutboxItem" o ON o.channel = ${pg ? "$2" : "?"} AND o."chatId" = k.chat AND o.status = 'pending'
                    AND o.id <= k.last AND o.priority <= k.up
                  ${due.joins}
                  ORDER BY o.id`;
    this.reads = coalescing(async (keys) => {
      const list = [...keys];
      const byChannel = new Map<string, number[]>();
      list.forEach((k, i) => byChannel.set(k.channel, [...(byChannel.get(k.channel) ?? []), i]));
      const out: Row[][] = list.map(() => []);
      for (const [channel, indexes] of byChannel) {
        const keysJson = JSON.stringify(
          indexes.map((i) => ({ i, chat: list[i]!.chatId, last: list[i]!.last, up: list[i]!.upTo })),
        );
        const found = await queryRows<Row & { keyIndex: number }>(
          database,
          database.prisma,
          read,
          [keysJson, channel],
          { dates: due.dates, json: due.json },
        );
        for (const { keyIndex, ...row } of found) out[Number(keyIndex)]!.push(row as unknown as Row);
      }
      return out;
    });
  }

  /** The rows a chat's job is to send, oldest first. */
  due(key: DueKey): Promise<Row[]> {
    return this.reads.load(key);
  }

  /** Claims a pending row for sending (pending -> sending, attempts + 1); false if it was no longer pending. */
  claim(id: number): Promise<boolean> {
    return this.claims.load(id);
  }

  /** Records a row as sent, with its message. */
  async recordSent(row: SentRow): Promise<void> {
    await this.records.load(row);
  }
}

/**
 * A DataLoader whose next batch waits for the one at the database: everything asked for meanwhile
 * goes together. No cache: the same key asked again is asked of the database again.
 */
function coalescing<K, V>(work: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  let atDatabase: Promise<unknown> = Promise.resolve();
  return new DataLoader<K, V>(
    (keys) => {
      const batch = work(keys);
      atDatabase = batch.catch(() => undefined);
      return batch;
    },
    {
      cache: false,
      maxBatchSize,
      batchScheduleFn: (dispatch) => void atDatabase.then(() => setImmediate(dispatch)),
    },
  );
}
