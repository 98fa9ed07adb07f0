/** The part of @nlpjs/lang-id (CommonJS, untyped) that understanding uses: the Indonesian stemmer. */
declare module "@nlpjs/lang-id" {
  export class StemmerId {
    /** The stem of one lower-case word ("pelatihannya" -> "latih", "dibatalkan" -> "batal"). */
    stem(word: string): string;
  }
  export class StopwordsId {
    /** Common Indonesian words ("dan", "yang", "sudah"), as keys. */
    dictionary?: Record<string, boolean>;
  }
}
