// One place for failures. A 4xx page says what went wrong and how to go on; a 5xx page
// says sorry and shows the request id, which the server log carries with the stack.
// No stack trace or internal message ever reaches a page, even when a template fails.
import type { Socket } from "node:net";
import fp from "fastify-plugin";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { layoutData } from "./view.js";

const clientMessages: Record<number, { title: string; message: string }> = {
  400: { title: "Bad request", message: "The request could not be understood. Check the address or the form and try again." },
  403: { title: "Not allowed", message: "You are not allowed to do that." },
  404: { title: "Not found", message: "There is nothing at this address. It may have been deleted, or the link is wrong." },
  405: { title: "Method not allowed", message: "This address does not accept that kind of request." },
  408: { title: "Request too slow", message: "The request took too long to arrive. Check the connection and try again." },
  414: { title: "Address too long", message: "This address is longer than the server accepts. Shorten the search and try again." },
  413: { title: "Too large", message: "What you sent is larger than this page accepts. Send less at once, or split it into several submissions." },
  415: { title: "Unsupported content", message: "This page accepts only its own form, sent as an ordinary web form. Reload the page and submit it from there." },
  431: { title: "Address too long", message: "This address (or the request's headers) is longer than the server accepts. Shorten the search and try again." },
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

/**
 * Requests that Node's HTTP parser refuses (a URL over the header limit: 431; a malformed
 * request: 400; too slow: 408) never reach Fastify's routes, and its default answer is
 * JSON. These pages are rendered once, when the app is ready, from the same template as
 * every other error page.
 */
export class ClientErrorPages {
  private readonly pages = new Map<number, string>();

  async render(app: FastifyInstance): Promise<void> {
    for (const status of [400, 408, 431]) {
      const { title, message } = clientMessages[status]!;
      this.pages.set(status, await app.view("errors/error", { title, message, status, tab: "", assets: app.assets, csrfToken: "", actor: undefined, flash: undefined }));
    }
  }

  /** Fastify's clientErrorHandler: writes the page on the raw socket and closes it. */
  readonly handle = (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const reason = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" }[status];
    // The JSON API's callers get JSON, in its error shape, as from its own routes.
    const api = /^[A-Z]+ \/api(?:[/?]|$| )/.test((error as { rawPacket?: Buffer }).rawPacket?.subarray(0, 200).toString("latin1") ?? "");
    const body = api
      ? Buffer.from(JSON.stringify({ statusCode: status, error: reason, message: clientMessages[status]!.message }))
      : Buffer.from(this.pages.get(status) ?? `<!doctype html><title>${clientMessages[status]!.title}</title><h1>${clientMessages[status]!.title}</h1><p>${clientMessages[status]!.message}</p>`);
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${api ? "application/json" : "text/html"}; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
          "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\nConnection: close\r\n\r\n",
      );
      socket.write(body);
    }
    socket.destroy();
  };
}

export default fp<{ clientErrorPages?: ClientErrorPages }>(async (app, { clientErrorPages }) => {
  if (clientErrorPages) app.addHook("onReady", () => clientErrorPages.render(app));
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
