/**
 * The figures of the overview page, read fresh on each visit: participants, enrollments per
 * programme and upcoming training session, today's sent messages, the BullMQ queues and the
 * channels. Reads only; a queue that does not answer in time is shown as unknown, so a slow
 * Redis never keeps the page from showing the rest.
 */
import { DateTime } from "luxon";
import type { ChannelState } from "../../channels/channel.js";
import { channelLabel, configuredChannels } from "./channel-names.js";
import { queueRows, type QueueCounts } from "./queue-list.js";
import type { DashboardDeps } from "./page.js";
import { text, type Text } from "./text.js";

export type SessionFigures = {
  id: number;
  programmeId: number;
  programme: Text;
  startsAt: Date;
  timeZone: string;
  venue: string;
  regency: string;
  capacity: number;
  enrolled: number;
  confirmed: number;
  waitlisted: number;
};

export type ProgrammeFigures = {
  id: number;
  title: Text;
  regency: string | null;
  enrolled: number;
  confirmed: number;
  waitlisted: number;
  sessions: SessionFigures[];
};

export type QueueFigures = {
  label: Text;
  name: string;
  /** Null when the queue did not answer in time. */
  counts: QueueCounts | null;
};

export type ChannelFigures = { name: string; label: Text; state: ChannelState; since: Date | null; detail?: string };

export type Overview = {
  participants: { registered: number; optedOut: number };
  programmes: ProgrammeFigures[];
  /** Upcoming training sessions of every programme, soonest first. */
  upcoming: SessionFigures[];
  messagesToday: { total: number; byChannel: { channel: Text; count: number }[] };
  queues: QueueFigures[];
  channels: ChannelFigures[];
};

async function queueFigures(deps: DashboardDeps): Promise<QueueFigures[]> {
  return queueRows(deps);
}

async function channelFigures(deps: DashboardDeps): Promise<ChannelFigures[]> {
  // As the installation sees them: WhatsApp and Telegram polling run in a worker, not in a web process.
  const statuses = await deps.bot.sharedChannelStatus();
  return configuredChannels(deps).map((name) => {
    const status = statuses[name];
    // The web chat has no connection of its own: it works whenever this server does.
    if (!status) return { name, label: channelLabel(name), state: "ready", since: null };
    return {
      name,
      label: channelLabel(name),
      state: status.state,
      // Nobody runs it: there is no "since" to tell.
      since: status.runner === null ? null : status.since,
      ...(status.detail
        ? { detail: status.detail }
        : status.runner === null
          ? { detail: "not running in any process: no worker holds it" }
          : {}),
    };
  });
}

export async function loadOverview(deps: DashboardDeps, now: Date = new Date()): Promise<Overview> {
  const prisma = deps.database.prisma;
  const startOfToday = DateTime.fromJSDate(now, { zone: deps.config.defaultTimeZone }).startOf("day").toJSDate();
  const registeredWhere = { registeredAt: { not: null }, deletedAt: null };
  const [registered, optedOut, programmes, sessions, sentToday, queues] = await Promise.all([
    prisma.participant.count({ where: registeredWhere }),
    prisma.participant.count({ where: { ...registeredWhere, optedOutAt: { not: null } } }),
    prisma.programme.findMany({ where: { active: true }, orderBy: { id: "asc" } }),
    prisma.trainingSession.findMany({
      where: { status: "scheduled", startsAt: { gt: now } },
      include: { programme: { select: { titleId: true, titleEn: true, timeZone: true } } },
      orderBy: { startsAt: "asc" },
    }),
    prisma.message.groupBy({
      by: ["channel"],
      where: { direction: "outbound", status: { in: ["sent", "delivered", "read"] }, createdAt: { gte: startOfToday } },
      _count: { _all: true },
    }),
    queueFigures(deps),
  ]);
  const counts = sessions.length
    ? await prisma.enrollment.groupBy({
        by: ["trainingSessionId", "status", "rsvp"],
        where: { trainingSessionId: { in: sessions.map((s) => s.id) }, status: { in: ["enrolled", "waitlisted"] } },
        _count: { _all: true },
      })
    : [];
  const upcoming: SessionFigures[] = sessions.map((s) => {
    const mine = counts.filter((c) => c.trainingSessionId === s.id);
    const sum = (keep: (c: (typeof mine)[number]) => boolean) =>
      mine.filter(keep).reduce((total, c) => total + c._count._all, 0);
    return {
      id: s.id,
      programmeId: s.programmeId,
      programme: text(s.programme.titleId, s.programme.titleEn),
      startsAt: s.startsAt,
      timeZone: s.programme.timeZone,
      venue: s.venue,
      regency: s.regency,
      capacity: s.capacity,
      enrolled: sum((c) => c.status === "enrolled"),
      confirmed: sum((c) => c.status === "enrolled" && c.rsvp === "confirmed"),
      waitlisted: sum((c) => c.status === "waitlisted"),
    };
  });
  const byProgramme = programmes.map((p): ProgrammeFigures => {
    const own = upcoming.filter((s) => s.programmeId === p.id);
    const total = (key: "enrolled" | "confirmed" | "waitlisted") => own.reduce((n, s) => n + s[key], 0);
    return {
      id: p.id,
      title: text(p.titleId, p.titleEn),
      regency: p.regency,
      enrolled: total("enrolled"),
      confirmed: total("confirmed"),
      waitlisted: total("waitlisted"),
      sessions: own,
    };
  });
  const byChannel = sentToday
    .map((row) => ({ channel: channelLabel(row.channel), count: row._count._all }))
    .sort((a, b) => b.count - a.count);
  return {
    participants: { registered, optedOut },
    programmes: byProgramme,
    upcoming,
    messagesToday: { total: byChannel.reduce((n, c) => n + c.count, 0), byChannel },
    queues,
    channels: await channelFigures(deps),
  };
}
