/**
 * For tests that move the bot's clock on (StartOptions.now): runs at once the reminders and
 * campaign messages due by then. Campaign jobs are added by the reconcile pass (run every few
 * minutes), and jobs added earlier wait in real time for their delay: those whose row is due by
 * the bot's clock are promoted now.
 */
import type { App } from "../../src/app.js";

/** A job fired by another's batch meanwhile (its reminder sent with theirs) is gone: nothing to promote. */
const promote = (job: { promote(): Promise<void> }) => job.promote().catch(() => {});

export async function runJobsDueBy(app: App, at: Date): Promise<void> {
  const prisma = app.database.prisma;
  await app.bot.campaigns.reconcile();
  const reminders = new Set(
    (await prisma.reminder.findMany({ where: { status: "pending", dueAt: { lte: at } } })).map((r) => r.id),
  );
  const campaign = new Set(
    (
      await prisma.campaignMessage.findMany({ where: { status: { in: ["pending", "offered"] }, dueAt: { lte: at } } })
    ).map((c) => c.id),
  );
  for (const job of await app.bot.reminders.queue.getDelayed())
    if (reminders.has(job.data.reminderId)) await promote(job);
  for (const job of await app.bot.campaigns.queue.getDelayed())
    if (campaign.has((job.data as { campaignMessageId: number }).campaignMessageId)) await promote(job);
}
