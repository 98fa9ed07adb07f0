/**
 * Registration, on a newcomer's first message: consent, then the profile one question at a
 * time, then a summary to confirm or correct. Nothing is stored until the participant saves,
 * and a refusal keeps nothing but the refusal itself.
 */
import { plain } from "../src/engine/markup.js";
import type { Flow, FlowContext, ProfileField, Route, Vars, Wait } from "../src/engine/types.js";
import { sectorLabel } from "./catalog.js";
import { fieldAliases, fieldChoices, questions, typedOtherNodes } from "./fields.js";
import { programmesOverview } from "./programmes-info.js";
import { consentVersion, formatPhone, t } from "./texts.js";

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** The question node of each field, where "Ada yang perlu diubah" goes. */
const fixNodes: Record<ProfileField, string> = {
  name: "ask_name",
  businessName: "ask_business",
  sector: "ask_sector",
  regency: "ask_regency",
  phone: "ask_phone",
  nib: "ask_has_nib",
};

/** After a question: back to the summary when correcting, else on to `next`. */
const onward = (ctx: FlowContext, next: string, set: Vars): Route =>
  ctx.vars.correcting ? { goto: "summary", set } : { goto: next, set };

/** The answer to the summary: save, or correct something. */
const summaryAnswer: Wait = {
  choices: () => [
    { id: "yes", label: t("Ya, simpan", "Yes, save"), aliases: ["simpan", "save", "benar"] },
    {
      id: "fix",
      label: t("Ada yang perlu diubah", "Something needs changing"),
      // Naming what is wrong ("nama usaha salah ketik", "no hp kurang 1 angka") also means this.
      aliases: [
        "ubah",
        "ganti",
        "change",
        "salah",
        "salah ketik",
        "keliru",
        "kurang",
        "ada yang salah",
        "belum benar",
        "edit",
        "koreksi",
        "wrong",
        "not right",
        ...Object.values(fieldAliases).flat(),
      ],
      means: "no",
    },
  ],
  route: (value, ctx) => {
    if (value === "fix") return { goto: "choose_fix" };
    const v = ctx.vars;
    const profile = {
      name: str(v.name),
      businessName: str(v.businessName),
      sector: str(v.sector),
      regency: str(v.regency),
      phone: str(v.phone),
      nib: str(v.nib) || null,
    };
    const registered: Route = {
      flow: "menu",
      node: "welcome",
      emit: [
        {
          type: "participant_registered",
          profile,
          language: ctx.language,
          consentVersion,
          consentAt: str(v.consentAt) || ctx.now.toISOString(),
        },
      ],
    };
    // Came to check in at the venue ("HADIR K7M2QX"): checked in right after registering.
    if (typeof v.checkInCode === "string")
      return { ...registered, flow: "checkin", node: "welcome", set: { checkInCode: v.checkInCode } };
    // Came through a link such as "DAFTAR LADA": go on to that programme.
    if (typeof v.linkQuery === "string")
      return { ...registered, flow: "enrollment", node: "welcome", set: { linkQuery: v.linkQuery } };
    return registered;
  },
};

const sectorOther = typedOtherNodes("sector", (v, ctx) => onward(ctx, "ask_regency", { sector: v }));
const regencyOther = typedOtherNodes("regency", (v, ctx) => onward(ctx, "check_phone", { regency: v }));

export const registration: Flow = {
  name: "registration",
  start: "welcome",
  nodes: {
    welcome: {
      say: (ctx) => [
        t(
          "Selamat datang di Sapa IKM dari Dinas Perindustrian dan Perdagangan Kepulauan Bangka Belitung. Di sini Anda bisa mendaftar bimbingan teknis, melihat jadwal, dan menerima pengingat.\n\nFor English, type ENGLISH.",
          "Welcome to Sapa IKM from the Department of Industry and Trade of Kepulauan Bangka Belitung. Here you can enroll in technical training, see your schedule and get reminders.\n\nUntuk bahasa Indonesia, ketik INDONESIA.",
        ),
        // Came to check in at the venue: say why registering comes first.
        ...(typeof ctx.vars.checkInCode === "string"
          ? [
              t(
                "Untuk check-in di lokasi pelatihan, mohon daftar dulu sebentar (sekitar satu menit). Setelah itu kehadiran Anda langsung dicatat.",
                "To check in at the venue, please register first (about a minute). Your attendance is recorded right after.",
              ),
            ]
          : []),
      ],
      next: () => ({ goto: "consent" }),
    },
    consent: {
      say: () =>
        t(
          "Sebelum mendaftar, kami perlu izin Anda. Kami akan menyimpan nama, nama usaha, bidang usaha, kabupaten/kota, nomor HP, dan NIB (jika ada). Data ini hanya dipakai untuk mendaftarkan Anda ke pelatihan dan mengirim pengingat serta informasi pelatihan. Anda bisa melihat atau menghapus data Anda kapan saja lewat menu Privasi.\n\nApakah Anda setuju?",
          "Before you register, we need your permission. We will store your name, business name, sector, regency or city, phone number and NIB (if any). We use them only to enroll you in training and to send reminders and training news. You can see or delete your data at any time from the Privacy menu.\n\nDo you agree?",
        ),
      wait: {
        choices: () => [
          { id: "yes", label: t("Ya, saya setuju", "Yes, I agree") },
          { id: "no", label: t("Tidak setuju", "I do not agree") },
          {
            id: "programmes",
            label: t("Lihat pelatihan dulu", "See the programmes first"),
            aliases: [
              "lihat pelatihan",
              "pelatihan",
              "program",
              "info",
              "lihat dulu",
              "info dulu",
              "see programmes",
              "trainings",
              "training",
              "programmes first",
              "see first",
            ],
            intents: ["programmes", "join"],
          },
        ],
        route: (value, ctx) =>
          value === "yes"
            ? { goto: "ask_name", set: { consentAt: ctx.now.toISOString() } }
            : value === "programmes"
              ? { goto: "programmes" }
              : { goto: "refused", emit: [{ type: "consent_refused" }] },
      },
    },
    // Programmes can be seen before anything is stored; then the consent question again.
    programmes: {
      say: async (ctx) => ({ text: await programmesOverview(ctx) }),
      next: () => ({ goto: "consent" }),
    },
    refused: {
      say: () =>
        t(
          "Baik, kami menghormati keputusan Anda. Data Anda tidak kami simpan. Jika berubah pikiran, kirim pesan apa saja untuk mulai lagi.",
          "All right, we respect your decision. We do not keep your data. If you change your mind, send any message to start again.",
        ),
      next: () => ({ end: true }),
    },
    ask_name: {
      say: () => questions.name.ask(),
      wait: {
        validate: questions.name.validate,
        expects: questions.name.expects,
        route: (v, ctx) => onward(ctx, "ask_business", { name: v }),
      },
    },
    ask_business: {
      say: () => questions.businessName.ask(),
      wait: {
        validate: questions.businessName.validate,
        expects: questions.businessName.expects,
        route: (v, ctx) => onward(ctx, "ask_sector", { businessName: v }),
      },
    },
    ask_sector: {
      say: () => questions.sector.ask(),
      wait: {
        choices: questions.sector.choices,
        validate: questions.sector.validate,
        expects: questions.sector.expects,
        route: (v, ctx) => (v === "other" ? { goto: "ask_sector_other" } : onward(ctx, "ask_regency", { sector: v })),
      },
    },
    // "servis AC" typed after Lainnya is the AC sector, if the participant says so.
    ask_sector_other: sectorOther.ask,
    check_sector: sectorOther.check,
    ask_regency: {
      say: () => questions.regency.ask(),
      wait: {
        choices: questions.regency.choices,
        route: (v, ctx) => (v === "other" ? { goto: "ask_regency_other" } : onward(ctx, "check_phone", { regency: v })),
      },
    },
    ask_regency_other: regencyOther.ask,
    check_regency: regencyOther.check,
    // WhatsApp gives the number with the message; other channels ask for it.
    check_phone: {
      next: (ctx) =>
        ctx.channel.phone ? { goto: "ask_has_nib", set: { phone: ctx.channel.phone } } : { goto: "ask_phone" },
    },
    ask_phone: {
      say: (ctx) => questions.phone.ask(ctx),
      wait: {
        validate: questions.phone.validate,
        expects: questions.phone.expects,
        requestPhone: true,
        route: (v, ctx) => onward(ctx, "ask_has_nib", { phone: v }),
      },
    },
    ask_has_nib: {
      say: () => questions.hasNib.ask(),
      wait: {
        choices: questions.hasNib.choices,
        route: (v, ctx) => (v === "yes" ? { goto: "ask_nib" } : onward(ctx, "summary", { nib: null })),
      },
    },
    ask_nib: {
      say: () => questions.nib.ask(),
      wait: {
        validate: questions.nib.validate,
        expects: questions.nib.expects,
        choices: questions.nib.choices,
        route: (v) => ({ goto: "summary", set: { nib: v === "skip" ? null : v } }),
      },
    },
    summary: {
      say: (ctx) => {
        const v = ctx.vars;
        const lang = ctx.language;
        const lines =
          lang === "id"
            ? [
                "Mohon periksa data Anda:",
                `Nama: ${plain(str(v.name))}`,
                `Nama usaha: ${plain(str(v.businessName))}`,
                `Bidang usaha: ${plain(sectorLabel(str(v.sector), lang))}`,
                `Kabupaten/kota: ${plain(str(v.regency))}`,
                `Nomor HP: ${formatPhone(str(v.phone))}`,
                `NIB: ${str(v.nib) || "-"}`,
                "",
                "Sudah benar?",
              ]
            : [
                "Please check your details:",
                `Name: ${plain(str(v.name))}`,
                `Business name: ${plain(str(v.businessName))}`,
                `Sector: ${plain(sectorLabel(str(v.sector), lang))}`,
                `Regency/city: ${plain(str(v.regency))}`,
                `Phone: ${formatPhone(str(v.phone))}`,
                `NIB: ${str(v.nib) || "-"}`,
                "",
                "Is this correct?",
              ];
        return { text: lines.join("\n") };
      },
      wait: {
        ...summaryAnswer,
        // Someone who stops at the last step gets one nudge, so their answers are not lost.
        timeout: { minutes: 60, route: () => ({ goto: "summary_nudge" }) },
      },
    },
    summary_nudge: {
      say: () =>
        t(
          "Data pendaftaran Anda belum tersimpan. Balas Ya untuk menyimpannya, atau pilih bagian yang ingin diubah.",
          "Your registration is not saved yet. Reply Yes to save it, or choose what to change.",
        ),
      wait: summaryAnswer,
    },
    choose_fix: {
      say: () => t("Bagian mana yang ingin diubah?", "Which part would you like to change?"),
      wait: {
        choices: () => fieldChoices(null).map((c) => ({ ...c, id: fixNodes[c.id as ProfileField] })),
        route: (value) => ({ goto: value, set: { correcting: true } }),
      },
    },
  },
};
