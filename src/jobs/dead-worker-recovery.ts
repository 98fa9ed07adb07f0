/**
 * How soon the jobs of a process that died (SIGKILL, out of memory, the machine gone) go to
 * another worker; the reminder and outbox workers use it. Such a job keeps its lock until the
 * lock expires, and only a stalled check that finds it without one moves it back to waiting.
 * With BullMQ's defaults (a 30 s lock, a check every 30 s) a reminder or a message could come a
 * minute late: 48 s after the kill in test/faults/reminders-crash.test.ts, and the outbox
 * reconcile pass leaves a row alone while a live-looking job holds it. With a 10 s lock and a
 * check every 5 s it was 11-13 s there, and the reminders due at the moment a worker was killed
 * in the soak benchmark came 12 s late. With these, about 7 s at most (the lock's 5 s from its
 * last renewal, then the next check within 2 s).
 *
 * A shorter lock costs little. BullMQ renews it every lockDuration / 2 (2.5 s) while the job
 * runs, however long that is, so only a process whose event loop is stuck for over 2.5 s loses
 * a lock it still needs (nothing in a worker blocks that long: the longest synchronous step,
 * parsing a certificate's fonts, takes about half a second). The job then runs a second time,
 * which is harmless: firing a reminder claims its row in a transaction (pending -> sent), and
 * so does sending an outbox row (pending -> sending), so the second run finds it taken and sends
 * nothing. The check is one small Lua script every 2 s over the queue's active list, run by one
 * process at a time: a key in Redis stops the others until the next interval.
 *
 * maxStalledCount stays BullMQ's 1: a job that stalls once (its process died) goes back to
 * waiting; only one that stalls twice fails, and the reconcile passes give a pending reminder
 * or outbox row whose job failed a new one.
 */
export const deadWorkerRecovery = { lockDuration: 5_000, stalledInterval: 2_000, maxStalledCount: 1 };
