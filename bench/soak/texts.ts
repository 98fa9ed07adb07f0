/**
 * What the soak benchmark's fake Bot API tells apart by text: the two broadcasts (their texts are
 * the benchmark's own), reminders and motivation (their leads in flows/outcomes.ts), and
 * everything else (answers to what people typed).
 */
export const broadcastTexts = {
  broadcast1: "Pengumuman uji beban 1: jadwal pelatihan bulan depan sudah tersedia. Ketik MENU untuk melihatnya.",
  broadcast2: "Pengumuman uji beban 2: sertifikat pelatihan bisa diambil di kantor dinas mulai Senin.",
} as const;

export type SendKind = "reminder" | "motivation" | "broadcast1" | "broadcast2" | "other";
/** The kinds in the order the fake's dump numbers them. */
export const sendKinds: SendKind[] = ["reminder", "motivation", "broadcast1", "broadcast2", "other"];

export function classify(text: string): SendKind {
  if (text === broadcastTexts.broadcast1) return "broadcast1";
  if (text === broadcastTexts.broadcast2) return "broadcast2";
  // reminderText: "🔔 Pengingat: ..." (id) or "🔔 Reminder: ..." (en); motivationText: "💡 ...".
  if (text.startsWith("🔔 Pengingat:") || text.startsWith("🔔 Reminder:")) return "reminder";
  if (text.startsWith("💡 ")) return "motivation";
  return "other";
}
