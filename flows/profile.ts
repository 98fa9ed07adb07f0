/**
 * Profile: see what is stored and change one field at a time.
 */
import type { Flow, FlowContext, ProfileField, Route } from "../src/engine/types.js";
import { sectorLabel } from "./catalog.js";
import { fieldLabels, questions } from "./fields.js";
import { backToMenu, formatPhone, t } from "./texts.js";

const update = (field: ProfileField, value: string | null): Route => ({
  goto: "saved",
  emit: [{ type: "profile_updated", field, value }],
});

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
        return { text: [head, ...rows.map(([f, v]) => `${fieldLabels[f][l]}: ${v}`), "", ask].join("\n") };
      },
      wait: {
        choices: () => [
          ...(Object.keys(fieldLabels) as ProfileField[]).map((f) => ({
            id: f,
            label: t(`Ubah ${fieldLabels[f].id.toLowerCase()}`, `Change ${fieldLabels[f].en.toLowerCase()}`),
          })),
          backToMenu,
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
      wait: { validate: questions.name.validate, route: (v) => update("name", v) },
    },
    edit_businessName: {
      say: () => questions.businessName.ask(),
      wait: { validate: questions.businessName.validate, route: (v) => update("businessName", v) },
    },
    edit_sector: {
      say: () => questions.sector.ask(),
      wait: {
        choices: questions.sector.choices,
        route: (v) => (v === "other" ? { goto: "edit_sector_other" } : update("sector", v)),
      },
    },
    edit_sector_other: {
      say: () => questions.sectorOther.ask(),
      wait: { validate: questions.sectorOther.validate, route: (v) => update("sector", v) },
    },
    edit_regency: {
      say: () => questions.regency.ask(),
      wait: {
        choices: questions.regency.choices,
        route: (v) => (v === "other" ? { goto: "edit_regency_other" } : update("regency", v)),
      },
    },
    edit_regency_other: {
      say: () => questions.regencyOther.ask(),
      wait: { validate: questions.regencyOther.validate, route: (v) => update("regency", v) },
    },
    edit_phone: {
      say: (ctx) => questions.phone.ask(ctx),
      wait: { validate: questions.phone.validate, requestPhone: true, route: (v) => update("phone", v) },
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
        choices: questions.nib.choices,
        route: (v) => update("nib", v === "skip" ? null : v),
      },
    },
  },
};
