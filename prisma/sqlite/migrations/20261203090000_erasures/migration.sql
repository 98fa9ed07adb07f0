-- CreateTable
CREATE TABLE "ErasedIdentifier" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "hash" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "erasedAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "ErasedIdentifier_hash_key" ON "ErasedIdentifier"("hash");

