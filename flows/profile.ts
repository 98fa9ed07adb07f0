/**
 * Profile: see what is stored and change one field at a time.
 */
import type { Flow, FlowContext, ProfileField, Route } from "../src/engine/types.js";
import { sectorLabel } from "./catalog.js";
import { fieldChoices, fieldLabels, questions, typedOtherNodes } from "./fields.js";
import { plain } from "../src/engine/markup.js";
import { backToMenu, formatPhone, t } from "./texts.js";

const update = (field: ProfileField, value: string | null): Route => ({
  goto: "saved",
  emit: [{ type: "profile_updated", field, value }],
});

const sectorOther = typedOtherNodes("sector", (v) => update("sector", v));
const regencyOther = typedOtherNodes("regency", (v) => update("regency", v));

export const profile: Flow = {
  name: "profile",
  start: "show",
  requiresParticipant: true,
  nodes: {
    show: {
      say: (ctx: FlowContext) => {
        const p = ctx.participant!;
        const l = ctx.language;
        const rows: [ProfileField, string][] = [
          ["name", p.name],
          ["businessName", p.businessName],
          ["sector", sectorLabel(p.sector, l)],
          ["regency", p.regency],
          ["phone", formatPhone(p.phone)],
          ["nib", p.nib ?? "-"],
        ];
        const head = l === "id" ? "Profil Anda:" : "Your profile:";
        const ask = l === "id" ? "Ingin mengubah sesuatu?" : "Would you like to change anything?";
        return { text: [head, ...rows.map(([f, v]) => `${fieldLabels[f][l]}: ${plain(v)}`), "", ask].join("\n") };
      },
      wait: {
        choices: () => [
          ...fieldChoices({ id: "Ubah", en: "Change" }),
          // "Ingin mengubah sesuatu?" "Tidak" means nothing to change.
          { ...backToMenu, means: "no", aliases: [...backToMenu.aliases!, "tidak ada", "sudah benar", "cukup"] },
        ],
        route: (value) => (value === "menu" ? { flow: "menu" } : { goto: `edit_${value}` }),
      },
    },
    saved: {
      say: () => t("Perubahan sudah disimpan.", "Your change is saved."),
      next: () => ({ goto: "show" }),
    },
    edit_name: {
      say: () => questions.name.ask(),
      wait: { validate: questions.name.validate, expects: questions.name.expects, route: (v) => update("name", v) },
    },
    edit_businessName: {
      say: () => questions.businessName.ask(),
      wait: {
        validate: questions.businessName.validate,
        expects: questions.businessName.expects,
        route: (v) => update("businessName", v),
      },
    },
    edit_sector: {
      say: () => questions.sector.ask(),
      wait: {
        choices: questions.sector.choices,
        validate: questions.sector.validate,
        expects: questions.sector.expects,
        route: (v) => (v === "other" ? { goto: "edit_sector_other" } : update("sector", v)),
      },
    },
    edit_sector_other: sectorOther.ask,
    check_sector: sectorOther.check,
    edit_regency: {
      say: () => questions.regency.ask(),
      wait: {
        choices: questions.regency.choices,
        route: (v) => (v === "other" ? { goto: "edit_regency_other" } : update("regency", v)),
      },
    },
    edit_regency_other: regencyOther.ask,
    check_regency: regencyOther.check,
    edit_phone: {
      say: (ctx) => questions.phone.ask(ctx),
      wait: {
        validate: questions.phone.validate,
        expects: questions.phone.expects,
        requestPhone: true,
        route: (v) => update("phone", v),
      },
    },
    edit_nib: {
      say: () => questions.hasNib.ask(),
      wait: {
        choices: questions.hasNib.choices,
        route: (v) => (v === "yes" ? { goto: "edit_nib_number" } : update("nib", null)),
      },
    },
    edit_nib_number: {
      say: () => questions.nib.ask(),
      wait: {
        validate: questions.nib.validate,
        expects: questions.nib.expects,
        choices: questions.nib.choices,
        route: (v) => update("nib", v === "skip" ? null : v),
      },
    },
  },
};
