/**
 * What the words of a message say about a programme: its sector, in the owners' own words
 * (data/sectors.txt: "sahang" is pepper, "tukang ac" is AC repair), and its place, through a
 * gazetteer of the province (data/places.txt: a district or town names its regency).
 */
import type { ProgrammeView } from "../engine/types.js";
import { isFiller } from "./answers.js";
import { keyedLists } from "./data-file.js";
import { keyedIndex, phraseKeys } from "./phrases.js";
import { sameWord, beginsWord } from "./similar.js";
import { analyse, key, type Analysis } from "./text.js";

const sectorLists = keyedLists("sectors.txt");
const placeLists = keyedLists("places.txt");

/** Where a place outside the province is filed in places.txt. */
export const outsideProvince = "Luar Bangka Belitung";
/** The province itself, which names no one regency. */
const wholeProvince = "Provinsi Kepulauan Bangka Belitung";

/** "Kabupaten Bangka Tengah" -> "Bangka Tengah". */
export const shortRegency = (regency: string) => regency.replace(/^(Kota|Kabupaten|Kab\.?)\s+/i, "");

const sectorIndex = keyedIndex("sectors.txt", sectorLists);
for (const id of sectorLists.keys()) sectorIndex.add(id.replace(/-/g, " "), id);

const placeIndex = keyedIndex("places.txt", placeLists);
for (const regency of placeLists.keys())
  if (regency !== outsideProvince && regency !== wholeProvince)
    placeIndex.add(regency, regency).add(shortRegency(regency), regency);

/** The words people use for a sector (for a choice's aliases); [] for a sector not in the file. */
export function sectorWords(sector: string): string[] {
  return sectorLists.get(sector) ?? [];
}

/** The districts, towns and short names of a regency (for a choice's aliases). */
export function placeNames(regency: string): string[] {
  return placeLists.get(regency) ?? [];
}

/** Places outside the province ("palembang", "jakarta"), for the "other" option. */
export function outsidePlaces(): string[] {
  return placeLists.get(outsideProvince) ?? [];
}

const namingKeys = new Set(
  [...sectorIndex.entries(), ...placeIndex.entries()].flatMap((e) => (e.keys.length === 1 ? e.keys : [])),
);

/** Whether a word alone names a sector or a place ("sahang", "koba"). */
export function isProgrammeWord(wordKey: string): boolean {
  return namingKeys.has(wordKey);
}

/** Positions of the words that name a sector or a place ("kebun lada di koba": all but "di"). */
export function programmeWords(keys: string[]): Set<number> {
  const at = new Set<number>();
  for (const f of [...sectorIndex.scan(keys), ...placeIndex.scan(keys)])
    for (let i = f.start; i < f.end; i++) at.add(i);
  return at;
}

/** Whether the text names just the province ("bangka belitung", "babel"): no regency in particular. */
export function namesOnlyProvince(a: Analysis): boolean {
  const keys = a.words.map(key);
  const content = keys.map((_, i) => i).filter((i) => !isFiller(keys[i]!));
  const found = placeIndex.scan(keys).filter((f) => f.values.includes(wholeProvince));
  const at = new Set(found.flatMap((f) => Array.from({ length: f.end - f.start }, (_, j) => f.start + j)));
  return content.length > 0 && content.every((i) => at.has(i));
}

/** Whether every meaningful word of a text names a place ("sungailiat", "di koba kak"). */
export function isOnlyPlaces(a: Analysis): boolean {
  const keys = a.words.map(key);
  const content = keys.map((_, i) => i).filter((i) => !isFiller(keys[i]!));
  if (!content.length) return false;
  const at = new Set<number>();
  for (const f of placeIndex.scan(keys)) for (let i = f.start; i < f.end; i++) at.add(i);
  return content.every((i) => at.has(i));
}

/** Words that say "a training" and nothing about which one. */
const generic = new Set(
  [
    "pelatihan",
    "latihan",
    "bimtek",
    "bimbingan",
    "teknis",
    "program",
    "programme",
    "training",
    "kelas",
    "kursus",
    "acara",
    "kegiatan",
    "produk",
    "produksi",
  ].map(key),
);

/**
 * The programmes the words name, best first: by sector words, by place (a town names its
 * regency), by words of the title; [] when the words name none. A place with no programme of
 * the sector asked for is let go, so "lada di pangkalpinang" still finds the pepper programme.
 */
export function findProgrammes(query: string, programmes: ProgrammeView[]): ProgrammeView[] {
  const keys = analyse(query).words.map(key);
  const sectors = new Set<string>();
  const regencies = new Set<string>();
  const used = new Set<number>();
  for (const f of sectorIndex.scan(keys)) {
    f.values.forEach((v) => sectors.add(v));
    for (let i = f.start; i < f.end; i++) used.add(i);
  }
  for (const f of placeIndex.scan(keys)) {
    f.values.filter((v) => v !== outsideProvince && v !== wholeProvince).forEach((v) => regencies.add(v));
    for (let i = f.start; i < f.end; i++) used.add(i);
  }
  const others = keys.filter((k, i) => !used.has(i) && !isFiller(k) && !generic.has(k) && k.length >= 3);
  // A typed word close to a one-word sector name ("konfeksi", "sahng").
  for (const k of others)
    for (const { keys: phrase, values } of sectorIndex.entries())
      if (phrase.length === 1 && sameWord(k, phrase[0]!)) values.forEach((v) => sectors.add(v));

  const titleHits = (p: ProgrammeView) => {
    const title = [...phraseKeys(p.title.id), ...phraseKeys(p.title.en), ...phraseKeys(p.slug.replace(/-/g, " "))];
    return others.filter((k) => title.some((t) => !generic.has(t) && (sameWord(k, t) || beginsWord(k, t)))).length;
  };
  let found = programmes.map((p) => ({ p, title: titleHits(p) }));
  const titled = found.some((f) => f.title > 0);
  if (!sectors.size && !regencies.size && !titled) return [];
  if (sectors.size) found = found.filter(({ p }) => sectors.has(p.sector));
  const most = Math.max(0, ...found.map((f) => f.title));
  if (most > 0) found = found.filter((f) => f.title === most);
  if (regencies.size) {
    const here = found.filter(({ p }) => p.regency !== null && regencies.has(p.regency));
    if (here.length) found = here;
    else if (!sectors.size && most === 0) return [];
  }
  return found.map((f) => f.p);
}
