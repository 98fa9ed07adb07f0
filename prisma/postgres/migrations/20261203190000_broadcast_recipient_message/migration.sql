-- The outbox reads a broadcast row's chosen WhatsApp template through its recipient (BroadcastRecipient.messageId).
-- CreateIndex
CREATE INDEX "BroadcastRecipient_messageId_idx" ON "BroadcastRecipient"("messageId");
