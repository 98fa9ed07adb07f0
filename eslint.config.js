import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/**
 * The layers of shared/DESIGN.md ("Imports point one way"). Each entry: the folders of a layer
 * and what they may not import. A pattern names a folder of src/ wherever the import starts
 * from, so `../jobs/x.js` and `../../src/jobs/x.js` are both caught.
 */
const folder = (name) =>
  name === "flows"
    ? ["**/flows/**", "../flows/**", "../../flows/**", "../../../flows/**"]
    : [`**/src/${name}/**`, `../${name}/**`, `../../${name}/**`, `../../../${name}/**`];
const infrastructure = {
  channels: "a channel adapter (src/channels)",
  db: "the database (src/db)",
  jobs: "the queues (src/jobs)",
  outbox: "the outbox queue and worker (src/outbox)",
  admin: "the web server (src/admin)",
  runtime: "the runtime (src/runtime)",
  domain: "the domain (src/domain)",
  flows: "a flow (flows/)",
};
const packages = {
  "@prisma/*": "the database",
  pg: "the database",
  "better-sqlite3": "the database",
  bullmq: "the queues",
  ioredis: "Redis",
  fastify: "the web server",
  "@fastify/*": "the web server",
  telegraf: "a channel",
  "whatsapp-web.js": "a channel",
};
function layer(files, description, forbidden, forbiddenPackages = []) {
  return {
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...forbidden.map((name) => ({
              group: folder(name),
              message: `${description} may not import ${infrastructure[name]}: see shared/DESIGN.md, "Imports point one way".`,
            })),
            ...forbiddenPackages.map((name) => ({
              group: [name, `${name}/**`],
              message: `${description} may not import ${packages[name]} (${name}): see shared/DESIGN.md, "Imports point one way".`,
            })),
          ],
        },
      ],
    },
  };
}
const pure = ["channels", "db", "jobs", "outbox", "admin", "runtime", "domain"];
export const layers = [
  layer(
    ["src/engine/**/*.ts", "src/understanding/**/*.ts"],
    "The engine and understanding",
    pure,
    Object.keys(packages),
  ),
  layer(["flows/**/*.ts"], "A flow", pure, Object.keys(packages)),
  layer(
    ["src/domain/**/*.ts"],
    "The domain",
    ["runtime", "jobs", "channels", "admin"],
    ["bullmq", "fastify", "@fastify/*", "telegraf", "whatsapp-web.js"],
  ),
  layer(["src/runtime/**/*.ts"], "The runtime", ["jobs", "admin", "channels"], []),
  layer(["src/channels/**/*.ts"], "A channel adapter", ["domain", "flows"], []),
];

export default tseslint.config(
  { ignores: ["node_modules/", "src/db/generated/", "data/", "bench/results/", "coverage/", "dist/", "dist.new/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  ...layers,
  {
    files: ["**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
