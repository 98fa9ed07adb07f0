/**
 * Impor peserta: a CSV file (chosen or pasted) checked as a whole and imported all or nothing
 * (src/domain/participant-import.ts says how).
 *
 * The form is sent as multipart (a file input needs it), which the dashboard's own body parser
 * does not read. So the form's POST route lives in a plugin of its own (the default export,
 * registered by one line of ../index.ts), with @fastify/multipart registered only there: it
 * inherits the dashboard's sign-in, CSRF check and error pages, and no other route parses
 * multipart. The form carries its CSRF token in its action's query string, so the dashboard
 * checks it, and the sign-in, before the parser reads a byte of the file (../index.ts). The
 * parser stops at one file of `importLimits.maxBytes` and two fields; a bigger file gets a
 * 413 page saying the limit.
 */
import fastifyMultipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance } from "fastify";
import { describeProblem, importLimits } from "../../../domain/check-participant-csv.js";
import { importParticipants } from "../../../domain/participant-import.js";
import { definePage, type PageContext } from "../page.js";
import { renderError, type ErrorPage } from "../errors.js";
import { redirectWithFlash, render } from "../render.js";
import { requestState } from "../request-state.js";
import { text, translator } from "../text.js";

/** Problems listed on the page; the rest are counted. */
const problemsShown = 200;

export const importPath = "/dashboard/peserta/impor";

export const importFormPage = definePage({
  path: importPath,
  handler: ({ reply, t }) => render(reply, "participant-import", { title: t("Impor peserta", "Import participants") }),
});

type UploadBody = { berkas?: unknown; teks?: unknown };

/** Handles the form: the file if one was chosen, else the pasted text. */
export async function handleImport({ request, reply, deps, staff, t, language }: PageContext) {
  const body = (request.body ?? {}) as UploadBody;
  const file = Buffer.isBuffer(body.berkas) && body.berkas.length ? body.berkas : null;
  const pasted = typeof body.teks === "string" && body.teks.trim() ? body.teks : null;
  const title = t("Impor peserta", "Import participants");
  if (!file && !pasted)
    return render(
      reply,
      "participant-import",
      {
        title,
        problems: [t("Pilih berkas CSV atau tempelkan isinya dulu.", "Choose a CSV file or paste its contents first.")],
      },
      { status: 400 },
    );
  const result = await importParticipants(deps.database, file ?? pasted!, {
    staffId: staff.id,
    timeZone: deps.config.defaultTimeZone,
  });
  if (result.ok)
    return redirectWithFlash(
      reply,
      "/dashboard/peserta",
      text(`${result.imported} peserta berhasil diimpor.`, `${result.imported} participants imported.`),
    );
  const shown = result.problems.slice(0, problemsShown);
  return render(
    reply,
    "participant-import",
    {
      title,
      problems: shown.map((p) => describeProblem(p, language)),
      more: result.problems.length - shown.length,
      rows: result.rows,
      // Pasted text comes back in the box, to fix it there; a file has to be chosen again.
      values: pasted && !file ? { teks: pasted } : {},
    },
    { status: 400 },
  );
}

const megabytes = importLimits.maxBytes / (1024 * 1024);

const tooLargePage: ErrorPage = {
  heading: text("Berkas terlalu besar", "The file is too large"),
  paragraphs: [
    text(
      `Berkas CSV untuk impor paling besar ${megabytes} MB, dengan satu berkas per kiriman. Tidak ada yang diimpor.`,
      `A CSV file to import can be at most ${megabytes} MB, one file at a time. Nothing was imported.`,
    ),
    text(
      "Silakan bagi berkasnya menjadi beberapa berkas yang lebih kecil, lalu impor satu per satu.",
      "Please split it into several smaller files and import them one by one.",
    ),
  ],
};

/** The parser's limits (each 413): over them, the upload stops being read. */
const tooLargeCodes = new Set(["FST_REQ_FILE_TOO_LARGE", "FST_FILES_LIMIT", "FST_FIELDS_LIMIT", "FST_PARTS_LIMIT"]);

/** The POST route of the form, with multipart parsed in this context only. */
export default async function participantImportUpload(scope: FastifyInstance): Promise<void> {
  await scope.register(fastifyMultipart, {
    attachFieldsToBody: "keyValues",
    throwFileSizeLimit: true,
    limits: {
      files: 1,
      // `teks` (pasted CSV) and `_csrf`; nothing else is read.
      fields: 2,
      parts: 3,
      fileSize: importLimits.maxBytes,
      // One byte over the limit is enough to know pasted text is too big; the import then
      // says so in words.
      fieldSize: importLimits.maxBytes + 1,
    },
  });
  scope.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.code && tooLargeCodes.has(error.code)) return renderError(reply, 413, tooLargePage);
    throw error; // to the dashboard's own error pages
  });
  scope.post(importPath, (request, reply) => {
    const { staff, language, site } = requestState(request);
    return handleImport({ request, reply, staff: staff!, language, t: translator(language), deps: site.deps });
  });
}
