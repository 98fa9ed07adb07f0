/**
 * Privacy: see everything stored, or delete it (after a confirmation).
 */
import type { Flow } from "../src/engine/types.js";
import { backToMenu, t } from "./texts.js";

export const privacy: Flow = {
  name: "privacy",
  start: "main",
  requiresParticipant: true,
  nodes: {
    main: {
      say: () =>
        t(
          "Kami menyimpan profil Anda, pendaftaran pelatihan, dan riwayat pesan dengan Sapa IKM, hanya untuk keperluan pelatihan Disperindag. Apa yang ingin Anda lakukan?",
          "We keep your profile, your training enrollments and your messages with Sapa IKM, only for Disperindag's training. What would you like to do?",
        ),
      wait: {
        choices: () => [
          {
            id: "see",
            label: t("Lihat data saya", "See my data"),
            aliases: [
              "lihat",
              "apa yang disimpan",
              "data apa",
              "disimpan",
              "my data",
              "what do you store",
              "what is stored",
            ],
          },
          { id: "delete", label: t("Hapus data saya", "Delete my data"), aliases: ["hapus"], intents: ["delete_data"] },
          backToMenu,
        ],
        route: (value) => (value === "menu" ? { flow: "menu" } : { goto: value }),
      },
    },
    see: {
      say: async (ctx) => ({ text: await ctx.services.describeStoredData() }),
      next: () => ({ flow: "menu" }),
    },
    delete: {
      say: () =>
        t(
          "Jika dihapus, nama, nomor HP, data usaha, dan riwayat pesan Anda akan dihapus permanen, pendaftaran pelatihan Anda dibatalkan, dan Anda tidak akan menerima pesan lagi. Yakin ingin menghapus?",
          "If you delete, your name, phone number, business details and message history are erased for good, your enrollments are cancelled, and you will receive no more messages. Are you sure?",
        ),
      wait: {
        choices: () => [
          {
            id: "yes",
            label: t("Ya, hapus semua data saya", "Yes, delete all my data"),
            aliases: ["hapus", "hapus saja"],
            intents: ["delete_data"],
          },
          { id: "no", label: t("Tidak jadi", "No, keep it"), aliases: ["jangan", "jangan dihapus", "batal"] },
        ],
        route: (value) =>
          value === "yes" ? { goto: "deleted", emit: [{ type: "data_deletion_requested" }] } : { goto: "kept" },
      },
    },
    kept: {
      say: () => t("Baik, data Anda tidak dihapus.", "All right, your data was not deleted."),
      next: () => ({ flow: "menu" }),
    },
    deleted: {
      say: () =>
        t(
          "Data Anda sudah dihapus. Terima kasih telah memakai Sapa IKM. Jika ingin mendaftar lagi, kirim pesan apa saja.",
          "Your data has been deleted. Thank you for using Sapa IKM. To register again, send any message.",
        ),
      next: () => ({ end: true }),
    },
  },
};
