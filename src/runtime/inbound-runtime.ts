/**
 * The inbound path (DESIGN.md section 2, steps 2 to 6): drop redelivered messages, handle the
 * messages of one chat in order, load the chat, let the flows route the message and the engine
 * run (flows/route-message.ts), then write everything the turn changed in one transaction
 * (conversation state with optimistic concurrency, domain changes, outbox rows) and enqueue the
 * outbox.
 */
import type { Database, Db } from "../db/database.js";
import { runPlan, type Plan } from "../db/plan.js";
import { inTransaction, runAtomically } from "../db/raw-sql.js";
import type { Engine } from "../engine/engine.js";
import type {
  ConversationState,
  FlowContext,
  Language,
  ParticipantView,
  TurnResult,
  StaffView,
  Vars,
} from "../engine/types.js";
import type { Logger } from "../logger.js";
import { routeMessage } from "../../flows/route-message.js";
import { parseStaffCommand } from "../../flows/staff.js";
import { isStaffChannel } from "../domain/staff.js";
import {
  applyEvents,
  isPlannedEvent,
  planEvents,
  type Applied,
  type Outgoing,
  type TurnScope,
} from "./apply-events.js";
import { createFlowServices, ProgrammeCache, SharedReads } from "./flow-services.js";
import {
  cleanInbound,
  cleanText,
  displayNameOf,
  senderPhone,
  toInput,
  type InboundMessage,
} from "./inbound-message.js";
import type { ScheduledReminder } from "../domain/reminders.js";
import { finishErasure, type ErasureFile } from "../domain/erasures.js";
import { KeyedSerial, type KeyedLock } from "./keyed-serial.js";
import { loadChat, type ChatRecord } from "./load-chat.js";
import { identityFresh, TurnWrites } from "./turn-writes.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorities, priorityOf, type OutboxBatch, type OutboxSink } from "../outbox/types.js";
import { recordInbound } from "../metrics.js";
import type { BroadcastService } from "../domain/broadcast-types.js";
import { createStaffServices, loadStaff, runStaffAction, type StaffAction } from "./staff-commands.js";

/** Schedules a wait timeout: resume the conversation at `version` after `minutes`. */
export type TimeoutScheduler = { schedule(identityId: number, version: number, minutes: number): Promise<void> };

export type RuntimeOptions = {
  database: Database;
  engine: Engine;
  outbox: OutboxSink;
  timeouts?: TimeoutScheduler;
  /** What each channel can show. */
  channels: Record<string, { buttons: boolean; sharePhone?: boolean }>;
  conversationTtlHours: number;
  defaultLanguage: Language;
  logger: Logger;
  now?: () => Date;
  /** Sees every turn's engine result (tests record transcripts with it). */
  observe?: (message: InboundMessage, result: TurnResult) => void;
  /** Called after the jobs of cancelled enrollments should be removed (reminders, #5). */
  onEnrollmentsCancelled?: (ids: number[]) => Promise<void>;
  /** Schedules the jobs of reminders a turn created (enrolled, promoted). */
  reminders?: { schedule(reminders: ScheduledReminder[]): Promise<void> };
  /** Staff commands in chat (/siaran, /status, /statistik, /tautkan); without it they are not offered. */
  staff?: { broadcasts: BroadcastService; timeZone: string };
  /**
   * A lock per chat shared by every process (Redis), so two web instances run one chat's turns
   * one at a time and in the platform's order; without it, in arrival order within this process.
   */
  chatLock?: KeyedLock;
  /** The copy of the erased-participants list outside the database (ERASURE_LIST_FILE). */
  erasureFile?: ErasureFile;
};

export type HandleResult = { status: "processed"; outboxIds: number[] } | { status: "duplicate" };

class DuplicateMessage extends Error {}
class VersionConflict extends Error {}
const conflict = () => new VersionConflict();

const maxConflictRetries = 8;

export class InboundRuntime {
  private readonly serial = new KeyedSerial();
  private readonly programmes = new ProgrammeCache();
  private readonly sharedReads = new SharedReads();
  private readonly writes: TurnWrites;
  private readonly outboxWrites: OutboxWrites;
  private readonly now: () => Date;

  constructor(private readonly options: RuntimeOptions) {
    this.now = options.now ?? (() => new Date());
    this.writes = new TurnWrites(options.database.provider);
    this.outboxWrites = new OutboxWrites(options.database.provider);
  }

  private get db(): Db {
    return this.options.database.prisma;
  }

  /** Handles one inbound message; resolves once its effects are committed and enqueued. */
  handle(given: InboundMessage): Promise<HandleResult> {
    // Every channel's text comes in here: what cannot be stored goes first.
    const message = cleanInbound(given);
    const key = `${message.channel}:${message.senderId}`;
    return this.inTurn(key, () => this.withRetries(() => this.turn(message)), message.sequence).then((result) => {
      // Redelivered duplicates are not counted.
      if (result.status === "processed") recordInbound(message.channel);
      return result;
    });
  }

  /** Resumes a conversation whose wait timed out, if it is still where it was. */
  handleTimeout(identityId: number, version: number): Promise<HandleResult> {
    return this.withRetries(async () => {
      const identity = await this.db.channelIdentity.findUnique({ where: { id: identityId } });
      if (!identity) return { status: "duplicate" };
      const key = `${identity.channel}:${identity.platformUserId}`;
      return this.inTurn(key, () =>
        this.turn(
          {
            channel: identity.channel,
            chatId: identity.chatId,
            senderId: identity.platformUserId,
            platformMessageId: `timeout:${identityId}:${version}`,
            receivedAt: this.now(),
          },
          version,
        ),
      );
    });
  }

  /**
   * Runs a turn of the chat `key` once the chat's earlier turns are done: those of every process
   * (the shared lock orders them itself, by `sequence`), or without it those of this process.
   */
  private inTurn<T>(key: string, task: () => Promise<T>, sequence?: number): Promise<T> {
    return this.options.chatLock ? this.options.chatLock.run(key, task, sequence) : this.serial.run(key, task);
  }

  private async withRetries(run: () => Promise<HandleResult>): Promise<HandleResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (err instanceof DuplicateMessage) return { status: "duplicate" };
        // Another worker changed the conversation first: run the turn again on the new state.
        if (err instanceof VersionConflict && attempt < maxConflictRetries) continue;
        throw err;
      }
    }
  }

  /** One turn. `timeoutVersion` is set when the input is a wait timeout for that version. */
  private async turn(message: InboundMessage, timeoutVersion?: number): Promise<HandleResult> {
    const { database, logger } = this.options;
    const db = this.db;
    const now = this.now();

    // 2. A redelivered message is dropped by the unique inbound row written first in the
    // transaction below: the engine is pure, so nothing has happened before that.
    // 4. Load the participant and the conversation.
    const chat = await loadChat(database, message.channel, message.senderId);
    const identity = chat?.identity ?? null;
    const conversation = chat?.conversation ?? null;
    if (timeoutVersion !== undefined && conversation?.version !== timeoutVersion) return { status: "duplicate" };
    const participant = chat?.participant ?? null;
    const expired = conversation !== null && conversation.expiresAt <= now;
    // Staff are looked up only for a staff command or a staff conversation (not on every turn).
    const command = this.options.staff && timeoutVersion === undefined ? parseStaffCommand(message.text) : null;
    const staff =
      this.options.staff && (command || conversation?.flow === "staff")
        ? await loadStaff(database, message.channel, message.senderId)
        : null;
    const state: ConversationState | null =
      conversation && !expired && (conversation.flow !== "staff" || staff)
        ? { flow: conversation.flow, node: conversation.node, vars: conversation.variables as Vars }
        : null;
    const vars = state?.vars ?? {};
    const language: Language =
      (participant?.language as Language | undefined) ??
      (vars.language === "en" || vars.language === "id" ? vars.language : this.options.defaultLanguage);
    const view: ParticipantView | null = participant
      ? {
          id: participant.id,
          name: participant.name ?? "",
          businessName: participant.businessName ?? "",
          sector: participant.sector ?? "",
          regency: participant.regency ?? "",
          phone: participant.phone ?? "",
          nib: participant.nib,
          gender: participant.gender,
          language,
          optedOut: participant.optedOutAt !== null,
        }
      : null;
    const services = createFlowServices(
      database,
      participant?.id ?? null,
      language,
      now,
      this.programmes,
      this.sharedReads,
    );
    if (staff && this.options.staff)
      services.staff = createStaffServices(
        database,
        this.options.staff.broadcasts,
        language,
        this.options.staff.timeZone,
        now,
      );
    const ctx: FlowContext = {
      now,
      language,
      vars,
      participant: view,
      staff,
      channel: {
        name: message.channel,
        buttons: this.options.channels[message.channel]?.buttons ?? false,
        sharePhone: this.options.channels[message.channel]?.sharePhone ?? false,
        phone: senderPhone(message.senderPhone),
      },
      services,
    };

    // Commands, links and reminder buttons first, else the open question (flows/route-message.ts).
    const result = await routeMessage(
      this.options.engine,
      { ...message, input: toInput(message) },
      {
        state,
        expired,
        isTimeout: timeoutVersion !== undefined,
        command,
        staffChannel: isStaffChannel(message.channel),
      },
      ctx,
    );
    this.options.observe?.(message, result);

    // 5. One transaction: the dedupe row, the identity, domain changes, state, outbox.
    const scope = (identityId: number): TurnScope => ({
      database,
      provider: database.provider,
      now,
      channel: message.channel,
      chatId: message.chatId,
      identityId,
      participantId: participant?.id ?? null,
      language,
    });
    const turn: TurnFacts = { message, now, identity, conversation, result, isTimeout: timeoutVersion !== undefined };
    let committed: Committed;
    if (result.events.every(isPlannedEvent)) {
      // Registration, enrollment and everything in between: one plan of raw statements, in a
      // transaction of its own (synchronous on SQLite, the direct pool on PostgreSQL).
      committed = await runAtomically(database, () => this.plannedTurn(turn, scope));
    } else {
      committed = await db.$transaction(
        async (tx) => {
          const run = <T>(plan: Plan<T>) => runPlan(plan, inTransaction(database, tx));
          const identityId = await run(this.recordInbound(turn));
          const applied = await applyEvents(tx, scope(identityId), result.events);
          return run(this.finishTurn(turn, identityId, applied));
        },
        { timeout: 20_000, maxWait: 20_000 },
      );
    }

    // 6. Enqueue; if Redis is down the rows stay pending and the reconcile pass sends them. The
    // replies, a wait timeout and new reminders go to Redis together (one round trip, not three,
    // before the turn is done); a chat's batches go in order.
    const outboxIds = committed.batches.flatMap((b) => b.ids);
    const enqueued: Promise<void>[] = [
      (async () => {
        for (const batch of committed.batches)
          await this.options.outbox
            .enqueue(batch)
            .catch((err: unknown) => logger.warn({ err }, "outbox enqueue failed"));
      })(),
    ];
    if (committed.applied.timeoutMinutes !== null && committed.version !== null && this.options.timeouts)
      enqueued.push(
        this.options.timeouts
          .schedule(committed.identityId, committed.version, committed.applied.timeoutMinutes)
          .catch((err: unknown) => logger.warn({ err }, "scheduling a wait timeout failed")),
      );
    // If Redis fails here the rows stay pending: the reminder reconcile pass adds their jobs.
    if (committed.applied.reminders.length && this.options.reminders)
      enqueued.push(
        this.options.reminders
          .schedule(committed.applied.reminders)
          .catch((err: unknown) => logger.warn({ err }, "scheduling reminders failed")),
      );
    await Promise.all(enqueued);
    for (const action of committed.applied.staffActions)
      outboxIds.push(await this.finishStaffAction(action, message, committed.identityId, staff, language, now));
    if (committed.applied.erasures.length)
      await finishErasure(database, this.options.erasureFile ?? null, committed.applied.erasures, logger);
    if (committed.applied.cancelledEnrollmentIds.length && this.options.onEnrollmentsCancelled)
      await this.options
        .onEnrollmentsCancelled(committed.applied.cancelledEnrollmentIds)
        .catch((err: unknown) => logger.warn({ err }, "removing the jobs of cancelled enrollments failed"));
    logger.debug(
      { channel: message.channel, chatId: message.chatId, events: result.events.map((e) => e.type) },
      "turn handled",
    );
    return { status: "processed", outboxIds };
  }

  /** Staff work after the commit (linking, a broadcast), answered with a notice; failures are told too. */
  private async finishStaffAction(
    action: StaffAction,
    message: InboundMessage,
    identityId: number,
    staff: StaffView | null,
    language: Language,
    now: Date,
  ): Promise<number> {
    const { database, logger } = this.options;
    let text: string;
    try {
      text = await runStaffAction(
        database,
        this.options.staff!.broadcasts,
        action,
        { channel: message.channel, platformUserId: message.senderId, identityId, staff, language, now },
        logger,
      );
    } catch (err) {
      logger.error({ err, action: action.kind }, "a staff action failed");
      text =
        language === "id"
          ? "Maaf, permintaan Anda gagal diproses. Silakan coba lagi sebentar lagi."
          : "Sorry, your request could not be processed. Please try again in a moment.";
    }
    const [id] = await runAtomically(database, () =>
      this.outboxWrites.insertOutbound(
        [
          outboundRow(
            { channel: message.channel, chatId: message.chatId, identityId },
            { text },
            "notice",
            priorities.notice,
          ),
        ],
        now,
      ),
    );
    await this.options.outbox
      .enqueue({ channel: message.channel, chatId: message.chatId, ids: [id!], priority: priorities.notice })
      .catch((err: unknown) => logger.warn({ err }, "outbox enqueue failed"));
    return id!;
  }

  /** The identity (created on a first message, else touched now and then) and the dedupe row. */
  private *recordInbound(turn: TurnFacts): Plan<number> {
    const { message, now, identity } = turn;
    let identityId: number;
    if (identity) {
      identityId = identity.id;
      if (!turn.isTimeout && !identityFresh(identity, message, now))
        yield* this.writes.touchIdentity(identity.id, message.chatId, displayNameOf(message), now);
    } else {
      const inserted = yield* this.writes.insertIdentity(
        message.channel,
        message.senderId,
        message.chatId,
        displayNameOf(message),
        now,
      );
      // Another worker created this identity a moment ago: run the turn again, finding it.
      if (inserted === null) throw new VersionConflict();
      identityId = inserted;
    }
    if (!turn.isTimeout) {
      yield* this.writes.insertInbound(
        {
          channel: message.channel,
          chatId: message.chatId,
          identityId,
          text:
            message.text !== undefined ? cleanText(message.text) : message.choiceId ? `[${message.choiceId}]` : null,
          platformMessageId: message.platformMessageId,
          at: message.receivedAt,
        },
        () => new DuplicateMessage(),
      );
    }
    return identityId;
  }

  /** The conversation state (optimistic concurrency) and the replies with their outbox rows. */
  private *finishTurn(turn: TurnFacts, identityId: number, applied: Applied): Plan<Committed> {
    const { conversation, result, now } = turn;
    // Optimistic concurrency: write only over the version this turn read.
    let version: number | null = null;
    if (result.state === null || applied.identityDeleted) {
      if (conversation && !applied.identityDeleted) {
        yield* this.writes.deleteConversation(conversation.id, conversation.version, conflict);
      }
    } else {
      const data = {
        flow: result.state.flow,
        node: result.state.node,
        variables: result.state.vars,
        expiresAt: new Date(now.getTime() + this.options.conversationTtlHours * 3_600_000),
      };
      if (conversation) {
        yield* this.writes.updateConversation(conversation.id, conversation.version, data, now, conflict);
        version = conversation.version + 1;
      } else {
        yield* this.writes.insertConversation(identityId, data, now, conflict);
        version = 0;
      }
    }
    const batches = [...(yield* this.writeOutbox(applied.outgoing, now)), ...applied.batches];
    return { batches, version, identityId, applied };
  }

  private *plannedTurn(turn: TurnFacts, scope: (identityId: number) => TurnScope): Plan<Committed> {
    const identityId = yield* this.recordInbound(turn);
    const applied = yield* planEvents(scope(identityId), turn.result.events);
    return yield* this.finishTurn(turn, identityId, applied);
  }

  /** Writes the replies and their outbox rows; one batch per chat, so each chat's replies stay in order. */
  private *writeOutbox(outgoing: Outgoing[], now: Date): Plan<OutboxBatch[]> {
    // The last statement of the turn, unless files are attached after it.
    const { outboxIds: ids, messageIds } = yield* this.outboxWrites.insertOutboundRows(
      outgoing.map((o) => outboundRow(o, o.message, o.kind)),
      now,
      !outgoing.some((o) => o.attachment),
    );
    for (const [i, o] of outgoing.entries())
      if (o.attachment) yield* this.outboxWrites.attach(messageIds[i]!, o.attachment);
    const batches = new Map<string, OutboxBatch>();
    for (const [i, o] of outgoing.entries()) {
      const key = `${o.channel}:${o.chatId}`;
      const batch = batches.get(key) ?? { channel: o.channel, chatId: o.chatId, ids: [], priority: priorityOf(o.kind) };
      batch.ids.push(ids[i]!);
      batches.set(key, batch);
    }
    return [...batches.values()];
  }
}

type TurnFacts = {
  message: InboundMessage;
  now: Date;
  identity: ChatRecord["identity"] | null;
  conversation: ChatRecord["conversation"] | null;
  result: TurnResult;
  isTimeout: boolean;
};

type Committed = { batches: OutboxBatch[]; version: number | null; identityId: number; applied: Applied };
