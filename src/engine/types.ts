import type { FreeTextKind, IntentName } from "../understanding/types.js";

/**
 * The vocabulary of the flow engine. Flows (flows/) are declared with these types; the engine
 * (engine.ts) runs them; the runtime (src/runtime) stores the state and applies the events.
 */

export type Language = "id" | "en";

/** Text in both languages; participants read the one they chose. */
export type LocalText = { id: string; en: string };

/** Variables of a conversation: plain JSON, stored between turns. */
export type Vars = Record<string, string | number | boolean | null>;

/**
 * An option offered with a question. `id` is stable (it goes into callback data, at most 64
 * bytes). `aliases` are other words for it (synonyms, places); `means` marks it as the answer
 * to an everyday yes, no or skip ("udh betul", "blm ada"), for options whose id does not say so.
 */
export type Choice = {
  id: string;
  label: LocalText;
  aliases?: string[];
  means?: "yes" | "no" | "skip";
  /** Wishes that, said at this question with nothing more specific, pick this option ("ga bisa dateng" after a reminder). */
  intents?: IntentName[];
};

/** What a participant sent. */
export type Input =
  | { kind: "text"; text: string }
  /** A button: `stamp` names the question it was sent with (null for buttons that answer from anywhere). */
  | { kind: "choice"; choiceId: string; stamp?: string | null }
  | { kind: "contact"; phone: string }
  | { kind: "media"; media: "sticker" | "photo" | "voice" | "video" | "document" | "location" | "other" }
  | { kind: "wait_timeout" };

/**
 * A message the bot sends, already in the participant's language. `text` is markup (markup.ts:
 * `*bold*`, `_italic_`, links; text from people put in with plain() or bold()); each channel
 * renders it its own way. Choice labels show as plain text everywhere.
 */
export type OutgoingMessage = {
  text: string;
  choices?: { id: string; label: string }[];
  /** Ask the channel to offer a "share my phone number" button (Telegram). */
  requestPhone?: boolean;
  /** A file sent with the message (a certificate): the outbox worker fills it in from the row's attachment. */
  document?: OutgoingDocument;
};

/** A file a channel sends with a message: Telegram as a document, WhatsApp as media, the console as a file path. */
export type OutgoingDocument = { fileName: string; mimeType: string; bytes: Uint8Array };

/** Profile fields a participant gives at registration. */
export type Profile = {
  name: string;
  businessName: string;
  sector: string;
  regency: string;
  phone: string;
  nib: string | null;
};

export type ProfileField = keyof Profile;

/**
 * What the engine reports; the runtime applies them in one transaction. Past tense for facts,
 * "requested" for changes the domain decides (an enrollment may end up waitlisted).
 */
export type EngineEvent =
  | { type: "message_created"; message: OutgoingMessage }
  | { type: "consent_refused" }
  | { type: "participant_registered"; profile: Profile; language: Language; consentVersion: string; consentAt: string }
  | { type: "profile_updated"; field: ProfileField; value: string | null }
  | { type: "language_changed"; language: Language }
  | { type: "opted_out" }
  | { type: "opted_in" }
  | { type: "motivation_opted_out" }
  | { type: "motivation_opted_in" }
  | { type: "staff_link_requested"; code: string }
  | { type: "staff_command_refused"; command: string }
  | { type: "broadcast_requested"; textId: string; textEn: string | null; filter: Record<string, unknown> }
  | { type: "enrollment_requested"; trainingSessionId: number }
  | { type: "enrollment_cancel_requested"; enrollmentId: number }
  /** Leave the enrollment for another session of the same programme (the domain may waitlist the new one). */
  | { type: "enrollment_move_requested"; enrollmentId: number; trainingSessionId: number }
  | { type: "attendance_answered"; enrollmentId: number; answer: "confirmed" | "declined" }
  /** At the venue: the code typed or scanned ("K7M2QX", already normalised); the domain checks it. */
  | { type: "check_in_requested"; code: string }
  | { type: "data_deletion_requested" }
  /** "Sertifikat saya mana?": those in force are sent again, and the participant is told of the rest. */
  | { type: "certificates_requested" }
  /** An answer to a survey question (replaces an earlier answer to the same question of the round). */
  | {
      type: "flow_result_recorded";
      flow: string;
      round: string;
      questionKey: string;
      value: string;
      numberValue?: number;
      enrollmentId?: number;
    }
  /** The last question of a survey was answered (the feedback may earn the certificate). */
  | { type: "survey_completed"; flow: string; round: string; enrollmentId?: number }
  /** "Ya, isi sekarang" to a survey offered while the participant was busy: it is not offered again. */
  | { type: "survey_offer_accepted"; campaignMessageId: number }
  | { type: "wait_timeout_scheduled"; minutes: number }
  | { type: "conversation_ended" };

/** What the engine may ask for a new event, minus the messages (flows return those as `say`). */
export type RequestedEvent = Exclude<EngineEvent, { type: "message_created" | "wait_timeout_scheduled" }>;

/** The place of a conversation between turns. */
export type ConversationState = { flow: string; node: string; vars: Vars };

// ------------------------------------------------------------------ read services

export type ProgrammeView = {
  id: number;
  slug: string;
  sector: string;
  regency: string | null;
  title: LocalText;
  description: LocalText;
  timeZone: string;
  openSessions: number;
  /** How many of its sessions one participant may hold at a time (enrolled or waitlisted). */
  seatsPerParticipant: number;
};

export type SessionView = {
  id: number;
  programmeId: number;
  programmeTitle: LocalText;
  startsAt: Date;
  endsAt: Date;
  timeZone: string;
  venue: string;
  address: string;
  mapUrl: string | null;
  capacity: number;
  seatsLeft: number;
  waitlisted: number;
};

export type EnrollmentView = {
  id: number;
  status: "enrolled" | "waitlisted";
  waitlistPosition: number | null;
  /** The participant said they will attend. */
  confirmed: boolean;
  session: SessionView;
};

export type ParticipantView = Profile & {
  id: number;
  language: Language;
  optedOut: boolean;
  gender: string | null;
};

/** What a survey after a session is about: the participant's own enrollment. */
export type SurveySubject = {
  enrollmentId: number;
  programmeTitle: LocalText;
  startsAt: Date;
  timeZone: string;
  /** The programme's own follow-up questions as stored (parse with parseSurveyQuestions; null: the defaults). */
  followUpQuestions: unknown;
};

/** A survey offered to the participant (a CampaignMessage of theirs). */
export type SurveyInvitationView = {
  id: number;
  flow: string;
  round: string;
  enrollmentId: number;
  /** "offered" until taken up; "sent", "skipped", "cancelled" afterwards. */
  status: string;
};

/** Reads a flow may make. The runtime implements them over the database. */
export type FlowServices = {
  listProgrammes(): Promise<ProgrammeView[]>;
  /** Programmes whose slug or sector starts with the words typed ("lada", "konveksi belitung"). */
  findProgrammes(query: string): Promise<ProgrammeView[]>;
  /** Upcoming, scheduled sessions of a programme, soonest first. */
  listOpenSessions(programmeId: number): Promise<SessionView[]>;
  getSession(trainingSessionId: number): Promise<SessionView | null>;
  /** The participant's upcoming enrollments (enrolled or waitlisted), soonest first. */
  listEnrollments(): Promise<EnrollmentView[]>;
  /** Everything stored about the participant, as lines of markup (what they typed escaped): send as it is. */
  describeStoredData(): Promise<string>;
  /** One of the participant's enrollments (any status), for a survey about it; null if not theirs. */
  getSurveySubject(enrollmentId: number): Promise<SurveySubject | null>;
  /** A survey offered to the participant (0: the one offered last); null if not theirs. */
  getSurveyInvitation(campaignMessageId: number): Promise<SurveyInvitationView | null>;
  /** For linked staff only (ctx.staff set). */
  staff?: StaffServices;
};

/** A staff member whose chat account is linked (src/domain/staff.ts). */
export type StaffView = { id: number; name: string; role: "admin" | "staff" };

/** What the staff commands in chat read. */
export type StaffServices = {
  /** How many a segment filter reaches, and how many are left out. */
  preview(filter: Record<string, unknown>): Promise<{ recipients: number; optedOut: number; blocked: number }>;
  /** The latest broadcasts with their progress, as lines of markup (titles escaped): send as it is. */
  describeRecentBroadcasts(): Promise<string>;
  /** Enrollments per programme and upcoming training session, as lines of markup (titles in bold): send as it is. */
  describeStatistics(): Promise<string>;
};

/** What a flow sees during a turn. */
export type FlowContext = {
  now: Date;
  language: Language;
  vars: Vars;
  participant: ParticipantView | null;
  /** Set when the chat account is linked to a staff member and the turn is about staff work. */
  staff?: StaffView | null;
  /** `buttons`: choices show as buttons (else a numbered list); `sharePhone`: a "share my number" button exists. */
  channel: { name: string; buttons: boolean; sharePhone: boolean; phone: string | null };
  services: FlowServices;
};

// ------------------------------------------------------------------ flows

/** Where to go next. */
export type Route =
  | { goto: string; set?: Vars; emit?: RequestedEvent[] }
  | { flow: string; node?: string; set?: Vars; emit?: RequestedEvent[]; keepVars?: boolean }
  | { end: true; emit?: RequestedEvent[] };

export type Validation = { value: string } | { error: LocalText };

/** A pause for input. */
export type Wait = {
  /** Options; input is matched to one of them (number, words, "ya"/"yes"), or refused. */
  choices?: (ctx: FlowContext) => Choice[] | Promise<Choice[]>;
  /** For free text: checks and normalises the answer. */
  validate?: (text: string, ctx: FlowContext) => Validation;
  /** What kind of free text `validate` takes (default "text"): understanding strips "nama saya" and the like. */
  expects?: FreeTextKind;
  /** The text is taken as typed (a staff announcement): only MENU and BATAL interrupt it. */
  freeform?: boolean;
  /** Offer the channel's "share my number" button. */
  requestPhone?: boolean;
  /** Where the answer leads; `value` is the choice id or the validated text. */
  route: (value: string, ctx: FlowContext) => Route | Promise<Route>;
  /** Resume after this many minutes with a wait_timeout input. */
  timeout?: { minutes: number; route: (ctx: FlowContext) => Route };
};

export type Say = LocalText | OutgoingMessage | null;

/** One step of a flow: messages to send, then a wait for input or a route onward. */
export type FlowNode = {
  say?: (ctx: FlowContext) => Say | Say[] | Promise<Say | Say[]>;
  wait?: Wait;
  /** For nodes without a wait. */
  next?: (ctx: FlowContext) => Route | Promise<Route>;
};

export type Flow = {
  name: string;
  /** The node a flow starts at. */
  start: string;
  nodes: Record<string, FlowNode>;
  /** Needs a registered participant (else registration runs first). */
  requiresParticipant?: boolean;
};

/** The result of a turn. `state` null means the conversation ended. */
export type TurnResult = { state: ConversationState | null; events: EngineEvent[] };
