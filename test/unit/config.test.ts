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

t.test("/metrics access: METRICS_TOKEN and METRICS_ALLOW", async (t) => {
  const defaults = loadConfig({});
  t.same([defaults.metricsToken, defaults.metricsAllow], [undefined, []], "unset: /metrics is closed");
  t.same([loadConfig({ METRICS_TOKEN: "", METRICS_ALLOW: " " }).metricsToken, loadConfig({ METRICS_ALLOW: " " }).metricsAllow], [undefined, []], "empty is unset");

  const token = "a".repeat(16) + "-_.~+/=!0123456789";
  t.equal(loadConfig({ METRICS_TOKEN: token }).metricsToken, token);
  t.throws(() => loadConfig({ METRICS_TOKEN: "short-token" }), /^METRICS_TOKEN must be at least 32 characters, got 11 \(make one with: openssl rand -hex 32\)$/);
  t.throws(() => loadConfig({ METRICS_TOKEN: `${token} with spaces` }), /^METRICS_TOKEN must be printable ASCII without spaces/);
  t.throws(() => loadConfig({ METRICS_TOKEN: `${token}é` }), /^METRICS_TOKEN must be printable ASCII/);

  t.same(
    loadConfig({ METRICS_ALLOW: "10.0.0.0/8, 192.0.2.7 ,2001:DB8::/32,::ffff:198.51.100.0/120,10.0.0.0/8" }).metricsAllow,
    ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "198.51.100.0/24"],
    "normalized as the API tokens' addresses are; an IPv4 block written as IPv6 becomes IPv4; repeats dropped",
  );
  const bad: [string, RegExp][] = [
    ["10.0.0.0/33", /^METRICS_ALLOW: “10\.0\.0\.0\/33”: an IPv4 block has a prefix length from 0 to 32\.$/],
    ["10.1.2.3/8", /^METRICS_ALLOW: “10\.1\.2\.3\/8” has address bits set after its first 8: write 10\.0\.0\.0\/8/],
    ["localhost", /^METRICS_ALLOW: “localhost” is not an IPv4 or IPv6 address or CIDR block/],
    ["10", /^METRICS_ALLOW: “10” is not an IPv4 or IPv6 address or CIDR block/],
    ["10.0.0.1 10.0.0.2", /is not an IPv4 or IPv6 address/],
    ["10.0.0.1,,10.0.0.2", /^METRICS_ALLOW has an empty entry: give addresses or CIDR blocks separated by commas/],
    ["10.0.0.1,", /^METRICS_ALLOW has an empty entry/],
  ];
  for (const [value, message] of bad) t.throws(() => loadConfig({ METRICS_ALLOW: value }), message, value);
  t.throws(() => loadConfig({ METRICS_ALLOW: "10.0.0.0/8", TRUST_PROXY: "true" }), /^METRICS_ALLOW cannot be used with TRUST_PROXY=true/, "not with a client-chosen address");
  t.same(loadConfig({ METRICS_ALLOW: "10.0.0.0/8", TRUST_PROXY: "1" }).metricsAllow, ["10.0.0.0/8"], "with a counted proxy, yes");
});

t.test("the shutdown deadline: default, override and bad values", async (t) => {
  t.equal(loadConfig({}).shutdownTimeoutSeconds, 25);
  t.equal(loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: "5" }).shutdownTimeoutSeconds, 5);
  for (const value of ["0", "-1", "2.5", "25s", "3601"]) {
    t.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: value }), /^SHUTDOWN_TIMEOUT_SECONDS must be a whole number from 1 to 3600/, value);
  }
});
