-- CreateTable
CREATE TABLE "ErasedIdentifier" (
    "id" SERIAL NOT NULL,
    "hash" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "erasedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ErasedIdentifier_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ErasedIdentifier_hash_key" ON "ErasedIdentifier"("hash");

