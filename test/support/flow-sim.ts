/**
 * The bot without a database: understanding, the engine and the flows run as the runtime runs
 * them, over an in-memory world (programmes, training sessions, participants, chat accounts,
 * enrollments). A turn takes ~0.1 ms, so flow tests and the fuzz run thousands of them in
 * seconds. What the runtime does around a turn (dedupe, per-chat order, transactions, the
 * outbox, Redis) is not here: test that with the real runtime (test/support/harness.ts).
 *
 * Real code wherever it is pure: the flows, the engine, understanding, the message cleaning, the
 * outcome texts and "see my data". Fakes where the runtime reads or writes the database: the
 * FlowServices reads, the domain verbs the events ask for (enroll, cancel, move, attendance,
 * deletion, with the waiting list), and staff previews.
 */
import { flowSet } from "../../flows/index.js";
import { checkInText } from "../../flows/checkin.js";
import { certificateNewsText } from "../../flows/certificates.js";
import { outcomes, type SessionSummary } from "../../flows/outcomes.js";
import { routeMessage } from "../../flows/route-message.js";
import { parseStaffCommand } from "../../flows/staff.js";
import { programmes as programmeSeeds } from "../../prisma/seed/programmes.js";
import { formatParticipantData } from "../../src/domain/describe-participant-data.js";
import { upcomingWorkday } from "../../src/domain/seed-database.js";
import { isStaffChannel } from "../../src/domain/staff.js";
import { Engine, splitChoiceId } from "../../src/engine/engine.js";
import type {
  ConversationState,
  EngineEvent,
  EnrollmentView,
  FlowContext,
  FlowServices,
  Language,
  OutgoingMessage,
  Profile,
  ProgrammeView,
  SessionView,
  StaffServices,
  StaffView,
  TurnResult,
} from "../../src/engine/types.js";
import { cleanInbound, toInput, type InboundMessage } from "../../src/runtime/inbound-message.js";
import { findProgrammes } from "../../src/understanding/index.js";
import { DateTime } from "luxon";

/** A reply as the chat shows it: its text and its options' labels (as in test/support/harness.ts). */
export type Reply = { text: string; choices?: string[] };

export type SimProgramme = Omit<ProgrammeView, "openSessions"> & {
  active: boolean;
  /** The programme's own follow-up questions as stored (null or absent: the defaults). */
  followUpQuestions?: unknown;
};
/** A survey answer as FlowResult keeps it. */
export type SimResult = {
  participantId: number;
  flow: string;
  round: string;
  questionKey: string;
  value: string;
  numberValue: number | null;
  enrollmentId: number | null;
};
/** A survey offered (a CampaignMessage row, as far as flows read it). */
export type SimInvitation = {
  id: number;
  participantId: number;
  flow: string;
  round: string;
  enrollmentId: number;
  status: string;
};
export type SimSession = {
  id: number;
  programmeId: number;
  startsAt: Date;
  endsAt: Date;
  venue: string;
  address: string;
  mapUrl: string | null;
  capacity: number;
  status: "scheduled" | "cancelled";
};
export type SimParticipant = Profile & {
  id: number;
  language: Language;
  gender: string | null;
  optedOut: boolean;
  motivationOptedOut: boolean;
  consentAt: Date;
  consentVersion: string;
  registeredAt: Date;
};
export type SimEnrollment = {
  id: number;
  participantId: number | null;
  trainingSessionId: number;
  status: "enrolled" | "waitlisted" | "cancelled" | "attended" | "absent";
  waitlistPosition: number | null;
  rsvp: "confirmed" | "declined" | null;
};
/** A chat account: who writes on a channel, their participant, where their conversation rests. */
export type SimChat = {
  id: number;
  channel: string;
  chatId: string;
  participantId: number | null;
  conversation: { state: ConversationState; expiresAt: Date } | null;
  /** Message rows stored for this account, both ways ("see my data" counts them). */
  messages: number;
  lastInboundAt: Date;
};

/** Everything the bot knows, in memory. Tests change it directly to set a scene. */
export type World = {
  programmes: SimProgramme[];
  sessions: SimSession[];
  participants: Map<number, SimParticipant>;
  /** By `${channel}:${senderId}`. */
  chats: Map<string, SimChat>;
  enrollments: SimEnrollment[];
  /** Linked staff by `${channel}:${senderId}`. */
  staff: Map<string, StaffView>;
  /** The last id given, per table, as a database counts them. */
  lastId: { participant: number; enrollment: number; chat: number; message: number };
  /** Survey answers (FlowResult) and surveys offered (CampaignMessage). */
  results: SimResult[];
  invitations: SimInvitation[];
};

/** The seed's four programmes and their sessions (src/domain/seed-database.ts), ids as a fresh database gives them. */
export function seededWorld(now: Date): World {
  const seeded = seeds.get(now.getTime()) ?? seed(now);
  seeds.set(now.getTime(), seeded);
  return {
    ...structuredClone(seeded),
    participants: new Map(),
    chats: new Map(),
    enrollments: [],
    staff: new Map(),
    lastId: { participant: 0, enrollment: 0, chat: 0, message: 0 },
    results: [],
    invitations: [],
  };
}

/** Seeded programmes and sessions by the time they were seeded at: working out their dates takes a while. */
const seeds = new Map<number, Pick<World, "programmes" | "sessions">>();

function seed(now: Date): Pick<World, "programmes" | "sessions"> {
  const world: Pick<World, "programmes" | "sessions"> = { programmes: [], sessions: [] };
  for (const [i, p] of programmeSeeds.entries()) {
    world.programmes.push({
      id: i + 1,
      slug: p.slug,
      sector: p.sector,
      regency: p.regency,
      title: { id: p.titleId, en: p.titleEn },
      description: { id: p.descriptionId, en: p.descriptionEn },
      timeZone: p.timeZone,
      seatsPerParticipant: 1,
      active: true,
    });
    const today = DateTime.fromJSDate(now, { zone: p.timeZone });
    for (const s of p.sessions)
      world.sessions.push({
        id: world.sessions.length + 1,
        programmeId: i + 1,
        startsAt: upcomingWorkday(today, s.daysAhead, s.startTime).toJSDate(),
        endsAt: upcomingWorkday(today, s.daysAhead, s.endTime).toJSDate(),
        venue: s.venue,
        address: s.address,
        mapUrl: s.mapUrl,
        capacity: s.capacity,
        status: "scheduled",
      });
  }
  return world;
}

export type SimOptions = {
  now?: Date;
  /** What each channel can show (as RuntimeOptions.channels). */
  channels?: Record<string, { buttons: boolean; sharePhone?: boolean }>;
  defaultLanguage?: Language;
  conversationTtlHours?: number;
  /** Staff commands are offered (as when the runtime has `staff`). */
  staff?: boolean;
};

/** What one message did: the replies to its chat, the engine's result, and messages to other chats. */
export type SimTurn = {
  replies: OutgoingMessage[];
  result: TurnResult;
  /** Notices to other chats (a promotion from the waiting list), by `${channel}:${chatId}`. */
  elsewhere: { chat: string; message: OutgoingMessage }[];
};

const frozenNow = new Date("2026-11-27T03:00:00Z");

export class FlowSim {
  readonly world: World;
  readonly engine = new Engine(flowSet);
  /** Every engine result so far, per chat id. */
  readonly turns = new Map<string, TurnResult[]>();
  /** Every message each chat received, by `${channel}:${chatId}`. */
  readonly inbox = new Map<string, OutgoingMessage[]>();
  readonly clock: { now: Date };
  private readonly options: Required<SimOptions>;

  constructor(options: SimOptions = {}, world?: World) {
    this.options = {
      now: options.now ?? frozenNow,
      channels: options.channels ?? {
        web: { buttons: true },
        whatsapp: { buttons: false },
        telegram: { buttons: true },
      },
      defaultLanguage: options.defaultLanguage ?? "id",
      conversationTtlHours: options.conversationTtlHours ?? 24,
      staff: options.staff ?? true,
    };
    this.clock = { now: this.options.now };
    this.world = world ?? seededWorld(this.clock.now);
  }

  /** Sends a text, a button (`{ choice }`: an option of the latest question offering it, or a stamped id), or any inbound fields. */
  async send(
    chatId: string,
    input: string | { choice: string } | Partial<InboundMessage>,
    channel = "web",
  ): Promise<Reply[]> {
    const fields: Partial<InboundMessage> =
      typeof input === "string"
        ? { text: input }
        : "choice" in input
          ? { choiceId: this.offeredId(`${channel}:${chatId}`, input.choice as string) }
          : input;
    return (await this.message(chatId, fields, channel)).replies.map(asReply);
  }

  /** A message from `chatId` with these fields; what the turn did. */
  message(chatId: string, fields: Partial<InboundMessage>, channel = "web"): Promise<SimTurn> {
    return this.handle({
      channel,
      chatId,
      senderId: chatId,
      platformMessageId: `sim-${++this.world.lastId.message}`,
      receivedAt: this.clock.now,
      ...fields,
    });
  }

  /** The stamped ids of the options the chat was offered last. */
  offeredIds(chatId: string, channel = "web"): string[] {
    const shown = this.inbox.get(`${channel}:${chatId}`) ?? [];
    return (
      [...shown]
        .reverse()
        .find((m) => m.choices?.length)
        ?.choices?.map((c) => c.id) ?? []
    );
  }

  /** Where a chat's conversation rests (null: none), as the next message finds it. */
  conversation(chatId: string, channel = "web"): ConversationState | null {
    return this.world.chats.get(`${channel}:${chatId}`)?.conversation?.state ?? null;
  }

  /**
   * Puts a chat at a node, as a stored conversation whose question was just asked (its messages
   * are in the inbox, its buttons current): the fuzz starts participants anywhere. Returns what
   * the question said (nothing for a staff node of a chat that is not staff: it is not resumed).
   */
  async place(
    chatId: string,
    state: ConversationState,
    participantId: number | null,
    channel = "web",
  ): Promise<OutgoingMessage[]> {
    const chat = this.chat(channel, chatId, chatId);
    chat.participantId = participantId;
    chat.conversation = { state, expiresAt: this.expiry() };
    const turn = this.prepare({ channel, chatId, senderId: chatId, platformMessageId: "", receivedAt: this.clock.now });
    if (!turn.state) return [];
    const shown = await this.engine.show(turn.state, turn.ctx);
    const messages = shown.events.flatMap((e) => (e.type === "message_created" ? [e.message] : []));
    chat.conversation = shown.state ? { state: shown.state, expiresAt: this.expiry() } : null;
    chat.messages += messages.length;
    this.deliver(`${channel}:${chatId}`, messages);
    return messages;
  }

  /** Adds a registered participant straight to the world; returns their id. */
  addParticipant(profile: Profile, extra: Partial<SimParticipant> = {}): number {
    const id = ++this.world.lastId.participant;
    const now = this.clock.now;
    this.world.participants.set(id, {
      ...profile,
      id,
      language: "id",
      gender: null,
      optedOut: false,
      motivationOptedOut: false,
      consentAt: now,
      consentVersion: "2026-11",
      registeredAt: now,
      ...extra,
    });
    return id;
  }

  /** Enrolls (or waitlists) a participant as the domain would; the outcome's kind. */
  enroll(participantId: number, trainingSessionId: number): EnrollOutcome["kind"] {
    return this.enrollParticipant(participantId, trainingSessionId).kind;
  }

  /** One message, through the steps of InboundRuntime.turn that do not need a database. */
  async handle(given: InboundMessage): Promise<SimTurn> {
    const message = cleanInbound(given);
    const { existing, state, ctx, expired, command } = this.prepare(message);
    const result = await routeMessage(
      this.engine,
      { ...message, input: toInput(message) },
      { state, expired, isTimeout: false, command, staffChannel: isStaffChannel(message.channel) },
      ctx,
    );
    const list = this.turns.get(message.chatId) ?? [];
    list.push(result);
    this.turns.set(message.chatId, list);

    // What the turn's transaction writes: the chat account, the inbound row, the events, the state.
    const chat = existing ?? this.chat(message.channel, message.senderId, message.chatId);
    chat.lastInboundAt = this.clock.now;
    chat.messages++;
    const applied = this.apply(chat, ctx.language, result.events);
    if (applied.deleted) this.world.chats.delete(`${chat.channel}:${message.senderId}`);
    else chat.conversation = result.state ? { state: result.state, expiresAt: this.expiry() } : null;
    if (!applied.deleted) chat.messages += applied.replies.length;
    this.deliver(`${chat.channel}:${chat.chatId}`, applied.replies);
    for (const e of applied.elsewhere) this.deliver(e.chat, [e.message]);
    return { replies: applied.replies, result, elsewhere: applied.elsewhere };
  }

  /** What a turn loads before the engine runs: the chat, its conversation, the flows' context. */
  private prepare(message: InboundMessage) {
    const now = this.clock.now;
    const existing = this.world.chats.get(`${message.channel}:${message.senderId}`) ?? null;
    const conversation = existing?.conversation ?? null;
    const participant = existing?.participantId != null ? this.world.participants.get(existing.participantId) : null;
    const expired = conversation !== null && conversation.expiresAt <= now;
    const command = this.options.staff ? parseStaffCommand(message.text) : null;
    const staff =
      this.options.staff && (command || conversation?.state.flow === "staff") && isStaffChannel(message.channel)
        ? (this.world.staff.get(`${message.channel}:${message.senderId}`) ?? null)
        : null;
    const state =
      conversation && !expired && (conversation.state.flow !== "staff" || staff) ? conversation.state : null;
    const vars = state?.vars ?? {};
    const language: Language =
      participant?.language ??
      (vars.language === "en" || vars.language === "id" ? vars.language : this.options.defaultLanguage);
    const services = this.services(existing, participant?.id ?? null, language);
    if (staff) services.staff = this.staffServices();
    const channel = this.options.channels[message.channel];
    const ctx: FlowContext = {
      now,
      language,
      vars,
      participant: participant
        ? {
            id: participant.id,
            name: participant.name,
            businessName: participant.businessName,
            sector: participant.sector,
            regency: participant.regency,
            phone: participant.phone,
            nib: participant.nib,
            gender: participant.gender,
            language,
            optedOut: participant.optedOut,
          }
        : null,
      staff,
      channel: {
        name: message.channel,
        buttons: channel?.buttons ?? false,
        sharePhone: channel?.sharePhone ?? false,
        phone: null,
      },
      services,
    };
    return { existing, state, ctx, expired, command };
  }

  // ---------------------------------------------------------------- the reads flows make

  private services(chat: SimChat | null, participantId: number | null, language: Language): FlowServices {
    const listProgrammes = async (): Promise<ProgrammeView[]> =>
      this.world.programmes
        .filter((p) => p.active)
        .map(({ active: _active, ...p }) => ({
          ...p,
          openSessions: this.world.sessions.filter((s) => s.programmeId === p.id && this.isOpen(s)).length,
        }));
    return {
      listProgrammes,
      findProgrammes: async (query) => findProgrammes(query, await listProgrammes()),
      listOpenSessions: async (programmeId) =>
        this.world.sessions
          .filter((s) => s.programmeId === programmeId && this.isOpen(s))
          .sort(bySchedule)
          .map((s) => this.sessionView(s)),
      getSession: async (id) => {
        const s = this.world.sessions.find((x) => x.id === id);
        return s && this.isOpen(s) ? this.sessionView(s) : null;
      },
      listEnrollments: async () => (participantId === null ? [] : this.enrollmentViews(participantId)),
      getSurveySubject: async (enrollmentId) => {
        const e = this.world.enrollments.find((x) => x.id === enrollmentId && x.participantId === participantId);
        if (!e || participantId === null) return null;
        const s = this.session(e.trainingSessionId);
        const programme = this.programme(s.programmeId);
        return {
          enrollmentId: e.id,
          programmeTitle: programme.title,
          startsAt: s.startsAt,
          timeZone: programme.timeZone,
          followUpQuestions: programme.followUpQuestions ?? null,
        };
      },
      getSurveyInvitation: async (id) => {
        const found =
          id === 0
            ? this.world.invitations.findLast((i) => i.status === "offered" && i.participantId === participantId)
            : this.world.invitations.find((i) => i.id === id && i.participantId === participantId);
        return found
          ? {
              id: found.id,
              flow: found.flow,
              round: found.round,
              enrollmentId: found.enrollmentId,
              status: found.status,
            }
          : null;
      },
      describeStoredData: async () => {
        const p = participantId === null ? undefined : this.world.participants.get(participantId);
        if (!p) return language === "id" ? "Tidak ada data yang tersimpan." : "Nothing is stored.";
        const chats = [...this.world.chats.values()].filter((c) => c.participantId === p.id || c === chat);
        return formatParticipantData(
          {
            ...p,
            channels: chats.map((c) => c.channel),
            messages: chats.reduce((n, c) => n + c.messages, 0),
            enrollments: this.world.enrollments
              .filter((e) => e.participantId === p.id)
              .map((e) => {
                const s = this.session(e.trainingSessionId);
                const programme = this.programme(s.programmeId);
                return { title: programme.title, startsAt: s.startsAt, timeZone: programme.timeZone, status: e.status };
              }),
          },
          language,
        );
      },
    };
  }

  /** Staff reads: previews count in memory; the two reports are summaries, not the real texts. */
  private staffServices(): StaffServices {
    return {
      preview: async (filter) => {
        const matching = [...this.world.participants.values()].filter((p) => this.inSegment(p, filter));
        return {
          recipients: matching.filter((p) => !p.optedOut).length,
          optedOut: matching.filter((p) => p.optedOut).length,
          blocked: 0,
        };
      },
      describeRecentBroadcasts: async () => "(broadcasts: not simulated)",
      describeStatistics: async () =>
        `(statistics: ${this.world.enrollments.filter((e) => e.status === "enrolled").length} enrolled)`,
    };
  }

  /** The segment filters the staff wizard makes (flows/staff.ts filterFromVars). */
  private inSegment(p: SimParticipant, filter: Record<string, unknown>): boolean {
    const list = (key: string) => (Array.isArray(filter[key]) ? (filter[key] as unknown[]) : null);
    const regencies = list("regencies");
    if (regencies && !regencies.includes(p.regency)) return false;
    const programmeIds = list("programmeIds");
    if (!programmeIds) return true;
    const statuses = list("enrollmentStatus");
    const rsvp = list("rsvp");
    return this.world.enrollments.some(
      (e) =>
        e.participantId === p.id &&
        programmeIds.includes(this.session(e.trainingSessionId).programmeId) &&
        (!statuses || statuses.includes(e.status)) &&
        (!rsvp || rsvp.includes(e.rsvp ?? "none")),
    );
  }

  private isOpen(s: SimSession): boolean {
    return s.status === "scheduled" && s.startsAt > this.clock.now;
  }

  private session(id: number): SimSession {
    const s = this.world.sessions.find((x) => x.id === id);
    if (!s) throw new Error(`no training session ${id}`);
    return s;
  }

  private programme(id: number): SimProgramme {
    const p = this.world.programmes.find((x) => x.id === id);
    if (!p) throw new Error(`no programme ${id}`);
    return p;
  }

  private taken(sessionId: number): number {
    return this.world.enrollments.filter(
      (e) => e.trainingSessionId === sessionId && ["enrolled", "attended", "absent"].includes(e.status),
    ).length;
  }

  private sessionView(s: SimSession): SessionView {
    const programme = this.programme(s.programmeId);
    return {
      id: s.id,
      programmeId: s.programmeId,
      programmeTitle: programme.title,
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      timeZone: programme.timeZone,
      venue: s.venue,
      address: s.address,
      mapUrl: s.mapUrl,
      capacity: s.capacity,
      seatsLeft: Math.max(0, s.capacity - this.taken(s.id)),
      waitlisted: this.world.enrollments.filter((e) => e.trainingSessionId === s.id && e.status === "waitlisted")
        .length,
    };
  }

  private rank(sessionId: number, position: number): number {
    return (
      this.world.enrollments.filter(
        (e) => e.trainingSessionId === sessionId && e.status === "waitlisted" && e.waitlistPosition! < position,
      ).length + 1
    );
  }

  private enrollmentViews(participantId: number): EnrollmentView[] {
    return this.world.enrollments
      .filter((e) => e.participantId === participantId && (e.status === "enrolled" || e.status === "waitlisted"))
      .map((e) => ({ e, s: this.session(e.trainingSessionId) }))
      .filter(({ s }) => s.status === "scheduled" && s.endsAt > this.clock.now)
      .sort((a, b) => bySchedule(a.s, b.s))
      .map(({ e, s }) => ({
        id: e.id,
        status: e.status === "waitlisted" ? "waitlisted" : "enrolled",
        waitlistPosition: e.status === "waitlisted" ? this.rank(s.id, e.waitlistPosition!) : null,
        confirmed: e.rsvp === "confirmed",
        session: this.sessionView(s),
      }));
  }

  private summary(sessionId: number): SessionSummary | null {
    const s = this.world.sessions.find((x) => x.id === sessionId);
    if (!s) return null;
    const p = this.programme(s.programmeId);
    return { programmeTitle: p.title, startsAt: s.startsAt, timeZone: p.timeZone, venue: s.venue };
  }

  // ---------------------------------------------------------------- the domain verbs, in memory

  /** As src/domain/enroll-participant.ts: a seat, the waiting list, or why not. */
  private enrollParticipant(participantId: number, sessionId: number): EnrollOutcome {
    const s = this.world.sessions.find((x) => x.id === sessionId);
    if (!s || !this.isOpen(s)) return { kind: "unavailable" };
    const mine = this.world.enrollments.find((e) => e.participantId === participantId && e.trainingSessionId === s.id);
    if (mine && (mine.status === "enrolled" || mine.status === "waitlisted"))
      return {
        kind: "already",
        status: mine.status,
        position: mine.status === "waitlisted" ? this.rank(s.id, mine.waitlistPosition!) : null,
      };
    const held = this.heldInProgramme(participantId, s.programmeId, s.id);
    if (held.length >= Math.max(1, this.programme(s.programmeId).seatsPerParticipant))
      return { kind: "programme_taken", enrollmentId: held[0]!.id, trainingSessionId: held[0]!.trainingSessionId };
    const full = this.taken(s.id) >= s.capacity;
    const last = Math.max(
      0,
      ...this.world.enrollments.filter((e) => e.trainingSessionId === s.id).map((e) => e.waitlistPosition ?? 0),
    );
    const fields = {
      status: full ? "waitlisted" : "enrolled",
      waitlistPosition: full ? last + 1 : null,
      rsvp: null,
    } as const;
    let enrollment = mine;
    if (enrollment) Object.assign(enrollment, fields);
    else {
      enrollment = { id: ++this.world.lastId.enrollment, participantId, trainingSessionId: s.id, ...fields };
      this.world.enrollments.push(enrollment);
    }
    return full
      ? { kind: "waitlisted", enrollmentId: enrollment.id, position: this.rank(s.id, enrollment.waitlistPosition!) }
      : { kind: "enrolled", enrollmentId: enrollment.id };
  }

  private heldInProgramme(participantId: number, programmeId: number, exceptSessionId: number): SimEnrollment[] {
    return this.world.enrollments
      .filter((e) => e.participantId === participantId && (e.status === "enrolled" || e.status === "waitlisted"))
      .map((e) => ({ e, s: this.session(e.trainingSessionId) }))
      .filter(
        ({ s }) =>
          s.programmeId === programmeId &&
          s.id !== exceptSessionId &&
          s.status === "scheduled" &&
          s.endsAt > this.clock.now,
      )
      .sort((a, b) => bySchedule(a.s, b.s) || a.e.id - b.e.id)
      .map(({ e }) => e);
  }

  /** As src/domain/cancel-enrollment.ts: a freed seat goes to the first on the waiting list. */
  private cancelEnrollment(participantId: number, enrollmentId: number): CancelOutcome {
    const e = this.world.enrollments.find((x) => x.id === enrollmentId && x.participantId === participantId);
    if (!e || (e.status !== "enrolled" && e.status !== "waitlisted")) return { kind: "not_found" };
    const was = e.status;
    Object.assign(e, { status: "cancelled", waitlistPosition: null });
    return {
      kind: "cancelled",
      trainingSessionId: e.trainingSessionId,
      promoted: was === "enrolled" ? this.promote(e.trainingSessionId) : null,
    };
  }

  private promote(sessionId: number): SimEnrollment | null {
    const s = this.session(sessionId);
    if (s.status !== "scheduled" || this.taken(sessionId) >= s.capacity) return null;
    const next = this.world.enrollments
      .filter((e) => e.trainingSessionId === sessionId && e.status === "waitlisted" && e.participantId !== null)
      .sort((a, b) => a.waitlistPosition! - b.waitlistPosition!)[0];
    if (!next) return null;
    Object.assign(next, { status: "enrolled", waitlistPosition: null });
    return next;
  }

  /** As src/domain/move-enrollment.ts: checks everything first, so a move happens whole or not at all. */
  private moveEnrollment(participantId: number, enrollmentId: number, sessionId: number): MoveOutcome {
    const old = this.world.enrollments.find((x) => x.id === enrollmentId && x.participantId === participantId);
    if (!old || (old.status !== "enrolled" && old.status !== "waitlisted")) return { kind: "not_found" };
    const already = (e: SimEnrollment): MoveOutcome => ({
      kind: "already",
      status: e.status as "enrolled" | "waitlisted",
      position: e.status === "waitlisted" ? this.rank(sessionId, e.waitlistPosition!) : null,
    });
    if (old.trainingSessionId === sessionId) return already(old);
    const from = this.session(old.trainingSessionId);
    const target = this.world.sessions.find((s) => s.id === sessionId);
    if (!target || target.programmeId !== from.programmeId || !this.isOpen(target)) return { kind: "unavailable" };
    const there = this.world.enrollments.find(
      (e) => e.participantId === participantId && e.trainingSessionId === sessionId,
    );
    if (there && (there.status === "enrolled" || there.status === "waitlisted")) return already(there);
    const others = this.heldInProgramme(participantId, from.programmeId, sessionId).filter(
      (e) => e.id !== enrollmentId,
    );
    if (others.length >= Math.max(1, this.programme(from.programmeId).seatsPerParticipant))
      return { kind: "programme_taken", enrollmentId: others[0]!.id, trainingSessionId: others[0]!.trainingSessionId };
    const cancelled = this.cancelEnrollment(participantId, enrollmentId);
    const to = this.enrollParticipant(participantId, sessionId);
    if (cancelled.kind !== "cancelled" || (to.kind !== "enrolled" && to.kind !== "waitlisted"))
      throw new Error(`moving enrollment ${enrollmentId} to ${sessionId} failed midway`);
    return { kind: "moved", fromTrainingSessionId: from.id, to, promoted: cancelled.promoted };
  }

  // ---------------------------------------------------------------- applying the events

  /** As src/runtime/apply-events.ts, with the replies it writes, in event order. */
  private apply(
    chat: SimChat,
    turnLanguage: Language,
    events: EngineEvent[],
  ): { replies: OutgoingMessage[]; elsewhere: SimTurn["elsewhere"]; deleted: boolean } {
    const replies: OutgoingMessage[] = [];
    const elsewhere: SimTurn["elsewhere"] = [];
    let language = turnLanguage;
    let deleted = false;
    const reply = (text: string) => replies.push({ text });
    const participant = (): SimParticipant => {
      const p = chat.participantId === null ? undefined : this.world.participants.get(chat.participantId);
      if (!p) throw new Error("event needs a registered participant");
      return p;
    };
    const tellPromoted = (promoted: SimEnrollment | null) => {
      const p = promoted?.participantId ? this.world.participants.get(promoted.participantId) : undefined;
      const to = [...this.world.chats.values()]
        .filter((c) => c.participantId === p?.id)
        .sort((a, b) => b.lastInboundAt.getTime() - a.lastInboundAt.getTime())[0];
      const summary = promoted && this.summary(promoted.trainingSessionId);
      if (p && to && summary)
        elsewhere.push({
          chat: `${to.channel}:${to.chatId}`,
          message: { text: outcomes.promoted(summary, p.language) },
        });
    };
    for (const event of events) {
      switch (event.type) {
        case "message_created":
          replies.push(event.message);
          break;
        case "conversation_ended":
        case "wait_timeout_scheduled":
        case "staff_command_refused":
        case "staff_link_requested":
        case "broadcast_requested":
        case "consent_refused":
          break;
        case "language_changed":
          language = event.language;
          if (chat.participantId !== null) participant().language = event.language;
          break;
        case "profile_updated":
          Object.assign(participant(), { [event.field]: event.value });
          break;
        case "motivation_opted_out":
        case "motivation_opted_in":
          participant().motivationOptedOut = event.type === "motivation_opted_out";
          break;
        case "opted_out":
        case "opted_in":
          participant().optedOut = event.type === "opted_out";
          break;
        case "participant_registered":
          chat.participantId = this.addParticipant(event.profile, {
            language: event.language,
            consentAt: new Date(event.consentAt),
            consentVersion: event.consentVersion,
          });
          language = event.language;
          break;
        case "enrollment_requested": {
          const outcome = this.enrollParticipant(participant().id, event.trainingSessionId);
          const summary = this.summary(
            outcome.kind === "programme_taken" ? outcome.trainingSessionId : event.trainingSessionId,
          );
          if (outcome.kind === "programme_taken") {
            const held = this.world.enrollments.find((e) => e.id === outcome.enrollmentId);
            reply(
              summary
                ? outcomes.programmeTaken(summary, held?.status === "waitlisted", language)
                : outcomes.unavailable(language),
            );
          } else
            reply(
              outcome.kind === "enrolled" && summary
                ? outcomes.enrolled(summary, language)
                : outcome.kind === "waitlisted" && summary
                  ? outcomes.waitlisted(summary, outcome.position, language)
                  : outcome.kind === "already"
                    ? outcome.status === "enrolled"
                      ? outcomes.alreadyEnrolled(language)
                      : outcomes.alreadyWaitlisted(outcome.position, language)
                    : outcomes.unavailable(language),
            );
          break;
        }
        case "enrollment_cancel_requested": {
          const outcome = this.cancelEnrollment(participant().id, event.enrollmentId);
          if (outcome.kind === "not_found") {
            reply(outcomes.cancelNotFound(language));
            break;
          }
          const summary = this.summary(outcome.trainingSessionId);
          if (summary) reply(outcomes.cancelled(summary, language));
          tellPromoted(outcome.promoted);
          break;
        }
        case "enrollment_move_requested": {
          const outcome = this.moveEnrollment(participant().id, event.enrollmentId, event.trainingSessionId);
          if (outcome.kind === "not_found") reply(outcomes.moveNotFound(language));
          else if (outcome.kind === "unavailable") reply(outcomes.moveUnavailable(language));
          else if (outcome.kind === "already")
            reply(
              outcome.status === "enrolled"
                ? outcomes.alreadyEnrolled(language)
                : outcomes.alreadyWaitlisted(outcome.position, language),
            );
          else if (outcome.kind === "programme_taken") {
            const held = this.summary(outcome.trainingSessionId);
            const e = this.world.enrollments.find((x) => x.id === outcome.enrollmentId);
            reply(
              held
                ? outcomes.programmeTaken(held, e?.status === "waitlisted", language)
                : outcomes.unavailable(language),
            );
          } else {
            const from = this.summary(outcome.fromTrainingSessionId);
            const to = this.summary(event.trainingSessionId);
            if (from && to)
              reply(
                outcome.to.kind === "enrolled"
                  ? outcomes.moved(from, to, language)
                  : outcomes.movedToWaitlist(from, to, outcome.to.position, language),
              );
            tellPromoted(outcome.promoted);
          }
          break;
        }
        case "attendance_answered": {
          const id = participant().id;
          const e = this.world.enrollments.find((x) => x.id === event.enrollmentId && x.participantId === id);
          if (!e || e.status !== "enrolled") {
            reply(outcomes.attendanceNotActive(language));
            break;
          }
          const summary = this.summary(e.trainingSessionId);
          if (event.answer === "confirmed") {
            e.rsvp = "confirmed";
            if (summary) reply(outcomes.attendanceConfirmed(summary, language));
            break;
          }
          const outcome = this.cancelEnrollment(id, e.id);
          e.rsvp = "declined";
          if (summary) reply(outcomes.attendanceDeclined(summary, language));
          if (outcome.kind === "cancelled") tellPromoted(outcome.promoted);
          break;
        }
        case "check_in_requested":
          // No session of the simulated world has a check-in code yet (they are made on the roster page).
          participant();
          reply(checkInText({ kind: "unknown_code" }, language));
          break;
        case "flow_result_recorded": {
          const id = participant().id;
          const enrollment = this.world.enrollments.find((x) => x.id === event.enrollmentId && x.participantId === id);
          const enrollmentId = enrollment ? enrollment.id : null;
          this.world.results = this.world.results.filter(
            (r) =>
              !(
                r.participantId === id &&
                r.flow === event.flow &&
                r.round === event.round &&
                r.questionKey === event.questionKey &&
                r.enrollmentId === enrollmentId
              ),
          );
          this.world.results.push({
            participantId: id,
            flow: event.flow,
            round: event.round,
            questionKey: event.questionKey,
            value: event.value,
            numberValue: event.numberValue ?? null,
            enrollmentId,
          });
          break;
        }
        case "survey_completed":
          // Certificates are not simulated.
          break;
        case "certificates_requested":
          // Nor issued: the simulated world holds none, and has no check-ins (see check_in_requested).
          participant();
          reply(certificateNewsText({ kind: "none" }, language));
          break;
        case "survey_offer_accepted": {
          const id = participant().id;
          const found = this.world.invitations.find((i) => i.id === event.campaignMessageId && i.participantId === id);
          if (found?.status === "offered") found.status = "sent";
          break;
        }
        case "data_deletion_requested": {
          const id = participant().id;
          for (const e of this.world.enrollments.filter((x) => x.participantId === id)) {
            const outcome = this.cancelEnrollment(id, e.id);
            if (outcome.kind === "cancelled") tellPromoted(outcome.promoted);
            e.participantId = null;
          }
          for (const [key, c] of this.world.chats)
            if (c.participantId === id && c !== chat) this.world.chats.delete(key);
          this.world.participants.delete(id);
          chat.participantId = null;
          deleted = true;
          break;
        }
        default: {
          const unhandled: never = event;
          throw new Error(`no handler for ${JSON.stringify(unhandled)}`);
        }
      }
    }
    return { replies, elsewhere, deleted };
  }

  // ---------------------------------------------------------------- chats

  private chat(channel: string, senderId: string, chatId: string): SimChat {
    const key = `${channel}:${senderId}`;
    let chat = this.world.chats.get(key);
    if (!chat) {
      chat = {
        id: ++this.world.lastId.chat,
        channel,
        chatId,
        participantId: null,
        conversation: null,
        messages: 0,
        lastInboundAt: this.clock.now,
      };
      this.world.chats.set(key, chat);
    }
    return chat;
  }

  private expiry(): Date {
    return new Date(this.clock.now.getTime() + this.options.conversationTtlHours * 3_600_000);
  }

  private deliver(chat: string, messages: OutgoingMessage[]): void {
    if (!messages.length) return;
    const list = this.inbox.get(chat) ?? [];
    list.push(...messages);
    this.inbox.set(chat, list);
  }

  /** A press on `choice` as the chat shows it: the button of the latest message offering it. */
  private offeredId(chat: string, choice: string): string {
    if (choice.includes("@")) return choice;
    for (const m of [...(this.inbox.get(chat) ?? [])].reverse()) {
      const found = m.choices?.find((c) => splitChoiceId(c.id).choiceId === choice);
      if (found) return found.id;
    }
    return choice;
  }
}

type EnrollOutcome =
  | { kind: "enrolled"; enrollmentId: number }
  | { kind: "waitlisted"; enrollmentId: number; position: number }
  | { kind: "already"; status: "enrolled" | "waitlisted"; position: number | null }
  | { kind: "programme_taken"; enrollmentId: number; trainingSessionId: number }
  | { kind: "unavailable" };

type CancelOutcome =
  { kind: "cancelled"; trainingSessionId: number; promoted: SimEnrollment | null } | { kind: "not_found" };

type MoveOutcome =
  | {
      kind: "moved";
      fromTrainingSessionId: number;
      to: Extract<EnrollOutcome, { kind: "enrolled" | "waitlisted" }>;
      promoted: SimEnrollment | null;
    }
  | Extract<EnrollOutcome, { kind: "already" | "programme_taken" | "unavailable" }>
  | { kind: "not_found" };

const bySchedule = (a: SimSession, b: SimSession) => a.startsAt.getTime() - b.startsAt.getTime() || a.id - b.id;

export function asReply(m: OutgoingMessage): Reply {
  return { text: m.text, ...(m.choices ? { choices: m.choices.map((c) => c.label) } : {}) };
}
