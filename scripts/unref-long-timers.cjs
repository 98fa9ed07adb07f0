// Preloaded into the Prisma CLI by src/db/migrations.ts. Prisma 6.19's WebAssembly schema
// engine leaves a 10-second timer running after `migrate deploy` has finished on PostgreSQL,
// so every migration would take 10 s longer. Long timers are unref'd: they still fire if the
// process is busy for other reasons, but no longer keep a finished process alive.
const original = global.setTimeout;
global.setTimeout = function setTimeoutUnrefLong(callback, ms, ...args) {
  const timer = original(callback, ms, ...args);
  if (typeof ms === "number" && ms >= 5000 && typeof timer?.unref === "function") timer.unref();
  return timer;
};
