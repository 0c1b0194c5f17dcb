// One structured log line per request: id, user, method, path, status, duration. The
// query string is left out (searches can be long), and so are cookies, tokens and bodies.
import fp from "fastify-plugin";

export default fp(async (app) => {
  app.addHook("onResponse", async (request, reply) => {
    const status = reply.statusCode;
    const entry = {
      user: request.actor?.username,
      method: request.method,
      // A token pasted into an address (the API refuses it) is not copied into the log.
      path: request.url.split("?")[0]!.replace(/didtok(?:_|%5f)[^/]*/gi, "didtok_[redacted]"),
      status,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (status >= 500) request.log.error(entry, "request");
    else request.log.info(entry, "request");
  });
});
