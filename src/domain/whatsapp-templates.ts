/**
 * STUB for the outbox's branch: the real file (template registry lookups) comes from another
 * branch and replaces this one at merge. Same exports and signatures.
 */
import type { WhatsAppTemplate } from "../db/generated/sqlite/client.js";
import type { Db } from "../db/database.js";

export type TemplatePurpose = "reminder" | "notice" | "motivation" | "survey" | "certificate" | "broadcast";

/** The template mapped to a purpose in the language, else in the other language; null when none. */
export async function templateFor(
  db: Db,
  purpose: TemplatePurpose,
  language: string,
): Promise<WhatsAppTemplate | null> {
  const rows = await db.whatsAppTemplate.findMany({ where: { usedFor: purpose } });
  return rows.find((r) => r.language === language) ?? rows[0] ?? null;
}

/** The body's parameters in order, from what each stands for ("name", "text" or "department"). */
export function fillTemplateParameters(
  template: { parameters: unknown },
  values: { name: string | null; text: string; department: string },
): string[] {
  const list = Array.isArray(template.parameters) ? (template.parameters as unknown[]) : [];
  return list.map((p) => (p === "name" ? (values.name ?? "") : p === "department" ? values.department : values.text));
}

/** Whether a free-form message may still be sent: the person wrote within `hours`. */
export function insideServiceWindow(lastInboundAt: Date | null, now: Date, hours = 24): boolean {
  return lastInboundAt !== null && now.getTime() - lastInboundAt.getTime() < hours * 3_600_000;
}
