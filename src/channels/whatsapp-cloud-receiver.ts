/**
 * The receiving side of the WhatsApp Cloud API channel (WHATSAPP_PROVIDER=cloud): Meta calls the
 * webhook at /whatsapp/webhook, on whichever web process the proxy picks, so there is no client
 * to keep alive and no lease, as with Telegram's webhook.
 *
 * - GET answers Meta's subscription check with the challenge when the verify token matches, else 403.
 * - POST is checked first: X-Hub-Signature-256 must be the HMAC-SHA256 of the raw body with the
 *   app secret (401 and nothing processed otherwise). Then messages go to the inbound runtime and
 *   status updates to the delivery hook, and the answer is 200 only once all of them are
 *   committed: anything that fails gets a 500 and Meta delivers the update again. A message seen
 *   before is dropped by its wamid (Message's unique platform id) and a status only moves a
 *   message forward, so an update is processed once however often it comes.
 * - An update for another phone number id, an unknown message type or a status for a message we
 *   never sent changes nothing; each is logged without the sender's number.
 */
import type { FastifyInstance } from "fastify";
import type { WhatsAppCloudConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { ChannelHooks, ChannelStatus } from "./channel.js";
import {
  CloudWebhookError,
  parseCloudWebhook,
  verifyCloudSignature,
  verifySubscription,
} from "./whatsapp-cloud-webhook.js";

export const cloudWebhookPath = "/whatsapp/webhook";

/** Largest webhook body taken: Meta batches at most a few hundred updates in one call. */
const webhookBodyLimit = 1024 * 1024;

export type CloudReceiver = {
  start(hooks: ChannelHooks): Promise<void>;
  stop(): Promise<void>;
  status(): ChannelStatus;
  registerWebhook(server: FastifyInstance): void;
};

type Probe = { display_phone_number?: string; verified_name?: string; quality_rating?: string };

/**
 * The webhook, and the channel's state: at start the phone number id is looked up with the access
 * token, so a wrong token or id shows on /healthz and the Kanal page instead of at the first send.
 */
export function createCloudReceiver(options: {
  cloud: WhatsAppCloudConfig;
  logger: Logger;
  fetch?: typeof fetch;
}): CloudReceiver {
  const { cloud, logger } = options;
  const fetchImpl = options.fetch ?? fetch;
  let hooks: ChannelHooks | null = null;
  let status: ChannelStatus = { state: "disconnected", since: new Date(), detail: "not started" };

  const probe = async (): Promise<void> => {
    const url = `${cloud.apiRoot}/${cloud.apiVersion}/${cloud.phoneNumberId}?fields=display_phone_number,verified_name,quality_rating`;
    try {
      const response = await fetchImpl(url, {
        headers: { authorization: `Bearer ${cloud.accessToken}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) {
        const body = (await response.json().catch(() => ({}))) as Probe;
        const name = [body.verified_name, body.display_phone_number].filter(Boolean).join(", ");
        const quality = body.quality_rating ? `; quality ${body.quality_rating}` : "";
        status = { state: "ready", since: new Date(), detail: `Cloud API${name ? `: ${name}` : ""}${quality}` };
        return;
      }
      const why =
        response.status === 401 || response.status === 403
          ? "Meta refused the access token (WHATSAPP_CLOUD_ACCESS_TOKEN)"
          : response.status === 400 || response.status === 404
            ? "Meta does not know this phone number id (WHATSAPP_CLOUD_PHONE_NUMBER_ID)"
            : `Meta answered ${response.status}`;
      status = { state: "disconnected", since: new Date(), detail: why };
      logger.warn({ httpStatus: response.status }, `WhatsApp Cloud API check failed: ${why}`);
    } catch (err) {
      const why = `Meta's Graph API could not be reached (${(err as Error).message})`;
      status = { state: "disconnected", since: new Date(), detail: why };
      logger.warn({ err: { message: (err as Error).message } }, "WhatsApp Cloud API check failed");
    }
  };

  return {
    async start(h) {
      hooks = h;
      status = { state: "connecting", since: new Date(), detail: "checking the access token" };
      // Not awaited: Meta's answer does not hold up the start.
      void probe();
    },
    async stop() {
      hooks = null;
      status = { state: "disconnected", since: new Date(), detail: "stopped" };
    },
    status: () => ({ ...status }),

    registerWebhook(server) {
      void server.register(async (scope) => {
        // The signature is over the bytes Meta sent: keep them, parse after the check.
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: webhookBodyLimit }, (_request, body, done) =>
          done(null, body),
        );

        scope.get(cloudWebhookPath, async (request, reply) => {
          const challenge = verifySubscription(request.query as Record<string, unknown>, cloud.verifyToken);
          if (challenge === null) {
            logger.warn("WhatsApp webhook subscription check refused: wrong verify token");
            return reply.code(403).type("text/plain").send("forbidden");
          }
          logger.info("WhatsApp webhook subscription confirmed");
          return reply.code(200).type("text/plain").send(challenge);
        });

        scope.post(cloudWebhookPath, async (request, reply) => {
          const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const signature = request.headers["x-hub-signature-256"];
          if (!verifyCloudSignature(raw, signature, cloud.appSecret)) {
            logger.warn({ signed: signature !== undefined }, "WhatsApp webhook refused: missing or wrong signature");
            return reply.code(401).send({ error: "invalid signature" });
          }
          let body: unknown;
          try {
            body = JSON.parse(raw.toString("utf8"));
          } catch {
            logger.warn("WhatsApp webhook refused: the body is not JSON");
            return reply.code(400).send({ error: "not JSON" });
          }
          let update: ReturnType<typeof parseCloudWebhook>;
          try {
            update = parseCloudWebhook(body, cloud.phoneNumberId);
          } catch (err) {
            if (!(err instanceof CloudWebhookError)) throw err;
            logger.warn({ err: { message: err.message } }, "WhatsApp webhook refused: not a WhatsApp update");
            return reply.code(400).send({ error: "not a WhatsApp Business Account update" });
          }
          for (const reason of update.ignored) logger.info({ reason }, "WhatsApp webhook: part of an update ignored");
          const target = hooks;
          if (!target) {
            // Not receiving (stopping, or started without WhatsApp): Meta tries again later.
            return reply.code(503).send({ error: "not receiving" });
          }
          // One person's messages in the order Meta listed them; people side by side.
          const byChat = new Map<string, typeof update.messages>();
          for (const message of update.messages) {
            const list = byChat.get(message.chatId);
            if (list) list.push(message);
            else byChat.set(message.chatId, [message]);
          }
          await Promise.all([
            ...[...byChat.values()].map(async (messages) => {
              for (const message of messages) await target.inbound(message);
            }),
            ...update.statuses.map((s) => target.delivery(s.platformMessageId, s.status, s.error, s.code)),
          ]);
          return reply.code(200).send({ ok: true });
        });
      });
    },
  };
}
