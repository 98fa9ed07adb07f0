/**
 * Wait timeouts: a flow's wait may say "if no answer in N minutes, go on". The engine only
 * announces it; here it becomes a delayed BullMQ job that resumes the conversation, unless the
 * conversation moved on in the meantime (its version changed).
 */
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { InboundRuntime, TimeoutScheduler } from "../runtime/inbound-runtime.js";
import { namespaced } from "./job-ids.js";

export const timeoutQueueName = "conversation-timeouts";

type TimeoutJob = { identityId: number; version: number };

export class ConversationTimeouts implements TimeoutScheduler {
  readonly queue: Queue<TimeoutJob>;

  constructor(
    connection: Redis,
    prefix: string,
    /** This database's part of every job id (job-namespace.ts). */
    readonly namespace: string,
  ) {
    this.queue = new Queue<TimeoutJob>(timeoutQueueName, { connection, prefix });
  }

  async schedule(identityId: number, version: number, minutes: number): Promise<void> {
    await this.queue.add(
      "timeout",
      { identityId, version },
      {
        jobId: this.jobId(identityId, version),
        delay: minutes * 60_000,
        attempts: 3,
        backoff: { type: "exponential", delay: 5000 },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    );
  }

  /** One per conversation version: a wait announced twice schedules one job. */
  jobId(identityId: number, version: number): string {
    return namespaced(`t${identityId}-${version}`, this.namespace);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export function createTimeoutWorker(connection: Redis, prefix: string, runtime: InboundRuntime): Worker<TimeoutJob> {
  return new Worker<TimeoutJob>(
    timeoutQueueName,
    async (job) => {
      await runtime.handleTimeout(job.data.identityId, job.data.version);
    },
    { connection, prefix, concurrency: 4 },
  );
}
