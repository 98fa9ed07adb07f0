/**
 * WhatsApp templates on the dashboard (WHATSAPP_PROVIDER=cloud), over HTTP on both databases:
 * the Kanal page lists them with the purpose mapping and the note on purposes still without one;
 * admins add, edit and delete them (audit-logged), duplicates and bad input are refused next to
 * the field, staff who are not admins change nothing. The broadcast composer offers the
 * templates for broadcasts, counts WhatsApp recipients inside and outside the 24-hour window
 * with the cost, and will not save a broadcast whose recipients outside it would get nothing.
 *
 * The dashboard is mounted on a server of its own with the Cloud API configured (the app itself
 * runs with the default provider: no WhatsApp client is started), on the app's database and bot.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerDashboard } from "../../src/admin/dashboard/index.js";
import type { App } from "../../src/app.js";
import type { WhatsAppCloudConfig } from "../../src/config.js";
import { createStaff } from "../../src/domain/staff.js";
import { createLogger } from "../../src/logger.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { providers } from "../support/databases.js";
import { DashboardClient } from "../support/dashboard-client.js";

const admin = { email: "admin@disperindag.example", name: "Admin Dinas", password: "templat-admin-2026" };
const officer = { email: "staf@disperindag.example", name: "Staf Dinas", password: "templat-staf-2026" };

const cloud: WhatsAppCloudConfig = {
  accessToken: "EAAG-test-token-not-real-000000",
  phoneNumberId: "1234567890",
  appSecret: "app-secret-not-real-0000",
  verifyToken: "verify-token",
  apiRoot: "http://127.0.0.1:9",
  apiVersion: "v23.0",
  perSecond: 80,
  dailyLimit: 1000,
  price: { utility: 356.65, marketing: null },
};

const section = (html: string) => {
  const from = html.indexOf('id="templat-whatsapp"');
  return from < 0 ? "" : html.slice(from, html.indexOf("</section>", from));
};

const reminderForm = {
  name: "sapa_pengingat",
  language: "id",
  category: "utility",
  body: "Halo {{1}}, pengingat dari {{2}}: {{3}}",
  parameters: "name",
  usedFor: "reminder",
};

describe.each(providers)("WhatsApp templates on the dashboard (%s)", (provider) => {
  let testApp: TestApp;
  let app: App;
  let server: FastifyInstance;
  let adminClient: DashboardClient;
  let staffClient: DashboardClient;

  /** Posts a form with several values for `parameters`, as the page's selects send it. */
  const post = async (client: DashboardClient, path: string, fields: Record<string, string>, params: string[]) => {
    const body = new URLSearchParams({ _csrf: await client.token("/dashboard/kanal"), ...fields });
    body.delete("parameters");
    for (const p of params) body.append("parameters", p);
    return client.keep(
      await fetch(`${base()}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: client.headers({ "content-type": "application/x-www-form-urlencoded" }),
        body,
      }),
    );
  };
  let address = "";
  const base = () => address;

  beforeAll(async () => {
    testApp = await startTestApp({ provider });
    app = testApp.app;
    await createStaff(app.database.prisma, { ...admin, role: "admin" });
    await createStaff(app.database.prisma, { ...officer, role: "staff" });
    server = Fastify();
    registerDashboard(server, {
      database: app.database,
      redis: app.redis,
      logger: createLogger({ level: "silent" }),
      config: { ...app.config, whatsapp: { ...app.config.whatsapp, provider: "cloud", cloud } },
      bot: app.bot,
    });
    address = await server.listen({ host: "127.0.0.1", port: 0 });
    adminClient = new DashboardClient(address);
    staffClient = new DashboardClient(address);
    expect((await adminClient.signIn(admin.email, admin.password)).status).toBe(303);
    expect((await staffClient.signIn(officer.email, officer.password)).status).toBe(303);
  });

  afterAll(async () => {
    await server?.close();
    await testApp?.stop();
  });

  it("lists no template yet, says every purpose will fail outside the window, and offers the form to admins only", async () => {
    const html = section(await (await adminClient.get("/dashboard/kanal")).text());
    expect(html).toContain("Templat pesan WhatsApp");
    expect(html).toContain('data-missing-everywhere="reminder notice motivation survey certificate broadcast"');
    expect(html).toContain("akan gagal sampai templatnya ditambahkan");
    expect(html).toContain('action="/dashboard/kanal/templat"');
    const asStaff = section(await (await staffClient.get("/dashboard/kanal")).text());
    expect(asStaff).toContain("Templat pesan WhatsApp");
    expect(asStaff).not.toContain('action="/dashboard/kanal/templat"');
    expect(asStaff).toContain("Hanya admin yang dapat menambah");
    // With the linked phone (the app's own dashboard) there is no window and no section.
    const web = new DashboardClient(app.url);
    await web.signIn(admin.email, admin.password);
    expect(await (await web.get("/dashboard/kanal")).text()).not.toContain("Templat pesan WhatsApp");
  });

  it("adds a template, refuses a duplicate and bad input next to the field, and keeps staff out", async () => {
    const added = await post(adminClient, "/dashboard/kanal/templat", reminderForm, ["name", "department", "text", ""]);
    expect(added.status).toBe(303);
    const page = await (await adminClient.get("/dashboard/kanal")).text();
    expect(page).toContain("Templat sapa_pengingat ditambahkan.");
    const html = section(page);
    expect(html).toContain('data-template="sapa_pengingat:id"');
    expect(html).toContain("{{1}} Nama peserta, {{2}} Nama dinas, {{3}} Teks pesan");
    // Indonesian reminders are covered; English ones fall back to it; the rest still fail.
    expect(html).toContain('data-missing-everywhere="notice motivation survey certificate broadcast"');
    expect(html).toContain('data-missing-language="en" data-missing="reminder"');
    expect(html).toMatch(/data-purpose="reminder">[\s\S]*?data-language="id"><code>sapa_pengingat<\/code>/);
    const log = await app.database.prisma.auditLog.findFirstOrThrow({ where: { action: "whatsapp_template.create" } });
    expect(log.detail).toMatchObject({ name: "sapa_pengingat", language: "id", usedFor: "reminder" });

    const twice = await post(adminClient, "/dashboard/kanal/templat", reminderForm, ["name", "department", "text"]);
    expect(twice.status).toBe(400);
    const twiceHtml = await twice.text();
    expect(twiceHtml).toContain("Templat sapa_pengingat dalam bahasa ini sudah terdaftar");
    // The form comes back open, with what was typed.
    expect(twiceHtml).toContain('<details class="template-add" open>');
    expect(twiceHtml).toContain("Halo {{1}}, pengingat dari {{2}}: {{3}}");

    const taken = await post(adminClient, "/dashboard/kanal/templat", { ...reminderForm, name: "sapa_lain" }, [
      "name",
      "department",
      "text",
    ]);
    expect(taken.status).toBe(400);
    expect(await taken.text()).toContain("sudah memakai templat sapa_pengingat");

    const bad = await post(
      adminClient,
      "/dashboard/kanal/templat",
      { ...reminderForm, name: "Sapa Lain", body: "Halo {{1}} {{3}}", usedFor: "" },
      ["name"],
    );
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Nama templat hanya boleh huruf kecil");
    expect(badHtml).toContain("Tempat isian harus bernomor urut");

    const refused = await post(staffClient, "/dashboard/kanal/templat", { ...reminderForm, name: "sapa_staf" }, [
      "name",
      "department",
      "text",
    ]);
    expect(refused.status).toBe(403);
    expect(await app.database.prisma.whatsAppTemplate.count()).toBe(1);
  });

  it("edits and deletes a template (admins only)", async () => {
    const template = await app.database.prisma.whatsAppTemplate.findFirstOrThrow({ where: { name: "sapa_pengingat" } });
    const editPath = `/dashboard/kanal/templat/${template.id}`;
    expect((await staffClient.get(editPath)).status).toBe(403);
    const form = await (await adminClient.get(editPath)).text();
    expect(form).toContain('value="sapa_pengingat"');
    expect(form).toMatch(/<option value="department" selected>/);

    const saved = await post(
      adminClient,
      editPath,
      { ...reminderForm, language: "en", body: "Hello {{1}}: {{2}}", usedFor: "notice" },
      ["name", "text"],
    );
    expect(saved.status).toBe(303);
    expect(await app.database.prisma.whatsAppTemplate.findUniqueOrThrow({ where: { id: template.id } })).toMatchObject({
      language: "en",
      usedFor: "notice",
      parameters: ["name", "text"],
    });
    const wrong = await post(adminClient, editPath, { ...reminderForm, body: "Hello {{1}}" }, ["name", "text"]);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("Teks templat punya 1 tempat isian, tetapi 2 isian dipilih");

    expect((await post(staffClient, `${editPath}/hapus`, {}, [])).status).toBe(403);
    expect((await post(adminClient, `${editPath}/hapus`, {}, [])).status).toBe(303);
    expect(await app.database.prisma.whatsAppTemplate.count()).toBe(0);
    expect(await (await adminClient.get("/dashboard/kanal")).text()).toContain("Templat sapa_pengingat dihapus.");
    const actions = await app.database.prisma.auditLog.findMany({
      where: { action: { in: ["whatsapp_template.update", "whatsapp_template.delete"] } },
    });
    expect(actions.map((a) => a.action).sort()).toEqual(["whatsapp_template.delete", "whatsapp_template.update"]);
  });

  describe("the broadcast composer", () => {
    let marketing: number;
    let utility: number;

    beforeAll(async () => {
      const prisma = app.database.prisma;
      const hour = 3_600_000;
      const people = [
        { name: "Siti", lastInboundAt: new Date(Date.now() - 2 * hour) },
        { name: "Budi", lastInboundAt: new Date(Date.now() - 30 * hour) },
        { name: "Wati", lastInboundAt: null },
      ];
      for (const [i, p] of people.entries()) {
        const participant = await prisma.participant.create({
          data: { name: p.name, sector: "lada", registeredAt: new Date(), consentAt: new Date() },
        });
        await prisma.channelIdentity.create({
          data: {
            channel: "whatsapp",
            platformUserId: `62812000000${i}`,
            chatId: `62812000000${i}@c.us`,
            participantId: participant.id,
            lastInboundAt: p.lastInboundAt,
          },
        });
      }
      const make = (name: string, category: string, usedFor: string | null) =>
        prisma.whatsAppTemplate.create({
          data: { name, language: "id", category, body: "Kabar: {{1}}", parameters: ["text"], usedFor },
        });
      marketing = (await make("sapa_siaran", "marketing", "broadcast")).id;
      utility = (await make("sapa_info", "utility", null)).id;
      await make("sapa_pengingat_2", "utility", "reminder");
    });

    const compose = { title: "Undangan", textId: "Ada bimtek lada bulan depan.", sectors: "lada" };

    it("offers the templates for broadcasts, the broadcast one first and chosen", async () => {
      const html = await (await adminClient.get("/dashboard/siaran/baru")).text();
      expect(html).toContain('name="templateId"');
      expect(html).toContain(`<option value="${marketing}" selected>sapa_siaran (Indonesia, pemasaran, bawaan siaran)`);
      expect(html).toContain(`<option value="${utility}">sapa_info (Indonesia, utilitas)`);
      expect(html).not.toContain("sapa_pengingat_2");
    });

    it("counts recipients inside and outside the window, with the cost of the chosen template", async () => {
      const withUtility = await (
        await adminClient.submit("/dashboard/siaran/baru", { ...compose, templateId: String(utility), action: "count" })
      ).text();
      expect(withUtility).toContain('data-window-inside="1" data-window-outside="2"');
      expect(withUtility).toContain(
        "1 penerima WhatsApp berada di dalam jendela 24 jam dan menerima teks ini tanpa biaya templat; 2 di luar jendela menerima templat sapa_info (utilitas), ditagih Meta per pesan: perkiraan biaya Rp 713.",
      );
      const withMarketing = await (
        await adminClient.submit("/dashboard/siaran/baru", {
          ...compose,
          templateId: String(marketing),
          action: "count",
        })
      ).text();
      expect(withMarketing).toContain("ditagih Meta per pesan menurut tarif Meta untuk templat pemasaran");
      const live = await adminClient.submit("/dashboard/siaran/pratinjau", { sectors: "lada", templateId: "" });
      expect(await live.json()).toMatchObject({ whatsapp: { recipients: 3, inside: 1, outside: 2 } });
    });

    it("will not save a broadcast whose recipients outside the window would get nothing; with a template it is saved", async () => {
      const refused = await adminClient.submit("/dashboard/siaran/baru", {
        ...compose,
        templateId: "",
        action: "save",
      });
      expect(refused.status).toBe(400);
      const html = await refused.text();
      expect(html).toContain(
        "2 penerima WhatsApp sudah lebih dari 24 jam tidak mengirim pesan dan hanya bisa menerima templat yang disetujui Meta. Pilih templatnya.",
      );
      expect(await app.database.prisma.broadcast.count()).toBe(0);

      const reminder = await app.database.prisma.whatsAppTemplate.findFirstOrThrow({ where: { usedFor: "reminder" } });
      const wrong = await adminClient.submit("/dashboard/siaran/baru", {
        ...compose,
        templateId: String(reminder.id),
        action: "save",
      });
      expect(wrong.status).toBe(400);
      expect(await app.database.prisma.broadcast.count()).toBe(0);

      const saved = await adminClient.submit("/dashboard/siaran/baru", {
        ...compose,
        templateId: String(utility),
        action: "save",
      });
      expect(saved.status).toBe(303);
      const broadcast = await app.database.prisma.broadcast.findFirstOrThrow();
      expect(broadcast.templateId).toBe(utility);
      // Its page names the template.
      const detail = await (await adminClient.get(`/dashboard/siaran/${broadcast.id}`)).text();
      expect(detail).toContain("Templat WhatsApp (di luar 24 jam)");
      expect(detail).toContain("sapa_info · id · utility");
      // "Copy" keeps the template.
      const copy = await (await adminClient.get(`/dashboard/siaran/baru?dari=${broadcast.id}`)).text();
      expect(copy).toContain(`<option value="${utility}" selected>`);
    });
  });
});
