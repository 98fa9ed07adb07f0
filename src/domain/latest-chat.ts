/**
 * The chat a message the bot starts goes to (a reminder, a survey, a certificate): the one the
 * participant used last that has not blocked the bot. Takes the participant id.
 */
export const latestOpenChatSql = `SELECT id, channel, "chatId" FROM "ChannelIdentity"
    WHERE "participantId" = $1 AND "blockedAt" IS NULL
    ORDER BY COALESCE("lastInboundAt", "createdAt") DESC, id DESC LIMIT 1`;
