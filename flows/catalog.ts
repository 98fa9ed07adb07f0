/**
 * Reference lists participants choose from: the programme sectors and the seven regencies and
 * cities of Kepulauan Bangka Belitung, each with "lainnya" (other) in the flows.
 */
import type { LocalText } from "../src/engine/types.js";

export const sectors: { id: string; label: LocalText }[] = [
  { id: "lada", label: { id: "Lada (pengolahan lada)", en: "Pepper processing" } },
  { id: "konveksi", label: { id: "Konveksi (garmen)", en: "Garment making" } },
  { id: "reparasi-ac", label: { id: "Reparasi AC", en: "Air-conditioner repair" } },
];

export const regencies = [
  "Kota Pangkalpinang",
  "Kabupaten Bangka",
  "Kabupaten Bangka Barat",
  "Kabupaten Bangka Tengah",
  "Kabupaten Bangka Selatan",
  "Kabupaten Belitung",
  "Kabupaten Belitung Timur",
] as const;

export const otherSector: LocalText = { id: "Lainnya", en: "Other" };

/** The label of a stored sector id ("lada"), or the free text a participant gave. */
export function sectorLabel(sector: string, language: "id" | "en"): string {
  return sectors.find((s) => s.id === sector)?.label[language] ?? sector;
}
