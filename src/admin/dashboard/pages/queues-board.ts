/**
 * bull-board, the queue browser, mounted at /dashboard/antrean/papan behind the dashboard's
 * sign-in, over the bot's queues (listQueues in ../queue-list.ts).
 *
 * bull-board is for admins only: it can retry, clean, promote, empty and remove jobs, and its
 * screens show job data (phone numbers and message texts among them). Staff see the counts on
 * the Antrean page instead. Every change made through it goes in the audit log.
 *
 * How it fits in the dashboard's context (index.ts calls registerQueueBoard inside it):
 * - Sign-in: the dashboard's hooks run for its routes too, so a signed-out visitor goes to
 *   /masuk and comes back after signing in.
 * - Security headers: bull-board's page has inline `style` attributes and a `<style>` block,
 *   which the dashboard's strict Content Security Policy blocks (the page would load unstyled
 *   and half-broken). Its routes, and only its routes, get a policy that allows inline styles;
 *   scripts still come only from this server and nothing may frame it. Its Google Fonts
 *   stylesheet stays blocked on purpose (no staff browsing reported to a third party); it falls
 *   back to the system font.
 * - CSRF: bull-board's own script sends its changes as JSON (PUT, POST, PATCH) and cannot carry
 *   the dashboard's form token, so index.ts lets routes marked `sameOriginWrites` through and
 *   this file checks instead that such a request comes from a page of this site (the browser's
 *   Sec-Fetch-Site or Origin header). With the SameSite=Lax session cookie, another site cannot
 *   make a signed-in browser send one.
 * - Views: bull-board registers its own @fastify/view (EJS) inside its plugin, so replies on its
 *   routes cannot render the dashboard's Eta pages; refusals here are a redirect with a flash
 *   message (pages) or JSON (its API), never a rendered page.
 *
 * BullMQ 6: @bull-board/api 9.10 declares `bullmq ^5.56.0 || ^6.0.0` and its BullMQAdapter works
 * with 6.7 here (counts, job lists, retry, clean); the browser test loads the board.
 */
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { FastifyInstance, FastifyReply } from "fastify";
import { audit } from "../../../domain/staff.js";
import type { DashboardDeps } from "../page.js";
import { listQueues } from "../queue-list.js";
import { redirectWithFlash } from "../render.js";
import { requestState } from "../request-state.js";
import { text, type Text } from "../text.js";
import { fromThisSite } from "../../same-site.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * A route whose changes come from a script that cannot send the dashboard's form token
     * (bull-board): the dashboard's CSRF check lets it through, and the route checks instead that
     * the request comes from this site.
     */
    sameOriginWrites?: boolean;
  }
}

/** Where bull-board lives. */
export const queueBoardPath = "/dashboard/antrean/papan";

/** bull-board's policy: the dashboard's, plus inline styles (see the top of this file). */
const boardContentSecurityPolicy = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    connectSrc: ["'self'"],
    fontSrc: ["'self'", "data:"],
    formAction: ["'self'"],
    frameAncestors: ["'self'"],
    imgSrc: ["'self'", "data:"],
    objectSrc: ["'none'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
  },
};

const isRead = (method: string) => method === "GET" || method === "HEAD" || method === "OPTIONS";

/** "queue.retry", "queue.job_retry", "queue.clean", ... from a bull-board API route. */
function actionOf(route: string): string {
  const parts = route.slice(queueBoardPath.length).split("/").filter(Boolean);
  const api = parts.indexOf("queues");
  const rest = parts.slice(api + 1).filter((p) => p !== ":queueName" && p !== ":queueStatus");
  const job = rest[0] === ":jobId";
  const words = rest.filter((p) => !p.startsWith(":")).map((p) => p.replace(/-/g, "_"));
  return `queue.${job ? "job_" : ""}${words.join("_") || "change"}`;
}

type BoardOptions = Parameters<typeof createBullBoard>[0];

const refuse = (reply: FastifyReply, status: number, message: Text) =>
  reply.code(status).type("application/json; charset=utf-8").send({ error: message.en, message: message.id });

/** Mounts bull-board under queueBoardPath in the dashboard's context `dash`. */
export function registerQueueBoard(dash: FastifyInstance, deps: DashboardDeps): void {
  dash.register(async (scope) => {
    // Every route of the board: its own security headers, and its own CSRF check (see above).
    scope.addHook("onRoute", (route) => {
      route.config = {
        ...route.config,
        sameOriginWrites: true,
        helmet: { contentSecurityPolicy: boardContentSecurityPolicy },
      } as typeof route.config;
    });

    // Admins only; runs after the dashboard's sign-in check, so `staff` is set.
    scope.addHook("preHandler", async (request, reply) => {
      const { staff } = requestState(request);
      const api = request.url.startsWith(`${queueBoardPath}/api/`);
      if (staff?.role !== "admin") {
        if (isRead(request.method) && !api)
          return redirectWithFlash(
            reply,
            "/dashboard/antrean",
            text(
              "Papan antrean lengkap hanya untuk admin. Jumlah pekerjaan per antrean ada di halaman ini.",
              "The full queue board is for admins only. The job counts per queue are on this page.",
            ),
            "error",
          );
        return refuse(reply, 403, text("Hanya admin yang boleh melakukan ini.", "Only admins may do this."));
      }
      if (!isRead(request.method) && !fromThisSite(request))
        return refuse(
          reply,
          403,
          text("Permintaan ini tidak datang dari dasbor.", "This request did not come from the dashboard."),
        );
    });

    // Every change made through the board goes in the audit log, with the queue and the job.
    scope.addHook("onResponse", async (request, reply) => {
      // Only what was done: a signed-out request was redirected, a refused one answered 403.
      const { staff } = requestState(request);
      if (isRead(request.method) || reply.statusCode >= 300 || !staff) return;
      const params = (request.params ?? {}) as Record<string, string | undefined>;
      const route = request.routeOptions.url ?? request.url;
      await audit(deps.database.prisma, staff.id, actionOf(route), `queue:${params.queueName ?? "*"}`, {
        ...(params.jobId ? { jobId: params.jobId } : {}),
        ...(params.queueStatus ? { status: params.queueStatus } : {}),
        via: "bull-board",
      }).catch((err: unknown) => deps.logger.warn({ err }, "recording a queue action in the audit log failed"));
    });

    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(queueBoardPath);
    createBullBoard({
      queues: listQueues(deps).map(
        ({ label, queue }) => new BullMQAdapter(queue, { description: `${label.id} · ${label.en}` }),
      ),
      // @bull-board/fastify 9.10.1 brings its own copy of @bull-board/api 9.10.1, whose types
      // differ from 9.10.2's in private fields only; the adapter just stores what it is given.
      serverAdapter: serverAdapter as unknown as BoardOptions["serverAdapter"],
      options: {
        uiConfig: {
          boardTitle: "Antrean Sapa IKM",
          miscLinks: [{ text: "Kembali ke dasbor · Back to the dashboard", url: "/dashboard/antrean" }],
          // Indonesian is not among bull-board's languages; British English is the closest.
          locale: { lng: "en-GB" },
        },
      },
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: queueBoardPath });
  });
}
