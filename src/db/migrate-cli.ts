// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded server).
import { loadConfig } from "../config.js";
import { describeError } from "../shared/describe-error.js";
import { openDatabase } from "./database.js";

const handle = await openDatabase(loadConfig(), (m) => console.log(m), { shareRunningServer: true }).catch((error: unknown) => {
  console.error(`migration failed: ${describeError(error)}`);
  process.exit(1);
});
console.log("database is up to date");
await handle.close();
