/**
 * What the Kanal page shows about each channel, in words: the web chat, Telegram (polling or
 * webhook, its bot) and WhatsApp (its connection, and the QR code to scan while it waits for
 * one). A channel that is not configured gets one line on how to turn it on. WhatsApp and
 * Telegram polling run in one worker for the whole installation: in any other process (a web
 * process) the page shows what that worker published in Redis (src/channels/channel-board.ts),
 * and says so plainly when no worker runs them. With the WhatsApp Cloud API it also lists the
 * message templates for outside the 24-hour window (pages/channels-templates.ts changes them).
 */
import QRCode from "qrcode";
import type { ChannelState } from "../../../channels/channel.js";
import type { ChannelRunner, SharedChannelStatus } from "../../../channels/channel-board.js";
import type { TelegramAdapter } from "../../../channels/telegram.js";
import type { WhatsAppAdapter } from "../../../channels/whatsapp.js";
import {
  bodyPlaceholders,
  listTemplates,
  missingPurposes,
  templateCategories,
  templateLanguages,
  templateParameterKinds,
  templatePurposes,
  templateParametersMax,
  type TemplateCategory,
  type TemplateLanguage,
  type TemplateParameterKind,
  type TemplatePurpose,
  type WhatsAppTemplate,
} from "../../../domain/whatsapp-templates.js";
import type { FieldErrors } from "../forms.js";
import type { DashboardDeps } from "../page.js";
import { text, type Text } from "../text.js";

/** How often the page reloads itself while WhatsApp waits for a scan or is connecting. */
export const qrRefreshSeconds = 5;

export type ChannelView = {
  name: "web" | "telegram" | "whatsapp";
  label: Text;
  /** False: not configured; `howToEnable` says how. */
  enabled: boolean;
  howToEnable?: Text;
  state?: ChannelState;
  /** The state, short (a badge). */
  stateText?: Text;
  /** What the state means, in a sentence. */
  explanation?: Text;
  since?: Date | null;
  /** The adapter's own words (English, for operators): why it is not ready. */
  detail?: string;
  /** Label and value pairs: mode, bot name, webhook address... */
  facts: { label: Text; value: string; href?: string }[];
  /** The QR code as a data: URL image, while WhatsApp waits for a scan. */
  qrImage?: string;
  /** WhatsApp can be logged out from here (linked or linking, and a process runs it: this one or a worker). */
  canLogout?: boolean;
  /** True when the channel should run in a worker but none runs it (nothing fresh in Redis). */
  nowhere?: boolean;
};

/** The badge of a channel that no process runs. */
const nowhereText = text("Tidak berjalan", "Not running");

/** What it means that no process runs a channel one worker runs for all. */
const nowhereExplanation = (name: string, seconds: number) =>
  text(
    `Tidak ada worker yang menjalankan ${name} saat ini: tidak ada kabar dari worker mana pun dalam ${seconds} detik terakhir. Pastikan setidaknya satu proses worker (APP_ROLE=worker atau all) berjalan dan tersambung ke Redis yang sama, lalu periksa lognya. Halaman ini memuat ulang sendiri.`,
    `No worker runs ${name} right now: no word from any worker in the last ${seconds} seconds. Make sure at least one worker process (APP_ROLE=worker or all) runs and uses the same Redis, then check its logs. This page reloads itself.`,
  );

/** How long a worker's published status lives in Redis (three publish intervals of 5 s). */
const staleSeconds = 15;

/** Which process runs the channel, as a fact. */
function runnerFact(runner: ChannelRunner | null | undefined): ChannelView["facts"] {
  if (!runner) return [];
  return [
    {
      label: runner.here
        ? text("Dijalankan oleh proses ini", "Run by this process")
        : text("Dijalankan oleh worker", "Run by the worker"),
      value: `${runner.host} (pid ${runner.pid})`,
    },
  ];
}

export const stateTexts: Record<ChannelState, Text> = {
  ready: text("Terhubung", "Connected"),
  connecting: text("Menghubungkan", "Connecting"),
  waiting_for_qr: text("Menunggu pindai kode QR", "Waiting for a QR scan"),
  disconnected: text("Terputus", "Disconnected"),
  disabled: text("Nonaktif", "Disabled"),
};

/** What each state of the Cloud API channel means for the staff looking at it. */
const cloudExplanations: Record<ChannelState, Text> = {
  ready: text(
    "WhatsApp Cloud API siap: pesan masuk lewat webhook dan pesan keluar dikirim lewat Meta.",
    "The WhatsApp Cloud API is ready: messages come in through the webhook and go out through Meta.",
  ),
  connecting: text("Sedang memeriksa token dan ID nomor di Meta.", "Checking the token and phone number ID with Meta."),
  waiting_for_qr: text(
    "Sedang memeriksa token dan ID nomor di Meta.",
    "Checking the token and phone number ID with Meta.",
  ),
  disconnected: text(
    "Meta menolak atau tidak menjawab; lihat keterangan di bawah. Pesan menunggu di antrean sampai beres.",
    "Meta refused or did not answer; see the detail below. Messages wait in the queue until it is fixed.",
  ),
  disabled: text(
    "Proses ini tidak menerima webhook WhatsApp (proses pekerja hanya mengirim).",
    "This process does not take the WhatsApp webhook (a worker process only sends).",
  ),
};

/** What each WhatsApp state means for the staff looking at it. */
const whatsappExplanations: Record<ChannelState, Text> = {
  ready: text(
    "WhatsApp tersambung: pesan masuk diterima dan pesan keluar dikirim.",
    "WhatsApp is connected: messages come in and go out.",
  ),
  connecting: text(
    "WhatsApp sedang tersambung atau memuat obrolan. Tunggu sebentar; halaman ini memuat ulang sendiri.",
    "WhatsApp is connecting or loading the chats. Please wait; this page reloads itself.",
  ),
  waiting_for_qr: text(
    "Nomor bot belum tertaut. Pindai kode QR di bawah dengan WhatsApp di ponsel bot.",
    "The bot's number is not linked. Scan the QR code below with WhatsApp on the bot's phone.",
  ),
  disconnected: text(
    "WhatsApp terputus. Bot mencoba menyambung lagi dengan sendirinya; pesan menunggu di antrean sampai tersambung.",
    "WhatsApp is disconnected. The bot reconnects on its own; messages wait in the queue until then.",
  ),
  disabled: text("WhatsApp tidak berjalan di proses ini.", "WhatsApp is not running in this process."),
};

const telegramExplanations: Record<ChannelState, Text> = {
  ready: text(
    "Telegram tersambung: pesan masuk diterima dan dibalas.",
    "Telegram is connected: messages come in and are answered.",
  ),
  connecting: text("Sedang menghubungi Telegram.", "Contacting Telegram."),
  waiting_for_qr: text("Sedang menghubungi Telegram.", "Contacting Telegram."),
  disconnected: text(
    "Telegram tidak dapat dihubungi; bot mencoba lagi dengan sendirinya. Keterangannya ada di bawah.",
    "Telegram cannot be reached; the bot keeps trying on its own. The reason is below.",
  ),
  disabled: text("Telegram belum berjalan di proses ini.", "Telegram is not running in this process yet."),
};

/** The QR code of a pairing string as a PNG data: URL (the dashboard's CSP allows data: images). */
export function qrDataUrl(qr: string): Promise<string> {
  return QRCode.toDataURL(qr, { errorCorrectionLevel: "M", margin: 2, width: 264 });
}

async function webChat(deps: DashboardDeps): Promise<ChannelView> {
  const since = new Date(Date.now() - 24 * 60 * 60 * 1000);
  const received = await deps.database.prisma.message.count({
    where: { channel: "web", direction: "inbound", createdAt: { gte: since } },
  });
  return {
    name: "web",
    label: text("Obrolan web", "Web chat"),
    enabled: true,
    state: "ready",
    stateText: text("Aktif", "Active"),
    explanation: text(
      "Selalu aktif selama server ini berjalan; tidak ada yang perlu disambungkan.",
      "Always on while this server runs; there is nothing to connect.",
    ),
    since: null,
    facts: [
      { label: text("Alamat", "Address"), value: "/chat", href: "/chat" },
      { label: text("Pesan masuk 24 jam terakhir", "Messages received in the last 24 hours"), value: String(received) },
    ],
  };
}

function telegram(deps: DashboardDeps, status: SharedChannelStatus | undefined): ChannelView {
  const label = text("Telegram", "Telegram");
  const config = deps.config.telegram;
  if (!config)
    return {
      name: "telegram",
      label,
      enabled: false,
      facts: [],
      howToEnable: text(
        "Belum diaktifkan. Isi TELEGRAM_BOT_TOKEN (dari @BotFather) di .env, lalu jalankan ulang server.",
        "Not turned on. Put TELEGRAM_BOT_TOKEN (from @BotFather) in .env, then restart the server.",
      ),
    };
  const adapter = deps.channels?.telegram as TelegramAdapter | undefined;
  const username = adapter?.telegraf?.botInfo?.username;
  const facts: ChannelView["facts"] = [
    config.publicUrl
      ? {
          label: text("Cara menerima", "Receiving"),
          value: `webhook: ${new URL("/telegram/webhook", config.publicUrl).toString()}`,
        }
      : { label: text("Cara menerima", "Receiving"), value: "long polling" },
  ];
  if (username) facts.push({ label: text("Bot", "Bot"), value: `@${username}`, href: `https://t.me/${username}` });
  if (config.apiRoot !== "https://api.telegram.org")
    facts.push({ label: text("Server Bot API", "Bot API server"), value: config.apiRoot });
  const state = status?.state ?? "disabled";
  if (status?.runner === null)
    return {
      name: "telegram",
      label,
      enabled: true,
      state: "disabled",
      stateText: nowhereText,
      explanation: nowhereExplanation("Telegram", staleSeconds),
      since: null,
      // Only when it is not simply that no worker runs it (Redis did not answer).
      ...(status.detail ? { detail: status.detail } : {}),
      facts,
      nowhere: true,
    };
  return {
    name: "telegram",
    label,
    enabled: true,
    state,
    stateText: stateTexts[state],
    explanation: telegramExplanations[state],
    since: status?.since ?? null,
    ...(status?.detail ? { detail: status.detail } : {}),
    facts: [...facts, ...runnerFact(status?.runner)],
  };
}

async function whatsapp(deps: DashboardDeps, status: SharedChannelStatus | undefined): Promise<ChannelView> {
  const label = text("WhatsApp", "WhatsApp");
  if (!deps.config.whatsapp.enabled)
    return {
      name: "whatsapp",
      label,
      enabled: false,
      facts: [],
      howToEnable: text(
        "Belum diaktifkan. Isi WHATSAPP_ENABLED=true di .env dan jalankan ulang server; baca dulu bagian risiko pemblokiran di README.",
        "Not turned on. Put WHATSAPP_ENABLED=true in .env and restart the server; read the ban-risk section of the README first.",
      ),
    };
  const state = status?.state ?? "disabled";
  const cloud = deps.config.whatsapp.cloud;
  if (cloud)
    return {
      name: "whatsapp",
      label,
      enabled: true,
      state,
      stateText: stateTexts[state],
      explanation: cloudExplanations[state],
      since: status?.since ?? null,
      ...(status?.detail ? { detail: status.detail } : {}),
      facts: [
        { label: text("Penyedia", "Provider"), value: "WhatsApp Cloud API (Meta)" },
        { label: text("ID nomor telepon", "Phone number ID"), value: cloud.phoneNumberId },
        { label: text("Alamat webhook", "Webhook address"), value: "/whatsapp/webhook" },
        { label: text("Pesan per detik", "Messages a second"), value: String(cloud.perSecond) },
        {
          label: text("Batas harian (orang per 24 jam)", "Daily limit (people per 24 hours)"),
          value: cloud.dailyLimit === null ? "unlimited" : String(cloud.dailyLimit),
        },
      ],
    };
  const adapter = deps.channels?.whatsapp as WhatsAppAdapter | undefined;
  const sessionFact = { label: text("Sesi tersimpan di", "Session kept in"), value: deps.config.whatsapp.sessionDir };
  if (status?.runner === null)
    return {
      name: "whatsapp",
      label,
      enabled: true,
      state: "disabled",
      stateText: nowhereText,
      explanation: nowhereExplanation("WhatsApp", staleSeconds),
      since: null,
      // Only when it is not simply that no worker runs it (Redis did not answer).
      ...(status.detail ? { detail: status.detail } : {}),
      facts: [sessionFact],
      nowhere: true,
    };
  const runner = status?.runner;
  return {
    name: "whatsapp",
    label,
    enabled: true,
    state,
    stateText: stateTexts[state],
    explanation: whatsappExplanations[state],
    since: status?.since ?? null,
    // While waiting for a scan the adapter's detail only repeats the instructions shown here.
    ...(status?.detail && state !== "waiting_for_qr" ? { detail: status.detail } : {}),
    facts: [sessionFact, ...runnerFact(runner)],
    ...(state === "waiting_for_qr" && status?.qr ? { qrImage: await qrDataUrl(status.qr) } : {}),
    // Here: through the adapter; in a worker: by a command through Redis (pages/channels.ts).
    canLogout: state !== "disabled" && (runner?.here === false || !!adapter?.whatsapp),
  };
}

/** Every channel, configured or not, in a fixed order. */
export async function loadChannels(deps: DashboardDeps): Promise<ChannelView[]> {
  const statuses = await deps.bot.sharedChannelStatus();
  return [await webChat(deps), telegram(deps, statuses.telegram), await whatsapp(deps, statuses.whatsapp)];
}

/**
 * True while the page should reload itself: WhatsApp is waiting for a scan or connecting, or no
 * worker runs it (yet: one may be starting, or taking over from one that stopped).
 */
export const needsRefresh = (channels: ChannelView[]) =>
  channels.some(
    (c) => c.name === "whatsapp" && (c.state === "waiting_for_qr" || c.state === "connecting" || c.nowhere === true),
  );

// ---------------------------------------------------------------- WhatsApp templates (Cloud API)

export const templateLanguageLabels: Record<TemplateLanguage, Text> = {
  id: text("Bahasa Indonesia", "Indonesian"),
  en: text("Bahasa Inggris", "English"),
};

export const templateCategoryLabels: Record<TemplateCategory, Text> = {
  utility: text("Utilitas", "Utility"),
  marketing: text("Pemasaran", "Marketing"),
};

/** What each kind of outgoing message is called on the page. */
export const templatePurposeLabels: Record<TemplatePurpose, Text> = {
  reminder: text("Pengingat jadwal", "Session reminders"),
  notice: text("Pemberitahuan jadwal (pindah, batal)", "Session notices (moved, cancelled)"),
  motivation: text("Pesan motivasi", "Motivational messages"),
  survey: text("Survei dan tindak lanjut", "Surveys and follow-ups"),
  certificate: text("Sertifikat (dengan lampiran)", "Certificates (with the attachment)"),
  broadcast: text("Siaran staf (bawaan)", "Staff broadcasts (the default)"),
};

export const templateParameterLabels: Record<TemplateParameterKind, Text> = {
  name: text("Nama peserta", "Participant's name"),
  text: text("Teks pesan", "Message text"),
  department: text("Nama dinas", "Department name"),
};

/** Parameter selects the form shows: enough for the body typed so far, and a few spare. */
export const parameterSelects = (body: string, chosen: string[]) =>
  Math.min(templateParametersMax, Math.max(5, chosen.length, ...(bodyPlaceholders(body) ?? [])));

export type TemplateSection = {
  templates: WhatsAppTemplate[];
  /** Per language, the purposes with no template in it, and of those the ones with none in any language. */
  missing: { language: TemplateLanguage; purposes: TemplatePurpose[] }[];
  /** Purposes with no template in either language: those messages fail outside the window. */
  failing: TemplatePurpose[];
};

/** The templates section of the Kanal page; null unless WhatsApp runs on the Cloud API. */
export async function loadTemplateSection(deps: DashboardDeps): Promise<TemplateSection | null> {
  if (deps.config.whatsapp.provider !== "cloud") return null;
  const templates = await listTemplates(deps.database.prisma);
  const missing = missingPurposes(templates);
  return {
    templates,
    missing: templateLanguages.map((language) => ({ language, purposes: missing[language] })),
    failing: missing.id.filter((p) => missing.en.includes(p)),
  };
}

/** A template form as typed (or as stored), and its errors by field. */
export type TemplateFormState = { values: Record<string, string>; parameters: string[]; errors: FieldErrors };

/** An empty add form: Indonesian, utility, the name first. */
export const emptyTemplateForm = (): TemplateFormState => ({
  values: { name: "", language: "id", category: "utility", body: "", usedFor: "", document: "" },
  parameters: [],
  errors: {},
});

/** What the form partial (views/partials/whatsapp-template-form.eta) needs to show a form. */
export function templateFormView(state: TemplateFormState, action: string, mode: "new" | "edit") {
  const count = parameterSelects(state.values.body ?? "", state.parameters);
  return {
    action,
    mode,
    values: state.values,
    errors: state.errors,
    parameters: Array.from({ length: count }, (_, i) => ({
      index: i,
      value: state.parameters[i] ?? "",
      error: state.errors[`parameters.${i}`] ?? null,
    })),
    languages: templateLanguages.map((value) => ({ value, label: templateLanguageLabels[value] })),
    categories: templateCategories.map((value) => ({ value, label: templateCategoryLabels[value] })),
    purposes: templatePurposes.map((value) => ({ value, label: templatePurposeLabels[value] })),
    kinds: templateParameterKinds.map((value) => ({ value, label: templateParameterLabels[value] })),
  };
}

/** The form's fields from a stored template, to edit it. */
export const templateFormValues = (t: WhatsAppTemplate): Omit<TemplateFormState, "errors"> => ({
  values: {
    name: t.name,
    language: t.language,
    category: t.category,
    body: t.body,
    usedFor: t.usedFor ?? "",
    document: t.document ? "on" : "",
  },
  parameters: t.parameters as string[],
});
