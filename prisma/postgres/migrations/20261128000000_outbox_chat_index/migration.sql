-- CreateIndex
CREATE INDEX "OutboxItem_channel_chatId_status_idx" ON "OutboxItem"("channel", "chatId", "status");

