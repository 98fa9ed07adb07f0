/**
 * Production starts the compiled app with the same Node flags everywhere (the image, the systemd
 * units, `npm run start:prod`), and the soak benchmark measures the app started with those same
 * flags (productionNodeFlags): a heap limit changed in one place only would make the benchmark's
 * memory figures say nothing about production.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { productionNodeFlags, root } from "./faults/support/app-process.js";

const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");
const flags = productionNodeFlags.join(" ");

describe("how production starts the app", () => {
  it("the image runs node with the production flags", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read("deploy/Dockerfile"))?.[1];
    expect(JSON.parse(cmd ?? "[]")).toEqual(["node", ...productionNodeFlags, "dist/src/main.js"]);
  });

  it.each(["web", "worker"])("the %s unit runs node with the production flags", (role) => {
    const exec = /^ExecStart=.* \/usr\/bin\/node (.*)$/m.exec(read(`deploy/systemd/sapa-ikm-${role}@.service`))?.[1];
    expect(exec).toBe(`${flags} dist/src/main.js`);
  });

  it("npm run start:prod runs node with the production flags", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    expect(scripts["start:prod"]).toBe(`node ${flags} dist/src/main.js`);
  });
});
