// Thin routes for the Packages tab.
import { writerOf } from "../../plugins/auth.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId, type FieldErrors } from "../../shared/field-errors.js";
import { packageListUrl } from "./package-filters.js";
import { packageForm, parseCreatePackageForm, parseEditPackageForm, type PackageForm } from "./package-forms.js";
import * as service from "./packages.service.js";

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export default async function packageRoutes(app: FastifyInstance) {
  app.get<{ Querystring: Query }>("/packages", async (request, reply) => {
    const page = await service.packageListPage(app.db, request.actor!, request.query);
    if (request.wantsFragment && page.valid) reply.header("hx-push-url", packageListUrl(page.query));
    return reply.render(
      { page: "packages/list", fragment: "packages/_browser" },
      { ...page, title: "Packages", tab: "packages", packageListUrl },
      page.valid ? 200 : 400,
    );
  });

  const write = { config: { access: "write" as const } };
  const writeForm = { bodyLimit: smallFormBodyLimit };

  const renderNew = async (request: FastifyRequest, reply: FastifyReply, form: PackageForm, errors: FieldErrors = {}, status = 200) =>
    reply.render(
      { page: "packages/new", fragment: "packages/_create-dialog" },
      { title: "New package", tab: "packages", ...(await service.newPackagePage(app.db, request.actor!)), form, errors },
      status,
    );

  app.get<{ Querystring: Query }>("/packages/new", write, async (request, reply) => {
    // A reseller's user can only make their own reseller's packages: the form starts there.
    const preset = typeof request.query.reseller === "string" ? parseId(request.query.reseller) : undefined;
    return renderNew(request, reply, { resellerId: preset ?? request.actor!.scope.resellerId ?? undefined, didLimit: "1", defaultHoldDays: "0" });
  });

  app.post<{ Body: Body }>("/packages/new", writeForm, async (request, reply) => {
    const parsed = parseCreatePackageForm(request.body ?? {}, request.actor!.scope.resellerId);
    if (!parsed.ok) return renderNew(request, reply, parsed.form, parsed.errors, 422);
    const outcome = await service.createPackage(app.db, writerOf(request), parsed.command);
    if (outcome.kind === "invalid") return renderNew(request, reply, packageForm(parsed.command), outcome.errors, 422);
    reply.setFlash(`Created package “${outcome.name}”.`);
    return reply.redirectAfterPost("/packages");
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply, id: number) =>
    renderError(request, reply, 404, { title: "Package not found", message: `There is no package with ID ${id}. It may have been deleted.` });
  /** The package ID of the URL, or undefined once a 400 page has been sent. */
  const packageId = async (request: IdRequest, reply: FastifyReply) => {
    const id = parseId(request.params.id);
    if (id === undefined) await renderError(request, reply, 400, { title: "Bad package ID", message: `“${clip(request.params.id)}” is not a package ID: IDs are whole numbers.` });
    return id;
  };

  const renderEdit = async (request: FastifyRequest, reply: FastifyReply, id: number, form?: PackageForm, errors: FieldErrors = {}, status = 200) => {
    const found = await service.getPackage(app.db, request.actor!, id);
    if (!found) return notFound(request, reply, id);
    return reply.render(
      { page: "packages/edit", fragment: "packages/_edit-dialog" },
      { title: `Edit package ${found.package.name}`, tab: "packages", ...found, form: form ?? packageForm(found.package), errors },
      status,
    );
  };

  app.get<{ Params: { id: string } }>("/packages/:id/edit", write, async (request, reply) => {
    const id = await packageId(request, reply);
    return id === undefined ? reply : renderEdit(request, reply, id);
  });

  app.post<{ Params: { id: string }; Body: Body }>("/packages/:id/edit", writeForm, async (request, reply) => {
    const id = await packageId(request, reply);
    if (id === undefined) return reply;
    const parsed = parseEditPackageForm(request.body ?? {});
    if (!parsed.ok) return renderEdit(request, reply, id, parsed.form, parsed.errors, 422);
    const outcome = await service.editPackage(app.db, writerOf(request), id, parsed.command);
    if (outcome.kind === "not-found") return notFound(request, reply, id);
    if (outcome.kind === "invalid") return renderEdit(request, reply, id, packageForm(parsed.command), outcome.errors, 422);
    reply.setFlash(`Saved package “${outcome.name}”.`);
    return reply.redirectAfterPost("/packages");
  });

  app.get<{ Params: { id: string } }>("/packages/:id/delete", write, async (request, reply) => {
    const id = await packageId(request, reply);
    if (id === undefined) return reply;
    const found = await service.getPackage(app.db, request.actor!, id);
    if (!found) return notFound(request, reply, id);
    return reply.render({ page: "packages/delete", fragment: "packages/_delete-dialog" }, { title: `Delete package ${found.package.name}`, tab: "packages", ...found });
  });

  app.post<{ Params: { id: string } }>("/packages/:id/delete", writeForm, async (request, reply) => {
    const id = await packageId(request, reply);
    if (id === undefined) return reply;
    const outcome = await service.deletePackage(app.db, writerOf(request), id);
    if (outcome.kind === "not-found") return notFound(request, reply, id);
    if (outcome.kind === "in-use") {
      const { package: pkg, subscriptions } = outcome;
      return reply.render({ page: "packages/delete", fragment: "packages/_delete-dialog" }, { title: `Delete package ${pkg.name}`, tab: "packages", package: pkg, subscriptions }, 409);
    }
    reply.setFlash(`Deleted package “${outcome.name}”.`);
    return reply.redirectAfterPost("/packages");
  });
}
