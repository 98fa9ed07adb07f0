/**
 * Runs tasks one at a time per key, in the order they were given, while different keys run
 * side by side: the messages of one chat are handled in order.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // Forget the key once its last task is done, so the map does not grow without bound.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}

/**
 * Runs a task while holding a lock on a key; the inbound runtime takes one per chat: a
 * KeyedSerial within one process, a RedisKeyedLock (redis-keyed-lock.ts) across processes. `order` is
 * the platform's sequence of the message (Telegram's update_id): tasks of one key run in that
 * order, whichever process took them; without it, in the order they arrived.
 */
export type KeyedLock = { run<T>(key: string, task: () => Promise<T>, order?: number): Promise<T> };
