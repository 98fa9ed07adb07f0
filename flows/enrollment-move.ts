/**
 * Moving instead of enrolling: a participant who already holds as many sessions of a programme
 * as it allows (one, unless staff set more) and picks another of its sessions is asked whether
 * to move there. The enrollment flow's confirmation uses these; the domain does the move
 * (src/domain/move-enrollment.ts).
 */
import { formatDateTime } from "../src/engine/format.js";
import { bold } from "../src/engine/markup.js";
import type {
  Choice,
  EnrollmentView,
  FlowContext,
  Language,
  OutgoingMessage,
  SessionView,
} from "../src/engine/types.js";
import { describeSession, t } from "./texts.js";

/**
 * The enrollment that would move to `session` (the soonest of the programme's), or null when the
 * participant may simply enroll: they hold fewer of its sessions than its limit.
 */
export async function enrollmentToMove(ctx: FlowContext, session: SessionView): Promise<EnrollmentView | null> {
  const held = (await ctx.services.listEnrollments()).filter(
    (e) => e.session.programmeId === session.programmeId && e.session.id !== session.id,
  );
  if (!held.length) return null;
  const programme = (await ctx.services.listProgrammes()).find((p) => p.id === session.programmeId);
  return held.length >= Math.max(1, programme?.seatsPerParticipant ?? 1) ? held[0]! : null;
}

/** "Anda sudah terdaftar di jadwal ... untuk program ini. Pindah ke jadwal ...?", with the new session's details. */
export function moveOffer(from: EnrollmentView, to: SessionView, lang: Language): OutgoingMessage {
  const old = formatDateTime(from.session.startsAt, from.session.timeZone, lang);
  const next = formatDateTime(to.startsAt, to.timeZone, lang);
  const lines =
    lang === "id"
      ? [
          bold(to.programmeTitle.id),
          `Anda sudah ${from.status === "waitlisted" ? "masuk daftar tunggu" : "terdaftar di"} jadwal ${old} untuk program ini.`,
          `\nJadwal baru:\n${describeSession(to, lang)}`,
        ]
      : [
          bold(to.programmeTitle.en),
          `You are already ${from.status === "waitlisted" ? "on the waiting list for" : "enrolled in"} the session on ${old} of this programme.`,
          `\nThe new session:\n${describeSession(to, lang)}`,
        ];
  if (to.seatsLeft <= 0)
    lines.push(
      lang === "id"
        ? "\nJadwal baru ini sudah penuh: jika pindah, Anda masuk daftar tunggunya dan melepas tempat Anda di jadwal lama."
        : "\nThe new session is full: if you move, you join its waiting list and give up your place in the old one.",
    );
  lines.push(lang === "id" ? `\nPindah ke jadwal ${next}?` : `\nMove to the session on ${next}?`);
  return { text: lines.join("\n") };
}

/** Yes moves, no keeps the old session; their ids make "ya" and "tidak" answer them. */
export const moveChoices: Choice[] = [
  { id: "yes", label: t("Ya, pindah ke jadwal ini", "Yes, move to this session"), aliases: ["pindah", "move"] },
  {
    id: "no",
    label: t("Tidak, tetap di jadwal lama", "No, keep my old session"),
    aliases: ["tetap", "jadwal lama", "keep"],
  },
];
