// Settings read from the environment: defaults, validation, and the former names refused aloud.
import t from "tap";
import { loadConfig } from "../../src/config.js";

t.test("sign-in limits: defaults and overrides", async (t) => {
  const defaults = loadConfig({});
  t.same(
    [defaults.signInFailuresPerUsernameAndIp, defaults.signInFailuresPerIp, defaults.signInFailuresPerUsername, defaults.signInWindowMinutes],
    [10, 60, 100, 15],
  );
  const set = loadConfig({ SIGNIN_FAILURES_PER_USERNAME_AND_IP: "5", SIGNIN_FAILURES_PER_IP: "30", SIGNIN_FAILURES_PER_USERNAME: "50", SIGNIN_WINDOW_MINUTES: "30" });
  t.same([set.signInFailuresPerUsernameAndIp, set.signInFailuresPerIp, set.signInFailuresPerUsername, set.signInWindowMinutes], [5, 30, 50, 30]);
});

t.test("sign-in limits: a bad value stops the start", async (t) => {
  for (const name of ["SIGNIN_FAILURES_PER_USERNAME_AND_IP", "SIGNIN_FAILURES_PER_IP", "SIGNIN_FAILURES_PER_USERNAME", "SIGNIN_WINDOW_MINUTES"]) {
    for (const value of ["0", "-1", "2.5", "ten"]) t.throws(() => loadConfig({ [name]: value }), new RegExp(`^${name} must be a whole number`), `${name}=${value}`);
  }
});

t.test("the former attempt-counting settings are refused, not silently ignored", async (t) => {
  t.throws(() => loadConfig({ SIGNIN_ATTEMPTS_PER_IP: "20" }), /SIGNIN_ATTEMPTS_PER_IP is no longer read .* set SIGNIN_FAILURES_PER_IP instead/);
  t.throws(() => loadConfig({ SIGNIN_ATTEMPTS_PER_USERNAME: "5" }), /set SIGNIN_FAILURES_PER_USERNAME_AND_IP and SIGNIN_FAILURES_PER_USERNAME instead/);
  t.doesNotThrow(() => loadConfig({ SIGNIN_ATTEMPTS_PER_IP: "" }), "an empty value is unset, as for every setting");
});

t.test("the job worker's settings: defaults, overrides and bad values", async (t) => {
  const defaults = loadConfig({});
  t.same([defaults.jobPollIntervalMs, defaults.jobConcurrency], [1000, 2]);
  const set = loadConfig({ JOB_POLL_INTERVAL_MS: "250", JOB_CONCURRENCY: "4" });
  t.same([set.jobPollIntervalMs, set.jobConcurrency], [250, 4]);
  for (const [name, value] of [["JOB_POLL_INTERVAL_MS", "50"], ["JOB_POLL_INTERVAL_MS", "1s"], ["JOB_CONCURRENCY", "0"], ["JOB_CONCURRENCY", "1.5"]] as const) {
    t.throws(() => loadConfig({ [name]: value }), new RegExp(`^${name} must be a whole number`), `${name}=${value}`);
  }
});

t.test("the shutdown deadline: default, override and bad values", async (t) => {
  t.equal(loadConfig({}).shutdownTimeoutSeconds, 25);
  t.equal(loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: "5" }).shutdownTimeoutSeconds, 5);
  for (const value of ["0", "-1", "2.5", "25s", "3601"]) {
    t.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: value }), /^SHUTDOWN_TIMEOUT_SECONDS must be a whole number from 1 to 3600/, value);
  }
});
