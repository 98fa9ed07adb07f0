/**
 * The WhatsApp message templates on the Kanal page (WHATSAPP_PROVIDER=cloud): admins add, edit
 * and delete the registry's templates (src/domain/whatsapp-templates.ts, which audit-logs each
 * change); every staff member sees them on the Kanal page. The add form sits on the Kanal page
 * itself, so a refused one is shown there again with its errors; editing has a page of its own.
 */
import { idParam } from "../../../db/ids.js";
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  TemplateError,
  templateFormSchema,
  updateTemplate,
  type WhatsAppTemplate,
} from "../../../domain/whatsapp-templates.js";
import { notFoundPage, renderError } from "../errors.js";
import { parseForm, type FieldErrors } from "../forms.js";
import { definePage, type PageContext } from "../page.js";
import { redirectWithFlash, render } from "../render.js";
import { text } from "../text.js";
import { many } from "./broadcasts-segment.js";
import { templateFormValues, templateFormView, type TemplateFormState } from "./channels-data.js";
import { renderChannels } from "./channels.js";

export const templatesPath = "/dashboard/kanal/templat";
const sectionPath = "/dashboard/kanal#templat-whatsapp";

const notCloud = (ctx: PageContext) =>
  redirectWithFlash(
    ctx.reply,
    "/dashboard/kanal",
    text(
      "Templat pesan hanya dipakai WhatsApp Cloud API (WHATSAPP_PROVIDER=cloud).",
      "Message templates are only used by the WhatsApp Cloud API (WHATSAPP_PROVIDER=cloud).",
    ),
    "error",
  );

/** The form as it was sent, to show it again. */
function typed(body: unknown, errors: FieldErrors): TemplateFormState {
  const b = (body ?? {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const name of ["name", "language", "category", "body", "usedFor", "document"])
    values[name] = typeof b[name] === "string" ? (b[name] as string) : "";
  // Unused selects are sent empty: keep their places, so {{2}} stays {{2}}.
  const raw = b.parameters;
  const parameters = Array.isArray(raw) ? raw.map((p) => (typeof p === "string" ? p : "")) : many(b, "parameters");
  return { values, parameters, errors };
}

/** A refusal of the registry, as the error of the field it is about. */
const refusal = (error: TemplateError): FieldErrors => ({ [error.field]: error.reason });

export const createTemplatePage = definePage({
  method: "POST",
  path: templatesPath,
  role: "admin",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    if (deps.config.whatsapp.provider !== "cloud") return notCloud(ctx);
    const form = parseForm(templateFormSchema, request.body);
    // The Kanal page again, its add form filled with what was typed and the errors next to the fields.
    const again = (errors: FieldErrors) => renderChannels(ctx, typed(request.body, errors), 400);
    if (!form.ok) return again(form.errors);
    try {
      await createTemplate(deps.database.prisma, staff.id, form.data);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return again(refusal(error));
    }
    return redirectWithFlash(
      reply,
      sectionPath,
      text(`Templat ${form.data.name} ditambahkan.`, `The template ${form.data.name} is added.`),
    );
  },
});

async function loadTemplate(ctx: PageContext): Promise<WhatsAppTemplate | null> {
  const id = idParam(ctx.request.params);
  return id ? getTemplate(ctx.deps.database.prisma, id) : null;
}

function renderEdit(ctx: PageContext, template: WhatsAppTemplate, state: TemplateFormState, status = 200) {
  return render(
    ctx.reply,
    "channel-template",
    {
      title: ctx.t(`Ubah templat ${template.name}`, `Edit the template ${template.name}`),
      template,
      form: templateFormView(state, `${templatesPath}/${template.id}`, "edit"),
      errors: state.errors,
      values: state.values,
    },
    { status },
  );
}

export const editTemplatePage = definePage({
  path: `${templatesPath}/:id`,
  role: "admin",
  async handler(ctx) {
    if (ctx.deps.config.whatsapp.provider !== "cloud") return notCloud(ctx);
    const template = await loadTemplate(ctx);
    if (!template) return renderError(ctx.reply, 404, notFoundPage);
    return renderEdit(ctx, template, { ...templateFormValues(template), errors: {} });
  },
});

export const updateTemplatePage = definePage({
  method: "POST",
  path: `${templatesPath}/:id`,
  role: "admin",
  async handler(ctx) {
    const { request, reply, deps, staff } = ctx;
    if (deps.config.whatsapp.provider !== "cloud") return notCloud(ctx);
    const template = await loadTemplate(ctx);
    if (!template) return renderError(reply, 404, notFoundPage);
    const form = parseForm(templateFormSchema, request.body);
    if (!form.ok) return renderEdit(ctx, template, typed(request.body, form.errors), 400);
    try {
      await updateTemplate(deps.database.prisma, staff.id, template.id, form.data);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return renderEdit(ctx, template, typed(request.body, refusal(error)), 400);
    }
    return redirectWithFlash(
      reply,
      sectionPath,
      text(`Templat ${form.data.name} disimpan.`, `The template ${form.data.name} is saved.`),
    );
  },
});

export const deleteTemplatePage = definePage({
  method: "POST",
  path: `${templatesPath}/:id/hapus`,
  role: "admin",
  async handler(ctx) {
    const { reply, deps, staff } = ctx;
    if (deps.config.whatsapp.provider !== "cloud") return notCloud(ctx);
    const id = idParam(ctx.request.params);
    try {
      const deleted = id ? await deleteTemplate(deps.database.prisma, staff.id, id) : null;
      if (!deleted) return renderError(reply, 404, notFoundPage);
      return redirectWithFlash(
        reply,
        sectionPath,
        text(`Templat ${deleted.name} dihapus.`, `The template ${deleted.name} is deleted.`),
      );
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return redirectWithFlash(reply, sectionPath, error.reason, "error");
    }
  },
});

export const templatePages = [createTemplatePage, editTemplatePage, updateTemplatePage, deleteTemplatePage];
