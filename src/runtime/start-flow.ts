/**
 * Flows a job starts for a participant (DESIGN.md section 2, "Flows started by time"): the
 * conversation is put at a flow's question and the messages that ask it are written to the
 * outbox, in the job's transaction, so a job that claims its row (a reminder) does all of it or
 * none. The conversation is written over the version read here only, as a turn writes it: a turn
 * that changed the conversation meanwhile wins, and the messages still go (their buttons answer
 * from anywhere). The job enqueues the returned batch once the transaction commits.
 *
 * A start may decline to interrupt (`offer`, a survey): someone in the middle of another flow
 * keeps their place and gets the offer's messages instead (its buttons work from anywhere).
 */
import type { DatabaseProvider } from "../db/database.js";
import { rows, type Plan } from "../db/plan.js";
import { prepareStatements } from "../db/raw-sql.js";
import type { ConversationState, OutgoingMessage, Vars } from "../engine/types.js";
import { OutboxWrites } from "../outbox/outbox-writes.js";
import { outboundRow, priorityOf, type OutboxBatch, type OutboxKind } from "../outbox/types.js";
import { TurnWrites } from "./turn-writes.js";

export type FlowStart = {
  to: { identityId: number; channel: string; chatId: string };
  /** The flow and the question (node) the conversation waits at. */
  flow: string;
  node: string;
  /**
   * The conversation's variables, from the one the participant is in: null when there is none,
   * it has expired, or it is in this flow already (a second reminder replaces the first).
   */
  vars: (current: ConversationState | null) => Vars;
  expiresAt: Date;
  /** What asks the question (the flow's own words for this start). */
  messages: OutgoingMessage[];
  kind: OutboxKind;
  /**
   * Set for a start that must not interrupt: with a live conversation that is not `idle` (the
   * participant is in the middle of something), the conversation is left as it is and these
   * messages are sent instead. Without it the start always takes over (a reminder's question).
   */
  offer?: { idle: (current: ConversationState) => boolean; messages: OutgoingMessage[] };
};

/** What a start did: the flow started (the conversation waits at its question), or it was offered. */
export type StartOutcome = { batch: OutboxBatch; outcome: "started" | "offered" };

const statements = {
  conversation: `SELECT id, version, flow, node, variables, "expiresAt" FROM "Conversation" WHERE "identityId" = $1`,
};

export class FlowStarts {
  private readonly sql: Record<keyof typeof statements, string>;
  private readonly turnWrites: TurnWrites;
  private readonly outboxWrites: OutboxWrites;

  constructor(provider: DatabaseProvider) {
    this.sql = prepareStatements(statements, provider);
    this.turnWrites = new TurnWrites(provider);
    this.outboxWrites = new OutboxWrites(provider);
  }

  /** Puts the conversation at the flow's question and writes its messages; the batch to enqueue after the commit. */
  *startFlow(start: FlowStart, now: Date): Plan<OutboxBatch> {
    return (yield* this.start(start, now)).batch;
  }

  /** As startFlow, or, for a start with an `offer` and a participant busy elsewhere, only the offer. */
  *start(start: FlowStart, now: Date): Plan<StartOutcome> {
    const [conversation] = yield* rows<{
      id: number;
      version: number;
      flow: string;
      node: string;
      variables: Vars;
      expiresAt: Date;
    }>(this.sql.conversation, [start.to.identityId], { dates: ["expiresAt"], json: ["variables"] });
    const live =
      conversation && conversation.expiresAt > now
        ? { flow: conversation.flow, node: conversation.node, vars: conversation.variables }
        : null;
    if (start.offer && live && !start.offer.idle(live))
      return { batch: yield* this.writeMessages(start, start.offer.messages, now), outcome: "offered" };
    const current =
      conversation && conversation.expiresAt > now && conversation.flow !== start.flow
        ? { flow: conversation.flow, node: conversation.node, vars: conversation.variables }
        : null;
    const waiting = { flow: start.flow, node: start.node, variables: start.vars(current), expiresAt: start.expiresAt };
    // A turn that changed the conversation meanwhile wins (no conflict is raised): the messages still go.
    if (!conversation) yield* this.turnWrites.insertConversation(start.to.identityId, waiting, now);
    else yield* this.turnWrites.updateConversation(conversation.id, conversation.version, waiting, now);
    return { batch: yield* this.writeMessages(start, start.messages, now), outcome: "started" };
  }

  /** Only messages, the conversation left as it is (a reminder to someone who already said they will come). */
  *send(to: FlowStart["to"], messages: OutgoingMessage[], kind: OutboxKind, now: Date): Plan<OutboxBatch> {
    const ids = yield* this.outboxWrites.insertOutbound(
      messages.map((m) => outboundRow(to, m, kind)),
      now,
    );
    return { channel: to.channel, chatId: to.chatId, ids, priority: priorityOf(kind) };
  }

  private writeMessages(start: FlowStart, messages: OutgoingMessage[], now: Date): Plan<OutboxBatch> {
    return this.send(start.to, messages, start.kind, now);
  }
}
