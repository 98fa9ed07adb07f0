/**
 * Job ids derived from database ids carry the database's namespace (see job-namespace.ts):
 * `o12` becomes `o12.AbCdEfGh`. A namespace is base64url, so it never holds a "." (nor the ":"
 * BullMQ refuses in an id).
 */

/** The id of a job in `namespace`. */
export const namespaced = (id: string, namespace: string) => `${id}.${namespace}`;

/** The part of a job id before its namespace, if it is in `namespace`; else null. */
export function inNamespace(jobId: string, namespace: string): string | null {
  const suffix = `.${namespace}`;
  return jobId.endsWith(suffix) ? jobId.slice(0, -suffix.length) : null;
}
