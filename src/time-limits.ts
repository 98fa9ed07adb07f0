/**
 * Waiting on a promise for a limited time: a health check, a Redis command, a queue count or a
 * shutdown step that does not answer must not hold up what waits for it. The work itself is not
 * cancelled and may still finish later; each timer is cleared as soon as the promise settles.
 */

/** The promise did not settle within its time. */
export class TimeLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeLimitError";
  }
}

/** Settles as `promise` does, or rejects with a TimeLimitError (`message`) after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, message = `no answer in ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeLimitError(message)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** `promise`'s value, or null when it fails or does not settle within `ms`. */
export function valueWithin<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return within(promise, ms).catch(() => null);
}

/** True when `promise` settles, either way, within `ms` (its error is ignored). */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return within(promise, ms).then(
    () => true,
    (err) => !(err instanceof TimeLimitError),
  );
}
