// Thin routes for imports: upload, the step page (map, progress, report, result), the
// progress fragment, commit, cancel, start again, the rejected rows, and the list. Each
// POST answers a browser with a redirect to the import's page and htmx with that page's
// step fragment, so the steps swap in place.
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import multipart, { type MultipartFile } from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { finished } from "node:stream";
import { smallFormBodyLimit } from "../../config.js";
import { createCursorPool, CursorPoolBusy } from "../../db/cursor.js";
import { connectionStringOf } from "../../db/prisma.js";
import { jobById } from "../../jobs/job-queue.js";
import { writerOf } from "../../plugins/auth.js";
import { renderError } from "../../plugins/errors.js";
import { clip, parseId } from "../../shared/field-errors.js";
import { viewHelpers } from "../../shared/view-helpers.js";
import { didStatuses, statusLabels } from "../dids/did-filters.js";
import { afterHoldStatuses, createStatuses, maxHoldDays } from "../dids/did-forms.js";
import { listOperatorOptions } from "../operators/operators.repo.js";
import { listResellerOptions } from "../resellers/resellers.repo.js";
import { importFields } from "./import-columns.js";
import { reasonLabels } from "./import-rows.js";
import { delimiterCode, delimiterLabels, fieldLabels, parseUploadForm } from "./import-settings.js";
import { rejectedRowsCsv } from "./import-rejected-csv.js";
import type { ImportRun } from "./imports.repo.js";
import * as service from "./imports.service.js";

type WithId = FastifyRequest<{ Params: { id: string } }>;
type Body = Record<string, unknown>;

interface UploadedFile {
  path: string;
  fileName: string;
  size: number;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The import file of this request, in a temporary directory removed when the response is sent. */
    uploadDir?: string;
  }
}

const write = { config: { access: "write" as const } };

function importNotFound(request: FastifyRequest, reply: FastifyReply) {
  return renderError(request, reply, 404, { title: "Import not found", message: "There is no such import, or it was started by another reseller's user. See the list of imports." });
}

async function importIdOr400(request: WithId, reply: FastifyReply): Promise<number | undefined> {
  const id = parseId(request.params.id);
  if (id === undefined) await renderError(request, reply, 400, { title: "Bad import ID", message: `“${clip(request.params.id)}” is not an import ID: IDs are whole numbers.` });
  return id;
}

export default async function importRoutes(app: FastifyInstance) {
  const limits: service.ImportLimits = { inlineMaxBytes: app.config.importInlineMaxBytes, maxNumbers: app.config.importMaxNumbers };
  // The rejected rows' downloads read through cursors on a small pool of their own, so a
  // slow client never holds a connection the pages need.
  const downloads = createCursorPool(connectionStringOf(app.db), {
    size: 2,
    waitMs: 10_000,
    onIdleError: (error) => app.log.warn({ err: error }, "an idle import download connection failed"),
    applicationName: "did-inventory import download",
  });
  app.addHook("onClose", () => downloads.end());
  const maxSize = viewHelpers.bytes(app.config.importMaxBytes);

  // Multipart only here, with every limit set: one file, a few small fields. The file is
  // written to a private temporary directory as it arrives (never held in memory), then
  // stored with the import by the service.
  await app.register(multipart, {
    attachFieldsToBody: "keyValues",
    limits: { fileSize: app.config.importMaxBytes, files: 1, fields: 20, parts: 21, fieldSize: 16 * 1024, headerPairs: 100 },
    async onFile(this: FastifyRequest, part: MultipartFile & { value?: unknown }) {
      // A form sent with no file chosen still has its (empty, nameless) file part.
      if (!part.filename) {
        part.file.resume();
        await new Promise((resolve) => part.file.once("end", resolve));
        part.value = undefined;
        return;
      }
      this.uploadDir ??= await mkdtemp(path.join(tmpdir(), "did-upload-"));
      const file = path.join(this.uploadDir, "upload");
      const sink = createWriteStream(file);
      await pipeline(part.file, sink);
      const uploaded: UploadedFile = { path: file, fileName: part.filename || "upload", size: sink.bytesWritten };
      part.value = uploaded;
    },
  });
  const removeUpload = async (request: FastifyRequest) => {
    if (request.uploadDir) await rm(request.uploadDir, { recursive: true, force: true });
  };
  app.addHook("onResponse", removeUpload);
  // A client that gives up mid-upload gets no response, so onResponse never comes.
  app.addHook("onRequestAbort", removeUpload);
  // Over the size limit: a page that says the limit, not a bare 413. Other errors go on
  // to the app's error handler.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.code === "FST_REQ_FILE_TOO_LARGE" || error.statusCode === 413) {
      return renderError(request, reply, 413, { title: "File too large", message: `An import file can be at most ${maxSize}. Split the file into several and import each.` });
    }
    if (error.code === "FST_FILES_LIMIT" || error.code === "FST_PARTS_LIMIT" || error.code === "FST_FIELDS_LIMIT") {
      return renderError(request, reply, 400, { title: "Bad upload", message: "Upload one file with the import form." });
    }
    throw error;
  });

  const renderUpload = async (reply: FastifyReply, data: Record<string, unknown>, status = 200) => {
    const operators = await listOperatorOptions(app.db, reply.request.actor!.scope);
    return reply.render(
      { page: "imports/new", fragment: "imports/_upload" },
      { title: "Import DIDs", tab: "imports", errors: {}, form: { defaults: { status: "in_stock", afterHold: "in_stock", holdDays: 0 }, headerRow: true }, createStatuses, afterHoldStatuses, maxHoldDays, maxSize, operators, ...data },
      status,
    );
  };

  app.get("/imports/new", write, async (_request, reply) => renderUpload(reply, {}));

  app.post<{ Body: Body }>("/imports", { bodyLimit: app.config.importMaxBytes + 1024 * 1024 }, async (request, reply) => {
    const body = request.body ?? {};
    const file = body.file as UploadedFile | undefined;
    const parsed = parseUploadForm(body);
    if (!parsed.ok) return renderUpload(reply, { form: parsed.form, errors: parsed.errors }, 422);
    if (!file || typeof file !== "object" || !("path" in file)) {
      return renderUpload(reply, { form: parsed.command, errors: { file: "Choose a file to import (.csv, .txt, .xlsx or .xls)." } }, 422);
    }
    const outcome = await service.uploadImport(app.db, request.actor!, file, parsed.command);
    if (outcome.kind === "invalid") return renderUpload(reply, { form: parsed.command, errors: outcome.errors }, 422);
    return showAfterPost(request, reply, outcome.id);
  });

  /** After a step's POST: the import's page (a browser) or its step fragment (htmx). */
  const showAfterPost = async (request: FastifyRequest, reply: FastifyReply, id: number) => {
    if (!request.wantsFragment) return reply.redirect(`/imports/${id}`, 303);
    reply.header("hx-push-url", `/imports/${id}`);
    return renderStep(request, reply, id);
  };

  const renderStep = async (request: FastifyRequest, reply: FastifyReply, id: number) => {
    const run = await service.findImport(app.db, request.actor!.scope, id);
    if (!run) return importNotFound(request, reply);
    return reply.render({ page: "imports/show", fragment: "imports/_step" }, await stepView(request, run));
  };

  /**
   * What the step page shows for the import's state. `preview`: the mapping step's, when
   * the caller has read it already (the stored file is read once per request).
   */
  const stepView = async (request: FastifyRequest, run: ImportRun, preview?: service.Preview) => {
    const base = { title: `Import ${run.fileName}`, tab: "imports", run, reasonLabels, statusLabels, didStatuses, errors: {} as Record<string, string> };
    if (run.state === "uploaded") {
      return { ...base, preview: preview ?? (await service.previewImport(app.db, run)), importFields, fieldLabels, delimiterLabels, delimiterCode, resellers: await resellerChoices(request) };
    }
    if (run.state === "checking" || run.state === "importing") return { ...base, progress: await progressOf(run) };
    if (run.state === "checked") return { ...base, delimiterCode, resellers: await resellerChoices(request) };
    return base;
  };

  const resellerChoices = (request: FastifyRequest) => listResellerOptions(app.db, request.actor!.scope);

  const progressOf = async (run: ImportRun) => {
    const job = run.jobId === null ? null : await jobById(app.db, run.jobId);
    return { done: Number(job?.progressDone ?? 0), total: job?.progressTotal == null ? null : Number(job.progressTotal), queued: job?.state === "queued" };
  };

  app.get<{ Params: { id: string } }>("/imports/:id", write, async (request, reply) => {
    const id = await importIdOr400(request, reply);
    if (id === undefined) return reply;
    return renderStep(request, reply, id);
  });

  // The progress bar's fragment, polled by htmx every second; without JavaScript, the page
  // refreshes itself to this address. While the step runs it is the bar (a few hundred
  // bytes, or the page around it); when the check is over, the report; when the commit
  // is over, the inventory filtered to the imported DIDs.
  app.get<{ Params: { id: string } }>("/imports/:id/progress", write, async (request, reply) => {
    const id = await importIdOr400(request, reply);
    if (id === undefined) return reply;
    // htmx's poll while the step runs: the bar alone, from one small query.
    if (request.wantsFragment) {
      const polled = await service.findImportProgress(app.db, request.actor!.scope, id);
      if (!polled) return importNotFound(request, reply);
      if (polled.state === "checking" || polled.state === "importing") {
        return reply.render({ page: "imports/show", fragment: "imports/_progress" }, { run: { id, state: polled.state, report: { toCreate: polled.toCreate } }, progress: polled.progress });
      }
    }
    const run = await service.findImport(app.db, request.actor!.scope, id);
    if (!run) return importNotFound(request, reply);
    if (run.state === "checking" || run.state === "importing") {
      return reply.render({ page: "imports/show", fragment: "imports/_progress" }, { ...(await stepView(request, run)) });
    }
    if (run.state === "done" && run.operationId !== null) return showImported(reply, run);
    if (!request.wantsFragment) return reply.redirect(`/imports/${id}`, 303);
    reply.header("hx-retarget", "#import-step").header("hx-reswap", "innerHTML").header("hx-push-url", `/imports/${id}`);
    return renderStep(request, reply, id);
  });

  /** After the commit: the inventory, filtered to exactly this import. */
  const showImported = (reply: FastifyReply, run: ImportRun) => {
    const created = run.report?.created ?? 0;
    reply.setFlash(`Imported ${created.toLocaleString("en-US")} ${created === 1 ? "DID" : "DIDs"} from ${run.fileName}.`);
    return reply.redirectAfterPost(`/dids?batch=${run.operationId}`);
  };

  app.post<{ Params: { id: string }; Body: Body }>("/imports/:id/mapping", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const id = await importIdOr400(request, reply);
    if (id === undefined) return reply;
    const body = request.body ?? {};
    const previewOnly = body.action === "preview";
    const outcome = await service.submitMapping(app.db, writerOf(request), id, body, previewOnly, limits, app.metrics);
    switch (outcome.kind) {
      case "not-found":
        return importNotFound(request, reply);
      case "wrong-state":
        return showAfterPost(request, reply, id);
      case "invalid":
      case "preview": {
        const run = (await service.findImport(app.db, request.actor!.scope, id))!;
        const errors = outcome.kind === "invalid" ? outcome.errors : {};
        return reply.render(
          { page: "imports/show", fragment: "imports/_step" },
          { ...(await stepView(request, run, outcome.preview)), errors },
          outcome.kind === "invalid" ? 422 : 200,
        );
      }
      default:
        if (outcome.kind === "started") app.jobs.wake();
        return showAfterPost(request, reply, id);
    }
  });

  app.post<{ Params: { id: string } }>("/imports/:id/commit", { bodyLimit: smallFormBodyLimit }, async (request, reply) => {
    const id = await importIdOr400(request, reply);
    if (id === undefined) return reply;
    const outcome = await service.commitImport(app.db, writerOf(request), id, limits, app.metrics);
    if (outcome.kind === "not-found") return importNotFound(request, reply);
    // A commit queues the clean-up of its staging; a large one runs as a job itself.
    app.jobs.wake();
    if (outcome.kind === "committed") {
      const run = await service.findImport(app.db, request.actor!.scope, id);
      if (run?.operationId != null) return showImported(reply, run);
    }
    return showAfterPost(request, reply, id);
  });

  const simpleAction = (action: typeof service.cancelImport) => async (request: WithId, reply: FastifyReply) => {
    const id = await importIdOr400(request, reply);
    if (id === undefined) return reply;
    const outcome = await action(app.db, request.actor!, id);
    if (outcome.kind === "not-found") return importNotFound(request, reply);
    return showAfterPost(request, reply, id);
  };
  app.post<{ Params: { id: string } }>("/imports/:id/cancel", { bodyLimit: smallFormBodyLimit }, simpleAction(service.cancelImport));
  app.post<{ Params: { id: string } }>("/imports/:id/restart", { bodyLimit: smallFormBodyLimit }, simpleAction(service.restartImport));

  app.get<{ Params: { id: string } }>("/imports/:id/rejected.csv", write, async (request, reply) => {
    const id = await importIdOr400(request, reply);
    if (id === undefined) return reply;
    const run = await service.findImport(app.db, request.actor!.scope, id);
    if (!run || !run.report) return importNotFound(request, reply);
    let download: Awaited<ReturnType<typeof rejectedRowsCsv>>;
    try {
      download = await rejectedRowsCsv(downloads, run.id);
    } catch (error) {
      if (!(error instanceof CursorPoolBusy)) throw error;
      reply.header("retry-after", "60");
      return renderError(request, reply, 503, { title: "Too many downloads at once", message: "Other downloads are running. Try again in a minute." });
    }
    // However the response ends (read to the end, the client gone), the cursor is freed.
    finished(reply.raw, download.close);
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="rejected-rows-import-${run.id}.csv"`)
      .send(download.file);
  });

  app.get<{ Querystring: { before?: string } }>("/imports", write, async (request, reply) => {
    const before = request.query.before === undefined ? undefined : parseId(String(request.query.before));
    if (request.query.before !== undefined && before === undefined) return renderError(request, reply, 400, { title: "Bad page", message: "The “before” parameter must be an import ID." });
    const page = await service.listImports(app.db, request.actor!.scope, before);
    return reply.render({ page: "imports/list", fragment: "imports/_table" }, { title: "Imports", tab: "imports", ...page });
  });
}
