// Return URLs after a form: ours, under the allowed path, and safe in a header.
import t from "tap";
import { refererReturnUrl, safeReturnUrl } from "../../src/shared/return-url.js";

t.test("keeps a list URL of ours", async (t) => {
  t.equal(safeReturnUrl("/dids?tag=gold&page=2", "/dids"), "/dids?tag=gold&page=2");
  t.equal(safeReturnUrl("/dids", "/dids"), "/dids");
});

t.test("percent-encodes what a header cannot carry", async (t) => {
  t.equal(safeReturnUrl("/dids?tag=€", "/dids"), "/dids?tag=%E2%82%AC");
  t.equal(safeReturnUrl("/dids?a=\u0000b", "/dids"), "/dids?a=%00b");
  t.equal(safeReturnUrl("/dids?a=\u007f b", "/dids"), "/dids?a=%7F%20b");
});

t.test("refuses anything else", async (t) => {
  for (const value of ["https://evil.example/dids", "//evil.example/dids", "/\\evil.example", "/operators", "/dids/5/edit", "dids", "", undefined, 42, ["/dids"], `/dids?${"x".repeat(3000)}`]) {
    t.equal(safeReturnUrl(value, "/dids"), "/dids", JSON.stringify(value)?.slice(0, 40));
  }
});

t.test("a Referer counts only from our own host", async (t) => {
  t.equal(refererReturnUrl("http://app.local:3000/dids?tag=x", "app.local:3000", "/dids"), "/dids?tag=x");
  t.equal(refererReturnUrl("http://localhost/dids?tag=x", "localhost:80", "/dids"), "/dids?tag=x");
  t.equal(refererReturnUrl("http://evil.example/dids?tag=x", "app.local:3000", "/dids"), "/dids");
  t.equal(refererReturnUrl("not a url", "app.local", "/dids"), "/dids");
  t.equal(refererReturnUrl(undefined, "app.local", "/dids"), "/dids");
});
