/**
 * The four programmes of Disperindag Kepulauan Bangka Belitung (DESIGN.md section 1), each
 * with two upcoming training sessions. Venues are sample data for trying the bot; staff replace
 * them with the real ones from the dashboard.
 */

/** A reminder offset: the day before at a local time, or a number of minutes before the start. */
export type ReminderOffset =
  { kind: "day-before"; at: string } | { kind: "before"; minutes: number } | { kind: "nudge"; minutes: number };

export const defaultReminderOffsets: ReminderOffset[] = [
  { kind: "day-before", at: "09:00" },
  { kind: "before", minutes: 120 },
  // Asks again, 6 hours before, those who have not said whether they will come.
  { kind: "nudge", minutes: 360 },
];

export { regencies, sectors } from "../../flows/catalog.js";

export type SessionSeed = {
  /** Days from the seeding day; moved forward to the next Tuesday to Thursday. */
  daysAhead: number;
  startTime: string;
  endTime: string;
  venue: string;
  address: string;
  mapUrl: string;
  capacity: number;
};

export type ProgrammeSeed = {
  slug: string;
  sector: string;
  regency: string;
  titleId: string;
  titleEn: string;
  descriptionId: string;
  descriptionEn: string;
  timeZone: string;
  sessions: SessionSeed[];
};

const map = (q: string) => `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(q)}`;

export const programmes: ProgrammeSeed[] = [
  {
    slug: "lada-bangka-tengah",
    sector: "lada",
    regency: "Kabupaten Bangka Tengah",
    titleId: "Diversifikasi Produk Lada",
    titleEn: "Pepper Product Diversification",
    descriptionId:
      "Bimbingan teknis bagi pelaku IKM lada: mengolah lada menjadi produk bernilai tambah (lada bubuk, bumbu, minyak lada), menjaga mutu dan kebersihan, serta mengemas dan memasarkannya.",
    descriptionEn:
      "Technical training for pepper businesses: turning pepper into higher-value products (ground pepper, seasonings, pepper oil), keeping quality and hygiene, packaging and marketing.",
    timeZone: "Asia/Jakarta",
    sessions: [
      {
        daysAhead: 7,
        startTime: "09:00",
        endTime: "15:00",
        venue: "Gedung Serbaguna Koba",
        address: "Koba, Kabupaten Bangka Tengah",
        mapUrl: map("Koba, Bangka Tengah"),
        capacity: 30,
      },
      {
        daysAhead: 28,
        startTime: "09:00",
        endTime: "15:00",
        venue: "Balai Pelatihan Namang",
        address: "Namang, Kabupaten Bangka Tengah",
        mapUrl: map("Namang, Bangka Tengah"),
        capacity: 25,
      },
    ],
  },
  {
    slug: "konveksi-belitung",
    sector: "konveksi",
    regency: "Kabupaten Belitung",
    titleId: "Produksi Konveksi (Belitung)",
    titleEn: "Garment Production (Belitung)",
    descriptionId:
      "Bimbingan teknis konveksi: pola dan potong yang hemat bahan, jahitan yang rapi, pengendalian mutu, menghitung harga pokok, dan menerima pesanan seragam.",
    descriptionEn:
      "Garment training: economical patterns and cutting, neat stitching, quality control, costing, and taking uniform orders.",
    timeZone: "Asia/Jakarta",
    sessions: [
      {
        daysAhead: 10,
        startTime: "08:30",
        endTime: "15:30",
        venue: "Aula Kantor Bupati Belitung",
        address: "Tanjung Pandan, Kabupaten Belitung",
        mapUrl: map("Tanjung Pandan, Belitung"),
        capacity: 35,
      },
      {
        daysAhead: 31,
        startTime: "08:30",
        endTime: "15:30",
        venue: "Rumah Kreatif Tanjung Pandan",
        address: "Tanjung Pandan, Kabupaten Belitung",
        mapUrl: map("Rumah Kreatif, Tanjung Pandan"),
        capacity: 20,
      },
    ],
  },
  {
    slug: "konveksi-pangkalpinang",
    sector: "konveksi",
    regency: "Kota Pangkalpinang",
    titleId: "Produksi Konveksi (Pangkalpinang)",
    titleEn: "Garment Production (Pangkalpinang)",
    descriptionId:
      "Bimbingan teknis konveksi untuk IKM di Pangkalpinang: teknik menjahit, variasi produk, mutu, dan pemasaran lewat aplikasi di ponsel.",
    descriptionEn:
      "Garment training for businesses in Pangkalpinang: sewing techniques, product variety, quality, and marketing through mobile apps.",
    timeZone: "Asia/Jakarta",
    sessions: [
      {
        daysAhead: 14,
        startTime: "09:00",
        endTime: "16:00",
        venue: "Aula Disperindag Provinsi Kepulauan Bangka Belitung",
        address: "Kota Pangkalpinang",
        mapUrl: map("Disperindag Provinsi Kepulauan Bangka Belitung, Pangkalpinang"),
        capacity: 40,
      },
      {
        daysAhead: 35,
        startTime: "09:00",
        endTime: "16:00",
        venue: "Gedung Pusat Pelatihan IKM Pangkalpinang",
        address: "Kota Pangkalpinang",
        mapUrl: map("Pangkalpinang"),
        capacity: 30,
      },
    ],
  },
  {
    slug: "reparasi-ac-pangkalpinang",
    sector: "reparasi-ac",
    regency: "Kota Pangkalpinang",
    titleId: "Reparasi AC",
    titleEn: "Air-Conditioner Repair",
    descriptionId:
      "Bimbingan teknis reparasi AC: perawatan berkala, mencari dan memperbaiki kerusakan umum, keselamatan kerja, serta melayani pelanggan dengan harga yang jelas.",
    descriptionEn:
      "Air-conditioner repair training: routine maintenance, finding and fixing common faults, work safety, and serving customers with clear prices.",
    timeZone: "Asia/Jakarta",
    sessions: [
      {
        daysAhead: 9,
        startTime: "08:00",
        endTime: "14:00",
        venue: "Bengkel Latih Disperindag Pangkalpinang",
        address: "Kota Pangkalpinang",
        mapUrl: map("Pangkalpinang"),
        capacity: 20,
      },
      {
        daysAhead: 30,
        startTime: "08:00",
        endTime: "14:00",
        venue: "Aula Disperindag Provinsi Kepulauan Bangka Belitung",
        address: "Kota Pangkalpinang",
        mapUrl: map("Disperindag Provinsi Kepulauan Bangka Belitung, Pangkalpinang"),
        capacity: 24,
      },
    ],
  },
];
