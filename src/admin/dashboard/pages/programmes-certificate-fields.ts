/**
 * The certificate settings of a programme on its form (views/programmes-certificate.eta): who
 * signs its certificates and their title (empty: the defaults of domain/issue-certificate.ts),
 * and whether a certificate waits for the feedback survey. Kept apart from the rest of the form.
 */
import { z } from "zod";
import { defaultSignatory } from "../../../domain/issue-certificate.js";

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => v || null);

/** Spread into the programme form's schema. */
export const certificateFields = {
  certificateSignatory: optionalText(120),
  certificateSignatoryTitle: optionalText(200),
  // An unticked checkbox is not sent at all.
  certificateRequiresFeedback: z
    .string()
    .optional()
    .transform((v) => v === "on"),
};

type CertificateInput = {
  certificateSignatory: string | null;
  certificateSignatoryTitle: string | null;
  certificateRequiresFeedback: boolean;
};

/** The programme row's columns from the form. */
export const certificateData = (input: CertificateInput): CertificateInput => ({
  certificateSignatory: input.certificateSignatory,
  certificateSignatoryTitle: input.certificateSignatoryTitle,
  certificateRequiresFeedback: input.certificateRequiresFeedback,
});

/** The form's values from a programme row. */
export const certificateValues = (p: CertificateInput): Record<string, string> => ({
  certificateSignatory: p.certificateSignatory ?? "",
  certificateSignatoryTitle: p.certificateSignatoryTitle ?? "",
  ...(p.certificateRequiresFeedback ? { certificateRequiresFeedback: "on" } : {}),
});

/** Shown as the fields' hints: who signs when nobody is named. */
export const signatoryDefaults = defaultSignatory;
