/**
 * SQL shared by everything that writes to participants on its own (motivation, broadcasts):
 * which chat to use and which local time zone they live by.
 */

/**
 * Joins `i`, the participant's chat to write to: the one they used last that has not blocked the
 * bot. Participants with no such chat drop out of an inner join.
 */
export const lastChatJoin = (
  participant = "p",
) => `JOIN "ChannelIdentity" i ON i.id = (SELECT ci.id FROM "ChannelIdentity" ci
        WHERE ci."participantId" = ${participant}.id AND ci."blockedAt" IS NULL
        ORDER BY COALESCE(ci."lastInboundAt", ci."createdAt") DESC, ci.id DESC LIMIT 1)`;

/** The time zone of the programme the participant enrolled in last (null: none yet). */
export const participantTimeZone = (participant = "p") => `(SELECT pr."timeZone" FROM "Enrollment" e
          JOIN "TrainingSession" s ON s.id = e."trainingSessionId" JOIN "Programme" pr ON pr.id = s."programmeId"
          WHERE e."participantId" = ${participant}.id ORDER BY e.id DESC LIMIT 1)`;
