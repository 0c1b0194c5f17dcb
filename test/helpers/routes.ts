// The routes an app declares, read from Fastify's printed route tree.

/** Flattens Fastify's printed route tree into method + path pairs (HEAD left out). */
export function listRoutes(tree: string): { method: string; path: string }[] {
  const stack: string[] = [];
  const routes: { method: string; path: string }[] = [];
  for (const line of tree.split("\n")) {
    const match = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    for (const method of match[3]!.split(", ")) if (method !== "HEAD") routes.push({ method, path: stack.join("") });
  }
  return routes;
}
