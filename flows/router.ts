/**
 * What an intent does, from wherever the participant is: a question ("jam brp acaranya") gets
 * its answer and the participant goes back to the step they were at; a wish ("mau ikut
 * pelatihan AC", "ganti nomor hp", "hapus data saya") leads to the flow that does it, with a
 * confirmation before anything is changed or removed. Nothing here says something was done
 * that was not.
 */
import type { IntentOutcome } from "../src/engine/engine.js";
import type { ConversationState, FlowContext, LocalText, RequestedEvent, Route, Say } from "../src/engine/types.js";
import type { Intent } from "../src/understanding/index.js";
import { plain } from "../src/engine/markup.js";
import { help } from "./menu.js";
import { enrollmentsOverview, programmesNamed, programmesOverview, type Focus } from "./programmes-info.js";
import { findProgrammes } from "../src/understanding/index.js";
import { rememberPlace, routeBack } from "./detour.js";
import { t } from "./texts.js";

/** Back to the step the participant was at, asking its question again. */
const stay = (state: ConversationState): Route => ({ flow: state.flow, node: state.node, keepVars: true });

/** Where someone with no conversation goes: the menu, or registration for a newcomer. */
const home = (ctx: FlowContext): Route => (ctx.participant ? { flow: "menu" } : { flow: "registration" });

/** After an answer: back to the step, or (no step) nowhere for a participant and registration for a newcomer. */
const back = (state: ConversationState | null, ctx: FlowContext): Route =>
  state ? stay(state) : ctx.participant ? { end: true } : { flow: "registration" };

const outcome = (route: Route, say?: Say | Say[]): IntentOutcome => (say ? { say, route } : { route });

export async function onIntent(
  intent: Intent,
  state: ConversationState | null,
  ctx: FlowContext,
): Promise<IntentOutcome> {
  const registered = Boolean(ctx.participant);
  const registering = state?.flow === "registration";
  // Staff leave a staff command with BATAL or MENU; anything else they type is their text.
  if (state?.flow === "staff" && (intent.name === "cancel" || intent.name === "menu"))
    return outcome(
      { end: true },
      t(
        "Baik, perintah staf dihentikan. Tidak ada yang dikirim.",
        "All right, the staff command is stopped. Nothing was sent.",
      ),
    );

  switch (intent.name) {
    case "menu":
      if (registered) return outcome({ flow: "menu" });
      return registering ? outcome(stay(state!), texts.menuAfterRegistration) : outcome({ flow: "registration" });
    case "help":
      return outcome(back(state, ctx), help.nodes.show!.say!(ctx) as Say);
    case "cancel":
      return cancelStep(state, ctx);
    case "stop":
      return registered
        ? outcome({ end: true, emit: [{ type: "opted_out" }] }, texts.stopped)
        : outcome({ end: true }, texts.stoppedNewcomer);
    case "start":
      if (!registered) return outcome(state && registering ? stay(state) : { flow: "registration" });
      return ctx.participant!.optedOut
        ? outcome({ flow: "menu", emit: [{ type: "opted_in" }] }, texts.welcomeBack)
        : outcome({ flow: "menu" });
    case "motivation_off":
    case "motivation_on":
      return motivation(intent.name, state, ctx);
    case "language":
      return language(intent, state, ctx);
    case "join":
    case "programmes":
      return join(intent, state, ctx);
    case "when":
    case "where":
      return whenOrWhere(intent, intent.name, state, ctx);
    case "cancel_enrollment":
      // "ga jadi daftar" while registering stops the registration.
      return registering && !registered ? cancelStep(state, ctx) : cancelEnrollment(intent, state, ctx);
    case "schedule":
      return registered ? outcome({ flow: "schedule" }) : outcome(back(state, ctx), texts.notRegisteredSchedule);
    case "profile":
      return registered ? outcome({ flow: "profile" }) : outcome(back(state, ctx), texts.notRegisteredProfile);
    case "change_phone":
      return registered
        ? outcome({ flow: "profile", node: "edit_phone" })
        : outcome(back(state, ctx), texts.notRegisteredProfile);
    case "delete_data":
      if (registered) return outcome({ flow: "privacy", node: "delete" });
      return outcome(state ? stay(state) : { end: true }, registering ? texts.nothingStoredYet : texts.nothingStored);
    case "certificate":
      // Their certificates come again (or word of them), then the step they were at, if any.
      if (!registered) return outcome(back(state, ctx), texts.certificatesForParticipants);
      return outcome(
        state
          ? { ...stay(state), emit: [{ type: "certificates_requested" }] }
          : {
              end: true,
              emit: [{ type: "certificates_requested" }],
            },
      );
    case "thanks":
      return outcome(state ? stay(state) : registered ? { end: true } : { flow: "registration" }, texts.thanks);
    case "greeting":
      if (!state) return outcome(home(ctx), registered ? greetingFor(ctx) : undefined);
      return outcome(stay(state), texts.greetingMidway);
  }
}

/** "Batal" alone: stop the step the participant is in, saying truthfully what did not happen. */
async function cancelStep(state: ConversationState | null, ctx: FlowContext): Promise<IntentOutcome> {
  if (!ctx.participant)
    return state
      ? outcome({ end: true }, texts.registrationCancelled)
      : outcome({ end: true }, texts.nothingToCancelNewcomer);
  const flow = state?.flow ?? "menu";
  if (flow === "menu" || flow === "help" || !state) {
    // Nothing is going on; someone who has enrollments may mean one of them.
    const mine = await ctx.services.listEnrollments();
    if (mine.length) return outcome({ flow: "schedule", node: "choose_cancel" }, texts.whatToCancel);
    return outcome({ flow: "menu" }, texts.nothingToCancel);
  }
  if (flow === "attendance") {
    return outcome(routeBack(state.vars, { flow: "menu" }), texts.attendanceNotRecorded);
  }
  // Each flow says itself what was not done, in the node its own "no" leads to.
  if (flow === "enrollment") return outcome({ flow: "enrollment", node: "not_enrolled", keepVars: true });
  if (flow === "schedule") return outcome({ flow: "schedule", node: "kept", keepVars: true });
  if (flow === "privacy") return outcome({ flow: "privacy", node: "kept", keepVars: true });
  return outcome(
    { flow: "menu" },
    flow === "profile" && state.node !== "show" ? texts.changeNotSaved : texts.stepStopped,
  );
}

function motivation(
  name: "motivation_off" | "motivation_on",
  state: ConversationState | null,
  ctx: FlowContext,
): IntentOutcome {
  const registered = Boolean(ctx.participant);
  const emit: RequestedEvent[] = registered
    ? [{ type: name === "motivation_off" ? "motivation_opted_out" : "motivation_opted_in" }]
    : [];
  const say = !registered
    ? texts.motivationForRegistered
    : name === "motivation_off"
      ? texts.motivationOff
      : ctx.participant!.optedOut
        ? texts.motivationOnButStopped
        : texts.motivationOn;
  if (state) return outcome({ ...stay(state), emit }, say);
  return outcome(registered ? { end: true, emit } : { flow: "registration" }, say);
}

/** "english please" switches at once and stays; a bare BAHASA asks which. */
function language(intent: Intent, state: ConversationState | null, ctx: FlowContext): IntentOutcome {
  if (intent.language) {
    const lang = intent.language;
    const emit: RequestedEvent[] = [{ type: "language_changed", language: lang }];
    const note = t("Baik, kita lanjutkan dalam bahasa Indonesia.", "All right, we will continue in English.");
    const route: Route = state
      ? { ...stay(state), set: { language: lang }, emit }
      : ctx.participant
        ? { flow: "menu", set: { language: lang }, emit }
        : { flow: "registration", set: { language: lang }, emit };
    return { say: { text: note[lang] }, route };
  }
  return outcome({
    flow: "language",
    keepVars: true,
    set: rememberPlace(state),
  });
}

/**
 * "mau ikut pelatihan AC": a participant goes to the programme's sessions (or the list); a
 * newcomer reads about it first, then registers (consent first), and afterwards goes straight on
 * to it. Midway through registration the answers so far are kept.
 */
async function join(intent: Intent, state: ConversationState | null, ctx: FlowContext): Promise<IntentOutcome> {
  const all = await ctx.services.listProgrammes();
  const named = intent.programme ? await programmesNamed(ctx, intent.programme) : all;
  const specific = named.length < all.length ? named : [];
  if (ctx.participant) {
    if (specific.length === 1)
      return outcome({ flow: "enrollment", node: "choose_session", set: { programmeId: specific[0]!.id } });
    return outcome({ flow: "enrollment", set: specific.length ? { only: specific.map((p) => p.id).join(",") } : {} });
  }
  const linkQuery = specific.length === 1 ? specific[0]!.slug.replace(/-/g, " ") : null;
  const overview = { text: await programmesOverview(ctx, specific.length ? specific : all) };
  if (state?.flow === "registration")
    return outcome({ ...stay(state), ...(linkQuery ? { set: { linkQuery } } : {}) }, [
      overview,
      texts.registerFirstMidway,
    ]);
  return outcome({ flow: "registration", node: "consent", set: linkQuery ? { linkQuery } : {} }, [
    overview,
    texts.registerToJoin,
  ]);
}

/** "kapan?" / "di mana?": the participant's own sessions, or the programmes' next ones. */
async function whenOrWhere(
  intent: Intent,
  focus: Focus,
  state: ConversationState | null,
  ctx: FlowContext,
): Promise<IntentOutcome> {
  const mine = ctx.participant ? await ctx.services.listEnrollments() : [];
  const named = await programmeInFocus(intent, state, ctx);
  const relevant = named ? mine.filter((e) => named.some((p) => p.id === e.session.programmeId)) : mine;
  if (relevant.length) return outcome(back(state, ctx), { text: enrollmentsOverview(relevant, ctx.language, focus) });
  const overview = { text: await programmesOverview(ctx, named ?? undefined, focus) };
  // Someone already choosing a session needs no invitation to enroll; a newcomer midway is told to finish.
  const invite =
    state?.flow === "enrollment"
      ? null
      : ctx.participant
        ? texts.enrollFromMenu
        : state?.flow === "registration"
          ? texts.registerFirstMidway
          : null;
  return outcome(back(state, ctx), invite ? [overview, invite] : overview);
}

/**
 * The programmes a question is about: those its words name, else the one the conversation is
 * on (a programme asked about before registering, or the one whose sessions are on screen).
 */
async function programmeInFocus(intent: Intent, state: ConversationState | null, ctx: FlowContext) {
  if (intent.programme) return programmesNamed(ctx, intent.programme);
  const vars = state?.vars ?? {};
  if (typeof vars.programmeId === "number") {
    const found = (await ctx.services.listProgrammes()).filter((p) => p.id === vars.programmeId);
    if (found.length) return found;
  }
  if (typeof vars.linkQuery === "string") {
    const found = findProgrammes(vars.linkQuery, await ctx.services.listProgrammes());
    if (found.length) return found;
  }
  return null;
}

/** "ga bisa dateng": which enrollment, then a confirmation; never cancelled without one. */
async function cancelEnrollment(
  intent: Intent,
  state: ConversationState | null,
  ctx: FlowContext,
): Promise<IntentOutcome> {
  const mine = ctx.participant ? await ctx.services.listEnrollments() : [];
  if (!mine.length) return outcome(back(state, ctx), texts.noEnrollmentToCancel);
  const named = intent.programme ? await programmesNamed(ctx, intent.programme) : null;
  // After a reminder, "sorry I can't make it" is about the session it reminded of.
  const reminded = state?.flow === "attendance" ? mine.filter((e) => e.id === Number(state.vars.enrollmentId)) : [];
  const relevant = named ? mine.filter((e) => named.some((p) => p.id === e.session.programmeId)) : reminded;
  const candidates = relevant.length ? relevant : mine;
  if (candidates.length === 1)
    return outcome({ flow: "schedule", node: "confirm_cancel", set: { enrollmentId: candidates[0]!.id } });
  return outcome({ flow: "schedule", node: "choose_cancel", set: { only: candidates.map((e) => e.id).join(",") } });
}

function greetingFor(ctx: FlowContext): LocalText {
  const name = plain(ctx.participant?.name ?? "");
  return t(`Halo, ${name}! Senang bertemu lagi.`, `Hello, ${name}! Good to see you again.`);
}

const texts = {
  menuAfterRegistration: t(
    "Menu bisa dipakai setelah pendaftaran selesai. Mari kita lanjutkan, atau ketik BATAL untuk berhenti.",
    "The menu is available once registration is done. Let us continue, or type CANCEL to stop.",
  ),
  stopped: t(
    "Baik, Anda tidak akan menerima pengingat, pengumuman, atau pesan motivasi lagi. Pendaftaran pelatihan Anda tetap tersimpan. Ketik MULAI kapan saja untuk menerima pesan lagi.",
    "All right, you will receive no more reminders, announcements or motivational messages. Your enrollments are kept. Type START at any time to receive messages again.",
  ),
  stoppedNewcomer: t("Baik, kami tidak akan mengirim pesan kepada Anda.", "All right, we will not send you messages."),
  welcomeBack: t(
    "Selamat datang kembali! Anda akan menerima pesan dari Sapa IKM lagi.",
    "Welcome back! You will receive messages from Sapa IKM again.",
  ),
  motivationForRegistered: t(
    "Pesan motivasi hanya dikirim kepada peserta yang sudah terdaftar. Silakan selesaikan pendaftaran lebih dulu.",
    "Motivational messages go to registered participants only. Please finish registering first.",
  ),
  motivationOff: t(
    "Baik, Anda tidak akan menerima pesan motivasi lagi. Pengingat pelatihan dan pengumuman tetap kami kirim. Ketik MOTIVASI ON jika ingin menerimanya kembali.",
    "All right, you will receive no more motivational messages. Training reminders and announcements still come. Type MOTIVATION ON to get them again.",
  ),
  motivationOnButStopped: t(
    "Pesan motivasi diaktifkan. Namun saat ini Anda sedang berhenti menerima semua pesan dari Sapa IKM; ketik MULAI agar pesan motivasi bisa sampai kepada Anda.",
    "Motivational messages are on. You have, however, stopped all messages from Sapa IKM; type START so they can reach you.",
  ),
  motivationOn: t(
    "Baik, Anda akan menerima pesan motivasi lagi, paling banyak seminggu sekali.",
    "All right, you will receive motivational messages again, at most once a week.",
  ),
  registrationCancelled: t(
    "Pendaftaran dibatalkan dan tidak ada data yang disimpan. Kirim pesan apa saja untuk mulai lagi.",
    "Registration cancelled; nothing was stored. Send any message to start again.",
  ),
  nothingToCancelNewcomer: t(
    "Tidak ada yang perlu dibatalkan: Anda belum terdaftar. Kirim pesan apa saja untuk mulai mendaftar.",
    "There is nothing to cancel: you are not registered yet. Send any message to start registering.",
  ),
  whatToCancel: t("Tidak ada langkah yang sedang berjalan.", "Nothing is in progress."),
  nothingToCancel: t(
    "Tidak ada langkah yang sedang berjalan, dan Anda tidak terdaftar di pelatihan mana pun. Tidak ada yang dibatalkan.",
    "Nothing is in progress, and you are not enrolled in any training. Nothing was cancelled.",
  ),
  attendanceNotRecorded: t(
    "Baik. Jawaban kehadiran Anda belum kami catat; Anda bisa menjawabnya nanti lewat menu Jadwal saya.",
    "All right. We have not recorded whether you will attend; you can answer later under My schedule.",
  ),
  changeNotSaved: t("Baik, perubahan tadi tidak disimpan.", "All right, that change was not saved."),
  stepStopped: t("Baik, langkah ini tidak dilanjutkan.", "All right, we stopped there."),
  notRegisteredSchedule: t(
    "Anda belum terdaftar sebagai peserta, jadi belum ada jadwal. Selesaikan pendaftaran dulu, lalu pilih pelatihan.",
    "You are not registered yet, so there is no schedule. Finish registering first, then choose a programme.",
  ),
  certificatesForParticipants: t(
    "Peserta yang hadir di pelatihan menerima sertifikat elektronik (PDF) lewat chat ini, beberapa jam setelah pelatihan selesai. Daftar dulu, lalu pilih pelatihan yang ingin Anda ikuti.",
    "Participants who attend a training receive an electronic certificate (PDF) in this chat, a few hours after it ends. Register first, then choose a training to join.",
  ),
  notRegisteredProfile: t(
    "Profil Anda dibuat saat pendaftaran selesai; Anda bisa mengubahnya setelah itu.",
    "Your profile is made when registration is done; you can change it after that.",
  ),
  nothingStoredYet: t(
    "Belum ada data Anda yang tersimpan: pendaftaran belum selesai. Ketik BATAL jika ingin berhenti.",
    "Nothing of yours is stored: registration is not finished. Type CANCEL if you want to stop.",
  ),
  nothingStored: t("Tidak ada data Anda yang tersimpan di Sapa IKM.", "Nothing of yours is stored in Sapa IKM."),
  thanks: t("Sama-sama! Senang bisa membantu.", "You are welcome! Glad to help."),
  greetingMidway: t("Halo! Kita lanjutkan, ya.", "Hello! Let us carry on."),
  registerFirstMidway: t(
    "Untuk ikut, selesaikan dulu pendaftaran singkat ini. Kita lanjutkan:",
    "To take part, please finish this short registration first. Let us continue:",
  ),
  registerToJoin: t(
    "Untuk ikut pelatihan, Anda perlu mendaftar sebagai peserta; caranya singkat. (For English, type ENGLISH.)",
    "To take part, you need to register as a participant; it is quick. (Untuk bahasa Indonesia, ketik INDONESIA.)",
  ),
  enrollFromMenu: t(
    "Untuk mendaftar, pilih Daftar pelatihan di menu, atau ketik misalnya: mau ikut pelatihan lada.",
    "To enroll, choose Enroll in training in the menu, or type for example: I want to join the pepper training.",
  ),
  noEnrollmentToCancel: t(
    "Anda tidak sedang terdaftar di pelatihan mana pun, jadi tidak ada yang perlu dibatalkan.",
    "You are not enrolled in any training, so there is nothing to cancel.",
  ),
};
