// Downloads of the inventory: GET /dids/export, a search as its URL says (bookmarkable; the
// page's Export form), and POST /dids/export, "Export selected" from the page's bulk form.
// Both stream the file from a database cursor as the client reads it.
import { finished } from "node:stream";
import zlib from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createCursorPool, CursorPoolBusy } from "../../db/cursor.js";
import { connectionStringOf } from "../../db/prisma.js";
import { renderError } from "../../plugins/errors.js";
import { exportContentTypes, exportFileName } from "./export-files.js";
import { parseSelectionExport, type ExportCommand } from "./export-forms.js";
import * as service from "./exports.service.js";

type Query = Record<string, unknown>;
type Body = Record<string, unknown>;

/** Exports running at once; one more waits this long for one of them to end, then is told to try again. */
const concurrentExports = 4;
const exportWaitMs = 10_000;
/** How export connections show in pg_stat_activity. */
export const exportApplicationName = "did-inventory export";
/**
 * CSV is gzipped on the fly at the fastest level (XLSX, a zip already, is never gzipped):
 * on a small server the compression competes with PostgreSQL for the CPU, and CSV lines
 * still shrink about sevenfold.
 */
const compress = { encodings: ["gzip", "deflate"] as ("gzip" | "deflate")[], zlibOptions: { level: zlib.constants.Z_BEST_SPEED } };
/** As for mass edit: 10,000 ticked ids with the page's ids and the search fit well under this. */
const selectionBodyLimit = 512 * 1024;

export default async function exportRoutes(app: FastifyInstance) {
  const pool = createCursorPool(connectionStringOf(app.db), {
    size: concurrentExports,
    waitMs: exportWaitMs,
    onIdleError: (error) => app.log.warn({ err: error }, "an idle export connection failed"),
    applicationName: exportApplicationName,
  });
  app.addHook("onClose", () => pool.end());

  const send = async (request: FastifyRequest, reply: FastifyReply, command: ExportCommand) => {
    let opened: service.ExportFile | undefined;
    // A HEAD gets the headers without running the export.
    if (request.method !== "HEAD") {
      try {
        opened = await service.openExport(pool, request.actor!, command);
      } catch (error) {
        if (!(error instanceof CursorPoolBusy)) throw error;
        reply.header("retry-after", "60");
        return renderError(request, reply, 503, { title: "Too many exports at once", message: "Other exports are running. Try again in a minute." });
      }
    }
    // Only now, with the query running: a failure before this point gets the ordinary error
    // page, not an error page saved as a .csv file.
    reply.headers({
      "content-type": exportContentTypes[command.format],
      "content-disposition": `attachment; filename="${exportFileName(command.format, new Date())}"`,
      "cache-control": "no-store",
    });
    if (!opened) return reply.send();
    // However the response ends (read to the end, the client gone, an error), the rows stop
    // and the connection is freed.
    finished(reply.raw, opened.close);
    opened.file.on("error", (error: NodeJS.ErrnoException) => {
      // The headers are out: the response is cut short, and the log says why. A client
      // that went away is no error.
      if (error.code !== "ERR_STREAM_PREMATURE_CLOSE") request.log.error({ err: error }, "export failed while streaming");
    });
    return reply.send(opened.file);
  };

  app.get<{ Querystring: Query }>("/dids/export", { compress }, async (request, reply) => {
    const parsed = await service.exportOfSearch(app.db, request.actor!, request.query);
    if (!parsed.ok) return renderError(request, reply, 400, { title: "Cannot export this search", message: Object.values(parsed.errors).join(" ") });
    return send(request, reply, parsed.command);
  });

  // Exporting reads only: support users may, as they may read the inventory.
  app.post<{ Body: Body }>("/dids/export", { bodyLimit: selectionBodyLimit, compress, config: { access: "read" } }, async (request, reply) => {
    const parsed = parseSelectionExport(request.body ?? {});
    if (!parsed.ok) return renderError(request, reply, 422, { title: "Cannot export the selection", message: Object.values(parsed.errors).join(" ") });
    return send(request, reply, parsed.command);
  });
}
