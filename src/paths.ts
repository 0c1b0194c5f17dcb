// Where the project's own files are, whether we run from src/ (tests) or dist/src/ (start).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findProjectRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${from}`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
export const prismaDir = path.join(projectRoot, "prisma");
export const viewsDir = path.join(projectRoot, "views");
export const publicDir = path.join(projectRoot, "public");
