// One place for failures. A 4xx page says what went wrong and how to go on; a 5xx page
// says sorry and shows the request id, which the server log carries with the stack.
// No stack trace or internal message ever reaches a page, even when a template fails.
import fp from "fastify-plugin";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { layoutData } from "./view.js";

const clientMessages: Record<number, { title: string; message: string }> = {
  400: { title: "Bad request", message: "The request could not be understood. Check the address or the form and try again." },
  403: { title: "Not allowed", message: "You are not allowed to do that." },
  404: { title: "Not found", message: "There is nothing at this address. It may have been deleted, or the link is wrong." },
  405: { title: "Method not allowed", message: "This address does not accept that kind of request." },
  414: { title: "Address too long", message: "This address is longer than the server accepts. Shorten the search and try again." },
  413: { title: "Too large", message: "What you sent is larger than this page accepts. Send less at once, or split it into several submissions." },
  415: { title: "Unsupported content", message: "This page accepts only its own form's content." },
  429: { title: "Too many requests", message: "Too many attempts in a short time. Wait a few minutes and try again." },
};
const serverMessage = { title: "Sorry, something went wrong", message: "The server could not finish this request. Please try again in a moment." };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function renderError(request: FastifyRequest, reply: FastifyReply, status: number, detail?: { title?: string; message?: string }) {
  const base = clientMessages[status] ?? (status >= 500 ? serverMessage : clientMessages[400]!);
  const data = { title: detail?.title ?? base.title, message: detail?.message ?? base.message, status, requestId: status >= 500 ? request.id : undefined };
  const template = request.wantsFragment ? "errors/_error" : "errors/error";
  let html: string;
  try {
    html = await reply.viewAsync(template, { ...data, tab: "", ...layoutData(reply), flash: undefined });
  } catch (error) {
    // The error page itself failed: answer with plain markup rather than Fastify's JSON.
    request.log.error({ err: error }, "error page failed to render");
    html = `<!doctype html><title>${escapeHtml(data.title)}</title><h1>${escapeHtml(data.title)}</h1><p>${escapeHtml(data.message)}</p>${data.requestId ? `<p>Request id: ${escapeHtml(data.requestId)}</p>` : ""}`;
  }
  // For htmx the error opens in the dialog instead of replacing the table or form it targeted.
  if (request.wantsFragment) reply.header("hx-retarget", "#dialog").header("hx-reswap", "innerHTML");
  return reply.code(status).type("text/html; charset=utf-8").send(html);
}

export default fp(async (app) => {
  app.setNotFoundHandler((request, reply) => renderError(request, reply, 404));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: error.code, status }, error.message);
    // A missing or wrong CSRF token: usually a form left open across a sign-out or restart.
    if (typeof error.code === "string" && error.code.startsWith("FST_CSRF")) {
      return renderError(request, reply, 403, { title: "Form expired", message: "This form has expired or did not come from this site. Reload the page and try again." });
    }
    return renderError(request, reply, status);
  });
});
