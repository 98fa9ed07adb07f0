/**
 * GET /metrics: the registry of src/metrics.ts in Prometheus' text format. No login: it shows
 * counts and timings, no names, numbers or texts, but it is meant for a Prometheus inside the
 * network; a proxy in front of the server should not pass /metrics through to the internet.
 */
import type { FastifyInstance } from "fastify";
import { countQueues, enableDefaultMetrics, registry, type CountedQueue } from "../metrics.js";

export type MetricsDeps = {
  /** The BullMQ queues whose job counts `sapa_queue_jobs` shows; without it that gauge has no series. */
  queues?: () => CountedQueue[];
};

/** Registers /metrics, and Node's process metrics on the registry. */
export function registerMetrics(app: FastifyInstance, deps: MetricsDeps = {}): void {
  enableDefaultMetrics();
  if (deps.queues) {
    const uncount = countQueues(deps.queues);
    app.addHook("onClose", async () => uncount());
  }
  app.get("/metrics", async (_request, reply) => {
    const text = await registry.metrics();
    reply.header("content-type", registry.contentType).header("cache-control", "no-store");
    return text;
  });
}
