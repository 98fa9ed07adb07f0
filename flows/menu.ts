/**
 * The menu: where a registered participant rests between tasks.
 */
import type { Flow, FlowContext, LocalText } from "../src/engine/types.js";
import { plain } from "../src/engine/markup.js";
import { forgetPlace, routeBack } from "./detour.js";
import { t } from "./texts.js";

/** Said once registration is saved. */
export function welcome(ctx: FlowContext): LocalText {
  const name = plain(ctx.participant?.name ?? (typeof ctx.vars.name === "string" ? ctx.vars.name : ""));
  return t(
    `Terima kasih${name ? `, ${name}` : ""}! Pendaftaran Anda sudah tersimpan. Sekarang Anda bisa memilih pelatihan.`,
    `Thank you${name ? `, ${name}` : ""}! Your registration is saved. You can now choose a training programme.`,
  );
}

export const menu: Flow = {
  name: "menu",
  start: "main",
  requiresParticipant: true,
  nodes: {
    welcome: {
      say: welcome,
      next: () => ({ goto: "main" }),
    },
    main: {
      say: () => t("Menu utama. Silakan pilih:", "Main menu. Please choose:"),
      wait: {
        choices: () => [
          {
            id: "enrollment",
            label: t("Daftar pelatihan", "Enroll in training"),
            aliases: ["daftar", "program", "pelatihan", "enroll"],
            intents: ["join", "programmes"],
          },
          {
            id: "schedule",
            label: t("Jadwal saya", "My schedule"),
            aliases: ["jadwal", "schedule"],
            intents: ["schedule"],
          },
          {
            id: "profile",
            label: t("Profil saya", "My profile"),
            aliases: ["profil", "profile"],
            intents: ["profile"],
          },
          {
            id: "privacy",
            label: t("Privasi dan data saya", "Privacy and my data"),
            aliases: ["privasi", "data", "privacy"],
          },
          {
            id: "language",
            label: t("Bahasa / Language", "Language / Bahasa"),
            aliases: ["bahasa", "language", "ganti bahasa"],
          },
          { id: "help", label: t("Bantuan", "Help") },
        ],
        route: (value) => ({ flow: value }),
      },
    },
  },
};

export const help: Flow = {
  name: "help",
  start: "show",
  nodes: {
    show: {
      say: () =>
        t(
          "Sapa IKM membantu Anda mendaftar bimbingan teknis (bimtek) Disperindag, melihat jadwal, dan menerima pengingat.\n\nAnda bisa menulis seperti biasa, misalnya: _mau ikut pelatihan lada_, _jam berapa acaranya?_, _alamatnya di mana?_, _tidak bisa datang_, _ganti nomor HP_.\n\nKata yang bisa diketik kapan saja:\nMENU – kembali ke menu\nBATAL – keluar dari langkah ini\nBAHASA – ganti bahasa (ENGLISH untuk bahasa Inggris)\nBERHENTI – berhenti menerima pesan\nMULAI – menerima pesan lagi\nMOTIVASI OFF / MOTIVASI ON – berhenti atau mulai menerima pesan motivasi",
          "Sapa IKM helps you enroll in Disperindag's technical training (bimtek), see your schedule and get reminders.\n\nYou can write as you normally would, for example: _I want to join the pepper training_, _what time does it start?_, _where is it?_, _I cannot come_, _change my phone number_.\n\nWords you can type at any time:\nMENU – back to the menu\nCANCEL – leave this step\nLANGUAGE – change language (INDONESIA for Bahasa Indonesia)\nSTOP – stop receiving messages\nSTART – receive messages again\nMOTIVATION OFF / MOTIVATION ON – stop or start motivational messages",
        ),
      next: (ctx) => (ctx.participant ? { flow: "menu" } : { flow: "registration" }),
    },
  },
};

export const language: Flow = {
  name: "language",
  start: "choose",
  nodes: {
    choose: {
      say: () => t("Pilih bahasa / Choose a language:", "Choose a language / Pilih bahasa:"),
      wait: {
        choices: () => [
          { id: "id", label: t("Bahasa Indonesia", "Bahasa Indonesia"), aliases: ["indonesia", "indo", "indonesian"] },
          { id: "en", label: t("English", "English"), aliases: ["inggris", "bahasa inggris", "eng"] },
        ],
        route: (value, ctx) => {
          const lang = value === "en" ? "en" : "id";
          const home = ctx.participant ? "menu" : "registration";
          const set = { language: lang };
          return {
            ...routeBack(ctx.vars, { flow: home, keepVars: true, set: { ...set, ...forgetPlace } }, set),
            emit: [{ type: "language_changed", language: lang }],
          };
        },
      },
    },
  },
};
