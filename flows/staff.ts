/**
 * Staff commands in chat, for staff whose chat account is linked (/tautkan with a one-time
 * code): /siaran, a broadcast wizard (text, optional English text, who gets it, a preview count,
 * confirm); /status, the latest broadcasts with their progress; /statistik, enrollments per
 * programme and training session. The runtime starts these nodes (src/runtime/staff-commands.ts)
 * and keeps anyone who is not linked staff out of them.
 */
import type { Choice, Flow, FlowContext, Route, Vars } from "../src/engine/types.js";
import { regencies } from "./catalog.js";
import { plain } from "../src/engine/markup.js";
import { distinctLabels } from "./labels.js";
import { t } from "./texts.js";

const textMax = 4096;

/** A broadcast announcement a staff member writes in the chat: not empty, at most `textMax` characters. */
const validateAnnouncement = (text: string) => {
  const value = text.trim();
  if (!value)
    return { error: t("Teksnya masih kosong. Silakan tulis pengumumannya.", "The text is empty. Please write it.") };
  if (value.length > textMax)
    return {
      error: t(
        `Teks terlalu panjang (${value.length} karakter); paling banyak ${textMax}. Silakan persingkat lalu kirim lagi.`,
        `The text is too long (${value.length} characters); at most ${textMax}. Please shorten it and send it again.`,
      ),
    };
  return { value };
};

/** Who the broadcast goes to, as chosen in the wizard. */
export type StaffAudience = "enrolled" | "unconfirmed" | "confirmed" | "waitlisted" | "all";

const audiences: { id: StaffAudience; label: { id: string; en: string } }[] = [
  { id: "unconfirmed", label: t("Terdaftar, belum konfirmasi hadir", "Enrolled, attendance not confirmed") },
  { id: "confirmed", label: t("Terdaftar, sudah konfirmasi hadir", "Enrolled, attendance confirmed") },
  { id: "enrolled", label: t("Semua yang terdaftar", "Everyone enrolled") },
  { id: "waitlisted", label: t("Daftar tunggu", "Waiting list") },
  { id: "all", label: t("Terdaftar dan daftar tunggu", "Enrolled and waiting list") },
];

/** The segment filter (src/domain/segment-filter.ts) the wizard's answers make. */
export function filterFromVars(vars: Vars): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (typeof vars.programmeId === "number") {
    filter.programmeIds = [vars.programmeId];
    const audience = vars.audience as StaffAudience | undefined;
    if (audience === "unconfirmed") Object.assign(filter, { enrollmentStatus: ["enrolled"], rsvp: ["none"] });
    else if (audience === "confirmed") Object.assign(filter, { enrollmentStatus: ["enrolled"], rsvp: ["confirmed"] });
    else if (audience === "enrolled") filter.enrollmentStatus = ["enrolled"];
    else if (audience === "waitlisted") filter.enrollmentStatus = ["waitlisted"];
    else filter.enrollmentStatus = ["enrolled", "waitlisted"];
  }
  if (typeof vars.regency === "string") filter.regencies = [vars.regency];
  return filter;
}

/** "peserta program Lada, terdaftar, belum konfirmasi, di Kabupaten Bangka Tengah" */
async function describeAudience(ctx: FlowContext): Promise<string> {
  const lang = ctx.language;
  const parts: string[] = [];
  if (typeof ctx.vars.programmeId === "number") {
    const programme = (await ctx.services.listProgrammes()).find((p) => p.id === ctx.vars.programmeId);
    parts.push(
      lang === "id"
        ? `peserta program ${programme?.title.id ?? ctx.vars.programmeId}`
        : `participants of ${programme?.title.en ?? ctx.vars.programmeId}`,
    );
    const audience = audiences.find((a) => a.id === ctx.vars.audience);
    if (audience) parts.push(audience.label[lang].toLowerCase());
  } else parts.push(lang === "id" ? "semua peserta" : "all participants");
  if (typeof ctx.vars.regency === "string")
    parts.push(lang === "id" ? `di ${ctx.vars.regency}` : `in ${ctx.vars.regency}`);
  return parts.join(", ");
}

const notStaff = t(
  "Perintah ini khusus untuk staf yang akunnya sudah terhubung.",
  "This command is for staff whose account is linked.",
);

export type StaffCommand = { kind: "link"; code: string } | { kind: "siaran" | "status" | "statistik" };

/**
 * The staff command a message is, or null. A command is the word with or without its slash
 * ("/siaran", "siaran", "/siaran@sapa_bot"), since WhatsApp has no commands; `/tautkan 1234 5678`
 * links a chat account.
 */
export function parseStaffCommand(text: string | undefined): StaffCommand | null {
  if (!text) return null;
  const m = text
    .trim()
    .toLowerCase()
    .match(/^\/?(siaran|status|statistik|tautkan)(?:@\w+)?(?:\s+([\d\s-]{4,20}))?$/);
  if (!m) return null;
  if (m[1] === "tautkan") return m[2] ? { kind: "link", code: m[2] } : null;
  if (m[2]) return null;
  return { kind: m[1] as "siaran" | "status" | "statistik" };
}

/** The answer to a staff command typed in the web chat, where linking and staff commands do not work. */
export const staffCommandsElsewhere = t(
  "Perintah staf, termasuk menautkan akun dengan kode, hanya dapat dipakai di Telegram atau WhatsApp, tidak di obrolan web ini. Silakan kirim perintahnya kepada bot di Telegram atau WhatsApp.",
  "Staff commands, linking an account with a code included, work only on Telegram or WhatsApp, not in this web chat. Please send the command to the bot on Telegram or WhatsApp.",
);

/** Every staff node leaves at once for anyone the runtime did not mark as staff. */
const staffOnly = (ctx: FlowContext): Route | null => (ctx.staff && ctx.services.staff ? null : { end: true });

export const staff: Flow = {
  name: "staff",
  start: "siaran",
  nodes: {
    link: {
      // The runtime checks the code and answers (apply-events.ts).
      next: (ctx) => ({ end: true, emit: [{ type: "staff_link_requested", code: String(ctx.vars.code ?? "") }] }),
    },
    status: {
      say: async (ctx) =>
        ctx.services.staff ? { text: await ctx.services.staff.describeRecentBroadcasts() } : notStaff,
      next: () => ({ end: true }),
    },
    statistik: {
      say: async (ctx) => (ctx.services.staff ? { text: await ctx.services.staff.describeStatistics() } : notStaff),
      next: () => ({ end: true }),
    },
    siaran: {
      say: (ctx) =>
        ctx.staff
          ? t(
              "📢 Siaran baru. Tulis teks pengumuman dalam Bahasa Indonesia (paling banyak 4096 karakter).\nKetik BATAL kapan saja untuk berhenti.",
              "📢 New broadcast. Write the announcement in Bahasa Indonesia (at most 4096 characters).\nType CANCEL at any time to stop.",
            )
          : notStaff,
      wait: {
        validate: validateAnnouncement,
        freeform: true,
        route: (value, ctx) => staffOnly(ctx) ?? { goto: "english", set: { textId: value } },
      },
    },
    english: {
      say: () =>
        t(
          "Tambahkan versi bahasa Inggris untuk peserta yang memilih bahasa Inggris?",
          "Add an English version for participants who chose English?",
        ),
      wait: {
        choices: () => [
          { id: "yes", label: t("Ya, tambahkan", "Yes, add one") },
          { id: "no", label: t("Tidak perlu", "No need") },
        ],
        route: (value, ctx) =>
          staffOnly(ctx) ?? (value === "yes" ? { goto: "english_text" } : { goto: "target", set: { textEn: null } }),
      },
    },
    english_text: {
      say: () => t("Silakan tulis teksnya dalam bahasa Inggris.", "Please write the English text."),
      wait: {
        validate: validateAnnouncement,
        freeform: true,
        route: (value, ctx) => staffOnly(ctx) ?? { goto: "target", set: { textEn: value } },
      },
    },
    target: {
      say: () =>
        t(
          "Siaran ini untuk siapa? Semua peserta, atau peserta satu program:",
          "Who is this broadcast for? Everyone, or the participants of one programme:",
        ),
      wait: {
        // The programme's title alone, the part that differs first: a phone cuts long buttons.
        choices: async (ctx): Promise<Choice[]> => {
          const programmes = await ctx.services.listProgrammes();
          const id = distinctLabels(programmes.map((p) => p.title.id)).map(plain);
          const en = distinctLabels(programmes.map((p) => p.title.en)).map(plain);
          return [
            { id: "all", label: t("Semua peserta", "All participants") },
            ...programmes.map((p, i) => ({
              id: `p${p.id}`,
              label: t(id[i]!, en[i]!),
              aliases: [p.title.id, p.title.en],
            })),
          ];
        },
        route: (value, ctx) =>
          staffOnly(ctx) ??
          (value === "all"
            ? { goto: "regency", set: { programmeId: null, audience: null } }
            : { goto: "audience", set: { programmeId: Number(value.slice(1)) } }),
      },
    },
    audience: {
      say: () => t("Peserta yang mana?", "Which participants?"),
      wait: {
        choices: () => audiences,
        route: (value, ctx) => staffOnly(ctx) ?? { goto: "regency", set: { audience: value } },
      },
    },
    regency: {
      say: () => t("Di kabupaten/kota mana?", "In which regency or city?"),
      wait: {
        choices: () => [
          { id: "any", label: t("Semua kabupaten/kota", "Every regency and city") },
          ...regencies.map((r, i) => ({ id: `r${i}`, label: t(r, r) })),
        ],
        route: (value, ctx) =>
          staffOnly(ctx) ?? {
            goto: "confirm",
            set: { regency: value === "any" ? null : (regencies[Number(value.slice(1))] ?? null) },
          },
      },
    },
    confirm: {
      say: async (ctx) => {
        if (!ctx.services.staff) return notStaff;
        const preview = await ctx.services.staff.preview(filterFromVars(ctx.vars));
        const who = await describeAudience(ctx);
        const leftOut = preview.optedOut + preview.blocked;
        const lang = ctx.language;
        const counts =
          lang === "id"
            ? `Penerima: *${preview.recipients}* orang (${who}).` +
              (leftOut
                ? ` Tidak ikut dikirimi: ${preview.optedOut} berhenti berlangganan, ${preview.blocked} memblokir bot.`
                : "")
            : `Recipients: *${preview.recipients}* (${who}).` +
              (leftOut ? ` Left out: ${preview.optedOut} opted out, ${preview.blocked} blocked the bot.` : "");
        const english = ctx.vars.textEn ? `\n\n🇬🇧 ${String(ctx.vars.textEn)}` : "";
        return {
          text:
            lang === "id"
              ? `Pratinjau siaran:\n\n${String(ctx.vars.textId)}${english}\n\n${counts}\nKirim sekarang?`
              : `Broadcast preview:\n\n${String(ctx.vars.textId)}${english}\n\n${counts}\nSend it now?`,
        };
      },
      wait: {
        choices: () => [
          { id: "send", label: t("Kirim sekarang", "Send now"), aliases: ["kirim", "ya"] },
          { id: "cancel", label: t("Batal", "Cancel"), aliases: ["tidak"] },
        ],
        route: (value, ctx) => {
          const out = staffOnly(ctx);
          if (out) return out;
          if (value === "cancel") return { goto: "cancelled" };
          return {
            end: true,
            emit: [
              {
                type: "broadcast_requested",
                textId: String(ctx.vars.textId),
                textEn: typeof ctx.vars.textEn === "string" ? ctx.vars.textEn : null,
                filter: filterFromVars(ctx.vars),
              },
            ],
          };
        },
      },
    },
    cancelled: {
      say: () =>
        t(
          "Baik, siaran dibatalkan. Tidak ada pesan yang dikirim.",
          "All right, the broadcast is cancelled. Nothing was sent.",
        ),
      next: () => ({ end: true }),
    },
  },
};
