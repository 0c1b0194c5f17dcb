// The Users page, for admins only (it does not exist for anyone else).
import { writerOf } from "../../plugins/auth.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { smallFormBodyLimit } from "../../config.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId } from "../../shared/field-errors.js";
import { parseCreateUserForm, parseResetPasswordForm, parseUpdateUserForm } from "./user-forms.js";
import * as service from "./users.service.js";

type Body = Record<string, unknown>;
const admin = { config: { access: "admin" as const } };
const adminForm = { ...admin, bodyLimit: smallFormBodyLimit };

export default async function userRoutes(app: FastifyInstance) {
  app.get("/users", admin, async (_request, reply) => reply.render({ page: "users/list" }, { title: "Users", tab: "users", ...(await service.userListPage(app.db)) }));

  const renderNew = async (reply: FastifyReply, data: { form: unknown; errors: unknown }, status = 200) =>
    reply.render({ page: "users/new" }, { title: "New user", tab: "users", ...(await service.userFormOptions(app.db)), ...data }, status);

  app.get("/users/new", admin, async (_request, reply) => renderNew(reply, { form: { role: "reseller" }, errors: {} }));

  app.post<{ Body: Body }>("/users/new", adminForm, async (request, reply) => {
    const parsed = parseCreateUserForm(request.body ?? {});
    if (!parsed.ok) return renderNew(reply, { form: parsed.form, errors: parsed.errors }, 422);
    const outcome = await service.createUser(app.db, writerOf(request), parsed.command);
    // The form comes back without the password, as it always has.
    const { username, role, resellerId } = parsed.command;
    if (outcome.kind === "invalid") return renderNew(reply, { form: { username, role, resellerId }, errors: outcome.errors }, 422);
    reply.setFlash(`Created user “${outcome.username}”.`);
    return reply.redirectAfterPost("/users");
  });

  const userId = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const id = parseId(request.params.id);
    if (id === undefined) await renderError(request, reply, 400, { title: "Bad user ID", message: `“${clip(request.params.id)}” is not a user ID: IDs are whole numbers.` });
    return id;
  };
  const notFound = (request: FastifyRequest, reply: FastifyReply, id: number) =>
    renderError(request, reply, 404, { title: "User not found", message: `There is no user with ID ${id}.` });

  const renderEdit = async (request: FastifyRequest, reply: FastifyReply, id: number, data: { form?: unknown; errors?: unknown; passwordErrors?: unknown } = {}, status = 200) => {
    const page = await service.editUserPage(app.db, id);
    if (!page) return notFound(request, reply, id);
    const form = data.form ?? { role: page.user.role, resellerId: page.user.resellerId, disabled: page.user.disabled };
    return reply.render({ page: "users/edit" }, { title: `User ${page.user.username}`, tab: "users", ...page, form, errors: data.errors ?? {}, passwordErrors: data.passwordErrors ?? {} }, status);
  };

  app.get<{ Params: { id: string } }>("/users/:id/edit", admin, async (request, reply) => {
    const id = await userId(request, reply);
    return id === undefined ? reply : renderEdit(request, reply, id);
  });

  app.post<{ Params: { id: string }; Body: Body }>("/users/:id/edit", adminForm, async (request, reply) => {
    const id = await userId(request, reply);
    if (id === undefined) return reply;
    const parsed = parseUpdateUserForm(request.body ?? {});
    if (!parsed.ok) return renderEdit(request, reply, id, { form: parsed.form, errors: parsed.errors }, 422);
    const outcome = await service.updateUser(app.db, writerOf(request), id, parsed.command);
    if (outcome.kind === "not-found") return notFound(request, reply, id);
    if (outcome.kind === "invalid") return renderEdit(request, reply, id, { form: parsed.command, errors: outcome.errors }, 422);
    reply.setFlash(`Saved user “${outcome.username}”.`);
    return reply.redirectAfterPost("/users");
  });

  app.post<{ Params: { id: string }; Body: Body }>("/users/:id/password", adminForm, async (request, reply) => {
    const id = await userId(request, reply);
    if (id === undefined) return reply;
    const parsed = parseResetPasswordForm(request.body ?? {});
    if (!parsed.ok) return renderEdit(request, reply, id, { passwordErrors: parsed.errors }, 422);
    const outcome = await service.resetPassword(app.db, writerOf(request), id, parsed.command);
    if (outcome.kind === "not-found") return notFound(request, reply, id);
    if (outcome.kind === "invalid") return renderEdit(request, reply, id, { passwordErrors: outcome.errors }, 422);
    reply.setFlash(`Set a new password for “${outcome.username}” and signed them out everywhere.`);
    return reply.redirectAfterPost("/users");
  });
}
